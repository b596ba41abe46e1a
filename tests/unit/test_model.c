/* test_model.c: unit tests of the record's model (common/model.c): a
 * kept record from a real run reads into the parts its reports use, a
 * record whose keys have the wrong types reads as "not measured" (no
 * crash, no half-typed value), and the rules a reader relies on (the
 * baseline of an older record, a verdict absent against a verdict of
 * "nothing limits it") hold.
 * Run alone: make build/tests/unit/test_model && build/tests/unit/test_model
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../common/internal.h"

static cJSON *
load (const char *path)
{
  char *text = read_file (path, NULL);
  cJSON *doc;

  if (text == NULL)
    fail_msg ("cannot read %s (run from the top of the tree)", path);
  doc = cJSON_Parse (text);
  free (text);
  assert_non_null (doc);
  return doc;
}

static const struct rm_boundary *
bound (const struct rm_target *t, const char *name)
{
  for (size_t i = 0; i < t->nbounds; i++)
    if (t->bounds[i].name && strcmp (t->bounds[i].name, name) == 0)
      return &t->bounds[i];
  return NULL;
}

/* The kept guest record (tests/kept/guest, a real run): the host and
 * the guest layer with their figures, boundaries, processes, timeline,
 * verdict and the guest's setup.
 */
static void
test_kept_guest (void **state)
{
  cJSON *doc = load ("tests/kept/guest/run.json");
  struct rm_run r;
  const struct rm_target *g;
  const struct rm_boundary *disk;
  const struct rm_fact *f;

  (void) state;
  rm_run_read (doc, &r);
  assert_string_equal (r.schema, "viperbench.run/1");
  assert_non_null (r.id);
  assert_string_equal (r.status, "complete");
  assert_true (r.cores >= 1);
  g = rm_target_named (&r, "guest");
  assert_non_null (g);
  assert_false (g->baseline);
  assert_true (g->dir[RM_READ].present && g->dir[RM_WRITE].present);
  assert_true (g->dir[RM_READ].iops > 0 && g->dir[RM_WRITE].iops > 0);
  assert_true (g->dir[RM_READ].p99_ns >= g->dir[RM_READ].p50_ns);
  assert_true (fabs (rm_iops (g) - g->dir[RM_READ].iops
                     - g->dir[RM_WRITE].iops) < 1e-9);
  /* Boundaries top to bottom, fio first; the guest's disk with iostat's
   * %util; nbdkit's with the capacity the stack set.
   */
  assert_true (g->nbounds >= 3);
  assert_string_equal (g->bounds[0].name, "fio");
  assert_false (isnan (g->bounds[0].flight_requested));
  assert_true (rm_concurrency (&g->bounds[0]) == g->bounds[0].flight_requested);
  disk = bound (g, "guest-disk");
  assert_non_null (disk);
  assert_true (disk->utilisation >= 0 && disk->utilisation <= 1);
  assert_non_null (bound (g, "nbdkit"));
  assert_true (bound (g, "nbdkit")->capacity.max > 0);
  assert_non_null (bound (g, "nbdkit")->capacity.what);
  /* Its processes (fio runs in the guest): QEMU and nbdkit. */
  assert_non_null (rm_proc_of (g, "qemu-system"));
  assert_true (g->nprocs >= 2);
  for (size_t i = 0; i < g->nprocs; i++)
    assert_non_null (g->procs[i].role);
  assert_true (g->timeline.present && g->timeline.niops >= 1);
  assert_int_not_equal (g->verdict.state, RM_VERDICT_ABSENT);
  /* The guest's own facts, of each type. */
  f = rm_fact (g, "accel");
  assert_non_null (f);
  assert_int_equal (f->type, RM_FACT_TEXT);
  f = rm_fact (g, "vcpus");
  assert_non_null (f);
  assert_int_equal (f->type, RM_FACT_NUM);
  assert_true (f->num >= 1);
  f = rm_fact (g, "iothread");
  assert_non_null (f);
  assert_int_equal (f->type, RM_FACT_BOOL);
  assert_null (rm_fact (g, "no such fact"));
  assert_null (rm_target_named (&r, "no such layer"));
  rm_run_free (&r);
  cJSON_Delete (doc);
}

/* The kept object-store record: its ladder's baseline, the service
 * beside the layer with its log, the resources of its processes.
 */
static void
test_kept_objstore (void **state)
{
  cJSON *doc = load ("tests/kept/objstore/run.json");
  struct rm_run r;
  const struct rm_target *t;

  (void) state;
  rm_run_read (doc, &r);
  assert_true (r.ntargets >= 1);
  assert_int_equal (r.nservices, 1);
  assert_string_equal (r.services[0].role, "nginx");
  assert_string_equal (r.services[0].log, "services/nginx.log");
  assert_int_equal (r.services[0].nlayers, 1);
  assert_true (r.services[0].ready_s > 0);
  t = rm_target_named (&r, r.services[0].layers[0]);
  assert_non_null (t);
  assert_true (t->has_filters);
  assert_true (t->nres >= 2);
  for (size_t i = 0; i < t->nres; i++)
    assert_true (t->res[i].v[RM_FDS_MAX] > 0);
  rm_run_free (&r);
  cJSON_Delete (doc);
  doc = load ("tests/kept/ladder/run.json");
  rm_run_read (doc, &r);
  assert_non_null (rm_baseline (&r));
  assert_string_equal (rm_baseline (&r)->name, "host");
  assert_true (rm_baseline (&r)->dir[RM_READ].ratio_to_host == 1);
  assert_string_equal (r.scenario, "randrw_70_30");
  assert_true (r.jobs == 4 && r.iodepth == 32);
  rm_run_free (&r);
  cJSON_Delete (doc);
}

/* Every key of the wrong type: the model reads "not measured". */
static void
test_hostile (void **state)
{
  cJSON *doc = cJSON_Parse (
    "{\"id\":7,\"scenario\":\"x\",\"host\":{\"cores\":\"2\"},"
    "\"services\":[1,{\"layers\":[1,\"a\"],\"ready_s\":\"1\"}],"
    "\"targets\":[5,{\"name\":5,\"read\":\"x\",\"write\":{\"iops\":\"9\","
    "\"lat_ns\":[1]},\"boundaries\":{\"a\":1},\"collectors\":{\"cpu\":"
    "{\"processes\":[1,\"x\",{\"role\":7,\"cpu_list\":[null,\"a\",1],"
    "\"threads\":[]}],\"host_busy\":\"x\"},\"perf\":{\"processes\":"
    "{\"top_self\":1}}},\"timeline\":{\"iops\":\"x\"},\"setup\":[1],"
    "\"bottleneck\":\"x\",\"filters\":[1,\"cache\"]}]}");
  struct rm_run r;
  const struct rm_target *t;

  (void) state;
  assert_non_null (doc);
  rm_run_read (doc, &r);
  assert_null (r.id);
  assert_null (r.scenario);
  assert_true (isnan (r.cores));
  assert_int_equal (r.nservices, 2);
  assert_int_equal (r.services[1].nlayers, 2);
  assert_null (r.services[1].layers[0]);
  assert_string_equal (r.services[1].layers[1], "a");
  assert_true (isnan (r.services[1].ready_s));
  assert_int_equal (r.ntargets, 2);
  assert_string_equal (r.targets[0].name, "?");
  t = &r.targets[1];
  assert_string_equal (t->name, "?");
  assert_false (t->dir[RM_READ].present);
  assert_true (isnan (t->dir[RM_READ].iops));
  assert_true (isnan (t->dir[RM_WRITE].iops));
  assert_true (isnan (t->dir[RM_WRITE].p99_ns));
  assert_int_equal (t->nbounds, 0);
  assert_int_equal (t->nprocs, 3);
  assert_null (t->procs[2].role);
  assert_int_equal (t->procs[2].ncpu_list, 3);
  assert_true (isnan (t->procs[2].cpu_list[0]));
  assert_true (t->procs[2].cpu_list[2] == 1);
  assert_true (isnan (t->procs[2].threads));
  assert_int_equal (t->nhost_busy, 0);
  assert_true (t->has_perf);
  assert_int_equal (t->nprofiles, 0);
  assert_false (t->timeline.present);
  assert_int_equal (t->nfacts, 0);
  assert_int_equal (t->verdict.state, RM_VERDICT_NONE);
  assert_true (t->has_filters);
  assert_int_equal (t->nfilters, 2);
  assert_null (t->filters[0]);
  assert_null (rm_baseline (&r));
  assert_null (rm_proc_of (t, NULL));
  rm_run_free (&r);
  cJSON_Delete (doc);
  /* Not even an object. */
  doc = cJSON_Parse ("[1,2]");
  rm_run_read (doc, &r);
  assert_int_equal (r.ntargets, 0);
  assert_null (r.status);
  rm_run_free (&r);
  cJSON_Delete (doc);
  rm_run_read (NULL, &r);
  assert_int_equal (r.ntargets, 0);
  rm_run_free (&r);
}

/* A record from before "baseline": the layer whose ratio to the host
 * is 1 is it, unless a layer says it is; a verdict that is null is
 * "nothing limits it", one that is absent is not judged.
 */
static void
test_rules (void **state)
{
  cJSON *doc = cJSON_Parse (
    "{\"targets\":[{\"name\":\"a\",\"read\":{\"ratio_to_host\":0.5}},"
    "{\"name\":\"b\",\"read\":{\"ratio_to_host\":1},\"bottleneck\":null}]}");
  struct rm_run r;

  (void) state;
  rm_run_read (doc, &r);
  assert_non_null (rm_baseline (&r));
  assert_string_equal (rm_baseline (&r)->name, "b");
  assert_int_equal (r.targets[0].verdict.state, RM_VERDICT_ABSENT);
  assert_int_equal (r.targets[1].verdict.state, RM_VERDICT_NONE);
  rm_run_free (&r);
  cJSON_Delete (doc);
  doc = cJSON_Parse (
    "{\"targets\":[{\"name\":\"a\",\"baseline\":true},"
    "{\"name\":\"b\",\"read\":{\"ratio_to_host\":1},"
    "\"bottleneck\":{\"kind\":\"cpu\",\"summary\":\"s\",\"also\":"
    "[{\"process\":\"p\",\"utilisation\":0.9},3]}}]}");
  rm_run_read (doc, &r);
  assert_string_equal (rm_baseline (&r)->name, "a");
  assert_false (r.targets[1].baseline);
  assert_int_equal (r.targets[1].verdict.state, RM_VERDICT_SOME);
  assert_string_equal (r.targets[1].verdict.kind, "cpu");
  assert_int_equal (r.targets[1].verdict.nalso, 2);
  assert_string_equal (r.targets[1].verdict.also[0].process, "p");
  assert_null (r.targets[1].verdict.also[1].process);
  rm_run_free (&r);
  cJSON_Delete (doc);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_kept_guest),
    cmocka_unit_test (test_kept_objstore),
    cmocka_unit_test (test_hostile),
    cmocka_unit_test (test_rules),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
