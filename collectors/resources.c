/* resources.c: what each server holds while it serves: open file
 * descriptors (and how many are sockets), threads and resident memory,
 * sampled from /proc every tick over the window.  The figures that run
 * out first as connections grow (a descriptor limit, a thread per
 * connection, memory per connection), so a scale sweep shows them
 * growing before a production host meets the limit.  fio is left out:
 * it is the load, not the server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

struct res_sample {
  double fds, sockets, threads, rss_kib;
};

struct res_proc {
  const struct coll_proc *p;
  struct res_sample max, sum, last;
  unsigned samples;
  long fd_limit;                /* its RLIMIT_NOFILE (soft), or -1 */
  long task_limit;              /* the fewer of RLIMIT_NPROC and
                                   kernel.threads-max, or -1 */
};

struct res_state {
  struct res_proc proc[COLL_MAX_PROCS];
  size_t n;
};

/* Threads and VmRSS (KiB) of PID from /proc/PID/status; -1 when gone. */
static int
read_status (pid_t pid, double *threads, double *rss_kib)
{
  char path[64], line[256];
  FILE *f;

  snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
  if ((f = fopen (path, "re")) == NULL)
    return -1;
  while (fgets (line, sizeof line, f)) {
    unsigned long v;

    if (sscanf (line, "Threads: %lu", &v) == 1)
      *threads += (double) v;
    else if (sscanf (line, "VmRSS: %lu", &v) == 1)
      *rss_kib += (double) v;
  }
  fclose (f);
  return 0;
}

/* The soft limits of PID from /proc/PID/limits: open files, and
 * processes (threads count against it; "unlimited": -1); -1 when
 * unknown.
 */
static void
limits (pid_t pid, long *files, long *procs)
{
  char path[64], line[256];
  FILE *f;

  *files = *procs = -1;
  snprintf (path, sizeof path, "/proc/%d/limits", (int) pid);
  if ((f = fopen (path, "re")) == NULL)
    return;
  while (fgets (line, sizeof line, f)) {
    long v;

    if (sscanf (line, "Max open files %ld", &v) == 1)
      *files = v;
    else if (sscanf (line, "Max processes %ld", &v) == 1)
      *procs = v;
  }
  fclose (f);
}

/* The most threads the machine allows (kernel.threads-max), or -1. */
static long
threads_max (void)
{
  FILE *f = fopen ("/proc/sys/kernel/threads-max", "re");
  long v = -1;

  if (f) {
    if (fscanf (f, "%ld", &v) != 1)
      v = -1;
    fclose (f);
  }
  return v;
}

/* One sample of P (with its child processes when it is a tree). */
static int
sample (const struct coll_proc *p, struct res_sample *s)
{
  pid_t members[64];
  size_t n = p->tree ? procfs_group (p->pid, members, 64) : 1;
  int got = 0;

  if (!p->tree)
    members[0] = p->pid;
  memset (s, 0, sizeof *s);
  for (size_t i = 0; i < n; i++)
    if (procfs_fds (members[i], &s->fds, &s->sockets) == 0 &&
        read_status (members[i], &s->threads, &s->rss_kib) == 0)
      got = 1;
  return got ? 0 : -1;
}

static void
take (struct res_state *st)
{
  for (size_t i = 0; i < st->n; i++) {
    struct res_proc *r = &st->proc[i];
    struct res_sample s;

    if (sample (r->p, &s) == -1)
      continue;
#define KEEP(f) do { if (s.f > r->max.f) r->max.f = s.f; r->sum.f += s.f; } while (0)
    KEEP (fds);
    KEEP (sockets);
    KEEP (threads);
    KEEP (rss_kib);
#undef KEEP
    r->last = s;
    r->samples++;
  }
}

static bool
res_wants (const struct coll_ctx *ctx)
{
  for (size_t i = 0; i < ctx->nprocs; i++)
    if (!ctx->procs[i].is_fio)
      return true;
  return false;
}

static void *
res_start (const struct coll_ctx *ctx)
{
  struct res_state *st = xcalloc (1, sizeof *st);

  for (size_t i = 0; i < ctx->nprocs; i++)
    if (!ctx->procs[i].is_fio) {
      st->proc[st->n].p = &ctx->procs[i];
      long procs, tmax = threads_max ();
      struct res_proc *r = &st->proc[st->n];

      limits (ctx->procs[i].pid, &r->fd_limit, &procs);
      r->task_limit = procs > 0 && (tmax <= 0 || procs < tmax) ? procs : tmax;
      st->n++;
    }
  take (st);
  return st;
}

static void
res_tick (void *state, const struct coll_ctx *ctx)
{
  (void) ctx;
  take (state);
}

static int
res_stop (void *state, const struct coll_ctx *ctx, const struct coll_end *end,
          cJSON *out)
{
  struct res_state *st = state;
  cJSON *procs = cJSON_AddArrayToObject (out, "processes");

  (void) ctx;
  (void) end;
  /* fio has exited: the servers still hold what they held (or have
   * closed the connections): the window's samples are the figures.
   */
  for (size_t i = 0; i < st->n; i++) {
    const struct res_proc *r = &st->proc[i];
    cJSON *o;

    if (r->samples == 0)
      continue;
    o = cJSON_CreateObject ();
    cJSON_AddStringToObject (o, "role", r->p->role);
    cJSON_AddNumberToObject (o, "pid", r->p->pid);
    cJSON_AddNumberToObject (o, "samples", r->samples);
    cJSON_AddNumberToObject (o, "fds_max", r->max.fds);
    cJSON_AddNumberToObject (o, "sockets_max", r->max.sockets);
    cJSON_AddNumberToObject (o, "threads_max", r->max.threads);
    cJSON_AddNumberToObject (o, "rss_kib_max", r->max.rss_kib);
    cJSON_AddNumberToObject (o, "fds_mean", r->sum.fds / r->samples);
    cJSON_AddNumberToObject (o, "threads_mean", r->sum.threads / r->samples);
    cJSON_AddNumberToObject (o, "rss_kib_mean", r->sum.rss_kib / r->samples);
    if (r->fd_limit > 0)
      cJSON_AddNumberToObject (o, "fd_limit", (double) r->fd_limit);
    if (r->task_limit > 0)
      cJSON_AddNumberToObject (o, "task_limit", (double) r->task_limit);
    cJSON_AddItemToArray (procs, o);
  }
  free (st);
  return 0;
}

static const char *
res_unavailable (void)
{
  return access ("/proc/self/fd", R_OK) == 0 ? NULL
    : "/proc/PID/fd cannot be read";
}

const struct collector collector_resources = {
  .name = "resources",
  .unavailable = res_unavailable,
  .wants = res_wants,
  .start = res_start,
  .tick = res_tick,
  .stop = res_stop,
};
