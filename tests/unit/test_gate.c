/* test_gate.c: unit tests of the gate's pure core (reports/gate_verdict.c):
 * samples and settings in, verdicts and "go on to N repetitions" out.
 * A/A passes, a clear regression fails, noise asks for more, a single
 * stored baseline, the two looks' alpha split and the thresholds'
 * precedence.
 * Run alone: make build/tests/unit/test_gate && build/tests/unit/test_gate
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../reports/internal.h"

/* Deterministic noise: N values around MEAN with relative spread SPREAD
 * (a fixed pattern, so every run of the test sees the same samples).
 */
static void
samples (double *v, size_t n, double mean, double spread, unsigned seed)
{
  static const double pattern[] = {
    0.31, -0.52, 0.11, 0.87, -0.23, -0.94, 0.45, -0.08, 0.66, -0.71,
    0.02, 0.39, -0.47, 0.93, -0.15, 0.58, -0.84, 0.27, -0.36, 0.74,
  };

  for (size_t i = 0; i < n; i++)
    v[i] = mean * (1 + spread * pattern[(i + seed) % 20]);
}

static const struct gate_series *
series (const struct gate *g, const char *layer, enum gate_metric m)
{
  for (size_t i = 0; i < g->nseries; i++)
    if (strcmp (g->series[i].layer, layer) == 0 && g->series[i].metric == m)
      return &g->series[i];
  fail_msg ("no series %s/%s", layer, gate_metric_name (m));
  return NULL;
}

static void
test_defaults_and_plan (void **state)
{
  struct gate g;

  (void) state;
  gate_init (&g);
  assert_int_equal (g.repeat, GATE_DEFAULT_REPEAT);
  assert_true (g.thr[GT_IOPS] == -0.07 && g.thr[GT_P99] == 0.25 &&
               g.thr[GT_CPU] == 0.07);
  assert_true (g.paired);
  /* No --max-repeat: 3 x repeat, two looks sharing alpha. */
  assert_int_equal (gate_plan (&g, 0), 0);
  assert_int_equal (g.max_repeat, 3 * GATE_DEFAULT_REPEAT);
  assert_int_equal (g.looks, 2);
  assert_true (fabs (g.alpha - 0.025) < 1e-12);
  gate_free (&g);

  /* --max-repeat equal to --repeat: one look with all of alpha. */
  gate_init (&g);
  g.max_repeat = g.repeat;
  assert_int_equal (gate_plan (&g, 0), 0);
  assert_int_equal (g.looks, 1);
  assert_true (fabs (g.alpha - 0.05) < 1e-12);
  gate_free (&g);

  /* Fewer than --repeat at most, or too few for the exact test. */
  gate_init (&g);
  g.repeat = 6;
  g.max_repeat = 4;
  assert_int_equal (gate_plan (&g, 0), -1);
  gate_free (&g);
  gate_init (&g);
  g.repeat = 2;
  assert_int_equal (gate_plan (&g, 0), -1);
  gate_free (&g);
}

static void
test_threshold_precedence (void **state)
{
  struct gate g;

  (void) state;
  double none[GT_COUNT] = { NAN, NAN, NAN };
  double stack[GT_COUNT] = { -0.05, 0.30, NAN };
  double cli[GT_COUNT] = { -0.15, NAN, 0.08 };

  gate_init (&g);
  gate_set_thresholds (&g, none, NULL);
  assert_true (g.thr[GT_IOPS] == -0.07 && g.thr[GT_P99] == 0.25);
  /* The stack's over the defaults... */
  gate_set_thresholds (&g, stack, none);
  assert_true (g.thr[GT_IOPS] == -0.05 && g.thr[GT_P99] == 0.30 &&
               g.thr[GT_CPU] == 0.07);
  /* ...the command line's over the stack's, each metric on its own. */
  gate_set_thresholds (&g, stack, cli);
  assert_true (g.thr[GT_IOPS] == -0.15 && g.thr[GT_P99] == 0.30 &&
               g.thr[GT_CPU] == 0.08);
  /* Each threshold is signed the way that is worse. */
  assert_true (fabs (gate_thr_parse (GT_CPU, "+7%") - 0.07) < 1e-12);
  assert_true (isnan (gate_thr_parse (GT_CPU, "-7%")));
  assert_true (isnan (gate_thr_parse (GT_IOPS, "+7%")));
  assert_true (isnan (gate_thr_parse (GT_IOPS, "-100%")));
  assert_true (isnan (gate_thr_parse (GT_P99, "20")));
  gate_free (&g);
}

static void
test_aa_passes (void **state)
{
  double a[12], b[12], pa[12], pb[12];
  struct gate g;

  (void) state;
  gate_init (&g);
  g.repeat = 12;
  assert_int_equal (gate_plan (&g, 0), 0);
  samples (a, 12, 50000, 0.02, 0);
  samples (b, 12, 50000, 0.02, 7);
  samples (pa, 12, 2e6, 0.03, 3);
  samples (pb, 12, 2e6, 0.03, 11);
  gate_series_add (&g, "nbd-unix", GM_IOPS, NULL, a, 12, b, 12);
  gate_series_add (&g, "nbd-unix", GM_READ_P99, NULL, pa, 12, pb, 12);
  assert_int_equal (gate_decide (&g), GATE_EXIT_PASS);
  assert_int_equal (series (&g, "nbd-unix", GM_IOPS)->verdict, GATE_PASS);
  assert_int_equal (series (&g, "nbd-unix", GM_READ_P99)->verdict, GATE_PASS);
  gate_free (&g);
}

static void
test_regression_fails (void **state)
{
  double a[6], b[6], pa[6], pb[6];
  struct gate g;
  const struct gate_series *se;

  (void) state;
  gate_init (&g);
  assert_int_equal (gate_plan (&g, 0), 0);
  samples (a, 6, 50000, 0.02, 0);
  samples (b, 6, 35000, 0.02, 5);       /* -30% */
  samples (pa, 6, 2e6, 0.02, 1);
  samples (pb, 6, 2e6, 0.02, 9);        /* unchanged */
  gate_series_add (&g, "direct", GM_IOPS, NULL, a, 6, b, 6);
  gate_series_add (&g, "direct", GM_WRITE_P99, NULL, pa, 6, pb, 6);
  assert_int_equal (gate_decide (&g), GATE_EXIT_REGRESSION);
  se = series (&g, "direct", GM_IOPS);
  assert_int_equal (se->verdict, GATE_REGRESSION);
  assert_true (se->change < -0.25 && se->change > -0.35);
  assert_true (se->p < g.alpha);
  assert_non_null (strstr (se->why, "past the -7% threshold"));
  assert_int_equal (series (&g, "direct", GM_WRITE_P99)->verdict, GATE_PASS);
  gate_free (&g);

  /* A significant change smaller than the threshold passes. */
  gate_init (&g);
  assert_int_equal (gate_plan (&g, 0), 0);
  samples (a, 6, 50000, 0.005, 0);
  samples (b, 6, 48000, 0.005, 0);      /* -4% */
  gate_series_add (&g, "direct", GM_IOPS, NULL, a, 6, b, 6);
  assert_int_equal (gate_decide (&g), GATE_EXIT_PASS);
  gate_free (&g);
}

static void
test_noise_asks_for_more (void **state)
{
  double a[6], b[6];
  struct gate g;
  size_t more;

  (void) state;
  gate_init (&g);
  assert_int_equal (gate_plan (&g, 0), 0);
  samples (a, 6, 50000, 0.40, 0);
  samples (b, 6, 44000, 0.40, 3);       /* -12% in 40% noise */
  gate_series_add (&g, "nbd-tcp", GM_IOPS, NULL, a, 6, b, 6);
  assert_int_equal (gate_decide (&g), GATE_EXIT_NOISY);
  assert_int_equal (series (&g, "nbd-tcp", GM_IOPS)->verdict, GATE_NOISY);
  assert_true (series (&g, "nbd-tcp", GM_IOPS)->needed > 6);
  series_free (&g);

  /* The first look: more repetitions than 3 x 6 are needed, so the gate
   * does not extend and says so.
   */
  gate_series_add (&g, "nbd-tcp", GM_IOPS, NULL, a, 6, b, 6);
  more = gate_look (&g);
  assert_int_equal (more, 0);
  assert_int_equal (g.nseries, 0);
  assert_int_equal (g.nnotes, 1);
  assert_non_null (strstr (g.notes[0], "not extended"));
  gate_free (&g);

  /* Moderate noise: the look goes on, to an even count within the
   * maximum.
   */
  gate_init (&g);
  g.max_repeat = 40;
  assert_int_equal (gate_plan (&g, 0), 0);
  samples (a, 6, 50000, 0.12, 0);
  samples (b, 6, 46000, 0.12, 4);
  gate_series_add (&g, "nbd-tcp", GM_IOPS, NULL, a, 6, b, 6);
  more = gate_look (&g);
  assert_true (more > 6 && more <= 40);
  assert_int_equal (more % 2, 0);
  assert_int_equal (g.extended_to, more);
  gate_free (&g);

  /* One look only: never extended. */
  gate_init (&g);
  g.repeat = 6;
  g.max_repeat = 6;
  assert_int_equal (gate_plan (&g, 0), 0);
  gate_series_add (&g, "nbd-tcp", GM_IOPS, NULL, a, 6, b, 6);
  assert_int_equal (gate_look (&g), 0);
  gate_free (&g);
}

/* Pairs: the machine's speed drifting by 70% over the repetitions hides
 * a -10% change from two piles of runs, not from the pairs.
 */
static void
test_paired_drift (void **state)
{
  double a[8], b[8], wiggle[8];
  struct gate g;
  const struct gate_series *se;

  (void) state;
  samples (wiggle, 8, 1, 0.01, 2);
  for (int i = 0; i < 8; i++) {
    a[i] = 50000 * (1 + 0.10 * i);
    b[i] = a[i] * 0.90 * wiggle[i];
  }
  gate_init (&g);
  assert_int_equal (gate_plan (&g, 0), 0);
  gate_series_add (&g, "nbd-unix", GM_IOPS, NULL, a, 8, b, 8);
  assert_int_equal (gate_decide (&g), GATE_EXIT_REGRESSION);
  se = series (&g, "nbd-unix", GM_IOPS);
  assert_true (se->change < -0.08 && se->change > -0.12);
  /* The noise is that of a pair (1%), not the 30% drift. */
  assert_true (se->sd < 0.02);
  assert_non_null (strstr (se->why, "-7% threshold"));
  gate_free (&g);

  /* The same numbers as two piles (no pairing): not a regression. */
  gate_init (&g);
  g.paired = false;
  assert_int_equal (gate_plan (&g, 0), 0);
  gate_series_add (&g, "nbd-unix", GM_IOPS, NULL, a, 8, b, 8);
  assert_true (gate_decide (&g) != GATE_EXIT_REGRESSION);
  gate_free (&g);
}

/* CPU per I/O: a series per process, with its own threshold and its own
 * words.
 */
static void
test_cpu_per_process (void **state)
{
  double a[8], b[8], fa[8], fb[8];
  struct gate g;
  const struct gate_series *se;
  char label[64];

  (void) state;
  samples (a, 8, 20.0, 0.01, 0);
  samples (b, 8, 22.0, 0.01, 3);        /* nbdkit +10% */
  samples (fa, 8, 9.0, 0.01, 5);
  samples (fb, 8, 9.0, 0.01, 9);        /* fio unchanged */
  gate_init (&g);
  assert_int_equal (gate_plan (&g, 0), 0);
  gate_series_add (&g, "nbd-unix", GM_CPU, "nbdkit", a, 8, b, 8);
  gate_series_add (&g, "nbd-unix", GM_CPU, "fio", fa, 8, fb, 8);
  assert_int_equal (gate_decide (&g), GATE_EXIT_REGRESSION);
  se = &g.series[0];
  assert_string_equal (se->role, "nbdkit");
  assert_int_equal (se->verdict, GATE_REGRESSION);
  assert_true (se->threshold == 0.07);
  gate_series_label (se, label, sizeof label);
  assert_string_equal (label, "CPU per I/O (nbdkit)");
  assert_non_null (strstr (se->why, "CPU per I/O (nbdkit) +"));
  assert_int_equal (g.series[1].verdict, GATE_PASS);
  gate_free (&g);

  /* A threshold of +15% for CPU lets the +10% pass. */
  gate_init (&g);
  g.thr[GT_CPU] = 0.15;
  assert_int_equal (gate_plan (&g, 0), 0);
  gate_series_add (&g, "nbd-unix", GM_CPU, "nbdkit", a, 8, b, 8);
  assert_int_equal (gate_decide (&g), GATE_EXIT_PASS);
  gate_free (&g);
}

static void
test_single_stored_baseline (void **state)
{
  double a[1] = { 0.60 }, b[6], c[6];
  struct gate g;

  (void) state;
  /* Ratios to the reference layer; the baseline is one record. */
  gate_init (&g);
  g.ratio_mode = true;
  assert_int_equal (gate_plan (&g, 1), 0);
  samples (b, 6, 0.45, 0.02, 0);        /* -25% */
  gate_series_add (&g, "nbd-unix", GM_IOPS, NULL, a, 1, b, 6);
  assert_int_equal (gate_decide (&g), GATE_EXIT_REGRESSION);
  gate_free (&g);

  gate_init (&g);
  g.ratio_mode = true;
  assert_int_equal (gate_plan (&g, 1), 0);
  samples (c, 6, 0.60, 0.02, 2);
  gate_series_add (&g, "nbd-unix", GM_IOPS, NULL, a, 1, c, 6);
  assert_int_equal (gate_decide (&g), GATE_EXIT_PASS);
  gate_free (&g);
}

static void
test_missing_values (void **state)
{
  double a[6], b[6] = { NAN, NAN, NAN, NAN, NAN, NAN };
  double none[6] = { NAN, NAN, NAN, NAN, NAN, NAN };
  struct gate g;

  (void) state;
  gate_init (&g);
  assert_int_equal (gate_plan (&g, 0), 0);
  samples (a, 6, 50000, 0.02, 0);
  /* A series of nothing is left out; one with gaps cannot pass. */
  gate_series_add (&g, "host", GM_WRITE_P99, NULL, none, 6, none, 6);
  assert_int_equal (g.nseries, 0);
  gate_series_add (&g, "host", GM_IOPS, NULL, a, 6, b, 6);
  assert_int_equal (gate_decide (&g), GATE_EXIT_NOISY);
  assert_non_null (strstr (g.series[0].why, "has no"));
  gate_free (&g);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_defaults_and_plan),
    cmocka_unit_test (test_threshold_precedence),
    cmocka_unit_test (test_aa_passes),
    cmocka_unit_test (test_regression_fails),
    cmocka_unit_test (test_noise_asks_for_more),
    cmocka_unit_test (test_paired_drift),
    cmocka_unit_test (test_cpu_per_process),
    cmocka_unit_test (test_single_stored_baseline),
    cmocka_unit_test (test_missing_values),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
