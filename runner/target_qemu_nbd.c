/* target_qemu_nbd.c: the nbd-unix export re-exported through QEMU's block
 * layer: qemu-nbd opens nbdkit's socket with QEMU's own NBD client (at
 * most 16 requests in flight per connection, as under a VM) and serves
 * it on a second socket that viper drives.
 */
#include <stdlib.h>

#include "internal.h"

static const char *const tools[] = { "fio", "nbdkit", "qemu-nbd", NULL };
static const char *const packages[] = { "fio", "nbdkit", "qemu-utils", NULL };

static int
qemu_nbd_start (struct run *run, struct layer *l)
{
  char *front, *opts, *shared;
  int r;

  if (nbdkit_start (run, l, 0) == -1)
    return -1;
  front = xasprintf ("%s/qemu-nbd.sock", run->private_dir);
  opts = xasprintf ("driver=nbd,server.type=unix,server.path=%s", l->socket);
  shared = xasprintf ("--shared=%u", run->st->qemu_shared);
  {
    const char *argv[] = {
      "qemu-nbd", "--persistent", shared, "-k", front, "--image-opts", opts,
      NULL,
    };

    r = layer_start_server (run, l, "qemu-nbd", argv, front, 0);
  }
  if (r == 0) {
    char *uri = xasprintf ("nbd+unix:///?socket=%s", front);

    layer_set_nbd_engine (run, l, uri);
    free (uri);
  }
  free (front);
  free (opts);
  free (shared);
  return r;
}

const struct target target_qemu_nbd = {
  .name = "qemu-nbd",
  .description = "qemu-nbd (QEMU's NBD client) in front of nbdkit",
  .tools = tools,
  .packages = packages,
  .uses_plugin = true,
  .start = qemu_nbd_start,
  .stop = layer_stop_children,
};
