/* procfs.c: process readings from /proc shared by the collectors. */
#include <ctype.h>
#include <sched.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* Fields 14-17 (utime stime cutime cstime) and 5 (pgrp) of a stat line,
 * read after the ")" that ends the command name.
 */
static int
read_stat (const char *path, long *ppid, double t[4])
{
  char buf[1024], *p;
  FILE *f = fopen (path, "re");
  long long v[20];
  size_t n;

  if (f == NULL)
    return -1;
  n = fread (buf, 1, sizeof buf - 1, f);
  fclose (f);
  buf[n] = '\0';
  p = strrchr (buf, ')');
  if (p == NULL)
    return -1;
  /* state ppid pgrp session tty tpgid flags minflt cminflt majflt
   * cmajflt utime stime cutime cstime
   */
  if (sscanf (p + 2, "%*c %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld "
              "%lld %lld %lld %lld", &v[0], &v[1], &v[2], &v[3], &v[4],
              &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11], &v[12],
              &v[13]) != 14)
    return -1;
  if (ppid)
    *ppid = (long) v[0];
  if (t) {
    double hz = (double) sysconf (_SC_CLK_TCK);

    for (int i = 0; i < 4; i++)
      t[i] = (double) v[10 + i] / hz;
  }
  return 0;
}

/* What one thread of a process says of itself. */
struct task_reading {
  unsigned long long vol, invol;        /* context switches */
  double cpu_s;                         /* utime + stime */
  char comm[16];                        /* its name (prctl, pthread_setname) */
};

/* Reads thread TID of PID into *R; 0 or -1 when it is gone. */
static int
read_task (pid_t pid, const char *tid, struct task_reading *r)
{
  char sp[320], line[256];
  unsigned long long v;
  double t[4];
  FILE *f;

  memset (r, 0, sizeof *r);
  snprintf (sp, sizeof sp, "/proc/%d/task/%s/status", (int) pid, tid);
  if ((f = fopen (sp, "re")) == NULL)
    return -1;
  while (fgets (line, sizeof line, f)) {
    if (strncmp (line, "Name:\t", 6) == 0)
      snprintf (r->comm, sizeof r->comm, "%.*s",
                (int) strcspn (line + 6, "\n"), line + 6);
    else if (sscanf (line, "voluntary_ctxt_switches: %llu", &v) == 1)
      r->vol = v;
    else if (sscanf (line, "nonvoluntary_ctxt_switches: %llu", &v) == 1)
      r->invol = v;
  }
  fclose (f);
  snprintf (sp, sizeof sp, "/proc/%d/task/%s/stat", (int) pid, tid);
  if (read_stat (sp, NULL, t) == 0)
    r->cpu_s = t[0] + t[1];
  return 0;
}

/* Calls FN for each thread of PID with what it says of itself. */
static void
for_each_task (pid_t pid, void (*fn) (void *, pid_t,
                                      const struct task_reading *), void *arg)
{
  char path[64];
  DIR *d;
  struct dirent *e;

  snprintf (path, sizeof path, "/proc/%d/task", (int) pid);
  if ((d = opendir (path)) == NULL)
    return;
  while ((e = readdir (d))) {
    struct task_reading r;

    if (isdigit ((unsigned char) e->d_name[0]) &&
        read_task (pid, e->d_name, &r) == 0)
      fn (arg, (pid_t) atoi (e->d_name), &r);
  }
  closedir (d);
}

static void
add_one (void *arg, pid_t tid, const struct task_reading *r)
{
  struct proc_usage *u = arg;

  (void) tid;
  u->ctx_vol += r->vol;
  u->ctx_invol += r->invol;
}

/* Adds the context switches of every live thread of PID to U. */
void
procfs_add_ctx (pid_t pid, struct proc_usage *u)
{
  for_each_task (pid, add_one, u);
}

/* PID's CPU time over its threads (and reaped children); -1 when gone. */
int
procfs_usage (pid_t pid, bool with_children, struct proc_usage *u)
{
  char path[64];
  double t[4];

  memset (u, 0, sizeof *u);
  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  if (read_stat (path, NULL, t) == -1)
    return -1;
  u->user_s = t[0] + (with_children ? t[2] : 0);
  u->sys_s = t[1] + (with_children ? t[3] : 0);
  return 0;
}

/* PID and its child processes (fio's jobs: fio puts each in a session
 * of its own, so its process group would miss them).
 */
size_t
procfs_group (pid_t pid, pid_t *out, size_t max)
{
  DIR *d = opendir ("/proc");
  struct dirent *e;
  size_t n = 0;

  if (d == NULL || max == 0)
    return 0;
  out[n++] = pid;
  while ((e = readdir (d)) && n < max) {
    char path[300];
    long ppid;

    if (!isdigit ((unsigned char) e->d_name[0]))
      continue;
    snprintf (path, sizeof path, "/proc/%s/stat", e->d_name);
    if (read_stat (path, &ppid, NULL) == 0 && ppid == (long) pid)
      out[n++] = (pid_t) atoi (e->d_name);
  }
  closedir (d);
  return n;
}

struct sample_arg {
  struct ctx_track *t;
  bool first;
};

static void
track_one (void *arg, pid_t tid, const struct task_reading *r)
{
  struct sample_arg *sa = arg;
  struct ctx_track *t = sa->t;
  size_t i;

  for (i = 0; i < t->n && t->t[i].tid != tid; i++)
    ;
  if (i == t->n) {
    if (t->n == t->cap) {
      struct tid_ctx *n = xrealloc (t->t, (t->cap ? t->cap * 2 : 64) * sizeof *n);

      if (n == NULL)
        return;
      t->t = n;
      t->cap = t->cap ? t->cap * 2 : 64;
    }
    t->t[t->n++] = (struct tid_ctx) {
      .tid = tid, .in_window = sa->first,
      .first_vol = sa->first ? r->vol : 0,
      .first_invol = sa->first ? r->invol : 0,
      .first_cpu = sa->first ? r->cpu_s : 0,
    };
  }
  t->t[i].last_vol = r->vol;
  t->t[i].last_invol = r->invol;
  t->t[i].last_cpu = r->cpu_s;
  memcpy (t->t[i].comm, r->comm, sizeof r->comm);
}

/* Samples every thread of PID into T. */
void
procfs_ctx_sample (pid_t pid, struct ctx_track *t, bool first)
{
  struct sample_arg sa = { t, first };

  for_each_task (pid, track_one, &sa);
}

/* Switches during the window. */
void
procfs_ctx_total (const struct ctx_track *t, uint64_t *vol, uint64_t *invol)
{
  *vol = *invol = 0;
  for (size_t i = 0; i < t->n; i++) {
    *vol += t->t[i].last_vol - t->t[i].first_vol;
    *invol += t->t[i].last_invol - t->t[i].first_invol;
  }
}

/* The busiest thread over the window; see internal.h. */
const struct tid_ctx *
procfs_busiest (const struct ctx_track *t, double *cpu_s)
{
  const struct tid_ctx *best = NULL;

  *cpu_s = 0;
  for (size_t i = 0; i < t->n; i++) {
    double c = t->t[i].last_cpu - t->t[i].first_cpu;

    if (best == NULL || c > *cpu_s) {
      best = &t->t[i];
      *cpu_s = c;
    }
  }
  return best;
}

/* Reads /proc/stat's per-CPU lines into C; see internal.h. */
int
procfs_host_cpu (struct host_cpu *c)
{
  char line[512];
  FILE *f = fopen ("/proc/stat", "re");

  memset (c, 0, sizeof *c);
  if (f == NULL)
    return -1;
  while (fgets (line, sizeof line, f)) {
    unsigned long long v[8] = { 0 };
    unsigned cpu;

    if (strncmp (line, "cpu", 3) != 0 || !isdigit ((unsigned char) line[3]))
      continue;
    if (sscanf (line + 3, "%u %llu %llu %llu %llu %llu %llu %llu %llu", &cpu,
                &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 5 ||
        cpu >= HOST_MAX_CPUS)
      continue;
    /* user nice system idle iowait irq softirq steal */
    c->idle[cpu] = v[3] + v[4];
    c->total[cpu] = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
    if (cpu + 1 > c->n)
      c->n = cpu + 1;
  }
  fclose (f);
  return c->n ? 0 : -1;
}

/* The CPUs PID may run on as a set; 0 or -1. */
int
procfs_affinity (pid_t pid, cpu_set_t *set)
{
  return sched_getaffinity (pid, sizeof *set, set);
}

/* The CPUs PID may run on; 0 when it cannot be read. */
unsigned
procfs_cpus_allowed (pid_t pid)
{
  cpu_set_t set;

  if (sched_getaffinity (pid, sizeof set, &set) == -1)
    return 0;
  return (unsigned) CPU_COUNT (&set);
}

/* Open descriptors of PID and how many are sockets; -1 when gone. */
int
procfs_fds (pid_t pid, double *fds, double *sockets)
{
  char path[64], link[64];
  DIR *d;
  struct dirent *e;

  snprintf (path, sizeof path, "/proc/%d/fd", (int) pid);
  if ((d = opendir (path)) == NULL)
    return -1;
  while ((e = readdir (d))) {
    ssize_t n;

    if (e->d_name[0] == '.')
      continue;
    *fds += 1;
    n = readlinkat (dirfd (d), e->d_name, link, sizeof link - 1);
    if (n > 0 && n >= 7 && strncmp (link, "socket:", 7) == 0)
      *sockets += 1;
  }
  closedir (d);
  return 0;
}
