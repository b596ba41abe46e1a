/* cgroup.c: a cgroup per server the runner starts, so that the CPU it
 * is billed includes every process it starts (nbdkit's sh plugin forks
 * a shell per request; a plugin may start a daemon), and so that none of
 * them outlives the run (a child that starts a session of its own
 * leaves the server's process group, never its cgroup).
 *
 * Made under the runner's own cgroup, so whatever limits it runs under
 * hold for its servers: in cgroup v2 when that is the only hierarchy
 * (its cpu.stat counts CPU without any controller), else in cgroup v1's
 * cpuacct hierarchy (as on Debian 12 machines booted with v1).  A run's
 * cgroups sit in viperbench.PID; a runner killed with SIGKILL leaves
 * its own, which the next run removes (cgroup_sweep).  Where neither
 * hierarchy can be written (not root, not mounted) nothing is made and
 * the collectors read /proc as before.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define V2_ROOT "/sys/fs/cgroup"
#define V1_ROOT "/sys/fs/cgroup/cpuacct"

/* The runner's own cgroup directory in the hierarchy cgroups are made
 * in, into BUF; true when there is one it may write.  *V2 says which.
 */
static bool
own_dir (char *buf, size_t n, bool *v2)
{
  char line[512];
  FILE *f = fopen ("/proc/self/cgroup", "re");
  bool found = false;

  if (f == NULL)
    return false;
  *v2 = access (V2_ROOT "/cgroup.controllers", F_OK) == 0;
  while (!found && fgets (line, sizeof line, f)) {
    char *ctl = strchr (line, ':'), *path;

    if (ctl == NULL || (path = strchr (ctl + 1, ':')) == NULL)
      continue;
    *path++ = '\0';
    path[strcspn (path, "\n")] = '\0';
    ctl++;
    if (*v2 ? strcmp (line, "0") == 0 && *ctl == '\0'
        : strstr (ctl, "cpuacct") != NULL) {
      snprintf (buf, n, "%s%s", *v2 ? V2_ROOT : V1_ROOT,
                strcmp (path, "/") == 0 ? "" : path);
      found = true;
    }
  }
  fclose (f);
  return found && access (buf, W_OK) == 0;
}

/* Writes TEXT to DIR/FILE; 0 or -1. */
static int
write_to (const char *dir, const char *file, const char *text)
{
  char path[CGROUP_PATH + 32];
  int fd, r;

  snprintf (path, sizeof path, "%s/%s", dir, file);
  if ((fd = open (path, O_WRONLY | O_CLOEXEC)) == -1)
    return -1;
  r = write (fd, text, strlen (text)) == (ssize_t) strlen (text) ? 0 : -1;
  close (fd);
  return r;
}

/* Makes a cgroup NAME for one server; see internal.h. */
int
cgroup_make (const char *name, struct cgroup *cg)
{
  char own[CGROUP_PATH - 64], run[CGROUP_PATH];
  bool v2;

  memset (cg, 0, sizeof *cg);
  if (!own_dir (own, sizeof own, &v2))
    return -1;
  snprintf (run, sizeof run, "%s/viperbench.%d", own, (int) getpid ());
  if (mkdir (run, 0755) == -1 && errno != EEXIST)
    return -1;
  if ((size_t) snprintf (cg->dir, sizeof cg->dir, "%s/%s", run, name) >=
      sizeof cg->dir)
    return -1;
  if (mkdir (cg->dir, 0755) == -1 && errno != EEXIST) {
    cg->dir[0] = '\0';
    return -1;
  }
  cg->v2 = v2;
  return 0;
}

/* Moves the calling process into CG: async-signal-safe, for a child
 * between fork and exec; 0 or -1.
 */
int
cgroup_join_self (const struct cgroup *cg)
{
  return cg->dir[0] ? write_to (cg->dir, "cgroup.procs", "0") : -1;
}

/* True when PID is a member of CG. */
bool
cgroup_has (const struct cgroup *cg, pid_t pid)
{
  char path[CGROUP_PATH + 32], line[32];
  bool r = false;
  FILE *f;

  if (cg == NULL || !cg->dir[0])
    return false;
  snprintf (path, sizeof path, "%s/cgroup.procs", cg->dir);
  if ((f = fopen (path, "re")) == NULL)
    return false;
  while (!r && fgets (line, sizeof line, f))
    r = atol (line) == (long) pid;
  fclose (f);
  return r;
}

/* CG's CPU time so far, user and system, in seconds; 0 or -1. */
int
cgroup_cpu (const struct cgroup *cg, double *user_s, double *sys_s)
{
  char path[CGROUP_PATH + 32], key[64];
  double hz = (double) sysconf (_SC_CLK_TCK), v;
  bool u = false, s = false;
  FILE *f;

  if (cg == NULL || !cg->dir[0])
    return -1;
  snprintf (path, sizeof path, "%s/%s", cg->dir,
            cg->v2 ? "cpu.stat" : "cpuacct.stat");
  if ((f = fopen (path, "re")) == NULL)
    return -1;
  while (fscanf (f, "%63s %lf", key, &v) == 2) {
    /* v2: microseconds; v1: USER_HZ ticks. */
    if (strcmp (key, cg->v2 ? "user_usec" : "user") == 0) {
      *user_s = cg->v2 ? v / 1e6 : v / hz;
      u = true;
    }
    else if (strcmp (key, cg->v2 ? "system_usec" : "system") == 0) {
      *sys_s = cg->v2 ? v / 1e6 : v / hz;
      s = true;
    }
  }
  fclose (f);
  return u && s ? 0 : -1;
}

/* SIGKILLs every member of the cgroup directory DIR until it is empty
 * (at most a second), then removes it; 0, or -1 when it stays.
 */
static int
empty_and_remove (const char *dir)
{
  char path[CGROUP_PATH + 32], line[32];

  snprintf (path, sizeof path, "%s/cgroup.procs", dir);
  for (int tries = 0; tries < 50; tries++) {
    FILE *f = fopen (path, "re");
    bool any = false;

    if (f == NULL)
      break;
    while (fgets (line, sizeof line, f)) {
      long pid = atol (line);

      if (pid > 0) {
        kill ((pid_t) pid, SIGKILL);
        any = true;
      }
    }
    fclose (f);
    if (!any)
      break;
    usleep (20000);
  }
  return rmdir (dir) == -1 && errno != ENOENT ? -1 : 0;
}

/* Kills what is left in CG and removes it; see internal.h. */
void
cgroup_remove (struct cgroup *cg)
{
  char run[CGROUP_PATH], *slash;

  if (!cg->dir[0])
    return;
  if (empty_and_remove (cg->dir) == -1)
    vb_warn ("cgroup %s: not removed: %m", cg->dir);
  /* The run's directory goes with its last cgroup (EBUSY before). */
  snprintf (run, sizeof run, "%s", cg->dir);
  if ((slash = strrchr (run, '/')))
    *slash = '\0';
  rmdir (run);
  cg->dir[0] = '\0';
}

/* Removes the cgroups of runners that are gone; see internal.h. */
void
cgroup_sweep (void)
{
  char own[CGROUP_PATH - 64];
  struct dirent *e;
  bool v2;
  DIR *d;

  if (!own_dir (own, sizeof own, &v2) || (d = opendir (own)) == NULL)
    return;
  while ((e = readdir (d))) {
    char run[CGROUP_PATH];
    struct dirent *c;
    long pid;
    DIR *rd;

    if (strncmp (e->d_name, "viperbench.", 11) != 0 ||
        !isdigit ((unsigned char) e->d_name[11]))
      continue;
    pid = atol (e->d_name + 11);
    if (pid == (long) getpid () || kill ((pid_t) pid, 0) == 0 ||
        errno != ESRCH)
      continue;
    if ((size_t) snprintf (run, sizeof run, "%s/%s", own, e->d_name) >=
        sizeof run || (rd = opendir (run)) == NULL)
      continue;
    while ((c = readdir (rd))) {
      char sub[CGROUP_PATH + 256];
      struct stat sb;

      if (c->d_name[0] == '.')
        continue;
      snprintf (sub, sizeof sub, "%s/%s", run, c->d_name);
      if (stat (sub, &sb) == 0 && S_ISDIR (sb.st_mode))
        empty_and_remove (sub);
    }
    closedir (rd);
    rmdir (run);
  }
  closedir (d);
}
