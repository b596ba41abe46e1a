/* compare.c: `viperbench compare VM-A VM-B`: what changed between two
 * runs, and whether it can be told from noise.
 *
 * Per layer and metric: A, B, change and a verdict.  A record holds one
 * measurement per layer, so with one sample on each side no statistical
 * test is possible and the verdict says so instead of guessing.  Then a
 * differential profile (symbols whose share of CPU grew or shrank most,
 * per process) and the folded stacks of both sides for a differential
 * flame graph, and warnings when the runs are not comparable (host,
 * kernel, scenario text, stack).  Written to stdout and to
 * B/compare-A.md.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static cJSON *
load_run (const char *results, const char *id, char **dir_out)
{
  char *dir = strchr (id, '/') ? xstrdup (id) : xasprintf ("%s/%s", results, id);
  char *path = xasprintf ("%s/run.json", dir);
  char *text = read_file (path, NULL);
  cJSON *doc = text ? cJSON_Parse (text) : NULL;

  if (text == NULL)
    vb_msg ("compare: %s: %s", path, strerror (errno));
  else if (doc == NULL || !cJSON_IsArray (cJSON_GetObjectItem (doc, "targets"))) {
    vb_msg ("compare: %s is not a viperbench run record", path);
    cJSON_Delete (doc);
    doc = NULL;
  }
  free (text);
  free (path);
  if (doc)
    *dir_out = dir;
  else
    free (dir);
  return doc;
}

static const cJSON *
target (const cJSON *doc, const char *name)
{
  const cJSON *t;

  cJSON_ArrayForEach (t, cJSON_GetObjectItem (doc, "targets"))
    if (strcmp (cJSON_GetStringValue (cJSON_GetObjectItem (t, "name")), name) == 0)
      return t;
  return NULL;
}

/* Notes where A and B differ in what makes runs comparable. */
static void
comparability (FILE *f, const cJSON *a, const cJSON *b)
{
  static const char *const host_keys[] = { "hostname", "kernel", "cpu_model", "cores" };
  int n = 0;

  for (size_t i = 0; i < sizeof host_keys / sizeof host_keys[0]; i++) {
    char *x = cJSON_PrintUnformatted (cJSON_GetObjectItem (cJSON_GetObjectItem (a, "host"), host_keys[i]));
    char *y = cJSON_PrintUnformatted (cJSON_GetObjectItem (cJSON_GetObjectItem (b, "host"), host_keys[i]));

    if (x && y && strcmp (x, y) != 0) {
      fprintf (f, "- **not comparable**: host %s differs: %s vs %s\n", host_keys[i], x, y);
      n++;
    }
    free (x);
    free (y);
  }
  {
    const char *x = cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetObjectItem (a, "scenario"), "text"));
    const char *y = cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetObjectItem (b, "scenario"), "text"));

    if (x && y && strcmp (x, y) != 0) {
      fprintf (f, "- **not comparable**: the scenario text differs (%s vs %s)\n",
               cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetObjectItem (a, "scenario"), "name")),
               cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetObjectItem (b, "scenario"), "name")));
      n++;
    }
  }
  {
    const cJSON *x = cJSON_GetObjectItem (cJSON_GetObjectItem (a, "stack"), "definition");
    const cJSON *y = cJSON_GetObjectItem (cJSON_GetObjectItem (b, "stack"), "definition");

    for (const cJSON *c = x ? x->child : NULL; c; c = c->next) {
      const cJSON *d = cJSON_GetObjectItem (y, c->string);

      if (!cJSON_Compare (c, d, 1)) {
        char *s1 = cJSON_PrintUnformatted (c), *s2 = d ? cJSON_PrintUnformatted (d) : xstrdup ("(absent)");

        fprintf (f, "- stack key `%s` differs: `%s` vs `%s`%s\n", c->string, s1, s2,
                 strcmp (c->string, "description") == 0 ? "" : " (what is being compared?)");
        free (s1);
        free (s2);
        n++;
      }
    }
    for (const cJSON *d = y ? y->child : NULL; d; d = d->next)
      if (cJSON_GetObjectItem (x, d->string) == NULL) {
        fprintf (f, "- stack key `%s` only in B\n", d->string);
        n++;
      }
  }
  if (n == 0)
    fprintf (f, "- same host, kernel, scenario and stack definition\n");
}

/* Symbols whose self share changed most, per process of LAYER (see
 * internal.h).
 */
void
profile_diff (FILE *f, const char *layer, const cJSON *ta, const cJSON *tb,
              bool by_growth)
{
  const cJSON *pa = cJSON_GetObjectItem (cJSON_GetObjectItem (cJSON_GetObjectItem (ta, "collectors"), "perf"), "processes");
  const cJSON *pb = cJSON_GetObjectItem (cJSON_GetObjectItem (cJSON_GetObjectItem (tb, "collectors"), "perf"), "processes");
  const cJSON *p;

  if (pb == NULL) {
    fprintf (f, "\n**%s**: no perf profile in B\n", layer);
    return;
  }
  cJSON_ArrayForEach (p, pb) {
    const char *role = cJSON_GetStringValue (cJSON_GetObjectItem (p, "role"));
    const cJSON *q = NULL, *s;
    struct { const char *sym; double d, a, b; } rows[64];
    size_t n = 0;

    cJSON_ArrayForEach (q, pa)
      if (strcmp (cJSON_GetStringValue (cJSON_GetObjectItem (q, "role")), role) == 0)
        break;
    /* The union of both top lists. */
    for (int side = 0; side < 2; side++)
      cJSON_ArrayForEach (s, cJSON_GetObjectItem (side ? q : p, "top_self")) {
        const char *sym = cJSON_GetStringValue (cJSON_GetObjectItem (s, "symbol"));
        size_t k;

        for (k = 0; k < n && strcmp (rows[k].sym, sym) != 0; k++)
          ;
        if (k == n && n < 64)
          rows[n++] = (typeof (rows[0])) { sym, 0, 0, 0 };
      }
    for (size_t k = 0; k < n; k++) {
      const cJSON *e;

      cJSON_ArrayForEach (e, cJSON_GetObjectItem (q, "top_self"))
        if (strcmp (cJSON_GetStringValue (cJSON_GetObjectItem (e, "symbol")), rows[k].sym) == 0)
          rows[k].a = cJSON_GetObjectItem (e, "self_pct")->valuedouble;
      cJSON_ArrayForEach (e, cJSON_GetObjectItem (p, "top_self"))
        if (strcmp (cJSON_GetStringValue (cJSON_GetObjectItem (e, "symbol")), rows[k].sym) == 0)
          rows[k].b = cJSON_GetObjectItem (e, "self_pct")->valuedouble;
      rows[k].d = rows[k].b - rows[k].a;
    }
    /* Largest change first: growth only, or either way. */
    for (size_t i = 1; i < n; i++)
      for (size_t k = i; k > 0; k--) {
        typeof (rows[0]) tmp = rows[k];
        bool before = by_growth ? rows[k].d > rows[k - 1].d
                                : fabs (rows[k].d) > fabs (rows[k - 1].d);

        if (!before)
          break;
        rows[k] = rows[k - 1];
        rows[k - 1] = tmp;
      }
    fprintf (f, "\n**%s / %s**%s\n\n| symbol | A self %% | B self %% | change |\n|---|--:|--:|--:|\n",
             layer, role, q ? "" : " (no profile of this process in A)");
    for (size_t k = 0; k < n && k < 8; k++)
      fprintf (f, "| `%s` | %.1f | %.1f | %+.1f |\n", rows[k].sym, rows[k].a,
               rows[k].b, rows[k].d);
  }
}

/* viperbench compare [--results DIR] A B */
int
compare_main (int argc, char **argv)
{
  const char *results = "results";
  char *da = NULL, *db = NULL, *buf = NULL, *out;
  size_t len = 0;
  cJSON *a, *b;
  const cJSON *tb;
  FILE *f;
  int i = 1;

  if (argc >= 3 && strcmp (argv[1], "--results") == 0) {
    results = argv[2];
    i = 3;
  }
  if (argc - i != 2) {
    fprintf (stderr, "usage: viperbench compare [--results DIR] VM-A VM-B\n");
    return EXIT_BAD_INPUT;
  }
  if ((a = load_run (results, argv[i], &da)) == NULL)
    return EXIT_BAD_INPUT;
  if ((b = load_run (results, argv[i + 1], &db)) == NULL) {
    cJSON_Delete (a);
    free (da);
    return EXIT_BAD_INPUT;
  }
  f = open_memstream (&buf, &len);
  fprintf (f, "# %s vs %s\n\n", cJSON_GetStringValue (cJSON_GetObjectItem (a, "id")),
           cJSON_GetStringValue (cJSON_GetObjectItem (b, "id")));
  fprintf (f, "- A: %s \"%s\"\n- B: %s \"%s\"\n\n",
           cJSON_GetStringValue (cJSON_GetObjectItem (a, "id")),
           cJSON_GetStringValue (cJSON_GetObjectItem (a, "description")),
           cJSON_GetStringValue (cJSON_GetObjectItem (b, "id")),
           cJSON_GetStringValue (cJSON_GetObjectItem (b, "description")));
  fprintf (f, "## Comparable?\n\n");
  comparability (f, a, b);
  fprintf (f, "\n## Per layer\n\n"
              "Each record holds one measurement per layer: with one sample on "
              "each side no statistical test can separate a change from run-to-run "
              "noise, so the verdict says so rather than guess. Repeat runs, or use "
              "the CI gate, for a verdict.\n\n");
  fprintf (f, "| layer | metric | A | B | change | verdict |\n|---|---|--:|--:|--:|---|\n");
  cJSON_ArrayForEach (tb, cJSON_GetObjectItem (b, "targets")) {
    static const struct { const char *ddir, *key, *label; int higher_better; } m[] = {
      { "read", "iops", "read IOPS", 1 }, { "write", "iops", "write IOPS", 1 },
      { "read", "mean", "read mean", 0 }, { "read", "p99", "read p99", 0 },
      { "write", "p99", "write p99", 0 },
    };
    const char *name = cJSON_GetStringValue (cJSON_GetObjectItem (tb, "name"));
    const cJSON *ta = target (a, name);

    if (ta == NULL) {
      fprintf (f, "| %s | - | - | (new in B) | - | - |\n", name);
      continue;
    }
    for (size_t k = 0; k < sizeof m / sizeof m[0]; k++) {
      double x = target_metric (ta, m[k].ddir, m[k].key);
      double y = target_metric (tb, m[k].ddir, m[k].key);
      char sx[16], sy[16], ch[16];
      double pct = (y - x) / x * 100;

      if (!m[k].higher_better) {
        fmt_ns (sx, sizeof sx, x);
        fmt_ns (sy, sizeof sy, y);
      }
      else {
        fmt_iops (sx, sizeof sx, x);
        fmt_iops (sy, sizeof sy, y);
      }
      if (isnan (pct) || isinf (pct))
        snprintf (ch, sizeof ch, "-");
      else
        snprintf (ch, sizeof ch, "%+.1f%%", pct);
      fprintf (f, "| %s | %s | %s | %s | %s | %s |\n", name, m[k].label, sx, sy, ch,
               isnan (pct) ? "-" : "n=1 each: no verdict");
    }
  }
  fprintf (f, "\n## Differential profile\n\n"
              "Self share of CPU samples per symbol, A and B (top symbols of "
              "either side). Folded stacks for a differential flame graph: "
              "`difffolded.pl A/LAYER/perf.folded B/LAYER/perf.folded`.\n");
  cJSON_ArrayForEach (tb, cJSON_GetObjectItem (b, "targets")) {
    const char *name = cJSON_GetStringValue (cJSON_GetObjectItem (tb, "name"));
    const cJSON *ta = target (a, name);

    if (ta)
      profile_diff (f, name, ta, tb, false);
  }
  fclose (f);
  fputs (buf, stdout);
  out = xasprintf ("%s/compare-%s.md", db, cJSON_GetStringValue (cJSON_GetObjectItem (a, "id")));
  write_file_atomic (out, buf, len);
  fprintf (stderr, "viperbench: written to %s\n", out);
  free (out);
  free (buf);
  free (da);
  free (db);
  cJSON_Delete (a);
  cJSON_Delete (b);
  return 0;
}
