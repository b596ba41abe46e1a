/* inproc.c: the in-process transport, an nbdkit plugin .so loaded into
 * fio and called directly, with no NBD protocol or socket in between.
 *
 * One plugin instance (one dlopen, one load/config/get_ready) serves all
 * jobs of a fio process that name the same plugin URI, as one nbdkit
 * server serves all its clients; each device is one "connection" (one
 * plugin open/close).  The fio adapter runs such jobs as threads so that
 * all jobs share the instance and a plugin with its own runtime (Go) is
 * never initialised before a fork.  Instances stay loaded until the
 * engine is unloaded (plugins like Go's cannot be dlclose'd safely).
 *
 * The thread model is honoured as nbdkit does it: PARALLEL calls run
 * concurrently; SERIALIZE_REQUESTS one request per connection at a time;
 * SERIALIZE_ALL_REQUESTS one request at a time over all connections;
 * SERIALIZE_CONNECTIONS one connection open at a time.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>

#include "internal.h"
#include "../common/probe.h"

#ifndef VB_PLUGINDIR
#define VB_PLUGINDIR "/usr/lib/x86_64-linux-gnu/nbdkit/plugins"
#endif

struct instance {
  struct instance *next;
  char *path;                   /* the key: the plugin's real path */
  char *config;                 /* its parameters, key=value&... */
  char *failed;                 /* why it failed to load, or NULL */
  void *dl;
  struct nbdkit_plugin p;       /* copied, zero-extended to our size */
  int thread_model;
  pthread_mutex_t all_lock;     /* SERIALIZE_ALL_REQUESTS */
  pthread_mutex_t conn_lock;    /* SERIALIZE_CONNECTIONS: guards conn_busy */
  pthread_cond_t conn_cond;
  bool conn_busy;
  struct vbp_shm *probe;        /* probe_file=: the plugin boundary */
};

struct plugin_priv {
  struct instance *in;
  void *handle;
  pthread_mutex_t req_lock;     /* SERIALIZE_REQUESTS */

  /* workers=N: N threads per connection call the plugin, as nbdkit's
   * -t threads do, so requests overlap up to the queue depth.
   */
  unsigned nworkers;
  pthread_t *workers;
  pthread_mutex_t q_lock;
  pthread_cond_t q_cond;        /* work queued, or quitting */
  pthread_cond_t done_cond;     /* a request completed */
  struct vb_req **queue;        /* ring of max_inflight */
  struct vb_req **finished;     /* completed by workers, not yet handed on */
  unsigned cap, q_head, q_len, nfinished;
  bool quit;
  int fua_mode;                 /* NBDKIT_FUA_* */
  uint64_t size;
  char target[256];
};

static int workers_start (struct plugin_priv *pp, unsigned n, unsigned cap);
static void workers_stop (struct plugin_priv *pp);

static pthread_mutex_t instances_lock = PTHREAD_MUTEX_INITIALIZER;
static struct instance *instances;

static const char *
model_name (int m)
{
  switch (m) {
  case NBDKIT_THREAD_MODEL_SERIALIZE_CONNECTIONS: return "serialize_connections";
  case NBDKIT_THREAD_MODEL_SERIALIZE_ALL_REQUESTS: return "serialize_all_requests";
  case NBDKIT_THREAD_MODEL_SERIALIZE_REQUESTS: return "serialize_requests";
  default: return "parallel";
  }
}

/* Makes our own nbdkit_* symbols visible to plugins: fio dlopens the
 * engine without RTLD_GLOBAL, so re-open ourselves with it.
 */
static int
export_host_symbols (void)
{
  static bool done;
  Dl_info info;
  char *self, *exe;
  bool in_exe;

  if (done)
    return 0;
  if (dladdr ((void *) nbdkit_error, &info) == 0 || info.dli_fname == NULL) {
    vb_error ("dladdr: cannot find the engine's own file");
    return -1;
  }
  if (dlopen (info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL)) {
    done = true;
    return 0;
  }
  /* Linked into an executable (the unit tests use -rdynamic). */
  self = realpath (info.dli_fname, NULL);
  exe = realpath ("/proc/self/exe", NULL);
  in_exe = self && exe && strcmp (self, exe) == 0;
  free (self);
  free (exe);
  if (!in_exe) {
    vb_error ("dlopen %s RTLD_GLOBAL: %s", info.dli_fname, dlerror ());
    return -1;
  }
  done = true;
  return 0;
}

/* The plugin's file for NAME: a path as is, a bare name in nbdkit's
 * plugin directory ($VIPER_PLUGINDIR overrides).
 */
static char *
plugin_path (const char *name)
{
  const char *dir = getenv ("VIPER_PLUGINDIR");
  char *path;

  if (strchr (name, '/'))
    return strdup (name);
  if (dir == NULL || *dir == '\0')
    dir = VB_PLUGINDIR;
  if (asprintf (&path, "%s/nbdkit-%s-plugin.so", dir, name) == -1)
    return NULL;
  return path;
}

/* Loads and configures IN (path and config set) for URI; 0, or -1 with
 * vb_error set.
 */
static int
instance_load (struct instance *in, const struct vb_uri *uri)
{
  struct nbdkit_plugin *(*init) (void);
  struct nbdkit_plugin *src;
  const char *phase;
  size_t n;

  if (access (in->path, R_OK) == -1) {
    vb_error ("plugin %s: cannot open %s: %m", uri->plugin, in->path);
    return -1;
  }
  if (export_host_symbols () == -1)
    return -1;
  in->dl = dlopen (in->path, RTLD_NOW | RTLD_GLOBAL);
  if (in->dl == NULL) {
    vb_error ("plugin %s: dlopen: %s", uri->plugin, dlerror ());
    goto err;
  }
  init = (struct nbdkit_plugin *(*) (void)) dlsym (in->dl, "plugin_init");
  if (init == NULL) {
    vb_error ("plugin %s: %s is not an nbdkit plugin (no plugin_init)",
              uri->plugin, in->path);
    goto err;
  }
  src = init ();
  if (src == NULL || src->_struct_size < offsetof (struct nbdkit_plugin, pread)) {
    vb_error ("plugin %s: plugin_init returned an unusable struct",
              uri->plugin);
    goto err;
  }
  if (src->_api_version != 2) {
    vb_error ("plugin %s: API version %d is not supported (only 2)",
              uri->plugin, src->_api_version);
    goto err;
  }
  /* Only ever extended at the end: copy what it has, zero the rest. */
  n = src->_struct_size < sizeof in->p ? src->_struct_size : sizeof in->p;
  memcpy (&in->p, src, n);
  if (in->p.name == NULL || in->p.open == NULL || in->p.get_size == NULL ||
      in->p.pread == NULL) {
    vb_error ("plugin %s: lacks name, open, get_size or pread", uri->plugin);
    goto err;
  }

  /* nbdkit's order: load, config..., config_complete, thread_model,
   * get_ready, after_fork.  Errors they raise are collected, not printed.
   */
  host_begin_phase (in->p.name);
  if (in->p.load)
    in->p.load ();
  for (size_t i = 0; i < uri->nparams; i++) {
    const struct vb_param *prm = &uri->params[i];
    const char *key = prm->key;

    if (key == NULL) {
      if (in->p.magic_config_key == NULL) {
        vb_error ("plugin %s: '%s' has no key, and the plugin has no magic "
                  "config key: write key=value", in->p.name, prm->value);
        goto err_phase;
      }
      key = in->p.magic_config_key;
    }
    if (in->p.config == NULL) {
      vb_error ("plugin %s: takes no parameters, got '%s'", in->p.name, key);
      goto err_phase;
    }
    if (in->p.config (key, prm->value) == -1) {
      vb_error ("plugin %s: config '%s': %s", in->p.name, key,
                host_phase_error ("rejected"));
      goto err_phase;
    }
  }
  phase = "config_complete";
  if (in->p.config_complete && in->p.config_complete () == -1)
    goto err_call;
  in->thread_model = src->_thread_model;
  if (in->p.thread_model) {
    int m = in->p.thread_model ();

    if (m == -1) {
      phase = "thread_model";
      goto err_call;
    }
    if (m < in->thread_model)
      in->thread_model = m;
  }
  phase = "get_ready";
  if (in->p.get_ready && in->p.get_ready () == -1)
    goto err_call;
  phase = "after_fork";
  if (in->p.after_fork && in->p.after_fork () == -1)
    goto err_call;
  host_end_phase ();
  host_debug ("plugin %s loaded from %s, thread model %s", in->p.name,
              in->path, model_name (in->thread_model));
  return 0;

 err_call:
  vb_error ("plugin %s: %s: %s", in->p.name, phase,
            host_phase_error ("failed"));
 err_phase:
  host_end_phase ();
  /* A plugin that failed config may have started things: let it unload,
   * but keep it mapped (a Go runtime cannot be dlclose'd).
   */
  if (in->p.unload)
    in->p.unload ();
 err:
  return -1;
}

/* The parameters of URI as one string, to tell configurations apart. */
static char *
config_string (const struct vb_uri *uri)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);

  if (f == NULL)
    return NULL;
  for (size_t i = 0; i < uri->nparams; i++)
    fprintf (f, "%s%s%s%s", i ? "&" : "",
             uri->params[i].key ? uri->params[i].key : "",
             uri->params[i].key ? "=" : "", uri->params[i].value);
  if (fclose (f) != 0) {
    free (buf);
    return NULL;
  }
  return buf;
}

/* The shared instance for URI, loaded on first use.  A plugin's globals
 * exist once per process, so one process hosts one configuration of a
 * plugin (as one nbdkit process does), and a plugin that failed to load
 * is not loaded again.  NULL with vb_error set.
 */
static struct instance *
instance_get (const struct vb_uri *uri)
{
  struct instance *in = NULL;
  char *path = plugin_path (uri->plugin), *config = config_string (uri);
  char *real;

  if (path == NULL || config == NULL) {
    vb_error ("plugin %s: out of memory", uri->plugin);
    goto out;
  }
  if ((real = realpath (path, NULL)) != NULL) {
    free (path);
    path = real;
  }
  pthread_mutex_lock (&instances_lock);
  for (in = instances; in; in = in->next)
    if (strcmp (in->path, path) == 0)
      break;
  if (in == NULL) {
    in = calloc (1, sizeof *in);
    if (in == NULL) {
      vb_error ("plugin %s: out of memory", uri->plugin);
      goto unlock;
    }
    in->path = path;
    in->config = config;
    path = config = NULL;
    pthread_mutex_init (&in->all_lock, NULL);
    pthread_mutex_init (&in->conn_lock, NULL);
    pthread_cond_init (&in->conn_cond, NULL);
    if (instance_load (in, uri) == -1) {
      in->failed = strdup (vb_get_error ());
      in->p.unload = in->p.cleanup = NULL;      /* nothing to undo */
    }
    in->next = instances;
    instances = in;
  }
  if (in->failed) {
    vb_error ("%s", in->failed);
    in = NULL;
  }
  else if (strcmp (in->config, config ? config : in->config) != 0) {
    vb_error ("plugin %s: already loaded in this fio process as '%s'; one "
              "process hosts one configuration of a plugin, as one nbdkit "
              "does: run the other configuration in another fio process",
              in->p.name, in->config);
    in = NULL;
  }
 unlock:
  pthread_mutex_unlock (&instances_lock);
 out:
  free (path);
  free (config);
  return in;
}

/* Unloads every instance when the engine itself is unloaded. */
__attribute__((destructor))
static void
plugin_unload_all (void)
{
  while (instances) {
    struct instance *in = instances;

    instances = in->next;
    if (in->p.cleanup)
      in->p.cleanup ();
    if (in->p.unload)
      in->p.unload ();
    /* Not dlclose'd: see the top of this file. */
    vbp_close (in->probe);
    free (in->path);
    free (in->config);
    free (in->failed);
    free (in);
  }
  host_free_interned ();
}

/* Calls a can_* callback the nbdkit way; DFLT when absent. */
static int
can (struct plugin_priv *pp, int (*fn) (void *), int dflt, const char *what)
{
  int r;

  if (fn == NULL)
    return dflt;
  r = fn (pp->handle);
  if (r == -1) {
    vb_warn ("%s: %s failed: %s", pp->target, what,
             host_phase_error ("error"));
    return 0;
  }
  return r;
}

static void
conn_acquire (struct instance *in)
{
  pthread_mutex_lock (&in->conn_lock);
  while (in->conn_busy)
    pthread_cond_wait (&in->conn_cond, &in->conn_lock);
  in->conn_busy = true;
  pthread_mutex_unlock (&in->conn_lock);
}

static void
conn_release (struct instance *in)
{
  pthread_mutex_lock (&in->conn_lock);
  in->conn_busy = false;
  pthread_cond_signal (&in->conn_cond);
  pthread_mutex_unlock (&in->conn_lock);
}

static int
plugin_open (struct vb_dev *dev, const struct vb_uri *uri,
             const struct vb_dev_opts *opts, struct vb_dev_info *info)
{
  struct plugin_priv *pp;
  struct instance *in;
  int64_t size;
  int readonly = opts->readonly && !opts->writes;

  in = instance_get (uri);
  if (in == NULL)
    return -1;

  pp = calloc (1, sizeof *pp);
  if (pp == NULL) {
    vb_error ("calloc: out of memory");
    return -1;
  }
  /* The first job's open makes the instance's probe. */
  if (opts->probe_file && !opts->probe) {
    pthread_mutex_lock (&instances_lock);
    if (in->probe == NULL) {
      struct vbp_shm *shm = vbp_create (opts->probe_file, "plugin");

      if (shm == NULL)
        vb_error ("probe_file=%s: %s", opts->probe_file, strerror (errno));
      __atomic_store_n (&in->probe, shm, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock (&instances_lock);
    if (in->probe == NULL) {
      free (pp);
      return -1;
    }
  }
  pp->in = in;
  pthread_mutex_init (&pp->req_lock, NULL);
  snprintf (pp->target, sizeof pp->target, "plugin %s", in->p.name);
  info->target = pp->target;
  dev->priv = pp;

  if (in->thread_model == NBDKIT_THREAD_MODEL_SERIALIZE_CONNECTIONS)
    conn_acquire (in);

  host_begin_phase (in->p.name);
  if (in->p.preconnect && in->p.preconnect (readonly) == -1) {
    vb_error ("%s: preconnect: %s", pp->target, host_phase_error ("failed"));
    goto err;
  }
  pp->handle = in->p.open (readonly);
  if (pp->handle == NULL) {
    vb_error ("%s: open: %s", pp->target, host_phase_error ("failed"));
    goto err;
  }
  size = in->p.get_size (pp->handle);
  if (size == -1) {
    vb_error ("%s: get_size: %s", pp->target, host_phase_error ("failed"));
    goto err;
  }
  info->size = pp->size = (uint64_t) size;
  info->can_write = in->p.pwrite && !readonly &&
                    can (pp, in->p.can_write, 1, "can_write");
  info->can_flush = in->p.flush && can (pp, in->p.can_flush, 1, "can_flush");
  info->can_trim = in->p.trim && can (pp, in->p.can_trim, 1, "can_trim");
  pp->fua_mode = can (pp, in->p.can_fua,
                      info->can_flush ? NBDKIT_FUA_EMULATE : NBDKIT_FUA_NONE,
                      "can_fua");
  info->can_fua = pp->fua_mode != NBDKIT_FUA_NONE;
  info->can_multi_conn = can (pp, in->p.can_multi_conn, 0, "can_multi_conn");
  host_end_phase ();

  if (opts->writes && !info->can_write) {
    vb_error ("%s: the plugin cannot write but the job writes", pp->target);
    goto err_closed_phase;
  }
  if (opts->fua && !info->can_fua) {
    vb_error ("%s: the plugin supports neither FUA nor flush, which sync=1 "
              "or fua=1 needs", pp->target);
    goto err_closed_phase;
  }
  if (opts->workers && !opts->probe &&
      workers_start (pp, opts->workers,
                     opts->max_inflight ? opts->max_inflight : 1) == -1) {
    workers_stop (pp);
    goto err_closed_phase;
  }
  /* A call in progress cannot be taken back: no request timeout here. */
  dev->timeout_ns = 0;
  return 0;

 err:
  host_end_phase ();
 err_closed_phase:
  if (pp->handle && in->p.close)
    in->p.close (pp->handle);
  if (in->thread_model == NBDKIT_THREAD_MODEL_SERIALIZE_CONNECTIONS)
    conn_release (in);
  pthread_mutex_destroy (&pp->req_lock);
  free (pp);
  dev->priv = NULL;
  return -1;
}

/* Runs one request against the plugin; returns 0 or an errno value. */
static int
call_plugin (struct plugin_priv *pp, struct vb_req *req)
{
  struct nbdkit_plugin *p = &pp->in->p;
  uint32_t count = (uint32_t) req->len;
  int r = 0;

  /* Checked before the plugin sees it, as nbdkit's server does. */
  if (req->op != VB_OP_FLUSH &&
      (req->len > UINT32_MAX || req->offset > pp->size ||
       req->len > pp->size - req->offset))
    return req->op == VB_OP_WRITE ? ENOSPC : EINVAL;
  host_begin_request (p->name);
  switch (req->op) {
  case VB_OP_READ:
    r = p->pread (pp->handle, req->buf, count, req->offset, 0);
    break;
  case VB_OP_WRITE: {
    uint32_t f = 0;
    bool emulate = false;

    if (p->pwrite == NULL)
      return host_end_request (-1, EROFS);
    if (req->flags & VB_REQ_FUA) {
      if (pp->fua_mode == NBDKIT_FUA_NATIVE)
        f = NBDKIT_FLAG_FUA;
      else
        emulate = true;         /* as nbdkit: write, then flush */
    }
    r = p->pwrite (pp->handle, req->buf, count, req->offset, f);
    if (r == 0 && emulate && p->flush)
      r = p->flush (pp->handle, 0);
    break;
  }
  case VB_OP_FLUSH:
    if (p->flush == NULL)
      return host_end_request (0, 0);
    r = p->flush (pp->handle, 0);
    break;
  case VB_OP_TRIM:
    if (p->trim == NULL)
      return host_end_request (-1, EOPNOTSUPP);
    r = p->trim (pp->handle, count, req->offset, 0);
    break;
  default:
    return host_end_request (-1, EINVAL);
  }
  return host_end_request (r, p->errno_is_preserved ? errno : 0);
}

/* call_plugin, measured at the plugin boundary when there is a probe:
 * inside the thread model's locks, so what it sees in flight is what the
 * plugin really runs at once.
 */
static int
call (struct plugin_priv *pp, struct vb_req *req)
{
  static const enum vbp_op ops[] = {
    [VB_OP_READ] = VBP_READ, [VB_OP_WRITE] = VBP_WRITE,
    [VB_OP_FLUSH] = VBP_FLUSH, [VB_OP_TRIM] = VBP_TRIM,
  };
  struct vbp_shm *probe = __atomic_load_n (&pp->in->probe, __ATOMIC_ACQUIRE);
  uint64_t t0 = vbp_begin (probe);
  int err = call_plugin (pp, req);

  vbp_end (probe, ops[req->op], t0, req->op == VB_OP_FLUSH ? 0 : req->len,
           err != 0);
  return err;
}

/* Runs REQ under the locks its thread model asks for. */
static int
run_request (struct plugin_priv *pp, struct vb_req *req)
{
  struct instance *in = pp->in;
  int err;

  switch (in->thread_model) {
  case NBDKIT_THREAD_MODEL_SERIALIZE_ALL_REQUESTS:
    pthread_mutex_lock (&in->all_lock);
    err = call (pp, req);
    pthread_mutex_unlock (&in->all_lock);
    break;
  case NBDKIT_THREAD_MODEL_SERIALIZE_REQUESTS:
    pthread_mutex_lock (&pp->req_lock);
    err = call (pp, req);
    pthread_mutex_unlock (&pp->req_lock);
    break;
  default:
    err = call (pp, req);
  }
  return err;
}

/* A worker: takes queued requests, runs them, hands them back. */
static void *
worker_main (void *arg)
{
  struct plugin_priv *pp = arg;

  pthread_mutex_lock (&pp->q_lock);
  for (;;) {
    struct vb_req *req;

    while (pp->q_len == 0 && !pp->quit)
      pthread_cond_wait (&pp->q_cond, &pp->q_lock);
    if (pp->q_len == 0)
      break;                    /* quitting with nothing left */
    req = pp->queue[pp->q_head];
    pp->q_head = (pp->q_head + 1) % pp->cap;
    pp->q_len--;
    pthread_mutex_unlock (&pp->q_lock);

    req->error = run_request (pp, req);

    pthread_mutex_lock (&pp->q_lock);
    pp->finished[pp->nfinished++] = req;
    pthread_cond_signal (&pp->done_cond);
  }
  pthread_mutex_unlock (&pp->q_lock);
  return NULL;
}

/* Starts N workers for up to CAP requests in flight; 0 or -1. */
static int
workers_start (struct plugin_priv *pp, unsigned n, unsigned cap)
{
  pthread_condattr_t ca;

  pp->cap = cap;
  pp->queue = calloc (cap, sizeof *pp->queue);
  pp->finished = calloc (cap, sizeof *pp->finished);
  pp->workers = calloc (n, sizeof *pp->workers);
  if (pp->queue == NULL || pp->finished == NULL || pp->workers == NULL) {
    vb_error ("%s: calloc: out of memory", pp->target);
    return -1;
  }
  pthread_mutex_init (&pp->q_lock, NULL);
  pthread_condattr_init (&ca);
  pthread_condattr_setclock (&ca, CLOCK_MONOTONIC);
  pthread_cond_init (&pp->q_cond, NULL);
  pthread_cond_init (&pp->done_cond, &ca);
  pthread_condattr_destroy (&ca);
  for (; pp->nworkers < n; pp->nworkers++) {
    int e = pthread_create (&pp->workers[pp->nworkers], NULL, worker_main, pp);

    if (e) {
      vb_error ("%s: pthread_create: %s", pp->target, strerror (e));
      return -1;
    }
  }
  return 0;
}

/* Lets the workers finish what is queued, then joins them. */
static void
workers_stop (struct plugin_priv *pp)
{
  if (pp->workers == NULL)
    return;
  pthread_mutex_lock (&pp->q_lock);
  pp->quit = true;
  pthread_cond_broadcast (&pp->q_cond);
  pthread_mutex_unlock (&pp->q_lock);
  for (unsigned i = 0; i < pp->nworkers; i++)
    pthread_join (pp->workers[i], NULL);
  if (pp->nworkers) {
    pthread_mutex_destroy (&pp->q_lock);
    pthread_cond_destroy (&pp->q_cond);
    pthread_cond_destroy (&pp->done_cond);
  }
  free (pp->workers);
  free (pp->queue);
  free (pp->finished);
  pp->workers = NULL;
}

static int
plugin_submit (struct vb_dev *dev, struct vb_req *req)
{
  struct plugin_priv *pp = dev->priv;

  if (pp->nworkers == 0) {
    req->error = run_request (pp, req);
    return 1;
  }
  /* device.c keeps at most max_inflight = cap requests out. */
  pthread_mutex_lock (&pp->q_lock);
  pp->queue[(pp->q_head + pp->q_len) % pp->cap] = req;
  pp->q_len++;
  pthread_cond_signal (&pp->q_cond);
  pthread_mutex_unlock (&pp->q_lock);
  return 0;
}

/* Waits up to TIMEOUT_NS for workers' completions and hands them on. */
static void
plugin_poll (struct vb_dev *dev, int64_t timeout_ns)
{
  struct plugin_priv *pp = dev->priv;
  struct vb_req *done[64];
  unsigned n;

  if (pp->nworkers == 0)
    return;                     /* inline: nothing is ever pending */
  pthread_mutex_lock (&pp->q_lock);
  if (pp->nfinished == 0 && timeout_ns != 0) {
    if (timeout_ns < 0)
      pthread_cond_wait (&pp->done_cond, &pp->q_lock);
    else {
      struct timespec ts;
      uint64_t at = vb_now_ns () + (uint64_t) timeout_ns;

      ts.tv_sec = (time_t) (at / 1000000000u);
      ts.tv_nsec = (long) (at % 1000000000u);
      pthread_cond_timedwait (&pp->done_cond, &pp->q_lock, &ts);
    }
  }
  for (;;) {
    n = pp->nfinished < 64 ? pp->nfinished : 64;
    memcpy (done, pp->finished + pp->nfinished - n, n * sizeof *done);
    pp->nfinished -= n;
    pthread_mutex_unlock (&pp->q_lock);
    for (unsigned i = 0; i < n; i++)
      vb_dev_complete (dev, done[i], done[i]->error);
    if (n < 64)
      return;
    pthread_mutex_lock (&pp->q_lock);
  }
}

/* Never called: device.c applies no timeout to plugin targets (a call in
 * progress cannot be taken back).
 */
static void
plugin_abandon (struct vb_dev *dev)
{
  (void) dev;
}

static void
plugin_close (struct vb_dev *dev)
{
  struct plugin_priv *pp = dev->priv;

  if (pp == NULL)
    return;
  workers_stop (pp);
  if (pp->in->p.close)
    pp->in->p.close (pp->handle);
  if (pp->in->thread_model == NBDKIT_THREAD_MODEL_SERIALIZE_CONNECTIONS)
    conn_release (pp->in);
  pthread_mutex_destroy (&pp->req_lock);
  free (pp);
  dev->priv = NULL;
}

const struct vb_transport_ops vb_plugin_ops = {
  .name = "plugin",
  .open = plugin_open,
  .submit = plugin_submit,
  .poll = plugin_poll,
  .abandon = plugin_abandon,
  .close = plugin_close,
};
