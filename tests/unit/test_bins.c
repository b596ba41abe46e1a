/* test_bins.c: unit tests of fio's latency bins and the figures read
 * from fio's json+ "jobs" (common/bins.c, common/fiojson.c): percentiles
 * as fio computes them, bins merged across jobs and directions, fio's own
 * percentiles for one job, IOPS summed and the mean weighted by I/Os.
 * Run alone: make build/tests/unit/test_bins && build/tests/unit/test_bins
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../common/internal.h"

/* Two jobs: job 1 reads 100 I/Os (90 at 1000 ns, 10 at 5000 ns) and
 * writes 10 at 20000 ns; job 2 reads 100 at 3000 ns.
 */
static const char two_jobs[] =
  "fio: a log line before the JSON\n"
  "{\"fio version\": \"fio-3.33\", \"jobs\": [\n"
  " {\"jobname\": \"a\", \"error\": 0, \"job_runtime\": 2000,\n"
  "  \"read\": {\"iops\": 50, \"bw_bytes\": 204800, \"total_ios\": 100,\n"
  "   \"lat_ns\": {\"mean\": 1400, \"percentile\": {\"50.000000\": 1000,\n"
  "     \"99.000000\": 5000, \"99.900000\": 5000},\n"
  "     \"bins\": {\"1000\": 90, \"5000\": 10}}},\n"
  "  \"write\": {\"iops\": 5, \"bw_bytes\": 20480, \"total_ios\": 10,\n"
  "   \"lat_ns\": {\"mean\": 20000, \"bins\": {\"20000\": 10}}}},\n"
  " {\"jobname\": \"b\", \"error\": 0, \"job_runtime\": 3000,\n"
  "  \"read\": {\"iops\": 30, \"bw_bytes\": 122880, \"total_ios\": 100,\n"
  "   \"lat_ns\": {\"mean\": 3000, \"percentile\": {\"50.000000\": 3000,\n"
  "     \"99.000000\": 3000, \"99.900000\": 3000},\n"
  "     \"bins\": {\"3000\": 100}}},\n"
  "  \"write\": {\"iops\": 0, \"bw_bytes\": 0, \"total_ios\": 0,\n"
  "   \"lat_ns\": {\"mean\": 0}}}\n"
  "]}\n";

static void
test_percentiles (void **state)
{
  cJSON *doc = fio_json_parse (two_jobs);
  struct bins b;

  (void) state;
  assert_non_null (doc);
  /* Reads of both jobs: 90 x 1000, 10 x 5000, 100 x 3000. */
  bins_from_jobs (cJSON_GetObjectItem (doc, "jobs"), "read", &b);
  assert_int_equal (b.n, 3);
  assert_true (b.total == 200);
  assert_true (bins_percentile (&b, 45) == 1000);
  assert_true (bins_percentile (&b, 46) == 3000);
  assert_true (bins_percentile (&b, 95) == 3000);
  assert_true (bins_percentile (&b, 96) == 5000);
  assert_true (bins_percentile (&b, 100) == 5000);
  bins_free (&b);
  /* Both directions: the writes' 20000 ns at the top. */
  bins_from_jobs (cJSON_GetObjectItem (doc, "jobs"), NULL, &b);
  assert_true (b.total == 210);
  assert_true (bins_percentile (&b, 99) == 20000);
  bins_free (&b);
  /* No bins: NAN. */
  bins_from_jobs (cJSON_GetObjectItem (doc, "jobs"), "trim", &b);
  assert_true (isnan (bins_percentile (&b, 50)));
  bins_free (&b);
  cJSON_Delete (doc);
}

static void
test_figures (void **state)
{
  cJSON *doc = fio_json_parse (two_jobs), *one;
  struct fio_result r;

  (void) state;
  fio_result_from_jobs (cJSON_GetObjectItem (doc, "jobs"), &r);
  assert_true (r.read.iops == 80);
  assert_true (r.read.bw_bytes == 204800 + 122880);
  assert_int_equal (r.read.total_ios, 200);
  /* The mean weighted by I/Os: (100 x 1400 + 100 x 3000) / 200. */
  assert_true (r.read.lat_mean == 2200);
  /* Several jobs: percentiles of the merged bins. */
  assert_true (r.read.lat_p50 == 3000);
  assert_true (r.read.lat_p99 == 5000);
  assert_true (r.write.total_ios == 10 && r.write.lat_p99 == 20000);
  assert_true (r.runtime_s == 3);
  assert_int_equal (r.error, 0);

  /* One job: fio's own percentiles, whatever its bins say. */
  one = cJSON_CreateArray ();
  cJSON_AddItemToArray (one, cJSON_DetachItemFromArray (cJSON_GetObjectItem (doc, "jobs"), 0));
  cJSON_ReplaceItemInObject (cJSON_GetObjectItem (cJSON_GetObjectItem (
    cJSON_GetObjectItem (cJSON_GetArrayItem (one, 0), "read"), "lat_ns"),
    "percentile"), "99.000000", cJSON_CreateNumber (4711));
  fio_result_from_jobs (one, &r);
  assert_true (r.read.lat_p99 == 4711);
  assert_true (r.read.lat_mean == 1400);
  cJSON_Delete (one);
  cJSON_Delete (doc);
}

/* runtime_s is fio's window: the longest direction's "runtime" under
 * group_reporting, not "job_runtime", which sums the group's jobs.
 */
static void
test_window (void **state)
{
  cJSON *doc = cJSON_Parse ("{\"jobs\": [{\"jobname\": \"g\", "
                            "\"job_runtime\": 12004, \"error\": 0, "
                            "\"read\": {\"runtime\": 3001, \"iops\": 1, "
                            "\"total_ios\": 3}, \"write\": {\"runtime\": "
                            "3000, \"iops\": 1, \"total_ios\": 3}}]}");
  struct fio_result r;

  (void) state;
  assert_non_null (doc);
  fio_result_from_jobs (cJSON_GetObjectItem (doc, "jobs"), &r);
  assert_true (r.runtime_s == 3.001);
  cJSON_DeleteItemFromObject (cJSON_GetArrayItem (cJSON_GetObjectItem (doc,
    "jobs"), 0), "read");
  cJSON_DeleteItemFromObject (cJSON_GetArrayItem (cJSON_GetObjectItem (doc,
    "jobs"), 0), "write");
  /* Without directions' runtimes: job_runtime, as before. */
  assert_true (fio_job_window_ms (cJSON_GetArrayItem (cJSON_GetObjectItem (
    doc, "jobs"), 0)) == 12004);
  cJSON_Delete (doc);
}

static void
test_parse_file (void **state)
{
  char path[] = "/tmp/test_bins.XXXXXX";
  int fd = mkstemp (path);
  struct fio_result r;
  struct bins b;

  (void) state;
  assert_true (fd >= 0);
  assert_int_equal (write (fd, two_jobs, strlen (two_jobs)), (ssize_t) strlen (two_jobs));
  close (fd);
  assert_int_equal (fio_parse (path, &r), 0);
  assert_true (r.read.iops == 80);
  assert_int_equal (bins_load_fio_ddir (path, "write", &b), 0);
  assert_true (bins_percentile (&b, 50) == 20000);
  bins_free (&b);
  /* Not fio's JSON: an error naming the file. */
  fd = open (path, O_WRONLY | O_TRUNC);
  assert_int_equal (write (fd, "{\"x\": 1}\n", 9), 9);
  close (fd);
  assert_int_equal (fio_parse (path, &r), -1);
  assert_non_null (strstr (vb_last_msg (), path));
  unlink (path);
  assert_int_equal (fio_parse (path, &r), -1);
  assert_null (fio_json_parse ("no json at all\n"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_percentiles),
    cmocka_unit_test (test_figures),
    cmocka_unit_test (test_window),
    cmocka_unit_test (test_parse_file),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
