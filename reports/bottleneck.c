/* bottleneck.c: which stage of a layer limits it, decided from the
 * record's figures alone (pure: a target of the record's model in, a verdict out;
 * tests/unit/test_bottleneck.c holds figures kept from real runs).
 *
 * Per stage (each boundary below fio's, top to bottom):
 *   capacity     the most requests it can hold at once, with what sets
 *                it in the stack's own words (nbdkit's -t x connections,
 *                a thread model and whether the plugin or a filter set
 *                it, QEMU's 16 per connection, the engine's workers):
 *                the runner's "capacity" of the boundary;
 *   reached      the most seen in flight there is at that capacity;
 *   busy         the larger of the mean in flight over the capacity and
 *                the CPU time of the process serving it over the CPUs it
 *                can use (a serialized stage whose work lies partly
 *                outside the probe's window, nbdkit's socket reads and
 *                writes, still shows there);
 *   waiting      the mean in flight above it less its own.
 * A stage whose capacity is below what fio asks, reached, busy (>= 0.5)
 * with requests waiting above is the bottleneck; the tightest such cap
 * is named, unless the stage has more slots than its process has CPUs
 * and that process is saturated on CPU (its slots then wait for a CPU).
 * Else a process saturated on CPU (>= 85% of what it may use), or one
 * thread of it saturated, is.  Else the verdict says it cannot decide
 * when requests wait (at a capacity reached but not seen busy, at a
 * boundary whose capacity is unknown, or anywhere: half of what fio
 * asks); else nothing limits the layer below what fio asks (null).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define BUSY 0.5                /* a capped stage at least this busy */
#define SATURATED 0.8           /* CPUs, or a thread, this busy */

/* The mean of a boundary's read and write latency, weighted by count
 * (ns); NAN when neither was measured.
 */
static double
mean_latency (const struct rm_boundary *bd)
{
  const struct rm_ops *r = &bd->ops[RM_READ], *w = &bd->ops[RM_WRITE];
  double n = 0, sum = 0;

  if (!isnan (r->count) && !isnan (r->mean_ns) && r->count > 0) {
    n += r->count;
    sum += r->count * r->mean_ns;
  }
  if (!isnan (w->count) && !isnan (w->mean_ns) && w->count > 0) {
    n += w->count;
    sum += w->count * w->mean_ns;
  }
  return n > 0 ? sum / n : NAN;
}

/* How busy process P keeps the slots of a stage of capacity CAP (0..1)
 * through its CPU: only when CAP is at most the CPUs P may use (a stage
 * with fewer slots than CPUs is busy when its slots' CPUs are, even
 * where the probe does not see the work); NAN for a stage with more
 * slots than CPUs (judged by its slots alone) or when not measured.
 */
static double
cpu_busy (const struct rm_proc *p, double cap, double cores)
{
  double u = p->utilisation, allowed = p->cpus_allowed;
  double n = isnan (allowed) || allowed <= 0 ? cores : allowed;

  if (isnan (u) || cap > n || !(cap > 0))
    return NAN;
  return fmin (u / cap, 1);
}

/* True when process P has CPUs of its own (pinned to fewer than the
 * host's CORES).
 */
static bool
pinned (const struct rm_proc *p, double cores)
{
  double allowed = p->cpus_allowed;

  return !isnan (allowed) && allowed > 0 && allowed < cores;
}

/* The busy share the host's /proc/stat saw, over the window, of the
 * CPUs process P of target T may run on (its "cpu_list"; by anyone),
 * or NAN when the record has not got it.
 */
static double
host_load (const struct rm_target *t, const struct rm_proc *p)
{
  double sum = 0;
  int n = 0;

  for (size_t i = 0; i < p->ncpu_list; i++) {
    double c = p->cpu_list[i];

    if (isnan (c) || c < 0 || c >= (double) t->nhost_busy ||
        isnan (t->host_busy[(size_t) c]))
      continue;
    sum += t->host_busy[(size_t) c];
    n++;
  }
  return n ? sum / n : NAN;
}

/* The CPU the layer's own processes used on the CPUs of P: P's own when
 * it is pinned, else all of theirs.
 */
static double
own_use (const struct rm_target *t, const struct rm_proc *p, double cores)
{
  double sum = 0;

  if (pinned (p, cores))
    return p->utilisation;
  for (size_t i = 0; i < t->nprocs; i++)
    if (!isnan (t->procs[i].utilisation))
      sum += t->procs[i].utilisation;
  return sum;
}

/* How busy the CPUs process P of target T runs on are (0..1; NAN: not
 * measured): the layer's own use of them (P's when it is pinned, else
 * every measured process's over the host's CPUs, which they share), or
 * what the host saw of them when that is more (other tenants of a
 * shared machine take CPU the layer's threads then wait for).
 */
static double
cpu_load (const struct rm_target *t, const struct rm_proc *p, double cores)
{
  double n = pinned (p, cores) ? p->cpus_allowed : cores;
  double own, host = host_load (t, p);

  if (isnan (p->utilisation))
    return NAN;
  own = fmin (own_use (t, p, cores) / (n > 0 ? n : 1), 1);
  return isnan (host) ? own : fmax (own, host);
}

/* How many CPUs' worth of P's CPUs others than the layer used. */
static double
others_use (const struct rm_target *t, const struct rm_proc *p, double cores)
{
  double n = pinned (p, cores) ? p->cpus_allowed : cores;
  double host = host_load (t, p);

  return isnan (host) ? 0 : fmax (host * n - own_use (t, p, cores), 0);
}

/* Where the capped requests spend their time: the hop at or below
 * boundary K whose mean latency falls most into the next (the last
 * boundary's own service, below it, when that is larger).
 */
static char *
time_in (const struct rm_target *t, int k)
{
  int n = (int) t->nbounds, best = -1;
  double most = -1;
  bool below_last = false;

  for (int j = k; j < n; j++) {
    double here = mean_latency (&t->bounds[j]);
    double next = j + 1 < n ? mean_latency (&t->bounds[j + 1]) : 0;

    if (isnan (here) || isnan (next))
      continue;
    if (here - next > most) {
      most = here - next;
      best = j;
      below_last = j + 1 == n;
    }
  }
  if (best < 0)
    return NULL;
  if (below_last) {
    const char *name = rm_or_q (t->bounds[best].name);

    return strcmp (name, "plugin") == 0
      ? xasprintf ("the plugin itself (below the innermost probe)")
      : xasprintf ("what lies below the %s boundary (its own service)",
                   name);
  }
  return xasprintf ("%s", rm_or_q (t->bounds[best + 1].via));
}

/* Adds to ALSO each process of T saturated on CPU, but SKIP. */
static void
add_saturated (cJSON *also, const struct rm_target *t, double cores,
               const char *skip)
{
  for (size_t i = 0; i < t->nprocs; i++) {
    const struct rm_proc *p = &t->procs[i];
    const char *role = rm_or_q (p->role);
    double b = cpu_load (t, p, cores);

    /* Sharing saturated CPUs: only a process using a CPU's worth. */
    if (!isnan (b) && b >= SATURATED && (!skip || strcmp (role, skip) != 0) &&
        (pinned (p, cores) || p->utilisation >= 0.5)) {
      cJSON *o = cJSON_CreateObject ();

      cJSON_AddStringToObject (o, "kind", "cpu");
      cJSON_AddStringToObject (o, "process", role);
      cJSON_AddNumberToObject (o, "utilisation", b);
      cJSON_AddItemToArray (also, o);
    }
  }
}

/* What one pass over a layer's boundaries finds: the tightest capacity
 * reached and busy (best), the first reached but not busy (near), the
 * first where concurrency falls at an unknown capacity, the most that
 * wait between two boundaries, and fio's demand.
 */
struct scan {
  const struct rm_boundary *best_bd, *unknown, *near;
  int best;                     /* index of best_bd */
  double near_busy, most_wait, demand;
  double best_cap, best_busy, best_wait, best_max, best_mean, best_cpu;
};

static void
scan_boundaries (const struct rm_target *t, double cores, struct scan *sc)
{
  const struct rm_boundary *prev = NULL;

  *sc = (struct scan) { .best = -1, .demand = NAN, .best_cap = INFINITY,
                        .best_max = NAN, .best_mean = NAN, .best_cpu = NAN };
  for (size_t i = 0; i < t->nbounds; i++) {
    const struct rm_boundary *bd = &t->bounds[i];
    double cap = bd->capacity.max, max = bd->flight_max;
    double mean = bd->flight_mean;
    double above = prev ? rm_concurrency (prev) : NAN;
    double wait = prev ? prev->flight_mean - mean : NAN;

    if (i == 0)
      sc->demand = rm_concurrency (bd);
    if (!isnan (wait) && wait > sc->most_wait)
      sc->most_wait = wait;
    if (prev && isnan (cap) && !isnan (max) && !isnan (above) &&
        max < 0.5 * above && !sc->unknown)
      sc->unknown = bd;
    if (prev && !isnan (cap) && cap > 0 && !isnan (max) && !isnan (mean) &&
        cap < sc->demand && max >= cap - 1e-9 && !isnan (wait) && wait >= 0.5) {
      const struct rm_proc *proc = rm_proc_of (t, bd->capacity.served_by);
      double cb = proc ? cpu_busy (proc, cap, cores) : NAN;
      double busy = fmax (mean / cap, isnan (cb) ? 0 : cb);

      /* A stage with more slots than its process has CPUs, in a process
       * saturated on CPU, is full because its threads wait for a CPU,
       * not for each other: the CPU is named (below), not the slots.
       */
      if (proc && isnan (cb)) {
        double all = cpu_load (t, proc, cores);

        if (!isnan (all) && all >= SATURATED)
          busy = 0;
      }
      if (busy < BUSY && !sc->near) {
        sc->near = bd;
        sc->near_busy = busy;
      }
      /* The tightest cap; at the same cap the outermost (one stage). */
      if (busy >= BUSY && cap < sc->best_cap) {
        sc->best = (int) i;
        sc->best_bd = bd;
        sc->best_cap = cap;
        sc->best_busy = busy;
        sc->best_wait = wait;
        sc->best_max = max;
        sc->best_mean = mean;
        sc->best_cpu = cb;
      }
    }
    prev = bd;
  }
}

/* A capacity reached and busy: its verdict into V, its summary. */
static char *
verdict_capacity (cJSON *v, const struct rm_target *t, const struct scan *sc)
{
  const char *what = rm_or_q (sc->best_bd->capacity.what);
  const char *name = rm_or_q (sc->best_bd->name);
  char *where = time_in (t, sc->best), *text;

  cJSON_AddStringToObject (v, "kind", "capacity");
  cJSON_AddStringToObject (v, "boundary", name);
  cJSON_AddStringToObject (v, "what", what);
  cJSON_AddNumberToObject (v, "capacity", sc->best_cap);
  cJSON_AddNumberToObject (v, "max_in_flight", sc->best_max);
  cJSON_AddNumberToObject (v, "mean_in_flight", sc->best_mean);
  cJSON_AddNumberToObject (v, "waiting_above", sc->best_wait);
  cJSON_AddNumberToObject (v, "busy", sc->best_busy);
  if (!isnan (sc->best_cpu))
    cJSON_AddNumberToObject (v, "cpu_busy", sc->best_cpu);
  cJSON_AddNumberToObject (v, "demand", sc->demand);
  if (where)
    cJSON_AddStringToObject (v, "time_in", where);
  text = xasprintf ("%s: at most %g at once (reached), %.2f in flight on "
                    "average there, %.1f waiting above it of the %g fio "
                    "asks; busy %.0f%%%s%s", what, sc->best_cap, sc->best_mean,
                    sc->best_wait, sc->demand, 100 * sc->best_busy,
                    where ? "; the time is spent in " : "",
                    where ? where : "");
  free (where);
  return text;
}

/* A process saturated on CPU (the one using most of saturated CPUs),
 * else one thread saturated: its verdict into V (others saturated into
 * ALSO), its summary; NULL when neither.
 */
static char *
verdict_cpu (cJSON *v, cJSON *also, const struct rm_target *t, double cores)
{
  const struct rm_proc *top = NULL, *thr_p = NULL;
  double top_b = 0, top_thr = 0;
  const char *thr_name = NULL;
  char *text;

  for (size_t i = 0; i < t->nprocs; i++) {
    const struct rm_proc *p = &t->procs[i];
    double b = cpu_load (t, p, cores), u = p->utilisation;
    double tb = p->busiest_utilisation;

    /* On saturated CPUs, the process that uses most of them. */
    if (!isnan (b) && b >= SATURATED &&
        (top == NULL || u > top->utilisation)) {
      top = p;
      top_b = b;
    }
    if (!isnan (tb) && tb >= SATURATED && tb > top_thr) {
      thr_p = p;
      top_thr = tb;
      thr_name = rm_or_q (p->busiest);
    }
  }
  if (top) {
    const char *role = rm_or_q (top->role);
    double allowed = top->cpus_allowed;
    double others = others_use (t, top, cores);
    char *out;

    cJSON_AddStringToObject (v, "kind", "cpu");
    cJSON_AddStringToObject (v, "process", role);
    cJSON_AddNumberToObject (v, "utilisation", top_b);
    cJSON_AddNumberToObject (v, "cpus", isnan (allowed) ? cores : allowed);
    cJSON_AddBoolToObject (v, "shared", !pinned (top, cores));
    out = others >= 0.25
      ? xasprintf ("; processes outside the layer used %.2f of them",
                   others) : xstrdup ("");
    if (others >= 0.25)
      cJSON_AddNumberToObject (v, "others_cpus", others);
    if (pinned (top, cores))
      text = xasprintf ("%s saturated on CPU: %.0f%% of the %g CPU%s it "
                        "may use%s", role, 100 * top_b, allowed,
                        allowed == 1 ? "" : "s", out);
    else
      text = xasprintf ("the host's CPUs are saturated (%.0f%% of %g, "
                        "shared by the layer's processes), %s using most "
                        "of them: %.2f CPUs%s", 100 * top_b, cores, role,
                        top->utilisation, out);
    free (out);
    add_saturated (also, t, cores, role);
    return text;
  }
  if (thr_p) {
    const char *role = rm_or_q (thr_p->role);

    cJSON_AddStringToObject (v, "kind", "thread");
    cJSON_AddStringToObject (v, "process", role);
    cJSON_AddStringToObject (v, "thread", thr_name);
    cJSON_AddNumberToObject (v, "utilisation", top_thr);
    return xasprintf ("one thread of %s ('%s') saturated: %.0f%% of a CPU, "
                      "while the process as a whole is not", role,
                      thr_name, 100 * top_thr);
  }
  return NULL;
}

/* Requests wait and nothing above explains it: why the verdict cannot
 * decide, into V; NULL when nothing waits that matters.
 */
static char *
verdict_undecided (cJSON *v, const struct rm_target *t, const struct scan *sc)
{
  if (sc->near) {
    const char *name = rm_or_q (sc->near->name);

    cJSON_AddStringToObject (v, "kind", "undecided");
    cJSON_AddStringToObject (v, "boundary", name);
    return xasprintf ("cannot decide: requests wait above %s, whose "
                      "capacity (%s) is reached but which is busy %.0f%% "
                      "of it where it is measured, and no process is "
                      "saturated on CPU: the slots may be held where no "
                      "probe sees", name,
                      rm_or_q (sc->near->capacity.what),
                      100 * sc->near_busy);
  }
  if (sc->unknown || t->nbounds < 2) {
    cJSON_AddStringToObject (v, "kind", "undecided");
    if (sc->unknown) {
      const char *name = rm_or_q (sc->unknown->name);

      cJSON_AddStringToObject (v, "boundary", name);
      return xasprintf ("cannot decide: concurrency falls at %s, whose "
                        "capacity is unknown, and no process is saturated "
                        "on CPU", name);
    }
    return xasprintf ("cannot decide: no boundary inside the layer is "
                      "measured and no process is saturated on CPU");
  }
  if (!isnan (sc->demand) && sc->most_wait >= fmax (1, 0.5 * sc->demand)) {
    cJSON_AddStringToObject (v, "kind", "undecided");
    return xasprintf ("cannot decide: %.1f of the %g requests fio asks "
                      "wait inside the layer, but no stage is at a known "
                      "capacity and busy, and no process is saturated on "
                      "CPU", sc->most_wait, sc->demand);
  }
  return NULL;
}

/* The verdict for target T; see internal.h. */
cJSON *
bottleneck_judge (const struct rm_target *t, double cores)
{
  struct scan sc;
  cJSON *v = cJSON_CreateObject (), *also = cJSON_CreateArray ();
  char *text;

  scan_boundaries (t, cores, &sc);
  if (sc.best_bd) {
    text = verdict_capacity (v, t, &sc);
    add_saturated (also, t, cores, NULL);
  }
  else if ((text = verdict_cpu (v, also, t, cores)) == NULL)
    text = verdict_undecided (v, t, &sc);
  if (text == NULL) {
    cJSON_Delete (v);
    cJSON_Delete (also);
    return cJSON_CreateNull ();
  }
  cJSON_AddStringToObject (v, "summary", text);
  free (text);
  if (cJSON_GetArraySize (also) > 0)
    cJSON_AddItemToObject (v, "also", also);
  else
    cJSON_Delete (also);
  return v;
}
