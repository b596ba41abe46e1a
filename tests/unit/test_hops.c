/* test_hops.c: unit tests of the decisions made from measured boundaries
 * (reports/hops.c, reports/sweep_report.c) and of the probes' bucket arithmetic
 * (common/probe.h, common/probe_file.c): boundaries in, verdicts out.
 * Run alone: make build/tests/unit/test_hops && build/tests/unit/test_hops
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../reports/internal.h"

/* A boundary: NAME with REQUESTED (fio; NAN for a probe), MAX, MEAN. */
static cJSON *
bd (const char *name, double requested, double max, double mean)
{
  cJSON *b = cJSON_CreateObject (), *inf = cJSON_AddObjectToObject (b, "in_flight");

  cJSON_AddStringToObject (b, "name", name);
  if (!isnan (requested))
    cJSON_AddNumberToObject (inf, "requested", requested);
  else
    cJSON_AddNullToObject (inf, "requested");
  if (!isnan (max))
    cJSON_AddNumberToObject (inf, "max", max);
  cJSON_AddNumberToObject (inf, "mean", mean);
  return b;
}

/* QEMU's NBD client lets 16 through and nbdkit is kept full: named. */
/* Judges the record's boundaries A through the record's model. */
static void
judge (const cJSON *a, struct hop_verdict *v)
{
  size_t n;
  struct rm_boundary *b = rm_bounds_read (a, &n);

  hops_judge (b, n, v);
  rm_bounds_free (b, n);
}

static void
test_cap_named (void **state)
{
  cJSON *a = cJSON_CreateArray ();
  struct hop_verdict v;

  (void) state;
  cJSON_AddItemToArray (a, bd ("fio", 128, NAN, 128));
  cJSON_AddItemToArray (a, bd ("nbdkit", NAN, 16, 12));
  cJSON_AddItemToArray (a, bd ("plugin", NAN, 11, 0.07));
  judge (a, &v);
  assert_int_equal (v.n, 3);
  assert_int_equal (v.collapse, 1);
  assert_true (v.arriving == 128 && v.reaching == 16);
  assert_int_equal (v.wait, 1);
  cJSON_Delete (a);
}

/* A fast plugin behind a delay: few in flight below, but not kept busy:
 * no serialization point, and the waiting is placed above nbdkit.
 */
static void
test_quick_service_not_a_cap (void **state)
{
  cJSON *a = cJSON_CreateArray ();
  struct hop_verdict v;

  (void) state;
  cJSON_AddItemToArray (a, bd ("fio", 128, NAN, 128));
  cJSON_AddItemToArray (a, bd ("nbdkit", NAN, 64, 53));
  cJSON_AddItemToArray (a, bd ("plugin", NAN, 31, 0.59));
  judge (a, &v);
  assert_int_equal (v.collapse, -1);
  assert_int_equal (v.wait, 1);
  assert_true (v.wait_above == 128 && v.wait_below == 53);
  cJSON_Delete (a);
}

/* One request at a time reaches the plugin (a lock): named, and the most
 * collapsed hop wins over a milder one above it.
 */
static void
test_most_collapsed_wins (void **state)
{
  cJSON *a = cJSON_CreateArray ();
  struct hop_verdict v;

  (void) state;
  cJSON_AddItemToArray (a, bd ("fio", 128, NAN, 128));
  cJSON_AddItemToArray (a, bd ("nbdkit", NAN, 60, 50));
  cJSON_AddItemToArray (a, bd ("plugin", NAN, 1, 0.98));
  judge (a, &v);
  assert_int_equal (v.collapse, 2);
  assert_true (v.arriving == 60 && v.reaching == 1);
  cJSON_Delete (a);
}

/* fio alone, or nothing: no verdict, no crash. */
static void
test_nothing_measured (void **state)
{
  cJSON *a = cJSON_CreateArray ();
  struct hop_verdict v;

  (void) state;
  judge (NULL, &v);
  assert_int_equal (v.n, 0);
  assert_int_equal (v.collapse, -1);
  cJSON_AddItemToArray (a, bd ("fio", 128, NAN, 128));
  judge (a, &v);
  assert_int_equal (v.n, 1);
  assert_int_equal (v.collapse, -1);
  assert_int_equal (v.wait, -1);
  cJSON_Delete (a);
}

/* The knee: IOPS flat from depth 16 while latency grows. */
static void
test_knee (void **state)
{
  /* depths 1 2 4 8 16 32 64 */
  double iops[] = { 1000, 2000, 3900, 7600, 13000, 13500, 13600 };
  double lat[] = { 1e6, 1e6, 1.02e6, 1.05e6, 1.2e6, 2.4e6, 4.7e6 };
  double flat[] = { 1000, 1000, 1000, 1000, 1000, 1000, 1000 };
  double grow[] = { 1000, 2000, 4000, 8000, 16000, 32000, 64000 };

  (void) state;
  assert_int_equal (sweep_knee (iops, lat, 7), 4);
  /* Still growing at the end: no knee. */
  assert_int_equal (sweep_knee (grow, lat, 7), -1);
  /* Flat from the start but latency flat too: no knee. */
  assert_int_equal (sweep_knee (flat, flat, 7), -1);
  /* Flat and latency grows: the first point. */
  assert_int_equal (sweep_knee (flat, lat, 7), 0);
  assert_int_equal (sweep_knee (iops, lat, 0), -1);
}

/* The plateau: 16 from the knee on while fio asks 64. */
static void
test_plateau (void **state)
{
  double nbdkit[] = { 4, 16, 16 }, asked[] = { 4, 16, 64 };
  double grows[] = { 4, 16, 60 }, nan3[] = { NAN, NAN, NAN };

  (void) state;
  assert_true (sweep_plateau (nbdkit, asked, 3, 1));
  assert_false (sweep_plateau (grows, asked, 3, 1));
  assert_false (sweep_plateau (nan3, asked, 3, 1));
  /* Everything asked got through: not a plateau. */
  assert_false (sweep_plateau (asked, asked, 3, 1));
}

/* The probes' buckets: every value lands in a bucket whose range holds
 * it, at most 1/16 wide, and the inverse is exact.
 */
static void
test_buckets (void **state)
{
  (void) state;
  for (uint64_t v = 0; v < 100000; v += 1 + v / 50) {
    unsigned i = vbp_lat_bucket (v);

    assert_true (vbp_lat_low (i) <= v);
    assert_true (vbp_lat_low (i + 1) > v);
    assert_true (vbp_lat_low (i + 1) - vbp_lat_low (i) <= 1 + vbp_lat_low (i) / 16);
  }
  assert_int_equal (vbp_lat_bucket (UINT64_MAX), VBP_LAT_BUCKETS - 1);
  assert_int_equal (vbp_qd_bucket (1), 0);
  assert_int_equal (vbp_qd_bucket (3), 1);
  assert_int_equal (vbp_qd_bucket (4), 2);
  assert_int_equal (vbp_qd_bucket (1u << 20), VBP_QD_BUCKETS - 1);
}

/* A probe file written through the hot path reads back as the record's
 * boundary: counts, percentiles, in flight.
 */
static void
test_probe_roundtrip (void **state)
{
  char dir[] = "/tmp/test_hops.XXXXXX", path[64];
  struct probe_snap a, b;
  struct vbp_shm *s;
  cJSON *j;

  (void) state;
  assert_non_null (mkdtemp (dir));
  snprintf (path, sizeof path, "%s/p", dir);
  assert_non_null (s = vbp_create (path, "nbdkit"));
  assert_int_equal (probe_snapshot (path, &a, true), 0);
  /* 100 reads of 4 KiB, two in flight at a time. */
  for (int i = 0; i < 50; i++) {
    uint64_t t1 = vbp_begin (s), t2 = vbp_begin (s);

    vbp_end (s, VBP_READ, t1, 4096, false);
    vbp_end (s, VBP_READ, t2, 4096, i == 0);
  }
  assert_int_equal (probe_snapshot (path, &b, false), 0);
  j = probe_boundary ("nbdkit", "via", "test", &a, &b);
  assert_true (boundary_num (j, "ops.read.count") == 100);
  assert_true (boundary_num (j, "ops.read.bytes") == 409600);
  assert_true (boundary_num (j, "ops.read.errors") == 1);
  assert_true (boundary_num (j, "ops.read.p50_ns") > 0);
  assert_true (boundary_num (j, "ops.read.p99.9_ns") >=
               boundary_num (j, "ops.read.p50_ns"));
  assert_true (boundary_num (j, "in_flight.max") == 2);
  assert_true (isnan (boundary_num (j, "ops.write.mean_ns")));
  assert_true (boundary_num (j, "in_flight.at_arrival.2") == 0.5);
  cJSON_Delete (j);
  /* Counters that went backwards or hold garbage (a hostile file of the
   * right shape): figures, never a crash.
   */
  memset (&s->shard[3], 0xa5, sizeof s->shard[3]);
  s->max_in_flight = UINT64_MAX;
  assert_int_equal (probe_snapshot (path, &b, false), 0);
  j = probe_boundary ("x", "", "test", &a, &b);
  assert_non_null (j);
  cJSON_Delete (j);
  vbp_close (s);
  /* Not a probe file: refused, with a message. */
  assert_int_equal (probe_snapshot ("/etc/passwd", &b, false), -1);
  unlink (path);
  rmdir (dir);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_cap_named),
    cmocka_unit_test (test_quick_service_not_a_cap),
    cmocka_unit_test (test_most_collapsed_wins),
    cmocka_unit_test (test_nothing_measured),
    cmocka_unit_test (test_knee),
    cmocka_unit_test (test_plateau),
    cmocka_unit_test (test_buckets),
    cmocka_unit_test (test_probe_roundtrip),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
