/* compare.c: `viperbench compare VM-A VM-B`: what changed between two
 * runs, and whether it can be told from noise.
 *
 * Per layer and metric: A, B, change and a verdict.  A side is a record
 * or several (repetitions: records joined by commas, or a directory of
 * records such as a gate's candidate/).  With repetitions on both sides
 * the verdict is a two-sided Mann-Whitney U test at 5%; with one sample
 * on a side no statistical test is possible and the verdict says so
 * instead of guessing.  Then a
 * differential profile (symbols whose share of CPU grew or shrank most,
 * per process) and the folded stacks of both sides for a differential
 * flame graph, and warnings when the runs are not comparable (host,
 * kernel, scenario text, stack).  Written to stdout and to
 * B/compare-A.md.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Loads one side: SPEC is a record name (VM-7, under RESULTS), a path
 * to a record or to a directory of records, or several of those joined
 * by commas (VM-6,VM-8,VM-9): its repetitions.  0 or -1.
 */
static int
load_side (const char *results, const char *spec, struct records *r)
{
  char *copy = xstrdup (spec), *save = NULL;
  int ret = 0;

  for (char *p = strtok_r (copy, ",", &save); p && ret == 0;
       p = strtok_r (NULL, ",", &save)) {
    char *dir = strchr (p, '/') ? xstrdup (p) : xasprintf ("%s/%s", results, p);

    ret = records_add (r, dir, "compare");
    free (dir);
  }
  free (copy);
  if (ret == 0 && r->n == 0) {
    vb_msg ("compare: '%s' names no record", spec);
    ret = -1;
  }
  return ret;
}

/* The side's name for the title: its record id, or "N records". */
static char *
side_name (const struct records *r, const char *spec)
{
  if (r->n == 1)
    return xstrdup (r->run[0].id ?: spec);
  return xasprintf ("%s (%zu records)", spec, r->n);
}

/* A host fact that differs: its key and each side's value. */
static void
host_differs (struct doc *dc, const char *key, const char *x, const char *y)
{
  doc_item (dc);
  doc_bold (dc, "not comparable");
  doc_text (dc, ": host %s differs: ", key);
  doc_data (dc, x);
  doc_text (dc, " vs ");
  doc_data (dc, y);
}

/* The host facts of A and B that differ (strings quoted, as the record
 * holds them); how many.
 */
static int
host_comparability (struct doc *dc, const struct rm_run *a,
                    const struct rm_run *b)
{
  const struct { const char *key, *x, *y; } s[] = {
    { "hostname", a->hostname, b->hostname },
    { "kernel", a->kernel, b->kernel },
    { "cpu_model", a->cpu_model, b->cpu_model },
  };
  int n = 0;

  for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
    if (s[i].x && s[i].y && strcmp (s[i].x, s[i].y) != 0) {
      char *x = xasprintf ("\"%s\"", s[i].x), *y = xasprintf ("\"%s\"", s[i].y);

      host_differs (dc, s[i].key, x, y);
      free (x);
      free (y);
      n++;
    }
  if (!isnan (a->cores) && !isnan (b->cores) && a->cores != b->cores) {
    char x[32], y[32];

    snprintf (x, sizeof x, "%g", a->cores);
    snprintf (y, sizeof y, "%g", b->cores);
    host_differs (dc, "cores", x, y);
    n++;
  }
  return n;
}

struct stack_diff {
  struct doc *dc;
  int n;
};

/* A key of the stack definitions that differs (rm_definition_diff). */
static void
stack_differs (const char *key, const char *va, const char *vb, void *arg)
{
  struct stack_diff *sd = arg;
  struct doc *dc = sd->dc;

  doc_item (dc);
  doc_text (dc, "stack key ");
  doc_code_data (dc, key);
  sd->n++;
  if (va == NULL) {
    doc_text (dc, " only in B");
    return;
  }
  doc_text (dc, " differs: ");
  doc_code_data (dc, va);
  doc_text (dc, " vs ");
  doc_code_data (dc, vb ? vb : "(absent)");
  doc_text (dc, "%s", strcmp (key, "description") == 0 ? ""
            : " (what is being compared?)");
}

/* Notes where A and B differ in what makes runs comparable. */
static void
comparability (struct doc *dc, const struct rm_run *a, const struct rm_run *b)
{
  struct stack_diff sd = { .dc = dc };
  int n = host_comparability (dc, a, b);

  if (a->scenario_text && b->scenario_text &&
      strcmp (a->scenario_text, b->scenario_text) != 0) {
    doc_item (dc);
    doc_bold (dc, "not comparable");
    doc_text (dc, ": the scenario text differs (");
    doc_data (dc, a->scenario);
    doc_text (dc, " vs ");
    doc_data (dc, b->scenario);
    doc_text (dc, ")");
    n++;
  }
  rm_definition_diff (a, b, stack_differs, &sd);
  if (n + sd.n == 0) {
    doc_item (dc);
    doc_text (dc, "same host, kernel, scenario and stack definition");
  }
}

/* One table of PROCESS P (B's) against Q (A's, or NULL): the symbols of
 * LIST (top_self or top_inclusive) whose KEY share changed most.
 */
static void
share_table (struct doc *d, const struct rm_profile *p,
             const struct rm_profile *q, bool inclusive, bool by_growth,
             const char *what)
{
  struct { const char *sym; double d, a, b; } rows[64];
  size_t n = 0;

  /* The union of both lists. */
  for (int side = 0; side < 2; side++) {
    const struct rm_profile *pr = side ? q : p;
    const struct rm_symbol *l = !pr ? NULL
      : inclusive ? pr->top_inclusive : pr->top_self;
    size_t nl = !pr ? 0 : inclusive ? pr->ntop_inclusive : pr->ntop_self;

    for (size_t i = 0; i < nl; i++) {
      const char *sym = l[i].symbol;
      size_t k;

      if (sym == NULL)
        continue;
      for (k = 0; k < n && strcmp (rows[k].sym, sym) != 0; k++)
        ;
      if (k == n && n < 64)
        rows[n++] = (typeof (rows[0])) { sym, 0, 0, 0 };
    }
  }
  /* A symbol absent from one side's list is below its top symbols:
   * shown as "-", counted as 0 for the change.
   */
  for (size_t k = 0; k < n; k++) {
    rows[k].a = rows[k].b = NAN;
    for (int side = 0; side < 2; side++) {
      const struct rm_profile *pr = side ? p : q;
      const struct rm_symbol *l = !pr ? NULL
        : inclusive ? pr->top_inclusive : pr->top_self;
      size_t nl = !pr ? 0 : inclusive ? pr->ntop_inclusive : pr->ntop_self;

      for (size_t i = 0; i < nl; i++)
        if (strcmp (l[i].symbol ? l[i].symbol : "", rows[k].sym) == 0)
          *(side ? &rows[k].b : &rows[k].a) = inclusive ? l[i].inclusive_pct
                                                        : l[i].self_pct;
    }
    rows[k].d = (isnan (rows[k].b) ? 0 : rows[k].b) -
                (isnan (rows[k].a) ? 0 : rows[k].a);
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
  doc_table (d, "lrrr");
  doc_cell (d);
  doc_text (d, "symbol (%s)", what);
  doc_cells (d, (const char *const[]) { "A %", "B %", "change", NULL });
  for (size_t k = 0; k < n && k < 8; k++) {
    char a[16] = "-", b[16] = "-";

    if (by_growth && rows[k].d <= 0)
      break;
    if (!isnan (rows[k].a))
      snprintf (a, sizeof a, "%.1f", rows[k].a);
    if (!isnan (rows[k].b))
      snprintf (b, sizeof b, "%.1f", rows[k].b);
    doc_cell (d);
    doc_code_data (d, rows[k].sym);
    doc_cell (d);
    doc_text (d, "%s", a);
    doc_cell (d);
    doc_text (d, "%s", b);
    doc_cell (d);
    doc_text (d, "%+.1f", rows[k].d);
  }
}

/* Symbols whose share changed most, per process of LAYER (see
 * internal.h): by self share, and with BY_GROWTH (the gate's) also by
 * inclusive share, which names the callers a regression runs through
 * (SSL_CTX_new_ex above an unnamed [libcrypto.so.3]).
 */
void
profile_diff (struct doc *d, const char *layer, const struct rm_target *ta,
              const struct rm_target *tb, bool by_growth)
{
  if (!tb->has_profiles) {
    doc_para (d);
    doc_bold (d, "%s", layer);
    doc_text (d, ": no perf profile in B");
    return;
  }
  for (size_t i = 0; i < tb->nprofiles; i++) {
    const struct rm_profile *p = &tb->profiles[i], *q = NULL;
    const char *role = p->role ? p->role : "?";

    for (size_t k = 0; ta && k < ta->nprofiles && q == NULL; k++)
      if (strcmp (ta->profiles[k].role ? ta->profiles[k].role : "", role) == 0)
        q = &ta->profiles[k];
    doc_para (d);
    doc_bold (d, "%s / ", layer);
    doc_bold_data (d, role);
    doc_text (d, "%s", q ? "" : " (no profile of this process in A)");
    share_table (d, p, q, false, by_growth, "self");
    if (by_growth)
      share_table (d, p, q, true, true, "inclusive");
  }
}

/* The verdict for one metric: a two-sided rank test at 5% when both
 * sides hold repetitions, else a statement that there is none: *WORD
 * (shown bold: "better", "worse", or "") and the rest into BUF.
 */
static void
verdict (const char **word, char *buf, size_t n, const double *x, size_t m,
         const double *y, size_t k, int higher_better, double *change)
{
  double lx[256], ly[256];
  struct shift s;

  *change = NAN;
  *word = "";
  if (m == 1 && k == 1) {
    snprintf (buf, n, "n=1 each: no verdict");
    return;
  }
  if (m < 2 || k < 2) {
    snprintf (buf, n, "n=%zu/%zu: no verdict (repetitions on both sides needed)", m, k);
    return;
  }
  for (size_t i = 0; i < m; i++) lx[i] = log (x[i]);
  for (size_t i = 0; i < k; i++) ly[i] = log (y[i]);
  stats_shift (lx, m, ly, k, 0.025, &s);
  *change = expm1 (s.est);
  if (m + k < 2 * stats_n_min (0.025, false) && fmin (s.p_less, s.p_greater) >= 0.025)
    snprintf (buf, n, "within noise (n=%zu/%zu: too few to show a change at 5%%)", m, k);
  else if (s.p_greater < 0.025) {
    *word = higher_better ? "better" : "worse";
    snprintf (buf, n, " (p=%.3g; 95%% interval %+.1f%% .. %+.1f%%)",
              fmin (1, 2 * s.p_greater), expm1 (s.lo) * 100,
              expm1 (s.hi) * 100);
  }
  else if (s.p_less < 0.025) {
    *word = higher_better ? "worse" : "better";
    snprintf (buf, n, " (p=%.3g; 95%% interval %+.1f%% .. %+.1f%%)",
              fmin (1, 2 * s.p_less), expm1 (s.lo) * 100, expm1 (s.hi) * 100);
  }
  else
    snprintf (buf, n, "within noise (p=%.2g; 95%% interval %+.1f%% .. %+.1f%%)",
              fmin (1, 2 * fmin (s.p_less, s.p_greater)), expm1 (s.lo) * 100,
              expm1 (s.hi) * 100);
}

/* The values of metric (DDIR, KEY) of layer NAME over the records. */
static size_t
values (const struct records *r, const char *name, enum rm_ddir ddir,
        size_t off, double *out, size_t max)
{
  size_t n = 0;

  for (size_t i = 0; i < r->n && n < max; i++) {
    const struct rm_target *t = rm_target_named (&r->run[i], name);
    double v = t ? *(const double *) ((const char *) &t->dir[ddir] + off)
                 : NAN;

    if (v > 0 && isfinite (v))
      out[n++] = v;
  }
  return n;
}

/* CPU per I/O of every process (fio, the servers, the services) of each
 * layer, A beside B: where a change costs CPU, and whose.
 */
static void
cpu_section (struct doc *d, const struct records *ra, const struct records *rb)
{
  const struct rm_run *b = &rb->run[rb->n - 1];
  bool any = false;

  for (size_t i = 0; i < b->ntargets; i++) {
    const struct rm_target *tb = &b->targets[i];
    const char *name = tb->name;

    for (size_t j = 0; j < tb->nprocs; j++) {
      const char *role = tb->procs[j].role;
      double xa[256], xb[256], x, y;
      size_t n1, n2;

      if (role == NULL)
        continue;
      n1 = records_cpu_us (ra, name, role, xa, 256);
      n2 = records_cpu_us (rb, name, role, xb, 256);
      if (n2 == 0)
        continue;
      if (!any) {
        doc_heading (d, 2);
        doc_text (d, "CPU per I/O");
        doc_para (d);
        doc_text (d, "CPU microseconds (user + system) per I/O of each "
                  "process of the layer, with its worker processes (the cpu "
                  "collector's; medians of each side's records).");
        doc_table (d, "llrrr");
        doc_cells (d, (const char *const[]) { "layer", "process", "A us",
                       "B us", "change", NULL });
      }
      any = true;
      y = stats_median (xb, n2);
      doc_cell (d);
      doc_text (d, "%s", name);
      doc_cell (d);
      doc_data (d, role);
      doc_cell (d);
      if (n1 == 0) {
        doc_text (d, "-");
        doc_cell (d);
        doc_text (d, "%.1f", y);
        doc_cell (d);
        doc_text (d, "(new in B)");
        continue;
      }
      x = stats_median (xa, n1);
      doc_text (d, "%.1f", x);
      doc_cell (d);
      doc_text (d, "%.1f", y);
      doc_cell (d);
      if (x > 0)
        doc_text (d, "%+.1f%%", (y - x) / x * 100);
      else
        doc_text (d, "-");
    }
  }
}

/* The comparison of side RA (named NA) with side RB (NB), as a
 * document; doc_free it.  Reads nothing but the records.
 */
struct doc *
compare_doc (const struct records *ra, const struct records *rb,
             const char *na, const char *nb, const struct flame_diffs *fd)
{
  const struct rm_run *a = &ra->run[0], *b = &rb->run[rb->n - 1];
  struct doc *d = doc_new ();
  bool reps;

  reps = ra->n > 1 || rb->n > 1;
  doc_heading (d, 1);
  doc_text (d, "%s vs %s", na, nb);
  for (int side = 0; side < 2; side++) {
    const struct records *r = side ? rb : ra;

    for (size_t k = 0; k < r->n; k++) {
      doc_item (d);
      doc_text (d, "%s: %s \"", side ? "B" : "A",
                r->run[k].id ? r->run[k].id : "?");
      doc_data (d, r->run[k].description ? r->run[k].description : "");
      doc_text (d, "\", ");
      /* When, and what was measured, as the record says. */
      doc_data (d, r->run[k].started ? r->run[k].started
                : r->run[k].imported_at ? r->run[k].imported_at : "no date");
      if (r->run[k].sut_id) {
        doc_text (d, ", system under test ");
        doc_data (d, r->run[k].sut_id);
      }
    }
  }
  doc_heading (d, 2);
  doc_text (d, "Comparable?");
  comparability (d, a, b);
  if (fd) {
    doc_heading (d, 2);
    doc_text (d, "Largest changes in CPU per I/O");
    flame_diffs_doc (d, fd);
  }
  doc_heading (d, 2);
  doc_text (d, "Per layer");
  doc_para (d);
  if (reps)
    doc_text (d, "Medians of each side's records. Where both sides hold "
              "repetitions the verdict is a two-sided Mann-Whitney U test "
              "(exact) at 5%%, with the Hodges-Lehmann change and its 95%% "
              "interval; a record alone gives no verdict.");
  else
    doc_text (d, "Each record holds one measurement per layer: with one "
              "sample on each side no statistical test can separate a "
              "change from run-to-run noise, so the verdict says so rather "
              "than guess. Compare sets of repeated runs (VM-6,VM-7,VM-8 or "
              "a gate's candidate/ directory), or use the CI gate, for a "
              "verdict.");
  doc_table (d, "llrrrl");
  doc_cells (d, (const char *const[]) { "layer", "metric", "A", "B", "change",
                 "verdict", NULL });
  for (size_t i = 0; i < b->ntargets; i++) {
    static const struct {
      enum rm_ddir ddir;
      size_t off;
      const char *label;
      int higher_better;
    } m[] = {
      { RM_READ, offsetof (struct rm_dir, iops), "read IOPS", 1 },
      { RM_WRITE, offsetof (struct rm_dir, iops), "write IOPS", 1 },
      { RM_READ, offsetof (struct rm_dir, mean_ns), "read mean", 0 },
      { RM_READ, offsetof (struct rm_dir, p99_ns), "read p99", 0 },
      { RM_WRITE, offsetof (struct rm_dir, p99_ns), "write p99", 0 },
    };
    const char *name = b->targets[i].name;

    if (rm_target_named (a, name) == NULL) {
      doc_cells (d, (const char *const[]) { name, "-", "-", "(new in B)", "-",
                                            "-", NULL });
      continue;
    }
    for (size_t k = 0; k < sizeof m / sizeof m[0]; k++) {
      double xa[256], xb[256], x, y, change, pct;
      size_t n1 = values (ra, name, m[k].ddir, m[k].off, xa, 256);
      size_t n2 = values (rb, name, m[k].ddir, m[k].off, xb, 256);
      char sx[16], sy[16], ch[16], v[160];
      const char *word;

      if (n1 == 0 || n2 == 0) {
        doc_cells (d, (const char *const[]) { name, m[k].label, "-", "-", "-",
                                              "-", NULL });
        continue;
      }
      x = stats_median (xa, n1);
      y = stats_median (xb, n2);
      verdict (&word, v, sizeof v, xa, n1, xb, n2, m[k].higher_better,
               &change);
      pct = (isnan (change) ? (y - x) / x : change) * 100;
      if (!m[k].higher_better) {
        fmt_ns (sx, sizeof sx, x);
        fmt_ns (sy, sizeof sy, y);
      }
      else {
        fmt_iops (sx, sizeof sx, x);
        fmt_iops (sy, sizeof sy, y);
      }
      snprintf (ch, sizeof ch, "%+.1f%%", pct);
      doc_cells (d, (const char *const[]) { name, m[k].label, sx, sy, ch,
                                            NULL });
      doc_cell (d);
      if (*word)
        doc_bold (d, "%s", word);
      doc_text (d, "%s", v);
    }
  }
  cpu_section (d, ra, rb);
  doc_heading (d, 2);
  doc_text (d, "Differential profile");
  doc_para (d);
  doc_text (d, "Self share of CPU samples per symbol, A and B (top symbols "
            "of either side%s; \"-\": not among that side's top).  The "
            "differential flame graphs, in CPU microseconds per I/O, are in "
            "the HTML page beside this file.",
            reps ? "; the first record of A and the last of B" : "");
  for (size_t i = 0; i < b->ntargets; i++) {
    const struct rm_target *tb = &b->targets[i];
    const struct rm_target *ta = rm_target_named (a, tb->name);

    if (ta)
      profile_diff (d, tb->name, ta, tb, false);
  }
  return d;
}

struct diff_page {
  struct flame_diffs *d;
  cJSON *graphs;
};

/* The HTML page's differential flame graphs, after the Markdown's
 * differential profile tables.
 */
static void
diff_section (FILE *f, const char *section, void *arg)
{
  struct diff_page *p = arg;

  if (strcmp (section, "Differential profile") != 0)
    return;
  fputs ("<h2 id=\"differential-flame-graphs\">Differential flame graphs</h2>\n", f);
  flame_diffs_html (f, p->d, p->graphs);
}

/* viperbench compare [--results DIR] A B */
int
compare_main (int argc, char **argv)
{
  const char *results = "results";
  char *buf = NULL, *out, *na, *nb;
  size_t len = 0;
  struct records ra = { 0 }, rb = { 0 };
  struct flame_diffs d;
  struct doc *doc;
  int i, c, r = 0;
  static const struct cli_opt opts[] = {
    { "results", 'o', "DIR", "where A and B are when they are names "
      "(default results)" },
    { NULL, 0, NULL, NULL },
  };
  static const struct cli cli = {
    "compare", "[OPTIONS] A B",
    "Sets A and B side by side (compare-A.md and .html beside B).  A and B:\n"
    "a record (VM-7), a directory of records (a gate's candidate/), or\n"
    "records joined by commas (VM-6,VM-8,VM-9).\n", opts, false,
  };

  optind = 1;
  while ((c = cli_next (&cli, argc, argv)) != -1) {
    switch (c) {
    case 'o': results = optarg; break;
    case CLI_HELP: return 0;
    default: return EXIT_BAD_INPUT;
    }
  }
  i = optind;
  if (argc - i != 2)
    return cli_bad (&cli, "expected two sides, A and B, not %d", argc - i);
  if (load_side (results, argv[i], &ra) == -1 ||
      load_side (results, argv[i + 1], &rb) == -1) {
    records_free (&ra);
    records_free (&rb);
    return EXIT_BAD_INPUT;
  }
  na = side_name (&ra, argv[i]);
  nb = side_name (&rb, argv[i + 1]);
  flame_diffs_make (&ra, &rb, &d);
  doc = compare_doc (&ra, &rb, na, nb, &d);
  buf = doc_md (doc);
  len = strlen (buf);
  fputs (buf, stdout);
  /* Ids are plain names (record_load checks). */
  out = xasprintf ("%s/compare-%s.md", rb.dir[rb.n - 1],
                   ra.run[0].id ? ra.run[0].id : "A");
  if (write_file_atomic (out, buf, len) == -1)
    r = EXIT_RUN_FAILED;
  else
    fprintf (stderr, "viperbench: written to %s\n", out);
  free (out);
  out = xasprintf ("%s/compare-%s.html", rb.dir[rb.n - 1],
                   ra.run[0].id ? ra.run[0].id : "A");
  {
    cJSON *data = cJSON_CreateObject ();
    cJSON *graphs = cJSON_AddArrayToObject (data, "graphs");
    struct diff_page pg = { .d = &d, .graphs = graphs };
    char *title = xasprintf ("%s vs %s: viperbench compare", na, nb);

    if (html_page (out, title, doc, rb.dir[rb.n - 1], diff_section, &pg,
                   data) == -1)
      r = EXIT_RUN_FAILED;
    else
      fprintf (stderr, "viperbench: written to %s\n", out);
    free (title);
    cJSON_Delete (data);
  }
  free (out);
  flame_diffs_free (&d);
  doc_free (doc);
  free (buf);
  free (na);
  free (nb);
  records_free (&ra);
  records_free (&rb);
  return r;
}
