/* report.c: `viperbench report VM-N`: a run's Markdown report with
 * gnuplot charts, written into the record (report.md, charts/).
 *
 * It reads run.json and each layer's fio.json (for the latency bins),
 * never the live system, so it can be rewritten at any time.  A layer
 * whose fio.json is missing or unreadable is reported without its
 * distribution, with a warning.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

/* One layer's numbers, from run.json (and fio.json for the bins). */
struct layer_rep {
  bool base;                    /* the record's baseline layer */
  const char *name;
  double riops, wiops, rbw, rmean, rp50, rp99, rp999, wmean, wp99;
  double ratio_host;            /* total IOPS / host's, or NAN */
  struct bins lat;              /* merged read+write latency bins */
  const struct rm_target *t;    /* the record's target */
  double cores;                 /* the host's CPUs */
};

/* A boundary's name and via, "?" when the record lacks them. */
#define bd_name(bd) ((bd)->name ? (bd)->name : "?")
#define bd_via(bd) ((bd)->via ? (bd)->via : "?")

/* Processes the CPU chart stacks (columns of cpu.dat). */
#define MAX_CPU_ROLES 8

/* Fact KEY of layer T: a number or a string, as written. */
static void
setup_value (struct doc *d, const struct rm_target *t, const char *key)
{
  const struct rm_fact *f = rm_fact (t, key);

  if (f && f->type == RM_FACT_NUM)
    doc_text (d, "%g", f->num);
  else if (f && f->type == RM_FACT_TEXT)
    doc_data (d, f->text);
  else if (f && f->type == RM_FACT_BOOL)
    doc_text (d, "%s", f->on ? "on" : "off");
  else
    doc_text (d, "?");
}

/* Whether layer T has facts to list: in its target's words, or (a
 * record from before them) its setup, unless the load clients' section
 * shows that.
 */
static bool
has_facts (const struct rm_target *t)
{
  if (t->nlabels)
    return true;
  for (size_t k = 0; k < t->nfacts && !t->has_clients; k++)
    if (t->facts[k].type != RM_FACT_NONE)
      return true;
  for (size_t k = 0; k < t->nbounds; k++)
    if (!isnan (t->bounds[k].utilisation))
      return true;
  return false;
}

/* One row of the facts' table: the layer's name on its first. */
static void
fact_row (struct doc *d, const char *layer, bool *first, const char *label)
{
  doc_cell (d);
  doc_text (d, "%s", *first ? layer : "");
  doc_cell (d);
  doc_data (d, label);
  doc_cell (d);
  *first = false;
}

/* Each layer's facts as its target gave them (how a guest's VM ran and
 * what that means for its figures), and the busy share of a device a
 * boundary measured (iostat's %util inside a guest).
 */
static void
layer_facts (struct doc *d, const struct layer_rep *L, size_t n)
{
  bool any = false;

  for (size_t i = 0; i < n; i++) {
    const struct rm_target *t = L[i].t;
    bool first = true;

    if (!has_facts (t))
      continue;
    if (!any) {
      doc_heading (d, 2);
      doc_text (d, "Layer setup");
      doc_para (d);
      doc_text (d, "What each layer's target recorded of how it ran, in "
                "its own words.");
      doc_table (d, "lll");
      doc_cells (d, (const char *const[]) { "layer", "fact", "value", NULL });
    }
    any = true;
    for (size_t k = 0; k < t->nlabels; k++) {
      fact_row (d, L[i].name, &first, t->labels[k].label);
      doc_data (d, t->labels[k].value);
    }
    /* A record from before the targets' own words: their setup. */
    for (size_t k = 0; t->nlabels == 0 && !t->has_clients && k < t->nfacts; k++) {
      const struct rm_fact *f = &t->facts[k];

      if (f->type == RM_FACT_NONE)
        continue;
      fact_row (d, L[i].name, &first, f->key);
      if (f->type == RM_FACT_NUM)
        doc_text (d, "%.10g", f->num);
      else
        setup_value (d, t, f->key);
    }
    for (size_t k = 0; k < t->nbounds; k++) {
      const struct rm_boundary *b = &t->bounds[k];
      char *label;

      if (isnan (b->utilisation))
        continue;
      label = xasprintf ("%s busy", bd_name (b));
      fact_row (d, L[i].name, &first, label);
      free (label);
      doc_text (d, "%.0f%% of the window (/proc/diskstats, iostat's %%util)",
                100 * b->utilisation);
      if (!isnan (b->flight_mean))
        doc_text (d, ", %.3g requests in flight on average", b->flight_mean);
    }
  }
}

/* The record's services (run.json "services"): what ran beside the
 * layers, for which of them, and where its log is.
 */
static void
services (struct doc *d, const struct rm_run *r)
{
  if (r->nservices == 0)
    return;
  doc_heading (d, 2);
  doc_text (d, "Services");
  doc_para (d);
  doc_text (d, "Started before the first layer that needs them and stopped "
            "after the last; billed and profiled with those layers (with "
            "their worker processes).");
  doc_table (d, "lllrl");
  doc_cells (d, (const char *const[]) { "role", "kind", "layers", "ready in",
                 "log", NULL });
  for (size_t i = 0; i < r->nservices; i++) {
    const struct rm_service *s = &r->services[i];

    doc_cell (d);
    doc_data (d, s->role);
    doc_cell (d);
    doc_data (d, s->kind);
    doc_cell (d);
    for (size_t k = 0; k < s->nlayers; k++) {
      if (k)
        doc_text (d, ", ");
      doc_data (d, s->layers[k]);
    }
    doc_cell (d);
    if (isnan (s->ready_s))
      doc_text (d, "-");
    else
      doc_text (d, "%.2f s", s->ready_s);
    doc_cell (d);
    doc_data (d, s->log);
  }
  for (size_t i = 0; i < r->nservices; i++) {
    const struct rm_service *s = &r->services[i];

    doc_item (d);
    doc_data (d, s->role);
    doc_text (d, ": ");
    doc_data (d, s->command);
    if (s->ended) {
      doc_text (d, " (");
      doc_bold_data (d, s->ended);
      doc_text (d, ")");
    }
  }
}


/* Bytes per second as MiB/s with one decimal, "-" when unknown. */
static void
mib (char *buf, size_t n, double bytes)
{
  if (isnan (bytes))
    snprintf (buf, n, "-");
  else
    snprintf (buf, n, "%.1f", bytes / 1048576.0);
}

/* "3.1x slower", "1.2x faster", "as fast" for B relative to A. */
static void
words (char *buf, size_t n, double a, double b)
{
  if (!(a > 0) || !(b > 0) || isnan (a) || isnan (b))
    snprintf (buf, n, "-");
  else if (b / a > 0.995 && b / a < 1.005)
    snprintf (buf, n, "as fast");
  else if (b < a)
    snprintf (buf, n, "%.1fx slower", a / b);
  else
    snprintf (buf, n, "%.1fx faster", b / a);
}

/* Layer L against the baseline, whose total IOPS are HOST_TOTAL:
 * "baseline" for itself, else in words.
 */
static void
vs_host (char *buf, size_t n, const struct layer_rep *l, double host_total)
{
  if (l->base)
    snprintf (buf, n, "baseline");
  else
    words (buf, n, host_total, l->riops + l->wiops);
}

/* True when layers A and B both ran the plugin and under different
 * nbdkit filter chains (their records' "filters"): a ratio between them
 * would measure the filters as well as the transport.
 */
static bool
unlike (const struct layer_rep *a, const struct layer_rep *b)
{
  const struct rm_target *ta = a->t, *tb = b->t;

  if (!ta->has_filters || !tb->has_filters)
    return false;
  if (ta->nfilters != tb->nfilters)
    return true;
  for (size_t k = 0; k < ta->nfilters; k++)
    if (ta->filters[k] == NULL || tb->filters[k] == NULL ||
        strcmp (ta->filters[k], tb->filters[k]) != 0)
      return true;
  return false;
}

/* The filters of layer L's record as "a, b" (or "none") into BUF. */
static void
filters_words (char *buf, size_t n, const struct layer_rep *l)
{
  size_t k = 0;

  buf[0] = '\0';
  for (size_t i = 0; i < l->t->nfilters; i++)
    k += (size_t) snprintf (buf + k, k < n ? n - k : 0, "%s%s", k ? ", " : "",
                            l->t->filters[i] ? l->t->filters[i] : "?");
  if (k == 0)
    snprintf (buf, n, "none");
}

static bool
any_timeline (const struct layer_rep *L, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (L[i].t->timeline.present)
      return true;
  return false;
}

/* A layer's steadiness in words (the timeline's verdict). */
static void
steadiness_words (struct doc *d, const struct rm_timeline *tl)
{
  size_t k = 0;

  if (!tl->present) {
    doc_text (d, "-");
    return;
  }
  if (tl->steady == 1)
    doc_text (d, "steady");
  else if (tl->steady == 0) {
    doc_bold (d, "unsteady");
    doc_text (d, " (trend %+.0f%%, spread %.0f%%)",
              100 * tl->trend, 100 * tl->spread);
  }
  else
    doc_text (d, "too short to judge");
  if (tl->nstalls > 0) {
    doc_text (d, ", ");
    doc_bold (d, "stalled");
    doc_text (d, " at ");
    for (; k < tl->nstall_list && k < 4; k++)
      doc_text (d, "%s%g s", k ? ", " : "", tl->stalls[k] * tl->interval_s);
    if (tl->nstalls > (double) k)
      doc_text (d, " (%g in all)", tl->nstalls);
  }
}

/* "## Runs over time": IOPS and p99 per second per layer, and whether
 * each reached a steady state (stats.c's rule, in words).
 */
static void
over_time (struct doc *d, const struct layer_rep *L, size_t n)
{
  if (!any_timeline (L, n))
    return;
  doc_heading (d, 2);
  doc_text (d, "Runs over time");
  doc_para (d);
  doc_text (d, "Per second, from fio's histogram logs (all jobs, read and "
            "write; p99 of fio's completion latency, which the viper "
            "engine starts at its queue call: the ladder's total latency "
            "less fio's own time to get a request ready).  A layer is ");
  doc_bold (d, "unsteady");
  doc_text (d, " when, over the last half of its run (at least %d seconds), "
            "its IOPS trend moves more than %.0f%% of their mean or a second "
            "lies more than %.0f%% from it (fio's ", STEADY_MIN_POINTS,
            100 * STEADY_TREND, 100 * STEADY_SPREAD);
  doc_code (d, "ss=iops_slope:");
  doc_text (d, " and ");
  doc_code (d, "ss=iops:");
  doc_text (d, " criteria); a second after the first with under %.0f%% of "
            "the run's median IOPS is a ", 100 * STALL_FRACTION);
  doc_bold (d, "stall");
  doc_text (d, ".  Figures of an unsteady or stalled layer are not its "
            "steady rate.");
  doc_table (d, "lrrrrrrl");
  doc_cells (d, (const char *const[]) { "layer", "seconds", "IOPS min",
                 "IOPS median", "IOPS max", "p99 median", "p99 max",
                 "over time", NULL });
  for (size_t i = 0; i < n; i++) {
    const struct rm_timeline *tl = &L[i].t->timeline;
    size_t m = 0, k = 0;
    double *v, *w, mn, md, mx, pmd = NAN, pmx = NAN;
    char x[3][16], y[2][16];

    if (!tl->present)
      continue;
    v = xcalloc (tl->niops + 1, sizeof *v);
    w = xcalloc (tl->np99 + 1, sizeof *w);
    for (size_t j = 0; j < tl->niops; j++)
      if (!isnan (tl->iops[j]))
        v[m++] = tl->iops[j];
    for (size_t j = 0; j < tl->np99; j++)
      if (!isnan (tl->p99_ns[j]))
        w[k++] = tl->p99_ns[j];
    mn = mx = md = NAN;
    for (size_t j = 0; j < m; j++) {
      mn = j == 0 || v[j] < mn ? v[j] : mn;
      mx = j == 0 || v[j] > mx ? v[j] : mx;
    }
    if (m)
      md = stats_median (v, m);
    for (size_t j = 0; j < k; j++)
      pmx = j == 0 || w[j] > pmx ? w[j] : pmx;
    if (k)
      pmd = stats_median (w, k);
    fmt_iops (x[0], sizeof x[0], mn);
    fmt_iops (x[1], sizeof x[1], md);
    fmt_iops (x[2], sizeof x[2], mx);
    fmt_ns (y[0], sizeof y[0], pmd);
    fmt_ns (y[1], sizeof y[1], pmx);
    doc_cell (d);
    doc_text (d, "%s", L[i].name);
    doc_cell (d);
    doc_text (d, "%zu", m);
    for (int c = 0; c < 3; c++) {
      doc_cell (d);
      doc_text (d, "%s", x[c]);
    }
    for (int c = 0; c < 2; c++) {
      doc_cell (d);
      doc_text (d, "%s", y[c]);
    }
    doc_cell (d);
    steadiness_words (d, tl);
    free (v);
    free (w);
  }
  doc_image (d, "IOPS per second", "charts/timeline-iops.svg");
  doc_image (d, "p99 per second", "charts/timeline-p99.svg");
}

/* Whether any layer has fio's latency bins. */
static bool
any_bins (const struct layer_rep *L, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (L[i].lat.total > 0)
      return true;
  return false;
}

/* The latency chart's part of the script: a percentile curve per layer
 * with fio's latency bins (text imported has none); with none, no chart.
 */
static void
gp_latency (FILE *f, const struct layer_rep *L, size_t n)
{
  if (!any_bins (L, n))
    return;
  fprintf (f,
"  set output 'latency.'.t\n"
"  set style data lines\n"
"  set title 'Latency distribution (read+write, fio total latency)'\n"
"  set xlabel 'percentile (in nines: each step is ten times rarer)'\n"
"  set ylabel 'latency'\n"
"  set logscale y\n"
"  set format y '%%.0s%%cs'\n"
"  set xrange [0:*]\n"
"  set xtics ('0' 0, '50' log10(2), '90' 1, '99' 2, '99.9' 3, '99.99' 4, "
"'99.999' 5, '99.9999' 6)\n"
"  set yrange [*:*]\n"
"  set key top left\n");
  /* x = -log10(1 - p): the tail (p99 to p99.99) gets as much of the axis
   * as p0 to p90, as HdrHistogram's plots give it; p100 is off the axis.
   */
  for (size_t i = 0, k = 0; i < n; i++) {
    if (!(L[i].lat.total > 0))
      continue;
    fprintf (f, "%s'lat-%zu.dat' using ($1 < 100 ? -log10(1 - $1/100) : "
             "NaN):($2/1e9) title ", k++ ? ", " : "  plot ", i);
    gp_string (f, L[i].name, '\'');
    fprintf (f, " lw 2");
  }
  fprintf (f, "\n  unset logscale y\n  unset xlabel\n  unset xrange\n"
              "  set xtics autofreq\n"
              "  set key top right\n  set style data histograms\n");
}

/* The timeline charts' part of the script: IOPS and p99 per second of
 * each layer that has a timeline.
 */
static void
gp_timeline (FILE *f, const struct layer_rep *L, size_t n)
{
  if (!any_timeline (L, n))
    return;
  for (int w = 0; w < 2; w++) {
    bool first = true;

    fprintf (f, "  set style data linespoints\n  set xlabel 'second of the run'\n"
                "  set logscale y\n  set key outside right top\n"
                "  set xrange [0:*]\n  set yrange [*:*]\n");
    if (w == 0)
      fprintf (f, "  set output 'timeline-iops.'.t\n"
                  "  set title 'IOPS per second (read+write)'\n"
                  "  set ylabel 'IOPS'\n  set format y '%%.0s%%c'\n  plot ");
    else
      fprintf (f, "  set output 'timeline-p99.'.t\n"
                  "  set title 'p99 completion latency per second'\n"
                  "  set ylabel 'p99'\n  set format y '%%.0s%%cs'\n  plot ");
    for (size_t i = 0; i < n; i++) {
      if (!L[i].t->timeline.present)
        continue;
      fprintf (f, "%s'tl-%zu.dat' using 1:%d title ", first ? "" : ", ", i,
               w == 0 ? 2 : 3);
      gp_string (f, L[i].name, '\'');
      fprintf (f, " lw 2 pt 7 ps 0.6");
      first = false;
    }
    fprintf (f, "\n");
  }
  fprintf (f, "  unset logscale y\n  unset xlabel\n  unset xrange\n"
              "  set key top right\n  set style data histograms\n");
}

/* Writes the charts' data into CDIR: IOPS, slowdown, the latency
 * curves, CPU per I/O by role (the roles, in order of appearance, into
 * ROLES) and the timelines.
 */
static void
charts_data (const char *cdir, const struct layer_rep *L, size_t n,
             const char **roles, size_t *nroles_out)
{
  size_t nroles = 0;
  FILE *f;
  char *p;

  p = xasprintf ("%s/iops.dat", cdir);
  f = fopen_out (p);
  for (size_t i = 0; f && i < n; i++) {
    gp_string (f, L[i].name, '"');
    fprintf (f, " %.0f %.0f\n", L[i].riops, L[i].wiops);
  }
  fclose_out (f, p);
  free (p);
  p = xasprintf ("%s/slowdown.dat", cdir);
  f = fopen_out (p);
  for (size_t i = 0; f && i < n; i++) {
    gp_string (f, L[i].name, '"');
    fprintf (f, " %.4f\n", isnan (L[i].ratio_host) || L[i].ratio_host <= 0
             ? 0 : 1 / L[i].ratio_host);
  }
  fclose_out (f, p);
  free (p);
  /* Latency percentile curves: x = percentile, y = latency (log). */
  for (size_t i = 0; i < n; i++) {
    p = xasprintf ("%s/lat-%zu.dat", cdir, i);
    f = fopen_out (p);
    if (f) {
      bins_write_curve (&L[i].lat, f);
      fclose_out (f, p);
    }
    free (p);
  }
  /* CPU per I/O: a column per process role, in order of appearance
   * (fio, nbdkit, qemu-nbd, qemu-system...).
   */
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < L[i].t->nprocs; j++) {
      const char *role = L[i].t->procs[j].role;
      size_t k;

      if (role == NULL || isnan (L[i].t->procs[j].cpu_us_per_io))
        continue;
      for (k = 0; k < nroles && strcmp (roles[k], role) != 0; k++)
        ;
      if (k == nroles && nroles < MAX_CPU_ROLES)
        roles[nroles++] = role;
    }
  p = xasprintf ("%s/cpu.dat", cdir);
  f = fopen_out (p);
  for (size_t i = 0; f && i < n; i++) {
    double us[MAX_CPU_ROLES] = { 0 };

    for (size_t j = 0; j < L[i].t->nprocs; j++) {
      const char *role = L[i].t->procs[j].role;
      double v = L[i].t->procs[j].cpu_us_per_io;

      for (size_t k = 0; role && !isnan (v) && k < nroles; k++)
        if (strcmp (roles[k], role) == 0)
          us[k] = v;
    }
    gp_string (f, L[i].name, '"');
    for (size_t k = 0; k < nroles; k++)
      fprintf (f, " %.2f", us[k]);
    fprintf (f, "%s\n", nroles ? "" : " 0");
  }
  fclose_out (f, p);
  free (p);

  /* Runs over time: "second iops p99_seconds" per layer that has one. */
  for (size_t i = 0; i < n; i++) {
    const struct rm_timeline *tl = &L[i].t->timeline;
    double dt = tl->interval_s;

    if (!tl->present)
      continue;
    p = xasprintf ("%s/tl-%zu.dat", cdir, i);
    f = fopen_out (p);
    for (size_t k = 0; f && k < tl->niops; k++)
      fprintf (f, "%g %g %g\n", (double) (k + 1) * (isfinite (dt) ? dt : 1),
               tl->iops[k], k < tl->np99 ? tl->p99_ns[k] / 1e9 : NAN);
    fclose_out (f, p);
    free (p);
  }
  *nroles_out = nroles;
}

/* Writes the charts' data and gnuplot script; runs gnuplot in
 * DIR (relative names only: no path from the record reaches a script).
 */
static int
charts (const char *dir, struct layer_rep *L, size_t n, const char *title)
{
  char *cdir = xasprintf ("%s/charts", dir), *p;
  const char *roles[MAX_CPU_ROLES];
  size_t nroles = 0;
  FILE *f;
  int r;

  mkdir_p (cdir, 0755);
  charts_data (cdir, L, n, roles, &nroles);
  p = xasprintf ("%s/charts.gp", cdir);
  f = fopen_out (p);
  if (f == NULL) {
    vb_msg ("open %s: %s", p, strerror (errno));
    free (p);
    free (cdir);
    return -1;
  }
  fprintf (f, "scenario = ");
  gp_string (f, title, '\'');
  fprintf (f, "\n"
"# Generated by viperbench report.\n"
"set encoding utf8\n"
"set style data histograms\n"
"set style histogram clustered gap 1\n"
"set style fill solid 0.8 border -1\n"
"set grid ytics\n"
"set key top right\n"
"do for [t in 'svg png'] {\n"
"  if (t eq 'svg') { set terminal svg size 900,500 dynamic noenhanced font 'sans,12' }\n"
"  else { set terminal pngcairo size 900,500 noenhanced font 'sans,11' }\n"
"  set output 'iops.'.t\n"
"  set title 'IOPS per layer ('.scenario.')'\n"
"  set ylabel 'IOPS'\n"
"  set format y '%%.0s%%c'\n"
"  set yrange [0:*]\n"
"  plot 'iops.dat' using 2:xtic(1) title 'read', '' using 3 title 'write'\n"
"  set output 'slowdown.'.t\n"
"  set title 'Slowdown against the host layer (total IOPS; 1 = as fast)'\n"
"  set ylabel 'times slower than host'\n"
"  set format y '%%g'\n"
"  plot 'slowdown.dat' using 2:xtic(1) notitle lc rgb '#c0392b'\n"
"  set output 'cpu.'.t\n"
"  set title 'CPU per I/O by process'\n"
"  set ylabel 'CPU microseconds per I/O'\n"
"  set style histogram rowstacked\n"
"  set boxwidth 0.6 relative\n"
"  set key outside right top\n"
"  plot 'cpu.dat' using 2:xtic(1) title ");
  gp_string (f, nroles ? roles[0] : "-", '\'');
  for (size_t k = 1; k < nroles; k++) {
    fprintf (f, ", '' using %zu title ", k + 2);
    gp_string (f, roles[k], '\'');
  }
  fprintf (f, "\n"
"  set style histogram clustered gap 1\n"
"  unset boxwidth\n"
"  set key inside top right\n");
  gp_latency (f, L, n);
  gp_timeline (f, L, n);
  fprintf (f, "}\n");
  if (fclose_out (f, p) == -1) {
    free (p);
    free (cdir);
    return -1;
  }
  free (p);
  r = gp_run (cdir, "charts.gp");
  free (cdir);
  return r;
}


/* A count of requests in flight: whole numbers as such. */
static void
fmt_flight (char *buf, size_t n, double v)
{
  if (isnan (v))
    snprintf (buf, n, "-");
  else if (v >= 10 || v == floor (v))
    snprintf (buf, n, "%.0f", v);
  else
    snprintf (buf, n, "%.2g", v);
}

/* "Where the time goes": each layer's boundaries, measured in one run. */
static void
where_time_goes (struct doc *d, const struct layer_rep *L, size_t n)
{
  bool any = false;

  doc_heading (d, 2);
  doc_text (d, "Where the time goes");
  for (size_t i = 0; i < n; i++)
    any |= L[i].t->nbounds > 0;
  doc_para (d);
  if (!any) {
    doc_text (d, "(no boundary inside a layer was measured in this record: "
              "it was imported, predates the probes, or its stack set "
              "\"probes\": \"off\")");
    return;
  }
  doc_text (d, "Measured at each boundary inside the stack, in the same run "
            "and over fio's window. A boundary's service time is what a "
            "request spends at and below it; ");
  doc_bold (d, "above");
  doc_text (d, " is the mean time between the boundary above and this one "
            "(queueing and transport), the difference of their means.");
  doc_table (d, "llrrrrrrrr");
  doc_cells (d, (const char *const[]) { "layer", "boundary", "read mean",
                 "read p99", "write mean", "write p99", "above (read)",
                 "above (write)", "in flight mean", "max", NULL });
  for (size_t i = 0; i < n; i++) {
    const struct rm_boundary *prev = NULL;

    for (size_t j = 0; j < L[i].t->nbounds; j++) {
      const struct rm_boundary *bd = &L[i].t->bounds[j];
      char c[8][20] = { "", "", "", "", "", "", "-", "-" }, mean[16], max[16];

      fmt_ns (c[2], sizeof c[2], bd->ops[RM_READ].mean_ns);
      fmt_ns (c[3], sizeof c[3], bd->ops[RM_READ].p99_ns);
      fmt_ns (c[4], sizeof c[4], bd->ops[RM_WRITE].mean_ns);
      fmt_ns (c[5], sizeof c[5], bd->ops[RM_WRITE].p99_ns);
      for (int w = 0; prev && w < 2; w++) {
        double up = prev->ops[w].mean_ns, here = bd->ops[w].mean_ns;
        char *out = c[6 + w];

        if (!isnan (up) && !isnan (here)) {
          out[0] = up >= here ? '+' : '-';
          fmt_ns (out + 1, 19, fabs (up - here));
        }
      }
      fmt_flight (mean, sizeof mean, bd->flight_mean);
      fmt_flight (max, sizeof max, rm_concurrency (bd));
      doc_cell (d);
      doc_text (d, "%s", prev ? "" : L[i].name);
      doc_cell (d);
      doc_data (d, bd_name (bd));
      for (int k = 2; k < 8; k++) {
        doc_cell (d);
        doc_text (d, "%s", c[k]);
      }
      doc_cell (d);
      doc_text (d, "%s", mean);
      doc_cell (d);
      doc_text (d, "%s%s", max,
                isnan (bd->flight_requested) ? ""
                : " requested");
      prev = bd;
    }
  }
  doc_para (d);
  doc_text (d, "Each boundary is reached from the one above through:");
  for (size_t i = 0; i < n; i++) {
    for (size_t j = 1; j < L[i].t->nbounds; j++) {
      const struct rm_boundary *bd = &L[i].t->bounds[j];

      doc_item (d);
      doc_text (d, "%s / ", L[i].name);
      doc_data (d, bd_name (bd));
      doc_text (d, ": ");
      doc_data (d, bd_via (bd));
    }
  }
}

/* Each layer's bottleneck verdict (the record's, or judged here from
 * its figures for a record made before verdicts were kept), then its
 * concurrency ladder and where requests wait.
 */
static void
concurrency (struct doc *d, const struct layer_rep *L, size_t n)
{
  doc_heading (d, 2);
  doc_text (d, "Bottlenecks and concurrency");
  doc_para (d);
  doc_text (d, "Each layer's limiting stage (");
  doc_code (d, "targets[].bottleneck");
  doc_text (d, ", reports/bottleneck.c): a stage whose capacity (what the "
            "stack lets it hold at once: nbdkit's threads x connections "
            "or its thread model, QEMU's 16 per connection, the engine's "
            "workers) is below what fio asks, reached, busy (in flight "
            "there, or the CPU of the process serving it) and with "
            "requests waiting above it; else a process saturated on CPU. "
            "Then the most requests in flight at each boundary (fio: what "
            "the scenario asks), and the hop across which the "
            "time-weighted mean in flight falls most: where requests "
            "wait.");
  for (size_t i = 0; i < n; i++) {
    const struct rm_target *t = L[i].t;
    const struct rm_verdict *verdict = &t->verdict;
    struct rm_verdict own = { 0 };
    cJSON *judged = NULL;       /* what own borrows from */
    struct hop_verdict v;

    if (verdict->state == RM_VERDICT_ABSENT) {
      judged = bottleneck_judge (t, isnan (L[i].cores) ? 1 : L[i].cores);
      rm_verdict_read (judged, &own);
      verdict = &own;
    }
    doc_item (d);
    doc_bold (d, "%s", L[i].name);
    doc_text (d, ": ");
    if (verdict->state != RM_VERDICT_SOME)
      doc_text (d, "nothing limits it below what fio asks.");
    else {
      const char *kind = verdict->kind ? verdict->kind : "";

      doc_bold (d, "%s", strcmp (kind, "undecided") == 0 ? ""
                : "bottleneck: ");
      doc_bold_data (d, verdict->summary ? verdict->summary : "?");
      doc_bold (d, ".");
      for (size_t k = 0; k < verdict->nalso; k++) {
        doc_line (d);
        doc_text (d, "Also saturated on CPU: ");
        doc_data (d, verdict->also[k].process ? verdict->also[k].process : "?");
        doc_text (d, " (%.0f%%).", 100 * verdict->also[k].utilisation);
      }
    }
    rm_verdict_free (&own);
    cJSON_Delete (judged);
    if (t->nbounds == 0)
      continue;
    hops_judge (t->bounds, t->nbounds, &v);
    doc_line (d);
    doc_text (d, "In flight: ");
    for (size_t k = 0; k < t->nbounds; k++) {
      char c[16];

      fmt_flight (c, sizeof c, rm_concurrency (&t->bounds[k]));
      if (k)
        doc_text (d, " -> ");
      doc_data (d, bd_name (&t->bounds[k]));
      doc_text (d, " %s", c);
    }
    doc_text (d, ".");
    if (v.wait >= 0) {
      const struct rm_boundary *b = &t->bounds[v.wait];
      const struct rm_boundary *a = &t->bounds[v.wait - 1];
      char ab[16], be[16];

      fmt_flight (ab, sizeof ab, v.wait_above);
      fmt_flight (be, sizeof be, v.wait_below);
      doc_line (d);
      doc_text (d, "Requests wait between ");
      doc_data (d, bd_name (a));
      doc_text (d, " and ");
      doc_data (d, bd_name (b));
      doc_text (d, ", in ");
      doc_data (d, bd_via (b));
      doc_text (d, ": %s in flight on average at ", ab);
      doc_data (d, bd_name (a));
      doc_text (d, ", %s at ", be);
      doc_data (d, bd_name (b));
      doc_text (d, ".");
    }
  }
}

/* Flags a layer measured faster than the layer it sits on (the one
 * before it in the ladder), with the likely reason.
 */
static void
plausibility (struct doc *d, const struct layer_rep *L, size_t n,
              const struct rm_run *run)
{
  const char *plugin = run->plugin;
  bool any = false;

  for (size_t i = 1; i < n; i++) {
    double below = L[i - 1].riops + L[i - 1].wiops, here = L[i].riops + L[i].wiops;
    const char *why;

    if (!(below > 0) || !(here > 1.1 * below))
      continue;
    if (!any) {
      doc_heading (d, 2);
      doc_text (d, "Plausibility");
    }
    any = true;
    if (L[i - 1].base && plugin &&
        (strcmp (plugin, "memory") == 0 || strcmp (plugin, "null") == 0 ||
         strcmp (plugin, "data") == 0 || strcmp (plugin, "sparse-random") == 0 ||
         strcmp (plugin, "zero") == 0))
      why = "the plugin keeps its data in memory (or has none), while the "
            "host layer reads and writes a file on the disk";
    else if (L[i - 1].base && plugin && strcmp (plugin, "file") == 0)
      why = "nbdkit's file plugin reads through the page cache (nbdkit 1.32 "
            "has no O_DIRECT mode) while the host layer uses O_DIRECT "
            "(direct=1): it measures memory, the host layer the disk";
    else
      why = NULL;
    doc_item (d);
    if (L[i].t->peer && strcmp (L[i].t->peer, L[i - 1].name) == 0)
      doc_bold (d, "%s is %.1fx faster than %s, %s", L[i].name, here / below,
                L[i - 1].name, L[i].t->peer_why);
    else
      doc_bold (d, "%s is %.1fx faster than %s, the layer it sits on",
                L[i].name, here / below, L[i - 1].name);
    doc_text (d, ": not a win to take at face value. Likely: ");
    if (why)
      doc_text (d, "%s", why);
    else {
      doc_text (d, "the layer may cache what the one below does not, or the "
                "two runs (made one after the other on a shared machine) "
                "differ by noise: hold them against each other with ");
      doc_code (d, "viperbench gate");
    }
    doc_text (d, ".");
  }
}

/* Layer L's CPU per I/O by process: "fio 5.8 us, nbdkit 12.6 us" ("" when
 * the cpu collector measured none).
 */
static void
cpu_words (char *cpu, size_t size, const struct layer_rep *l)
{
  size_t used = 0;

  *cpu = '\0';
  for (size_t i = 0; i < l->t->nprocs; i++) {
    double us = l->t->procs[i].cpu_us_per_io;
    const char *role = l->t->procs[i].role;

    if (!isnan (us) && role && used < size)
      used += (size_t) snprintf (cpu + used, size - used,
                                 "%s%s %.1f us", used ? ", " : "", role, us);
  }
}

/* CPU per I/O, per layer and process. */
static void
cpu_table (struct doc *d, const struct layer_rep *L, size_t n)
{
  doc_heading (d, 2);
  doc_text (d, "CPU per I/O");
  doc_table (d, "ll");
  doc_cell (d);
  doc_text (d, "layer");
  doc_cell (d);
  doc_text (d, "by process");
  for (size_t i = 0; i < n; i++) {
    char cpu[256];

    cpu_words (cpu, sizeof cpu, &L[i]);
    doc_cell (d);
    doc_text (d, "%s", L[i].name);
    doc_cell (d);
    doc_text (d, "%s", *cpu ? cpu : "-");
  }
}

/* Each target of RUN into L (sized for them), its bins from
 * DIR/LAYER/fio.json (none when DIR is NULL); the baseline's total IOPS.
 */
static double
layers_read (const char *dir, const struct rm_run *run, struct layer_rep *L)
{
  double host_total = NAN;

  for (size_t i = 0; i < run->ntargets; i++) {
    const struct rm_target *t = &run->targets[i];
    struct layer_rep *l = &L[i];
    char *fj;

    l->name = t->name;
    l->base = t->baseline;
    l->riops = t->dir[RM_READ].iops;
    l->wiops = t->dir[RM_WRITE].iops;
    l->rbw = t->dir[RM_READ].bw_bytes;
    l->rmean = t->dir[RM_READ].mean_ns;
    l->rp50 = t->dir[RM_READ].p50_ns;
    l->rp99 = t->dir[RM_READ].p99_ns;
    l->rp999 = t->dir[RM_READ].p999_ns;
    l->wmean = t->dir[RM_WRITE].mean_ns;
    l->wp99 = t->dir[RM_WRITE].p99_ns;
    l->t = t;
    l->cores = run->cores;
    if (l->base)
      host_total = l->riops + l->wiops;
    if (dir) {
      fj = xasprintf ("%s/%s/fio.json", dir, l->name);
      if (bins_load_fio (fj, &l->lat) == -1)
        fprintf (stderr, "viperbench: warning: %s: no latency bins (%s)\n",
                 l->name, fj);
      free (fj);
    }
  }
  for (size_t k = 0; k < run->ntargets; k++)
    L[k].ratio_host = host_total > 0 ? (L[k].riops + L[k].wiops) / host_total : NAN;
  return host_total;
}

/* The title and the record's facts: description, status, stack,
 * scenario, times, host and versions.
 */
static void
report_header (struct doc *d, const struct rm_run *r)
{
  doc_heading (d, 1);
  doc_text (d, "%s: %s", r->id ? r->id : "?", r->scenario ? r->scenario : "?");
  /* Every string of the record as text, never as markup or HTML: a
   * description or a reason may hold anything.
   */
  doc_para (d);
  doc_data (d, r->description && *r->description ? r->description
            : "(no description)");
  doc_item (d);
  doc_text (d, "status: ");
  doc_data (d, r->status);
  if (r->reason) {
    doc_text (d, ": ");
    doc_data (d, r->reason);
  }
  doc_item (d);
  doc_text (d, "stack: ");
  doc_data (d, r->stack);
  doc_text (d, "; scenario %s (%g jobs x iodepth %g)",
            r->scenario ? r->scenario : "?", r->jobs, r->iodepth);
  doc_item (d);
  doc_text (d, "started ");
  doc_data (d, r->started);
  doc_text (d, ", finished ");
  doc_data (d, r->finished ? r->finished : "-");
  if (r->sut_id) {
    doc_item (d);
    doc_text (d, "system under test: ");
    doc_data (d, r->sut_id);
  }
  doc_item (d);
  doc_text (d, "host: ");
  doc_data (d, r->cpu_model);
  doc_text (d, ", %g cores, kernel ", r->cores);
  doc_data (d, r->kernel);
  doc_text (d, "; fio ");
  doc_data (d, r->fio_version);
  doc_text (d, ", nbdkit ");
  doc_data (d, r->nbdkit_version);
}

/* The ladder's table and a sentence per layer against the one below. */
static void
report_ladder (struct doc *d, const struct layer_rep *L, size_t n,
               double host_total)
{
  doc_heading (d, 2);
  doc_text (d, "The ladder");
  doc_table (d, "lrrrrrrrrlll");
  doc_cells (d, (const char *const[]) { "layer", "read IOPS", "write IOPS",
                 "read MiB/s", "read mean", "read p50", "read p99",
                 "read p99.9", "write p99", "vs host", "vs layer below",
                 "over time", NULL });
  for (size_t i = 0; i < n; i++) {
    char c[9][32];

    fmt_iops (c[0], sizeof c[0], L[i].riops);
    fmt_iops (c[1], sizeof c[1], L[i].wiops);
    mib (c[2], sizeof c[2], L[i].rbw);
    fmt_ns (c[3], sizeof c[3], L[i].rmean);
    fmt_ns (c[4], sizeof c[4], L[i].rp50);
    fmt_ns (c[5], sizeof c[5], L[i].rp99);
    fmt_ns (c[6], sizeof c[6], L[i].rp999);
    fmt_ns (c[7], sizeof c[7], L[i].wp99);
    doc_cell (d);
    doc_text (d, "%s", L[i].name);
    for (int k = 0; k < 8; k++) {
      doc_cell (d);
      doc_text (d, "%s", c[k]);
    }
    vs_host (c[8], sizeof c[8], &L[i], host_total);
    doc_cell (d);
    doc_text (d, "%s", c[8]);
    if (i && unlike (&L[i - 1], &L[i]))
      snprintf (c[8], sizeof c[8], "not like for like");
    else if (i)
      words (c[8], sizeof c[8], L[i - 1].riops + L[i - 1].wiops,
             L[i].riops + L[i].wiops);
    else
      snprintf (c[8], sizeof c[8], "-");
    doc_cell (d);
    doc_text (d, "%s", c[8]);
    doc_cell (d);
    steadiness_words (d, &L[i].t->timeline);
  }
  for (size_t i = 1; i < n; i++) {
    char w[32];

    doc_item (d);
    if (unlike (&L[i - 1], &L[i])) {
      char fa[256], fb[256];

      filters_words (fa, sizeof fa, &L[i - 1]);
      filters_words (fb, sizeof fb, &L[i]);
      doc_text (d, "%s: not like for like with %s, no ratio drawn: %s ran "
                "the plugin under nbdkit filters ", L[i].name,
                L[i - 1].name, L[i].name);
      doc_data (d, fb);
      doc_text (d, ", %s under ", L[i - 1].name);
      doc_data (d, fa);
      doc_text (d, "%s", strcmp (fa, "none") == 0
                ? " (the in-process host loads the plugin alone)" : "");
      continue;
    }
    words (w, sizeof w, L[i - 1].riops + L[i - 1].wiops, L[i].riops + L[i].wiops);
    doc_text (d, "%s: %s %s %s", L[i].name, w,
              strcmp (w, "as fast") == 0 ? "as" : "than", L[i - 1].name);
  }
  /* A layer against its peer, wherever the two stand in the ladder. */
  for (size_t i = 0; i < n; i++) {
    const struct rm_target *t = L[i].t;
    size_t j = 0;
    char w[32];

    if (t->peer == NULL)
      continue;
    while (j < n && strcmp (L[j].name, t->peer) != 0)
      j++;
    if (j == n)
      continue;
    words (w, sizeof w, L[j].riops + L[j].wiops, L[i].riops + L[i].wiops);
    doc_item (d);
    doc_bold (d, "%s against %s", L[i].name, L[j].name);
    doc_text (d, " (%s): %s", t->peer_why, w);
  }
}

/* Each process's top symbols (and threads) from the perf collector. */
static void
report_symbols (struct doc *d, const struct layer_rep *L, size_t n)
{
  doc_heading (d, 2);
  doc_text (d, "Top profile symbols");
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < L[i].t->nprofiles; j++) {
      const struct rm_profile *pr = &L[i].t->profiles[j];

      doc_para (d);
      doc_bold (d, "%s / %s", L[i].name, pr->role ? pr->role : "(null)");
      doc_text (d, " (%g samples): ", pr->samples);
      for (size_t k = 0; k < pr->ntop_self && k < 5; k++) {
        if (k)
          doc_text (d, ", ");
        doc_code (d, "%s", pr->top_self[k].symbol ? pr->top_self[k].symbol
                  : "(null)");
        doc_text (d, " %.1f%%", pr->top_self[k].self_pct);
      }
      /* Its threads, where their names tell them apart (QEMU's vCPUs,
       * iothread and main loop).
       */
      if (pr->nthreads > 1) {
        doc_break (d);
        doc_text (d, "by thread: ");
        for (size_t k = 0; k < pr->nthreads && k < 8; k++) {
          if (k)
            doc_text (d, ", ");
          doc_data (d, pr->threads[k].thread);
          doc_text (d, " %.1f%%", pr->threads[k].pct);
        }
      }
    }
  if (n == 0 || !L[0].t->has_perf) {
    doc_para (d);
    doc_text (d, "(no profile: the perf collector did not run)");
  }
}

/* The charts' links (the latency chart only where there are bins). */
static void
report_charts (struct doc *d, const struct layer_rep *L, size_t n)
{
  doc_heading (d, 2);
  doc_text (d, "Charts");
  doc_image (d, "IOPS per layer", "charts/iops.svg");
  if (any_bins (L, n))
    doc_image (d, "Latency distribution", "charts/latency.svg");
  else {
    doc_para (d);
    doc_text (d, "(no latency distribution: no layer has fio's latency "
              "bins, which only its JSON output holds)");
  }
  doc_image (d, "Slowdown against host", "charts/slowdown.svg");
  doc_image (d, "CPU per I/O", "charts/cpu.svg");
  doc_para (d);
  doc_text (d, "PNG versions beside them in charts/.");
}

/* The report of run DOC as a document (and with DRAW its charts in
 * DIR/charts: *R is -1 when they failed).
 */
static struct doc *
report_doc (const char *dir, const cJSON *doc, bool draw, int *r)
{
  struct rm_run run;
  struct layer_rep *L;
  double host_total;
  struct doc *d = doc_new ();
  size_t n;

  rm_run_read (doc, &run);
  n = run.ntargets;
  L = xcalloc (n ? n : 1, sizeof *L);
  host_total = layers_read (dir, &run, L);
  report_header (d, &run);
  report_notes (d, dir);
  report_ladder (d, L, n, host_total);
  clients_section (d, &run);
  over_time (d, L, n);
  layer_facts (d, L, n);
  services (d, &run);
  where_time_goes (d, L, n);
  concurrency (d, L, n);
  plausibility (d, L, n, &run);
  cpu_table (d, L, n);
  report_symbols (d, L, n);
  report_charts (d, L, n);

  *r = draw ? charts (dir, L, n, run.scenario ? run.scenario : "?") : 0;
  for (size_t i = 0; i < n; i++)
    bins_free (&L[i].lat);
  free (L);
  rm_run_free (&run);
  return d;
}

/* What report.html adds to a section of report.md. */
struct page {
  const char *dir;
  const struct rm_run *run;
  cJSON *graphs;
};

/* After "Top profile symbols": a flame graph per process per layer,
 * from DIR/LAYER/perf.folded, with the samples it holds.
 */
static void
page_section (FILE *f, const char *section, void *arg)
{
  struct page *p = arg;
  bool any = false;

  if (strcmp (section, "Top profile symbols") != 0)
    return;
  fputs ("<h2 id=\"flame-graphs\">Flame graphs</h2>\n", f);
  for (size_t i = 0; i < p->run->ntargets; i++) {
    const struct rm_target *t = &p->run->targets[i];
    double hz = t->perf_hz;
    char *path;
    struct flame *fl;

    if (!t->has_perf || !plain_name (t->name))
      continue;
    path = xasprintf ("%s/%s/perf.folded", p->dir, t->name);
    fl = flame_new ();
    if (flame_add (fl, 0, path) == -1) {
      fprintf (f, "<p>%s: no flame graph (", t->name);
      html_escape (f, path);
      fprintf (f, ": %s)</p>\n", strerror (errno));
    }
    else
      for (size_t k = 0; k < t->nprofiles; k++) {
        const char *role = t->profiles[k].role ? t->profiles[k].role : "?";
        size_t frames;
        cJSON *tree = flame_tree (fl, 0, role, 1, &frames);
        char *title, *meta;

        if (tree == NULL)
          continue;
        if (!any)
          html_flame_bar (f, "Click a frame to zoom into it; a frame's "
                          "width is its share of the process's samples.");
        any = true;
        title = xasprintf ("%s / %s", t->name, role);
        meta = isfinite (hz)
          ? xasprintf ("%.0f samples at %.0f Hz, %zu frames ",
                       flame_samples (fl, 0, role), hz, frames)
          : xasprintf ("%.0f samples, %zu frames ",
                       flame_samples (fl, 0, role), frames);
        html_flame (f, p->graphs, title, meta, tree, "profile", "samples",
                    frames);
        free (title);
        free (meta);
      }
    flame_free (fl);
    free (path);
  }
  if (!any)
    fputs ("<p>(no flame graph: the perf collector did not run, or "
           "recorded no samples)</p>\n", f);
}

/* DIR/report.html: the report's document D, its charts inlined, and
 * (a run's) the flame graphs.
 */
static int
report_html (const char *dir, const cJSON *doc, const struct doc *d)
{
  struct rm_run run;
  struct page p = { .dir = dir, .run = &run, .graphs = cJSON_CreateArray () };
  cJSON *data = cJSON_CreateObject ();
  char *path = xasprintf ("%s/report.html", dir), *title;
  int r;

  rm_run_read (doc, &run);
  title = xasprintf ("%s: viperbench report", run.id ? run.id : "?");
  cJSON_AddItemToObject (data, "graphs", p.graphs);
  r = html_page (path, title, d, dir, record_is_sweep (doc) ? NULL
                 : page_section, &p, data);
  rm_run_free (&run);
  cJSON_Delete (data);
  free (title);
  free (path);
  return r;
}

/* The report of DOC, a run or a sweep, as a document; with DRAW the
 * charts are drawn (*R: -1 when that failed).
 */
static struct doc *
report_of (const char *dir, const cJSON *doc, bool draw, int *r)
{
  return (record_is_sweep (doc) ? sweep_doc : report_doc) (dir, doc, draw, r);
}

char *
report_text (const char *dir, const cJSON *doc)
{
  int r;
  struct doc *d = report_of (dir, doc, false, &r);
  char *md = doc_md (d);

  doc_free (d);
  return md;
}

/* The ladder for the terminal (a run prints it when it ends): a line per
 * layer in the report's words, then where the CPU went; the document
 * model's third rendering.
 */
void
report_print_table (FILE *f, const cJSON *doc)
{
  struct rm_run run;
  struct layer_rep *L;
  struct doc *d = doc_new ();
  double host_total;
  bool any = false;
  char *text;
  size_t n;

  rm_run_read (doc, &run);
  n = run.ntargets;
  L = xcalloc (n ? n : 1, sizeof *L);
  host_total = layers_read (NULL, &run, L);
  doc_para (d);
  doc_text (d, "%s %s \"", run.id ? run.id : "?",
            run.scenario ? run.scenario : "?");
  doc_data (d, run.description ? run.description : "");
  doc_text (d, "\"");
  doc_table (d, "lrrrrrrl");
  doc_cells (d, (const char *const[]) { "layer", "read IOPS", "write IOPS",
                 "read MiB/s", "read avg", "read p99", "write p99", "vs host",
                 NULL });
  for (size_t i = 0; i < n; i++) {
    char c[7][32];

    fmt_iops (c[0], sizeof c[0], L[i].riops);
    fmt_iops (c[1], sizeof c[1], L[i].wiops);
    mib (c[2], sizeof c[2], L[i].rbw);
    fmt_ns (c[3], sizeof c[3], L[i].rmean);
    fmt_ns (c[4], sizeof c[4], L[i].rp99);
    fmt_ns (c[5], sizeof c[5], L[i].wp99);
    vs_host (c[6], sizeof c[6], &L[i], host_total);
    doc_cell (d);
    doc_data (d, L[i].name);
    for (int k = 0; k < 7; k++) {
      doc_cell (d);
      doc_text (d, "%s", c[k]);
    }
  }
  for (size_t i = 0; i < n; i++) {
    char cpu[256];

    cpu_words (cpu, sizeof cpu, &L[i]);
    if (*cpu == '\0')
      continue;
    if (!any) {
      doc_table (d, "ll");
      doc_cells (d, (const char *const[]) { "CPU per I/O", "by process",
                     NULL });
    }
    any = true;
    doc_cell (d);
    doc_data (d, L[i].name);
    doc_cell (d);
    doc_data (d, cpu);
  }
  text = doc_terminal (d);
  fputc ('\n', f);
  fputs (text, f);
  free (text);
  doc_free (d);
  free (L);
  rm_run_free (&run);
}

/* Writes DIR/report.md and DIR/report.html from DOC; 0 or -1. */
int
report_write (const char *dir, const cJSON *doc)
{
  int r;
  struct doc *d = report_of (dir, doc, true, &r);
  char *buf = doc_md (d);
  char *path = xasprintf ("%s/report.md", dir);

  if (write_file_atomic (path, buf, strlen (buf)) == -1)
    r = -1;
  if (report_html (dir, doc, d) == -1)
    r = -1;
  doc_free (d);
  free (path);
  free (buf);
  return r;
}
