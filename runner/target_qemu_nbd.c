/* target_qemu_nbd.c: the nbd-unix export re-exported through QEMU's block
 * layer: qemu-nbd opens nbdkit's socket with QEMU's own NBD client (at
 * most 16 requests in flight per connection, as under a VM) and serves
 * it on a second socket that viper drives.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static const char *const tools[] = { "fio", "nbdkit", "qemu-nbd", NULL };
static const char *const packages[] = { "fio", "nbdkit", "qemu-utils", NULL };

/* "qemu": { "shared": 64 }: qemu-nbd's --shared (clients at once). */
static const char *const keys[] = { "qemu", NULL };
static const char *const qemu_keys[] = { "shared" };

struct qemu_nbd_conf {
  unsigned shared;
};

static int
qemu_nbd_configure (const struct stack *st, void **conf)
{
  struct qemu_nbd_conf *c = xcalloc (1, sizeof *c);
  const cJSON *sub = cJSON_GetObjectItemCaseSensitive (st->json, "qemu"), *e;

  *conf = c;
  c->shared = 64;
  if (sub == NULL)
    return 0;
  if (!cJSON_IsObject (sub)) {
    stack_bad (st, NULL, "qemu", "expected an object like {\"shared\": 64}");
    return -1;
  }
  cJSON_ArrayForEach (e, sub)
    if (strcmp (e->string, qemu_keys[0]) != 0) {
      stack_bad (st, sub, e->string, "unknown key in qemu");
      return -1;
    }
  return stack_get_uint (st, sub, "shared", 1, 1024, &c->shared);
}

static int
qemu_nbd_start (struct run *run, struct layer *l)
{
  const struct qemu_nbd_conf *c = stack_conf (run->st, &target_qemu_nbd);
  char *front, *opts, *shared;
  int r;

  /* QEMU's NBD server takes at most 16 requests per client at a time,
   * its NBD client sends at most 16 per connection (MAX_NBD_REQUESTS).
   */
  if (nbdkit_start (run, l, 0, "qemu-nbd (QEMU's NBD server and its NBD "
                    "client: at most 16 requests in flight per connection "
                    "each)") == -1)
    return -1;
  front = xasprintf ("%s/qemu-nbd.sock", run->private_dir);
  unlink (front);               /* a sweep's previous point may leave it */
  opts = xasprintf ("driver=nbd,server.type=unix,server.path=%s", l->socket);
  shared = xasprintf ("--shared=%u", c->shared);
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
  .stack_keys = keys,
  .configure = qemu_nbd_configure,
  .start = qemu_nbd_start,
  .stop = layer_stop_children,
};
