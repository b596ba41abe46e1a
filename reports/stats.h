/* stats.h: the distribution-free statistics the gate and compare use.
 *
 * Free of cJSON and of the runner, so unit tests link it alone.
 *
 * Two samples X (baseline, m values) and Y (candidate, n values), in
 * whatever scale the caller chose (the gate passes logarithms, so that a
 * shift is a ratio):
 *
 *   m >= 2: Mann-Whitney U (Wilcoxon rank-sum) test, exact null
 *           distribution with ties (midranks) for m + n <= STATS_EXACT_MAX,
 *           normal approximation with tie correction above; the shift
 *           Y - X estimated by Hodges-Lehmann (the median of all m*n
 *           differences) with its distribution-free confidence interval.
 *   m == 1: X is one stored value: Wilcoxon signed-rank test of Y - X[0],
 *           Hodges-Lehmann estimate from the Walsh averages and its
 *           interval.  The baseline's own noise is not counted.
 */
#ifndef VIPERBENCH_STATS_H
#define VIPERBENCH_STATS_H

#include <stdbool.h>
#include <stddef.h>

#define STATS_EXACT_MAX 100

struct shift {
  double est;                   /* Hodges-Lehmann estimate of Y - X */
  double lo, hi;                /* 1 - 2*alpha interval; -inf/+inf when
                                   the samples are too small for one */
  double p_less;                /* one-sided p: Y tends to be smaller */
  double p_greater;             /* one-sided p: Y tends to be larger */
  bool exact;                   /* p from the exact null distribution */
};

/* Fills *R; 0, or -1 when m == 0 or n == 0. */
extern int stats_shift (const double *x, size_t m, const double *y, size_t n,
                        double alpha, struct shift *r);

/* The median of V (N > 0); V is left unchanged. */
extern double stats_median (const double *v, size_t n);

/* The pooled sample standard deviation of X and Y around their own
 * means (only Y's when m < 2); NAN when there are fewer than 2 degrees
 * of freedom.
 */
extern double stats_pooled_sd (const double *x, size_t m, const double *y,
                               size_t n);

/* A robust standard deviation: 1.4826 x the median of the absolute
 * deviations of X and Y from their own medians (a side of fewer than 2
 * values contributes none); NAN when fewer than 3 deviations.  For
 * normal data it estimates the standard deviation; one disturbed run
 * moves it little.
 */
extern double stats_robust_sd (const double *x, size_t m, const double *y,
                               size_t n);

/* The standard normal quantile (0 < P < 1). */
extern double stats_norm_quantile (double p);

/* Repetitions per side that give POWER to detect a shift of EFFECT (> 0)
 * at one-sided level ALPHA when the per-sample standard deviation is SD:
 * the normal-theory size times pi/3 (the rank tests' efficiency against
 * the t test), and never fewer than the exact tests can reach p < ALPHA
 * with.  ONE_SAMPLE: the baseline is a single fixed value.
 */
extern size_t stats_n_needed (double sd, double effect, double alpha,
                              double power, bool one_sample);

/* The smallest n per side at which the exact test can reach p < ALPHA. */
extern size_t stats_n_min (double alpha, bool one_sample);

#endif /* VIPERBENCH_STATS_H */
