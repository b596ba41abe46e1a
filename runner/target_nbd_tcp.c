/* target_nbd_tcp.c: nbdkit serving the stack's plugin on 127.0.0.1 (the
 * stack's tcp_port, or a free one); viper over NBD/TCP.
 */
#include <stdlib.h>

#include "internal.h"

static const char *const tools[] = { "fio", "nbdkit", NULL };
static const char *const packages[] = { "fio", "nbdkit", NULL };

static int
nbd_tcp_start (struct run *run, struct layer *l)
{
  int port = run->st->tcp_port ? run->st->tcp_port : free_tcp_port ();
  char *uri;

  if (port <= 0) {
    vb_msg ("nbd-tcp: no free TCP port on 127.0.0.1");
    return -1;
  }
  if (nbdkit_start (run, l, port) == -1)
    return -1;
  uri = xasprintf ("nbd://127.0.0.1:%d", port);
  layer_set_nbd_engine (run, l, uri);
  free (uri);
  return 0;
}

const struct target target_nbd_tcp = {
  .name = "nbd-tcp",
  .description = "nbdkit on 127.0.0.1, viper over NBD/TCP",
  .tools = tools,
  .packages = packages,
  .uses_plugin = true,
  .start = nbd_tcp_start,
  .stop = layer_stop_children,
};
