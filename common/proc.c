/* proc.c: child processes of the runner.  Everything is started from an
 * argument array (never a shell), with PR_SET_PDEATHSIG so that a runner
 * killed even by SIGKILL leaves no server or fio behind, and waited for
 * with a bound.
 */
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

/* Forks a child set up as internal.h says of proc_spawn, which runs
 * FN (ARG) and exits with its value; the pid, or -1 with a message.
 */
static pid_t
spawn_child (const struct spawn_opts *o, int (*fn) (void *), void *arg)
{
  int in[2] = { -1, -1 };
  pid_t parent = getpid (), pid;

  if (o->stdin_data && pipe2 (in, O_CLOEXEC) == -1) {
    vb_msg ("pipe: %s", strerror (errno));
    return -1;
  }
  /* Nothing buffered is written twice. */
  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  if (pid == -1) {
    vb_msg ("fork: %s", strerror (errno));
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
    if (!o->keep_stdio) {
      redirect (1, o->stdout_path, O_WRONLY | O_CREAT | O_TRUNC);
      redirect (2, o->stderr_path, O_WRONLY | O_CREAT | O_TRUNC);
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

    if (r == pid)
      return 0;
    if (r == -1 && errno != EINTR) {
      *status = 0;
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
    return;
  }
  kill (-pid, SIGTERM);
  while (mono_now () < end) {
    if (waitpid (pid, &status, WNOHANG) != 0) {
      kill (-pid, SIGKILL);
      return;
    }
    sleep_ms (20);
  }
  kill (-pid, SIGKILL);
  waitpid (pid, &status, 0);
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
command_first_line (const char *const *argv)
{
  char path[] = "/tmp/viperbench-out-XXXXXX";
  int fd = mkstemp (path);
  struct spawn_opts o = { .stdout_path = path };
  char *text, *nl;
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
  if (text == NULL)
    return NULL;
  if ((nl = strchr (text, '\n')))
    *nl = '\0';
  return text;
}
