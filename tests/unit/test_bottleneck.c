/* test_bottleneck.c: unit tests of the bottleneck verdict
 * (reports/bottleneck.c): figures kept from real runs in
 * tests/unit/bottleneck/ (runner/validate.sh's cases, and the issue's
 * memory plugin behind noparallel), and made-up ones for the edges
 * (an unknown capacity, nothing measured, nothing saturated).
 * Run alone from the top: make build/tests/unit/test_bottleneck &&
 * build/tests/unit/test_bottleneck
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../reports/internal.h"

#define CORES 2

/* The verdict for the kept target tests/unit/bottleneck/NAME.json. */
/* The verdict of target T (its JSON) through the record's model. */
static cJSON *
judge (const cJSON *t, double cores)
{
  struct rm_target mt;
  cJSON *v;

  rm_target_read (t, &mt);
  v = bottleneck_judge (&mt, cores);
  rm_target_free (&mt);
  return v;
}

static cJSON *
judge_kept (const char *name)
{
  char *path = xasprintf ("tests/unit/bottleneck/%s.json", name);
  char *text = read_file (path, NULL);
  cJSON *doc, *v;

  if (text == NULL)
    fail_msg ("cannot read %s (run from the top of the tree)", path);
  doc = cJSON_Parse (text);
  assert_non_null (doc);
  v = judge (cJSON_GetObjectItem (doc, "target"), CORES);
  cJSON_Delete (doc);
  free (text);
  free (path);
  return v;
}

static const char *
s (const cJSON *v, const char *key)
{
  return json_str (cJSON_GetObjectItem (v, key), "");
}

/* Checks NAME's verdict is of KIND and its "what" (or process) holds
 * TEXT.
 */
static void
expect (const char *name, const char *kind, const char *key, const char *text)
{
  cJSON *v = judge_kept (name);

  if (strcmp (s (v, "kind"), kind) != 0 || strstr (s (v, key), text) == NULL)
    fail_msg ("%s: %s", name, cJSON_PrintUnformatted (v));
  cJSON_Delete (v);
}

static void
test_threads_per_connection (void **state)
{
  (void) state;
  expect ("t1", "capacity", "what", "-t 1 x 4 connections");
}

static void
test_filter_serializes (void **state)
{
  (void) state;
  expect ("noparallel", "capacity", "what",
          "serialize_all_requests (set by filter noparallel)");
  /* The case: the memory plugin behind noparallel.  Its lock is
   * held a quarter of the time, but nbdkit's threads keep its one CPU
   * busy: at its cap, busy, 127 waiting above.
   */
  expect ("memory-noparallel", "capacity", "what", "set by filter noparallel");
}

static void
test_plugin_serializes (void **state)
{
  (void) state;
  expect ("plugin-serial", "capacity", "what", "(the plugin's own)");
  expect ("python", "capacity", "what", "(the plugin's own)");
}

static void
test_delay_filter (void **state)
{
  cJSON *v;

  (void) state;
  expect ("delay", "capacity", "what", "-t 4 x 4 connections");
  v = judge_kept ("delay");
  assert_non_null (strstr (s (v, "time_in"), "delay"));
  cJSON_Delete (v);
  /* With 64 slots, nbdkit's CPU (waking threads) saturates first. */
  expect ("delay-t16", "cpu", "process", "nbdkit");
}

static void
test_qemu_client_cap (void **state)
{
  cJSON *v = judge_kept ("qemu16");

  (void) state;
  assert_string_equal (s (v, "kind"), "capacity");
  assert_non_null (strstr (s (v, "what"), "QEMU's NBD client"));
  assert_true (cJSON_GetObjectItem (v, "capacity")->valuedouble == 16);
  cJSON_Delete (v);
}

/* A stage with more slots than CPUs in a saturated process: the CPU.
 * Unpinned (nginx beside nbdkit and fio on 2 CPUs), the host's CPUs are
 * saturated together and the process using most of them is named.
 */
static void
test_cpu_saturated (void **state)
{
  (void) state;
  expect ("burn", "cpu", "process", "nbdkit");
  expect ("nopool", "cpu", "process", "nbdkit");
}

static void
test_controls_not_capacity (void **state)
{
  const char *ctl[] = { "ctl-memory", "ctl-direct" };

  (void) state;
  for (size_t i = 0; i < 2; i++) {
    cJSON *v = judge_kept (ctl[i]);

    assert_true (cJSON_IsNull (v) || strcmp (s (v, "kind"), "capacity") != 0);
    cJSON_Delete (v);
  }
}

/* A boundary: NAME, REQUESTED (NAN: a probe), MAX, MEAN, CAP (NAN: none). */
static cJSON *
bd (const char *name, double requested, double max, double mean, double cap)
{
  cJSON *b = cJSON_CreateObject ();
  cJSON *inf = cJSON_AddObjectToObject (b, "in_flight");

  cJSON_AddStringToObject (b, "name", name);
  cJSON_AddStringToObject (b, "via", name);
  if (!isnan (requested))
    cJSON_AddNumberToObject (inf, "requested", requested);
  if (!isnan (max))
    cJSON_AddNumberToObject (inf, "max", max);
  cJSON_AddNumberToObject (inf, "mean", mean);
  if (!isnan (cap)) {
    cJSON *c = cJSON_AddObjectToObject (b, "capacity");

    cJSON_AddNumberToObject (c, "max", cap);
    cJSON_AddStringToObject (c, "what", "the cap");
  }
  return b;
}

/* A target of boundaries B0.. (NULL-ended) and one process ROLE at CPU
 * utilisation U (NAN: none) on 1 CPU.
 */
static cJSON *
target (const char *role, double u, cJSON *b0, ...)
{
  cJSON *t = cJSON_CreateObject ();
  cJSON *bs = cJSON_AddArrayToObject (t, "boundaries");
  va_list ap;

  va_start (ap, b0);
  for (cJSON *b = b0; b; b = va_arg (ap, cJSON *))
    cJSON_AddItemToArray (bs, b);
  va_end (ap);
  if (!isnan (u)) {
    cJSON *p = cJSON_CreateObject ();

    cJSON_AddStringToObject (p, "role", role);
    cJSON_AddNumberToObject (p, "cpu_utilisation", u);
    cJSON_AddNumberToObject (p, "cpus_allowed", 1);
    cJSON_AddItemToArray (cJSON_AddArrayToObject (cJSON_AddObjectToObject (
      cJSON_AddObjectToObject (t, "collectors"), "cpu"), "processes"), p);
  }
  return t;
}

/* Concurrency collapses where no capacity is known: it says so. */
static void
test_unknown_capacity_undecided (void **state)
{
  cJSON *t = target ("nbdkit", 0.3, bd ("fio", 128, NAN, 128, NAN),
                     bd ("nbdkit", NAN, 4, 3.9, NAN), NULL);
  cJSON *v = judge (t, CORES);

  (void) state;
  assert_string_equal (s (v, "kind"), "undecided");
  assert_string_equal (s (v, "boundary"), "nbdkit");
  cJSON_Delete (v);
  cJSON_Delete (t);
}

/* Only fio's figures, nothing saturated: undecided, never a guess. */
static void
test_nothing_measured (void **state)
{
  cJSON *t = target ("fio", 0.2, bd ("fio", 128, NAN, 128, NAN), NULL);
  cJSON *v = judge (t, CORES);

  (void) state;
  assert_string_equal (s (v, "kind"), "undecided");
  cJSON_Delete (v);
  cJSON_Delete (t);
}

/* Every stage has room, nothing waits, nothing is saturated: null. */
static void
test_nothing_limits (void **state)
{
  cJSON *t = target ("nbdkit", 0.3, bd ("fio", 8, NAN, 8, NAN),
                     bd ("nbdkit", NAN, 8, 7.5, 64), NULL);
  cJSON *v = judge (t, CORES);

  (void) state;
  assert_true (cJSON_IsNull (v));
  cJSON_Delete (v);
  cJSON_Delete (t);
}

/* At its cap but idle where measured while requests wait above it: not
 * named, and not "nothing limits" either: it cannot decide.
 */
static void
test_cap_reached_idle (void **state)
{
  cJSON *t = target ("nbdkit", 0.2, bd ("fio", 128, NAN, 128, NAN),
                     bd ("nbdkit", NAN, 64, 2, 64), NULL);
  cJSON *v = judge (t, CORES);

  (void) state;
  assert_string_equal (s (v, "kind"), "undecided");
  assert_string_equal (s (v, "boundary"), "nbdkit");
  cJSON_Delete (v);
  cJSON_Delete (t);
}

/* A machine shared with others: nbdkit uses half its CPU, fio 60% of
 * its own, and the host saw both CPUs 98-99% busy.  nbdkit's 64 slots
 * wait for a CPU: the CPU is named, and how much of it others took.
 */
static void
test_cpu_taken_by_others (void **state)
{
  cJSON *t = cJSON_Parse (
    "{\"boundaries\": ["
    " {\"name\": \"fio\", \"in_flight\": {\"requested\": 128, \"mean\": 127}},"
    " {\"name\": \"nbdkit\", \"in_flight\": {\"max\": 64, \"mean\": 60},"
    "  \"capacity\": {\"max\": 64, \"what\": \"-t 16 x 4\", \"served_by\": \"nbdkit\"}}],"
    " \"collectors\": {\"cpu\": {\"host_busy\": [0.99, 0.98], \"processes\": ["
    "  {\"role\": \"fio\", \"cpu_utilisation\": 0.6, \"cpus_allowed\": 1, \"cpu_list\": [0]},"
    "  {\"role\": \"nbdkit\", \"cpu_utilisation\": 0.5, \"cpus_allowed\": 1, \"cpu_list\": [1]}]}}}");
  cJSON *v;

  (void) state;
  assert_non_null (t);
  v = judge (t, CORES);
  assert_string_equal (s (v, "kind"), "cpu");
  /* fio, the larger user of the two saturated CPUs: 0.39 of its CPU
   * went to others.
   */
  assert_string_equal (s (v, "process"), "fio");
  assert_true (fabs (cJSON_GetObjectItem (v, "others_cpus")->valuedouble - 0.39)
               < 0.01);
  cJSON_Delete (v);
  /* Without the host's figures it would have named the slots. */
  cJSON_DeleteItemFromObject (cJSON_GetObjectItem (cJSON_GetObjectItem (t,
    "collectors"), "cpu"), "host_busy");
  v = judge (t, CORES);
  assert_string_equal (s (v, "kind"), "capacity");
  cJSON_Delete (v);
  cJSON_Delete (t);
}

/* Two caps: the tighter is named. */
/* Requests wait inside the layer, no stage is capped: undecided. */
static void
test_waiting_without_cause (void **state)
{
  cJSON *t = target ("nbdkit", 0.3, bd ("fio", 128, NAN, 128, NAN),
                     bd ("nbdkit", NAN, 100, 20, 1024), NULL);
  cJSON *v = judge (t, CORES);

  (void) state;
  assert_string_equal (s (v, "kind"), "undecided");
  cJSON_Delete (v);
  cJSON_Delete (t);
}

static void
test_tightest_cap (void **state)
{
  cJSON *t = target ("nbdkit", 0.2, bd ("fio", 128, NAN, 128, NAN),
                     bd ("nbdkit", NAN, 16, 15, 16),
                     bd ("plugin", NAN, 4, 3.8, 4), NULL);
  cJSON *v = judge (t, CORES);

  (void) state;
  assert_string_equal (s (v, "boundary"), "plugin");
  assert_true (cJSON_GetObjectItem (v, "capacity")->valuedouble == 4);
  cJSON_Delete (v);
  cJSON_Delete (t);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_threads_per_connection),
    cmocka_unit_test (test_filter_serializes),
    cmocka_unit_test (test_plugin_serializes),
    cmocka_unit_test (test_delay_filter),
    cmocka_unit_test (test_qemu_client_cap),
    cmocka_unit_test (test_cpu_saturated),
    cmocka_unit_test (test_controls_not_capacity),
    cmocka_unit_test (test_unknown_capacity_undecided),
    cmocka_unit_test (test_nothing_measured),
    cmocka_unit_test (test_nothing_limits),
    cmocka_unit_test (test_cap_reached_idle),
    cmocka_unit_test (test_waiting_without_cause),
    cmocka_unit_test (test_cpu_taken_by_others),
    cmocka_unit_test (test_tightest_cap),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
