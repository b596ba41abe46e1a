/* gate_verdict.c: the regression gate's pure core: settings and samples in, a
 * verdict per layer and metric (and how many more repetitions a second
 * look needs) out.  No I/O: runner/gate_run.c gathers the samples,
 * gate_write.c writes what was decided, tests/unit/test_gate.c drives
 * this directly.
 *
 * Per layer and metric (IOPS, the p99s, each process's CPU per I/O) the
 * gate has repetitions of A (baseline) and B (candidate).  With both
 * stacks measured here they are pairs, A[i] and B[i] run back to back,
 * and the test is on each pair's ln(B/A) (Wilcoxon signed-rank, exact),
 * so that what disturbed a pair cancels; a stored baseline gives two
 * independent samples (Mann-Whitney U, exact).  Logarithms make a shift
 * a ratio, so the same threshold means the same thing at 10k and at
 * 500k IOPS.  The rule is in the style of Google benchmark's compare.py
 * (a rank test rather than a t test: run times are skewed, with
 * outliers) and Perfherder (significance alone is not enough, the
 * change must also be large enough to matter):
 *
 *   regression  p < alpha (one-sided) and the Hodges-Lehmann estimate of
 *               the change is at least the threshold (IOPS -7%, p99
 *               +25%, CPU per I/O +7% unless set);
 *   too noisy   the estimate is past the threshold without significance,
 *               or the interval still reaches the threshold and the
 *               measured noise means these repetitions had less than 80%
 *               power to see a threshold-sized change; the summary gives
 *               the noise and the repetitions that would be needed;
 *   pass        otherwise: a threshold-sized regression is ruled out by
 *               the interval, or would have been seen with 80% power.
 *
 * A significant change smaller than the threshold passes with a note.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "internal.h"

static const struct {
  const char *name, *label;
  enum rm_ddir ddir;            /* a latency's direction */
  int worse;                    /* +1: larger is worse; -1: smaller is */
  enum gate_thr thr;
} metrics[GM_COUNT] = {
  [GM_IOPS] = { "iops", "IOPS (read+write)", RM_NDIR, -1, GT_IOPS },
  [GM_READ_P99] = { "read_p99", "read p99", RM_READ, +1, GT_P99 },
  [GM_WRITE_P99] = { "write_p99", "write p99", RM_WRITE, +1, GT_P99 },
  [GM_CPU] = { "cpu", "CPU per I/O", RM_NDIR, +1, GT_CPU },
};

/* The defaults: the smallest change that fails the gate.  A regression
 * of twice the threshold is caught in nearly every trial (README's
 * calibration); one at the threshold about half the time, as for any
 * estimate that spreads.
 */
static const struct {
  const char *name;
  int sign;
  double dflt;
} thresholds[GT_COUNT] = {
  [GT_IOPS] = { "iops", -1, -0.07 },
  [GT_P99] = { "p99", +1, +0.25 },
  [GT_CPU] = { "cpu", +1, +0.07 },
};

const char *
gate_thr_name (enum gate_thr k)
{
  return thresholds[k].name;
}

int
gate_thr_sign (enum gate_thr k)
{
  return thresholds[k].sign;
}

double
gate_thr_parse (enum gate_thr k, const char *text)
{
  double v = parse_percent (text);

  if (isnan (v) || v * thresholds[k].sign <= 0 || v <= -1 || v > 10)
    return NAN;
  return v;
}

const char *
gate_metric_name (enum gate_metric m)
{
  return metrics[m].name;
}

const char *
gate_metric_label (enum gate_metric m)
{
  return metrics[m].label;
}

void
gate_series_label (const struct gate_series *se, char *buf, size_t n)
{
  if (se->role)
    snprintf (buf, n, "%s (%s)", metrics[se->metric].label, se->role);
  else
    snprintf (buf, n, "%s", metrics[se->metric].label);
}

double
gate_metric_value (const struct rm_target *t, enum gate_metric m,
                   const char *role)
{
  if (m == GM_IOPS) {
    double r = t->dir[RM_READ].iops, w = t->dir[RM_WRITE].iops;

    if (isnan (r) && isnan (w))
      return NAN;
    return (isnan (r) ? 0 : r) + (isnan (w) ? 0 : w);
  }
  if (m == GM_CPU) {
    double v;

    return role && rm_cpu_us (t, role, &v, 1) == 1 ? v : NAN;
  }
  /* A direction without I/O has no latency. */
  if (!(t->dir[metrics[m].ddir].total_ios > 0))
    return NAN;
  return t->dir[metrics[m].ddir].p99_ns;
}

void
gate_note (struct gate *g, const char *fmt, ...)
{
  va_list ap;
  char *s;

  va_start (ap, fmt);
  if (vasprintf (&s, fmt, ap) == -1)
    s = xstrdup ("(out of memory)");
  va_end (ap);
  g->notes = xreallocarray (g->notes, g->nnotes + 1, sizeof *g->notes);
  g->notes[g->nnotes++] = s;
}

static void
decide_one (const struct gate *g, struct gate_series *se)
{
  int worse = metrics[se->metric].worse;
  double *la = xmalloc ((se->na + 1) * sizeof *la);
  double *lb = xmalloc ((se->nb + 1) * sizeof *lb);
  bool one = se->na == 1, paired = g->paired && se->na == se->nb;
  double effect, west, wbound;
  char label[64];
  size_t have;

  gate_series_label (se, label, sizeof label);
  se->threshold = g->thr[metrics[se->metric].thr];
  effect = fabs (log1p (se->threshold));
  for (size_t i = 0; i < se->na; i++)
    la[i] = log (se->a[i]);
  for (size_t i = 0; i < se->nb; i++)
    lb[i] = log (se->b[i]);
  for (size_t i = 0; i < se->na + se->nb; i++) {
    double v = i < se->na ? se->a[i] : se->b[i - se->na];

    if (!(v > 0) || !isfinite (v)) {
      se->verdict = GATE_NOISY;
      se->change = se->lo = se->hi = se->p = se->sd = NAN;
      snprintf (se->why, sizeof se->why, "a repetition has no %s value",
                label);
      free (la);
      free (lb);
      return;
    }
  }
  if (paired) {
    /* Each pair's ln(b/a): the noise that matters is that of one pair. */
    double *d = xmalloc ((se->na + 1) * sizeof *d);

    for (size_t i = 0; i < se->na; i++)
      d[i] = lb[i] - la[i];
    stats_paired (la, lb, se->na, g->alpha, &se->s);
    se->sd = stats_robust_sd (d, se->na, NULL, 0);
    free (d);
    one = true;
    have = se->na;
  }
  else {
    stats_shift (la, se->na, lb, se->nb, g->alpha, &se->s);
    se->sd = stats_robust_sd (la, se->na, lb, se->nb);
    have = one ? se->nb : (se->na < se->nb ? se->na : se->nb);
  }
  se->change = expm1 (se->s.est);
  se->lo = expm1 (se->s.lo);
  se->hi = expm1 (se->s.hi);
  se->p = worse > 0 ? se->s.p_greater : se->s.p_less;
  se->needed = isnan (se->sd) ? stats_n_min (g->alpha, one)
               : stats_n_needed (se->sd, effect, g->alpha, g->power, one);
  west = worse * se->s.est;
  wbound = worse > 0 ? se->s.hi : -se->s.lo;

  if (se->p < g->alpha && west >= effect) {
    se->verdict = GATE_REGRESSION;
    snprintf (se->why, sizeof se->why,
              "%s %+.1f%% (%.0f%% interval %+.1f%% .. %+.1f%%, p = %.3g), "
              "past the %+.0f%% threshold", label,
              se->change * 100, (1 - 2 * g->alpha) * 100, se->lo * 100,
              se->hi * 100, se->p, se->threshold * 100);
  }
  else if (west >= effect) {
    se->verdict = GATE_NOISY;
    /* Past the threshold yet not significant although the typical noise
     * is small: a few disturbed runs overlap the sides.  More of them
     * settle it; twice as many is the estimate.
     */
    if (se->needed <= have)
      se->needed = 2 * have;
    snprintf (se->why, sizeof se->why,
              "estimate %+.1f%% is past the %+.0f%% threshold but not "
              "significant (p = %.3g); noise %.1f%% per %s: about %zu "
              "%s needed", se->change * 100, se->threshold * 100, se->p,
              se->sd * 100, paired ? "pair" : "run", se->needed,
              paired ? "pairs" : "repetitions per side");
  }
  else if (wbound < effect) {
    se->verdict = GATE_PASS;
    snprintf (se->why, sizeof se->why, "the interval rules out a %+.0f%% "
              "change%s", se->threshold * 100,
              se->p < g->alpha ? "; a significant change below the threshold" : "");
  }
  else if (have >= se->needed) {
    se->verdict = GATE_PASS;
    snprintf (se->why, sizeof se->why, "noise %.1f%% per %s: %zu %s "
              "would have seen a %+.0f%% change with %.0f%% power",
              se->sd * 100, paired ? "pair" : "run", have,
              paired ? "pairs" : "repetitions", se->threshold * 100,
              g->power * 100);
  }
  else {
    se->verdict = GATE_NOISY;
    snprintf (se->why, sizeof se->why,
              "noise %.1f%% per %s: %zu %s needed to tell a %+.0f%% change "
              "(have %zu)", se->sd * 100, paired ? "pair" : "run", se->needed,
              paired ? "pairs" : "repetitions per side", se->threshold * 100,
              have);
  }
  free (la);
  free (lb);
}

void
gate_init (struct gate *g)
{
  memset (g, 0, sizeof *g);
  g->alpha = g->alpha_total = 0.05;
  g->power = 0.8;
  for (int k = 0; k < GT_COUNT; k++)
    g->thr[k] = thresholds[k].dflt;
  g->repeat = GATE_DEFAULT_REPEAT;
  g->looks = 1;
  g->paired = true;
}

void
gate_set_thresholds (struct gate *g, const double *stack, const double *cli)
{
  for (int k = 0; k < GT_COUNT; k++) {
    if (stack && !isnan (stack[k]))
      g->thr[k] = stack[k];
    if (cli && !isnan (cli[k]))
      g->thr[k] = cli[k];
  }
}

int
gate_plan (struct gate *g, size_t baseline_n)
{
  size_t need;

  if (g->max_repeat == 0)
    g->max_repeat = 3 * g->repeat;
  if (g->max_repeat < g->repeat) {
    vb_msg ("--max-repeat %zu is less than --repeat %zu", g->max_repeat,
            g->repeat);
    return -1;
  }
  /* Two looks (after --repeat, and after the extension) share alpha
   * (Bonferroni), so that together they raise a false alarm with
   * probability at most alpha.
   */
  g->looks = g->max_repeat > g->repeat ? 2 : 1;
  if (g->ratio_mode)
    g->paired = false;
  g->alpha = g->alpha_total / g->looks;
  need = g->paired || (g->ratio_mode && baseline_n == 1)
    ? stats_n_min (g->alpha, true)
    : g->ratio_mode ? 2 : stats_n_min (g->alpha, false);
  if (g->repeat < need) {
    vb_msg ("--repeat %zu: with so few repetitions the exact test can "
            "never reach p < %g; use at least %zu", g->repeat, g->alpha,
            need);
    return -1;
  }
  return 0;
}

void
gate_series_add (struct gate *g, const char *layer, enum gate_metric m,
                 const char *role, const double *a, size_t na,
                 const double *b, size_t nb)
{
  struct gate_series *se;
  bool any = false;

  for (size_t k = 0; k < na; k++)
    any |= !isnan (a[k]);
  for (size_t k = 0; k < nb; k++)
    any |= !isnan (b[k]);
  if (!any)
    return;
  g->series = xreallocarray (g->series, g->nseries + 1, sizeof *g->series);
  se = &g->series[g->nseries++];
  memset (se, 0, sizeof *se);
  se->layer = xstrdup (layer);
  se->metric = m;
  se->role = role ? xstrdup (role) : NULL;
  se->na = na;
  se->nb = nb;
  se->a = xmalloc ((na + 1) * sizeof (double));
  se->b = xmalloc ((nb + 1) * sizeof (double));
  memcpy (se->a, a, na * sizeof (double));
  memcpy (se->b, b, nb * sizeof (double));
}

size_t
gate_look (struct gate *g)
{
  size_t need = 0, total = 0;
  int code = gate_decide (g);

  for (size_t i = 0; code == GATE_EXIT_NOISY && i < g->nseries; i++)
    if (g->series[i].verdict == GATE_NOISY && g->series[i].needed > need)
      need = g->series[i].needed;
  series_free (g);
  if (g->looks < 2 || need <= g->repeat)
    return 0;
  if (need > g->max_repeat) {
    gate_note (g, "too noisy after %zu repetitions, and the %zu needed are "
               "more than --max-repeat %zu: not extended", g->repeat, need,
               g->max_repeat);
    return 0;
  }
  /* Two stacks alternate A B, B A: an even count keeps the order fair. */
  total = need + (need % 2 && !g->ratio_mode);
  if (total > g->max_repeat)
    total = g->max_repeat;
  gate_note (g, "too noisy to decide after %zu repetitions: went on to %zu "
             "(--max-repeat %zu)", g->repeat, total, g->max_repeat);
  g->extended_to = total;
  return total;
}

int
gate_decide (struct gate *g)
{
  bool reg = false, noisy = false;

  for (size_t i = 0; i < g->nseries; i++) {
    decide_one (g, &g->series[i]);
    reg |= g->series[i].verdict == GATE_REGRESSION;
    noisy |= g->series[i].verdict == GATE_NOISY;
  }
  if (g->failure)
    return GATE_EXIT_SETUP;
  return reg ? GATE_EXIT_REGRESSION : noisy ? GATE_EXIT_NOISY : GATE_EXIT_PASS;
}

void
series_free (struct gate *g)
{
  for (size_t i = 0; i < g->nseries; i++) {
    free (g->series[i].layer);
    free (g->series[i].role);
    free (g->series[i].a);
    free (g->series[i].b);
  }
  free (g->series);
  g->series = NULL;
  g->nseries = 0;
}

void
gate_free (struct gate *g)
{
  series_free (g);
  for (size_t i = 0; i < g->nnotes; i++)
    free (g->notes[i]);
  free (g->notes);
  free (g->id);
  free (g->dir);
  free (g->scenario);
  free (g->baseline);
  free (g->candidate);
  doc_free (g->profile);
  if (g->diffs) {
    flame_diffs_free (g->diffs);
    free (g->diffs);
  }
  free (g->failure);
  free (g->pinning);
  for (size_t i = 0; i < g->nprof_layers; i++)
    free (g->prof_layers[i]);
  free (g->prof_layers);
  for (int k = 0; k < 2; k++) {
    free (g->prof_rec[k]);
    free (g->prof_words[k]);
  }
  free (g->reference_own);
  free (g->started);
}
