/* target_clients.c: the scenario run by several load clients through
 * fio's own client/server mode (`fio --client=HOST job ...` against a
 * `fio --server` with the viper engine on each), against one nbdkit
 * serving the stack's plugin as N volumes (exports vol1 .. volN), as N
 * VMs with a volume each would drive one store.
 *
 * The clients are namespaces this runner makes (clientns.c), or real
 * hosts the stack names.  Each volume runs the whole scenario (its jobs,
 * each with `conns` connections); volume v goes to client (v - 1) mod
 * the number of clients.  fio's client writes each client's jobs into
 * one JSON; fio_json_parse makes them the layer's jobs (the merged
 * figures from their summed bins) and the record keeps each client's.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Defined at the end; its own settings are found through it. */
extern const struct target target_clients;

static const char *const tools[] = { "fio", "nbdkit", "ip", NULL };
static const char *const packages[] = { "fio", "nbdkit", "iproute2", NULL };

/* "clients": { "count" | "hosts", "listen", "volumes", "port" } */
static const char *const keys[] = { "clients", NULL };
static const char *const ckeys[] = { "count", "hosts", "listen", "volumes",
                                     "port" };

struct clients_conf {
  bool given;                   /* the stack has "clients" */
  unsigned *counts;             /* namespace clients, a point each */
  size_t ncounts;
  char **hosts;                 /* or fio servers elsewhere */
  size_t nhosts;
  char *listen;                 /* nbdkit's address for them */
  unsigned *volumes;            /* a point each (none: one per client) */
  size_t nvolumes;
  unsigned port;                /* nbdkit's */
};

#define MAX_VOLUMES 1024
#define MAX_HOSTS NSNET_MAX
#define HUB_ADDR NSNET_PREFIX ".1"

/* Reads KEY of OBJ: a whole number within [LO, HI], or a list of them,
 * growing; into *V, *N (left as is when absent).  0 or -1.
 */
static int
get_list (const struct stack *st, const cJSON *obj, const char *key,
          unsigned lo, unsigned hi, unsigned **v, size_t *n)
{
  const cJSON *j = cJSON_GetObjectItemCaseSensitive (obj, key), *e;
  size_t k = 0;

  if (j == NULL)
    return 0;
  if (cJSON_IsNumber (j)) {
    unsigned one;

    if (stack_get_uint (st, obj, key, lo, hi, &one) == -1)
      return -1;
    *v = xcalloc (1, sizeof **v);
    (*v)[0] = one;
    *n = 1;
    return 0;
  }
  if (!cJSON_IsArray (j) || cJSON_GetArraySize (j) < 1 ||
      cJSON_GetArraySize (j) > 32) {
    stack_bad (st, obj, key, "expected a whole number from %u to %u, or a "
               "list of 1 to 32 of them (a sweep)", lo, hi);
    return -1;
  }
  *v = xcalloc ((size_t) cJSON_GetArraySize (j), sizeof **v);
  cJSON_ArrayForEach (e, j) {
    if (!cJSON_IsNumber (e) || !(e->valuedouble >= lo && e->valuedouble <= hi)
        || e->valuedouble != (double) (unsigned) e->valuedouble) {
      stack_bad (st, obj, key, "item %zu: expected a whole number from %u "
                 "to %u", k + 1, lo, hi);
      return -1;
    }
    (*v)[k] = (unsigned) e->valuedouble;
    if (k && (*v)[k] <= (*v)[k - 1]) {
      stack_bad (st, obj, key, "item %zu: the list must grow (%u after %u)",
                 k + 1, (*v)[k], (*v)[k - 1]);
      return -1;
    }
    *n = ++k;
  }
  return 0;
}

/* A fio server as fio --client takes it: HOST, HOST,PORT, ip:ADDR,PORT
 * or ip6:ADDR,PORT, in letters, digits and . : , - _ (no '=', no space,
 * no leading '-').
 */
static bool
host_ok (const char *s)
{
  size_t n = strlen (s);

  return n > 0 && n < 256 && s[0] != '-' && s[0] != ',' &&
    strspn (s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
            "0123456789.:,-_[]") == n;
}

static void
clients_free_conf (void *conf)
{
  struct clients_conf *c = conf;

  if (c == NULL)
    return;
  free (c->counts);
  free (c->volumes);
  strv_free (c->hosts, c->nhosts);
  free (c->listen);
  free (c);
}

static int
clients_configure (const struct stack *st, void **conf)
{
  struct clients_conf *c = xcalloc (1, sizeof *c);
  const cJSON *obj = cJSON_GetObjectItemCaseSensitive (st->json, "clients");
  const cJSON *hosts, *listen;
  unsigned port = 10809;

  *conf = c;
  c->port = port;
  if (obj == NULL)
    return 0;
  if (!cJSON_IsObject (obj)) {
    stack_bad (st, NULL, "clients", "expected an object: {\"count\": 3} "
               "(namespace clients made here) or {\"hosts\": [...], "
               "\"listen\": ADDRESS} (fio servers elsewhere)");
    return -1;
  }
  if (stack_check_keys (st, obj, ckeys, sizeof ckeys / sizeof *ckeys,
                        "in clients", NULL) == -1 ||
      get_list (st, obj, "count", 1, NSNET_MAX, &c->counts, &c->ncounts) == -1
      || get_list (st, obj, "volumes", 1, MAX_VOLUMES, &c->volumes,
                   &c->nvolumes) == -1 ||
      stack_get_uint (st, obj, "port", 1, 65535, &port) == -1)
    return -1;
  c->port = port;
  c->given = true;
  hosts = cJSON_GetObjectItemCaseSensitive (obj, "hosts");
  listen = cJSON_GetObjectItemCaseSensitive (obj, "listen");
  if (hosts && c->ncounts) {
    stack_bad (st, obj, "hosts", "give either count (clients made here) or "
               "hosts (fio servers elsewhere), not both");
    return -1;
  }
  if (hosts) {
    const cJSON *h;

    if (!cJSON_IsArray (hosts) || cJSON_GetArraySize (hosts) < 1 ||
        cJSON_GetArraySize (hosts) > MAX_HOSTS) {
      stack_bad (st, obj, "hosts", "expected a list of 1 to %d fio servers "
                 "(\"HOST\", \"HOST,PORT\", \"ip:ADDRESS,PORT\")", MAX_HOSTS);
      return -1;
    }
    c->hosts = xcalloc ((size_t) cJSON_GetArraySize (hosts), sizeof *c->hosts);
    cJSON_ArrayForEach (h, hosts) {
      if (!cJSON_IsString (h) || !host_ok (h->valuestring)) {
        stack_bad (st, obj, "hosts", "item %zu: expected a fio server as "
                   "fio --client takes it (\"HOST\", \"HOST,PORT\", "
                   "\"ip:ADDRESS,PORT\": letters, digits, . : , - _)",
                   c->nhosts + 1);
        return -1;
      }
      c->hosts[c->nhosts++] = xstrdup (h->valuestring);
    }
    if (!cJSON_IsString (listen)) {
      stack_bad (st, obj, "hosts", "needs \"listen\": the address of this "
                 "machine the fio servers reach nbdkit at (nbdkit listens "
                 "there only)");
      return -1;
    }
  }
  if (listen) {
    struct in_addr a;

    if (!hosts) {
      stack_bad (st, obj, "listen", "only with hosts: namespace clients "
                 "reach nbdkit in the hub's own network");
      return -1;
    }
    if (!cJSON_IsString (listen) ||
        inet_pton (AF_INET, listen->valuestring, &a) != 1) {
      stack_bad (st, obj, "listen", "expected an IPv4 address of this "
                 "machine, like 192.0.2.10");
      return -1;
    }
    c->listen = xstrdup (listen->valuestring);
  }
  if (!hosts && !c->ncounts) {
    stack_bad (st, NULL, "clients", "give count (namespace clients made "
               "here) or hosts (fio servers elsewhere)");
    return -1;
  }
  /* Every point must give each client a volume. */
  for (size_t i = 0; i < (c->ncounts ? c->ncounts : 1); i++)
    for (size_t k = 0; k < c->nvolumes; k++) {
      unsigned n = c->ncounts ? c->counts[i] : (unsigned) c->nhosts;

      if (c->volumes[k] < n) {
        stack_bad (st, obj, "volumes", "%u volumes for %u clients: each "
                   "client drives at least one volume", c->volumes[k], n);
        return -1;
      }
    }
  return 0;
}

/* Connects to the fio server H (as fio --client takes it) within 5 s;
 * 0, or -1 with *WHY set.
 */
static int
reach (const char *h, const char **why)
{
  char *host = xstrdup (h + (strncmp (h, "ip:", 3) == 0 ? 3
                             : strncmp (h, "ip6:", 4) == 0 ? 4 : 0));
  char *comma = strrchr (host, ',');
  const char *port = "8765";
  struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
  int r = -1, e;

  if (comma) {
    *comma = '\0';
    port = comma + 1;
  }
  if ((e = getaddrinfo (host, port, &hints, &ai)) != 0) {
    *why = gai_strerror (e);
    free (host);
    return -1;
  }
  *why = "no address";
  for (struct addrinfo *a = ai; a && r == -1; a = a->ai_next) {
    int fd = socket (a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                     0);
    struct pollfd pfd = { .fd = fd, .events = POLLOUT };
    int err = 0;
    socklen_t len = sizeof err;

    if (fd == -1)
      continue;
    if (connect (fd, a->ai_addr, a->ai_addrlen) == 0)
      r = 0;
    else if (errno != EINPROGRESS)
      *why = strerror (errno);
    else if (poll (&pfd, 1, 5000) != 1)
      *why = "no answer within 5 s";
    else if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err)
      *why = strerror (err);
    else
      r = 0;
    close (fd);
  }
  freeaddrinfo (ai);
  free (host);
  return r;
}

/* The stack must say how the clients are had; hosts must answer. */
static int
clients_preflight (const struct stack *st)
{
  const struct clients_conf *c = stack_conf (st, &target_clients);

  if (!c->given) {
    vb_msg ("stack %s: layer fio-clients needs a \"clients\" object: "
            "{\"count\": 3} or {\"hosts\": [...], \"listen\": ADDRESS}",
            st->path);
    return -1;
  }
  for (size_t k = 0; k < c->nhosts; k++) {
    const char *why;

    if (reach (c->hosts[k], &why) == -1) {
      vb_msg ("stack %s: clients.hosts[%zu]: fio server %s cannot be "
              "reached: %s (is `fio --server` running there?)", st->path, k,
              c->hosts[k], why);
      return -1;
    }
  }
  return 0;
}

struct clients_state {
  struct nsnet net;
  bool ns;
  size_t n;                     /* clients */
  unsigned volumes;
  char **addr, **name;          /* each client's server and name */
  char *uri_line;               /* "uri=...vol1\n" as the job has it */
  char *server;                 /* nbdkit's ADDRESS:PORT */
};

/* The clients and volumes of the point being run. */
static void
point (const struct run *run, const struct clients_conf *c, size_t *n,
       unsigned *volumes)
{
  const cJSON *m = run->scale_at ? run->scale_at->marks : NULL;

  *n = c->nhosts ? c->nhosts
    : m ? (size_t) json_num (cJSON_GetObjectItem (m, "client_count"))
    : c->counts[0];
  *volumes = m ? (unsigned) json_num (cJSON_GetObjectItem (m, "volumes"))
    : c->nvolumes ? c->volumes[0] : (unsigned) *n;
}

static int
clients_start (struct run *run, struct layer *l)
{
  const struct clients_conf *c = stack_conf (run->st, &target_clients);
  struct clients_state *s = xcalloc (1, sizeof *s);
  const char *ip;
  char *uri, *client, *work;
  cJSON *setup, *arr;
  int r;

  l->priv = s;
  point (run, c, &s->n, &s->volumes);
  s->ns = c->nhosts == 0;
  s->addr = xcalloc (s->n, sizeof *s->addr);
  s->name = xcalloc (s->n, sizeof *s->name);
  if (s->ns) {
    work = xasprintf ("%s/clients", run->private_dir);
    if (mkdir (work, 0700) == -1 && errno != EEXIST) {
      vb_msg ("mkdir %s: %s", work, strerror (errno));
      free (work);
      return -1;
    }
    fprintf (stderr, "viperbench: clients: %zu namespace clients, %u "
             "volumes\n", s->n, s->volumes);
    r = nsnet_start (&s->net, s->n, l->dir, work, pin_fio (run),
                     run->st->ready_timeout);
    free (work);
    if (r == -1)
      return -1;
    for (size_t k = 0; k < s->n; k++) {
      s->addr[k] = xasprintf ("ip:%s,%d", s->net.cl[k].addr, NSNET_FIO_PORT);
      s->name[k] = xstrdup (s->net.cl[k].name);
    }
    ip = HUB_ADDR;
  }
  else {
    for (size_t k = 0; k < s->n; k++) {
      s->addr[k] = xstrdup (c->hosts[k]);
      s->name[k] = xasprintf ("c%zu", k + 1);
    }
    ip = c->listen;
  }
  client = xasprintf ("fio --client's %zu fio servers (%u volumes x %u "
                      "jobs x conns=%u) over TCP to %s:%u", s->n, s->volumes,
                      run->sc->jobs, run->st->conns, ip, c->port);
  r = nbdkit_start_at (run, l, ip, (int) c->port, s->ns ? s->net.hub : 0,
                       client);
  free (client);
  if (r == -1)
    return -1;
  nbdkit_set_capacity (run, l, s->volumes * run->sc->jobs * run->st->conns, 0,
                       NULL);
  s->server = xasprintf ("%s:%u", ip, c->port);
  uri = xasprintf ("nbd://%s:%u/vol1", ip, c->port);
  layer_set_nbd_engine (run, l, uri);
  s->uri_line = xasprintf ("uri=%s\n", uri);
  free (uri);

  setup = cJSON_CreateObject ();
  cJSON_AddStringToObject (setup, "clients_made", s->ns
                           ? "namespaces: each fio server in a network and "
                             "PID namespace of its own, a veth pair to the "
                             "hub's bridge" : "hosts named by the stack");
  cJSON_AddStringToObject (setup, "server", s->server);
  cJSON_AddNumberToObject (setup, "volumes", s->volumes);
  cJSON_AddNumberToObject (setup, "connections",
                           (double) s->volumes * run->sc->jobs *
                           run->st->conns);
  arr = cJSON_AddArrayToObject (setup, "clients");
  for (size_t k = 0; k < s->n; k++) {
    cJSON *o = cJSON_CreateObject (), *v = cJSON_CreateArray ();

    cJSON_AddStringToObject (o, "name", s->name[k]);
    cJSON_AddStringToObject (o, "fio_server", s->addr[k]);
    for (unsigned vol = 1; vol <= s->volumes; vol++)
      if ((vol - 1) % s->n == k) {
        char *name = xasprintf ("vol%u", vol);

        cJSON_AddItemToArray (v, cJSON_CreateString (name));
        free (name);
      }
    cJSON_AddItemToObject (o, "volumes", v);
    cJSON_AddItemToArray (arr, o);
  }
  l->setup = setup;
  return 0;
}

static void
clients_stop (struct run *run, struct layer *l)
{
  struct clients_state *s = l->priv;

  layer_stop_children (run, l);
  if (s == NULL)
    return;
  if (s->ns)
    nsnet_stop (&s->net);
  strv_free (s->addr, s->n);
  strv_free (s->name, s->n);
  free (s->uri_line);
  free (s->server);
  free (s);
  l->priv = NULL;
}

/* The connections nbdkit should hold once every job has connected. */
static unsigned
expected_conns (const struct run *run, const struct clients_state *s)
{
  return s->volumes * run->sc->jobs * run->st->conns;
}

/* Every job connected: nbdkit holds its listening socket and one per
 * connection.
 */
static bool
clients_jobs_running (struct run *run, struct layer *l)
{
  const struct clients_state *s = l->priv;
  double fds = 0, sockets = 0;

  if (l->nchild == 0 ||
      procfs_fds (l->child[0].pid, &fds, &sockets) == -1)
    return false;
  return sockets >= 1 + expected_conns (run, s);
}

/* A client whose fio server ended mid-run; -1 with a message naming it. */
static int
clients_check (struct run *run, struct layer *l)
{
  const struct clients_state *s = l->priv;
  const struct nsclient *dead;
  char how[96];

  (void) run;
  if (s == NULL || !s->ns ||
      (dead = nsnet_dead (&s->net, how, sizeof how)) == NULL)
    return 0;
  vb_msg ("clients: client %s's fio server (%s:%d) %s during the run (its "
          "output: %s); the run is stopped", dead->name, dead->addr,
          NSNET_FIO_PORT, how, dead->log);
  return -1;
}

/* Writes TEXT to PATH (0600, new); 0 or -1. */
static int
write_private (const char *path, const char *text)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                 0600);
  size_t len = strlen (text), off = 0;

  if (fd == -1)
    return -1;
  while (off < len) {
    ssize_t w = write (fd, text + off, len - off);

    if (w <= 0) {
      close (fd);
      return -1;
    }
    off += (size_t) w;
  }
  return close (fd);
}

/* In a child of the runner: a job file per volume (the layer's job with
 * its uri= pointed at that volume) in the private directory, then fio
 * --client with each client's files, in the hub's network.
 */
static int
clients_run_job (struct run *run, struct layer *l, const char *job,
                 const char *json)
{
  const struct clients_state *s = l->priv;
  const char *at = strstr (job, s->uri_line);
  size_t argc = 0, max = 4 + s->n + s->volumes;
  const char **argv = xcalloc (max + 1, sizeof *argv);
  char *out = xasprintf ("--output=%s", json);

  if (at == NULL) {
    dprintf (2, "viperbench: clients: the job has no %s", s->uri_line);
    return 125;
  }
  argv[argc++] = "fio";
  argv[argc++] = "--output-format=json+";
  argv[argc++] = out;
  for (size_t k = 0; k < s->n; k++) {
    argv[argc++] = xasprintf ("--client=%s", s->addr[k]);
    for (unsigned vol = (unsigned) k + 1; vol <= s->volumes;
         vol += (unsigned) s->n) {
      char *path = xasprintf ("%s/clients-vol%u.fio", run->private_dir, vol);
      char *text = xasprintf ("%.*suri=nbd://%s/vol%u\n%s",
                              (int) (at - job), job, s->server, vol,
                              at + strlen (s->uri_line));

      if (write_private (path, text) == -1) {
        dprintf (2, "viperbench: clients: writing %s: %s\n", path,
                 strerror (errno));
        return 125;
      }
      free (text);
      argv[argc++] = path;
    }
  }
  /* fio's client writes the clients' histogram logs where it runs. */
  if (chdir (l->dir) == -1) {
    dprintf (2, "viperbench: chdir %s: %s\n", l->dir, strerror (errno));
    return 125;
  }
  if (s->ns && netns_join (s->net.hub) == -1) {
    dprintf (2, "viperbench: joining the hub's network: %s\n",
             strerror (errno));
    return 125;
  }
  execvp ("fio", (char *const *) argv);
  dprintf (2, "viperbench: exec fio: %s\n", strerror (errno));
  return 125;
}

/* The points of a scale sweep: each count of clients with each count of
 * volumes (none given: as many as clients), when either list has more
 * than one; 0 otherwise.
 */
static size_t
clients_scale_points (const struct stack *st, struct scale_point **out)
{
  const struct clients_conf *c = stack_conf (st, &target_clients);
  size_t nc, nv, n = 0;

  *out = NULL;
  if (c == NULL || !c->given)
    return 0;
  nc = c->ncounts ? c->ncounts : 1;
  nv = c->nvolumes ? c->nvolumes : 1;
  if (nc * nv < 2)
    return 0;
  *out = xcalloc (nc * nv, sizeof **out);
  for (size_t i = 0; i < nc; i++)
    for (size_t k = 0; k < nv; k++) {
      unsigned cl = c->ncounts ? c->counts[i] : (unsigned) c->nhosts;
      unsigned vol = c->nvolumes ? c->volumes[k] : cl;
      struct scale_point *p = &(*out)[n++];

      p->marks = cJSON_CreateObject ();
      cJSON_AddNumberToObject (p->marks, "client_count", cl);
      cJSON_AddNumberToObject (p->marks, "volumes", vol);
      p->name = xasprintf ("c%u-v%u", cl, vol);
      p->words = xasprintf ("%u clients, %u volumes", cl, vol);
    }
  return n;
}

/* Each load client's share of a layer fio ran with --client: its read
 * and write figures (from its own jobs' bins), keyed by the name the
 * target gave it in SETUP, and how evenly the load was shared (min/max
 * of the clients' IOPS, and Jain's index: (sum x)^2 / (n sum x^2), 1
 * when all are equal, 1/n when one client did everything).  NULL when
 * fio ran here.
 */
static cJSON *
clients_json (const char *dir, const cJSON *setup, cJSON **fair)
{
  char *path = xasprintf ("%s/fio.json", dir);
  char *text = read_file (path, NULL);
  cJSON *doc = text ? fio_json_parse (text) : NULL, *arr = NULL;
  struct fio_client *c;
  size_t n;

  *fair = NULL;
  free (text);
  free (path);
  n = fio_clients_split (cJSON_GetObjectItemCaseSensitive (doc, "jobs"), &c);
  if (n > 0) {
    double sum = 0, sq = 0, lo = INFINITY, hi = 0;

    cJSON **made = xcalloc (n, sizeof *made);
    size_t *rank = xcalloc (n, sizeof *rank);

    arr = cJSON_CreateArray ();
    for (size_t i = 0; i < n; i++) {
      cJSON *o = cJSON_CreateObject (), *sc;
      const char *name = NULL;
      char *server = xasprintf ("%s,%d", c[i].host, c[i].port);
      double x = c[i].res.read.iops + c[i].res.write.iops;
      size_t pos = 0;

      /* The target's name for it: the fio server it was given; in the
       * target's order (fio's is the order they finished).
       */
      rank[i] = SIZE_MAX / 2 + i;
      cJSON_ArrayForEach (sc, cJSON_GetObjectItem (setup, "clients")) {
        const char *fs = json_str (cJSON_GetObjectItem (sc, "fio_server"), "");

        /* "ip:ADDRESS,PORT", "HOST,PORT", or "HOST" (port 8765). */
        fs += strncmp (fs, "ip:", 3) == 0 ? 3
          : strncmp (fs, "ip6:", 4) == 0 ? 4 : 0;
        if (strcmp (fs, server) == 0 ||
            (strchr (fs, ',') == NULL && strcmp (fs, c[i].host) == 0))
        {
          name = json_str (cJSON_GetObjectItem (sc, "name"), NULL);
          rank[i] = pos;
        }
        pos++;
      }
      cJSON_AddStringToObject (o, "name", name ? name : server);
      cJSON_AddStringToObject (o, "fio_server", server);
      cJSON_AddNumberToObject (o, "jobs", c[i].jobs);
      cJSON_AddItemToObject (o, "read", record_dir_json (&c[i].res.read, NULL));
      cJSON_AddItemToObject (o, "write", record_dir_json (&c[i].res.write, NULL));
      made[i] = o;
      free (server);
      sum += x;
      sq += x * x;
      lo = x < lo ? x : lo;
      hi = x > hi ? x : hi;
    }
    for (size_t k = 0; k < n; k++) {
      size_t best = n;

      for (size_t i = 0; i < n; i++)
        if (made[i] && (best == n || rank[i] < rank[best]))
          best = i;
      cJSON_AddItemToArray (arr, made[best]);
      made[best] = NULL;
    }
    free (made);
    free (rank);
    *fair = cJSON_CreateObject ();
    cJSON_AddNumberToObject (*fair, "clients", (double) n);
    cJSON_AddNumberToObject (*fair, "iops_min", lo);
    cJSON_AddNumberToObject (*fair, "iops_max", hi);
    if (hi > 0) {
      cJSON_AddNumberToObject (*fair, "min_over_max", lo / hi);
      cJSON_AddNumberToObject (*fair, "jain", sum * sum / ((double) n * sq));
    }
  }
  fio_clients_free (c, n);
  cJSON_Delete (doc);
  return arr;
}

/* The record's "clients" (each client's share) and "fairness". */
static void
clients_record (struct run *run, struct layer *l, cJSON *t)
{
  cJSON *fair, *cl = clients_json (l->dir, cJSON_GetObjectItem (t, "setup"),
                                   &fair);

  if (cl) {
    cJSON_AddItemToObject (t, "clients", cl);
    cJSON_AddItemToObject (t, "fairness", fair);
  }
  /* A point of a scale sweep: the connections its load made. */
  if (run->scale_at)
    cJSON_AddNumberToObject (t, "connections", json_num (cJSON_GetObjectItem (
      cJSON_GetObjectItem (t, "setup"), "connections")));
}

const struct target target_clients = {
  .name = "fio-clients",
  .description = "fio --client's load clients, viper over NBD/TCP to "
                 "nbdkit serving a volume per VM",
  .servers = 1,
  .named_only = true,
  .tools = tools,
  .packages = packages,
  .uses_plugin = true,
  .stack_keys = keys,
  .configure = clients_configure,
  .free_conf = clients_free_conf,
  .preflight = clients_preflight,
  .start = clients_start,
  .stop = clients_stop,
  .run_job = clients_run_job,
  .jobs_running = clients_jobs_running,
  .check = clients_check,
  .scale_points = clients_scale_points,
  .record = clients_record,
  .fio_command = "fio --output-format=json+ --output=fio.json "
                 "--client=SERVER clients-volN.fio ... (one job file per "
                 "volume; setup.clients)",
};
