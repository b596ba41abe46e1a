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
  char *uri, *client = xasprintf ("the viper engine's NBD client (conns=%u "
                                   "per job) and the Unix socket",
                                   run->st->conns);
  int r = nbdkit_start (run, l, 0, client);

  free (client);
  if (r == -1)
    return -1;
  nbdkit_set_capacity (run, l, run->sc->jobs * run->st->conns, 0, NULL);
  uri = xasprintf ("nbd+unix:///?socket=%s", l->socket);
  layer_set_nbd_engine (run, l, uri);
  free (uri);
  return 0;
}

const struct target target_nbd_unix = {
  .name = "nbd-unix",
  .description = "nbdkit on a Unix socket, viper over NBD",
  .servers = 1,
  .tools = tools,
  .packages = packages,
  .uses_plugin = true,
  .start = nbd_unix_start,
  .stop = layer_stop_children,
};
