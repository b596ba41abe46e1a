/* target_nbd_tcp.c: nbdkit serving the stack's plugin on 127.0.0.1 (the
 * stack's tcp_port, or a free one); viper over NBD/TCP.
 */
#include <stdlib.h>

#include "internal.h"

/* Defined at the end; its own settings are found through it. */
extern const struct target target_nbd_tcp;

static const char *const tools[] = { "fio", "nbdkit", NULL };
static const char *const packages[] = { "fio", "nbdkit", NULL };

/* "tcp_port": the port on 127.0.0.1 (0, the default: a free one). */
static const char *const keys[] = { "tcp_port", NULL };

struct nbd_tcp_conf {
  unsigned port;
};

static int
nbd_tcp_configure (const struct stack *st, void **conf)
{
  struct nbd_tcp_conf *c = xcalloc (1, sizeof *c);

  *conf = c;
  return stack_get_uint (st, st->json, "tcp_port", 0, 65535, &c->port);
}

/* A fixed port must be free before a record is claimed. */
static int
nbd_tcp_preflight (const struct stack *st)
{
  const struct nbd_tcp_conf *c = stack_conf (st, &target_nbd_tcp);

  if (c->port && !tcp_port_free ((int) c->port)) {
    vb_msg ("stack %s: tcp_port %u on 127.0.0.1 is in use", st->path,
            c->port);
    return -1;
  }
  return 0;
}

static int
nbd_tcp_start (struct run *run, struct layer *l)
{
  const struct nbd_tcp_conf *c = stack_conf (run->st, &target_nbd_tcp);
  int port = c->port ? (int) c->port : free_tcp_port ();
  char *uri, *client;
  int r;

  if (port <= 0) {
    vb_msg ("nbd-tcp: no free TCP port on 127.0.0.1");
    return -1;
  }
  client = xasprintf ("the viper engine's NBD client (conns=%u per job) "
                      "and TCP on 127.0.0.1", run->st->conns);
  r = nbdkit_start (run, l, port, client);
  free (client);
  if (r == -1)
    return -1;
  nbdkit_set_capacity (run, l, run->sc->jobs * run->st->conns, 0, NULL);
  uri = xasprintf ("nbd://127.0.0.1:%d", port);
  layer_set_nbd_engine (run, l, uri);
  free (uri);
  return 0;
}

const struct target target_nbd_tcp = {
  .name = "nbd-tcp",
  .description = "nbdkit on 127.0.0.1, viper over NBD/TCP",
  .servers = 1,
  .tools = tools,
  .packages = packages,
  .uses_plugin = true,
  .stack_keys = keys,
  .configure = nbd_tcp_configure,
  .preflight = nbd_tcp_preflight,
  .start = nbd_tcp_start,
  .stop = layer_stop_children,
};
