/* common.c: what several collectors share: running perf, and the list of
 * pids a collector should watch (fio with its job processes).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

/* "pid,pid,..." of P: fio and its job processes, or the server. */
char *
coll_pid_list (const struct coll_proc *p)
{
  pid_t members[256];
  size_t n = 0;
  char *buf = NULL;
  size_t len = 0;
  FILE *f;

  if (p->is_fio || p->tree)
    n = procfs_group (p->pid, members, 256);
  if (n == 0) {
    members[0] = p->pid;
    n = 1;
  }
  f = xopen_memstream (&buf, &len);
  for (size_t i = 0; i < n; i++)
    fprintf (f, "%s%d", i ? "," : "", (int) members[i]);
  xclose_memstream (f);
  return buf;
}

/* Why perf cannot be used here, or NULL.  Asked once per process: the
 * counters and perf collectors both depend on it.
 */
const char *
coll_perf_unavailable (void)
{
  static const char *const argv[] = {
    "perf", "stat", "-e", "task-clock", "-x", ",", "true", NULL,
  };
  static bool asked;
  static const char *why;

  if (asked)
    return why;
  asked = true;
  if (!have_program ("perf"))
    why = "perf is not installed (Debian package linux-perf: "
          "apt-get install linux-perf)";
  else if (proc_run (argv, 20, NULL, NULL) != 0)
    why = "perf cannot open events here (run as root, or lower "
          "/proc/sys/kernel/perf_event_paranoid to 1 or less)";
  return why;
}

/* Stops a perf started by proc_spawn: SIGINT makes it write its output.
 * *CPU_S (may be NULL) gets the CPU seconds perf itself used.
 */
int
coll_perf_stop (pid_t pid, double *cpu_s)
{
  struct rusage ru;
  int status;

  if (pid <= 0)
    return -1;
  kill (pid, SIGINT);
  if (proc_wait_rusage (pid, 60, &status, &ru) != 0) {
    proc_kill (pid, 2);
    return -1;
  }
  if (cpu_s)
    *cpu_s = (double) ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
             (double) ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  return 0;
}
