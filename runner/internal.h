/* internal.h: the top of viperbench: the commands' table, `viperbench
 * run` (the layer ladder), the gate's loop, the stack and scenario
 * parsers, and the targets, one per file (target_*.c) behind struct
 * target.  It may use every layer below (common/, collectors/, reports/);
 * nothing below includes this header.
 */
#ifndef VIPERBENCH_RUNNER_H
#define VIPERBENCH_RUNNER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "../common/internal.h"
#include "../collectors/internal.h"
#include "../reports/internal.h"

/* scenario.c */

struct kv { char *key, *value; int line; };
struct section { char *name; struct kv *kv; size_t n; int line; };

struct scenario {
  char *name;
  char *path;
  char *text;                   /* the file as written */
  struct section *sec;
  size_t nsec;
  /* Derived. */
  unsigned jobs;                /* numjobs summed over job sections */
  unsigned depth;               /* iodepth of the first job */
  double runtime;               /* seconds when time_based, else 0 */
  double ramp;
};

/* Loads scenarios/NAME.fio (or a path); 0, or -1 with a message naming
 * the file and line.
 */
extern int scenario_load (const char *dir, const char *name,
                          struct scenario *sc);
/* Applies RUNTIME= and SIZE= overrides (NULL: none); 0 or -1. */
/* Renames each option to fio's own name for it (`fio --cmdhelp`: an
 * alias such as timeout= becomes runtime=) and refuses, naming file and
 * line, an alias of an option the runner owns or refuses; 0 or -1.
 */
extern int scenario_resolve (struct scenario *sc);
extern int scenario_override (struct scenario *sc, const char *runtime,
                              const char *size);
/* Sets every job's iodepth to DEPTH (a sweep's point); 0, or -1 with
 * a message when the jobs would exceed the bounds.
 */
extern int scenario_set_depth (struct scenario *sc, unsigned depth);
/* The largest size= among the jobs that is a plain size (not a
 * percentage), or 0.
 */
extern int64_t scenario_max_size (const struct scenario *sc);
/* The job file for one layer: ENGINE_LINES in a leading [global]. */
extern char *scenario_render (const struct scenario *sc,
                              const char *engine_lines);
extern void scenario_free (struct scenario *sc);

/* stack.c */

struct target;
struct service;

#define MAX_SERVICES 8

/* "probes": which boundaries inside the stack are measured. */
enum probes_mode {
  PROBES_OFF,                   /* fio's figures alone */
  PROBES_OUTER,                 /* nbdkit nearest its client; the engine's
                                   plugin host */
  PROBES_ALL,                   /* and nbdkit nearest its plugin */
};

struct stack {
  char *path;
  cJSON *json;                  /* expanded; secrets intact */
  char *name, *description;
  char *dir;                    /* where host and plugin files live */
  int64_t size;
  char *plugin;                 /* nbdkit plugin name or path */
  char **plugin_args;           /* "key=value", in order */
  size_t nplugin_args;
  char **files;                 /* files to lay out before the run */
  size_t nfiles;
  unsigned threads;             /* nbdkit -t */
  char **filters;
  size_t nfilters;
  char **filter_args;           /* "key=value" for the filters (servers only) */
  size_t nfilter_args;
  char **nbdkit_args;           /* extra nbdkit options */
  size_t nnbdkit_args;
  char **layers;
  size_t nlayers;
  unsigned conns;
  unsigned request_timeout_ms;
  unsigned workers;             /* direct: plugin threads per job */
  double gate_thr[GT_COUNT];    /* gate thresholds ("gate" key), NAN: unset */
  int pin;                      /* enum pin_mode ("pin" key) */
  double ready_timeout;
  enum probes_mode probes;
  bool has_secrets;             /* a value anywhere that the record redacts */
  char *text;                   /* the file as written (error lines) */
  struct service *svc;          /* "services", in the stack's order */
  size_t nsvc;
  struct {                      /* each target's own keys (configure), */
    const struct target *t;     /* in the table's order */
    void *conf;
  } *conf;
  size_t nconf;                 /* the table's size */
};

/* Loads and validates a stack definition; 0, or -1 with a message that
 * names the file, line and key.
 */
extern int stack_load (const char *path, struct stack *st);
/* A copy of the stack's JSON with secret values replaced. */
extern cJSON *stack_redacted (const struct stack *st);
/* True for a value the stack marks {"value": V, "secret": true}. */
extern bool stack_marked_secret (const cJSON *v);
/* Registers every secret of the stack with the scrubber (common/
 * scrub.c): called when it is loaded and again once its services'
 * values are bound.
 */
extern void stack_secrets (const struct stack *st);
/* Registers the values of the runner's environment variables named like
 * a secret (every child inherits them).
 */
extern void stack_secrets_env (void);
/* stack_value.c: the keys of OBJ, which WHERE names in messages ("in
 * engine"; NULL: the top), are KEYS or ALSO (KEY) (may be NULL), each
 * once; 0, or -1 with a message naming file, line and key.
 */
extern int stack_check_keys (const struct stack *st, const cJSON *obj,
                             const char *const *keys, size_t n,
                             const char *where, bool (*also) (const char *key));
/* Frees N strings of V, and V. */
extern void strv_free (char **v, size_t n);
/* stack_value.c: S with ${dir}, ${size} and ${build} (the directory of
 * viperbench's executable) replaced; malloc'd.  DIR or SIZE NULL: left.
 */
extern char *stack_expand_vars (const char *s, const char *dir,
                                const char *size);
extern char *stack_expand (const struct stack *st, const char *s);
extern void stack_free (struct stack *st);
/* True when the stack's ladder has the layer NAME. */
extern bool stack_has_layer (const struct stack *st, const char *name);

/* stack_dir.c */

/* Makes the stack's dir if need be and opens it; the fd, or -1 with a
 * message when it is a link, not this user's or writable by others.
 */
extern int stack_dir_open (const struct stack *st);
/* Lays out NAME in the dir DFD with the stack's size of data: made
 * anew (and noted as made by viperbench), rewritten when it was made so
 * and has another size, or refused when it was not made so; 0 or -1.
 */
extern int stack_dir_layout (int dfd, const struct stack *st,
                             const char *name);
/* NAME in the dir DFD may be written by the run: absent (and now noted
 * as made by viperbench) or made so before; 0, or -1 with a message.
 */
extern int stack_dir_claim (int dfd, const struct stack *st,
                            const char *name);
/* The same check, writing nothing (a preflight's): 0 when NAME is
 * absent or made by viperbench, else -1 with the message.
 */
extern int stack_dir_check (const struct stack *st, const char *name);

/* stack_value.c */

/* A target's own settings, read by its configure at load (NULL: none). */
extern void *stack_conf (const struct stack *st, const struct target *t);
/* For a target's configure: the unsigned KEY of OBJECT (left as is when
 * absent) within [LO, HI]; 0, or -1 with a message naming file, line and
 * key.
 */
extern int stack_get_uint (const struct stack *st, const cJSON *obj,
                           const char *key, unsigned lo, unsigned hi,
                           unsigned *out);
/* For a target's configure: reports a bad KEY of the object OBJ of the
 * stack (NULL: the top) with the file, the line of that key in that
 * object, the key, then the printf-style reason.
 */
extern void stack_bad (const struct stack *st, const cJSON *obj,
                       const char *key, const char *fmt, ...)
  __attribute__((format (printf, 4, 5)));

/* qemu_opts.c: the stack's "qemu" section, read alike by the targets
 * that run QEMU.  Unset values (0, NULL) are QEMU's own defaults.
 */
struct qemu_opts {
  unsigned shared;              /* qemu-nbd --shared */
  const char *cache, *aio;      /* the drive's cache= and aio= */
  const char *format;           /* guest-image's: "raw" or "qcow2" */
  const char *device;           /* the guest's disk: "virtio-blk",
                                 * "virtio-scsi", "nvme" or
                                 * "vhost-user-blk" */
  bool iothread;                /* virtio-blk in an iothread of its own */
  unsigned num_queues, queue_size;      /* virtio-blk's */
  unsigned vcpus, memory_mib;
  const char *accel;            /* "auto", "kvm", "tcg" */
  const char *attach;           /* "boot" (-drive) or "hotplug" (QMP) */
  const char *fs;               /* the stack's guest.fs: none, ext4, xfs */
  char *mount_options;          /* guest.mount-options, or NULL */
  char *kernel, *initrd;        /* NULL: build/guest's */
  /* A VM target's: its acceleration and why (vm.c's accel_decide). */
  const char *accel_used;
  char *accel_why;
};

/* vm.c: a VM running fio on one disk (target_guest.c,
 * target_guest_image.c).  A target's start: vm_begin (setup, the
 * guest-disk and qemu-block boundaries, DISK saying what the disk is),
 * what the disk needs, then vm_boot with the disk as blockdev-add
 * describes it (on the command line, or over QMP when hot-plugged).
 */
struct run;
struct layer;
extern int vm_configure (const struct stack *st, void **conf);
extern int vm_preflight (const struct stack *st, const struct target *t);
extern void vm_begin (struct run *run, struct layer *l, const char *disk);
extern int vm_boot (struct run *run, struct layer *l, cJSON *blockdev);
extern void vm_stop (struct run *run, struct layer *l);
extern int vm_run_job (struct run *run, struct layer *l, const char *job,
                       const char *json);
extern void vm_record (struct run *run, struct layer *l, cJSON *t);
/* PATH as a QEMU option value: commas doubled (to free). */
extern char *qemu_opt_escape (const char *path);

/* Reads the stack's "qemu" section into *Q; 0, or -1 with a message
 * naming the file, line and key.
 */
extern int qemu_opts_read (const struct stack *st, struct qemu_opts *q);
/* The same, then the section OVER's keys over them. */
extern int qemu_opts_read_over (const struct stack *st, const char *over,
                                struct qemu_opts *q);
/* Frees a struct qemu_opts a target's configure made. */
extern void qemu_opts_free (void *conf);

/* service.c: processes the stack's plugin needs (an object store, a
 * key-value store), declared under "services": started before the first
 * layer that needs them, stopped after the last, billed and profiled
 * with each layer that needs them, recorded (redacted) in run.json.
 */
enum svc_ready { READY_TCP, READY_UNIX, READY_HTTP };

struct objstore;

struct service {
  char *role;                   /* [a-z][a-z0-9_-]*: ${ROLE.KEY} in values */
  const cpu_set_t *cpus;        /* pinned there (pin.c), or NULL */
  const cJSON *json;            /* its object in the stack (messages) */
  char **argv;                  /* as given, then bound */
  size_t nargv;
  char **env;                   /* "NAME=value" */
  size_t nenv;
  char **dirs;                  /* plain names made in its directory */
  size_t ndirs;
  char **fname, **ftext;        /* files written in its directory */
  size_t nfiles;
  enum svc_ready ready;
  char *ready_at;               /* a port, a socket's path, a URL */
  char *ready_cacert;           /* for an https:// URL, or NULL */
  double ready_timeout;
  char **layers;                /* the layers that need it */
  size_t nlayers;
  unsigned port;                /* 0: a free one, chosen when bound */
  struct objstore *obj;         /* the reference object store's options */
  /* Bound when the run's private directory exists. */
  char *dir;                    /* PRIVATE/svc-ROLE, 0700 */
  char *url, *socket, *cacert;  /* the object store's, or NULL */
  /* While it runs. */
  pid_t pid;
  bool running;
  char *log;                    /* its stdout and stderr */
  char *argv_text;              /* redacted, for the record */
  double ready_s;               /* from exec to ready */
  char *end;                    /* how it ended, when not stopped by us */
  struct cgroup cg;             /* it and all it starts (billing, kill) */
};

/* Reads the stack's "services" (called by stack_load); 0, or -1 with a
 * message naming the file, line and key.
 */
extern int services_read (struct stack *st);
/* The services' part of stack_secrets: argv, env, ready check. */
extern void services_secrets (const struct stack *st);
/* Checks every ${ROLE.KEY} in S (found in KEY of the object OBJ) names
 * a service and a key it has; 0, or -1 with a message.
 */
extern int services_check_refs (const struct stack *st, const cJSON *obj,
                                 const char *key, const char *s);
/* The stack's programs are installed; 0 or -1 with a message. */
extern int services_preflight (const struct stack *st);
/* Gives each service its directory in PRIVATE_DIR and its port, and
 * replaces ${ROLE.KEY} in the services' values and the plugin's and
 * filters' arguments; 0 or -1.
 */
extern int services_bind (struct stack *st, const char *private_dir);
/* Before layer L: starts the services it needs that are not running
 * (their logs in LOGDIR), stops those no later layer needs; 0, or -1
 * with a message naming the service and its log.
 */
extern int services_enter (struct stack *st, const char *layer,
                           const char *logdir);
/* Stops every running service. */
extern void services_stop_all (struct stack *st);
/* True when a service LAYER needs has died (a message says which,
 * how, and its log).
 */
extern bool services_dead (struct stack *st, const char *layer);
/* With OUT: S with each ${ROLE.KEY} replaced by its value (a bound
 * service; pid while it runs), to free; without: only checked.  0, or
 * -1 with *BAD the reference at fault (to free).
 */
extern int services_subst (const struct stack *st, const char *s, char **out,
                           char **bad);
/* Starts the bound service S (its log in LOGDIR) and waits until it is
 * ready; 0, or -1 with a message naming it and its log.
 */
extern int service_start (struct service *s, const char *logdir);
/* Reaps services that ended, saying so; true when any has ended. */
extern bool services_reap (struct stack *st);
/* True when LAYER needs the service S. */
extern bool service_needed (const struct service *s, const char *layer);
/* The record's "services". */
extern cJSON *services_record (const struct stack *st, const char *recdir);
extern void services_free (struct stack *st);
/* services_cmd.c: viperbench services --stack FILE -- COMMAND... */
extern int services_main (int argc, char **argv);

/* objstore.c: the reference object store, nginx from Debian: PUT, GET
 * and DELETE of objects in a directory over HTTP or HTTPS (a certificate
 * the run makes), on 127.0.0.1 or a private Unix socket.
 */
/* Reads a service's "objstore" options OBJ into S (argv, ready, dirs);
 * 0 or -1 with a message.
 */
extern int objstore_read (const struct stack *st, const cJSON *obj,
                          struct service *s);
/* Once S->dir and S->port are set: its URL, socket, CA certificate and
 * nginx.conf.
 */
extern void objstore_bind (struct service *s);
/* Before nginx starts: makes the TLS certificate; 0, or -1 with a
 * message.
 */
extern int objstore_prepare (struct service *s);
extern void objstore_free (struct service *s);
/* The names ${ROLE.KEY} may use for an object store S. */
extern bool objstore_has_var (const struct service *s, const char *key);

/* targets: one file each */

#define MAX_CHILDREN 4

struct child {
  const char *role;             /* the program: nbdkit, qemu-nbd */
  pid_t pid;                    /* kept after it stopped, for the record */
  bool stopped;
  char *argv_text;              /* redacted, for the record */
  char *log;                    /* its stderr file */
  struct cgroup cg;             /* it and all it starts (billing, kill) */
};

struct run;

#define MAX_PROBES 6

/* A boundary inside a layer measured by a probe (common/probe.h), or by
 * the target's own BEGIN and END.
 */
struct probe_point {
  char *path;                   /* its file, in the run's private dir */
  char *name;                   /* the boundary: "nbdkit", "plugin" */
  char *via;                    /* what carries requests to it from the
                                   boundary above */
  const char *source;           /* what counts there */
  struct probe_snap start;      /* at the window's start */
  bool started;                 /* else: since the probe was made */
  /* A boundary measured otherwise (END NULL: PATH's probe): BEGIN (may
   * be NULL) at the window's start (again after fio's ramp_time), END
   * its boundary over WINDOW_S (fio's), or NULL with a warning printed.
   */
  void (*begin) (struct probe_point *p);
  cJSON *(*end) (struct probe_point *p, double window_s);
  void *ctx;                    /* theirs */
  /* The most requests the boundary can hold at once (NAN: unknown), what
   * sets it in the stack's own words, and the process that serves it
   * (whose CPU shows a serialized stage the probe's window misses).
   */
  double cap;
  char *cap_what;
  const char *served_by;
};

struct layer {
  const struct target *t;
  char *dir;                    /* results/VM-N/<name> */
  char *file;                   /* the target's own_file in the stack's dir */
  char *engine_lines;           /* fio options naming engine and target */
  struct child child[MAX_CHILDREN];
  size_t nchild;
  char *socket;                 /* a private socket the target made */
  struct probe_point probe[MAX_PROBES];  /* top to bottom */
  size_t nprobe;
  cJSON *boundaries;            /* measured, for the record */
  cJSON *setup;                 /* the target's facts for the record (its
                                   "setup"), or NULL */
  void *priv;                   /* the target's own state while it runs */
};

/* Adds a probe point NAME to L with VIA (printf-style) and returns it:
 * its PATH is its probe file in the run's private dir; a target that
 * measures the boundary itself sets its begin, end and ctx instead.
 */
extern struct probe_point *layer_add_probe (struct run *run, struct layer *l,
                                            const char *name,
                                            const char *source,
                                            const char *fmt, ...)
  __attribute__((format (printf, 5, 6)));

/* A layer of the ladder.  Everything about a layer lives in its file:
 * the core names none of them.
 */
/* One point of a scale sweep, as its target defines it: the keys that
 * mark it in the record (the record's "points" and each point's object:
 * {"client_count": 4, "volumes": 16}), the directory it runs in
 * ("c4-v16") and how the progress line says it ("4 clients, 16
 * volumes").  The target reads its load back from MARKS.
 */
struct scale_point {
  cJSON *marks;
  char *name;
  char *words;
};
extern void scale_points_free (struct scale_point *p, size_t n);

struct target {
  const char *name;
  const char *description;
  /* Executables it needs, with the Debian package of each. */
  const char *const *tools;
  const char *const *packages;
  bool uses_plugin;             /* needs the stack's plugin */
  /* Loads the plugin without the stack's nbdkit filters (the direct
   * layer's in-process host): its record's "filters" is empty, and the
   * report draws no ratio between it and a layer that ran them.
   */
  bool plugin_alone;
  unsigned servers;             /* processes its start runs (pinning) */
  /* Only run when the stack's "layers" names it (not in the default
   * ladder).
   */
  bool named_only;
  /* The layer the others are compared against (ratio_to_host); one. */
  bool baseline;
  /* A layer that runs the same thing on another stack below it, and how
   * they differ (NULL: none): when both ran, the record names it and
   * the report gives their ratio (the guest on NBD against the same VM
   * on a local image, as the investigations compared them).
   */
  const char *peer, *peer_why;
  /* A file in the stack's directory that the layer's I/O goes to and
   * that is laid out with data before the run (NULL: none).
   */
  const char *own_file;
  /* Its own top-level stack keys (NULL-terminated, may be NULL), read by
   * CONFIGURE into *CONF when the stack is loaded, whether or not the
   * stack runs the layer; 0, or -1 with a message (stack_bad).
   */
  const char *const *stack_keys;
  int (*configure) (const struct stack *st, void **conf);
  /* Frees what CONFIGURE made (NULL: free). */
  void (*free_conf) (void *conf);
  /* Checks before a record is claimed (a port in use, say); 0, or -1
   * with a message.  May be NULL.
   */
  int (*preflight) (const struct stack *st);
  /* Starts what the layer needs and sets L->engine_lines; 0 or -1 with a
   * message printed.  L->dir exists.
   */
  int (*start) (struct run *run, struct layer *l);
  /* Stops what start started (safe to call after a failed start). */
  void (*stop) (struct run *run, struct layer *l);
  /* Runs the job elsewhere than a fio on this host (NULL: fio here), in
   * a child of the runner (proc_fork) whose stderr is fio's: fio's json+
   * to JSON, the files fio wrote to L->dir; returns fio's exit status
   * (125: it could not run, the reason on stderr).
   */
  int (*run_job) (struct run *run, struct layer *l, const char *job,
                  const char *json);
  /* With RUN_JOB: true once the job's I/O has begun (its connections
   * made), for the collectors' window (NULL: after ramp_time).
   */
  bool (*jobs_running) (struct run *run, struct layer *l);
  /* Called every 100 ms while fio runs: -1, with a message naming what,
   * when a part of the layer died (fio is then stopped).  May be NULL.
   */
  int (*check) (struct run *run, struct layer *l);
  /* A scale sweep the stack asks of this layer: its points (to free
   * with scale_points_free); their number, 0 when none.  May be NULL.
   */
  size_t (*scale_points) (const struct stack *st, struct scale_point **out);
  /* Adds what only this target knows to its record object T, after
   * the figures every layer has (fio-clients: each client's share).
   * May be NULL.
   */
  void (*record) (struct run *run, struct layer *l, cJSON *t);
  /* How the record says fio ran (NULL: fio on this host). */
  const char *fio_command;
};


/* clientns.c: load clients made here, each a fio server in network and
 * PID namespaces of its own on a veth pair to a hub namespace's bridge;
 * nothing outlives the runner (see the file).
 */
#define NSNET_MAX 64
#define NSNET_PREFIX "10.77.0"  /* the hub .1, client k .(k+1) */
#define NSNET_FIO_PORT 8765

struct nsclient {
  char name[16];                /* c1, c2, ... */
  char addr[16];                /* its address, 10.77.0.2, ... */
  pid_t holder;                 /* in its namespaces; its child, the first
                                   of its PID namespace, is fio --server */
  int go;                       /* the pipe it waits on, or -1 */
  char *log;                    /* its fio server's output */
  char *dir;                    /* its fio server's directory */
};

struct nsnet {
  pid_t hub;                    /* holds the hub's network namespace */
  struct nsclient *cl;
  size_t n;
};

/* Makes the hub and N clients (their logs in LOGDIR, their directories
 * in WORKDIR, pinned to CPUS when not NULL) and waits up to TIMEOUT s
 * for each fio server; 0, or -1 with a message (nothing left).
 */
extern int nsnet_start (struct nsnet *net, size_t n, const char *logdir,
                        const char *workdir, const cpu_set_t *cpus,
                        double timeout);
/* Stops every client and the hub. */
extern void nsnet_stop (struct nsnet *net);
/* The first client whose fio server has ended (HOW: how, in LEN
 * bytes), or NULL.
 */
extern const struct nsclient *nsnet_dead (const struct nsnet *net, char *how,
                                          size_t len);

/* targets.c: the table, in the default ladder's order */
extern const struct target *target_find (const char *name);
/* The I-th target of the table, or NULL past its end. */
extern const struct target *target_at (size_t i);
/* Its index in the table. */
extern size_t target_index (const struct target *t);
/* How many targets the table holds. */
extern size_t target_count (void);
/* The baseline layer (the one with .baseline set). */
extern const struct target *target_baseline (void);
/* "host, direct, ..." into BUF. */
extern void target_list (char *buf, size_t n);

/* nbdkit.c: starting nbdkit for the server-based targets */
struct nbdkit_argv {
  const char **argv;            /* NULL-terminated */
  char **owned;                 /* the strings it made */
  size_t nowned;
};
/* The probes' files for one nbdkit (NULL: that probe not loaded). */
struct nbdkit_probes {
  const char *outer, *inner;
};
/* nbdkit's command line for the stack: "nbdkit", HEAD..., the outer
 * probe, the stack's filters, the inner probe, the stack's nbdkit
 * options (WITH_OPTIONS), the plugin, its arguments, the filters' and
 * the probes' arguments, then TAIL...  PROBES may be NULL.  Free with
 * nbdkit_argv_free.
 */
extern void nbdkit_argv_build (struct nbdkit_argv *a, const struct stack *st,
                               const char *const *head, bool with_options,
                               const struct nbdkit_probes *probes,
                               const char *const *tail);
extern void nbdkit_argv_free (struct nbdkit_argv *a);
/* The thread model nbdkit runs the stack's plugin with (WITH_FILTERS:
 * as the stack's filters leave it), from nbdkit --dump-plugin; a
 * string to free, or NULL with a warning.
 */
extern char *nbdkit_thread_model (const struct stack *st, bool with_filters,
                                  const char *private_dir);
/* Where nbdkit's thread model with the stack's filters comes from, to
 * say with it: "the plugin's own", "set by filter NAME" or "set by the
 * stack's filters (A, B)"; NULL when the model is unknown.  To free.
 */
extern char *nbdkit_model_source (const struct stack *st,
                                  const char *with_filters,
                                  const char *plugin_own,
                                  const char *private_dir);
/* The capacity (in requests at once) that nbdkit's threads and thread
 * model give CONNS connections, with what sets it in *WHAT (to free);
 * NAN when the model is unknown.
 */
extern double nbdkit_capacity (const struct run *run, unsigned conns,
                               char **what);
/* Sets the capacity of L's nbdkit and plugin boundaries: CONNS
 * connections reach nbdkit, its client sending at most CLIENT_CAP per
 * connection (0: no cap of its own), CLIENT_WHAT saying which.
 */
extern void nbdkit_set_capacity (struct run *run, struct layer *l,
                                 unsigned conns, unsigned client_cap,
                                 const char *client_what);
/* Starts nbdkit serving the stack's plugin on a Unix socket (PORT 0) or
 * 127.0.0.1:PORT, with the run's probes; the child is added to L.
 * CLIENT names what carries fio's requests to nbdkit (for the
 * boundaries' "via").  0 or -1.
 */
extern int nbdkit_start (struct run *run, struct layer *l, int port,
                         const char *client);
/* The same on IP:PORT in the network namespace of NETNS_PID (0: the
 * runner's).
 */
extern int nbdkit_start_at (struct run *run, struct layer *l, const char *ip,
                            int port, pid_t netns_pid, const char *client);
/* sut.c: the system under test's identity.  Checks the stack's
 * "system_under_test" (0, or -1 naming the key); what it names and the
 * plugin's file, identified ({"id", "git", "file", "command",
 * "plugin"}), or NULL with a message (bad input).
 */
extern int sut_check (const struct stack *st);
extern cJSON *sut_identify (const struct stack *st);

/* progress.c: a line per layer on a terminal while fio runs. */
struct progress {
  bool on, shown;
  const char *name;
  char *status;                 /* fio's status output, or NULL */
  double t0, next, total;
};
/* True when stderr is a terminal (else nothing is shown). */
extern bool progress_wanted (void);
/* FIO_STATUS: fio runs here and writes its status to P->status. */
extern void progress_begin (struct progress *p, struct run *run,
                            struct layer *l, bool fio_status);
/* At most once a second: the layer's line, redrawn. */
extern void progress_tick (struct progress *p);
/* The line cleared; the status file removed. */
extern void progress_end (struct progress *p);

/* Starts a server child of L and waits until it accepts on SOCKET or
 * 127.0.0.1:PORT; 0 or -1 with a message naming the layer and the cause.
 * FD3_LOG: a log kept of what it writes on fd 3 (scrubbed, capped), or
 * NULL.
 */
extern int layer_start_server (struct run *run, struct layer *l,
                               const char *role, const char *const *argv,
                               const char *socket, int port,
                               const char *fd3_log);
/* The last non-empty line of a log, for messages (to free). */
extern char *log_tail (const char *path);
/* Target stops: every child of L, newest first; or nothing. */
extern void layer_stop_children (struct run *run, struct layer *l);
extern void layer_stop_nothing (struct run *run, struct layer *l);
/* Sets L's fio lines for viper over NBD to URI (conns=, request_timeout=). */
extern void layer_set_nbd_engine (struct run *run, struct layer *l,
                                  const char *uri);

/* fio.c */

/* True when S can stand as a value in a fio job file as it is: no
 * control character (a new line), ';' or '#' (a comment), '$' (an
 * environment variable) or '\\'; with PATH, an absolute path without
 * ':' either (filename= takes a list of files split at ':').
 */
extern bool fio_value_ok (const char *s, bool path);

/* Asks fio itself whether it takes the job text JOB (fio --parse-only,
 * nothing run); 0, or -1 with fio's reason in a message naming WHAT.
 * Its log goes to PRIVATE_DIR.
 */
extern int fio_check_job (const char *job, const char *what,
                          const char *private_dir);
/* Runs fio on the job text in L->dir with the run's collectors over the
 * measured window; their results go to *COLL (an object, or NULL when
 * none ran).  0, or -1 with a message.
 */
extern int fio_run_layer (struct run *run, struct layer *l, const char *job,
                          struct fio_result *res, cJSON **coll);

/* run_record.c: what `run` puts in its record */

/* pin.c: where the run's processes may run (the stack's "pin", --pin). */
enum pin_mode { PIN_AUTO, PIN_ON, PIN_OFF };
#define PIN_SLOTS 16

struct pin_plan {
  enum pin_mode mode;
  bool pinned;
  char available[128];          /* the CPUs we may use, "0-3" */
  char why[512];                /* what was done and why, for the record */
  cpu_set_t slot[PIN_SLOTS];    /* 0 fio, 1 + i service i, then servers */
  size_t nslots;
};

/* "auto", "on", "off"; 0 or -1. */
extern int pin_parse (const char *text, enum pin_mode *mode);
extern const char *pin_mode_name (enum pin_mode mode);
/* Adds KEY: "0-3,6" to O for SET; nothing when SET is NULL (not pinned). */
extern void pin_add_cpus (cJSON *o, const char *key, const cpu_set_t *set);

struct run {
  const char *results_dir;
  const char *prefix;
  struct record rec;            /* id, dir, run.json being built */
  char *private_dir;            /* sockets, 0700, outside results */
  const char *description;
  struct scenario *sc;
  struct stack *st;
  char *engine;                 /* absolute path of build/viper */
  char started[32];             /* ISO 8601 UTC */
  cJSON *targets;
  struct fio_result base;       /* the baseline layer's figures */
  bool have_base;
  const struct collector **coll;  /* enabled collectors (ncollectors room) */
  size_t ncoll;
  cJSON *coll_disabled;         /* collectors that cannot run here */
  struct layer *layers;
  bool no_report;
  size_t nlayer_slots;          /* layers allocated */
  unsigned *depths;             /* sweep: the queue depths, else NULL */
  size_t ndepths;
  char *model_nbdkit;           /* nbdkit's thread model, with filters */
  char *model_plugin;           /* the plugin's own */
  char *model_source;           /* where model_nbdkit comes from */
  /* vm.c: "auto" acceleration as a trial decided it, once per run for
   * every VM layer (NULL until one asks).
   */
  const char *kvm_trial;
  char *kvm_trial_why;
  struct pin_plan pin;
  /* A scale sweep's points (its target's) and the one being run (NULL:
   * the stack's own).
   */
  struct scale_point *scale;
  size_t nscale;
  const struct scale_point *scale_at;
  cJSON *sut;                   /* the system under test's identity */
};

/* Plans where fio, the services and the layers' servers (at most SERVERS
 * in a layer) run, and tells the services; after the layers are chosen,
 * before anything starts.
 */
extern void pin_plan (struct run *run, enum pin_mode mode, size_t servers);
/* The CPUs of fio and of a layer's K-th server; NULL: not pinned. */
extern const cpu_set_t *pin_fio (const struct run *run);
extern const cpu_set_t *pin_server (const struct run *run, size_t k);
/* The record's "cpus". */
extern cJSON *pin_record (const struct run *run);

/* The record's "services" as they stand (replaced each time). */
extern void record_services (struct run *run);
/* Builds the initial run.json (status running) in RUN->rec and writes it. */
extern int record_begin (struct run *run);
/* Adds a finished layer's figures. */
extern void record_add_target (struct run *run, struct layer *l,
                               const struct fio_result *res, cJSON *coll);
/* Prints the ladder table. */

/* run.c: viperbench run (and sweep, with the same phases) */
extern int run_main (int argc, char **argv);
extern int sweep_main (int argc, char **argv);

/* layer.c */
/* One layer: start it, run fio, record it, stop it; 0 or an exit code.
 * L->t and L->dir are set (L->dir not yet made); L->file is set here.
 */
extern int run_layer (struct run *run, struct layer *l);

/* private.c: the run's private directory (sockets, raw output, the
 * services' files), 0700 under /tmp, naming its runner: made (after
 * removing those of runners that are gone), and removed whole without
 * following links.
 */
extern char *private_dir_make (void);
extern void rm_private (const char *dir);

/* sweep_run.c: viperbench sweep's ladder: each layer at each depth */
/* Parses "1,2,4,..." (ascending, 1 to 65536, at most 32); 0 or -1. */
extern int sweep_parse_depths (const char *text, unsigned **depths,
                               size_t *n);
/* Each layer at each depth into the record; 0 or the exit code. */
extern int sweep_ladder (struct run *run);
extern void sweep_print_table (struct run *run);

/* child_run.c: one `viperbench run` as a child (gate, explore) */
struct child_run {
  const char *self;             /* build/viperbench */
  const char *scenario, *scen_dir, *stack, *layers, *collect, *desc;
  const char *runtime, *pin, *size;     /* NULL: the run's own */
  const char *dir;              /* its record is DIR/R-NUM, log DIR/run-NUM.log */
  size_t num;
  double bound;                 /* seconds it may take */
  const char *who;              /* "candidate run 3": for messages */
  const char *stack_words;      /* the stack as messages name it, or NULL */
};
/* Runs C: 0 with *DOC its complete record (cJSON_Delete it); -1 with
 * *FAILURE (to free) saying why there is none; -2 when a stop was
 * requested (the run was stopped and marked by itself).
 */
extern int child_run (const struct child_run *c, cJSON **doc,
                      char **failure);

/* explore_run.c: viperbench explore: what each knob of a stack buys */
extern int explore_main (int argc, char **argv);

/* gate_run.c: viperbench gate (the CI regression gate): the loop that
 * gathers samples; the decision is reports/gate_verdict.c's.
 */
extern int gate_main (int argc, char **argv);

#endif /* VIPERBENCH_RUNNER_H */
