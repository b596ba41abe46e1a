/* sweep_report.c: the report of a queue-depth sweep (kind "sweep"): each
 * layer's response curve (IOPS, read p50 and p99 against iodepth), the
 * requests in flight at each boundary against iodepth, each layer's knee
 * and the boundary whose concurrency stops growing there.  The knee and
 * the plateau are pure functions (tests/unit/test_hops.c).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The knee of a response curve; see internal.h. */
int
sweep_knee (const double *iops, const double *lat, size_t n)
{
  for (size_t k = 0; k + 1 < n; k++) {
    double best = 0;

    if (!(iops[k] > 0) || isnan (lat[k]))
      continue;
    for (size_t j = k + 1; j < n; j++)
      if (iops[j] > best)
        best = iops[j];
    if (best < 1.10 * iops[k] && lat[n - 1] > 1.10 * lat[k])
      return (int) k;
  }
  return -1;
}

/* Whether a boundary's concurrency stops growing from point K; see
 * internal.h.
 */
bool
sweep_plateau (const double *flight, const double *asked, size_t n, size_t k)
{
  if (k >= n || isnan (flight[k]) || isnan (flight[n - 1]) || !(flight[k] > 0))
    return false;
  return flight[n - 1] <= 1.10 * flight[k] && asked[n - 1] >= 2 * flight[n - 1];
}

/* The most in flight at boundary NAME of point PT, or NAN. */
static double
pt_flight (const struct rm_target *pt, const char *name)
{
  const struct rm_boundary *b = rm_boundary_named (pt, name);

  return b ? b->flight_max : NAN;
}

/* The boundaries below fio of a layer's last point (their names). */
static size_t
layer_boundaries (const struct rm_target *t, const char **names, size_t max)
{
  const struct rm_target *last;
  size_t n = 0;

  if (t->npoints == 0)
    return 0;
  last = &t->points[t->npoints - 1];
  for (size_t i = 0; i < last->nbounds; i++) {
    const char *nm = last->bounds[i].name;

    if (nm && strcmp (nm, "fio") != 0 && plain_name (nm) && n < max)
      names[n++] = nm;
  }
  return n;
}

/* Where the knee's plateau lies: the topmost of the NB boundaries NAMES
 * whose concurrency stops growing at point KNEE of layer T, in words.
 */
static void
sweep_plateau_words (struct doc *dc, const struct rm_target *t,
                     const char *const *names, size_t nb, size_t knee)
{
  size_t n = t->npoints;
  double *flight = xcalloc (n + 1, sizeof *flight);
  double *asked = xcalloc (n + 1, sizeof *asked);

  for (size_t k = 0; k < nb; k++) {
    for (size_t j = 0; j < n; j++) {
      const struct rm_boundary *fio = rm_boundary_named (&t->points[j], "fio");

      flight[j] = pt_flight (&t->points[j], names[k]);
      asked[j] = fio ? rm_concurrency (fio) : NAN;
    }
    if (sweep_plateau (flight, asked, n, knee)) {
      const struct rm_boundary *b = rm_boundary_named (&t->points[n - 1],
                                                       names[k]);

      doc_text (dc, " The concurrency at ");
      doc_bold (dc, "%s stops growing at %.0f", names[k], flight[knee]);
      doc_text (dc, " (%.0f at iodepth %.0f) while fio asks %.0f: ",
                flight[n - 1], t->points[n - 1].iodepth, asked[n - 1]);
      doc_data (dc, rm_or_q (b ? b->via : NULL));
      doc_text (dc, ".");
      break;
    }
  }
  free (flight);
  free (asked);
}

/* One layer's section of the report, and its data files in CDIR
 * (NULL: none) as layer index LI.
 */
static void
sweep_layer (struct doc *dc, const struct rm_target *t, const char *cdir,
             size_t li)
{
  size_t n = t->npoints;
  double *depth = xcalloc (n + 1, sizeof *depth), *iops = xcalloc (n + 1, sizeof *iops);
  double *p50 = xcalloc (n + 1, sizeof *p50), *p99 = xcalloc (n + 1, sizeof *p99);
  const char *names[8];
  size_t nb = layer_boundaries (t, names, 8);
  char align[16] = "rrrr";
  int knee;
  FILE *d = NULL;
  char *dpath = NULL;

  doc_heading (dc, 2);
  doc_text (dc, "%s", t->name);
  for (size_t b = 0; b < nb; b++)
    align[4 + b] = 'r';
  doc_table (dc, align);
  doc_cells (dc, (const char *const[]) { "iodepth", "IOPS", "read p50",
                 "read p99", NULL });
  for (size_t b = 0; b < nb; b++) {
    doc_cell (dc);
    doc_text (dc, "%s in flight (max)", names[b]);
  }
  if (cdir) {
    dpath = xasprintf ("%s/curve-%zu.dat", cdir, li);
    d = fopen_out (dpath);
  }
  for (size_t i = 0; i < n; i++) {
    const struct rm_target *pt = &t->points[i];
    char io[16], a[16], b[16];

    depth[i] = pt->iodepth;
    iops[i] = rm_iops (pt);
    p50[i] = pt->dir[RM_READ].p50_ns;
    p99[i] = pt->dir[RM_READ].p99_ns;
    fmt_iops (io, sizeof io, iops[i]);
    fmt_ns (a, sizeof a, p50[i]);
    fmt_ns (b, sizeof b, p99[i]);
    doc_cell (dc);
    doc_text (dc, "%.0f", depth[i]);
    doc_cell (dc);
    doc_text (dc, "%s", io);
    doc_cell (dc);
    doc_text (dc, "%s", a);
    doc_cell (dc);
    doc_text (dc, "%s", b);
    if (d)
      fprintf (d, "%g %g %g %g", depth[i], iops[i], p50[i], p99[i]);
    for (size_t k = 0; k < nb; k++) {
      double v = pt_flight (pt, names[k]);

      doc_cell (dc);
      if (isnan (v))
        doc_text (dc, "-");
      else
        doc_text (dc, "%.0f", v);
      if (d)
        fprintf (d, " %g", v);
    }
    if (d)
      fprintf (d, "\n");
  }
  if (d)
    fclose_out (d, dpath);
  free (dpath);
  knee = sweep_knee (iops, p50, n);
  doc_para (dc);
  if (knee < 0)
    doc_text (dc, "No knee within the depths swept: IOPS still grew by "
                  "10%% or more past each depth, or latency did not grow.");
  else {
    char io[16];

    fmt_iops (io, sizeof io, iops[knee]);
    doc_bold (dc, "Knee at iodepth %.0f", depth[knee]);
    doc_text (dc, " (%s IOPS): deeper queues add under 10%% IOPS while read "
                  "p50 grows from %.0f us to %.0f us.", io, p50[knee] / 1000,
              p50[n - 1] / 1000);
    /* The topmost boundary whose concurrency stops growing there. */
    sweep_plateau_words (dc, t, names, nb, (size_t) knee);
  }
  free (depth);
  free (iops);
  free (p50);
  free (p99);
}

/* The charts' script in CDIR for the record's layers. */
static int
sweep_charts (const char *cdir, const struct rm_run *run, const char *title)
{
  char *p = xasprintf ("%s/charts.gp", cdir);
  FILE *f = fopen_out (p);
  size_t li;
  int r;

  if (f == NULL) {
    vb_msg ("open %s: %s", p, strerror (errno));
    free (p);
    return -1;
  }
  fprintf (f, "scenario = ");
  gp_string (f, title, '\'');
  fprintf (f, "\n# Generated by viperbench report (sweep).\n"
"set encoding utf8\nset grid\nset key top left\nset logscale x 2\n"
"set xlabel 'iodepth (per job)'\nset style data linespoints\n"
"do for [t in 'svg png'] {\n"
"  if (t eq 'svg') { set terminal svg size 900,500 dynamic noenhanced font 'sans,12' }\n"
"  else { set terminal pngcairo size 900,500 noenhanced font 'sans,11' }\n"
"  set output 'iops.'.t\n  set title 'IOPS against queue depth ('.scenario.')'\n"
"  set ylabel 'IOPS'\n  set format y '%%.0s%%c'\n  set yrange [0:*]\n  plot ");
  for (li = 0; li < run->ntargets; li++) {
    fprintf (f, "%s'curve-%zu.dat' using 1:2 lw 2 title ", li ? ", " : "", li);
    gp_string (f, run->targets[li].name, '\'');
  }
  fprintf (f, "\n  set output 'latency.'.t\n"
"  set title 'Read latency against queue depth (p50 solid, p99 dashed)'\n"
"  set ylabel 'latency'\n  set logscale y\n  set format y '%%.0s%%cs'\n"
"  set yrange [*:*]\n  plot ");
  for (li = 0; li < run->ntargets; li++) {
    fprintf (f, "%s'curve-%zu.dat' using 1:($3/1e9) lw 2 lc %zu title ",
             li ? ", " : "", li, li + 1);
    gp_string (f, run->targets[li].name, '\'');
    fprintf (f, ", 'curve-%zu.dat' using 1:($4/1e9) lw 1 dt 2 lc %zu notitle",
             li, li + 1);
  }
  fprintf (f, "\n  unset logscale y\n  set output 'inflight.'.t\n"
"  set title 'Most requests in flight at each boundary'\n"
"  set ylabel 'in flight (max)'\n  set logscale y 2\n  set format y '%%g'\n"
"  plot ");
  {
    bool first = true;

    for (li = 0; li < run->ntargets; li++) {
      const struct rm_target *t = &run->targets[li];
      const char *names[8];
      size_t nb = layer_boundaries (t, names, 8);
      char label[96];

      for (size_t b = 0; b < nb; b++) {
        snprintf (label, sizeof label, "%s: %s", t->name, names[b]);
        fprintf (f, "%s'curve-%zu.dat' using 1:%zu lw 2 title ",
                 first ? "" : ", ", li, 5 + b);
        gp_string (f, label, '\'');
        first = false;
      }
    }
    if (first)
      fprintf (f, "NaN notitle");
  }
  fprintf (f, "\n  unset logscale y\n}\n");
  if (fclose_out (f, p) == -1) {
    free (p);
    return -1;
  }
  free (p);
  r = gp_run (cdir, "charts.gp");
  return r;
}

/* A depth sweep's Markdown (and with DRAW its charts in DIR/charts); see
 * internal.h.
 */
static struct doc *
depth_doc (const char *dir, const cJSON *doc, bool draw, int *r)
{
  struct rm_run run;
  char *cdir = draw ? xasprintf ("%s/charts", dir) : NULL;
  struct doc *d = doc_new ();
  const char *scen;

  rm_run_read (doc, &run);
  scen = rm_or_q (run.scenario);
  if (cdir)
    mkdir_p (cdir, 0755);
  doc_heading (d, 1);
  doc_text (d, "%s: %s, queue-depth sweep", rm_or_q (run.id), scen);
  doc_para (d);
  if (run.description && *run.description)
    doc_data (d, run.description);
  else
    doc_text (d, "(no description)");
  doc_item (d);
  doc_text (d, "status: %s", run.status_now);
  if (run.reason) {
    doc_text (d, ": ");
    doc_data (d, run.reason);
  }
  doc_item (d);
  doc_text (d, "stack: ");
  doc_data (d, rm_or_q (run.stack));
  doc_text (d, "; scenario %s at %g jobs", scen, run.jobs);
  doc_item (d);
  doc_text (d, "started ");
  doc_data (d, rm_or_q (run.started));
  doc_text (d, ", finished ");
  doc_data (d, run.finished ? run.finished : "-");
  report_notes (d, dir);
  doc_para (d);
  doc_text (d, "Each layer at each queue depth (every job's iodepth). The knee "
               "is the depth past which IOPS gains under 10%% while read p50 "
               "keeps growing; the boundary named there is the topmost whose "
               "most requests in flight stop growing with the depth.");
  for (size_t i = 0; i < run.ntargets; i++)
    sweep_layer (d, &run.targets[i], cdir, i);
  doc_heading (d, 2);
  doc_text (d, "Charts");
  doc_image (d, "IOPS against iodepth", "charts/iops.svg");
  doc_image (d, "Read latency against iodepth", "charts/latency.svg");
  doc_image (d, "In flight at each boundary", "charts/inflight.svg");
  doc_para (d);
  doc_text (d, "PNG versions beside them in charts/.");
  *r = cdir ? sweep_charts (cdir, &run, scen) : 0;
  free (cdir);
  rm_run_free (&run);
  return d;
}

/* A sweep's document: of depths, or of loads (scale.c). */
struct doc *
sweep_doc (const char *dir, const cJSON *doc, bool draw, int *r)
{
  if (record_kind (doc) == RECORD_SCALE_SWEEP)
    return scale_doc (dir, doc, draw, r);
  return depth_doc (dir, doc, draw, r);
}
