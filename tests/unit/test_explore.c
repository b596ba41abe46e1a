/* test_explore.c: unit tests of explore's pure core (reports/explore_core.c),
 * by simulation with a seeded generator: a knob of no effect comes out
 * significant in at most 5% of simulated explorations (the paired test
 * with its extension rule, as the runner applies it), a known effect's
 * interval covers it in at least 95% (97.5% nominal: two looks), the designs are
 * orthogonal and hold the all-base row, and a factorial with a known
 * interaction finds its two largest knobs and the interaction, while one
 * without any says none in at most 5% of simulations.
 * Run alone: make build/tests/unit/test_explore && build/tests/unit/test_explore
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../reports/internal.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;

/* Uniform on (0, 1): xorshift64*. */
static double
uniform (void)
{
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return ((double) ((rng * 0x2545F4914F6CDD1Dull) >> 11) + 0.5) / 9007199254740992.0;
}

/* Standard normal (Box-Muller). */
static double
normal (void)
{
  return sqrt (-2 * log (uniform ())) * cos (2 * M_PI * uniform ());
}

/* Run-to-run noise as the machine shows it: mostly normal, one run in
 * ten disturbed (a neighbour) by a heavier spread.
 */
static double
noise (double sd)
{
  return normal () * (uniform () < 0.1 ? 3 * sd : sd);
}

#define N0 8
#define NMAX 24
#define PRECISION 0.10
/* Two looks share alpha: 0.025 each (as the runner plans them). */
#define ALPHA_LOOK 0.025

/* One simulated exploration of a knob whose true change is EFFECT (ln)
 * under round-to-round drift and run noise SD: N0 pairs, then, when the
 * interval is wider than the precision, on to NMAX (the second look).
 * Fills *C.
 */
static void
simulate (double effect, double sd, struct explore_change *c)
{
  double base[NMAX], var[NMAX];
  size_t n = N0, need;


  for (size_t i = 0; i < NMAX; i++) {
    double drift = 0.3 * normal ();     /* a round's drift: both alike */

    base[i] = 10000 * exp (drift + noise (sd));
    var[i] = 10000 * exp (drift + effect + noise (sd));
  }
  explore_change (base, var, n, ALPHA_LOOK, c);
  need = explore_needed (c, PRECISION, ALPHA_LOOK);
  if (need > n)
    explore_change (base, var, NMAX, ALPHA_LOOK, c);
}

static void
test_no_effect_rarely_significant (void **state)
{
  const int sims = 4000;
  const double sds[] = { 0.02, 0.08, 0.2 };

  (void) state;
  for (size_t k = 0; k < sizeof sds / sizeof sds[0]; k++) {
    int hits = 0;

    for (int s = 0; s < sims; s++) {
      struct explore_change c;

      simulate (0, sds[k], &c);
      hits += c.significant;
    }
    printf ("no effect, noise %.2f: significant in %d of %d (%.1f%%)\n",
            sds[k], hits, sims, 100.0 * hits / sims);
    assert_true (hits <= sims * 5 / 100);
  }
}

static void
test_known_effect_covered (void **state)
{
  const int sims = 2000;
  const double effect = log (1.2);
  int covered = 0, found = 0;

  (void) state;
  for (int s = 0; s < sims; s++) {
    struct explore_change c;

    simulate (effect, 0.05, &c);
    covered += c.lo <= 0.2 && 0.2 <= c.hi;
    found += c.significant && c.est > 0;
  }
  printf ("+20%%, noise 0.05: covered %d, found %d of %d\n", covered, found,
          sims);
  assert_true (covered >= sims * 95 / 100);
  /* And it is seen: the point of measuring. */
  assert_true (found >= sims * 95 / 100);
}

static void
test_change_basics (void **state)
{
  double base[8] = { 100, 110, 90, 105, 95, 100, 102, 98 };
  double var[8], bad[8];
  struct explore_change c;

  (void) state;
  for (int i = 0; i < 8; i++) {
    var[i] = base[i] * 2;
    bad[i] = i % 2 ? NAN : base[i] * 2;
  }
  explore_change (base, var, 8, 0.05, &c);
  assert_int_equal (c.n, 8);
  assert_true (fabs (c.est - 1.0) < 1e-9);
  assert_true (c.significant);
  assert_true (c.p < 0.01);
  /* Missing values drop their pair; too few pairs: no interval. */
  explore_change (base, bad, 8, 0.05, &c);
  assert_int_equal (c.n, 4);
  assert_false (c.significant);
  assert_true (explore_needed (&c, PRECISION, 0.05) > c.n);
  explore_change (base, var, 0, 0.05, &c);
  assert_int_equal (c.n, 0);
  assert_true (isnan (c.est));
}

static void
check_design (size_t k, size_t want_rows)
{
  int s[32 * EXPLORE_FACT_MAX];
  size_t rows = explore_design (k, s);

  assert_int_equal (rows, want_rows);
  for (size_t j = 0; j < k; j++)
    assert_int_equal (s[j], -1);           /* row 0: all base */
  for (size_t a = 0; a < k; a++) {
    int sum = 0;

    for (size_t r = 0; r < rows; r++)
      sum += s[r * k + a];
    assert_int_equal (sum, 0);
    for (size_t b = a + 1; b < k; b++) {
      int dot = 0;

      for (size_t r = 0; r < rows; r++)
        dot += s[r * k + a] * s[r * k + b];
      assert_int_equal (dot, 0);
    }
  }
  /* Rows are distinct. */
  for (size_t r = 0; r < rows; r++)
    for (size_t q = r + 1; q < rows; q++)
      assert_true (memcmp (&s[r * k], &s[q * k], k * sizeof *s) != 0);
}

static void
test_designs (void **state)
{
  int s[4];

  (void) state;
  check_design (2, 4);
  check_design (3, 8);
  check_design (4, 8);
  check_design (5, 16);
  assert_int_equal (explore_design (1, s), 0);
  assert_int_equal (explore_design (6, s), 0);
}

/* Y of a design: ln IOPS = 9 + sum of EFF[j] * s_j / 2 + INTER * s_0 s_1
 * / 2 + a block's drift + noise.
 */
static void
fill (size_t k, const int *s, size_t rows, size_t reps, const double *eff,
      double inter, double sd, double *y)
{
  for (size_t j = 0; j < reps; j++) {
    double drift = 0.2 * normal ();

    for (size_t r = 0; r < rows; r++) {
      double v = 9 + drift + sd * normal ();

      for (size_t c = 0; c < k; c++)
        v += eff[c] * s[r * k + c] / 2;
      v += inter * s[r * k + 0] * s[r * k + 1] / 2;
      y[r * reps + j] = v;
    }
  }
}

static void
test_factorial_known (void **state)
{
  int s[8 * 3];
  double y[8 * 3], eff[3] = { 0.6, 0.25, 0 };
  struct explore_fact f;
  size_t rows = explore_design (3, s);

  (void) state;
  fill (3, s, rows, 3, eff, 0.3, 0.03, y);
  assert_int_equal (explore_factorial (3, s, rows, y, 3, 0.05, &f), 0);
  assert_int_equal (f.a, 0);
  assert_int_equal (f.b, 1);
  assert_true (f.interact);
  assert_true (f.inter_lo <= 0.3 && 0.3 <= f.inter_hi);
  for (int c = 0; c < 3; c++)
    assert_true (f.main_lo[c] <= eff[c] && eff[c] <= f.main_hi[c]);
  assert_int_equal (f.alias_c, -1);
  /* The best cell: both high (C does nothing). */
  assert_int_equal (s[f.best * 3 + 0], 1);
  assert_int_equal (s[f.best * 3 + 1], 1);
  assert_true (fabs (log1p (f.best_gain) - (0.6 + 0.25)) < 0.15);
  /* One replicate cannot be analysed. */
  assert_int_equal (explore_factorial (3, s, rows, y, 1, 0.05, &f), -1);
}

static void
test_factorial_no_interaction (void **state)
{
  const int sims = 2000;
  int s[16 * 5], hits = 0;
  double y[16 * 2], eff[5] = { 0.5, 0.2, 0.1, 0, 0 };
  struct explore_fact f;
  size_t rows = explore_design (4, s);

  (void) state;
  for (int i = 0; i < sims; i++) {
    fill (4, s, rows, 2, eff, 0, 0.05, y);
    assert_int_equal (explore_factorial (4, s, rows, y, 2, 0.05, &f), 0);
    hits += f.interact;
  }
  printf ("no interaction: said in %d of %d\n", hits, sims);
  assert_true (hits <= sims * 6 / 100);
  /* With 4 knobs A x B is C x D too: said. */
  assert_true (f.alias_c >= 0 && f.alias_d >= 0);
  rows = explore_design (5, s);
  fill (5, s, rows, 2, eff, 0, 0.05, y);
  assert_int_equal (explore_factorial (5, s, rows, y, 2, 0.05, &f), 0);
  assert_int_equal (f.alias_c, -1);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_change_basics),
    cmocka_unit_test (test_no_effect_rarely_significant),
    cmocka_unit_test (test_known_effect_covered),
    cmocka_unit_test (test_designs),
    cmocka_unit_test (test_factorial_known),
    cmocka_unit_test (test_factorial_no_interaction),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
