/* clientns.c: load clients the runner makes on this machine: each a
 * `fio --server` alone in a network namespace and a PID namespace of its
 * own, joined by a veth pair to a bridge in a hub namespace, where the
 * servers under test listen and `fio --client` runs:
 *
 *   hub netns:     vbhub 10.77.0.1/24 (bridge) -- vb-c1, vb-c2, ...
 *   client k:      eth0 10.77.0.(k+1)/24, fio --server=ip:10.77.0.(k+1),8765
 *
 * Nothing is made in the runner's own namespace.  Each namespace is held
 * by processes alone (none is bind-mounted as `ip netns add` does): the
 * hub's by a process that sleeps, a client's by its fio server, pid 1 of
 * the client's PID namespace.  When the runner dies, however it dies,
 * the parent-death signals end the holders, the kernel kills everything
 * in a PID namespace whose first process ended, and a network namespace
 * with no process left is removed with its links.  So no namespace, link
 * or process outlives the runner, even after SIGKILL.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

/* The hub: sleeps in a network namespace of its own until killed. */
static int
hub_main (void *arg)
{
  (void) arg;
  if (unshare (CLONE_NEWNET) == -1) {
    dprintf (2, "viperbench: unshare(CLONE_NEWNET): %s\n", strerror (errno));
    return 125;
  }
  for (;;)
    pause ();
}

struct client_arg {
  int go[2];                    /* the runner writes a byte when the
                                   client's network is up */
  const char *const *argv;      /* fio --server=... */
};

/* A client: new network and PID namespaces; the first process of the
 * PID namespace waits for its network, then becomes its fio server.
 * This process waits for it and exits with its status.
 */
static int
client_main (void *arg)
{
  struct client_arg *a = arg;
  int status;
  pid_t init;

  close (a->go[1]);
  if (unshare (CLONE_NEWNET | CLONE_NEWPID) == -1) {
    dprintf (2, "viperbench: unshare(CLONE_NEWNET|CLONE_NEWPID): %s\n",
             strerror (errno));
    return 125;
  }
  init = fork ();
  if (init == -1) {
    dprintf (2, "viperbench: fork: %s\n", strerror (errno));
    return 125;
  }
  if (init == 0) {
    char c = 0;
    ssize_t r;

    /* SIGKILL: the first process of a PID namespace ignores signals it
     * has no handler for, and this one must end with its holder.
     */
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    do
      r = read (a->go[0], &c, 1);
    while (r == -1 && errno == EINTR);
    if (r != 1 || c != 'g')
      _exit (1);              /* the runner gave up, or died */
    close (a->go[0]);
    execvp (a->argv[0], (char *const *) a->argv);
    dprintf (2, "viperbench: exec %s: %s\n", a->argv[0], strerror (errno));
    _exit (127);
  }
  close (a->go[0]);
  while (waitpid (init, &status, 0) == -1)
    if (errno != EINTR)
      return 125;
  return WIFEXITED (status) ? WEXITSTATUS (status)
    : 128 + WTERMSIG (status);
}

/* The inode of PID's network namespace, or 0. */
static ino_t
netns_ino (pid_t pid)
{
  char path[64];
  struct stat sb;

  snprintf (path, sizeof path, "/proc/%d/ns/net", (int) pid);
  return stat (path, &sb) == 0 ? sb.st_ino : 0;
}

/* Waits (up to 5 s) until PID has left the runner's network namespace;
 * 0 or -1.
 */
static int
wait_unshared (pid_t pid)
{
  ino_t own = netns_ino (getpid ());

  for (double end = mono_now () + 5; mono_now () < end;) {
    ino_t ino = netns_ino (pid);

    if (ino && ino != own)
      return 0;
    if (!proc_alive (pid) || stop_requested)
      return -1;
    usleep (5000);
  }
  return -1;
}

/* Runs `ip -batch -` on COMMANDS in the network namespace of NETNS_PID;
 * 0, or -1 with a message naming WHAT and ip's complaint.
 */
static int
ip_batch (const char *what, pid_t netns_pid, const char *commands,
          const char *logdir)
{
  const char *argv[] = { "ip", "-batch", "-", NULL };
  char *log = xasprintf ("%s/ip-%s.log", logdir, what);
  struct spawn_opts o = { .stdin_data = commands, .log_path = log,
                          .netns_pid = netns_pid };
  pid_t pid = proc_spawn (argv, &o);
  int status = 0, r = 0;

  if (pid == -1 || proc_wait (pid, 30, &status) != 0 ||
      !WIFEXITED (status) || WEXITSTATUS (status) != 0) {
    char *tail = log_tail (log);

    if (pid > 0)
      proc_kill (pid, 1);
    vb_msg ("clients: setting up the network of %s failed: %s", what,
            tail ? tail : "ip gave no reason");
    free (tail);
    r = -1;
  }
  free (log);
  return r;
}

/* Starts the hub and N clients; see internal.h. */
int
nsnet_start (struct nsnet *net, size_t n, const char *logdir,
             const char *workdir, const cpu_set_t *cpus, double timeout)
{
  struct spawn_opts ho = { 0 };
  char *hublog = xasprintf ("%s/hub.log", logdir), *batch = NULL;
  size_t blen = 0;
  FILE *b;

  memset (net, 0, sizeof *net);
  if (n == 0 || n > NSNET_MAX) {
    vb_msg ("clients: %zu namespace clients: from 1 to %d", n, NSNET_MAX);
    free (hublog);
    return -1;
  }
  ho.log_path = hublog;
  net->hub = proc_fork (hub_main, NULL, &ho);
  free (hublog);
  if (net->hub == -1 || wait_unshared (net->hub) == -1) {
    vb_msg ("clients: could not make the hub's network namespace "
            "(unshare needs CAP_SYS_ADMIN: run as root); see %s/hub.log",
            logdir);
    nsnet_stop (net);
    return -1;
  }
  net->cl = xcalloc (n, sizeof *net->cl);
  for (size_t k = 0; k < n; k++) {
    struct nsclient *c = &net->cl[k];
    struct spawn_opts o = { .cpus = cpus,
                            .preload = getenv ("VIPERBENCH_FIO_PRELOAD") };
    struct client_arg a;
    char *server;

    c->go = -1;
    net->n = k + 1;
    snprintf (c->name, sizeof c->name, "c%zu", k + 1);
    snprintf (c->addr, sizeof c->addr, NSNET_PREFIX ".%zu", k + 2);
    c->log = xasprintf ("%s/fio-server-%s.log", logdir, c->name);
    c->dir = xasprintf ("%s/%s", workdir, c->name);
    if (mkdir (c->dir, 0700) == -1 && errno != EEXIST) {
      vb_msg ("mkdir %s: %s", c->dir, strerror (errno));
      goto fail;
    }
    if (pipe2 (a.go, O_CLOEXEC) == -1) {
      vb_msg ("pipe: %s", strerror (errno));
      goto fail;
    }
    server = xasprintf ("--server=ip:%s,%d", c->addr, NSNET_FIO_PORT);
    {
      const char *argv[] = { "fio", server, NULL };

      a.argv = argv;
      o.log_path = c->log;
      o.cwd = c->dir;
      c->holder = proc_fork (client_main, &a, &o);
    }
    free (server);
    close (a.go[0]);
    c->go = a.go[1];
    if (c->holder == -1 || wait_unshared (c->holder) == -1) {
      vb_msg ("clients: could not make %s's namespaces; see %s",
              c->name, c->log);
      goto fail;
    }
  }
  /* The hub's side: the bridge, and a veth pair per client, its other
   * end (eth0) made straight in the client's namespace.
   */
  b = xopen_memstream (&batch, &blen);
  fprintf (b, "link set lo up\nlink add vbhub type bridge\n"
           "addr add " NSNET_PREFIX ".1/24 dev vbhub\nlink set vbhub up\n");
  for (size_t k = 0; k < n; k++)
    fprintf (b, "link add vb-%s type veth peer name eth0 netns %d\n"
             "link set vb-%s master vbhub\nlink set vb-%s up\n",
             net->cl[k].name, (int) net->cl[k].holder, net->cl[k].name,
             net->cl[k].name);
  xclose_memstream (b);
  if (ip_batch ("hub", net->hub, batch, logdir) == -1)
    goto fail;
  for (size_t k = 0; k < n; k++) {
    struct nsclient *c = &net->cl[k];
    char *cmds = xasprintf ("link set lo up\naddr add %s/24 dev eth0\n"
                            "link set eth0 up\n", c->addr);
    int r = ip_batch (c->name, c->holder, cmds, logdir);

    free (cmds);
    if (r == -1)
      goto fail;
    if (write (c->go, "g", 1) != 1) {
      vb_msg ("clients: %s ended before it started (see %s)", c->name,
              c->log);
      goto fail;
    }
    close (c->go);
    c->go = -1;
  }
  for (size_t k = 0; k < n; k++) {
    struct nsclient *c = &net->cl[k];

    if (proc_wait_tcp_at (c->addr, NSNET_FIO_PORT, c->holder, timeout,
                          net->hub) == -1) {
      char *tail = stop_requested ? NULL : log_tail (c->log);

      if (!stop_requested)
        vb_msg ("clients: %s's fio server (%s:%d) %s: %s", c->name, c->addr,
                NSNET_FIO_PORT, proc_alive (c->holder)
                ? "did not listen in time" : "ended", tail ? tail : "");
      free (tail);
      goto fail;
    }
  }
  free (batch);
  return 0;
 fail:
  free (batch);
  nsnet_stop (net);
  return -1;
}

/* Stops every client and the hub; see internal.h. */
void
nsnet_stop (struct nsnet *net)
{
  for (size_t k = 0; k < net->n; k++) {
    struct nsclient *c = &net->cl[k];

    if (c->go >= 0)
      close (c->go);
    c->go = -1;
    proc_kill (c->holder, 5);
    c->holder = 0;
    free (c->log);
    free (c->dir);
    c->log = c->dir = NULL;
  }
  free (net->cl);
  net->cl = NULL;
  net->n = 0;
  proc_kill (net->hub, 2);
  net->hub = 0;
}

/* The first client whose fio server has ended, or NULL; see internal.h. */
const struct nsclient *
nsnet_dead (const struct nsnet *net, char *how, size_t len)
{
  for (size_t k = 0; k < net->n; k++) {
    siginfo_t info;

    info.si_pid = 0;
    /* Left unreaped (WNOWAIT): stopping it reaps it. */
    if (waitid (P_PID, (id_t) net->cl[k].holder, &info,
                WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0)
      continue;
    /* The holder exits with its fio server's status, 128 + a signal's
     * number when one killed it.
     */
    if (info.si_pid && info.si_code == CLD_EXITED && info.si_status > 128)
      snprintf (how, len, "killed by signal %d (%s)", info.si_status - 128,
                strsignal (info.si_status - 128));
    else if (info.si_pid && info.si_code == CLD_EXITED)
      snprintf (how, len, "exited with status %d", info.si_status);
    else
      snprintf (how, len, "ended");
    return &net->cl[k];
  }
  return NULL;
}
