/* target_nbd_unix.c: nbdkit serving the stack's plugin on a Unix socket
 * in the run's private directory; viper over NBD.
 */
#include <stdlib.h>

#include "internal.h"

static const char *const tools[] = { "fio", "nbdkit", NULL };
static const char *const packages[] = { "fio", "nbdkit", NULL };

static int
nbd_unix_start (struct run *run, struct layer *l)
{
  if (nbdkit_start (run, l, 0) == -1)
    return -1;
  l->engine_lines = xasprintf ("ioengine=external:%s\n"
                               "uri=nbd+unix:///?socket=%s\n"
                               "conns=%u\nrequest_timeout=%u\n",
                               run->engine, l->socket, run->st->conns,
                               run->st->request_timeout_ms);
  return 0;
}

static void
nbd_unix_stop (struct run *run, struct layer *l)
{
  (void) run;
  layer_stop_children (l);
}

const struct target target_nbd_unix = {
  .name = "nbd-unix",
  .description = "nbdkit on a Unix socket, viper over NBD",
  .tools = tools,
  .packages = packages,
  .uses_plugin = true,
  .start = nbd_unix_start,
  .stop = nbd_unix_stop,
};
