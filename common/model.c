/* model.c: the one reader of a run record into the model (model.h).
 *
 * Each part has its reader here, next to the others, so a key the
 * record gains or renames is changed in one place; every value is
 * checked for its type (a hostile or older record reads as "not
 * measured", never as a crash).
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

static const cJSON *
get (const cJSON *o, const char *key)
{
  return cJSON_IsObject (o) ? cJSON_GetObjectItemCaseSensitive (o, key) : NULL;
}

static double
num (const cJSON *o, const char *key)
{
  const cJSON *v = get (o, key);

  return cJSON_IsNumber (v) ? v->valuedouble : NAN;
}

static const char *
str (const cJSON *o, const char *key)
{
  const cJSON *v = get (o, key);

  return cJSON_IsString (v) ? v->valuestring : NULL;
}

/* The JSON document of the file PATH, or NULL. */
static cJSON *
json_file (const char *path)
{
  char *text = read_file (path, NULL);
  cJSON *doc = text ? cJSON_Parse (text) : NULL;

  free (text);
  return doc;
}

/* A list's length: 0 for anything but an array. */
static size_t
len (const cJSON *a)
{
  return cJSON_IsArray (a) ? (size_t) cJSON_GetArraySize (a) : 0;
}

/* An array of numbers (NAN where an element is not one). */
static double *
numbers (const cJSON *a, size_t *n)
{
  double *v = xcalloc (len (a) + 1, sizeof *v);
  const cJSON *e;

  *n = 0;
  if (cJSON_IsArray (a))
    cJSON_ArrayForEach (e, a)
      v[(*n)++] = cJSON_IsNumber (e) ? e->valuedouble : NAN;
  return v;
}

/* An array of strings (NULL where an element is not one). */
static const char **
strings (const cJSON *a, size_t *n)
{
  const char **v = xcalloc (len (a) + 1, sizeof *v);
  const cJSON *e;

  *n = 0;
  if (cJSON_IsArray (a))
    cJSON_ArrayForEach (e, a)
      v[(*n)++] = cJSON_IsString (e) ? e->valuestring : NULL;
  return v;
}

/* A direction's KEY, or its lat_ns.KEY (where the record keeps fio's
 * latencies; a direction may carry them beside its rates).
 */
static double
metric (const cJSON *d, const char *key)
{
  const cJSON *v = get (d, key);

  if (v == NULL)
    v = get (get (d, "lat_ns"), key);
  return cJSON_IsNumber (v) ? v->valuedouble : NAN;
}

static void
dir_read (const cJSON *d, struct rm_dir *out)
{
  out->present = cJSON_IsObject (d);
  out->iops = metric (d, "iops");
  out->bw_bytes = metric (d, "bw_bytes");
  out->total_ios = metric (d, "total_ios");
  out->ratio_to_host = metric (d, "ratio_to_host");
  out->mean_ns = metric (d, "mean");
  out->p50_ns = metric (d, "p50");
  out->p99_ns = metric (d, "p99");
  out->p999_ns = metric (d, "p99.9");
}

static void
ops_read (const cJSON *o, struct rm_ops *out)
{
  out->count = num (o, "count");
  out->bytes = num (o, "bytes");
  out->busy_ns = num (o, "busy_ns");
  out->errors = num (o, "errors");
  out->mean_ns = num (o, "mean_ns");
  out->p50_ns = num (o, "p50_ns");
  out->p99_ns = num (o, "p99_ns");
  out->p999_ns = num (o, "p99.9_ns");
}

/* The members of object O: how many. */
static size_t
members (const cJSON *o)
{
  const cJSON *e;
  size_t n = 0;

  if (cJSON_IsObject (o))
    cJSON_ArrayForEach (e, o)
      n++;
  return n;
}

void
rm_boundary_read (const cJSON *b, struct rm_boundary *out)
{
  const cJSON *ops = get (b, "ops"), *fl = get (b, "in_flight");
  const cJSON *cap = get (b, "capacity"), *arr = get (fl, "at_arrival"), *e;

  memset (out, 0, sizeof *out);
  out->all_ops = xcalloc (members (ops) + 1, sizeof *out->all_ops);
  if (cJSON_IsObject (ops))
    cJSON_ArrayForEach (e, ops) {
      struct rm_op *o = &out->all_ops[out->nall_ops++];

      o->op = e->string;
      ops_read (e, &o->f);
    }
  out->arrival = xcalloc (members (arr) + 1, sizeof *out->arrival);
  if (cJSON_IsObject (arr))
    cJSON_ArrayForEach (e, arr) {
      struct rm_arrival *a = &out->arrival[out->narrival++];

      a->label = e->string;
      a->share = cJSON_IsNumber (e) ? e->valuedouble : NAN;
    }
  out->name = str (b, "name");
  out->via = str (b, "via");
  out->source = str (b, "source");
  out->window_s = num (b, "window_s");
  ops_read (get (ops, "read"), &out->ops[RM_READ]);
  ops_read (get (ops, "write"), &out->ops[RM_WRITE]);
  out->flight_mean = num (fl, "mean");
  out->flight_max = num (fl, "max");
  out->flight_requested = num (fl, "requested");
  out->utilisation = num (b, "utilisation");
  out->capacity.max = num (cap, "max");
  out->capacity.what = str (cap, "what");
  out->capacity.served_by = str (cap, "served_by");
}

struct rm_boundary *
rm_bounds_read (const cJSON *a, size_t *n)
{
  struct rm_boundary *v = xcalloc (len (a) + 1, sizeof *v);
  const cJSON *e;

  *n = 0;
  if (cJSON_IsArray (a))
    cJSON_ArrayForEach (e, a)
      rm_boundary_read (e, &v[(*n)++]);
  return v;
}

void
rm_boundary_free (struct rm_boundary *b)
{
  free (b->all_ops);
  free (b->arrival);
  b->all_ops = NULL;
  b->arrival = NULL;
  b->nall_ops = b->narrival = 0;
}

void
rm_bounds_free (struct rm_boundary *b, size_t n)
{
  for (size_t i = 0; b && i < n; i++)
    rm_boundary_free (&b[i]);
  free (b);
}

static void
proc_read (const cJSON *p, struct rm_proc *out)
{
  const cJSON *th = get (p, "threads");

  out->role = str (p, "role");
  out->pid = num (p, "pid");
  out->user_s = num (p, "user_s");
  out->sys_s = num (p, "sys_s");
  out->cpu_s = num (p, "cpu_s");
  out->cpu_us_per_io = num (p, "cpu_us_per_io");
  out->ctx_per_io = num (p, "ctx_per_io");
  out->utilisation = num (p, "cpu_utilisation");
  out->cpus_allowed = num (p, "cpus_allowed");
  out->threads = num (th, "count");
  out->busiest = str (th, "busiest");
  out->busiest_utilisation = num (th, "busiest_utilisation");
  out->cpu_list = numbers (get (p, "cpu_list"), &out->ncpu_list);
}

static struct rm_symbol *
symbols_read (const cJSON *a, size_t *n)
{
  struct rm_symbol *v = xcalloc (len (a) + 1, sizeof *v);
  const cJSON *e;

  *n = 0;
  if (cJSON_IsArray (a))
    cJSON_ArrayForEach (e, a) {
      struct rm_symbol *s = &v[(*n)++];

      s->symbol = str (e, "symbol");
      s->self_pct = num (e, "self_pct");
      s->inclusive_pct = num (e, "inclusive_pct");
    }
  return v;
}

static void
profile_read (const cJSON *p, struct rm_profile *out)
{
  const cJSON *th = get (p, "threads"), *e;

  out->role = str (p, "role");
  out->samples = num (p, "samples");
  out->top_self = symbols_read (get (p, "top_self"), &out->ntop_self);
  out->top_inclusive = symbols_read (get (p, "top_inclusive"),
                                     &out->ntop_inclusive);
  out->threads = xcalloc (len (th) + 1, sizeof *out->threads);
  if (cJSON_IsArray (th))
    cJSON_ArrayForEach (e, th) {
      struct rm_thread *t = &out->threads[out->nthreads++];

      t->thread = str (e, "thread");
      t->samples = num (e, "samples");
      t->pct = num (e, "pct");
    }
}

void
rm_verdict_read (const cJSON *v, struct rm_verdict *out)
{
  const cJSON *also = get (v, "also"), *e;

  memset (out, 0, sizeof *out);
  if (v == NULL) {
    out->state = RM_VERDICT_ABSENT;
    return;
  }
  if (!cJSON_IsObject (v)) {
    out->state = RM_VERDICT_NONE;
    return;
  }
  out->state = RM_VERDICT_SOME;
  out->kind = str (v, "kind");
  out->summary = str (v, "summary");
  out->process = str (v, "process");
  out->boundary = str (v, "boundary");
  out->utilisation = num (v, "utilisation");
  out->also = xcalloc (len (also) + 1, sizeof *out->also);
  if (cJSON_IsArray (also))
    cJSON_ArrayForEach (e, also) {
      struct rm_also *a = &out->also[out->nalso++];

      a->process = str (e, "process");
      a->utilisation = num (e, "utilisation");
    }
}

static void
timeline_read (const cJSON *tl, struct rm_timeline *out)
{
  const cJSON *steady = get (tl, "steady");

  out->present = cJSON_IsArray (get (tl, "iops"));
  out->interval_s = num (tl, "interval_s");
  out->iops = numbers (get (tl, "iops"), &out->niops);
  out->p99_ns = numbers (get (tl, "p99_ns"), &out->np99);
  out->steady = cJSON_IsTrue (steady) ? 1 : cJSON_IsFalse (steady) ? 0 : -1;
  out->trend = num (tl, "trend");
  out->spread = num (tl, "spread");
  out->nstalls = num (tl, "nstalls");
  out->stalls = numbers (get (tl, "stalls"), &out->nstall_list);
}

static struct rm_fact *
facts_read (const cJSON *setup, size_t *n)
{
  struct rm_fact *v;
  const cJSON *e;
  size_t k = 0;

  if (cJSON_IsObject (setup))
    cJSON_ArrayForEach (e, setup)
      k++;
  v = xcalloc (k + 1, sizeof *v);
  *n = 0;
  if (cJSON_IsObject (setup))
    cJSON_ArrayForEach (e, setup) {
      struct rm_fact *f = &v[(*n)++];

      f->key = e->string;
      if (cJSON_IsNumber (e)) {
        f->type = RM_FACT_NUM;
        f->num = e->valuedouble;
      }
      else if (cJSON_IsString (e)) {
        f->type = RM_FACT_TEXT;
        f->text = e->valuestring;
      }
      else if (cJSON_IsBool (e)) {
        f->type = RM_FACT_BOOL;
        f->on = cJSON_IsTrue (e);
      }
    }
  return v;
}

/* A layer's facts in its target's words (an element that is not a
 * label with a text value is left out).
 */
static void
labels_read (const cJSON *a, struct rm_target *out)
{
  const cJSON *e;

  out->labels = xcalloc (len (a) + 1, sizeof *out->labels);
  if (cJSON_IsArray (a))
    cJSON_ArrayForEach (e, a)
      if (str (e, "label") && str (e, "value")) {
        out->labels[out->nlabels].label = str (e, "label");
        out->labels[out->nlabels++].value = str (e, "value");
      }
}

/* The cpu collector's part (collectors/cpu.c): each process's CPU and
 * the host's busy share per CPU.
 */
static void
cpu_read (const cJSON *part, struct rm_target *out)
{
  const cJSON *a = get (part, "processes"), *e;

  out->procs = xcalloc (len (a) + 1, sizeof *out->procs);
  if (cJSON_IsArray (a))
    cJSON_ArrayForEach (e, a)
      proc_read (e, &out->procs[out->nprocs++]);
  out->host_busy = numbers (get (part, "host_busy"), &out->nhost_busy);
}

/* The perf collector's (collectors/perf.c): each process's profile. */
static void
perf_read (const cJSON *part, struct rm_target *out)
{
  const cJSON *a = get (part, "processes"), *e;

  out->has_perf = part != NULL;
  out->perf_hz = num (part, "frequency_hz");
  out->has_profiles = a != NULL;
  out->profiles = xcalloc (len (a) + 1, sizeof *out->profiles);
  if (cJSON_IsArray (a))
    cJSON_ArrayForEach (e, a)
      profile_read (e, &out->profiles[out->nprofiles++]);
}

/* The resources collector's (collectors/resources.c): what each
 * process held at most, and its limits.
 */
static void
resources_read (const cJSON *part, struct rm_target *out)
{
  static const char *const keys[RM_NRES] = {
    [RM_FDS_MAX] = "fds_max", [RM_SOCKETS_MAX] = "sockets_max",
    [RM_THREADS_MAX] = "threads_max", [RM_RSS_KIB_MAX] = "rss_kib_max",
    [RM_FD_LIMIT] = "fd_limit", [RM_TASK_LIMIT] = "task_limit",
  };
  const cJSON *a = get (part, "processes"), *e;

  out->res = xcalloc (len (a) + 1, sizeof *out->res);
  if (cJSON_IsArray (a))
    cJSON_ArrayForEach (e, a) {
      struct rm_resources *r = &out->res[out->nres++];

      r->role = str (e, "role");
      for (int k = 0; k < RM_NRES; k++)
        r->v[k] = num (e, keys[k]);
    }
}

/* The readers of the collectors' parts of a layer (targets[].collectors.
 * NAME), one per collector whose figures a report reads: a collector
 * whose figures a report is to show registers its reader here, beside
 * what collectors/NAME.c writes.  Each is called, with NULL when the
 * record has no part of it, so that the model's lists always exist.
 */
static const struct {
  const char *name;
  void (*read) (const cJSON *part, struct rm_target *out);
} collector_readers[] = {
  { "cpu", cpu_read },
  { "perf", perf_read },
  { "resources", resources_read },
};

static void
collectors_read (const cJSON *t, struct rm_target *out)
{
  const cJSON *parts = get (t, "collectors");

  for (size_t i = 0; i < sizeof collector_readers / sizeof collector_readers[0]; i++)
    collector_readers[i].read (get (parts, collector_readers[i].name), out);
}

/* The load clients of T (its "clients"), each with the volumes its
 * setup gave it.
 */
static void
clients_read (const cJSON *t, struct rm_target *out)
{
  const cJSON *cl = get (t, "clients"), *fair = get (t, "fairness"), *e, *sc;

  out->has_clients = cJSON_IsArray (cl);
  out->clients = xcalloc (len (cl) + 1, sizeof *out->clients);
  if (cJSON_IsArray (cl))
    cJSON_ArrayForEach (e, cl) {
      struct rm_client *c = &out->clients[out->nclients++];
      const cJSON *scs = get (get (t, "setup"), "clients");

      c->name = str (e, "name");
      c->fio_server = str (e, "fio_server");
      c->jobs = num (e, "jobs");
      dir_read (get (e, "read"), &c->dir[RM_READ]);
      dir_read (get (e, "write"), &c->dir[RM_WRITE]);
      c->volumes = -1;
      if (cJSON_IsArray (scs))
        cJSON_ArrayForEach (sc, scs) {
          const char *n = str (sc, "name");

          if (strcmp (n ? n : "", c->name ? c->name : "?") == 0)
            c->volumes = (int) len (get (sc, "volumes"));
        }
    }
  out->fairness.clients = num (fair, "clients");
  out->fairness.iops_min = num (fair, "iops_min");
  out->fairness.iops_max = num (fair, "iops_max");
  out->fairness.min_over_max = num (fair, "min_over_max");
  out->fairness.jain = num (fair, "jain");
}

/* A sweep's layer: its points, each a run of the layer. */
static void
points_read (const cJSON *t, struct rm_target *out)
{
  const cJSON *pts = get (t, "points"), *e;

  out->point_dir = str (t, "dir");
  out->iodepth = num (t, "iodepth");
  out->client_count = num (t, "client_count");
  out->volumes = num (t, "volumes");
  out->connections = num (t, "connections");
  out->points = xcalloc (len (pts) + 1, sizeof *out->points);
  if (cJSON_IsArray (pts))
    cJSON_ArrayForEach (e, pts)
      rm_target_read (e, &out->points[out->npoints++]);
}

void
rm_target_read (const cJSON *t, struct rm_target *out)
{
  memset (out, 0, sizeof *out);
  out->json = t;
  out->name = str (t, "name");
  if (out->name == NULL)
    out->name = "?";
  out->description = str (t, "description");
  out->baseline = cJSON_IsTrue (get (t, "baseline"));
  out->peer = str (get (t, "peer"), "layer");
  out->peer_why = str (get (t, "peer"), "why");
  if (out->peer == NULL || out->peer_why == NULL)
    out->peer = out->peer_why = NULL;
  dir_read (get (t, "read"), &out->dir[RM_READ]);
  dir_read (get (t, "write"), &out->dir[RM_WRITE]);
  out->runtime_s = num (t, "runtime_s");
  out->bounds = rm_bounds_read (get (t, "boundaries"), &out->nbounds);
  collectors_read (t, out);
  rm_verdict_read (get (t, "bottleneck"), &out->verdict);
  timeline_read (get (t, "timeline"), &out->timeline);
  out->facts = facts_read (get (t, "setup"), &out->nfacts);
  labels_read (get (t, "facts"), out);
  out->has_filters = cJSON_IsArray (get (t, "filters"));
  out->filters = strings (get (t, "filters"), &out->nfilters);
  clients_read (t, out);
  points_read (t, out);
}

void
rm_verdict_free (struct rm_verdict *v)
{
  free (v->also);
  v->also = NULL;
  v->nalso = 0;
}

void
rm_target_free (struct rm_target *t)
{
  rm_bounds_free (t->bounds, t->nbounds);
  for (size_t i = 0; i < t->nprocs; i++)
    free (t->procs[i].cpu_list);
  free (t->procs);
  free (t->host_busy);
  for (size_t i = 0; i < t->nprofiles; i++) {
    free (t->profiles[i].top_self);
    free (t->profiles[i].top_inclusive);
    free (t->profiles[i].threads);
  }
  free (t->profiles);
  free (t->res);
  rm_verdict_free (&t->verdict);
  free (t->timeline.iops);
  free (t->timeline.p99_ns);
  free (t->timeline.stalls);
  free (t->facts);
  free (t->labels);
  free (t->filters);
  free (t->clients);
  for (size_t i = 0; i < t->npoints; i++)
    rm_target_free (&t->points[i]);
  free (t->points);
  memset (t, 0, sizeof *t);
}

static void
services_read (const cJSON *a, struct rm_run *r)
{
  const cJSON *e;

  r->services = xcalloc (len (a) + 1, sizeof *r->services);
  if (cJSON_IsArray (a))
    cJSON_ArrayForEach (e, a) {
      struct rm_service *s = &r->services[r->nservices++];

      s->role = str (e, "role");
      s->kind = str (e, "kind");
      s->log = str (e, "log");
      s->ended = str (e, "ended");
      s->command = str (e, "command");
      s->ready_s = num (e, "ready_s");
      s->layers = strings (get (e, "layers"), &s->nlayers);
    }
}

/* Records from before "baseline": the baseline's ratio to itself is 1. */
static void
baseline_guess (struct rm_run *r)
{
  for (size_t i = 0; i < r->ntargets; i++)
    if (r->targets[i].baseline)
      return;
  for (size_t i = 0; i < r->ntargets; i++) {
    struct rm_target *t = &r->targets[i];

    if (get (t->json, "baseline") == NULL &&
        (t->dir[RM_READ].ratio_to_host == 1 ||
         t->dir[RM_WRITE].ratio_to_host == 1)) {
      t->baseline = true;
      return;
    }
  }
}

void
rm_run_read (const cJSON *doc, struct rm_run *r)
{
  const cJSON *sc = get (doc, "scenario"), *st = get (doc, "stack");
  const cJSON *host = get (doc, "host"), *ver = get (doc, "versions");
  const cJSON *t = get (doc, "targets"), *e;

  memset (r, 0, sizeof *r);
  r->json = doc;
  r->kind = record_kind (doc);
  r->status_now = record_status (doc);
  r->schema = str (doc, "schema");
  r->id = str (doc, "id");
  r->description = str (doc, "description");
  r->status = str (doc, "status");
  r->reason = str (doc, "reason");
  r->started = str (doc, "started");
  r->finished = str (doc, "finished");
  r->scenario = str (sc, "name");
  r->scenario_file = str (sc, "file");
  r->scenario_text = str (sc, "text");
  r->jobs = num (sc, "jobs");
  r->iodepth = num (sc, "iodepth");
  r->stack = str (st, "name");
  r->stack_file = str (st, "file");
  r->plugin = str (get (st, "definition"), "plugin");
  r->hostname = str (host, "hostname");
  r->kernel = str (host, "kernel");
  r->cpu_model = str (host, "cpu_model");
  r->cores = num (host, "cores");
  r->fio_version = str (ver, "fio");
  r->nbdkit_version = str (ver, "nbdkit");
  r->qemu_version = str (ver, "qemu");
  r->git_rev = str (ver, "git_rev");
  r->git_describe = str (ver, "git_describe");
  r->sut_id = str (get (doc, "system_under_test"), "id");
  r->placement = str (get (doc, "cpus"), "placement");
  r->imported_at = str (get (doc, "imported"), "at");
  r->imported_sha256 = str (get (doc, "imported"), "sha256");
  r->targets = xcalloc (len (t) + 1, sizeof *r->targets);
  if (cJSON_IsArray (t))
    cJSON_ArrayForEach (e, t)
      rm_target_read (e, &r->targets[r->ntargets++]);
  baseline_guess (r);
  services_read (get (doc, "services"), r);
}

void
rm_run_free (struct rm_run *r)
{
  for (size_t i = 0; i < r->ntargets; i++)
    rm_target_free (&r->targets[i]);
  free (r->targets);
  for (size_t i = 0; i < r->nservices; i++)
    free (r->services[i].layers);
  free (r->services);
  memset (r, 0, sizeof *r);
}

const struct rm_target *
rm_baseline (const struct rm_run *r)
{
  for (size_t i = 0; i < r->ntargets; i++)
    if (r->targets[i].baseline)
      return &r->targets[i];
  return NULL;
}

const struct rm_target *
rm_target_named (const struct rm_run *r, const char *name)
{
  for (size_t i = 0; i < r->ntargets; i++)
    if (name && strcmp (r->targets[i].name, name) == 0)
      return &r->targets[i];
  return NULL;
}

const struct rm_proc *
rm_proc_of (const struct rm_target *t, const char *role)
{
  for (size_t i = 0; t && role && i < t->nprocs; i++)
    if (t->procs[i].role && strcmp (t->procs[i].role, role) == 0)
      return &t->procs[i];
  return NULL;
}

const struct rm_fact *
rm_fact (const struct rm_target *t, const char *key)
{
  for (size_t i = 0; t && i < t->nfacts; i++)
    if (strcmp (t->facts[i].key, key) == 0)
      return &t->facts[i];
  return NULL;
}

double
rm_fact_num (const struct rm_target *t, const char *key)
{
  const struct rm_fact *f = rm_fact (t, key);

  return f && f->type == RM_FACT_NUM ? f->num : NAN;
}

const char *
rm_fact_text (const struct rm_target *t, const char *key)
{
  const struct rm_fact *f = rm_fact (t, key);

  return f && f->type == RM_FACT_TEXT ? f->text : NULL;
}

double
rm_dir_iops (const struct rm_dir *d)
{
  return d[RM_READ].iops + d[RM_WRITE].iops;
}

double
rm_iops (const struct rm_target *t)
{
  return rm_dir_iops (t->dir);
}

double
rm_resource (const struct rm_target *t, enum rm_res k)
{
  double sum = 0;
  bool any = false;

  for (size_t i = 0; i < t->nres; i++)
    if (!isnan (t->res[i].v[k])) {
      sum += t->res[i].v[k];
      any = true;
    }
  return any ? sum : NAN;
}

const struct rm_boundary *
rm_boundary_named (const struct rm_target *t, const char *name)
{
  for (size_t i = 0; i < t->nbounds; i++)
    if (t->bounds[i].name && strcmp (t->bounds[i].name, name) == 0)
      return &t->bounds[i];
  return NULL;
}

double
rm_concurrency (const struct rm_boundary *b)
{
  return isnan (b->flight_requested) ? b->flight_max : b->flight_requested;
}

size_t
rm_cpu_us (const struct rm_target *t, const char *role, double *out,
           size_t max)
{
  size_t n = 0;

  for (size_t i = 0; t && i < t->nprocs && n < max; i++) {
    double v = t->procs[i].cpu_us_per_io;

    if (t->procs[i].role && strcmp (t->procs[i].role, role) == 0 &&
        isfinite (v) && v >= 0)
      out[n++] = v;
  }
  return n;
}

/* The stack's definition a record keeps: the user's own document. */
static const cJSON *
definition (const struct rm_run *r)
{
  const cJSON *d = get (get (r->json, "stack"), "definition");

  return cJSON_IsObject (d) ? d : NULL;
}

void
rm_definition_diff (const struct rm_run *a, const struct rm_run *b,
                    rm_diff_fn fn, void *arg)
{
  const cJSON *x = definition (a), *y = definition (b);

  if (x == NULL || y == NULL)
    return;
  for (const cJSON *c = x->child; c; c = c->next) {
    const cJSON *d = get (y, c->string);

    if (!cJSON_Compare (c, d, 1)) {
      char *s1 = cJSON_PrintUnformatted (c);
      char *s2 = d ? cJSON_PrintUnformatted (d) : NULL;

      fn (c->string, s1 ? s1 : "?", d ? (s2 ? s2 : "?") : NULL, arg);
      free (s1);
      free (s2);
    }
  }
  for (const cJSON *d = y->child; d; d = d->next)
    if (get (x, d->string) == NULL) {
      char *s2 = cJSON_PrintUnformatted (d);

      fn (d->string, NULL, s2 ? s2 : "?", arg);
      free (s2);
    }
}

/* The records a command loaded (compare's sides, a gate's baseline),
 * each read into the model beside its document.
 */
static void
push (struct records *r, cJSON *doc, const char *dir)
{
  r->doc = xreallocarray (r->doc, r->n + 1, sizeof *r->doc);
  r->run = xreallocarray (r->run, r->n + 1, sizeof *r->run);
  r->dir = xreallocarray (r->dir, r->n + 1, sizeof *r->dir);
  r->doc[r->n] = doc;
  rm_run_read (doc, &r->run[r->n]);
  r->dir[r->n] = xstrdup (dir);
  r->n++;
}

int
records_add (struct records *r, const char *path, const char *who)
{
  char *rj = xasprintf ("%s/run.json", path);
  struct dirent **ents;
  struct stat sb;
  size_t before = r->n;
  int ne;

  if (stat (rj, &sb) == 0) {
    const char *why;
    cJSON *doc = record_load (path, &why);

    free (rj);
    if (doc == NULL) {
      vb_msg ("%s: %s/run.json is not a viperbench run record (%s)", who,
              path, why);
      return -1;
    }
    if (record_is_sweep (doc)) {
      vb_msg ("%s: %s is %s, not a run record (viperbench report shows it)",
              who, path, record_kind_words (record_kind (doc)));
      cJSON_Delete (doc);
      return -1;
    }
    push (r, doc, path);
    return 0;
  }
  if (record_other_kind (path)) {
    vb_msg ("%s: %s is %s, not a run record (viperbench report shows it)",
            who, path, record_other_kind (path));
    free (rj);
    return -1;
  }
  if (stat (path, &sb) == -1) {
    vb_msg ("%s: %s: %s", who, rj, strerror (errno));
    free (rj);
    return -1;
  }
  free (rj);
  ne = scandir (path, &ents, NULL, versionsort);
  if (ne < 0) {
    vb_msg ("%s: %s: %s", who, path, errno == ENOTDIR ?
            "neither a record nor a directory of records" : strerror (errno));
    return -1;
  }
  for (int i = 0; i < ne; i++) {
    char *d = xasprintf ("%s/%s", path, ents[i]->d_name);
    char *p = xasprintf ("%s/run.json", d);

    if (ents[i]->d_name[0] != '.' && stat (p, &sb) == 0) {
      const char *why;
      cJSON *doc = record_load (d, &why);
      const char *st = doc ? record_status (doc) : NULL;

      if (st && strcmp (st, "complete") == 0 && !record_is_sweep (doc))
        push (r, doc, d);
      else {
        vb_warn ("%s: %s is %s: skipped", who, d,
                 doc == NULL ? why : st && strcmp (st, "complete") != 0 ? st
                 : record_kind_words (record_kind (doc)));
        cJSON_Delete (doc);
      }
    }
    free (d);
    free (p);
    free (ents[i]);
  }
  free (ents);
  if (r->n == before) {
    vb_msg ("%s: %s holds no complete run record", who, path);
    return -1;
  }
  return 0;
}

void
records_free (struct records *r)
{
  for (size_t i = 0; i < r->n; i++) {
    rm_run_free (&r->run[i]);
    cJSON_Delete (r->doc[i]);
    free (r->dir[i]);
  }
  free (r->run);
  free (r->doc);
  free (r->dir);
  memset (r, 0, sizeof *r);
}

/* Each record's CPU microseconds per I/O of process ROLE in layer NAME
 * (the cpu collector's), into OUT; how many.
 */
size_t
records_cpu_us (const struct records *r, const char *name, const char *role,
                double *out, size_t max)
{
  size_t n = 0;

  for (size_t i = 0; i < r->n && n < max; i++)
    n += rm_cpu_us (rm_target_named (&r->run[i], name), role, out + n,
                    max - n);
  return n;
}


/* A gate's record. */

void
rm_gate_read (const cJSON *doc, struct rm_gate *g)
{
  const cJSON *se = get (doc, "series"), *pr = get (doc, "profile"), *e;

  memset (g, 0, sizeof *g);
  g->json = doc;
  g->schema = str (doc, "schema");
  g->id = str (doc, "id");
  g->status = str (doc, "status");
  g->outcome = str (doc, "outcome");
  g->scenario = str (doc, "scenario");
  g->started = str (doc, "started");
  g->baseline = str (doc, "baseline");
  g->candidate = str (doc, "candidate");
  g->mode = str (doc, "mode");
  g->reference = str (doc, "reference");
  g->cpus = str (doc, "cpus");
  g->failure = str (doc, "failure");
  g->exit_code = num (doc, "exit_code");
  g->repeat = num (doc, "repeat");
  g->alpha = num (doc, "alpha");
  g->alpha_per_look = num (doc, "alpha_per_look");
  g->looks = num (doc, "looks");
  g->extended_to = num (doc, "extended_to");
  g->power = num (doc, "power");
  g->first_look = num (doc, "first_look");
  g->max_repeat = num (doc, "max_repeat");
  g->seconds = num (doc, "seconds");
  g->thr_iops = num (doc, "threshold_iops");
  g->thr_p99 = num (doc, "threshold_p99");
  g->thr_cpu = num (doc, "threshold_cpu");
  g->notes = strings (get (doc, "notes"), &g->nnotes);
  g->series = xcalloc (len (se) + 1, sizeof *g->series);
  if (cJSON_IsArray (se))
    cJSON_ArrayForEach (e, se) {
      struct rm_gate_series *s = &g->series[g->nseries++];

      s->layer = str (e, "layer");
      s->metric = str (e, "metric");
      s->process = str (e, "process");
      s->verdict = str (e, "verdict");
      s->why = str (e, "why");
      s->a = numbers (get (e, "baseline"), &s->na);
      s->b = numbers (get (e, "candidate"), &s->nb);
      s->threshold = num (e, "threshold");
      s->change = num (e, "change");
      s->lo = num (e, "interval_low");
      s->hi = num (e, "interval_high");
      s->p = num (e, "p");
      s->sd = num (e, "noise_sd");
      s->needed = num (e, "repetitions_needed");
    }
  g->prof_layers = strings (get (pr, "layers"), &g->nprof_layers);
  for (int k = 0; k < 2; k++) {
    const cJSON *side = get (pr, k ? "candidate" : "baseline");

    g->prof_rec[k] = str (side, "record");
    g->prof_words[k] = str (side, "words");
  }
}

void
rm_gate_free (struct rm_gate *g)
{
  for (size_t i = 0; i < g->nseries; i++) {
    free (g->series[i].a);
    free (g->series[i].b);
  }
  free (g->series);
  free (g->notes);
  free (g->prof_layers);
  memset (g, 0, sizeof *g);
}

cJSON *
rm_gate_load (const char *path, struct rm_gate *g)
{
  cJSON *doc = json_file (path);

  rm_gate_read (doc, g);
  if (g->schema == NULL || strcmp (g->schema, "viperbench.gate/1") != 0) {
    cJSON_Delete (doc);
    return NULL;
  }
  return doc;
}

/* The writer of a record's head. */

static void
add_text (cJSON *o, const char *key, const char *v)
{
  if (v)
    cJSON_AddStringToObject (o, key, v);
  else
    cJSON_AddNullToObject (o, key);
}

cJSON *
rm_run_head_json (const struct rm_run *r)
{
  cJSON *doc = cJSON_CreateObject (), *sc;

  cJSON_AddStringToObject (doc, "schema", RUN_SCHEMA);
  record_set_kind (doc, r->kind);
  add_text (doc, "id", r->id);
  cJSON_AddStringToObject (doc, "description",
                           r->description ? r->description : "");
  add_text (doc, "status", r->status);
  add_text (doc, "reason", r->reason);
  sc = cJSON_AddObjectToObject (doc, "scenario");
  add_text (sc, "name", r->scenario);
  if (r->scenario_file)
    cJSON_AddStringToObject (sc, "file", r->scenario_file);
  add_text (sc, "text", r->scenario_text);
  if (!isnan (r->jobs))
    cJSON_AddNumberToObject (sc, "jobs", r->jobs);
  if (!isnan (r->iodepth))
    cJSON_AddNumberToObject (sc, "iodepth", r->iodepth);
  add_text (doc, "started", r->started);
  add_text (doc, "finished", r->finished);
  return doc;
}

#define NOTES_SCHEMA "viperbench.notes/1"

int
rm_notes_read (const char *dir, struct rm_notes *out)
{
  char *path = xasprintf ("%s/notes.json", dir), *text;
  const cJSON *arr, *it;
  size_t k = 0;

  memset (out, 0, sizeof *out);
  if ((text = read_file (path, NULL)) == NULL) {
    if (errno == ENOENT) {
      free (path);
      return 0;
    }
    vb_msg ("%s: %s", path, strerror (errno));
    free (path);
    return -1;
  }
  out->json = cJSON_Parse (text);
  free (text);
  arr = get (out->json, "notes");
  if (out->json == NULL || !cJSON_IsArray (arr) ||
      strcmp (json_str (get (out->json, "schema"), ""), NOTES_SCHEMA) != 0) {
    vb_msg ("%s: not a record's notes (expected schema %s)", path,
            NOTES_SCHEMA);
    cJSON_Delete (out->json);
    out->json = NULL;
    free (path);
    return -1;
  }
  free (path);
  out->v = xcalloc ((size_t) cJSON_GetArraySize (arr) + 1, sizeof *out->v);
  cJSON_ArrayForEach (it, arr) {
    const char *t = json_str (get (it, "text"), NULL);

    if (t == NULL)
      continue;                 /* not a note: skipped */
    out->v[k].text = t;
    out->v[k].at = json_str (get (it, "at"), "?");
    k++;
  }
  out->n = k;
  return 0;
}

void
rm_notes_free (struct rm_notes *notes)
{
  free (notes->v);
  cJSON_Delete (notes->json);
  memset (notes, 0, sizeof *notes);
}

int
rm_notes_add (const char *dir, const char *text)
{
  struct rm_notes old;
  cJSON *doc, *arr, *note;
  char now[32], *out, *path;
  int r;

  if (rm_notes_read (dir, &old) == -1)
    return -1;
  doc = old.json ? old.json : cJSON_CreateObject ();
  old.json = NULL;
  if ((arr = cJSON_GetObjectItemCaseSensitive (doc, "notes")) == NULL) {
    cJSON_AddStringToObject (doc, "schema", NOTES_SCHEMA);
    arr = cJSON_AddArrayToObject (doc, "notes");
  }
  iso_now (now, sizeof now);
  note = cJSON_CreateObject ();
  cJSON_AddStringToObject (note, "at", now);
  cJSON_AddStringToObject (note, "text", text);
  cJSON_AddItemToArray (arr, note);
  out = cJSON_Print (doc);
  path = xasprintf ("%s/notes.json", dir);
  r = write_file_atomic (path, out, strlen (out));
  free (path);
  free (out);
  cJSON_Delete (doc);
  rm_notes_free (&old);
  return r;
}

/* A knob's value in words (to free): a string without its quotes,
 * "unset (its default)" for none.
 */
static char *
value_words (const cJSON *v)
{
  if (cJSON_IsString (v))
    return xstrdup (v->valuestring);
  if (v == NULL || cJSON_IsNull (v))
    return xstrdup ("unset (its default)");
  return cJSON_PrintUnformatted (v);
}

static void
x_change_read (const cJSON *o, struct rm_x_change *c)
{
  c->pairs = num (o, "pairs");
  c->base = num (o, "base");
  c->level = num (o, "level");
  c->change = num (o, "change");
  c->lo = num (o, "lo");
  c->hi = num (o, "hi");
  c->p = num (o, "p");
  c->significant = cJSON_IsTrue (get (o, "significant"));
}

/* The factorial's part of explore.json into X. */
static void
x_factorial_read (const cJSON *f, struct rm_explore *x)
{
  const cJSON *in = get (f, "interaction"), *e;

  x->factorial = cJSON_IsObject (f);
  if (!x->factorial)
    return;
  x->fact_note = str (f, "note");
  x->fknobs = xcalloc (len (get (f, "knobs")) + 1, sizeof *x->fknobs);
  cJSON_ArrayForEach (e, get (f, "knobs")) {
    struct rm_x_fknob *k = &x->fknobs[x->nfknobs++];

    k->knob = str (e, "knob");
    k->low = value_words (get (e, "low"));
    k->high = value_words (get (e, "high"));
    k->change = num (e, "change");
    k->lo = num (e, "lo");
    k->hi = num (e, "hi");
  }
  x->fcells = (double) len (get (f, "cells"));
  x->replicates = num (f, "replicates");
  x->residual_sd = num (f, "residual_sd");
  x->df = num (f, "df");
  x->interaction = cJSON_IsObject (in);
  for (int i = 0; i < 2; i++) {
    const cJSON *k = cJSON_GetArrayItem (get (in, "knobs"), i);
    const cJSON *a = cJSON_GetArrayItem (get (in, "aliased_with"), i);

    x->inter_knobs[i] = cJSON_IsString (k) ? k->valuestring : NULL;
    x->alias[i] = cJSON_IsString (a) ? a->valuestring : NULL;
  }
  x->inter_change = num (in, "change");
  x->inter_lo = num (in, "lo");
  x->inter_hi = num (in, "hi");
  x->interact = cJSON_IsTrue (get (in, "interact"));
}

void
rm_explore_read (const cJSON *doc, struct rm_explore *x)
{
  const cJSON *b = get (doc, "best"), *e;
  static const char *const mkey[RM_XM_COUNT] = {
    "iops", "read_p99", "write_p99", "cpu",
  };

  memset (x, 0, sizeof *x);
  x->schema = str (doc, "schema");
  x->id = str (doc, "id");
  x->status_now = doc ? record_status (doc) : NULL;
  x->failure = str (doc, "failure");
  x->started = str (doc, "started");
  x->scenario = str (doc, "scenario");
  x->stack = str (doc, "stack");
  x->stack_name = str (doc, "stack_name");
  x->layer = str (doc, "layer");
  x->knobs_from = str (doc, "knobs_from");
  x->seconds = num (doc, "seconds");
  x->repeat = num (doc, "repeat");
  x->max_repeat = num (doc, "max_repeat");
  x->rounds = num (doc, "rounds");
  x->precision = num (doc, "precision");
  x->budget_s = num (doc, "budget_s");
  x->alpha = num (doc, "alpha");
  x->alpha_per_look = num (doc, "alpha_per_look");
  x->looks = num (doc, "looks");
  x->notes = strings (get (doc, "notes"), &x->nnotes);
  x->effects = xcalloc (len (get (doc, "effects")) + 1, sizeof *x->effects);
  cJSON_ArrayForEach (e, get (doc, "effects")) {
    struct rm_x_effect *f = &x->effects[x->neffects++];

    f->rank = num (e, "rank");
    f->knob = str (e, "knob");
    f->stage = str (e, "stage");
    f->verdict_base = str (e, "verdict_base");
    f->verdict_level = str (e, "verdict_level");
    f->level = value_words (get (e, "level"));
    f->base_level = value_words (get (e, "base_level"));
    f->significant = cJSON_IsTrue (get (e, "significant"));
    for (int m = 0; m < RM_XM_COUNT; m++)
      x_change_read (get (e, mkey[m]), &f->m[m]);
  }
  x_factorial_read (get (doc, "factorial"), x);
  x->best = cJSON_IsObject (b);
  if (x->best) {
    char *list = NULL;

    x->best_how = str (b, "how");
    cJSON_ArrayForEach (e, get (b, "settings")) {
      char *v = value_words (e), *kv = xasprintf ("%s=%s", e->string, v);

      list_append (&list, ", ", kv);
      free (v);
      free (kv);
    }
    x->best_settings = list ? list : xstrdup ("the stack as it is");
    x->best_change = num (b, "change");
    x->best_lo = num (b, "lo");
    x->best_hi = num (b, "hi");
  }
}

void
rm_explore_free (struct rm_explore *x)
{
  for (size_t i = 0; i < x->neffects; i++) {
    free (x->effects[i].level);
    free (x->effects[i].base_level);
  }
  for (size_t i = 0; i < x->nfknobs; i++) {
    free (x->fknobs[i].low);
    free (x->fknobs[i].high);
  }
  free (x->effects);
  free (x->fknobs);
  free (x->notes);
  free (x->best_settings);
  memset (x, 0, sizeof *x);
}

cJSON *
rm_explore_load (const char *path, struct rm_explore *x)
{
  cJSON *doc = json_file (path);

  rm_explore_read (doc, x);
  if (x->schema == NULL || strcmp (x->schema, "viperbench.explore/1") != 0) {
    cJSON_Delete (doc);
    return NULL;
  }
  return doc;
}
