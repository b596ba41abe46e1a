/* internal.h: the viperbench runner (`viperbench run`), its targets and
 * helpers.  One target per file (target_*.c) behind struct target.
 */
#ifndef VIPERBENCH_RUNNER_H
#define VIPERBENCH_RUNNER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "../collectors/internal.h"

#define VIPERBENCH_VERSION "0.2.0"
#define RUN_SCHEMA "viperbench.run/1"

/* Exit codes. */
#define EXIT_RUN_FAILED 1
#define EXIT_BAD_INPUT 2
#define EXIT_INTERRUPTED 130

/* util.c */

/* Prints "viperbench: MSG" on stderr. */
extern void vb_msg (const char *fmt, ...) __attribute__((format (printf, 1, 2)));
/* The last message vb_msg printed ("" when none). */
extern const char *vb_last_msg (void);
/* Reads a whole file; NULL with errno set. */
extern char *read_file (const char *path, size_t *len);
/* Writes DATA to PATH through PATH.tmp and rename; 0 or -1 (message printed). */
extern int write_file_atomic (const char *path, const char *data, size_t len);
/* mkdir -p; 0 or -1 with errno. */
extern int mkdir_p (const char *path, mode_t mode);
/* Parses "128M", "1G", "4096" into bytes; -1 when malformed. */
extern int64_t parse_size (const char *s);
/* Parses a signed percentage "-10%" or "+20%" into -0.10 or 0.20; NAN
 * when malformed, zero or out of range (the sign is required: it says
 * which way is worse).
 */
extern double parse_percent (const char *s);
/* Current time as ISO 8601 UTC ("2026-11-21T12:00:00Z") in BUF. */
extern void iso_now (char *buf, size_t n);
/* Monotonic seconds. */
extern double mono_now (void);
/* malloc'd printf, aborting on out-of-memory (tiny strings only). */
extern char *xasprintf (const char *fmt, ...) __attribute__((format (printf, 1, 2)));
extern char *xstrdup (const char *s);
/* True when KEY names a secret (key, secret, password, token...). */
extern bool is_secret_key (const char *key);
/* Replaces secret values in "k=v" text lines or argv items, in place. */
extern void redact_kv (char *s);
/* First line of `ARGV...` stdout, or NULL. */
extern char *command_first_line (const char *const *argv);
/* The executable's directory (for build/viper beside build/viperbench). */
extern char *self_dir (void);
/* Table formats: "66.8k" IOPS; "1.31 ms" from nanoseconds; "-" for
 * unknown values.
 */
extern void fmt_iops (char *buf, size_t n, double v);
extern void fmt_ns (char *buf, size_t n, double ns);
/* Finds PROG on $PATH; true when found. */
extern bool have_program (const char *prog);

/* proc.c */

/* Set by SIGINT/SIGTERM/SIGHUP: stop as soon as possible. */
extern volatile sig_atomic_t stop_requested;
extern void proc_install_signals (void);

/* Paths are the caller's (relative to its directory), opened before the
 * child moves to CWD.
 */
struct spawn_opts {
  const char *cwd;
  const char *stdin_data;       /* written to the child's stdin, or NULL */
  const char *stdout_path;      /* NULL: /dev/null */
  const char *stderr_path;      /* NULL: /dev/null */
  const char *preload;          /* LD_PRELOAD for this child, or NULL */
};

/* Starts ARGV (never through a shell) with the parent-death signal set
 * so that no child outlives the runner, even after SIGKILL.  Returns the
 * pid, or -1 with a message printed.
 */
extern pid_t proc_spawn (const char *const *argv, const struct spawn_opts *o);
/* Waits for PID up to TIMEOUT seconds (<0: forever) or until a stop is
 * requested.  Returns 0 with *STATUS set, 1 on timeout, 2 on stop.
 */
extern int proc_wait (pid_t pid, double timeout, int *status);
/* The same, also filling *RU with the child's rusage (its own and that
 * of the children it reaped) when it has exited.
 */
extern int proc_wait_rusage (pid_t pid, double timeout, int *status,
                             struct rusage *ru);
/* SIGTERM, up to GRACE seconds, then SIGKILL; reaps. */
extern void proc_kill (pid_t pid, double grace);
/* True while PID runs (not reaped). */
extern bool proc_alive (pid_t pid);
/* Runs ARGV to completion within TIMEOUT s; its exit status, -2 when it
 * ran out of time (killed), -1 otherwise.
 */
extern int proc_run (const char *const *argv, double timeout,
                     const char *stderr_path);
/* Polls connect() to a Unix socket or 127.0.0.1:PORT until it accepts,
 * PID dies, TIMEOUT passes or a stop is requested; 0 when ready.
 */
extern int proc_wait_unix (const char *path, pid_t pid, double timeout);
extern int proc_wait_tcp (int port, pid_t pid, double timeout);
/* A free TCP port on 127.0.0.1, or -1. */
extern int free_tcp_port (void);
/* True when 127.0.0.1:PORT can be bound now. */
extern bool tcp_port_free (int port);

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
extern int scenario_override (struct scenario *sc, const char *runtime,
                              const char *size);
/* The job file for one layer: ENGINE_LINES in a leading [global]. */
extern char *scenario_render (const struct scenario *sc,
                              const char *engine_lines);
extern void scenario_free (struct scenario *sc);

/* stack.c */

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
  unsigned qemu_shared;
  int tcp_port;                 /* 0: pick a free one */
  double gate_iops, gate_p99;   /* gate thresholds ("gate" key), NAN: unset */
  double ready_timeout;
};

/* Loads and validates a stack definition; 0, or -1 with a message that
 * names the file, line and key.
 */
extern int stack_load (const char *path, struct stack *st);
/* A copy of the stack's JSON with secret values replaced. */
extern cJSON *stack_redacted (const struct stack *st);
/* The plugin URI for viper: plugin:NAME?k=v&... (%-escaped). */
extern char *stack_plugin_uri (const struct stack *st);
extern void stack_free (struct stack *st);

/* targets: one file each */

#define MAX_CHILDREN 4

struct child {
  const char *role;             /* "nbdkit", "qemu-nbd" */
  pid_t pid;                    /* kept after it stopped, for the record */
  bool stopped;
  char *argv_text;              /* redacted, for the record */
  char *log;                    /* its stderr file */
};

struct run;

struct layer {
  const struct target *t;
  char *dir;                    /* results/VM-N/<name> */
  char *engine_lines;           /* fio options naming engine and target */
  struct child child[MAX_CHILDREN];
  size_t nchild;
  char *socket;                 /* a private socket the target made */
};

struct target {
  const char *name;
  const char *description;
  /* Executables it needs, with the Debian package of each. */
  const char *const *tools;
  const char *const *packages;
  bool uses_plugin;             /* needs the stack's plugin */
  /* Starts what the layer needs and sets L->engine_lines; 0 or -1 with a
   * message printed.  L->dir exists.
   */
  int (*start) (struct run *run, struct layer *l);
  /* Stops what start started (safe to call after a failed start). */
  void (*stop) (struct run *run, struct layer *l);
};

extern const struct target target_host;
extern const struct target target_direct;
extern const struct target target_nbd_unix;
extern const struct target target_nbd_tcp;
extern const struct target target_qemu_nbd;

/* targets.c */
extern const struct target *target_find (const char *name);
extern void target_list (char *buf, size_t n);

/* nbdkit.c: starting nbdkit for the server-based targets */
struct nbdkit_argv {
  const char **argv;            /* NULL-terminated */
  char **filters;               /* the --filter= strings it owns */
};
/* nbdkit's command line for the stack: "nbdkit", HEAD..., the filters,
 * the stack's nbdkit options (WITH_OPTIONS), the plugin, its arguments
 * and the filters' arguments, then TAIL...  Free with nbdkit_argv_free.
 */
extern void nbdkit_argv_build (struct nbdkit_argv *a, const struct stack *st,
                               const char *const *head, bool with_options,
                               const char *const *tail);
extern void nbdkit_argv_free (struct nbdkit_argv *a);
/* Starts nbdkit serving the stack's plugin on a Unix socket (PORT 0) or
 * 127.0.0.1:PORT; the child is added to L.  0 or -1.
 */
extern int nbdkit_start (struct run *run, struct layer *l, int port);
/* Starts a server child of L and waits until it accepts on SOCKET or
 * 127.0.0.1:PORT; 0 or -1 with a message naming the layer and the cause.
 */
extern int layer_start_server (struct run *run, struct layer *l,
                               const char *role, const char *const *argv,
                               const char *socket, int port);
/* Target stops: every child of L, newest first; or nothing. */
extern void layer_stop_children (struct run *run, struct layer *l);
extern void layer_stop_nothing (struct run *run, struct layer *l);
/* Sets L's fio lines for viper over NBD to URI (conns=, request_timeout=). */
extern void layer_set_nbd_engine (struct run *run, struct layer *l,
                                  const char *uri);

/* fio.c */

struct dir_stats {
  double iops;
  double bw_bytes;
  uint64_t total_ios;
  double lat_mean, lat_p50, lat_p99, lat_p999;   /* ns, total latency */
};

struct fio_result {
  struct dir_stats read, write;
  int error;                    /* the first job error, 0 when none */
  double runtime_s;
};

/* Runs fio on the job text in L->dir with the run's collectors over the
 * measured window; their results go to *COLL (an object, or NULL when
 * none ran).  0, or -1 with a message.
 */
extern int fio_run_layer (struct run *run, struct layer *l, const char *job,
                          struct fio_result *res, cJSON **coll);
/* Parses the JSON in fio's output TEXT, skipping the log lines fio may
 * write before it; NULL when there is none.
 */
extern cJSON *fio_json_parse (const char *text);
/* Parses fio's json+ output FILE (log lines before the JSON skipped). */
extern int fio_parse (const char *path, struct fio_result *res);

/* record.c */

struct run {
  const char *results_dir;
  const char *prefix;
  char *id;                     /* VM-N */
  char *dir;                    /* results/VM-N */
  char *private_dir;            /* sockets, 0700, outside results */
  const char *description;
  struct scenario *sc;
  struct stack *st;
  char *engine;                 /* absolute path of build/viper */
  char *host_file;              /* DIR/host.img */
  char started[32];
  cJSON *doc;                   /* run.json being built */
  cJSON *targets;
  struct fio_result host;
  bool have_host;
  const struct collector *coll[8];      /* enabled collectors */
  size_t ncoll;
};

/* Claims results/PREFIX-N with N one more than the highest present; 0 or -1. */
extern int record_claim (struct run *run);
/* Builds the initial run.json (status running) and writes it. */
extern int record_begin (struct run *run);
/* Adds a finished layer's figures. */
extern void record_add_target (struct run *run, struct layer *l,
                               const struct fio_result *res, cJSON *coll);
/* Sets status (and reason, may be NULL), finished time, and writes. */
extern int record_finish (struct run *run, const char *status,
                          const char *reason);
extern int record_write (struct run *run);
/* Prints the ladder table. */
extern void record_print_table (struct run *run);

/* gate.c: viperbench gate (the CI regression gate). */
extern int gate_main (int argc, char **argv);

#endif /* VIPERBENCH_RUNNER_H */
