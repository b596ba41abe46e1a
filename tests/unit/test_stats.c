/* test_stats.c: unit tests of the gate's statistics (common/stats.c):
 * exact rank-test p-values against published tables and against brute
 * force enumeration with ties, Hodges-Lehmann estimates and intervals.
 * Run alone: make build/tests/unit/test_stats && build/tests/unit/test_stats
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <stdio.h>
#include <unistd.h>

#include "../../common/internal.h"

#define assert_near(a, b, eps) assert_true (fabs ((a) - (b)) <= (eps))

static void
test_mann_whitney_tables (void **state)
{
  double x[] = { 1, 2, 3, 4, 5 }, y[] = { 11, 12, 13, 14, 15 };
  double y2[] = { 1.5, 2.5, 6, 7, 8 };
  struct shift r;

  (void) state;
  /* Complete separation, 3 vs 3: 1/C(6,3). */
  assert_int_equal (stats_shift (x, 3, y, 3, 0.05, &r), 0);
  assert_near (r.p_greater, 1.0 / 20, 1e-12);
  assert_near (r.p_less, 1.0, 1e-12);
  assert_true (r.exact);
  /* 5 vs 5, U = 0: 1/252. */
  stats_shift (x, 5, y, 5, 0.05, &r);
  assert_near (r.p_greater, 1.0 / 252, 1e-12);
  assert_near (r.est, 10, 1e-12);
  /* The 90% interval of 5 vs 5 is d(5) .. d(21): P(U <= 4) = 12/252. */
  assert_near (r.lo, 8, 1e-12);
  assert_near (r.hi, 12, 1e-12);
  /* x = 1..5, y2: ranks of y2 are 2, 4, 8, 9, 10: W = 33, U_y = 18,
   * U_x = 7; P(U <= 7) = 39/252 for 5 vs 5 (Mann and Whitney's table).
   */
  stats_shift (x, 5, y2, 5, 0.05, &r);
  assert_near (r.p_greater, 39.0 / 252, 1e-12);
}

/* Brute force: every way of drawing n of the pooled values as Y. */
static double
brute_p_greater (const double *x, size_t m, const double *y, size_t n)
{
  size_t N = m + n, ge = 0, total = 0;
  double v[16], obs = 0;

  memcpy (v, x, m * sizeof *v);
  memcpy (v + m, y, n * sizeof *v);
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < n; j++)
      obs += (y[j] > x[i]) + 0.5 * (y[j] == x[i]);
  for (unsigned mask = 0; mask < (1u << N); mask++) {
    double u = 0;

    if ((size_t) __builtin_popcount (mask) != n)
      continue;
    for (size_t a = 0; a < N; a++)
      for (size_t b = 0; b < N; b++)
        if (!(mask >> a & 1) && (mask >> b & 1))
          u += (v[b] > v[a]) + 0.5 * (v[b] == v[a]);
    total++;
    ge += u >= obs - 1e-9;
  }
  return (double) ge / (double) total;
}

static void
test_mann_whitney_ties (void **state)
{
  (void) state;
  srand (7);
  for (int round = 0; round < 200; round++) {
    size_t m = 2 + (size_t) (rand () % 5), n = 1 + (size_t) (rand () % 6);
    double x[8], y[8];
    struct shift r;

    for (size_t i = 0; i < m; i++) x[i] = rand () % 4;
    for (size_t j = 0; j < n; j++) y[j] = rand () % 4;
    stats_shift (x, m, y, n, 0.05, &r);
    assert_near (r.p_greater, brute_p_greater (x, m, y, n), 1e-9);
  }
}

static void
test_signed_rank (void **state)
{
  double base = 100, y[] = { 101, 102, 103, 104, 105 };
  double y10[10];
  struct shift r;

  (void) state;
  /* All five above: 1/2^5. */
  stats_shift (&base, 1, y, 5, 0.05, &r);
  assert_near (r.p_greater, 1.0 / 32, 1e-12);
  assert_near (r.p_less, 1.0, 1e-12);
  /* Walsh averages of 1..5: median 3. */
  assert_near (r.est, 3, 1e-12);
  /* n = 10: P(W <= 10) = 0.042, P(W <= 11) = 0.053 (Wilcoxon's table):
   * the 90% interval is w(11) .. w(45) of the 55 Walsh averages.
   */
  for (int i = 0; i < 10; i++)
    y10[i] = 100 + i - 4.5;
  stats_shift (&base, 1, y10, 10, 0.05, &r);
  assert_near (r.est, 0, 1e-12);
  assert_true (r.lo < 0 && r.hi > 0);
  assert_near (r.lo, -2.0, 1e-12);
  assert_near (r.hi, 2.0, 1e-12);
  /* Nothing to go on: no interval. */
  stats_shift (&base, 1, y, 2, 0.05, &r);
  assert_true (isinf (r.lo) && isinf (r.hi));
}

/* Pairs: drift shared by both members of a pair cancels. */
static void
test_paired (void **state)
{
  double x[] = { 10, 20, 30, 40, 50, 60, 70, 80 };
  double d[] = { 1, 2, 3, 4, 5, 6, 7, -0.5 }, y[8];
  struct shift r, two;

  (void) state;
  for (int i = 0; i < 8; i++)
    y[i] = x[i] + d[i];
  assert_int_equal (stats_paired (x, y, 8, 0.05, &r), 0);
  /* W+ = 2 + ... + 8 = 35 of 36: P(W+ >= 35) = 2 / 2^8. */
  assert_near (r.p_greater, 2.0 / 256, 1e-12);
  assert_true (r.exact);
  /* The median of the 36 Walsh averages; P(W <= 5) = 0.039 <= 0.05 <
   * P(W <= 6) (Wilcoxon's table, n = 8): the 6th smallest is the lower end.
   */
  assert_near (r.est, 3.5, 1e-12);
  assert_near (r.lo, 1.5, 1e-12);
  /* The same values as two piles: the drift hides the shift. */
  stats_shift (x, 8, y, 8, 0.05, &two);
  assert_true (two.p_greater > 0.3);
  /* Every pair equal: no evidence either way. */
  assert_int_equal (stats_paired (x, x, 8, 0.05, &r), 0);
  assert_near (r.p_greater, 1, 1e-12);
  assert_near (r.p_less, 1, 1e-12);
  assert_int_equal (stats_paired (x, y, 0, 0.05, &r), -1);
}

/* Deterministic normal noise (an LCG and Box-Muller): every run of the
 * test sees the same series.
 */
static double
noise (unsigned *seed)
{
  double u1, u2;

  *seed = *seed * 1103515245u + 12345u;
  u1 = ((*seed >> 8) + 1.0) / 16777218.0;
  *seed = *seed * 1103515245u + 12345u;
  u2 = ((*seed >> 8) + 1.0) / 16777218.0;
  return sqrt (-2 * log (u1)) * cos (2 * M_PI * u2);
}

/* ln(level * (1 + sd * N(0,1))) for N values. */
static void
series (double *x, size_t n, double level, double sd, unsigned seed)
{
  for (size_t i = 0; i < n; i++)
    x[i] = log (level * (1 + sd * noise (&seed)));
}

static void
test_t_distribution (void **state)
{
  (void) state;
  /* Student's table: t(0.975, 10) = 2.228, t(0.995, 3) = 5.841. */
  assert_near (stats_t_two_sided (2.228139, 10), 0.05, 1e-5);
  assert_near (stats_t_quantile (0.975, 10), 2.228139, 1e-4);
  assert_near (stats_t_quantile (0.995, 3), 5.840909, 1e-4);
  assert_near (stats_t_two_sided (0, 5), 1, 1e-12);
  /* One degree of freedom is Cauchy: P(|T| > 1) = 1/2. */
  assert_near (stats_t_two_sided (1, 1), 0.5, 1e-9);
}

static void
test_change_points (void **state)
{
  double x[60];
  struct change_point cp[8];
  size_t n;
  unsigned seed;

  (void) state;
  /* A step: 12 runs at 100, 12 at 120 (+20%), 2% noise. */
  series (x, 12, 100, 0.02, 1);
  series (x + 12, 12, 120, 0.02, 2);
  n = stats_change_points (x, 24, 0.05, cp, 8);
  assert_int_equal (n, 1);
  assert_int_equal (cp[0].at, 12);
  assert_int_equal (cp[0].n_before, 12);
  assert_int_equal (cp[0].n_after, 12);
  assert_true (fabs (expm1 (cp[0].shift) - 0.20) < 0.03);
  assert_true (cp[0].lo < log (1.20) && cp[0].hi > log (1.20));
  assert_true (cp[0].p < 0.001);

  /* Two steps, up then down. */
  series (x, 10, 100, 0.02, 3);
  series (x + 10, 10, 130, 0.02, 4);
  series (x + 20, 10, 90, 0.02, 5);
  n = stats_change_points (x, 30, 0.05, cp, 8);
  assert_int_equal (n, 2);
  assert_int_equal (cp[0].at, 10);
  assert_int_equal (cp[1].at, 20);
  assert_true (cp[0].shift > 0 && cp[1].shift < 0);

  /* A single outlier (+60%) amid steady runs: no change point. */
  series (x, 21, 100, 0.02, 6);
  x[10] = log (160);
  assert_int_equal (stats_change_points (x, 21, 0.05, cp, 8), 0);

  /* Pure noise, 5% per run, over several seeds: no change point. */
  for (seed = 10; seed < 20; seed++) {
    series (x, 40, 100, 0.05, seed);
    assert_int_equal (stats_change_points (x, 40, 0.05, cp, 8), 0);
  }

  /* A slow drift, +10% over 40 runs in 2% noise: a staircase of a few
   * steps, each up and smaller than the whole drift, every one
   * significant against its neighbours; not a change point per run.
   */
  for (unsigned s = 1; s <= 4; s++) {
    seed = s;
    for (size_t i = 0; i < 40; i++)
      x[i] = log (100 * (1 + 0.10 * (double) i / 39) * (1 + 0.02 * noise (&seed)));
    n = stats_change_points (x, 40, 0.05, cp, 8);
    assert_true (n >= 1 && n <= 3);
    for (size_t i = 0; i < n; i++)
      assert_true (cp[i].shift > 0 && cp[i].shift < log (1.10) && cp[i].p < 0.05);
  }

  /* Too short, or not finite: nothing. */
  assert_int_equal (stats_change_points (x, 2, 0.05, cp, 8), 0);
  x[3] = NAN;
  assert_int_equal (stats_change_points (x, 10, 0.05, cp, 8), 0);
}

/* The reference log's five runs (shared/fixtures/fio-text vm1..vm5,
 * read + write IOPS as fio printed them): VM-1 -> VM-2 is the change;
 * tests/test-history.sh finds it again through the importer.
 */
static void
test_change_points_fixtures (void **state)
{
  const double iops[] = { 1143 + 494, 1617 + 699, 1698 + 734, 1641 + 710,
                          1541 + 666 };
  double x[5];
  struct change_point cp[4];

  (void) state;
  for (int i = 0; i < 5; i++)
    x[i] = log (iops[i]);
  assert_int_equal (stats_change_points (x, 5, 0.05, cp, 4), 1);
  assert_int_equal (cp[0].at, 1);
  assert_int_equal (cp[0].n_before, 1);
  assert_true (expm1 (cp[0].shift) > 0.35 && expm1 (cp[0].shift) < 0.48);
  assert_true (cp[0].p < 0.05);
}

static void
test_helpers (void **state)
{
  double x[] = { 1, 3 }, y[] = { 2, 4, 6 };

  (void) state;
  assert_near (stats_norm_quantile (0.975), 1.959964, 1e-5);
  assert_near (stats_norm_quantile (0.05), -1.644854, 1e-5);
  assert_near (stats_median (y, 3), 4, 0);
  assert_near (stats_median (x, 2), 2, 0);
  /* Deviations: 1,1 and 2,0,2 over 1 + 2 degrees of freedom. */
  assert_near (stats_pooled_sd (x, 2, y, 3), sqrt (10.0 / 3), 1e-12);
  /* Deviations from the medians: 1,1 and 2,0,2: median 1. */
  assert_near (stats_robust_sd (x, 2, y, 3), 1.4826, 1e-12);
  /* One wild value barely moves it. */
  {
    double z[] = { 1, 2, 3, 4, 1000 };

    assert_near (stats_robust_sd (z, 5, NULL, 0), 1.4826, 1e-12);
  }
  assert_int_equal (stats_n_min (0.05, false), 4);
  assert_int_equal (stats_n_min (0.05, true), 5);
  /* sd equal to the effect: 2 * (1.645 + 0.842)^2 * pi/3 = 12.95. */
  assert_int_equal (stats_n_needed (0.1, 0.1, 0.05, 0.8, false), 13);
  assert_int_equal (stats_n_needed (0.01, 0.1, 0.05, 0.8, false), 4);
}

/* Steadiness: a flat run, a warm-up that never ends, a noisy tail, a
 * stall, and one too short to judge.
 */
static void
test_timeline_judge (void **state)
{
  struct steadiness v;
  (void) state;

  {
    /* A slow first second (warm-up) then flat within 3%: steady, and
     * the first second is never a stall.
     */
    double x[] = { 2000, 10000, 10200, 9900, 10100, 9950, 10050, 10000 };

    timeline_judge (x, 8, &v);
    assert_true (v.judged);
    assert_true (v.steady);
    assert_int_equal (v.nstalls, 0);
    assert_int_equal (v.from, 4);
    assert_true (fabs (v.trend) < 0.02);
  }
  {
    /* Still climbing 5% a second over the last half: +15% across it. */
    double x[] = { 8000, 8400, 8800, 9200, 9600, 10000, 10500, 11000 };

    timeline_judge (x, 8, &v);
    assert_true (v.judged);
    assert_false (v.steady);
    assert_true (v.trend > STEADY_TREND);
    assert_true (v.spread < STEADY_SPREAD);
  }
  {
    /* Flat on average but seconds 25% off the mean: spread. */
    double x[] = { 12000, 12000, 12000, 12000, 9000, 15000, 15000, 9000 };

    timeline_judge (x, 8, &v);
    assert_false (v.steady);
    assert_true (fabs (v.trend) <= STEADY_TREND);
    assert_true (v.spread > STEADY_SPREAD);
  }
  {
    /* Second 3 (0-based) fell to a tenth: a stall, and unsteady. */
    double x[] = { 10000, 10000, 10000, 1000, 10000, 10000, 10000, 10000 };

    timeline_judge (x, 8, &v);
    assert_int_equal (v.nstalls, 1);
    assert_int_equal (v.stalls[0], 3);
    /* ...but outside the judged half, so the end is steady. */
    assert_true (v.steady);
  }
  {
    /* Three seconds: the first never counts, so too few to judge. */
    double x[] = { 10000, 10000, 10000 };

    timeline_judge (x, 3, &v);
    assert_false (v.judged);
    assert_int_equal (v.nstalls, 0);
  }
}

/* Writes a histogram log NAME in DIR: lines at the times T (ms), each
 * with 1000 completions in bin 100, for both directions.
 */
static void
write_hist_log (const char *dir, const char *name, const double *t, size_t n)
{
  char *path = xasprintf ("%s/%s", dir, name);
  FILE *f = fopen (path, "w");

  assert_non_null (f);
  for (size_t i = 0; i < n; i++)
    for (int d = 0; d < 2; d++) {
      fprintf (f, "%.0f, %d, 4096", t[i], d);
      for (int k = 0; k < 1856; k++)
        fprintf (f, ", %d", k == 100 ? 1000 : 0);
      fprintf (f, "\n");
    }
  fclose (f);
  free (path);
}

/* A job whose windows started half an interval late (its first
 * completion at 499 ms) beside one on the second: every interval holds
 * both jobs' completions, none is empty (a false stall).
 */
static void
test_timeline_phase (void **state)
{
  char dir[] = "/tmp/test_stats.XXXXXX";
  const double a[] = { 1000, 2000, 3000 }, b[] = { 1499, 2501, 3499 };
  struct timeline tl;

  (void) state;
  assert_non_null (mkdtemp (dir));
  write_hist_log (dir, "hist_clat_hist.1.log", a, 3);
  write_hist_log (dir, "hist_clat_hist.2.log", b, 3);
  assert_int_equal (fiolog_timeline (dir, 1.0, &tl), 1);
  assert_int_equal (tl.n, 3);
  for (size_t i = 0; i < tl.n; i++)
    assert_true (tl.iops[i] == 4000);
  timeline_free (&tl);
  {
    char *p1 = xasprintf ("%s/hist_clat_hist.1.log", dir);
    char *p2 = xasprintf ("%s/hist_clat_hist.2.log", dir);

    unlink (p1);
    unlink (p2);
    free (p1);
    free (p2);
  }
  rmdir (dir);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_mann_whitney_tables),
    cmocka_unit_test (test_mann_whitney_ties),
    cmocka_unit_test (test_signed_rank),
    cmocka_unit_test (test_paired),
    cmocka_unit_test (test_t_distribution),
    cmocka_unit_test (test_change_points),
    cmocka_unit_test (test_change_points_fixtures),
    cmocka_unit_test (test_helpers),
    cmocka_unit_test (test_timeline_judge),
    cmocka_unit_test (test_timeline_phase),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
