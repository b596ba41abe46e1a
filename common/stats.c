/* stats.c: rank tests and Hodges-Lehmann intervals (see stats.h).
 *
 * Null distributions are counted, not approximated, up to
 * STATS_EXACT_MAX values: a dynamic programme over the items' scores
 * (twice their midranks, so that ties stay integers) counts the ways to
 * reach each rank sum.  Counts are doubles: C(100, 50) is about 1e29.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

double
stats_median (const double *v, size_t n)
{
  double *s = xmalloc (n * sizeof *s), m;

  memcpy (s, v, n * sizeof *s);
  qsort (s, n, sizeof *s, cmp_double);
  m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  free (s);
  return m;
}

double
stats_pooled_sd (const double *x, size_t m, const double *y, size_t n)
{
  double ss = 0;
  size_t df = 0;

  for (int side = 0; side < 2; side++) {
    const double *v = side ? y : x;
    size_t k = side ? n : m;
    double mean = 0;

    if (k < 2)
      continue;
    for (size_t i = 0; i < k; i++)
      mean += v[i];
    mean /= (double) k;
    for (size_t i = 0; i < k; i++)
      ss += (v[i] - mean) * (v[i] - mean);
    df += k - 1;
  }
  return df < 2 ? NAN : sqrt (ss / (double) df);
}

double
stats_robust_sd (const double *x, size_t m, const double *y, size_t n)
{
  double *dev = xmalloc ((m + n + 1) * sizeof *dev), r;
  size_t k = 0;

  for (int side = 0; side < 2; side++) {
    const double *v = side ? y : x;
    size_t cnt = side ? n : m;
    double med;

    if (cnt < 2)
      continue;
    med = stats_median (v, cnt);
    for (size_t i = 0; i < cnt; i++)
      dev[k++] = fabs (v[i] - med);
  }
  r = k < 3 ? NAN : 1.4826 * stats_median (dev, k);
  free (dev);
  return r;
}

static double
norm_cdf (double z)
{
  return 0.5 * erfc (-z / sqrt (2));
}

double
stats_norm_quantile (double p)
{
  double lo = -40, hi = 40;

  for (int i = 0; i < 200; i++) {
    double mid = (lo + hi) / 2;

    if (norm_cdf (mid) < p)
      lo = mid;
    else
      hi = mid;
  }
  return (lo + hi) / 2;
}

/* Twice the midranks of V[0..N) (ties share the mean of their ranks),
 * into SCORE; returns the tie term sum(t^3 - t).
 */
static double
midrank_scores (const double *v, size_t n, long *score)
{
  size_t *idx = xmalloc (n * sizeof *idx);
  double ties = 0;

  for (size_t i = 0; i < n; i++)
    idx[i] = i;
  /* Insertion sort of indices by value: n is small. */
  for (size_t i = 1; i < n; i++)
    for (size_t k = i; k > 0 && v[idx[k]] < v[idx[k - 1]]; k--) {
      size_t t = idx[k];
      idx[k] = idx[k - 1];
      idx[k - 1] = t;
    }
  for (size_t i = 0; i < n;) {
    size_t j = i;

    while (j + 1 < n && v[idx[j + 1]] == v[idx[i]])
      j++;
    /* Ranks i+1 .. j+1: twice their mean is i + j + 2. */
    for (size_t k = i; k <= j; k++)
      score[idx[k]] = (long) (i + j + 2);
    ties += pow ((double) (j - i + 1), 3) - (double) (j - i + 1);
    i = j + 1;
  }
  free (idx);
  return ties;
}

/* Counts of subsets of size K of the N scores by score sum:
 * out[s] for s in 0..sum(scores).  Returns the array (free it).
 */
static double *
subset_sums (const long *score, size_t n, size_t k, long *max_out)
{
  long max = 0;
  double *dp, *res;

  for (size_t i = 0; i < n; i++)
    max += score[i];
  dp = xcalloc ((k + 1) * (size_t) (max + 1), sizeof *dp);
#define DP(j, s) dp[(size_t) (j) * (size_t) (max + 1) + (size_t) (s)]
  DP (0, 0) = 1;
  for (size_t i = 0; i < n; i++)
    for (size_t j = (i + 1 < k ? i + 1 : k); j >= 1; j--)
      for (long s = max; s >= score[i]; s--)
        DP (j, s) += DP (j - 1, s - score[i]);
  res = xmalloc ((size_t) (max + 1) * sizeof *res);
  for (long s = 0; s <= max; s++)
    res[s] = DP (k, s);
#undef DP
  free (dp);
  *max_out = max;
  return res;
}

/* Counts of sign assignments of the N scores by the sum of the
 * positive ones.
 */
static double *
signed_sums (const long *score, size_t n, long *max_out)
{
  long max = 0;
  double *dp;

  for (size_t i = 0; i < n; i++)
    max += score[i];
  dp = xcalloc ((size_t) (max + 1), sizeof *dp);
  dp[0] = 1;
  for (size_t i = 0; i < n; i++)
    for (long s = max; s >= score[i]; s--)
      dp[s] += dp[s - score[i]];
  *max_out = max;
  return dp;
}

/* Both one-sided exact p-values of the statistic OBS under the null
 * distribution COUNTS[0..MAX].
 */
static void
tails (const double *counts, long max, long obs, struct shift *r)
{
  double total = 0, le = 0, ge = 0;

  for (long s = 0; s <= max; s++) {
    total += counts[s];
    if (s <= obs) le += counts[s];
    if (s >= obs) ge += counts[s];
  }
  r->p_less = le / total;
  r->p_greater = ge / total;
  r->exact = true;
}

/* The largest C such that the null probability of a statistic (in units
 * of 2, counted in COUNTS[0..MAX] with offset BASE) below C is at most
 * ALPHA: the order statistic of the interval's lower end (0: none).
 */
static size_t
critical (const double *counts, long max, long base, double alpha)
{
  double total = 0, cum = 0;
  size_t c = 0;

  for (long s = 0; s <= max; s++)
    total += counts[s];
  /* Statistic u = (s - base) / 2, integer for untied scores. */
  for (long s = base; s <= max; s += 2) {
    /* P(u <= (s - base)/2) */
    cum += counts[s];
    if (cum / total <= alpha)
      c = (size_t) ((s - base) / 2) + 1;
    else
      break;
  }
  return c;
}

static void
interval (double *d, size_t nd, size_t c, struct shift *r)
{
  qsort (d, nd, sizeof *d, cmp_double);
  r->est = nd % 2 ? d[nd / 2] : (d[nd / 2 - 1] + d[nd / 2]) / 2;
  if (c >= 1 && c <= nd) {
    r->lo = d[c - 1];
    r->hi = d[nd - c];
  }
  else {
    r->lo = -INFINITY;
    r->hi = INFINITY;
  }
}

static void
two_sample (const double *x, size_t m, const double *y, size_t n,
            double alpha, struct shift *r)
{
  size_t N = m + n, nd = m * n;
  double *v = xmalloc (N * sizeof *v), *d = xmalloc (nd * sizeof *d);
  long *score = xmalloc (N * sizeof *score), obs = 0, max;
  double ties;
  size_t c;

  memcpy (v, x, m * sizeof *v);
  memcpy (v + m, y, n * sizeof *v);
  ties = midrank_scores (v, N, score);
  for (size_t j = 0; j < n; j++)
    obs += score[m + j];
  if (N <= STATS_EXACT_MAX) {
    double *cnt = subset_sums (score, N, n, &max);
    long *plain = xmalloc (N * sizeof *plain);

    tails (cnt, max, obs, r);
    free (cnt);
    /* The interval uses the untied distribution (Bauer 1972). */
    for (size_t i = 0; i < N; i++)
      plain[i] = 2 * (long) (i + 1);
    cnt = subset_sums (plain, N, n, &max);
    c = critical (cnt, max, (long) (n * (n + 1)), alpha);
    free (cnt);
    free (plain);
  }
  else {
    double u = (double) obs / 2 - (double) n * (double) (n + 1) / 2;
    double mu = (double) m * (double) n / 2;
    double var = (double) m * (double) n / 12 *
                 ((double) (N + 1) - ties / ((double) N * (double) (N - 1)));
    double sd = sqrt (var > 0 ? var : 1e-300);
    double z = stats_norm_quantile (1 - alpha);
    double cc = floor (mu - z * sqrt ((double) m * (double) n *
                                      (double) (N + 1) / 12));

    r->p_less = norm_cdf ((u + 0.5 - mu) / sd);
    r->p_greater = 1 - norm_cdf ((u - 0.5 - mu) / sd);
    r->exact = false;
    c = cc < 0 ? 0 : (size_t) cc;
  }
  for (size_t i = 0, k = 0; i < m; i++)
    for (size_t j = 0; j < n; j++)
      d[k++] = y[j] - x[i];
  interval (d, nd, c, r);
  free (v);
  free (d);
  free (score);
}

static void
one_sample (double x0, const double *y, size_t n, double alpha,
            struct shift *r)
{
  double *dev = xmalloc (n * sizeof *dev), *absd = xmalloc (n * sizeof *absd);
  size_t nw = n * (n + 1) / 2, nz = 0;
  double *w = xmalloc (nw * sizeof *w);
  long *score = xmalloc (n * sizeof *score), obs = 0, max;
  size_t c;

  for (size_t j = 0; j < n; j++) {
    dev[j] = y[j] - x0;
    if (dev[j] != 0)
      absd[nz++] = fabs (dev[j]);
  }
  /* Zeros carry no sign: dropped from the test (Wilcoxon's convention). */
  if (nz == 0) {
    r->p_less = r->p_greater = 1;
    r->exact = true;
  }
  else {
    double ties = midrank_scores (absd, nz, score);

    for (size_t j = 0, k = 0; j < n; j++)
      if (dev[j] != 0) {
        if (dev[j] > 0)
          obs += score[k];
        k++;
      }
    if (nz <= STATS_EXACT_MAX) {
      double *cnt = signed_sums (score, nz, &max);

      tails (cnt, max, obs, r);
      free (cnt);
    }
    else {
      double wv = (double) obs / 2, k = (double) nz;
      double mu = k * (k + 1) / 4;
      double sd = sqrt (k * (k + 1) * (2 * k + 1) / 24 - ties / 48);

      r->p_less = norm_cdf ((wv + 0.5 - mu) / sd);
      r->p_greater = 1 - norm_cdf ((wv - 0.5 - mu) / sd);
      r->exact = false;
    }
  }
  /* The interval: Walsh averages and the untied null distribution. */
  if (n <= STATS_EXACT_MAX) {
    long *plain = xmalloc (n * sizeof *plain);
    double *cnt;

    for (size_t i = 0; i < n; i++)
      plain[i] = 2 * (long) (i + 1);
    cnt = signed_sums (plain, n, &max);
    c = critical (cnt, max, 0, alpha);
    free (cnt);
    free (plain);
  }
  else {
    double k = (double) n, z = stats_norm_quantile (1 - alpha);
    double cc = floor (k * (k + 1) / 4 -
                       z * sqrt (k * (k + 1) * (2 * k + 1) / 24));

    c = cc < 0 ? 0 : (size_t) cc;
  }
  for (size_t i = 0, k = 0; i < n; i++)
    for (size_t j = i; j < n; j++)
      w[k++] = (dev[i] + dev[j]) / 2;
  interval (w, nw, c, r);
  free (dev);
  free (absd);
  free (w);
  free (score);
}

int
stats_shift (const double *x, size_t m, const double *y, size_t n,
             double alpha, struct shift *r)
{
  memset (r, 0, sizeof *r);
  if (m == 0 || n == 0)
    return -1;
  if (m == 1)
    one_sample (x[0], y, n, alpha, r);
  else
    two_sample (x, m, y, n, alpha, r);
  return 0;
}

int
stats_paired (const double *x, const double *y, size_t n, double alpha,
              struct shift *r)
{
  double *d;

  memset (r, 0, sizeof *r);
  if (n == 0)
    return -1;
  d = xmalloc (n * sizeof *d);
  for (size_t i = 0; i < n; i++)
    d[i] = y[i] - x[i];
  one_sample (0, d, n, alpha, r);
  free (d);
  return 0;
}

size_t
stats_n_min (double alpha, bool one_sample)
{
  for (size_t n = 1; n < 64; n++) {
    /* The smallest p the exact test can give with n per side. */
    double pmin = 1;

    if (one_sample)
      pmin = ldexp (1, -(int) n);
    else
      for (size_t i = 1; i <= n; i++)
        pmin *= (double) i / (double) (n + i);   /* 1 / C(2n, n) */
    if (pmin < alpha)
      return n;
  }
  return 64;
}

size_t
stats_n_needed (double sd, double effect, double alpha, double power,
                bool one_sample)
{
  double z = stats_norm_quantile (1 - alpha) + stats_norm_quantile (power);
  double n = (one_sample ? 1 : 2) * pow (z * sd / effect, 2) * M_PI / 3;
  size_t lo = stats_n_min (alpha, one_sample);

  if (!(n < 1e6))
    return 1000000;
  return (size_t) ceil (n) > lo ? (size_t) ceil (n) : lo;
}

void
timeline_judge (const double *iops, size_t n, struct steadiness *v)
{
  double median, mean = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  size_t m;

  memset (v, 0, sizeof *v);
  if (n == 0)
    return;
  median = stats_median (iops, n);
  for (size_t i = 1; i < n; i++)
    if (iops[i] < STALL_FRACTION * median) {
      if (v->nstalls < sizeof v->stalls / sizeof v->stalls[0])
        v->stalls[v->nstalls] = i;
      v->nstalls++;
    }

  m = n / 2 > STEADY_MIN_POINTS ? n / 2 : STEADY_MIN_POINTS;
  if (n < m + 1)                /* the first interval is never judged */
    return;
  v->from = n - m;
  for (size_t i = v->from; i < n; i++) {
    double x = (double) (i - v->from);

    mean += iops[i];
    sx += x;
    sy += iops[i];
    sxx += x * x;
    sxy += x * iops[i];
  }
  mean /= (double) m;
  v->judged = true;
  if (!(mean > 0)) {
    v->steady = false;
    v->trend = v->spread = NAN;
    return;
  }
  {
    double slope = (m * sxy - sx * sy) / (m * sxx - sx * sx);

    v->trend = slope * (double) (m - 1) / mean;
  }
  for (size_t i = v->from; i < n; i++)
    if (fabs (iops[i] - mean) / mean > v->spread)
      v->spread = fabs (iops[i] - mean) / mean;
  v->steady = fabs (v->trend) <= STEADY_TREND && v->spread <= STEADY_SPREAD;
}
