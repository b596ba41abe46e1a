/* run_record.c: what `viperbench run` puts in its record (run.json): the
 * scenario, the stack, the host, the versions and each layer's figures.
 * Claiming, writing and reading records is common/record.c's.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "internal.h"

static cJSON *
host_info (void)
{
  cJSON *h = cJSON_CreateObject ();
  struct utsname u;
  char *cpu = read_file ("/proc/cpuinfo", NULL);
  char *mem = read_file ("/proc/meminfo", NULL);

  if (uname (&u) == 0) {
    cJSON_AddStringToObject (h, "hostname", u.nodename);
    cJSON_AddStringToObject (h, "kernel", u.release);
    cJSON_AddStringToObject (h, "machine", u.machine);
  }
  if (cpu) {
    char *m = strstr (cpu, "model name"), *colon, *nl;

    if (m && (colon = strchr (m, ':')) && (nl = strchr (colon, '\n'))) {
      *nl = '\0';
      cJSON_AddStringToObject (h, "cpu_model", colon + 2);
    }
  }
  cJSON_AddNumberToObject (h, "cores", (double) sysconf (_SC_NPROCESSORS_ONLN));
  if (mem) {
    char *m = strstr (mem, "MemTotal:");

    if (m)
      cJSON_AddNumberToObject (h, "memory_bytes",
                               strtod (m + 9, NULL) * 1024);
  }
  free (cpu);
  free (mem);
  return h;
}

static void
add_version (cJSON *v, const char *key, const char *const *argv)
{
  char *line = have_program (argv[0]) ? command_first_line (argv) : NULL;

  if (line)
    cJSON_AddStringToObject (v, key, line);
  else
    cJSON_AddNullToObject (v, key);
  free (line);
}

static cJSON *
versions (void)
{
  static const char *const fio[] = { "fio", "--version", NULL };
  static const char *const nbdkit[] = { "nbdkit", "--version", NULL };
  static const char *const qemu[] = { "qemu-img", "--version", NULL };
  cJSON *v = cJSON_CreateObject ();
  char *dir = self_dir ();

  add_version (v, "fio", fio);
  add_version (v, "nbdkit", nbdkit);
  add_version (v, "qemu", qemu);
  cJSON_AddStringToObject (v, "viperbench", VIPERBENCH_VERSION);
  if (dir) {
    /* build/viperbench: the checkout is one level up. */
    char *src = xasprintf ("%s/..", dir);
    const char *git[] = { "git", "-C", src, "rev-parse", "HEAD", NULL };
    const char *desc[] = { "git", "-C", src, "describe", "--always",
                           "--dirty", NULL };

    add_version (v, "git_rev", git);
    add_version (v, "git_describe", desc);
    free (src);
  }
  free (dir);
  return v;
}

/* Builds the initial run.json (status running) and writes it. */
int
record_begin (struct run *run)
{
  struct rm_run head = {
    .kind = run->nscale ? RECORD_SCALE_SWEEP : run->ndepths
            ? RECORD_DEPTH_SWEEP : RECORD_RUN,
    .id = run->rec.id, .description = run->description, .status = "running",
    .scenario = run->sc->name, .scenario_file = run->sc->path,
    .scenario_text = run->sc->text, .jobs = run->sc->jobs,
    .iodepth = run->sc->depth, .started = run->started,
  };
  cJSON *doc = rm_run_head_json (&head);

  if (run->nscale) {
    cJSON *d = cJSON_CreateArray ();

    /* A sweep whose points are loads, as the layer's target marks them. */
    for (size_t i = 0; i < run->nscale; i++)
      cJSON_AddItemToArray (d, cJSON_Duplicate (run->scale[i].marks, true));
    cJSON_AddItemToObject (doc, "points", d);
  }
  else if (run->ndepths) {
    cJSON *d = cJSON_CreateArray ();

    for (size_t i = 0; i < run->ndepths; i++)
      cJSON_AddItemToArray (d, cJSON_CreateNumber (run->depths[i]));
    cJSON_AddItemToObject (doc, "depths", d);
  }
  cJSON_AddNumberToObject (doc, "runner_pid", (double) getpid ());
  {
    cJSON *st = cJSON_CreateObject ();

    cJSON_AddStringToObject (st, "name", run->st->name);
    cJSON_AddStringToObject (st, "file", run->st->path);
    cJSON_AddItemToObject (st, "definition", stack_redacted (run->st));
    if (run->model_nbdkit) {
      cJSON *tm = cJSON_AddObjectToObject (st, "thread_model");

      cJSON_AddStringToObject (tm, "nbdkit", run->model_nbdkit);
      if (run->model_plugin)
        cJSON_AddStringToObject (tm, "plugin", run->model_plugin);
    }
    cJSON_AddItemToObject (doc, "stack", st);
  }
  if (run->sut)
    cJSON_AddItemToObject (doc, "system_under_test",
                           cJSON_Duplicate (run->sut, true));
  cJSON_AddItemToObject (doc, "host", host_info ());
  cJSON_AddItemToObject (doc, "versions", versions ());
  run->targets = cJSON_AddArrayToObject (doc, "targets");
  run->rec.doc = doc;
  return record_write (&run->rec);
}

/* The record's "services": each with its command (redacted), pid, the
 * layers that needed it and its log, relative to the record.
 */
void
record_services (struct run *run)
{
  if (run->st->nsvc == 0 || run->rec.doc == NULL)
    return;
  cJSON_DeleteItemFromObjectCaseSensitive (run->rec.doc, "services");
  cJSON_AddItemToObject (run->rec.doc, "services",
                         services_record (run->st, run->rec.dir));
}

/* The layer's run over time (fio's histogram logs in DIR, one line per
 * second: layer.c's log_hist_msec) and its steadiness, or NULL when fio
 * wrote none (a guest's fio runs elsewhere).
 */
static cJSON *
timeline_json (const char *dir)
{
  struct timeline tl;
  struct steadiness v;
  cJSON *o, *a, *b, *st;

  if (fiolog_timeline (dir, 1.0, &tl) != 1)
    return NULL;
  timeline_judge (tl.iops, tl.n, &v);
  o = cJSON_CreateObject ();
  cJSON_AddNumberToObject (o, "interval_s", tl.interval_s);
  a = cJSON_AddArrayToObject (o, "iops");
  b = cJSON_AddArrayToObject (o, "p99_ns");
  for (size_t i = 0; i < tl.n; i++) {
    cJSON_AddItemToArray (a, cJSON_CreateNumber (tl.iops[i]));
    cJSON_AddItemToArray (b, isfinite (tl.p99_ns[i])
                          ? cJSON_CreateNumber (tl.p99_ns[i])
                          : cJSON_CreateNull ());
  }
  if (v.judged) {
    cJSON_AddBoolToObject (o, "steady", v.steady);
    cJSON_AddNumberToObject (o, "trend", isfinite (v.trend) ? v.trend : 0);
    cJSON_AddNumberToObject (o, "spread", isfinite (v.spread) ? v.spread : 0);
    cJSON_AddNumberToObject (o, "judged_from_s", (double) v.from * tl.interval_s);
  }
  else
    cJSON_AddNullToObject (o, "steady");
  st = cJSON_AddArrayToObject (o, "stalls");
  for (size_t i = 0; i < v.nstalls && i < sizeof v.stalls / sizeof v.stalls[0]; i++)
    cJSON_AddItemToArray (st, cJSON_CreateNumber ((double) v.stalls[i]));
  cJSON_AddNumberToObject (o, "nstalls", (double) v.nstalls);
  timeline_free (&tl);
  return o;
}

/* Adds a finished layer's figures. */
void
record_add_target (struct run *run, struct layer *l,
                   const struct fio_result *res, cJSON *coll)
{
  cJSON *t = cJSON_CreateObject (), *procs = cJSON_CreateArray ();

  if (l->t->baseline) {
    run->base = *res;
    run->have_base = true;
  }
  cJSON_AddStringToObject (t, "name", l->t->name);
  cJSON_AddStringToObject (t, "description", l->t->description);
  cJSON_AddBoolToObject (t, "baseline", l->t->baseline);
  if (l->t->peer && stack_has_layer (run->st, l->t->peer)) {
    cJSON *peer = cJSON_AddObjectToObject (t, "peer");

    cJSON_AddStringToObject (peer, "layer", l->t->peer);
    cJSON_AddStringToObject (peer, "why", l->t->peer_why);
  }
  cJSON_AddItemToObject (t, "read", record_dir_json (&res->read,
                                              run->have_base ? &run->base.read : NULL));
  cJSON_AddItemToObject (t, "write", record_dir_json (&res->write,
                                               run->have_base ? &run->base.write : NULL));
  cJSON_AddNumberToObject (t, "runtime_s", res->runtime_s);
  /* The nbdkit filters the layer's plugin ran under, so that no ratio is
   * drawn between layers that ran different chains.
   */
  if (l->t->uses_plugin) {
    cJSON *fl = cJSON_AddArrayToObject (t, "filters");

    for (size_t i = 0; !l->t->plugin_alone && i < run->st->nfilters; i++)
      cJSON_AddItemToArray (fl, cJSON_CreateString (run->st->filters[i]));
  }
  for (size_t i = 0; i < l->nchild; i++) {
    cJSON *c = cJSON_CreateObject ();

    cJSON_AddStringToObject (c, "role", l->child[i].role);
    cJSON_AddNumberToObject (c, "pid", l->child[i].pid);
    cJSON_AddStringToObject (c, "command", l->child[i].argv_text);
    {
      cJSON *cut = log_cut_json (l->child[i].log);

      if (cut)
        cJSON_AddItemToObject (c, "log_cut", cut);
    }
    pin_add_cpus (c, "cpus", pin_server (run, i));
    cJSON_AddItemToArray (procs, c);
  }
  cJSON_AddItemToObject (t, "servers", procs);
  if (!l->t->run_job)
    pin_add_cpus (t, "fio_cpus", pin_fio (run));
  /* Top to bottom: fio, then each boundary a probe measured. */
  if (l->boundaries) {
    cJSON_AddItemToObject (t, "boundaries", l->boundaries);
    l->boundaries = NULL;
  }
  cJSON_AddStringToObject (t, "fio_command", l->t->fio_command
                           ? l->t->fio_command
                           : "fio --output-format=json+ --output=fio.json - "
                             "<job.fio");
  if (l->setup) {
    cJSON_AddItemToObject (t, "setup", l->setup);
    l->setup = NULL;
  }
  cJSON_AddStringToObject (t, "fio_json", "fio.json");
  {
    cJSON *tl = timeline_json (l->dir);

    if (tl)
      cJSON_AddItemToObject (t, "timeline", tl);
  }
  if (coll)
    cJSON_AddItemToObject (t, "collectors", coll);
  cJSON_AddStringToObject (t, "job_file", "job.fio");
  /* What only the target knows (a load client's share). */
  if (l->t->record)
    l->t->record (run, l, t);
  {
    long cores = sysconf (_SC_NPROCESSORS_ONLN);
    struct rm_target mt;

    rm_target_read (t, &mt);
    cJSON_AddItemToObject (t, "bottleneck",
                           bottleneck_judge (&mt, cores > 0 ? (double) cores
                                                            : 1));
    rm_target_free (&mt);
  }
  cJSON_AddItemToArray (run->targets, t);
}
