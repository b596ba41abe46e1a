/* internal.h: the viper engine's transport layer, free of fio types.
 *
 * A "device" is one job's view of a block target reached through one
 * transport (NBD over libnbd, or an nbdkit plugin loaded in-process).
 * The fio adapter (viper.c) turns io_us into vb_reqs and back; everything
 * else here can be driven and tested without fio.
 */
#ifndef VIPER_INTERNAL_H
#define VIPER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* uri.c */

enum vb_scheme {
  VB_SCHEME_NBD_TCP,            /* nbd://host[:port][/export] */
  VB_SCHEME_NBD_UNIX,           /* nbd+unix:///[export]?socket=PATH */
  VB_SCHEME_PLUGIN,             /* plugin:NAME_OR_PATH?key=value&... */
};

struct vb_param {
  char *key;                    /* NULL for a bare value (magic config key) */
  char *value;
};

struct vb_uri {
  enum vb_scheme scheme;
  char *host;                   /* TCP: host name or address, no brackets */
  char *port;                   /* TCP: service, default "10809" */
  char *export_name;            /* NBD: export name, "" by default */
  char *socket;                 /* Unix: socket path */
  char *plugin;                 /* plugin: the name or path as written */
  struct vb_param *params;      /* plugin: parameters in order */
  size_t nparams;
};

/* Parses TEXT into *URI; returns 0, or -1 with vb_error set. */
extern int vb_uri_parse (const char *text, struct vb_uri *uri);
/* Frees what vb_uri_parse allocated; safe on a zeroed struct. */
extern void vb_uri_free (struct vb_uri *uri);
/* Decodes %XX escapes of S in place; returns 0, or -1 on a bad escape. */
extern int vb_percent_decode (char *s);

/* error.c */

/* Sets this thread's error message (printf-style). */
extern void vb_error (const char *fmt, ...)
  __attribute__((format (printf, 1, 2)));
/* This thread's last error message, never NULL. */
extern const char *vb_get_error (void);
/* Prints a warning line "viper: ..." on stderr. */
extern void vb_warn (const char *fmt, ...)
  __attribute__((format (printf, 1, 2)));
/* Nanoseconds of CLOCK_MONOTONIC. */
extern uint64_t vb_now_ns (void);

/* device.c */

enum vb_op {
  VB_OP_READ,
  VB_OP_WRITE,
  VB_OP_FLUSH,
  VB_OP_TRIM,
};

#define VB_REQ_FUA (1u << 0)    /* write: force unit access */

/* One request.  The caller owns it and keeps it alive until it has come
 * back from vb_dev_reap (or vb_dev_submit said it completed).
 */
struct vb_req {
  /* Set by the caller. */
  enum vb_op op;
  uint32_t flags;
  void *buf;
  uint64_t len;
  uint64_t offset;
  void *user;                   /* the caller's, untouched */

  /* Set on completion: 0 or an errno value. */
  int error;

  /* Private to the device. */
  struct vb_dev *dev;
  struct vb_req *prev, *next;   /* in-flight list, oldest first */
  uint64_t deadline_ns;
  unsigned pending;             /* commands still out for this request */
};

struct vb_dev_opts {
  unsigned conns;               /* NBD connections; 0 means 1 */
  unsigned timeout_ms;          /* per request; 0 means none */
  unsigned max_inflight;        /* requests in flight at once (iodepth) */
  unsigned workers;             /* plugin: threads calling it; 0 inline */
  bool readonly;
  bool writes;                  /* the caller will write */
  bool fua;                     /* the caller will ask for FUA */
  bool probe;                   /* only to read the size: no warnings */
  const char *probe_file;       /* plugin: count the plugin boundary there */
};

struct vb_dev_info {
  uint64_t size;
  bool can_write, can_flush, can_trim, can_fua, can_multi_conn;
  const char *transport;        /* "nbd" or "plugin" */
  const char *target;           /* what to call it in messages */
};

struct vb_dev;

/* Opens a device for URI; returns NULL with vb_error set. */
extern struct vb_dev *vb_dev_open (const char *uri,
                                   const struct vb_dev_opts *opts);
/* What the target said it can do. */
extern const struct vb_dev_info *vb_dev_info (const struct vb_dev *dev);
/* Starts REQ.  Returns 0 when queued (it comes back from vb_dev_reap),
 * 1 when it completed at once (req->error says how), or -1 with
 * errno = EBUSY when max_inflight requests are already out.
 */
extern int vb_dev_submit (struct vb_dev *dev, struct vb_req *req);
/* Waits for at least MIN completions (MIN 0: do not wait) or until
 * TIMEOUT_NS passes (negative: no limit), and stores up to MAX completed
 * requests in OUT.  Returns how many.
 */
extern unsigned vb_dev_reap (struct vb_dev *dev, struct vb_req **out,
                             unsigned min, unsigned max, int64_t timeout_ns);
/* Requests in flight. */
extern unsigned vb_dev_inflight (const struct vb_dev *dev);
/* Closes the device.  Requests still in flight are abandoned: their
 * buffers are not touched again.
 */
extern void vb_dev_close (struct vb_dev *dev);

/* The seam every transport fills in (nbd.c, inproc.c). */
struct vb_transport_ops {
  const char *name;
  /* Opens DEV's transport state for URI; 0 or -1 with vb_error set. */
  int (*open) (struct vb_dev *dev, const struct vb_uri *uri,
               const struct vb_dev_opts *opts, struct vb_dev_info *info);
  /* As vb_dev_submit, with the in-flight bookkeeping already done. */
  int (*submit) (struct vb_dev *dev, struct vb_req *req);
  /* Makes progress: waits up to TIMEOUT_NS (negative: no limit) for
   * completions and hands each one to vb_dev_complete.
   */
  void (*poll) (struct vb_dev *dev, int64_t timeout_ns);
  /* Drops every in-flight command without touching its buffer again. */
  void (*abandon) (struct vb_dev *dev);
  void (*close) (struct vb_dev *dev);
};

struct vb_dev {
  const struct vb_transport_ops *ops;
  void *priv;                   /* the transport's */
  struct vb_dev_info info;
  uint64_t timeout_ns;
  unsigned max_inflight;
  unsigned inflight;
  struct vb_req *oldest, *newest;
  struct vb_req **done;         /* completed, not yet reaped */
  unsigned ndone;
  bool failed;                  /* timed out: every request now fails */
  int fail_errno;
};

/* Called by a transport when REQ's command finishes with ERR (0 or errno). */
extern void vb_dev_complete (struct vb_dev *dev, struct vb_req *req, int err);
/* Abandons the transport and fails every request in flight with ERR;
 * later requests fail with ERR at once.
 */
extern void vb_dev_fail_all (struct vb_dev *dev, int err);

/* host.c: the nbdkit_* functions plugins call, and their state */

/* Starts a lifecycle phase of PLUGIN (load, config, open...): errors the
 * plugin raises are kept for host_phase_error instead of printed.
 */
extern void host_begin_phase (const char *plugin);
/* The error text the plugin gave in this phase, or DFLT. */
extern const char *host_phase_error (const char *dflt);
extern void host_end_phase (void);
/* Brackets one request of PLUGIN: nbdkit_error text is printed then. */
extern void host_begin_request (const char *plugin);
/* Turns a callback's result R into 0 or an errno value, as nbdkit does:
 * nbdkit_set_error's value, else ERRNO_SAVED (when the plugin preserves
 * errno), else EIO.
 */
extern int host_end_request (int r, int errno_saved);
/* Prints a debug line when $VIPER_DEBUG is set. */
extern void host_debug (const char *fmt, ...)
  __attribute__((format (printf, 1, 2)));
/* Frees strings interned by nbdkit_strdup_intern and friends. */
extern void host_free_interned (void);

/* nbd.c */
extern const struct vb_transport_ops vb_nbd_ops;

/* inproc.c */
extern const struct vb_transport_ops vb_plugin_ops;

#endif /* VIPER_INTERNAL_H */
