/* explore_core.c: `viperbench explore`'s pure core: samples in, the
 * effect of each knob and of a two-level factorial out.  No I/O:
 * runner/explore_run.c gathers the samples, explore_write.c writes what
 * was decided, tests/unit/test_explore.c drives this directly (and
 * simulates knobs of no effect and of a known one).
 *
 * One factor at a time: each level of a knob runs back to back with the
 * stack's own settings (a round is the base and every level once, in an
 * order that turns each round), so the test is on each pair's
 * ln(level/base): Wilcoxon signed-rank, exact, and the Hodges-Lehmann
 * estimate with its distribution-free interval, as the gate's paired
 * mode.  A logarithm makes a change a ratio.  The runs go on (up to the
 * budget) while the interval of some change is wider than the precision
 * asked: whether to go on depends on the spread of the differences, not
 * on their sign, and the simulation in the unit test checks that a knob
 * of no effect still comes out significant in at most alpha of runs.
 *
 * Two levels of 3 to 5 knobs (the stack's own, and each knob's best in
 * the first stage): a full 2^3 or a half fraction 2^(k-1) (resolution
 * IV for 4 knobs, V for 5), replicated, analysed as a randomised block
 * design (a replicate is a block): each main effect and the interaction
 * of the two largest, with Student's t intervals on the residual
 * variance, and the best cell against the all-base one.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The paired change of VAR over BASE; see internal.h. */
void
explore_change (const double *base, const double *var, size_t n,
                double alpha, struct explore_change *c)
{
  double *x = xmalloc ((n ? n : 1) * sizeof *x);
  double *y = xmalloc ((n ? n : 1) * sizeof *y);
  struct shift s;
  size_t k = 0;

  memset (c, 0, sizeof *c);
  c->est = c->lo = c->hi = c->p = NAN;
  for (size_t i = 0; i < n; i++)
    if (base[i] > 0 && var[i] > 0 && isfinite (base[i]) && isfinite (var[i])) {
      x[k] = log (base[i]);
      y[k] = log (var[i]);
      k++;
    }
  c->n = k;
  /* stats_paired's interval is 1 - 2 * its alpha: two-sided 1 - alpha. */
  if (k > 0 && stats_paired (x, y, k, alpha / 2, &s) == 0) {
    double p = 2 * fmin (s.p_less, s.p_greater);

    c->est = exp (s.est) - 1;
    c->lo = isfinite (s.lo) ? exp (s.lo) - 1 : -1;
    c->hi = isfinite (s.hi) ? exp (s.hi) - 1 : INFINITY;
    c->p = p > 1 ? 1 : p;
    c->significant = c->p < alpha;
  }
  free (x);
  free (y);
}

/* Pairs needed for precision; see internal.h. */
size_t
explore_needed (const struct explore_change *c, double precision,
                double alpha)
{
  double target = log1p (precision), h;
  size_t lo = stats_n_min (alpha / 2, true);

  if (c->n < lo || !isfinite (c->hi) || !(c->lo > -1))
    return c->n < lo ? lo : c->n * 2;
  h = (log1p (c->hi) - log1p (c->lo)) / 2;
  if (h <= target)
    return 0;
  /* A width shrinks as 1/sqrt(n). */
  return (size_t) ceil ((double) c->n * (h / target) * (h / target));
}

/* The two-level design for K knobs; see internal.h. */
size_t
explore_design (size_t k, int *signs)
{
  size_t free_cols = k <= 3 ? k : k - 1, rows = (size_t) 1 << free_cols;

  if (k < 2 || k > EXPLORE_FACT_MAX)
    return 0;
  for (size_t r = 0; r < rows; r++) {
    int prod = 1;

    for (size_t j = 0; j < free_cols; j++) {
      /* Row 0 all low; column j alternates every 2^j rows. */
      int s = (r >> j) & 1 ? +1 : -1;

      signs[r * k + j] = s;
      prod *= s;
    }
    /* The generator: the last knob is the product of the others, its
     * sign chosen so that the all-low row is in the fraction.
     */
    if (free_cols < k)
      signs[r * k + k - 1] = (free_cols % 2 ? +1 : -1) * prod;
  }
  return rows;
}

/* One column's contrast over the cell means M (ROWS), scaled to the
 * mean of + less the mean of -.
 */
static double
contrast (const int *signs, size_t k, size_t rows, const double *m,
          int a, int b)
{
  double sum = 0;

  for (size_t r = 0; r < rows; r++) {
    int s = signs[r * k + (size_t) a];

    if (b >= 0)
      s *= signs[r * k + (size_t) b];
    sum += s * m[r];
  }
  return sum / ((double) rows / 2);
}

/* The factorial's effects; see internal.h. */
int
explore_factorial (size_t k, const int *signs, size_t rows, const double *y,
                   size_t reps, double alpha, struct explore_fact *f)
{
  double *rowm, *repm, grand = 0, ss = 0, t, se_eff;
  size_t df;

  memset (f, 0, sizeof *f);
  f->k = k;
  f->rows = rows;
  f->reps = reps;
  f->a = f->b = f->alias_c = f->alias_d = -1;
  if (k < 2 || k > EXPLORE_FACT_MAX || rows < 4 || reps < 2)
    return -1;
  for (size_t i = 0; i < rows * reps; i++)
    if (!isfinite (y[i]))
      return -1;
  rowm = xcalloc (rows, sizeof *rowm);
  repm = xcalloc (reps, sizeof *repm);
  for (size_t r = 0; r < rows; r++)
    for (size_t j = 0; j < reps; j++) {
      rowm[r] += y[r * reps + j] / (double) reps;
      repm[j] += y[r * reps + j] / (double) rows;
      grand += y[r * reps + j] / (double) (rows * reps);
    }
  /* Residuals of cell + block: the run-to-run noise. */
  for (size_t r = 0; r < rows; r++)
    for (size_t j = 0; j < reps; j++) {
      double e = y[r * reps + j] - rowm[r] - repm[j] + grand;

      ss += e * e;
    }
  df = (rows - 1) * (reps - 1);
  f->df = (double) df;
  f->sd = sqrt (ss / (double) df);
  t = stats_t_quantile (1 - alpha / 2, (double) df);
  se_eff = f->sd * 2 / sqrt ((double) (rows * reps));
  for (size_t c = 0; c < k; c++) {
    f->main[c] = contrast (signs, k, rows, rowm, (int) c, -1);
    f->main_lo[c] = f->main[c] - t * se_eff;
    f->main_hi[c] = f->main[c] + t * se_eff;
    if (f->a < 0 || fabs (f->main[c]) > fabs (f->main[f->a])) {
      f->b = f->a;
      f->a = (int) c;
    }
    else if (f->b < 0 || fabs (f->main[c]) > fabs (f->main[f->b]))
      f->b = (int) c;
  }
  f->inter = contrast (signs, k, rows, rowm, f->a, f->b);
  f->inter_lo = f->inter - t * se_eff;
  f->inter_hi = f->inter + t * se_eff;
  f->interact = f->inter_lo > 0 || f->inter_hi < 0;
  /* With 4 knobs (I = ABCD) a two-knob interaction is the other two's. */
  if (k == 4)
    for (int c = 0; c < 4; c++)
      if (c != f->a && c != f->b) {
        if (f->alias_c < 0)
          f->alias_c = c;
        else
          f->alias_d = c;
      }
  /* The best cell against the all-base one (row 0). */
  f->best = 0;
  for (size_t r = 1; r < rows; r++)
    if (rowm[r] > rowm[f->best])
      f->best = r;
  {
    double d = rowm[f->best] - rowm[0];
    double se = f->sd * sqrt (2.0 / (double) reps);

    f->best_gain = exp (d) - 1;
    f->best_lo = exp (d - t * se) - 1;
    f->best_hi = exp (d + t * se) - 1;
  }
  free (rowm);
  free (repm);
  return 0;
}
