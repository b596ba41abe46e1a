/* history.c: `viperbench history SCENARIO`: every record of a scenario
 * in order, as a table and a trend chart per layer.
 *
 * Runs are ordered by their number (VM-1, VM-2, ...).  A record that is
 * malformed, unfinished or of another scenario is skipped (malformed and
 * unfinished ones with a warning).  Each row gives per layer the total
 * IOPS, read p99 and the ratio to the same run's host layer (so records
 * from different machines stay meaningful).  Where a layer's IOPS or read
 * p99 changed level is found by change-point detection over all its runs
 * (common/changepoint.c: E-Divisive means, a t test corrected for the
 * choice, at --alpha): each change point is marked on the run that starts
 * the new level, with the size of the shift, its interval, its p and the
 * runs either side, and drawn on the chart; a single outlier is not one.
 * Written to stdout and to RESULTS/history-SCENARIO.md (and .html) with
 * charts in RESULTS/history-SCENARIO/.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

struct hrun {
  long num;
  char *id;
  cJSON *doc;
  struct rm_run run;            /* doc, read */
};

/* Change points of one layer's metric, by run (index into the runs). */
#define HIST_MAX_CP 32

struct hseries {
  const char *label;            /* "IOPS", "read p99" */
  size_t *run;                  /* the runs with a value */
  double *v;                    /* ln(value) */
  size_t n;
  struct change_point cp[HIST_MAX_CP];
  size_t ncp;
};

static void
series_add (struct hseries *s, size_t run, double value)
{
  if (!(value > 0) || !isfinite (value))
    return;
  s->run = xreallocarray (s->run, s->n + 1, sizeof *s->run);
  s->v = xreallocarray (s->v, s->n + 1, sizeof *s->v);
  s->run[s->n] = run;
  s->v[s->n++] = log (value);
}

/* The change point of S that starts at run R, or NULL. */
static const struct change_point *
series_cp_at (const struct hseries *s, size_t r)
{
  for (size_t i = 0; i < s->ncp; i++)
    if (s->run[s->cp[i].at] == r)
      return &s->cp[i];
  return NULL;
}

/* "+41.5% (95%: +30.1% .. +52.0%, p = 0.004)". */
static void
cp_text (const struct change_point *cp, double alpha, char *buf, size_t n)
{
  snprintf (buf, n, "%+.1f%% (%.0f%%: %+.1f%% .. %+.1f%%, p = %.2g)",
            expm1 (cp->shift) * 100, (1 - alpha) * 100, expm1 (cp->lo) * 100,
            expm1 (cp->hi) * 100, cp->p);
}


/* A run's record is usable when it is complete or imported; a
 * "running" record whose runner is gone was killed (record_status).
 */
static bool
usable (const char *id, const struct rm_run *run)
{
  const char *st = run->status_now;
  const char *written = run->status;

  if (strcmp (st, "complete") == 0 || strcmp (st, "imported") == 0)
    return true;
  if (strcmp (st, "running") == 0)
    fprintf (stderr, "viperbench: %s: still running, skipped\n", id);
  else if (written && strcmp (written, "running") == 0)
    vb_warn ("%s: its runner is gone (killed): treated as aborted, skipped", id);
  else
    vb_warn ("%s: status %s, skipped", id, st);
  return false;
}

static const struct cli_opt history_opts[] = {
  { "results", 'o', "DIR", "the results directory (default results)" },
  { "prefix", 'p', "PREFIX", "records named PREFIXN (default VM-)" },
  { "alpha", 'a', "LEVEL", "the change points' significance level "
    "(default 0.05)" },
  { NULL, 0, NULL, NULL },
};
static const struct cli history_cli = {
  "history", "[OPTIONS] SCENARIO",
  "Every complete or imported record of SCENARIO in number order, per\n"
  "layer, with its change points (where IOPS or read p99 changed level,\n"
  "significant at --alpha) and trend charts in DIR/history-SCENARIO/.\n",
  history_opts, false,
};

/* One history: the options, the runs of the scenario, its layers and
 * their change points.
 */
struct history {
  const char *results, *prefix, *scenario;
  double alpha;
  struct hrun *runs;
  size_t nruns;
  char **layers;
  size_t nlayers;
  struct hseries (*cps)[2];     /* per layer: IOPS, read p99 */
  char *cdir;                   /* RESULTS/history-SCENARIO */
};

/* The options into H: -1 to go on, else the exit code. */
static int
history_options (struct history *h, int argc, char **argv)
{
  int c;

  optind = 1;
  while ((c = cli_next (&history_cli, argc, argv)) != -1) {
    char *end;

    switch (c) {
    case 'o': h->results = optarg; break;
    case 'p': h->prefix = optarg; break;
    case 'a':
      h->alpha = strtod (optarg, &end);
      if (*end || !(h->alpha > 0 && h->alpha < 0.5)) {
        vb_msg ("history: --alpha '%s': a significance level between 0 "
                "and 0.5, e.g. 0.05", optarg);
        return EXIT_BAD_INPUT;
      }
      break;
    case CLI_HELP: return 0;
    default: return EXIT_BAD_INPUT;
    }
  }
  if (optind != argc - 1)
    return cli_bad (&history_cli, optind == argc ? "which scenario?"
                    : "one scenario at a time");
  h->scenario = argv[optind];
  if (!plain_name (h->scenario) || !plain_name (h->prefix)) {
    vb_msg ("history: %s '%s' is not a plain name", plain_name (h->scenario)
            ? "--prefix" : "scenario",
            plain_name (h->scenario) ? h->prefix : h->scenario);
    return EXIT_BAD_INPUT;
  }
  return -1;
}

/* The usable records of the scenario, in number order, and their layers
 * in order of first appearance; 0 or the exit code.
 */
static int
history_load (struct history *h)
{
  struct record_entry *ents;
  ssize_t nents;

  if ((nents = record_list (h->results, h->prefix, &ents)) == -1)
    return EXIT_BAD_INPUT;
  for (size_t i = 0; i < (size_t) nents; i++) {
    const char *why, *name;
    cJSON *doc = record_load (ents[i].dir, &why);
    struct rm_run run;

    if (doc == NULL) {
      if (record_other_kind (ents[i].dir))
        vb_warn ("%s is %s, not a run: skipped (viperbench report %s shows "
                 "it)", ents[i].id, record_other_kind (ents[i].dir),
                 ents[i].id);
      else
        vb_warn ("%s: no readable run.json, skipped (%s)", ents[i].id, why);
      continue;
    }
    rm_run_read (doc, &run);
    name = run.scenario;
    if (name == NULL || strcmp (name, h->scenario) != 0 ||
        run.kind != RECORD_RUN || !usable (ents[i].id, &run)) {
      rm_run_free (&run);
      cJSON_Delete (doc);
      continue;
    }
    h->runs = xreallocarray (h->runs, h->nruns + 1, sizeof *h->runs);
    h->runs[h->nruns++] = (struct hrun) { ents[i].num, xstrdup (ents[i].id),
                                          doc, run };
  }
  record_list_free (ents, (size_t) nents);
  if (h->nruns == 0) {
    vb_msg ("history: no complete or imported record of scenario '%s' in %s",
            h->scenario, h->results);
    return EXIT_BAD_INPUT;
  }
  for (size_t r = 0; r < h->nruns; r++) {
    for (size_t ti = 0; ti < h->runs[r].run.ntargets; ti++) {
      const char *name = h->runs[r].run.targets[ti].name;
      size_t k;

      for (k = 0; k < h->nlayers && strcmp (h->layers[k], name) != 0; k++)
        ;
      if (k == h->nlayers) {
        h->layers = xreallocarray (h->layers, h->nlayers + 1, sizeof *h->layers);
        h->layers[h->nlayers++] = xstrdup (name);
      }
    }
  }
  h->cps = xcalloc (h->nlayers, sizeof *h->cps);
  return 0;
}

/* Layer K's change points, its table (into D) and its chart's data. */
static void
history_layer (struct history *h, size_t k, struct doc *d)
{
  const struct hrun *runs = h->runs;
  char *dat = xasprintf ("%s/%s.dat", h->cdir, h->layers[k]);   /* plain names */
  FILE *df = fopen_out (dat);
  struct hseries *hs = h->cps[k];
  size_t shown = 0;

  hs[0].label = "IOPS";
  hs[1].label = "read p99";
  for (size_t r = 0; r < h->nruns; r++) {
    const struct rm_target *me = rm_target_named (&runs[r].run, h->layers[k]);

    if (me == NULL)
      continue;
    series_add (&hs[0], r, rm_iops (me));
    series_add (&hs[1], r, me->dir[RM_READ].p99_ns);
  }
  for (int m = 0; m < 2; m++)
    hs[m].ncp = stats_change_points (hs[m].v, hs[m].n, h->alpha, hs[m].cp,
                                     HIST_MAX_CP);

  doc_heading (d, 2);
  doc_text (d, "%s", h->layers[k]);
  doc_table (d, "llllrrrl");
  doc_cells (d, (const char *const[]) { "run", "date", "system under test",
                 "description", "IOPS (r+w)", "read p99", "vs host",
                 "change point", NULL });
  for (size_t r = 0; r < h->nruns; r++) {
    const struct rm_target *host = rm_baseline (&runs[r].run);
    const struct rm_target *me = rm_target_named (&runs[r].run, h->layers[k]);
    double iops, p99, ratio = NAN;
    char si[16], sp[16], sr[16];
    bool any = false;

    if (me == NULL)
      continue;
    iops = rm_iops (me);
    p99 = me->dir[RM_READ].p99_ns;
    if (host)
      ratio = iops / rm_iops (host);
    fmt_iops (si, sizeof si, iops);
    fmt_ns (sp, sizeof sp, p99);
    if (isnan (ratio)) snprintf (sr, sizeof sr, "-");
    else snprintf (sr, sizeof sr, "%.3fx", ratio);
    doc_cell (d);
    doc_text (d, "%s", runs[r].id);
    doc_cell (d);
    doc_data (d, runs[r].run.started ? runs[r].run.started
              : runs[r].run.imported_at ? runs[r].run.imported_at : "-");
    doc_cell (d);
    doc_data (d, runs[r].run.sut_id ? runs[r].run.sut_id : "-");
    doc_cell (d);
    doc_data (d, runs[r].run.description);
    doc_cell (d);
    doc_text (d, "%s", si);
    doc_cell (d);
    doc_text (d, "%s", sp);
    doc_cell (d);
    doc_text (d, "%s", sr);
    doc_cell (d);
    for (int m = 0; m < 2; m++) {
      const struct change_point *cp = series_cp_at (&hs[m], r);

      if (cp == NULL)
        continue;
      if (any)
        doc_text (d, "; ");
      doc_bold (d, "%s %+.1f%%", hs[m].label, expm1 (cp->shift) * 100);
      any = true;
    }
    if (!any)
      doc_text (d, "-");
    if (df) {
      fprintf (df, "%ld %.0f %.0f ", runs[r].num, iops, isnan (p99) ? -1 : p99);
      gp_string (df, runs[r].id, '"');
      fputc ('\n', df);
    }
  }
  if (df)
    fclose_out (df, dat);
  free (dat);
  for (int m = 0; m < 2; m++)
    for (size_t i = 0; i < hs[m].ncp; i++) {
      const struct change_point *cp = &hs[m].cp[i];
      char t[128];

      if (shown++ == 0) {
        doc_heading (d, 3);
        doc_text (d, "Change points of %s", h->layers[k]);
        doc_table (d, "lllr");
        doc_cells (d, (const char *const[]) { "metric", "between", "shift",
                       "runs before / after", NULL });
      }
      cp_text (cp, h->alpha, t, sizeof t);
      doc_cell (d);
      doc_text (d, "%s", hs[m].label);
      doc_cell (d);
      doc_text (d, "%s and %s", runs[hs[m].run[cp->at - 1]].id,
                runs[hs[m].run[cp->at]].id);
      doc_cell (d);
      doc_text (d, "%s", t);
      doc_cell (d);
      doc_text (d, "%zu / %zu%s", cp->n_before, cp->n_after,
                cp->n_before == 1 || cp->n_after == 1
                ? " (one run on a side: a change or an outlier)" : "");
    }
  if (shown == 0) {
    doc_para (d);
    doc_text (d, "No change point in %s's IOPS or read p99 over %zu "
                 "runs (p < %g).", h->layers[k], hs[0].n, h->alpha);
  }
  {
    char *alt = xasprintf ("%s trend", h->layers[k]);
    char *path = xasprintf ("history-%s/%s.svg", h->scenario, h->layers[k]);

    doc_image (d, alt, path);
    free (alt);
    free (path);
  }
}

/* One chart per layer: IOPS (left axis) and read p99 (right, log). */
static void
history_chart (const struct history *h)
{
  char *gp = xasprintf ("%s/trend.gp", h->cdir);
  FILE *g = fopen_out (gp);

  if (g == NULL) {
    free (gp);
    return;
  }
  fprintf (g, "# Generated by viperbench history.\n"
              "set grid\nset key bottom right\nset xlabel 'run'\n"
              "set ylabel 'IOPS (read+write)'\nset y2label 'read p99 (ms)'\n"
              "set ytics nomirror\nset y2tics\nset yrange [0:*]\n"
              "set format y '%%.1s%%c'\n%s", h->nruns <= 20 ? "set xtics 1\n" : "");
  fprintf (g, "scenario = ");
  gp_string (g, h->scenario, '\'');
  fputc ('\n', g);
  for (size_t k = 0; k < h->nlayers; k++) {
    /* The change points: a line between the runs either side. */
    fprintf (g, "unset arrow\nunset label\n");
    for (int m = 0; m < 2; m++)
      for (size_t i = 0; i < h->cps[k][m].ncp; i++) {
        const struct hseries *hs = &h->cps[k][m];
        const struct change_point *cp = &hs->cp[i];
        double x = (h->runs[hs->run[cp->at - 1]].num +
                    h->runs[hs->run[cp->at]].num) / 2.0;

        fprintf (g, "set arrow from %g, graph 0 to %g, graph 1 nohead "
                    "lw 2 dt 3 lc rgb '%s'\n", x, x,
                 m == 0 ? "#c0392b" : "#7f8c8d");
        fprintf (g, "set label '%s %+.0f%%' at %g, graph %.2f left "
                    "offset char 0.5, 0 front textcolor rgb '%s'\n",
                 m == 0 ? "IOPS" : "p99",
                 expm1 (cp->shift) * 100, x, m == 0 ? 0.08 : 0.16,
                 m == 0 ? "#c0392b" : "#7f8c8d");
      }
    fprintf (g, "layer = ");
    gp_string (g, h->layers[k], '\'');
    fprintf (g, "\ndo for [t in 'svg png'] {\n"
                "  if (t eq 'svg') { set terminal svg size 900,400 dynamic noenhanced }\n"
                "  else { set terminal pngcairo size 900,400 noenhanced }\n"
                "  set output layer.'.'.t\n  set title scenario.': '.layer.' per run'\n"
                "  plot layer.'.dat' using 1:2 with linespoints lw 2 title 'IOPS', "
                "'' using 1:($3 < 0 ? NaN : $3/1e6) axes x1y2 with linespoints "
                "dt 2 title 'read p99'\n}\n");
  }
  if (fclose_out (g, gp) == 0)
    gp_run (h->cdir, "trend.gp");
  free (gp);
}

static void
history_free (struct history *h)
{
  for (size_t r = 0; r < h->nruns; r++) {
    free (h->runs[r].id);
    rm_run_free (&h->runs[r].run);
    cJSON_Delete (h->runs[r].doc);
  }
  free (h->runs);
  for (size_t k = 0; k < h->nlayers; k++) {
    for (int m = 0; h->cps && m < 2; m++) {
      free (h->cps[k][m].run);
      free (h->cps[k][m].v);
    }
    free (h->layers[k]);
  }
  free (h->cps);
  free (h->layers);
  free (h->cdir);
}

int
history_main (int argc, char **argv)
{
  struct history h = { .results = "results", .prefix = "VM-", .alpha = 0.05 };
  struct doc *d;
  char *md, *out, *title;
  int rc;

  if ((rc = history_options (&h, argc, argv)) != -1)
    return rc;
  if ((rc = history_load (&h)) != 0) {
    history_free (&h);
    return rc;
  }
  h.cdir = xasprintf ("%s/history-%s", h.results, h.scenario);
  mkdir_p (h.cdir, 0755);
  d = doc_new ();
  doc_heading (d, 1);
  doc_text (d, "History of %s: %zu runs", h.scenario, h.nruns);
  doc_para (d);
  doc_text (d, "Change points: where a layer's total IOPS or read p99 "
            "changed level, found over all its runs (E-Divisive means places "
            "each split; a t test on ln(value), corrected for having chosen "
            "the best split, keeps it at p < %g). Each is marked on the run "
            "that starts the new level, with the shift between the levels "
            "either side, its interval and the runs each side has; a single "
            "outlier is not one (with one run on a side, a change and an "
            "outlier look alike: the next run tells). Ratios are to the same "
            "run's host layer.", h.alpha);
  for (size_t k = 0; k < h.nlayers; k++)
    history_layer (&h, k, d);
  history_chart (&h);

  md = doc_md (d);
  fputs (md, stdout);
  out = xasprintf ("%s/history-%s.md", h.results, h.scenario);
  if (write_file_atomic (out, md, strlen (md)) == -1)
    rc = EXIT_RUN_FAILED;
  else
    fprintf (stderr, "viperbench: written to %s\n", out);
  free (out);
  /* The same as a page, its trend charts inlined. */
  out = xasprintf ("%s/history-%s.html", h.results, h.scenario);
  title = xasprintf ("%s: viperbench history", h.scenario);
  if (html_page (out, title, d, h.results, NULL, NULL, NULL) == -1)
    rc = EXIT_RUN_FAILED;
  else
    fprintf (stderr, "viperbench: written to %s\n", out);
  free (title);
  free (out);
  free (md);
  doc_free (d);
  history_free (&h);
  return rc;
}
