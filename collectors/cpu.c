/* cpu.c: the CPU bill.  User and system CPU seconds and context switches
 * per process over the measured window, and per I/O ("nbdkit spends 41 us
 * of CPU per I/O": over the I/Os fio did in that window, coll_end).
 *
 * Servers are read from /proc at the start and end of the window (a
 * service with its worker processes, as nginx's, summed over them).  fio
 * is read at the start over the main process and its job processes, and at the end from the rusage its exit
 * reported, which includes the jobs it reaped: the difference is the
 * window's.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define MAX_MEMBERS 64

struct cpu_state {
  struct proc_usage start[COLL_MAX_PROCS];
  bool ok[COLL_MAX_PROCS];
  struct ctx_track ctx[COLL_MAX_PROCS];   /* servers' threads */
  /* A server and, when it counts them (coll_proc.tree), its child
   * processes as they were at the window's start.
   */
  pid_t member[COLL_MAX_PROCS][MAX_MEMBERS];
  size_t nmember[COLL_MAX_PROCS];
  unsigned cpus[COLL_MAX_PROCS];        /* CPUs it may use, at the start */
  cpu_set_t set[COLL_MAX_PROCS];        /* which, at the start */
  bool have_set[COLL_MAX_PROCS];
  struct host_cpu host;                 /* /proc/stat at the start */
  bool have_host;
  /* Billed from its cgroup (it and everything it starts, reaped or not,
   * within the run's session or outside it) rather than /proc.
   */
  bool cg[COLL_MAX_PROCS];
};

static const char *
cpu_unavailable (void)
{
  return access ("/proc/self/stat", R_OK) == 0 ? NULL
    : "/proc is not mounted: mount it to bill CPU per process";
}

/* Samples the context switches of server I's threads. */
static void
server_ctx (struct cpu_state *s, size_t i, bool first)
{
  for (size_t k = 0; k < s->nmember[i]; k++)
    procfs_ctx_sample (s->member[i][k], &s->ctx[i], first);
}

/* Server I's CPU time, summed over its members and the children they
 * have reaped (nbdkit's sh plugin forks a shell per request: its CPU is
 * the children's), into *U (and a sample of their threads); 0, or -1
 * when it is gone.
 */
static int
server_usage (struct cpu_state *s, size_t i, struct proc_usage *u, bool first)
{
  if (procfs_usage (s->member[i][0], true, u) == -1)
    return -1;
  for (size_t k = 1; k < s->nmember[i]; k++) {
    struct proc_usage w;

    if (procfs_usage (s->member[i][k], true, &w) == 0) {
      u->user_s += w.user_s;
      u->sys_s += w.sys_s;
    }
  }
  server_ctx (s, i, first);
  return 0;
}

static void *
cpu_start (const struct coll_ctx *ctx)
{
  struct cpu_state *s = xcalloc (1, sizeof *s);

  if (s == NULL)
    return NULL;
  s->have_host = procfs_host_cpu (&s->host) == 0;
  for (size_t i = 0; i < ctx->nprocs; i++) {
    const struct coll_proc *p = &ctx->procs[i];

    s->cpus[i] = procfs_cpus_allowed (p->pid);
    s->have_set[i] = procfs_affinity (p->pid, &s->set[i]) == 0;
    if (p->is_fio) {
      pid_t members[256];
      size_t n = procfs_group (p->pid, members, 256);

      /* The leader with the jobs it has reaped, and each live job. */
      s->ok[i] = procfs_usage (p->pid, true, &s->start[i]) == 0;
      procfs_add_ctx (p->pid, &s->start[i]);
      s->nmember[i] = n < MAX_MEMBERS ? n : MAX_MEMBERS;
      memcpy (s->member[i], members, s->nmember[i] * sizeof *members);
      server_ctx (s, i, true);
      for (size_t k = 0; k < n; k++) {
        struct proc_usage u;

        if (members[k] != p->pid && procfs_usage (members[k], false, &u) == 0) {
          procfs_add_ctx (members[k], &u);
          s->start[i].user_s += u.user_s;
          s->start[i].sys_s += u.sys_s;
          s->start[i].ctx_vol += u.ctx_vol;
          s->start[i].ctx_invol += u.ctx_invol;
        }
      }
    }
    else {
      s->nmember[i] = p->tree ? procfs_group (p->pid, s->member[i], MAX_MEMBERS)
        : 0;
      if (s->nmember[i] == 0)
        s->member[i][s->nmember[i]++] = p->pid;
      s->ok[i] = server_usage (s, i, &s->start[i], true) == 0;
      if (s->ok[i] && cgroup_has (p->cg, p->pid) &&
          cgroup_cpu (p->cg, &s->start[i].user_s, &s->start[i].sys_s) == 0)
        s->cg[i] = true;
    }
  }
  return s;
}

/* Threads come and go with connections: sample them often (fio's too,
 * for its busiest thread: it has exited by the window's end).
 */
static void
cpu_tick (void *state, const struct coll_ctx *ctx)
{
  struct cpu_state *s = state;

  for (size_t i = 0; i < ctx->nprocs; i++)
    if (s->ok[i])
      server_ctx (s, i, false);
}

/* The process's "threads": how many ran in the window, and the busiest
 * one's name and share of a CPU (a single-threaded loop, a serialized
 * stage, shows there when the process's total does not).  And the CPUs
 * it may run on, which its "cpu_utilisation" is bounded by.
 */
static void
add_threads (cJSON *o, const struct ctx_track *t, unsigned cpus,
             double window_s)
{
  const struct tid_ctx *b;
  double busy;
  cJSON *th;

  if (cpus)
    cJSON_AddNumberToObject (o, "cpus_allowed", cpus);
  if ((b = procfs_busiest (t, &busy)) == NULL || !(window_s > 0))
    return;
  th = cJSON_AddObjectToObject (o, "threads");
  cJSON_AddNumberToObject (th, "count", (double) t->n);
  cJSON_AddStringToObject (th, "busiest", b->comm);
  cJSON_AddNumberToObject (th, "busiest_utilisation", busy / window_s);
}

static double
tv (struct timeval t)
{
  return (double) t.tv_sec + t.tv_usec / 1e6;
}

/* The host's "host_busy": each CPU's busy share over the window (by
 * anyone: the layer's processes, the runner, other tenants), from
 * /proc/stat; what the verdict sets the layer's own use against.
 */
static void
add_host (cJSON *out, const struct cpu_state *s)
{
  struct host_cpu e;
  cJSON *a;

  if (!s->have_host || procfs_host_cpu (&e) == -1)
    return;
  a = cJSON_AddArrayToObject (out, "host_busy");
  for (unsigned c = 0; c < e.n && c < s->host.n; c++) {
    double total = (double) (e.total[c] - s->host.total[c]);
    double idle = (double) (e.idle[c] - s->host.idle[c]);

    cJSON_AddItemToArray (a, total > 0 ? cJSON_CreateNumber (1 - idle / total)
                          : cJSON_CreateNull ());
  }
}

static int
cpu_stop (void *state, const struct coll_ctx *ctx, const struct coll_end *end,
          cJSON *out)
{
  struct cpu_state *s = state;
  cJSON *procs = cJSON_AddArrayToObject (out, "processes");

  for (size_t i = 0; i < ctx->nprocs; i++) {
    const struct coll_proc *p = &ctx->procs[i];
    struct proc_usage e;
    cJSON *o;
    double cpu;
    uint64_t ctx_total;

    if (!s->ok[i])
      continue;
    if (p->is_fio) {
      e.user_s = tv (end->fio_rusage.ru_utime);
      e.sys_s = tv (end->fio_rusage.ru_stime);
      e.ctx_vol = (uint64_t) end->fio_rusage.ru_nvcsw;
      e.ctx_invol = (uint64_t) end->fio_rusage.ru_nivcsw;
    }
    else {
      if (server_usage (s, i, &e, false) == -1)
        continue;               /* it died during the window */
      if (s->cg[i] && cgroup_cpu (p->cg, &e.user_s, &e.sys_s) == -1)
        continue;
      /* Already the window's: counted per thread from its start. */
      procfs_ctx_total (&s->ctx[i], &e.ctx_vol, &e.ctx_invol);
    }
    o = cJSON_CreateObject ();
    cJSON_AddStringToObject (o, "role", p->role);
    cJSON_AddNumberToObject (o, "pid", p->pid);
    /* Where its CPU was read: its cgroup (all it started, reaped or
     * not), or /proc (it, its threads and the children it reaped).
     */
    cJSON_AddStringToObject (o, "billed", p->is_fio ? "rusage"
                             : s->cg[i] ? "cgroup" : "proc");
    cJSON_AddNumberToObject (o, "user_s", e.user_s - s->start[i].user_s);
    cJSON_AddNumberToObject (o, "sys_s", e.sys_s - s->start[i].sys_s);
    cpu = (e.user_s - s->start[i].user_s) + (e.sys_s - s->start[i].sys_s);
    cJSON_AddNumberToObject (o, "cpu_s", cpu);
    ctx_total = (e.ctx_vol - s->start[i].ctx_vol) +
                (e.ctx_invol - s->start[i].ctx_invol);
    cJSON_AddNumberToObject (o, "ctx_voluntary",
                             (double) (e.ctx_vol - s->start[i].ctx_vol));
    cJSON_AddNumberToObject (o, "ctx_involuntary",
                             (double) (e.ctx_invol - s->start[i].ctx_invol));
    if (end->ios) {
      cJSON_AddNumberToObject (o, "cpu_us_per_io", cpu * 1e6 / (double) end->ios);
      cJSON_AddNumberToObject (o, "ctx_per_io",
                               (double) ctx_total / (double) end->ios);
    }
    if (end->window_s > 0)
      cJSON_AddNumberToObject (o, "cpu_utilisation", cpu / end->window_s);
    add_threads (o, &s->ctx[i], s->cpus[i], end->window_s);
    if (s->have_set[i]) {
      cJSON *l = cJSON_AddArrayToObject (o, "cpu_list");

      for (int c = 0; c < CPU_SETSIZE && c < HOST_MAX_CPUS; c++)
        if (CPU_ISSET (c, &s->set[i]))
          cJSON_AddItemToArray (l, cJSON_CreateNumber (c));
    }
    cJSON_AddItemToArray (procs, o);
  }
  add_host (out, s);
  cJSON_AddNumberToObject (out, "window_s", end->window_s);
  cJSON_AddNumberToObject (out, "ios", (double) end->ios);
  for (size_t i = 0; i < COLL_MAX_PROCS; i++)
    free (s->ctx[i].t);
  free (s);
  return 0;
}

const struct collector collector_cpu = {
  .name = "cpu",
  .unavailable = cpu_unavailable,
  .start = cpu_start,
  .tick = cpu_tick,
  .stop = cpu_stop,
};
