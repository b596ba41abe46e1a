/* list.c: `viperbench list`: the records of a results directory, one
 * row each (id, kind, status, date, scenario, stack, description), read
 * through the record's model: runs, sweeps and imports from run.json, a
 * gate from gate.json.  A directory named like a record that holds none
 * it can read is listed as such, with why; anything else is skipped.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

/* One row of the list. */
struct row {
  char *id, *prefix;
  long num;
  char *kind, *status, *date, *scenario, *stack, *sut, *desc;
};

/* The number of a record's name PREFIX-N (letters, digits or '_', a
 * dash, digits), its prefix into *PREFIX; -1 for another name.
 */
static long
record_name (const char *name, char **prefix)
{
  const char *dash = strrchr (name, '-'), *p;
  char *end;
  long n;

  if (dash == NULL || dash == name || !isdigit ((unsigned char) dash[1]))
    return -1;
  for (p = name; p < dash; p++)
    if (!isalnum ((unsigned char) *p) && *p != '_')
      return -1;
  errno = 0;
  n = strtol (dash + 1, &end, 10);
  if (*end || errno || n < 0)
    return -1;
  *prefix = xasprintf ("%.*s", (int) (dash - name), name);
  return n;
}

static int
cmp_row (const void *a, const void *b)
{
  const struct row *x = a, *y = b;
  int c = strcmp (x->prefix, y->prefix);

  return c ? c : x->num < y->num ? -1 : x->num > y->num;
}

static char *
dup_or (const char *s, const char *dflt)
{
  return xstrdup (s ? s : dflt);
}

/* A run record's row (a run, a sweep, an import). */
static void
run_row (struct row *r, const cJSON *doc)
{
  struct rm_run m;

  rm_run_read (doc, &m);
  r->kind = xstrdup (m.status && strcmp (m.status, "imported") == 0
                     ? "import" : m.kind == RECORD_RUN ? "run"
                     : m.kind == RECORD_SCALE_SWEEP ? "scale sweep"
                     : "depth sweep");
  r->status = xstrdup (m.status_now);
  r->date = dup_or (m.started ? m.started : m.imported_at, "-");
  r->scenario = dup_or (m.scenario, "-");
  r->stack = dup_or (m.stack, "-");
  r->desc = dup_or (m.description, "");
  r->sut = dup_or (m.sut_id, "-");
  rm_run_free (&m);
}

/* A gate's row, from its gate.json at PATH; -1 when it is none. */
static int
gate_row (struct row *r, const char *path)
{
  struct rm_gate g;
  cJSON *doc = rm_gate_load (path, &g);
  int ret = 0;

  if (doc == NULL)
    ret = -1;
  else {
    r->kind = xstrdup ("gate");
    r->status = xasprintf ("%s%s%s", g.status ? g.status : "?",
                           g.outcome ? ": " : "", g.outcome ? g.outcome : "");
    r->date = dup_or (g.started, "-");
    r->scenario = dup_or (g.scenario, "-");
    r->stack = dup_or (g.candidate, "-");
    r->desc = xstrdup ("");
    r->sut = xstrdup ("-");
  }
  rm_gate_free (&g);
  cJSON_Delete (doc);
  return ret;
}

/* An exploration's row, from DIR/explore.json; -1 when it is none. */
static int
explore_list_row (struct row *r, const char *dir)
{
  char *p = xasprintf ("%s/explore.json", dir);
  struct rm_explore x;
  cJSON *doc = rm_explore_load (p, &x);
  char c[24];

  free (p);
  if (doc == NULL) {
    rm_explore_free (&x);
    return -1;
  }
  r->kind = xstrdup ("explore");
  r->status = xstrdup (x.status_now ? x.status_now : "?");
  r->date = dup_or (x.started, "-");
  r->scenario = dup_or (x.scenario, "-");
  r->stack = dup_or (x.stack_name, "-");
  if (x.best && isfinite (x.best_change)) {
    snprintf (c, sizeof c, "%+.0f%%", x.best_change * 100);
    r->desc = xasprintf ("best: %s, %s IOPS", x.best_settings, c);
  }
  else
    r->desc = xstrdup ("");
  r->sut = xstrdup ("-");
  rm_explore_free (&x);
  cJSON_Delete (doc);
  return 0;
}

/* Fills R for the record in DIR. */
static void
row_read (struct row *r, const char *dir)
{
  char *rj = xasprintf ("%s/run.json", dir), *gj = xasprintf ("%s/gate.json", dir);
  struct stat sb;

  if (stat (rj, &sb) == 0) {
    const char *why;
    cJSON *doc = record_load (dir, &why);

    if (doc) {
      run_row (r, doc);
      cJSON_Delete (doc);
    }
    else
      r->status = xasprintf ("unreadable: %s", why);
  }
  else if (stat (gj, &sb) == 0) {
    if (gate_row (r, gj) == -1)
      r->status = xstrdup ("unreadable: gate.json");
  }
  else if (explore_list_row (r, dir) == -1)
    r->status = xstrdup ("unreadable: neither run.json, gate.json nor "
                         "explore.json");
  if (r->kind == NULL) {
    r->kind = xstrdup ("?");
    r->date = xstrdup ("-");
    r->scenario = xstrdup ("-");
    r->stack = xstrdup ("-");
    r->desc = xstrdup ("");
    r->sut = xstrdup ("-");
  }
  free (rj);
  free (gj);
}

static void
row_free (struct row *r)
{
  free (r->id);
  free (r->prefix);
  free (r->kind);
  free (r->status);
  free (r->date);
  free (r->scenario);
  free (r->stack);
  free (r->desc);
  free (r->sut);
}

/* The rows of RESULTS into *OUT; how many, or -1 with a message. */
static ssize_t
rows_read (const char *results, struct row **out)
{
  DIR *d = opendir (results);
  struct dirent *e;
  struct row *v = NULL;
  size_t n = 0;

  *out = NULL;
  if (d == NULL) {
    vb_msg ("list: %s: %s", results, strerror (errno));
    return -1;
  }
  while ((e = readdir (d))) {
    char *prefix, *dir;
    struct stat sb;
    long num = record_name (e->d_name, &prefix);

    if (num < 0)
      continue;
    dir = xasprintf ("%s/%s", results, e->d_name);
    if (lstat (dir, &sb) == 0 && S_ISDIR (sb.st_mode)) {
      v = xreallocarray (v, n + 1, sizeof *v);
      v[n] = (struct row) { .id = xstrdup (e->d_name), .prefix = prefix,
                            .num = num };
      row_read (&v[n++], dir);
    }
    else
      free (prefix);
    free (dir);
  }
  closedir (d);
  if (n)
    qsort (v, n, sizeof *v, cmp_row);
  *out = v;
  return (ssize_t) n;
}

/* The rows as JSON, one object each, for a script. */
static void
rows_json (FILE *f, const struct row *v, size_t n)
{
  cJSON *a = cJSON_CreateArray ();
  char *s;

  for (size_t i = 0; i < n; i++) {
    cJSON *o = cJSON_CreateObject ();

    cJSON_AddStringToObject (o, "id", v[i].id);
    cJSON_AddStringToObject (o, "kind", v[i].kind);
    cJSON_AddStringToObject (o, "status", v[i].status);
    cJSON_AddStringToObject (o, "date", v[i].date);
    cJSON_AddStringToObject (o, "scenario", v[i].scenario);
    cJSON_AddStringToObject (o, "stack", v[i].stack);
    cJSON_AddStringToObject (o, "system_under_test", v[i].sut);
    cJSON_AddStringToObject (o, "description", v[i].desc);
    cJSON_AddItemToArray (a, o);
  }
  s = cJSON_Print (a);
  fprintf (f, "%s\n", s);
  free (s);
  cJSON_Delete (a);
}

/* The rows as a table for the terminal (the document model's). */
static void
rows_table (FILE *f, const struct row *v, size_t n)
{
  struct doc *d = doc_new ();
  char *text;

  doc_table (d, "llllllll");
  doc_cells (d, (const char *const[]) { "id", "kind", "status", "date",
                 "scenario", "stack", "system", "description", NULL });
  for (size_t i = 0; i < n; i++) {
    const char *c[] = { v[i].id, v[i].kind, v[i].status, v[i].date,
                        v[i].scenario, v[i].stack, v[i].sut, v[i].desc };

    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
      doc_cell (d);
      doc_data (d, c[k]);
    }
  }
  text = doc_terminal (d);
  fputs (text, f);
  free (text);
  doc_free (d);
}

/* viperbench list [--results DIR] [--json] */
int
list_main (int argc, char **argv)
{
  static const struct cli_opt opts[] = {
    { "results", 'o', "DIR", "the results directory (default results)" },
    { "json", 'j', NULL, "one JSON array, for a script" },
    { NULL, 0, NULL, NULL },
  };
  static const struct cli cli = {
    "list", "[OPTIONS]",
    "The records in DIR: id, kind, status, date, scenario, stack and\n"
    "description, one row each.\n", opts, false,
  };
  const char *results = "results";
  bool json = false;
  struct row *v;
  ssize_t n;
  int c;

  optind = 1;
  while ((c = cli_next (&cli, argc, argv)) != -1) {
    switch (c) {
    case 'o': results = optarg; break;
    case 'j': json = true; break;
    case CLI_HELP: return 0;
    default: return EXIT_BAD_INPUT;
    }
  }
  if (optind != argc)
    return cli_bad (&cli, "unexpected argument '%s'", argv[optind]);
  if ((n = rows_read (results, &v)) == -1)
    return EXIT_BAD_INPUT;
  if (json)
    rows_json (stdout, v, (size_t) n);
  else if (n == 0)
    printf ("no records in %s\n", results);
  else
    rows_table (stdout, v, (size_t) n);
  for (ssize_t i = 0; i < n; i++)
    row_free (&v[i]);
  free (v);
  return 0;
}
