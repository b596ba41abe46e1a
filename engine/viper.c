/* viper.c: the fio adapter of the viper ioengine.
 *
 * Thin: it maps fio's io_us to vb_reqs (device.c) and back.  Build it
 * against the source of the fio it is loaded into (fio 3.33 for Debian's
 * /usr/bin/fio): ioengine_ops is checked by version.
 *
 *   fio --ioengine=external:build/viper --uri=nbd+unix:///?socket=S ...
 *
 * A job whose uri= is plugin:... runs as a thread (thread=1 is forced, as
 * fio's rbd engine does) so that one plugin instance serves every job.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fio.h"
#include "optgroup.h"

#include "internal.h"

struct viper_options {
  void *pad;                    /* fio stores td here */
  char *uri;
  unsigned int conns;
  unsigned int timeout_ms;
  unsigned int fua;
  unsigned int workers;
  char *probe_file;
};

struct viper_data {
  struct vb_dev *dev;
  struct vb_req **events;
  unsigned nevents;
  bool reported;                /* first I/O error printed */
};

static struct fio_option options[] = {
  {
    .name = "uri",
    .lname = "viper target URI",
    .type = FIO_OPT_STR_STORE,
    .off1 = offsetof (struct viper_options, uri),
    .help = "nbd://host[:port][/export], nbd+unix:///[export]?socket=PATH, "
            "or plugin:NAME_OR_PATH?key=value&...",
    .category = FIO_OPT_C_ENGINE,
    .group = FIO_OPT_G_INVALID,
  },
  {
    .name = "conns",
    .lname = "NBD connections per job",
    .type = FIO_OPT_INT,
    .off1 = offsetof (struct viper_options, conns),
    .def = "1",
    /* No minval/maxval: fio reports a value out of range there and runs
     * the job anyway, with the default.  viper_setup refuses it.
     */
    .help = "NBD connections per job (1 to 64); requests go to the least busy one",
    .category = FIO_OPT_C_ENGINE,
    .group = FIO_OPT_G_INVALID,
  },
  {
    /* Not "timeout": fio's runtime= already answers to that name. */
    .name = "request_timeout",
    .lname = "viper request timeout",
    .type = FIO_OPT_INT,
    .off1 = offsetof (struct viper_options, timeout_ms),
    .def = "0",
    .help = "Fail the job's requests when one takes longer than this many "
            "ms (0: wait forever, at most 3600000); NBD only",
    .category = FIO_OPT_C_ENGINE,
    .group = FIO_OPT_G_INVALID,
  },
  {
    .name = "fua",
    .lname = "viper force unit access",
    .type = FIO_OPT_BOOL,
    .off1 = offsetof (struct viper_options, fua),
    .def = "0",
    .help = "Send every write with FUA (as sync=1 does)",
    .category = FIO_OPT_C_ENGINE,
    .group = FIO_OPT_G_INVALID,
  },
  {
    .name = "workers",
    .lname = "viper plugin worker threads",
    .type = FIO_OPT_INT,
    .off1 = offsetof (struct viper_options, workers),
    .def = "0",
    .help = "plugin: targets: threads per job (0 to 1024) calling the plugin, as "
            "nbdkit's -t (0: call it inline from fio's thread)",
    .category = FIO_OPT_C_ENGINE,
    .group = FIO_OPT_G_INVALID,
  },
  {
    .name = "probe_file",
    .lname = "viper plugin probe file",
    .type = FIO_OPT_STR_STORE,
    .off1 = offsetof (struct viper_options, probe_file),
    .help = "plugin: targets: count the requests at the plugin boundary "
            "in this file (viperbench probe FILE reads it)",
    .category = FIO_OPT_C_ENGINE,
    .group = FIO_OPT_G_INVALID,
  },
  { .name = NULL },
};

static bool
is_plugin_uri (const char *uri)
{
  return uri && strncmp (uri, "plugin:", 7) == 0;
}

static void
fill_opts (struct thread_data *td, struct vb_dev_opts *o, bool probe)
{
  struct viper_options *vo = td->eo;

  memset (o, 0, sizeof *o);
  o->conns = probe ? 1 : vo->conns;
  o->timeout_ms = vo->timeout_ms;
  o->max_inflight = td->o.iodepth ? td->o.iodepth : 1;
  o->writes = td_write (td) || td_trim (td);
  o->readonly = !o->writes;
  o->fua = vo->fua || td->o.sync_io;
  o->workers = vo->workers;
  o->probe = probe;
  o->probe_file = vo->probe_file;
}

/* Runs in fio's main process before jobs start: reads the size. */
static int
viper_setup (struct thread_data *td)
{
  struct viper_options *vo = td->eo;
  struct vb_dev_opts o;
  struct vb_dev *dev;
  struct fio_file *f;

  if (vo->uri == NULL) {
    log_err ("fio: viper: uri= is required (nbd://..., nbd+unix:///"
             "?socket=..., or plugin:NAME?key=value)\n");
    return 1;
  }
  /* fio stores a negative value wrapped: one test covers both ends. */
  if (vo->conns < 1 || vo->conns > 64) {
    log_err ("fio: viper: conns=%d: expected 1 to 64\n", (int) vo->conns);
    return 1;
  }
  if (vo->timeout_ms > 3600000) {
    log_err ("fio: viper: request_timeout=%d: expected 0 to 3600000 ms\n",
             (int) vo->timeout_ms);
    return 1;
  }
  if (vo->workers > 1024) {
    log_err ("fio: viper: workers=%d: expected 0 to 1024\n", (int) vo->workers);
    return 1;
  }
  if (is_plugin_uri (vo->uri)) {
    td->o.use_thread = 1;
    if (vo->timeout_ms)
      log_err ("fio: viper: warning: request_timeout= does not apply to "
               "plugin: targets (their calls run in fio's own thread)\n");
  }

  /* fio deals in files: pretend to have one, as engines/rbd.c does. */
  if (!td->files_index) {
    add_file (td, "viper", 0, 0);
    td->o.nr_files = td->o.nr_files ? : 1;
    td->o.open_files++;
  }
  f = td->files[0];

  fill_opts (td, &o, true);
  dev = vb_dev_open (vo->uri, &o);
  if (dev == NULL) {
    log_err ("fio: viper: %s\n", vb_get_error ());
    return 1;
  }
  f->real_file_size = vb_dev_info (dev)->size;
  vb_dev_close (dev);
  return 0;
}

/* Runs in the job: opens its own connections. */
static int
viper_init (struct thread_data *td)
{
  struct viper_options *vo = td->eo;
  struct viper_data *vd;
  struct vb_dev_opts o;

  vd = calloc (1, sizeof *vd);
  if (vd == NULL) {
    log_err ("fio: viper: calloc: %s\n", strerror (errno));
    return 1;
  }
  fill_opts (td, &o, false);
  vd->events = calloc (o.max_inflight, sizeof *vd->events);
  if (vd->events == NULL) {
    log_err ("fio: viper: calloc: %s\n", strerror (errno));
    free (vd);
    return 1;
  }
  vd->dev = vb_dev_open (vo->uri, &o);
  if (vd->dev == NULL) {
    log_err ("fio: viper: %s\n", vb_get_error ());
    free (vd->events);
    free (vd);
    return 1;
  }
  td->io_ops_data = vd;
  return 0;
}

static void
viper_cleanup (struct thread_data *td)
{
  struct viper_data *vd = td->io_ops_data;

  if (vd == NULL)
    return;
  vb_dev_close (vd->dev);
  free (vd->events);
  free (vd);
  td->io_ops_data = NULL;
}

/* Prints the first failed request of the job, with its target. */
static void
report_error (struct thread_data *td, struct vb_req *req)
{
  struct viper_data *vd = td->io_ops_data;
  static const char *const names[] = { "read", "write", "flush", "trim" };

  if (req->error == 0 || vd->reported)
    return;
  vd->reported = true;
  log_err ("fio: viper: %s: %s at offset %llu: %s\n",
           vb_dev_info (vd->dev)->target, names[req->op],
           (unsigned long long) req->offset, strerror (req->error));
}

static enum fio_q_status
viper_queue (struct thread_data *td, struct io_u *io_u)
{
  struct viper_data *vd = td->io_ops_data;
  struct viper_options *vo = td->eo;
  struct vb_req *req = io_u->engine_data;
  int r;

  fio_ro_check (td, io_u);
  /* fio stamps issue_time after ->queue returns, so a request served
   * inline (the plugin in-process, workers=0) would show no completion
   * latency at all, and fio's histogram logs (completion latency only:
   * the runs over time) nanoseconds where its total latency says
   * microseconds.  Stamped here, before the work (the flag
   * FIO_ASYNCIO_SETS_ISSUE_TIME tells fio): the same one clock read,
   * moved.
   */
  if (fio_fill_issue_time (td))
    fio_gettime (&io_u->issue_time, NULL);

  req->buf = io_u->xfer_buf;
  req->len = io_u->xfer_buflen;
  req->offset = io_u->offset;
  req->flags = 0;
  switch (io_u->ddir) {
  case DDIR_READ:
    req->op = VB_OP_READ;
    break;
  case DDIR_WRITE:
    req->op = VB_OP_WRITE;
    if (vo->fua || td->o.sync_io)
      req->flags |= VB_REQ_FUA;
    break;
  case DDIR_TRIM:
    req->op = VB_OP_TRIM;
    break;
  case DDIR_SYNC:
  case DDIR_DATASYNC:
  case DDIR_SYNC_FILE_RANGE:
    req->op = VB_OP_FLUSH;
    break;
  default:
    io_u->error = EINVAL;
    return FIO_Q_COMPLETED;
  }

  r = vb_dev_submit (vd->dev, req);
  if (r == -1)
    return FIO_Q_BUSY;
  if (r == 1) {
    io_u->error = req->error;
    report_error (td, req);
    return FIO_Q_COMPLETED;
  }
  return FIO_Q_QUEUED;
}

static int
viper_getevents (struct thread_data *td, unsigned int min, unsigned int max,
                 const struct timespec *t)
{
  struct viper_data *vd = td->io_ops_data;
  int64_t timeout = -1;

  if (t)
    timeout = (int64_t) t->tv_sec * 1000000000 + t->tv_nsec;
  vd->nevents = vb_dev_reap (vd->dev, vd->events, min, max, timeout);
  return (int) vd->nevents;
}

static struct io_u *
viper_event (struct thread_data *td, int event)
{
  struct viper_data *vd = td->io_ops_data;
  struct vb_req *req = vd->events[event];
  struct io_u *io_u = req->user;

  io_u->error = req->error;
  report_error (td, req);
  return io_u;
}

/* One vb_req per io_u, made once: nothing is allocated per I/O. */
static int
viper_io_u_init (struct thread_data *td, struct io_u *io_u)
{
  struct vb_req *req = calloc (1, sizeof *req);

  (void) td;
  if (req == NULL)
    return 1;
  req->user = io_u;
  io_u->engine_data = req;
  return 0;
}

static void
viper_io_u_free (struct thread_data *td, struct io_u *io_u)
{
  (void) td;
  free (io_u->engine_data);
  io_u->engine_data = NULL;
}

static int
viper_open_file (struct thread_data *td, struct fio_file *f)
{
  (void) td;
  (void) f;
  return 0;
}

static int
viper_invalidate (struct thread_data *td, struct fio_file *f)
{
  (void) td;
  (void) f;
  return 0;
}

/* No ->commit: libnbd sends each command as it is queued and a plugin
 * call completes inside ->queue, so there is nothing to batch; fio then
 * marks io_us queued itself.
 */
struct ioengine_ops ioengine = {
  .name = "viper",
  .version = FIO_IOOPS_VERSION,
  .flags = FIO_DISKLESSIO | FIO_NOEXTEND | FIO_NODISKUTIL |
           FIO_ASYNCIO_SETS_ISSUE_TIME,
  .setup = viper_setup,
  .init = viper_init,
  .cleanup = viper_cleanup,
  .queue = viper_queue,
  .getevents = viper_getevents,
  .event = viper_event,
  .io_u_init = viper_io_u_init,
  .io_u_free = viper_io_u_free,
  .open_file = viper_open_file,
  .invalidate = viper_invalidate,
  .options = options,
  .option_struct_size = sizeof (struct viper_options),
};
