/* test_device.c: the engine's transports without fio (engine/device.c,
 * nbd.c, inproc.c), against real nbdkit servers and real nbdkit plugins
 * loaded in-process.  Each NBD test starts its own nbdkit on a Unix socket
 * in a private directory and stops it at the end.
 *
 * Run alone: make build/tests/unit/test_device && build/tests/unit/test_device
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../engine/internal.h"

extern char **environ;

#define MiB (1024 * 1024)

struct server {
  pid_t pid;
  char dir[64];
  char sock[128];
  char uri[192];
};

/* Starts nbdkit ARGS... on a Unix socket in a private directory and waits
 * (bounded) until it accepts; the test is skipped when nbdkit is absent.
 */
static void
server_start (struct server *s, const char *const *args)
{
  const char *argv[32];
  int n = 0;

  strcpy (s->dir, "/tmp/viper-test-XXXXXX");
  assert_non_null (mkdtemp (s->dir));
  snprintf (s->sock, sizeof s->sock, "%s/nbd.sock", s->dir);
  snprintf (s->uri, sizeof s->uri, "nbd+unix:///?socket=%s", s->sock);
  argv[n++] = "nbdkit";
  argv[n++] = "-f";
  argv[n++] = "--exit-with-parent";
  argv[n++] = "-U";
  argv[n++] = s->sock;
  while (*args && n < 31)
    argv[n++] = *args++;
  argv[n] = NULL;
  assert_int_equal (posix_spawnp (&s->pid, "nbdkit", NULL, NULL,
                                  (char **) argv, environ), 0);
  /* Until it accepts: the socket's file exists from bind (), before
   * nbdkit listens on it, and a connect in between is refused.
   */
  for (int i = 0; i < 500; i++) {       /* up to 5 s */
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int r;

    assert_true (fd >= 0);
    strcpy (sa.sun_path, s->sock);
    r = connect (fd, (struct sockaddr *) &sa, sizeof sa);
    close (fd);
    if (r == 0)
      return;
    usleep (10000);
  }
  fail_msg ("nbdkit did not accept on %s within 5 s", s->sock);
}

/* Stops the server: SIGTERM, bounded wait, then SIGKILL. */
static void
server_stop (struct server *s)
{
  int status;

  if (s->pid > 0) {
    kill (s->pid, SIGTERM);
    for (int i = 0; i < 300 && waitpid (s->pid, &status, WNOHANG) == 0; i++)
      usleep (10000);
    if (waitpid (s->pid, &status, WNOHANG) == 0) {
      kill (s->pid, SIGKILL);
      waitpid (s->pid, &status, 0);
    }
    s->pid = 0;
  }
  unlink (s->sock);
  rmdir (s->dir);
}

/* Starts nbdkit ARGS and opens a device on it with O; fails the test
 * with the engine's message when it cannot.
 */
static struct vb_dev *
server_open (struct server *s, const char *const *args,
             const struct vb_dev_opts *o)
{
  struct vb_dev *dev;

  server_start (s, args);
  dev = vb_dev_open (s->uri, o);
  if (dev == NULL)
    fail_msg ("%s", vb_get_error ());
  return dev;
}

static struct vb_dev_opts
opts (unsigned conns, unsigned depth)
{
  struct vb_dev_opts o = { .conns = conns, .max_inflight = depth,
                           .writes = true };
  return o;
}

/* Writes NREQ requests of mixed sizes through DEV with up to DEPTH in
 * flight, reads them back and compares: data must round-trip exactly.
 */
static void
roundtrip (struct vb_dev *dev, unsigned depth, unsigned nreq)
{
  static const uint64_t sizes[] = { 4096, 512, 65536, 8192, 131072 };
  struct vb_req *reqs = calloc (nreq, sizeof *reqs), *out[64];
  unsigned char **bufs = calloc (nreq, sizeof *bufs);
  uint64_t off = 0;

  assert_true (depth <= 64);
  for (int pass = 0; pass < 2; pass++) {
    unsigned next = 0, done = 0;

    off = 0;
    while (done < nreq) {
      while (next < nreq && vb_dev_inflight (dev) < depth) {
        struct vb_req *r = &reqs[next];
        uint64_t len = sizes[next % 5];
        int rc;

        if (pass == 0) {
          bufs[next] = malloc (len);
          for (uint64_t i = 0; i < len; i++)
            bufs[next][i] = (unsigned char) (next * 31 + i * 7);
          r->buf = bufs[next];
        }
        else
          r->buf = calloc (1, len);
        r->op = pass == 0 ? VB_OP_WRITE : VB_OP_READ;
        r->len = len;
        r->offset = off;
        off += len;
        rc = vb_dev_submit (dev, r);
        assert_true (rc == 0 || rc == 1);
        if (rc == 1) {
          assert_int_equal (r->error, 0);
          done++;
        }
        next++;
      }
      if (done < nreq) {
        unsigned n = vb_dev_reap (dev, out, 1, 64, -1);

        for (unsigned i = 0; i < n; i++)
          assert_int_equal (out[i]->error, 0);
        done += n;
      }
    }
    if (pass == 1)
      for (unsigned i = 0; i < nreq; i++) {
        assert_memory_equal (reqs[i].buf, bufs[i], reqs[i].len);
        free (reqs[i].buf);
      }
  }
  for (unsigned i = 0; i < nreq; i++)
    free (bufs[i]);
  free (bufs);
  free (reqs);
}

/* Submits one request of OP and waits for it; returns its error. */
static int
one (struct vb_dev *dev, enum vb_op op, void *buf, uint64_t len,
     uint64_t off)
{
  struct vb_req r = { .op = op, .buf = buf, .len = len, .offset = off };
  struct vb_req *out[1];
  int rc = vb_dev_submit (dev, &r);

  assert_true (rc == 0 || rc == 1);
  if (rc == 0)
    assert_int_equal (vb_dev_reap (dev, out, 1, 1, -1), 1);
  return r.error;
}

static void
test_plugin_memory (void **state)
{
  struct vb_dev_opts o = opts (1, 8);
  struct vb_dev *dev = vb_dev_open ("plugin:memory?size=16M", &o);
  const struct vb_dev_info *info;
  char buf[4096];

  (void) state;
  if (dev == NULL)
    fail_msg ("%s", vb_get_error ());
  info = vb_dev_info (dev);
  assert_int_equal (info->size, 16 * MiB);
  assert_true (info->can_write);
  assert_true (info->can_trim);
  assert_string_equal (info->transport, "plugin");
  roundtrip (dev, 8, 40);
  assert_int_equal (one (dev, VB_OP_FLUSH, NULL, 0, 0), 0);
  assert_int_equal (one (dev, VB_OP_TRIM, NULL, 4096, 0), 0);
  assert_int_equal (one (dev, VB_OP_READ, buf, 4096, 0), 0);
  for (size_t i = 0; i < sizeof buf; i++)
    assert_int_equal (buf[i], 0);
  /* Beyond the end: the plugin's error, as an errno. */
  assert_int_not_equal (one (dev, VB_OP_READ, buf, 4096, 16 * MiB), 0);
  vb_dev_close (dev);
}

/* Two devices on the same plugin URI share one instance, as two clients
 * of one nbdkit server do: data written by one is read by the other.
 */
static void
test_plugin_shared_instance (void **state)
{
  struct vb_dev_opts o = opts (1, 1);
  struct vb_dev *a = vb_dev_open ("plugin:memory?size=16M", &o);
  struct vb_dev *b = vb_dev_open ("plugin:memory?size=16M", &o);
  char w[512], r[512];

  (void) state;
  assert_non_null (a);
  assert_non_null (b);
  memset (w, 0xab, sizeof w);
  assert_int_equal (one (a, VB_OP_WRITE, w, sizeof w, 4096), 0);
  assert_int_equal (one (b, VB_OP_READ, r, sizeof r, 4096), 0);
  assert_memory_equal (w, r, sizeof w);
  vb_dev_close (a);
  vb_dev_close (b);

  /* A plugin's globals exist once per process: a second configuration
   * of the same plugin is refused, with the reason.
   */
  assert_null (vb_dev_open ("plugin:memory?size=1M", &o));
  assert_non_null (strstr (vb_get_error (), "one configuration"));
}

/* workers=4: requests overlap on worker threads and still round-trip. */
static void
test_plugin_workers (void **state)
{
  struct vb_dev_opts o = opts (1, 16);
  struct vb_dev *dev;

  (void) state;
  o.workers = 4;
  dev = vb_dev_open ("plugin:memory?size=16M", &o);
  if (dev == NULL)
    fail_msg ("%s", vb_get_error ());
  roundtrip (dev, 16, 200);
  assert_int_equal (one (dev, VB_OP_FLUSH, NULL, 0, 0), 0);
  assert_int_equal (vb_dev_inflight (dev), 0);
  vb_dev_close (dev);
}

static void
test_plugin_file (void **state)
{
  char path[] = "/tmp/viper-file-XXXXXX", uri[128];
  int fd = mkstemp (path);
  struct vb_dev_opts o = opts (1, 4);
  struct vb_dev *dev;

  (void) state;
  assert_true (fd >= 0);
  assert_int_equal (ftruncate (fd, 8 * MiB), 0);
  close (fd);
  snprintf (uri, sizeof uri,
            "plugin:%s/nbdkit-file-plugin.so?file=%s", VB_PLUGINDIR, path);
  dev = vb_dev_open (uri, &o);
  if (dev == NULL)
    fail_msg ("%s", vb_get_error ());
  assert_int_equal (vb_dev_info (dev)->size, 8 * MiB);
  roundtrip (dev, 4, 20);
  vb_dev_close (dev);
  unlink (path);
}

/* Opens URI in a child process (a plugin is configured once per
 * process) and returns 0 when it opened with size EXPECT_SIZE, or 1 when
 * it failed with MSG in the error.
 */
static int
open_in_child (const char *uri, const char *msg, uint64_t expect_size)
{
  int status;
  pid_t pid = fork ();

  assert_true (pid >= 0);
  if (pid == 0) {
    struct vb_dev_opts o = opts (1, 1);
    struct vb_dev *dev = vb_dev_open (uri, &o);

    if (dev) {
      int ok = vb_dev_info (dev)->size == expect_size;

      vb_dev_close (dev);
      _exit (ok ? 0 : 3);
    }
    if (strstr (vb_get_error (), msg) == NULL) {
      fprintf (stderr, "%s: '%s' lacks '%s'\n", uri, vb_get_error (), msg);
      _exit (2);
    }
    _exit (1);
  }
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

/* Each bad plugin URI fails to open with a message naming the cause. */
static void
test_plugin_errors (void **state)
{
  static const struct { const char *uri, *msg; } bad[] = {
    { "plugin:nosuchplugin", "nbdkit-nosuchplugin-plugin.so" },
    { "plugin:/nonexistent/x.so", "/nonexistent/x.so" },
    { "plugin:/etc/passwd", "dlopen" },
    { "plugin:memory?size=abc", "could not parse size" },
    { "plugin:memory?bogus=1", "bogus" },
    { "plugin:file", "file" },                  /* config_complete fails */
    { "plugin:zero?x", "magic" },
  };

  (void) state;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (open_in_child (bad[i].uri, bad[i].msg, 0) != 1)
      fail_msg ("%s did not fail as expected", bad[i].uri);
  /* A bare value goes to the plugin's magic config key. */
  assert_int_equal (open_in_child ("plugin:memory?64M", "", 64 * MiB), 0);
}

static void
test_nbd_unix (void **state)
{
  static const char *const args[] = { "memory", "32M", NULL };
  struct server s;
  struct vb_dev_opts o = opts (1, 16);
  struct vb_dev *dev;

  (void) state;
  dev = server_open (&s, args, &o);
  assert_int_equal (vb_dev_info (dev)->size, 32 * MiB);
  assert_true (vb_dev_info (dev)->can_multi_conn);
  roundtrip (dev, 16, 100);
  assert_int_equal (one (dev, VB_OP_FLUSH, NULL, 0, 0), 0);
  assert_int_equal (one (dev, VB_OP_TRIM, NULL, 65536, 0), 0);
  vb_dev_close (dev);
  server_stop (&s);
}

/* Four connections, a server without multi-conn: flushes fan out to all
 * of them and still complete once.
 */
static void
test_nbd_multiconn (void **state)
{
  static const char *const args[] = {
    "--filter=multi-conn", "memory", "32M", "multi-conn-mode=disable", NULL
  };
  struct server s;
  struct vb_dev_opts o = opts (4, 32);
  struct vb_dev *dev;

  (void) state;
  dev = server_open (&s, args, &o);
  assert_false (vb_dev_info (dev)->can_multi_conn);
  roundtrip (dev, 32, 200);
  assert_int_equal (one (dev, VB_OP_FLUSH, NULL, 0, 0), 0);
  assert_int_equal (vb_dev_inflight (dev), 0);
  vb_dev_close (dev);
  server_stop (&s);
}

/* A server that answers slower than timeout=: the request fails with
 * ETIMEDOUT in bounded time, and so does every later one, at once.
 */
static void
test_nbd_timeout (void **state)
{
  static const char *const args[] = {
    "--filter=delay", "memory", "1M", "rdelay=20", NULL
  };
  struct server s;
  struct vb_dev_opts o = opts (2, 4);
  struct vb_dev *dev;
  char buf[4096];
  uint64_t t0;

  (void) state;
  o.timeout_ms = 300;
  dev = server_open (&s, args, &o);
  t0 = vb_now_ns ();
  assert_int_equal (one (dev, VB_OP_READ, buf, sizeof buf, 0), ETIMEDOUT);
  /* At least the timeout, far less than the server's 20 s. */
  assert_true (vb_now_ns () - t0 >= 300 * 1000000ull);
  assert_true (vb_now_ns () - t0 < 10 * 1000000000ull);
  assert_int_equal (one (dev, VB_OP_READ, buf, sizeof buf, 0), ETIMEDOUT);
  vb_dev_close (dev);
  server_stop (&s);
}

/* The server dies with requests in flight: they fail, none hangs. */
static void
test_nbd_server_dies (void **state)
{
  static const char *const args[] = {
    "--filter=delay", "memory", "1M", "rdelay=2", NULL
  };
  struct server s;
  struct vb_dev_opts o = opts (2, 8);
  struct vb_dev *dev;
  struct vb_req reqs[8], *out[8];
  static char bufs[8][4096];
  unsigned got = 0;

  (void) state;
  dev = server_open (&s, args, &o);
  memset (reqs, 0, sizeof reqs);
  for (int i = 0; i < 8; i++) {
    reqs[i] = (struct vb_req) { .op = VB_OP_READ, .buf = bufs[i],
                                .len = 4096, .offset = 4096 * i };
    assert_int_equal (vb_dev_submit (dev, &reqs[i]), 0);
  }
  usleep (100000);
  kill (s.pid, SIGKILL);
  while (got < 8) {
    unsigned n = vb_dev_reap (dev, out, 1, 8, 5000000000LL);

    if (n == 0)
      fail_msg ("requests still pending 5 s after the server died");
    for (unsigned i = 0; i < n; i++)
      assert_int_not_equal (out[i]->error, 0);
    got += n;
  }
  /* Later requests fail at once. */
  assert_int_not_equal (one (dev, VB_OP_READ, bufs[0], 4096, 0), 0);
  vb_dev_close (dev);
  server_stop (&s);
}

static void
test_nbd_errors (void **state)
{
  struct vb_dev_opts o = opts (1, 1);
  struct vb_dev *dev;

  (void) state;
  dev = vb_dev_open ("nbd+unix:///?socket=/nonexistent/nbd.sock", &o);
  assert_null (dev);
  assert_non_null (strstr (vb_get_error (), "/nonexistent/nbd.sock"));
  /* Port 1 on loopback: nobody listens there. */
  dev = vb_dev_open ("nbd://127.0.0.1:1", &o);
  assert_null (dev);
  assert_non_null (strstr (vb_get_error (), "127.0.0.1:1"));
  assert_non_null (strstr (vb_get_error (), "refused"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    /* First: its children must not inherit a loaded memory plugin. */
    cmocka_unit_test (test_plugin_errors),
    cmocka_unit_test (test_plugin_memory),
    cmocka_unit_test (test_plugin_shared_instance),
    cmocka_unit_test (test_plugin_workers),
    cmocka_unit_test (test_plugin_file),
    cmocka_unit_test (test_nbd_unix),
    cmocka_unit_test (test_nbd_multiconn),
    cmocka_unit_test (test_nbd_timeout),
    cmocka_unit_test (test_nbd_server_dies),
    cmocka_unit_test (test_nbd_errors),
  };

  signal (SIGPIPE, SIG_IGN);
  return cmocka_run_group_tests (tests, NULL, NULL);
}
