/* procfs.c: process readings from /proc shared by the collectors. */
#include <ctype.h>
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

/* Adds the context switches of every thread of PID. */
static void
add_ctx (pid_t pid, struct proc_usage *u)
{
  char path[64];
  DIR *d;
  struct dirent *e;

  snprintf (path, sizeof path, "/proc/%d/task", (int) pid);
  if ((d = opendir (path)) == NULL)
    return;
  while ((e = readdir (d))) {
    char sp[320], line[256];
    FILE *f;

    if (!isdigit ((unsigned char) e->d_name[0]))
      continue;
    snprintf (sp, sizeof sp, "/proc/%d/task/%s/status", (int) pid, e->d_name);
    if ((f = fopen (sp, "re")) == NULL)
      continue;
    while (fgets (line, sizeof line, f)) {
      unsigned long long v;

      if (sscanf (line, "voluntary_ctxt_switches: %llu", &v) == 1)
        u->ctx_vol += v;
      else if (sscanf (line, "nonvoluntary_ctxt_switches: %llu", &v) == 1)
        u->ctx_invol += v;
    }
    fclose (f);
  }
  closedir (d);
}

/* PID's usage over its threads (and reaped children); -1 when gone. */
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
  add_ctx (pid, u);
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

/* Samples every thread of PID into T. */
void
procfs_ctx_sample (pid_t pid, struct ctx_track *t, bool first)
{
  char path[64];
  DIR *d;
  struct dirent *e;

  snprintf (path, sizeof path, "/proc/%d/task", (int) pid);
  if ((d = opendir (path)) == NULL)
    return;
  while ((e = readdir (d))) {
    char sp[320], line[256];
    unsigned long long vol = 0, invol = 0, v;
    pid_t tid;
    size_t i;
    FILE *f;

    if (!isdigit ((unsigned char) e->d_name[0]))
      continue;
    tid = (pid_t) atoi (e->d_name);
    snprintf (sp, sizeof sp, "/proc/%d/task/%s/status", (int) pid, e->d_name);
    if ((f = fopen (sp, "re")) == NULL)
      continue;
    while (fgets (line, sizeof line, f)) {
      if (sscanf (line, "voluntary_ctxt_switches: %llu", &v) == 1)
        vol = v;
      else if (sscanf (line, "nonvoluntary_ctxt_switches: %llu", &v) == 1)
        invol = v;
    }
    fclose (f);
    for (i = 0; i < t->n && t->t[i].tid != tid; i++)
      ;
    if (i == t->n) {
      if (t->n == t->cap) {
        struct tid_ctx *n = realloc (t->t, (t->cap = t->cap ? t->cap * 2 : 64)
                                     * sizeof *n);

        if (n == NULL)
          break;
        t->t = n;
      }
      t->t[t->n++] = (struct tid_ctx) {
        .tid = tid, .in_window = first,
        .first_vol = first ? vol : 0, .first_invol = first ? invol : 0,
      };
    }
    t->t[i].last_vol = vol;
    t->t[i].last_invol = invol;
  }
  closedir (d);
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
