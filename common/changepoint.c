/* changepoint.c: where a series of runs changed level (the history's
 * change points).  Pure: values in, change points out.
 *
 * Location: E-Divisive means (Matteson and James, "A Nonparametric
 * Approach for Multiple Change Point Analysis of Multivariate Data",
 * JASA 2014), alpha = 1, applied hierarchically: within a segment the
 * split that maximises the scaled energy distance between the values
 * before and after it.
 *
 * Significance: a two-sample t test between the two sides of the split
 * (Student's, pooled: under "no change" both sides share one noise), as
 * Hunter does (Fleming et al., "Hunter: Using Change Point Detection to
 * Hunt for Performance Regressions", ICPE 2023) in place of the original
 * permutation test: a permutation test cannot give p below 2/n when one
 * side is a single run, so a history of five runs whose first differs
 * (the reference log's VM-1 -> VM-2) could never show its change, and it
 * is random where a t test is repeatable.  Because the split tested is
 * the best of the segment's candidates, its p is multiplied by their
 * number (Bonferroni), so that pure noise yields a change point with
 * probability at most alpha per segment.  A split is kept when that p is
 * below alpha; then both sides are searched again.  At the end each
 * change point is tested against its neighbouring segments, and one no
 * longer significant there goes (the least significant first).
 *
 * A single outlier inside a run of steady values is not a change point:
 * whichever side of a split holds it, its variance swamps the
 * difference of the means.  (An outlier at either end is
 * indistinguishable from a change with one run on a side; the result
 * says how many runs each side has, so a reader can tell.)
 *
 * The values are taken as given: the history passes logarithms, so that
 * a shift is a ratio.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The regularized incomplete beta function I_x(a, b), by its continued
 * fraction (modified Lentz).
 */
static double
beta_cf (double a, double b, double x)
{
  const double tiny = 1e-300;
  double c = 1, d = 1 - (a + b) * x / (a + 1), h;

  if (fabs (d) < tiny)
    d = tiny;
  d = 1 / d;
  h = d;
  for (int m = 1; m <= 300; m++) {
    double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    double del;

    d = 1 + aa * d;
    if (fabs (d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (fabs (c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (fabs (d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (fabs (c) < tiny) c = tiny;
    d = 1 / d;
    del = d * c;
    h *= del;
    if (fabs (del - 1) < 1e-14)
      break;
  }
  return h;
}

static double
ibeta (double a, double b, double x)
{
  double front;

  if (x <= 0)
    return 0;
  if (x >= 1)
    return 1;
  front = exp (lgamma (a + b) - lgamma (a) - lgamma (b) +
               a * log (x) + b * log1p (-x));
  if (x < (a + 1) / (a + b + 2))
    return front * beta_cf (a, b, x) / a;
  return 1 - front * beta_cf (b, a, 1 - x) / b;
}

double
stats_t_two_sided (double t, double df)
{
  if (isnan (t) || !(df > 0))
    return NAN;
  if (isinf (t))
    return 0;
  return ibeta (df / 2, 0.5, df / (df + t * t));
}

double
stats_t_quantile (double p, double df)
{
  double lo = 0, hi = 1e6;

  /* The upper quantile t with P(T > t) = 1 - p, p in (0.5, 1). */
  if (!(p > 0.5 && p < 1) || !(df > 0))
    return NAN;
  for (int i = 0; i < 200; i++) {
    double mid = (lo + hi) / 2;

    if (stats_t_two_sided (mid, df) / 2 > 1 - p)
      lo = mid;
    else
      hi = mid;
  }
  return (lo + hi) / 2;
}

static double
mean_of (const double *v, size_t n)
{
  double s = 0;

  for (size_t i = 0; i < n; i++)
    s += v[i];
  return s / (double) n;
}

static double
var_of (const double *v, size_t n, double mean)
{
  double s = 0;

  for (size_t i = 0; i < n; i++)
    s += (v[i] - mean) * (v[i] - mean);
  return n > 1 ? s / (double) (n - 1) : NAN;
}

/* The t test of X[s..t) against X[t..e), into *CP (p not yet corrected). */
static void
t_test (const double *x, size_t s, size_t t, size_t e, double alpha,
        struct change_point *cp)
{
  size_t n1 = t - s, n2 = e - t;
  double m1 = mean_of (x + s, n1), m2 = mean_of (x + t, n2);
  double v1 = var_of (x + s, n1, m1), v2 = var_of (x + t, n2, m2);
  double se, df, q;

  cp->at = t;
  cp->n_before = n1;
  cp->n_after = n2;
  cp->shift = m2 - m1;
  /* Pooled: under "no change" both sides have the same noise, and a
   * side of few runs that happen to agree must not make its own noise
   * look small (Welch's test does, and finds changes in pure noise).
   */
  {
    double ss = (n1 >= 2 ? v1 * (double) (n1 - 1) : 0) +
                (n2 >= 2 ? v2 * (double) (n2 - 1) : 0);

    df = (double) (n1 + n2) - 2;
    se = df >= 1 ? sqrt (ss / df * (1.0 / (double) n1 + 1.0 / (double) n2))
         : NAN;
  }
  if (!(df >= 1) || isnan (se)) {
    cp->p = 1;
    cp->lo = -INFINITY;
    cp->hi = INFINITY;
    return;
  }
  if (se == 0) {
    /* Every run on each side the same: any difference is certain. */
    cp->p = cp->shift == 0 ? 1 : 0;
    cp->lo = cp->hi = cp->shift;
    return;
  }
  cp->p = stats_t_two_sided (cp->shift / se, df);
  q = stats_t_quantile (1 - alpha / 2, df);
  cp->lo = cp->shift - q * se;
  cp->hi = cp->shift + q * se;
}

/* The best split of X[s..e) by E-Divisive means (alpha = 1): the index
 * of the first value after it, or 0 when the segment is too short.
 * D is the n x n matrix of |x_i - x_j|.
 */
static size_t
best_split (const double *d, size_t n, size_t s, size_t e)
{
  double best = -INFINITY;
  size_t at = 0;

  if (e - s < 3)
    return 0;
  for (size_t t = s + 1; t < e; t++) {
    double between = 0, within1 = 0, within2 = 0, m = (double) (t - s),
           k = (double) (e - t), q;

    for (size_t i = s; i < t; i++)
      for (size_t j = t; j < e; j++)
        between += d[i * n + j];
    for (size_t i = s; i < t; i++)
      for (size_t j = i + 1; j < t; j++)
        within1 += d[i * n + j];
    for (size_t i = t; i < e; i++)
      for (size_t j = i + 1; j < e; j++)
        within2 += d[i * n + j];
    q = 2 * between / (m * k);
    if (m >= 2)
      q -= within1 / (m * (m - 1) / 2);
    if (k >= 2)
      q -= within2 / (k * (k - 1) / 2);
    q *= m * k / (m + k);
    if (q > best) {
      best = q;
      at = t;
    }
  }
  return at;
}

size_t
stats_change_points (const double *x, size_t n, double alpha,
                     struct change_point *out, size_t max)
{
  size_t *cut, ncut = 0, found = 0;
  double *d;

  for (size_t i = 0; i < n; i++)
    if (!isfinite (x[i]))
      return 0;
  if (n < 3 || max == 0)
    return 0;
  d = xmalloc (n * n * sizeof *d);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++)
      d[i * n + j] = fabs (x[i] - x[j]);
  /* The cuts so far, 0 and n included, kept sorted; each round tries
   * every segment between two cuts and keeps the most significant split.
   */
  cut = xmalloc ((n + 2) * sizeof *cut);
  cut[ncut++] = 0;
  cut[ncut++] = n;
  while (found < max) {
    struct change_point best = { .p = INFINITY };
    size_t where = 0;

    for (size_t c = 0; c + 1 < ncut; c++) {
      size_t s = cut[c], e = cut[c + 1], t = best_split (d, n, s, e);
      struct change_point cp;

      if (t == 0)
        continue;
      t_test (x, s, t, e, alpha, &cp);
      /* The best of e - s - 1 candidate splits. */
      cp.p = fmin (1, cp.p * (double) (e - s - 1));
      if (cp.p < best.p) {
        best = cp;
        where = c + 1;
      }
    }
    if (!(best.p < alpha))
      break;
    memmove (cut + where + 1, cut + where, (ncut - where) * sizeof *cut);
    cut[where] = best.at;
    ncut++;
    found++;
  }
  /* Each change point's figures against its neighbouring segments, now
   * that they are all known (in order: the cuts are kept sorted); one
   * that is no longer significant against them (the least first) goes,
   * merging its neighbours, until every one left is.
   */
  for (;;) {
    size_t worst = 0;

    for (size_t c = 1; c + 1 < ncut; c++) {
      struct change_point cp;

      t_test (x, cut[c - 1], cut[c], cut[c + 1], alpha, &cp);
      cp.p = fmin (1, cp.p * (double) (cut[c + 1] - cut[c - 1] - 1));
      out[c - 1] = cp;
      if (!(cp.p < alpha) && (worst == 0 || cp.p > out[worst - 1].p))
        worst = c;
    }
    if (worst == 0)
      break;
    memmove (cut + worst, cut + worst + 1, (ncut - worst - 1) * sizeof *cut);
    ncut--;
    found--;
  }
  free (cut);
  free (d);
  return found;
}
