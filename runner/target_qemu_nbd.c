/* target_qemu_nbd.c: the nbd-unix export re-exported through QEMU's block
 * layer: qemu-nbd opens nbdkit's socket with QEMU's own NBD client (at
 * most 16 requests in flight per connection, as under a VM) and serves
 * it on a second socket that viper drives.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* Defined at the end; its own settings are found through it. */
extern const struct target target_qemu_nbd;

static const char *const tools[] = { "fio", "nbdkit", "qemu-nbd", NULL };
static const char *const packages[] = { "fio", "nbdkit", "qemu-utils", NULL };

/* The stack's "qemu" section (qemu_opts.c): shared, cache, aio. */
static const char *const keys[] = { "qemu", NULL };

static int
qemu_nbd_configure (const struct stack *st, void **conf)
{
  struct qemu_opts *q = xcalloc (1, sizeof *q);

  *conf = q;
  return qemu_opts_read (st, q);
}

static int
qemu_nbd_start (struct run *run, struct layer *l)
{
  const struct qemu_opts *q = stack_conf (run->st, &target_qemu_nbd);
  char *front, *opts, *shared, *cache = NULL, *aio = NULL;
  int r;

  /* QEMU's NBD server takes at most 16 requests per client at a time,
   * its NBD client sends at most 16 per connection (MAX_NBD_REQUESTS).
   */
  if (nbdkit_start (run, l, 0, "qemu-nbd (QEMU's NBD server and its NBD "
                    "client: at most 16 requests in flight per connection "
                    "each)") == -1)
    return -1;
  /* One connection from QEMU's NBD client (no multi-conn in QEMU 7.2). */
  nbdkit_set_capacity (run, l, 1, 16, "QEMU's NBD client (qemu-nbd): at "
                       "most 16 requests in flight per connection x 1 "
                       "connection");
  front = xasprintf ("%s/qemu-nbd.sock", run->private_dir);
  unlink (front);               /* a sweep's previous point may leave it */
  opts = xasprintf ("driver=nbd,server.type=unix,server.path=%s", l->socket);
  shared = xasprintf ("--shared=%u", q->shared);
  if (q->cache)
    cache = xasprintf ("--cache=%s", q->cache);
  if (q->aio)
    aio = xasprintf ("--aio=%s", q->aio);
  {
    const char *argv[12] = { "qemu-nbd", "--persistent", shared, "-k", front };
    size_t n = 5;

    if (cache)
      argv[n++] = cache;
    if (aio)
      argv[n++] = aio;
    argv[n++] = "--image-opts";
    argv[n++] = opts;

    r = layer_start_server (run, l, "qemu-nbd", argv, front, 0, NULL);
  }
  if (r == 0) {
    char *uri = xasprintf ("nbd+unix:///?socket=%s", front);

    layer_set_nbd_engine (run, l, uri);
    free (uri);
  }
  free (front);
  free (opts);
  free (shared);
  free (cache);
  free (aio);
  return r;
}

const struct target target_qemu_nbd = {
  .name = "qemu-nbd",
  .description = "qemu-nbd (QEMU's NBD client) in front of nbdkit",
  .servers = 2,
  .tools = tools,
  .packages = packages,
  .uses_plugin = true,
  .stack_keys = keys,
  .configure = qemu_nbd_configure,
  .free_conf = qemu_opts_free,
  .start = qemu_nbd_start,
  .stop = layer_stop_children,
};
