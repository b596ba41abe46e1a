/* nbdkit.c: starting nbdkit with the stack's plugin for the server-based
 * targets (nbd-unix, nbd-tcp, qemu-nbd), and stopping a layer's children.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* ARGV as one line with secrets redacted, for the record. */
static char *
argv_text (const char *const *argv)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = xopen_memstream (&buf, &len);

  for (size_t i = 0; argv[i]; i++) {
    char *a = xstrdup (argv[i]);

    redact_kv (a);
    fprintf (f, "%s%s", i ? " " : "", a);
    free (a);
  }
  xclose_memstream (f);
  return buf;
}

/* The last non-empty line of a log; see internal.h. */
char *
log_tail (const char *path)
{
  char *text = read_file (path, NULL), *end, *start;

  if (text == NULL)
    return xstrdup ("(no log)");
  end = text + strlen (text);
  while (end > text && (end[-1] == '\n' || end[-1] == ' '))
    *--end = '\0';
  start = strrchr (text, '\n');
  start = xstrdup (start ? start + 1 : (*text ? text : "(empty log)"));
  free (text);
  return start;
}

/* Starts ARGV as a server of L named ROLE, waits until it accepts on
 * SOCKET (or 127.0.0.1:PORT); 0 or -1 with a message.  FD3_LOG: a log
 * of what it writes on fd 3, or NULL.
 */
static int
start_server (struct run *run, struct layer *l, const char *role,
              const char *const *argv, const char *socket, const char *ip,
              int port, pid_t netns_pid, const char *fd3_log)
{
  struct child *c = &l->child[l->nchild];
  struct spawn_opts o = { .netns_pid = netns_pid, .fd3_log = fd3_log };
  int r;

  if (l->nchild == MAX_CHILDREN)
    abort ();
  c->role = role;
  c->argv_text = argv_text (argv);
  c->log = xasprintf ("%s/%s.log", l->dir, role);
  o.log_path = c->log;
  o.cpus = pin_server (run, l->nchild);
  {
    static unsigned seq;
    char name[96];

    snprintf (name, sizeof name, "%s-%s-%u", l->t->name, role, seq++);
    if (cgroup_make (name, &c->cg) == 0)
      o.cgroup = &c->cg;
  }
  c->pid = proc_spawn (argv, &o);
  if (c->pid == -1) {
    cgroup_remove (&c->cg);
    return -1;
  }
  l->nchild++;
  if (socket)
    r = proc_wait_unix (socket, c->pid, run->st->ready_timeout);
  else
    r = proc_wait_tcp_at (ip, port, c->pid, run->st->ready_timeout,
                          netns_pid);
  if (r == -1) {
    char *tail;

    if (stop_requested)
      return -1;
    tail = log_tail (c->log);
    if (proc_alive (c->pid))
      vb_msg ("%s: %s did not become ready within %.0f s (%s): %s",
              l->t->name, role, run->st->ready_timeout,
              socket ? socket : ip, tail);
    else
      vb_msg ("%s: %s exited before it was ready: %s", l->t->name, role, tail);
    free (tail);
    return -1;
  }
  return 0;
}

int
layer_start_server (struct run *run, struct layer *l, const char *role,
                    const char *const *argv, const char *socket, int port,
                    const char *fd3_log)
{
  return start_server (run, l, role, argv, socket, "127.0.0.1", port, 0,
                       fd3_log);
}

/* Builds nbdkit's command line for the stack; see internal.h. */
void
nbdkit_argv_build (struct nbdkit_argv *a, const struct stack *st,
                   const char *const *head, bool with_options,
                   const struct nbdkit_probes *probes,
                   const char *const *tail)
{
  size_t n = 0, max = 16 + st->nfilters + st->nnbdkit_args +
                      st->nplugin_args + st->nfilter_args;
  char *dir = probes ? companion_dir () : NULL;

#define OWN(expr) (a->owned[a->nowned++] = (expr))
  for (size_t i = 0; head[i]; i++) max++;
  for (size_t i = 0; tail[i]; i++) max++;
  a->argv = xcalloc (max, sizeof *a->argv);
  a->owned = xcalloc (max, sizeof *a->owned);
  a->nowned = 0;
  a->argv[n++] = "nbdkit";
  for (size_t i = 0; head[i]; i++)
    a->argv[n++] = head[i];
  /* The first --filter is the outermost: nearest the client. */
  if (probes && probes->outer)
    a->argv[n++] = OWN (xasprintf ("--filter=%s/probe.so", dir ? dir : "."));
  for (size_t i = 0; i < st->nfilters; i++)
    a->argv[n++] = OWN (xasprintf ("--filter=%s", st->filters[i]));
  if (probes && probes->inner)
    a->argv[n++] = OWN (xasprintf ("--filter=%s/probe-inner.so",
                                   dir ? dir : "."));
  for (size_t i = 0; with_options && i < st->nnbdkit_args; i++)
    a->argv[n++] = st->nbdkit_args[i];
  a->argv[n++] = st->plugin;
  for (size_t i = 0; i < st->nplugin_args; i++)
    a->argv[n++] = st->plugin_args[i];
  for (size_t i = 0; i < st->nfilter_args; i++)
    a->argv[n++] = st->filter_args[i];
  if (probes && probes->outer) {
    a->argv[n++] = OWN (xasprintf ("probe-file=%s", probes->outer));
    a->argv[n++] = "probe-name=nbdkit";
  }
  if (probes && probes->inner) {
    a->argv[n++] = OWN (xasprintf ("probe-inner-file=%s", probes->inner));
    a->argv[n++] = "probe-inner-name=plugin";
  }
  for (size_t i = 0; tail[i]; i++)
    a->argv[n++] = tail[i];
  a->argv[n] = NULL;
#undef OWN
  free (dir);
}

void
nbdkit_argv_free (struct nbdkit_argv *a)
{
  for (size_t i = 0; i < a->nowned; i++)
    free (a->owned[i]);
  free (a->owned);
  free (a->argv);
}

/* nbdkit's thread model for the stack as it stands (its filters
 * included), from nbdkit --dump-plugin; a string to free, or NULL.
 */
static char *
nbdkit_thread_model_quiet (const struct stack *st, const char *private_dir)
{
  static const char *const head[] = { NULL };
  static const char *const tail[] = { "--dump-plugin", NULL };
  char *log = xasprintf ("%s/dump-plugin.log", private_dir);
  char *text = NULL, *model = NULL, *p;
  struct nbdkit_argv a;

  nbdkit_argv_build (&a, st, head, false, NULL, tail);
  if (proc_run (a.argv, st->ready_timeout, log, NULL) == 0)
    text = read_file (log, NULL);
  if (text) {
    for (p = text; p && !model; p = strchr (p, '\n'), p = p ? p + 1 : NULL)
      if (strncmp (p, "thread_model=", 13) == 0)
        model = xasprintf ("%.*s", (int) strcspn (p + 13, "\n"), p + 13);
  }
  free (text);
  unlink (log);
  free (log);
  nbdkit_argv_free (&a);
  return model;
}

/* nbdkit's thread model for the stack; see internal.h. */
char *
nbdkit_thread_model (const struct stack *st, bool with_filters,
                     const char *private_dir)
{
  struct stack bare = *st;
  char *model;

  if (!with_filters) {
    bare.nfilters = 0;
    bare.nfilter_args = 0;
  }
  model = nbdkit_thread_model_quiet (&bare, private_dir);
  if (model == NULL && !stop_requested)
    vb_warn ("stack %s: nbdkit --dump-plugin did not say the thread model",
             st->path);
  return model;
}

/* Filter NAME's own part of its help (nbdkit --filter=NAME null --help,
 * the lines before the null plugin's), or NULL; to free.
 */
static char *
filter_help (const char *name, const char *private_dir)
{
  char *opt = xasprintf ("--filter=%s", name);
  const char *const argv[] = { "nbdkit", opt, "null", "--help", NULL };
  char *log = xasprintf ("%s/filter-help.log", private_dir);
  char *text = NULL, *end;

  if (proc_run (argv, 10, log, NULL) == 0)
    text = read_file (log, NULL);
  if (text && (end = strstr (text, "\nplugin: null")))
    *end = '\0';
  unlink (log);
  free (log);
  free (opt);
  return text;
}

/* True when HELP has a line that starts "KEY=", KEY the part of ARG
 * ("key=value") before its '='.
 */
static bool
help_takes (const char *help, const char *arg)
{
  size_t klen = strcspn (arg, "=");

  for (const char *p = help; p; p = strchr (p, '\n'), p = p ? p + 1 : NULL)
    if (strncmp (p, arg, klen) == 0 && p[klen] == '=')
      return true;
  return false;
}

/* nbdkit's thread model of the stack with only its filter I and the
 * filter arguments that filter's help lists, or NULL.
 */
static char *
model_with_filter (const struct stack *st, size_t i, const char *private_dir)
{
  struct stack one = *st;
  char **args = xcalloc (st->nfilter_args + 1, sizeof *args);
  char *help = filter_help (st->filters[i], private_dir), *m;

  one.filters = &st->filters[i];
  one.nfilters = 1;
  one.nfilter_args = 0;
  for (size_t k = 0; help && k < st->nfilter_args; k++)
    if (help_takes (help, st->filter_args[k]))
      args[one.nfilter_args++] = st->filter_args[k];
  one.filter_args = args;
  m = nbdkit_thread_model_quiet (&one, private_dir);
  free (args);
  free (help);
  return m;
}

/* Where nbdkit's thread model comes from; see internal.h. */
char *
nbdkit_model_source (const struct stack *st, const char *with_filters,
                     const char *plugin_own, const char *private_dir)
{
  char *list = NULL, *r;

  if (with_filters == NULL || plugin_own == NULL)
    return NULL;
  if (strcmp (with_filters, plugin_own) == 0)
    return xstrdup ("the plugin's own");
  for (size_t i = 0; i < st->nfilters; i++) {
    char *m = model_with_filter (st, i, private_dir);
    bool it = m && strcmp (m, with_filters) == 0;

    free (m);
    if (it)
      return xasprintf ("set by filter %s", st->filters[i]);
  }
  for (size_t i = 0; i < st->nfilters; i++)
    list_append (&list, ", ", st->filters[i]);
  r = xasprintf ("set by the stack's filters (%s)", list ? list : "");
  free (list);
  return r;
}

/* nbdkit's capacity for CONNS connections; see internal.h. */
double
nbdkit_capacity (const struct run *run, unsigned conns, char **what)
{
  const char *m = run->model_nbdkit;
  const char *src = run->model_source ? run->model_source : "?";
  unsigned t = run->st->threads;

  *what = NULL;
  if (m == NULL)
    return NAN;
  if (strcmp (m, "parallel") == 0) {
    *what = xasprintf ("nbdkit's threads: -t %u x %u connection%s (thread "
                       "model parallel)", t, conns, conns == 1 ? "" : "s");
    return (double) t * conns;
  }
  if (strcmp (m, "serialize_requests") == 0) {
    *what = xasprintf ("nbdkit's thread model serialize_requests (%s): one "
                       "request per connection x %u connection%s", src, conns,
                       conns == 1 ? "" : "s");
    return conns;
  }
  if (strcmp (m, "serialize_all_requests") == 0 ||
      strcmp (m, "serialize_connections") == 0) {
    *what = xasprintf ("nbdkit's thread model %s (%s): one request at a time",
                       m, src);
    return 1;
  }
  return NAN;
}

/* Sets the nbdkit and plugin boundaries' capacity; see internal.h. */
void
nbdkit_set_capacity (struct run *run, struct layer *l, unsigned conns,
                     unsigned client_cap, const char *client_what)
{
  char *what;
  double cap = nbdkit_capacity (run, conns, &what);

  if (client_cap) {
    double c = (double) client_cap * conns;

    if (isnan (cap) || c < cap) {
      free (what);
      what = xasprintf ("%s", client_what);
      cap = c;
    }
    else if (c == cap) {
      char *both = xasprintf ("%s; and %s", client_what, what);

      free (what);
      what = both;
    }
  }
  for (size_t i = 0; i < l->nprobe; i++) {
    struct probe_point *p = &l->probe[i];

    if (strcmp (p->name, "nbdkit") != 0 && strcmp (p->name, "plugin") != 0)
      continue;
    p->cap = cap;
    free (p->cap_what);
    p->cap_what = what ? xstrdup (what) : NULL;
    p->served_by = "nbdkit";
  }
  free (what);
}

/* Adds a probe point to L; see internal.h. */
struct probe_point *
layer_add_probe (struct run *run, struct layer *l, const char *name,
                 const char *source, const char *fmt, ...)
{
  struct probe_point *p = &l->probe[l->nprobe];
  va_list ap;

  if (l->nprobe == MAX_PROBES)
    abort ();
  l->nprobe++;
  p->path = xasprintf ("%s/probe-%s-%s", run->private_dir, l->t->name, name);
  p->name = xstrdup (name);
  p->cap = NAN;
  p->source = source;
  va_start (ap, fmt);
  if (vasprintf (&p->via, fmt, ap) == -1)
    abort ();
  va_end (ap);
  return p;
}

/* The stack's filters, for the plugin boundary's "via". */
static char *
filters_text (const struct stack *st)
{
  char *list = NULL, *t;

  for (size_t i = 0; i < st->nfilters; i++)
    list_append (&list, ", ", st->filters[i]);
  t = list ? xasprintf ("nbdkit's filters (%s)", list)
           : xstrdup ("nbdkit's filter chain (no filters: the probes' own "
                      "cost)");
  free (list);
  return t;
}

/* Starts nbdkit with the stack's plugin; see internal.h. */
int
nbdkit_start (struct run *run, struct layer *l, int port, const char *client)
{
  return nbdkit_start_at (run, l, "127.0.0.1", port, 0, client);
}

int
nbdkit_start_at (struct run *run, struct layer *l, const char *ip, int port,
                 pid_t netns_pid, const char *client)
{
  const struct stack *st = run->st;
  char *threads = xasprintf ("%u", st->threads), *portstr = NULL;
  static const char *const none[] = { NULL };
  struct nbdkit_probes pr = { NULL, NULL };
  struct nbdkit_argv a;
  int r;

  if (port == 0) {
    free (l->socket);
    l->socket = xasprintf ("%s/nbdkit-%s.sock", run->private_dir, l->t->name);
  }
  else
    portstr = xasprintf ("%d", port);
  if (st->probes != PROBES_OFF)
    pr.outer = layer_add_probe (run, l, "nbdkit", "probe filter (outermost)",
                                "%s, then nbdkit's threads (-t %u, thread "
                                "model %s)", client, st->threads,
                                run->model_nbdkit ? run->model_nbdkit
                                : "?")->path;
  if (st->probes == PROBES_ALL) {
    char *ft = filters_text (st);

    pr.inner = layer_add_probe (run, l, "plugin", "probe filter (innermost)",
                                "%s", ft)->path;
    free (ft);
  }
  {
    const char *tcp[] = { "-f", "--exit-with-parent", "-t", threads,
                          "-i", ip, "-p", portstr, NULL };
    const char *unx[] = { "-f", "--exit-with-parent", "-t", threads,
                          "-U", l->socket, NULL };

    nbdkit_argv_build (&a, st, port ? tcp : unx, true, &pr, none);
  }
  r = start_server (run, l, "nbdkit", a.argv, port ? NULL : l->socket, ip,
                    port, netns_pid, NULL);
  nbdkit_argv_free (&a);
  free (threads);
  free (portstr);
  return r;
}

/* A target's stop for layers with servers: every child of L, newest
 * first.
 */
void
layer_stop_children (struct run *run, struct layer *l)
{
  (void) run;
  for (size_t i = l->nchild; i-- > 0;) {
    proc_kill (l->child[i].pid, 5);
    /* And whatever it started that left its process group. */
    cgroup_remove (&l->child[i].cg);
    l->child[i].stopped = true;
  }
  /* A killed server may leave its socket behind: the next server of a
   * sweep binds the same name.
   */
  if (l->socket)
    unlink (l->socket);
}

/* A target's stop for layers that start nothing. */
void
layer_stop_nothing (struct run *run, struct layer *l)
{
  (void) run;
  (void) l;
}

/* Sets L's fio lines for viper over NBD to URI, with the stack's conns=
 * and request_timeout=.
 */
void
layer_set_nbd_engine (struct run *run, struct layer *l, const char *uri)
{
  l->engine_lines = xasprintf ("ioengine=external:%s\nuri=%s\n"
                               "conns=%u\nrequest_timeout=%u\n",
                               run->engine, uri, run->st->conns,
                               run->st->request_timeout_ms);
}
