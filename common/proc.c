/* proc.c: child processes of the runner.  Everything is started from an
 * argument array (never a shell), with PR_SET_PDEATHSIG so that a runner
 * killed even by SIGKILL leaves no server or fio behind, and waited for
 * with a bound.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

volatile sig_atomic_t stop_requested;

static void
on_signal (int sig)
{
  stop_requested = sig;
}

void
proc_install_signals (void)
{
  struct sigaction sa;

  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGHUP, &sa, NULL);
  signal (SIGPIPE, SIG_IGN);
}

static void
sleep_ms (int ms)
{
  struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

  nanosleep (&ts, NULL);
}

/* In the child: makes FD the file at PATH (or /dev/null). */
static void
redirect (int fd, const char *path, int flags)
{
  int f = open (path ? path : "/dev/null", flags, 0644);

  if (f == -1) {
    dprintf (2, "viperbench: open %s: %s\n", path, strerror (errno));
    _exit (126);
  }
  if (f != fd) {
    dup2 (f, fd);
    close (f);
  }
}

/* Moves the calling thread into the network namespace of PID; 0 or -1
 * (errno set).
 */
int
netns_join (pid_t pid)
{
  char path[64];
  int fd, r;

  snprintf (path, sizeof path, "/proc/%d/ns/net", (int) pid);
  if ((fd = open (path, O_RDONLY | O_CLOEXEC)) == -1)
    return -1;
  r = setns (fd, CLONE_NEWNET);
  close (fd);
  return r;
}

/* The log pump: a child's stdout and stderr go, in order, into one pipe
 * read by a logger process of the runner's, which writes them to the
 * log through the scrubber and stops writing at the cap (draining the
 * rest, so that the child never blocks).  One logger per log; each is
 * reaped with its child (proc_log_done).
 */
struct logger {
  pid_t child, pid;
  char *path;
};
static struct logger *loggers;
static size_t nloggers;
static uint64_t log_max = LOG_MAX_DEFAULT;

void
proc_set_log_max (uint64_t bytes)
{
  log_max = bytes;
}
/* write(2) all of BUF to FD; 0, or -1 with errno. */
static int
write_all (int fd, const char *buf, size_t n)
{
  while (n > 0) {
    ssize_t r = write (fd, buf, n);

    if (r == -1) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    buf += r;
    n -= (size_t) r;
  }
  return 0;
}

/* The logger's body: FD 0 the pipe, 1 the log.  Exits 0, 3 when it cut
 * the log, 4 on a write error (said on stderr).
 */
static void
logger_main (const char *path, uint64_t cap)
{
  char buf[65536];
  char *pending = NULL;
  size_t npending = 0;
  uint64_t kept = 0, dropped = 0;
  bool cut = false, failed = false, eof = false;
  int werr = 0;

  while (!eof) {
    ssize_t r = read (0, buf, sizeof buf);
    char *out;
    size_t outlen, used;

    if (r == -1) {
      if (errno == EINTR)
        continue;
      r = 0;
    }
    if (r == 0)
      eof = true;
    if (cut || failed) {
      dropped += (uint64_t) r;
      continue;
    }
    pending = xrealloc (pending, npending + (size_t) r + 1);
    memcpy (pending + npending, buf, (size_t) r);
    npending += (size_t) r;
    used = scrub_chunk (pending, npending, eof, &out, &outlen);
    memmove (pending, pending + used, npending - used);
    npending -= used;
    if (kept + outlen > cap) {
      char note[160];
      size_t room = (size_t) (cap - kept);
      int n;

      dropped += outlen - room;
      outlen = room;
      cut = true;
      n = snprintf (note, sizeof note,
                    "\n[viperbench: log cut at %llu bytes]\n",
                    (unsigned long long) cap);
      if (write_all (1, out, outlen) == -1 ||
          write_all (1, note, (size_t) n) == -1)
        failed = true;
      kept += outlen;
    }
    else if (write_all (1, out, outlen) == -1)
      failed = true;
    else
      kept += outlen;
    if (failed) {
      werr = errno;
      dprintf (2, "viperbench: writing %s: %s\n", path, strerror (werr));
    }
    free (out);
  }
  if (cut && !failed) {
    char note[160];
    int n = snprintf (note, sizeof note,
                      "[viperbench: %llu bytes after the cut dropped]\n",
                      (unsigned long long) dropped);

    if (write_all (1, note, (size_t) n) == -1)
      werr = errno, failed = true;
  }
  if (!failed && fsync (1) == -1 && errno != EINVAL)
    werr = errno, failed = true;
  if (!failed && close (1) == -1)
    werr = errno, failed = true;
  if (failed) {
    dprintf (2, "viperbench: writing %s: %s\n", path, strerror (werr));
    /* The cause in the status: 100 + errno. */
    _exit (werr > 0 && werr < 150 ? 100 + werr : 100);
  }
  _exit (cut ? 3 : 0);
}

cJSON *
log_cut_json (const char *path)
{
  char buf[256];
  unsigned long long at = 0, dropped = 0;
  int fd = path ? open (path, O_RDONLY | O_CLOEXEC) : -1;
  off_t end;
  ssize_t n;
  const char *p;

  if (fd == -1)
    return NULL;
  end = lseek (fd, 0, SEEK_END);
  n = pread (fd, buf, sizeof buf - 1, end > (off_t) sizeof buf - 1
             ? end - (off_t) (sizeof buf - 1) : 0);
  close (fd);
  if (n <= 0)
    return NULL;
  buf[n] = '\0';
  if ((p = strstr (buf, "[viperbench: log cut at ")) == NULL ||
      sscanf (p, "[viperbench: log cut at %llu bytes]\n[viperbench: %llu",
              &at, &dropped) < 1)
    return NULL;
  {
    cJSON *o = cJSON_CreateObject ();

    cJSON_AddNumberToObject (o, "at_bytes", (double) at);
    /* Known once the log has ended. */
    if (strstr (p, "bytes after the cut dropped]"))
      cJSON_AddNumberToObject (o, "dropped_bytes", (double) dropped);
    return o;
  }
}

/* Starts a logger writing to PATH; the pipe's write end in *WFD (close
 * on exec), or -1 with a message.
 */
static int
logger_start (const char *path, uint64_t cap, int *wfd)
{
  int p[2], f;
  pid_t pid;

  if ((f = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC |
                 O_NOFOLLOW, 0644)) == -1) {
    vb_msg ("%s: %s", path, strerror (errno));
    note_write_error (path, errno);
    return -1;
  }
  if (pipe2 (p, O_CLOEXEC) == -1) {
    vb_msg ("pipe: %s", strerror (errno));
    close (f);
    return -1;
  }
  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  if (pid == -1) {
    vb_msg ("fork: %s", strerror (errno));
    close (f);
    close (p[0]);
    close (p[1]);
    return -1;
  }
  if (pid == 0) {
    /* Killed with the runner (what is in the pipe then is lost); a name
     * of its own, so that it is not taken for the runner.
     */
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    prctl (PR_SET_NAME, "viperbench-log");
    signal (SIGINT, SIG_IGN);
    signal (SIGTERM, SIG_DFL);
    signal (SIGHUP, SIG_IGN);
    dup2 (p[0], 0);
    dup2 (f, 1);
    /* Nothing else of the runner's: a pipe's write end kept here would
     * keep its logger from ever seeing the end.
     */
    close_range (3, ~0U, 0);
    logger_main (path, cap ? cap : log_max);
  }
  close (f);
  close (p[0]);
  loggers = xreallocarray (loggers, nloggers + 1, sizeof *loggers);
  loggers[nloggers].child = 0;
  loggers[nloggers].pid = pid;
  loggers[nloggers].path = xstrdup (path);
  nloggers++;
  *wfd = p[1];
  return 0;
}

/* Reaps a logger (within TIMEOUT s, then killed): its exit noted. */
static void
logger_reap (size_t i, double timeout)
{
  struct logger *lg = &loggers[i];
  double end = mono_now () + timeout;
  int status = 0;

  for (;;) {
    pid_t r = waitpid (lg->pid, &status, WNOHANG);

    if (r == lg->pid || (r == -1 && errno != EINTR))
      break;
    if (mono_now () > end) {
      /* Something the child started keeps the pipe open. */
      kill (lg->pid, SIGKILL);
      waitpid (lg->pid, &status, 0);
      break;
    }
    sleep_ms (5);
  }
  if (WIFEXITED (status) && WEXITSTATUS (status) >= 100)
    note_write_error (lg->path, WEXITSTATUS (status) > 100
                           ? WEXITSTATUS (status) - 100 : EIO);
  free (lg->path);
  loggers[i] = loggers[--nloggers];
}

void
proc_log_done (pid_t child, double timeout)
{
  bool killed = false;

  /* Every log it writes (logger_reap moves the last into I). */
  for (size_t i = 0; i < nloggers;)
    if (loggers[i].child == child) {
      /* The child is gone: so is the group it led. */
      if (!killed)
        kill (-child, SIGKILL);
      killed = true;
      logger_reap (i, timeout);
    }
    else
      i++;
}

/* The run's mark: in the runner's environment, so in that of everything
 * it starts and everything they start, a daemon in a session of its own
 * included (as Jenkins finds a build's processes).  The guard reads it.
 */
#define MARK_NAME "VIPERBENCH_RUN_MARK"
static pid_t guard_pid;

/* True when /proc/PID/environ holds ENTRY ("NAME=value", NUL-ended). */
static bool
environ_holds (pid_t pid, const char *entry)
{
  char path[64], buf[65536];
  size_t len = strlen (entry) + 1, have = 0;
  bool found = false;
  int fd;

  snprintf (path, sizeof path, "/proc/%d/environ", (int) pid);
  if ((fd = open (path, O_RDONLY | O_CLOEXEC)) == -1)
    return false;
  /* Entry by entry, a window at a time: an environment may be large. */
  for (;;) {
    ssize_t r = read (fd, buf + have, sizeof buf - have);
    size_t start = 0;

    if (r == -1 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    have += (size_t) r;
    for (size_t i = 0; i < have; i++)
      if (buf[i] == '\0') {
        if (i + 1 - start == len && memcmp (buf + start, entry, len) == 0) {
          found = true;
          break;
        }
        start = i + 1;
      }
    if (found)
      break;
    if (start == 0 && have == sizeof buf)
      start = have;             /* an entry longer than the window */
    memmove (buf, buf + start, have - start);
    have -= start;
  }
  close (fd);
  return found;
}

/* Kills every process but ours whose environment holds ENTRY, until a
 * pass finds none (what one forks in between is found by the next), up
 * to TIMEOUT s; how many it killed.
 */
static size_t
kill_marked (const char *entry, double timeout)
{
  double end = mono_now () + timeout;
  pid_t me = getpid ();
  size_t killed = 0;

  for (;;) {
    DIR *d = opendir ("/proc");
    struct dirent *e;
    size_t found = 0;

    if (d == NULL)
      break;
    while ((e = readdir (d)) != NULL) {
      pid_t pid = (pid_t) atoi (e->d_name);

      if (pid <= 1 || pid == me || !environ_holds (pid, entry))
        continue;
      if (kill (pid, SIGKILL) == 0)
        found++;
    }
    closedir (d);
    killed += found;
    if (found == 0 || mono_now () > end)
      break;
    sleep_ms (20);
  }
  return killed;
}

/* The guard's body: woken by its parent-death signal when the runner
 * ends however it ends (SIGKILL included), it kills whatever still
 * carries the run's mark (a daemon that left the process groups and the
 * cgroups' reach), then exits.
 */
static void
guard_main (pid_t runner, const char *entry)
{
  sigset_t wake;

  sigemptyset (&wake);
  sigaddset (&wake, SIGUSR1);
  sigprocmask (SIG_BLOCK, &wake, NULL);
  prctl (PR_SET_PDEATHSIG, SIGUSR1);
  prctl (PR_SET_NAME, "viperbench-guard");
  signal (SIGINT, SIG_IGN);
  signal (SIGHUP, SIG_IGN);
  signal (SIGTERM, SIG_IGN);
  close_range (0, ~0U, 0);
  while (getppid () == runner) {
    struct timespec ts = { 1, 0 };

    sigtimedwait (&wake, NULL, &ts);
  }
  kill_marked (entry, 10);
  _exit (0);
}

void
proc_contain (void)
{
  char *entry;
  pid_t runner = getpid ();

  /* What our children leave behind (a daemon that forked twice, a
   * setsid grandchild) becomes our child, not init's.
   */
  prctl (PR_SET_CHILD_SUBREAPER, 1);
  if (guard_pid > 0)
    return;
  /* And when the runner dies without the chance to kill them (SIGKILL),
   * where no cgroup holds them, its guard finds them by the mark.
   */
  entry = xasprintf (MARK_NAME "=%d.%llx", (int) runner,
                     (unsigned long long) (mono_now () * 1e9));
  if (setenv (MARK_NAME, strchr (entry, '=') + 1, 1) == -1) {
    free (entry);
    return;
  }
  fflush (stdout);
  fflush (stderr);
  guard_pid = fork ();
  if (guard_pid == 0)
    guard_main (runner, entry);
  if (guard_pid == -1)
    vb_warn ("fork: %s: no guard for a runner killed by SIGKILL",
             strerror (errno));
  free (entry);
}

static bool
is_logger (pid_t pid)
{
  if (pid == guard_pid)
    return true;                /* the guard, too, outlives the others */
  for (size_t i = 0; i < nloggers; i++)
    if (loggers[i].pid == pid)
      return true;
  return false;
}

/* PID's parent, from /proc/PID/stat, or 0 when it is gone. */
static pid_t
parent_of (pid_t pid)
{
  char path[64], buf[512], *p;
  long ppid;
  int fd;
  ssize_t len;

  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  if ((fd = open (path, O_RDONLY | O_CLOEXEC)) == -1)
    return 0;
  len = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (len <= 0)
    return 0;
  buf[len] = '\0';
  /* "pid (comm) state ppid": comm may hold anything but ends at the
   * last ')'.
   */
  if ((p = strrchr (buf, ')')) == NULL || sscanf (p + 1, " %*c %ld", &ppid) != 1)
    return 0;
  return (pid_t) ppid;
}

/* Our children other than the loggers, into PIDS (at most MAX); how
 * many there are.
 */
static size_t
children (pid_t *pids, size_t max)
{
  DIR *d = opendir ("/proc");
  struct dirent *e;
  size_t n = 0;
  pid_t me = getpid ();

  if (d == NULL)
    return 0;
  while ((e = readdir (d)) != NULL) {
    pid_t pid = (pid_t) atoi (e->d_name);

    if (pid <= 0 || is_logger (pid) || parent_of (pid) != me)
      continue;
    if (n < max)
      pids[n] = pid;
    n++;
  }
  closedir (d);
  return n;
}

int
proc_reap_all (double timeout)
{
  double end = mono_now () + timeout;
  pid_t pids[256];
  size_t n, killed = 0;

  for (;;) {
    int status;

    n = children (pids, sizeof pids / sizeof pids[0]);
    if (n == 0)
      break;
    for (size_t i = 0; i < n && i < sizeof pids / sizeof pids[0]; i++) {
      if (waitpid (pids[i], &status, WNOHANG) == pids[i]) {
        proc_log_done (pids[i], 1);
        continue;
      }
      /* The group it leads goes with it. */
      if (getpgid (pids[i]) == pids[i])
        kill (-pids[i], SIGKILL);
      kill (pids[i], SIGKILL);
      killed++;
    }
    if (mono_now () > end)
      break;
    sleep_ms (10);
  }
  /* Their writers gone, the loggers end. */
  while (nloggers > 0)
    logger_reap (nloggers - 1, 2);
  return (int) killed;
}

/* The inodes of the listening sockets on TCP PORT (IPv4 and IPv6, any
 * address), or of the Unix socket PATH, into INO (at most MAX); how many.
 */
static size_t
listen_inodes (int port, const char *path, unsigned long *ino, size_t max)
{
  static const char *const files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
  char line[1024];
  size_t n = 0;

  if (path) {
    FILE *f = fopen ("/proc/net/unix", "re");

    if (f == NULL)
      return 0;
    while (n < max && fgets (line, sizeof line, f)) {
      unsigned long flags, inode;
      unsigned st;
      int off = 0;

      /* Num RefCount Protocol Flags Type St Inode Path */
      if (sscanf (line, "%*s %*s %*s %lx %*s %x %lu %n", &flags, &st, &inode,
                  &off) == 3 && off > 0 && (flags & 0x10000)) {
        line[strcspn (line, "\n")] = '\0';
        if (strcmp (line + off, path) == 0)
          ino[n++] = inode;
      }
    }
    fclose (f);
    return n;
  }
  for (size_t k = 0; k < 2; k++) {
    FILE *f = fopen (files[k], "re");

    if (f == NULL)
      continue;
    while (n < max && fgets (line, sizeof line, f)) {
      char local[64];
      unsigned st, lport;
      unsigned long inode;
      char *colon;

      /* sl local rem st tx:rx tr:tm retr uid timeout inode */
      if (sscanf (line, "%*s %63s %*s %x %*s %*s %*s %*s %*s %lu", local, &st,
                  &inode) != 3 || st != 0x0A)       /* TCP_LISTEN */
        continue;
      if ((colon = strrchr (local, ':')) == NULL ||
          sscanf (colon + 1, "%x", &lport) != 1 || (int) lport != port)
        continue;
      ino[n++] = inode;
    }
    fclose (f);
  }
  return n;
}

/* True when PID descends from ANCESTOR (PPid chain through /proc). */
static bool
descends_from (pid_t pid, pid_t ancestor)
{
  for (int depth = 0; pid > 1 && depth < 64; depth++) {
    if (pid == ancestor)
      return true;
    pid = parent_of (pid);
  }
  return pid == ancestor;
}

int
proc_listener_ours (int port, const char *path, pid_t *holder)
{
  unsigned long ino[16];
  size_t n = listen_inodes (port, path, ino, 16);
  DIR *d;
  struct dirent *e;
  int r = -1;

  *holder = 0;
  if (n == 0 || (d = opendir ("/proc")) == NULL)
    return -1;
  while (r != 1 && (e = readdir (d)) != NULL) {
    pid_t pid = (pid_t) atoi (e->d_name);
    char fdp[64];
    DIR *fds;
    struct dirent *f;

    if (pid <= 0)
      continue;
    snprintf (fdp, sizeof fdp, "/proc/%d/fd", (int) pid);
    if ((fds = opendir (fdp)) == NULL)
      continue;
    while ((f = readdir (fds)) != NULL) {
      char lp[320], target[64];
      ssize_t l;
      unsigned long i;

      if (f->d_name[0] == '.')
        continue;
      snprintf (lp, sizeof lp, "%s/%s", fdp, f->d_name);
      if ((l = readlink (lp, target, sizeof target - 1)) <= 0)
        continue;
      target[l] = '\0';
      if (sscanf (target, "socket:[%lu]", &i) != 1)
        continue;
      for (size_t k = 0; k < n; k++)
        if (ino[k] == i) {
          if (descends_from (pid, getpid ())) {
            *holder = pid;
            r = 1;
          }
          else if (r == -1) {
            *holder = pid;
            r = 0;
          }
        }
    }
    closedir (fds);
  }
  closedir (d);
  return r;
}

/* A spawn that failed: its loggers (from NLOG on) ended, their pipes'
 * write ends (LOGFD, FD3, or -1) closed first so that they see the end.
 */
static void
spawn_undo (int logfd, int fd3, size_t nlog)
{
  if (logfd != -1)
    close (logfd);
  if (fd3 != -1)
    close (fd3);
  while (nloggers > nlog)
    logger_reap (nloggers - 1, 5);
}

/* Forks a child set up as internal.h says of proc_spawn, which runs
 * FN (ARG) and exits with its value; the pid, or -1 with a message.
 */
static pid_t
spawn_child (const struct spawn_opts *o, int (*fn) (void *), void *arg)
{
  int in[2] = { -1, -1 }, logfd = -1, fd3 = -1;
  size_t nlog = nloggers;
  pid_t parent = getpid (), pid;

  if ((o->log_path && logger_start (o->log_path, o->log_max, &logfd) == -1) ||
      (o->fd3_log && logger_start (o->fd3_log, o->log_max, &fd3) == -1)) {
    spawn_undo (logfd, fd3, nlog);
    return -1;
  }
  if (o->stdin_data && pipe2 (in, O_CLOEXEC) == -1) {
    vb_msg ("pipe: %s", strerror (errno));
    spawn_undo (logfd, fd3, nlog);
    return -1;
  }
  /* Nothing buffered is written twice. */
  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  if (pid == -1) {
    vb_msg ("fork: %s", strerror (errno));
    spawn_undo (logfd, fd3, nlog);
    return -1;
  }
  if (pid == 0) {
    sigset_t none;

    /* Its own process group, so that stopping it reaches what it
     * started (fio's jobs, a plugin's scripts); SIGTERM when the runner
     * dies, whatever killed it.
     */
    setpgid (0, 0);
    prctl (PR_SET_PDEATHSIG, SIGTERM);
    if (getppid () != parent)
      _exit (1);
    /* A network namespace of the runner's making (a load client's, the
     * hub's), joined before anything else is opened.
     */
    if (o->netns_pid > 0 && netns_join (o->netns_pid) == -1) {
      dprintf (2, "viperbench: joining the network namespace of %d: %s\n",
               (int) o->netns_pid, strerror (errno));
      _exit (126);
    }
    /* Its cgroup before anything it runs can fork.  Not fatal: the
     * collector checks membership and falls back to /proc.
     */
    if (o->cgroup)
      cgroup_join_self (o->cgroup);
    sigemptyset (&none);
    sigprocmask (SIG_SETMASK, &none, NULL);
    signal (SIGPIPE, SIG_DFL);
    signal (SIGINT, SIG_DFL);
    signal (SIGTERM, SIG_DFL);
    signal (SIGHUP, SIG_DFL);
    /* The files first: their paths are the caller's, relative to its
     * directory, whatever CWD the child runs in.
     */
    if (o->stdin_data)
      dup2 (in[0], 0);
    else
      redirect (0, NULL, O_RDONLY);
    if (logfd != -1) {
      /* Both streams, in order, into the one pipe (stdout apart when
       * the caller reads it: fio's progress).
       */
      if (o->stdout_path)
        redirect (1, o->stdout_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND);
      else
        dup2 (logfd, 1);
      dup2 (logfd, 2);
    }
    else if (!o->keep_stdio) {
      redirect (1, o->stdout_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND);
      /* One path for both: opened once, so neither overwrites the other. */
      if (o->stdout_path && o->stderr_path &&
          strcmp (o->stdout_path, o->stderr_path) == 0)
        dup2 (1, 2);
      else
        redirect (2, o->stderr_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND);
    }
    if (fd3 != -1) {
      /* The third stream last (the others' pipes may have been fd 3),
       * left open across exec (dup2 onto itself keeps close-on-exec).
       */
      if (fd3 == 3)
        fcntl (3, F_SETFD, 0);
      else
        dup2 (fd3, 3);
    }
    if (o->cwd && chdir (o->cwd) == -1) {
      dprintf (2, "viperbench: chdir %s: %s\n", o->cwd, strerror (errno));
      _exit (126);
    }
    /* Inherited by every thread and process it starts.  Not fatal: an
     * unpinned run is still a run, and its record says what was asked.
     */
    if (o->cpus && sched_setaffinity (0, sizeof *o->cpus, o->cpus) == -1)
      dprintf (2, "viperbench: sched_setaffinity: %s\n", strerror (errno));
    if (o->preload)
      setenv ("LD_PRELOAD", o->preload, 1);
    for (char *const *e = o->env; e && *e; e++)
      putenv (*e);
    _exit (fn (arg));
  }
  if (logfd != -1)
    close (logfd);
  if (fd3 != -1)
    close (fd3);
  for (size_t i = nlog; i < nloggers; i++)
    loggers[i].child = pid;
  if (o->stdin_data) {
    size_t len = strlen (o->stdin_data), off = 0;

    close (in[0]);
    while (off < len) {
      ssize_t r = write (in[1], o->stdin_data + off, len - off);

      if (r == -1) {
        if (errno == EINTR)
          continue;
        break;                  /* the child died; its status says why */
      }
      off += (size_t) r;
    }
    close (in[1]);
  }
  return pid;
}

static int
exec_argv (void *arg)
{
  char *const *argv = arg;

  execvp (argv[0], argv);
  dprintf (2, "viperbench: exec %s: %s\n", argv[0], strerror (errno));
  return 127;
}

/* Starts ARGV; see internal.h. */
pid_t
proc_spawn (const char *const *argv, const struct spawn_opts *o)
{
  return spawn_child (o, exec_argv, (void *) argv);
}

/* Runs FN in a child; see internal.h. */
pid_t
proc_fork (int (*fn) (void *), void *arg, const struct spawn_opts *o)
{
  return spawn_child (o, fn, arg);
}

/* Waits for PID; 0 exited, 1 timeout, 2 stop requested. */
int
proc_wait (pid_t pid, double timeout, int *status)
{
  struct rusage ru;

  return proc_wait_rusage (pid, timeout, status, &ru);
}

int
proc_wait_rusage (pid_t pid, double timeout, int *status, struct rusage *ru)
{
  double end = timeout >= 0 ? mono_now () + timeout : 0;

  for (;;) {
    pid_t r = wait4 (pid, status, WNOHANG, ru);

    if (r == pid) {
      proc_log_done (pid, 5);
      return 0;
    }
    if (r == -1 && errno != EINTR) {
      *status = 0;
      proc_log_done (pid, 5);
      return 0;
    }
    if (stop_requested)
      return 2;
    if (timeout >= 0 && mono_now () > end)
      return 1;
    sleep_ms (20);
  }
}

/* SIGTERM to PID's process group, a grace period, then SIGKILL; reaps
 * PID and sweeps what is left of its group.
 */
void
proc_kill (pid_t pid, double grace)
{
  int status;
  double end = mono_now () + grace;

  if (pid <= 0)
    return;
  if (waitpid (pid, &status, WNOHANG) != 0) {
    kill (-pid, SIGKILL);
    proc_log_done (pid, 5);
    return;
  }
  kill (-pid, SIGTERM);
  while (mono_now () < end) {
    if (waitpid (pid, &status, WNOHANG) != 0) {
      kill (-pid, SIGKILL);
      proc_log_done (pid, 5);
      return;
    }
    sleep_ms (20);
  }
  kill (-pid, SIGKILL);
  waitpid (pid, &status, 0);
  proc_log_done (pid, 5);
}

/* Leaves an ended child unreaped (WNOWAIT): its status stays for
 * whoever waits for it.
 */
bool
proc_alive (pid_t pid)
{
  siginfo_t info;

  if (pid <= 0)
    return false;
  info.si_pid = 0;
  return waitid (P_PID, (id_t) pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
    info.si_pid == 0;
}

/* Runs ARGV to completion within TIMEOUT s; exit status or -1. */
int
proc_run (const char *const *argv, double timeout, const char *stdout_path,
          const char *stderr_path)
{
  struct spawn_opts o = { .stdout_path = stdout_path,
                          .stderr_path = stderr_path };
  pid_t pid = proc_spawn (argv, &o);
  int status, r;

  if (pid == -1)
    return -1;
  r = proc_wait (pid, timeout, &status);
  if (r != 0) {
    proc_kill (pid, 2);
    return r == 1 ? -2 : -1;
  }
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* A socket of FAMILY in the network namespace of NETNS_PID (0: ours):
 * a socket stays in the namespace it was made in, so the runner steps
 * in for the socket() call and straight back.
 */
static int
socket_in (int family, pid_t netns_pid)
{
  int own, fd;

  if (netns_pid <= 0)
    return socket (family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if ((own = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) == -1)
    return -1;
  if (netns_join (netns_pid) == -1) {
    close (own);
    return -1;
  }
  fd = socket (family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (setns (own, CLONE_NEWNET) == -1)
    abort ();                   /* never go on in the wrong namespace */
  close (own);
  return fd;
}

static int
try_connect (const struct sockaddr *sa, socklen_t len, int family,
             pid_t netns_pid)
{
  int fd = socket_in (family, netns_pid), r;

  if (fd == -1)
    return -1;
  r = connect (fd, sa, len);
  close (fd);
  return r;
}

/* Polls until the address accepts; 0 ready, -1 died/timeout/stop. */
static int
wait_connect (const struct sockaddr *sa, socklen_t len, int family,
              pid_t pid, double timeout, pid_t netns_pid)
{
  double end = mono_now () + timeout;

  while (mono_now () < end) {
    if (try_connect (sa, len, family, netns_pid) == 0)
      return 0;
    if (!proc_alive (pid) || stop_requested)
      return -1;
    sleep_ms (20);
  }
  return -1;
}

int
proc_wait_unix (const char *path, pid_t pid, double timeout)
{
  struct sockaddr_un sun = { .sun_family = AF_UNIX };

  if (strlen (path) >= sizeof sun.sun_path)
    return -1;
  strcpy (sun.sun_path, path);
  return wait_connect ((struct sockaddr *) &sun, sizeof sun, AF_UNIX, pid,
                       timeout, 0);
}

/* Reads LEN bytes from FD into BUF by END (monotonic) while PID lives;
 * 0, or -1.
 */
static int
read_by (int fd, char *buf, size_t len, double end, pid_t pid)
{
  size_t got = 0;

  while (got < len) {
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    double left = end - mono_now ();
    ssize_t n;

    if (left <= 0 || stop_requested || !proc_alive (pid))
      return -1;
    if (poll (&pfd, 1, left > 0.1 ? 100 : (int) (left * 1000) + 1) <= 0)
      continue;
    n = read (fd, buf + got, len - got);
    if (n <= 0)
      return -1;
    got += (size_t) n;
  }
  return 0;
}

/* Waits for a greeting on a Unix socket; see internal.h. */
int
proc_wait_greeting (const char *path, pid_t pid, double timeout,
                    const char *greeting)
{
  struct sockaddr_un sun = { .sun_family = AF_UNIX };
  double end = mono_now () + timeout;
  size_t len = strlen (greeting);
  char *buf;
  int fd, r = -1;

  if (strlen (path) >= sizeof sun.sun_path)
    return -1;
  strcpy (sun.sun_path, path);
  if (wait_connect ((struct sockaddr *) &sun, sizeof sun, AF_UNIX, pid,
                    timeout, 0) == -1)
    return -1;
  if ((fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
    return -1;
  buf = xcalloc (len + 1, 1);
  if (connect (fd, (struct sockaddr *) &sun, sizeof sun) == 0 &&
      read_by (fd, buf, len, end, pid) == 0 && memcmp (buf, greeting, len) == 0)
    r = 0;
  free (buf);
  close (fd);
  return r;
}

int
proc_wait_tcp (int port, pid_t pid, double timeout)
{
  struct sockaddr_in sin = { .sin_family = AF_INET,
                             .sin_port = htons ((uint16_t) port),
                             .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };

  return wait_connect ((struct sockaddr *) &sin, sizeof sin, AF_INET, pid,
                       timeout, 0);
}

int
proc_wait_tcp_at (const char *ip, int port, pid_t pid, double timeout,
                  pid_t netns_pid)
{
  struct sockaddr_in sin = { .sin_family = AF_INET,
                             .sin_port = htons ((uint16_t) port) };

  if (inet_pton (AF_INET, ip, &sin.sin_addr) != 1)
    return -1;
  return wait_connect ((struct sockaddr *) &sin, sizeof sin, AF_INET, pid,
                       timeout, netns_pid);
}

/* Binds 127.0.0.1:PORT (0: any); returns the port or -1. */
static int
bind_port (int port)
{
  struct sockaddr_in sin = { .sin_family = AF_INET,
                             .sin_port = htons ((uint16_t) port),
                             .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof sin;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), r = -1;

  if (fd == -1)
    return -1;
  if (bind (fd, (struct sockaddr *) &sin, sizeof sin) == 0 &&
      getsockname (fd, (struct sockaddr *) &sin, &len) == 0)
    r = ntohs (sin.sin_port);
  close (fd);
  return r;
}

int
free_tcp_port (void)
{
  return bind_port (0);
}

bool
tcp_port_free (int port)
{
  return bind_port (port) == port;
}

/* First line of ARGV's stdout, or NULL. */
char *
command_output (const char *const *argv)
{
  char path[] = "/tmp/viperbench-out-XXXXXX";
  int fd = mkstemp (path);
  struct spawn_opts o = { .stdout_path = path };
  char *text;
  pid_t pid;
  int status;

  if (fd == -1)
    return NULL;
  close (fd);
  pid = proc_spawn (argv, &o);
  if (pid == -1 || proc_wait (pid, 10, &status) != 0) {
    if (pid > 0)
      proc_kill (pid, 1);
    unlink (path);
    return NULL;
  }
  text = read_file (path, NULL);
  unlink (path);
  return text;
}

char *
command_first_line (const char *const *argv)
{
  char *text = command_output (argv), *nl;

  if (text && (nl = strchr (text, '\n')))
    *nl = '\0';
  return text;
}
