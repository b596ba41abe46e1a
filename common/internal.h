/* internal.h: the bottom library of viperbench (libcommon.a), what every
 * command shares: messages and small helpers, child processes, fio's JSON
 * output and latency bins, the record model and the statistics.
 *
 * Nothing here includes a header of collectors/, reports/ or runner/
 * (tests/test-layers.sh checks it, and the archives' link order makes a
 * call upwards fail to link).  Out of memory is fatal everywhere: the x*
 * allocators print one message and abort.
 */
#ifndef VIPERBENCH_COMMON_H
#define VIPERBENCH_COMMON_H

#include <sched.h>
#include <stdarg.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#define VIPERBENCH_VERSION "0.3.0"

/* Exit codes of every command. */
#define EXIT_RUN_FAILED 1
#define EXIT_BAD_INPUT 2
#define EXIT_INTERRUPTED 130

/* msg.c */

/* Prints "viperbench: MSG" on stderr and keeps it for vb_last_msg. */
extern void vb_msg (const char *fmt, ...) __attribute__((format (printf, 1, 2)));
/* Prints "viperbench: warning: MSG" on stderr. */
extern void vb_warn (const char *fmt, ...) __attribute__((format (printf, 1, 2)));
/* FILTER (S) gives each message with what it must not say replaced (a
 * string to free), or NULL when it has nothing to replace.
 */
extern void vb_msg_filter (char *(*filter) (const char *));
/* The last message vb_msg printed ("" when none). */
extern const char *vb_last_msg (void);
/* Allocators that never return NULL: out of memory prints one message
 * and aborts.
 */
extern void *xmalloc (size_t n);
extern void *xcalloc (size_t n, size_t size);
extern void *xrealloc (void *p, size_t n);
/* xrealloc of an array of N items of SIZE, checking the product. */
extern void *xreallocarray (void *p, size_t n, size_t size);
extern char *xasprintf (const char *fmt, ...) __attribute__((format (printf, 1, 2)));
extern char *xvasprintf (const char *fmt, va_list ap) __attribute__((format (printf, 1, 0)));
extern char *xstrdup (const char *s);
/* open_memstream and its fclose, out of memory reported as above. */
extern FILE *xopen_memstream (char **buf, size_t *len);
extern void xclose_memstream (FILE *f);
/* cJSON's allocations through xmalloc (called once, first thing). */
extern void xcjson_hooks (void);

/* util.c */

/* Reads a whole file; NULL with errno set. */
extern char *read_file (const char *path, size_t *len);
/* Writes DATA to PATH through PATH.tmp, fsync and rename; 0 or -1
 * (message printed).
 */
extern int write_file_atomic (const char *path, const char *data, size_t len);
/* Notes the first write error of the run (PATH, errno ERR): a record
 * is never complete after one.
 */
extern void note_write_error (const char *path, int err);
/* "PATH: why" of the first write error noted, or NULL. */
extern const char *first_write_error (void);
/* fopen (PATH, "we") for a file the record keeps; NULL with a message
 * and the error noted.
 */
extern FILE *fopen_out (const char *path);
/* Flushes and closes F (PATH's): 0, or -1 with a message and the error
 * noted (ENOSPC shows here, not at fprintf).
 */
extern int fclose_out (FILE *f, const char *path);
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
/* The executable's directory (for build/viper beside build/viperbench). */
extern char *self_dir (void);
/* The directory of what the runner runs beside itself (the engine
 * viper, probe.so, probe-inner.so, blockstore.so, guest/): the build's
 * (build/, when the engine is beside the runner), else the
 * installation's (PREFIX/lib/viperbench for PREFIX/bin/viperbench);
 * to free, or NULL.
 */
extern char *companion_dir (void);
/* The installation's scenarios and stacks (PREFIX/share/viperbench),
 * or NULL when the runner is not installed; to free.
 */
extern char *data_dir (void);
/* Finds PROG on $PATH; true when found. */
extern bool have_program (const char *prog);
/* Table formats: "66.8k" IOPS; "1.31 ms" from nanoseconds; "-" for
 * unknown values.
 */
extern void fmt_iops (char *buf, size_t n, double v);
extern void fmt_ns (char *buf, size_t n, double ns);
/* True for a plain name: [A-Za-z0-9][A-Za-z0-9._-]*, at most 64
 * characters (layers, scenarios, record prefixes): safe as a file name
 * and wherever text goes.
 */
extern bool plain_name (const char *s);

/* sha256.c: the SHA-256 of LEN bytes at DATA, as 64 hex digits. */
extern void sha256_hex (const void *data, size_t len, char out[65]);

/* options.c: a command's options, the one source of its parser and its
 * help.  An option with ARG takes a value named ARG in the help.
 */
struct cli_opt {
  const char *name;             /* --NAME */
  int val;                      /* what cli_next returns for it */
  const char *arg;              /* its value's name, or NULL: none */
  const char *help;             /* one line */
};
struct cli {
  const char *cmd;              /* "run" */
  const char *synopsis;         /* after the command: "[OPTIONS] ID..." */
  const char *about;            /* lines after the usage line, or NULL */
  const struct cli_opt *opts;   /* ended by { NULL } */
  bool posix;                   /* options end at the first operand */
};
#define CLI_HELP (-2)
#define CLI_BAD (-3)
/* The next option of ARGV (set optind = 1 first): its val with optarg
 * set, -1 after the last; CLI_HELP after -h/--help printed the usage on
 * stdout (exit 0); CLI_BAD after a message naming the option, the
 * nearest valid one and where help is (exit 2).
 */
extern int cli_next (const struct cli *c, int argc, char **argv);
extern void cli_usage (FILE *f, const struct cli *c);
/* "viperbench CMD: WHAT; see 'viperbench CMD --help'"; EXIT_BAD_INPUT. */
extern int cli_bad (const struct cli *c, const char *fmt, ...)
  __attribute__((format (printf, 2, 3)));
/* Of the N NAMES, the one WORD is a typo of (or NULL). */
extern const char *cli_nearest (const char *word, const char *const *names,
                                size_t n);
/* "a, b, c" (to free). */
extern char *cli_names (const char *const *names, size_t n);
/* Replaces each byte of S that is not part of valid UTF-8 with '?', in
 * place (JSON is UTF-8: a description in Latin-1 must not make run.json
 * unreadable).
 */
extern void utf8_scrub (char *s);
/* Appends S to the list *LIST (NULL: empty), after SEP unless it is
 * the first.
 */
extern void list_append (char **list, const char *sep, const char *s);
/* Opens /dev/null on whichever of fds 0, 1 and 2 is closed, so that no
 * file the program opens later becomes its stdin, stdout or stderr (a
 * CI job without standard input starts us so, and a child's stdin set
 * up over such a file would clobber it).  First thing in main.
 */
extern void std_fds_open (void);

/* qmp.c: buffered reads with a deadline; QEMU's monitor protocol */

struct rbuf {
  int fd;                       /* owned: closed by rbuf_free */
  char *data;
  size_t len, cap;
};
/* The next line of B (without "\n" or "\r\n") within TIMEOUT s: a
 * string to free, or NULL with errno 0 (end of file), ETIMEDOUT, EINTR
 * (a stop requested) or another.
 */
extern char *rbuf_line (struct rbuf *b, double timeout);
/* Moves the next N bytes of B to OUT (-1: drops them) within TIMEOUT s;
 * 0, or -1 with errno as rbuf_line's.
 */
extern int rbuf_copy (struct rbuf *b, uint64_t n, int out, double timeout);
extern void rbuf_free (struct rbuf *b);
/* A connected Unix socket (close-on-exec), or -1 with errno. */
extern int unix_connect (const char *path);

struct qmp {
  struct rbuf in;
  cJSON *events;                /* events read while waiting for replies
                                 * (the last QMP_EVENTS_KEPT) */
};
/* Connects to the QMP socket PATH, reads the greeting and enters command
 * mode within TIMEOUT s; 0, or -1 with *WHY (to free).
 */
extern int qmp_open (struct qmp *q, const char *path, double timeout,
                     char **why);
/* Runs CMD with ARGS (taken; NULL: none): its "return" (to delete), or
 * NULL with *WHY (to free), QEMU's own description for an error.
 */
extern cJSON *qmp_call (struct qmp *q, const char *cmd, cJSON *args,
                        double timeout, char **why);
/* Waits up to TIMEOUT s for the event NAME whose data.device is DEVICE
 * (one read earlier counts): 0, or -1 with *WHY (to free).
 */
extern int qmp_wait_event (struct qmp *q, const char *name,
                           const char *device, double timeout, char **why);
extern void qmp_close (struct qmp *q);

/* redact.c */

/* True when KEY names a secret (key, secret, password, token...). */
extern bool is_secret_key (const char *key);
/* True for an argument "--password" or "-token": an option named like a
 * secret whose value is the next argument.
 */
extern bool is_secret_option (const char *opt);
/* The same for the value VAL of OPT ("-p" takes a value that is not a
 * number or a path for a password).
 */
extern bool is_secret_option_value (const char *opt, const char *val);
/* Registers with the scrubber the secrets in the text S (a secret
 * key's value, a URL's userinfo, an Authorization header), and in an
 * argument array (those, and the values of secret options).
 */
extern void secrets_from_text (const char *s);
extern void secrets_from_argv (char *const *argv, size_t n);
/* In "key=value" items KV: a user's value with each secret's, in base64
 * (HTTP Basic authentication, as a client built from them sends it).
 */
extern void secrets_from_pairs (char *const *kv, size_t n);
/* S in base64 (to free). */
extern char *base64_text (const char *s);
/* Replaces secret values in "k=v" text lines or argv items, in place. */
extern void redact_kv (char *s);

/* scrub.c: the one scrubber over everything a run keeps */

/* A secret shorter than this is redacted where it stands only. */
#define SCRUB_MIN_LEN 6

/* Registers VALUE as a secret (a short one or a word such as "true" is
 * not: see scrub.c).
 */
extern void scrub_add (const char *value);
/* True once any secret is registered. */
extern bool scrub_active (void);
/* How many values are registered (to tell what a step added). */
extern size_t scrub_count (void);
/* Forgets every secret (tests). */
extern void scrub_reset (void);
/* Scrubs the N bytes of IN into *OUT (*OUTLEN bytes, to free); returns
 * how many bytes of IN it consumed: all when FINAL, else it keeps back
 * the tail where a secret may continue in the next chunk.
 */
extern size_t scrub_chunk (const char *in, size_t n, bool final, char **out,
                           size_t *outlen);
/* S with every secret replaced (to free), or NULL when it has none. */
extern char *scrub_string (const char *s);
/* Every string value under ITEM, in place, but the record's own words
 * (a name, a status, a role: a password "host" leaves the layer "host").
 */
extern void scrub_json (cJSON *item);
/* Rewrites PATH (whole, atomically) when it holds a secret; 0 or -1. */
extern int scrub_file (const char *path);
/* scrub_file on every regular file under DIR; 0 or -1. */
extern int scrub_tree (const char *dir);

/* cgroup.c: a cgroup per server, for billing and clean-up */
#define CGROUP_PATH 512

struct cgroup {
  char dir[CGROUP_PATH];        /* its directory; "" when none was made */
  bool v2;                      /* cgroup v2's (cpu.stat), else v1's
                                   cpuacct (cpuacct.stat) */
};

/* Makes cgroup NAME (a plain name) under the run's, under the runner's
 * own cgroup; 0, or -1 (CG->dir "") where cgroups cannot be made here.
 */
extern int cgroup_make (const char *name, struct cgroup *cg);
/* Moves the calling process into CG (async-signal-safe: between fork
 * and exec); 0 or -1.
 */
extern int cgroup_join_self (const struct cgroup *cg);
/* True when PID is in CG (CG may be NULL). */
extern bool cgroup_has (const struct cgroup *cg, pid_t pid);
/* The user and system CPU seconds of everything CG has held, its dead
 * members included; 0 or -1.
 */
extern int cgroup_cpu (const struct cgroup *cg, double *user_s,
                       double *sys_s);
/* SIGKILLs whatever is left in CG and removes it (and the run's
 * directory with its last cgroup); nothing when none was made.
 */
extern void cgroup_remove (struct cgroup *cg);
/* Removes the cgroups runners that are gone left behind. */
extern void cgroup_sweep (void);

/* proc.c: child processes */

/* A log's cap when the stack sets none. */
#define LOG_MAX_DEFAULT (16ULL << 20)

/* Set by SIGINT/SIGTERM/SIGHUP: stop as soon as possible. */
extern volatile sig_atomic_t stop_requested;
extern void proc_install_signals (void);

/* Paths are the caller's (relative to its directory), opened before the
 * child moves to CWD.
 */
struct spawn_opts {
  const char *cwd;
  const char *stdin_data;       /* written to the child's stdin, or NULL */
  const char *stdout_path;      /* NULL: /dev/null (with log_path: the
                                   log); with log_path, stdout alone */
  const char *stderr_path;      /* NULL: /dev/null; the same path as
                                   stdout_path: opened once */
  const char *log_path;         /* both streams, in order, through the
                                   log pump (scrubbed, capped): a log the
                                   record keeps */
  uint64_t log_max;             /* its cap in bytes (0: proc_set_log_max's) */
  const char *fd3_log;          /* a third stream, the child's fd 3, into a
                                   log of its own through a pump of its own
                                   (a guest's serial console) */
  const char *preload;          /* LD_PRELOAD for this child, or NULL */
  char *const *env;             /* "NAME=value" added, NULL-terminated, or NULL */
  bool keep_stdio;              /* stdout and stderr: the caller's own */
  const cpu_set_t *cpus;        /* the CPUs it may run on, or NULL: ours */
  pid_t netns_pid;              /* >0: runs in that process's network
                                   namespace */
  const struct cgroup *cgroup;  /* joined before exec, or NULL */
};

/* Starts ARGV (never through a shell) with the parent-death signal set
 * so that no child outlives the runner, even after SIGKILL.  Returns the
 * pid, or -1 with a message printed.
 */
extern pid_t proc_spawn (const char *const *argv, const struct spawn_opts *o);
/* The same for a function of the runner's own: FN (ARG) runs in a child
 * set up alike (O->stdin_data, paths, group, parent-death signal), which
 * exits with its value.  FN must leave with a return, never exit().
 */
extern pid_t proc_fork (int (*fn) (void *), void *arg,
                        const struct spawn_opts *o);
/* Waits for PID up to TIMEOUT seconds (<0: forever) or until a stop is
 * requested.  Returns 0 with *STATUS set, 1 on timeout, 2 on stop.
 */
extern int proc_wait (pid_t pid, double timeout, int *status);
/* The same, also filling *RU with the child's rusage (its own and that
 * of the children it reaped) when it has exited.
 */
extern int proc_wait_rusage (pid_t pid, double timeout, int *status,
                             struct rusage *ru);
/* After CHILD was reaped: waits for its log to be written whole (up to
 * TIMEOUT s; what its descendants still hold open is cut off then).
 * proc_wait and proc_kill do it; a caller that reaps by itself must.
 */
extern void proc_log_done (pid_t child, double timeout);
/* {"at_bytes", "dropped_bytes"} when the log PATH was cut, else NULL. */
extern cJSON *log_cut_json (const char *path);
/* Every log's cap from now on (LOG_MAX_DEFAULT until set). */
extern void proc_set_log_max (uint64_t bytes);
/* Makes the runner the reaper of whatever its children leave behind
 * (PR_SET_CHILD_SUBREAPER): a process that daemonises stays ours.  And
 * marks the environment every child inherits, for a guard process that
 * kills every marked process left when the runner ends, even by SIGKILL
 * where no cgroup holds them.
 */
extern void proc_contain (void);
/* Kills and reaps every child still left (an orphan adopted too),
 * within TIMEOUT s, and waits for every log to be written; how many it
 * had to kill.
 */
extern int proc_reap_all (double timeout);
/* SIGTERM, up to GRACE seconds, then SIGKILL; reaps. */
extern void proc_kill (pid_t pid, double grace);
/* True while PID runs (an ended child is left for its waiter). */
extern bool proc_alive (pid_t pid);
/* Runs ARGV to completion within TIMEOUT s, its output to STDOUT_PATH
 * and STDERR_PATH (NULL: /dev/null); its exit status, -2 when it ran out
 * of time (killed), -1 otherwise.
 */
extern int proc_run (const char *const *argv, double timeout,
                     const char *stdout_path, const char *stderr_path);
/* Polls connect() to a Unix socket or 127.0.0.1:PORT until it accepts,
 * PID dies, TIMEOUT passes or a stop is requested; 0 when ready.
 */
extern int proc_wait_unix (const char *path, pid_t pid, double timeout);
extern int proc_wait_tcp (int port, pid_t pid, double timeout);
/* Waits until the server PID accepts on the Unix socket PATH and sends
 * GREETING first (nbdkit's "NBDMAGIC": it serves, past get_ready and
 * after_fork), within TIMEOUT s; 0, or -1.
 */
extern int proc_wait_greeting (const char *path, pid_t pid, double timeout,
                               const char *greeting);
/* The same for IP:PORT as seen from the network namespace of NETNS_PID
 * (0: the runner's).
 */
extern int proc_wait_tcp_at (const char *ip, int port, pid_t pid,
                             double timeout, pid_t netns_pid);
/* Moves the calling thread into the network namespace of PID; 0 or -1
 * (errno set).
 */
extern int netns_join (pid_t pid);
/* Whose is the listening socket on TCP PORT (PATH NULL) or the Unix
 * socket PATH: 1 a process the runner started (or one they started),
 * 0 someone else's (*HOLDER its pid), -1 no listener found.
 */
extern int proc_listener_ours (int port, const char *path, pid_t *holder);
/* A free TCP port on 127.0.0.1, or -1. */
extern int free_tcp_port (void);
/* True when 127.0.0.1:PORT can be bound now. */
extern bool tcp_port_free (int port);
/* All of `ARGV...`'s stdout (within 10 s), or NULL; to free. */
extern char *command_output (const char *const *argv);
/* Its first line, or NULL. */
extern char *command_first_line (const char *const *argv);

/* fiojson.c: fio's json+ output (the one reader of it) */

struct bins;

struct dir_stats {
  double iops;
  double bw_bytes;
  uint64_t total_ios;
  double io_bytes;
  double lat_mean, lat_p50, lat_p99, lat_p999;   /* ns, total latency */
};

/* fio's iodepth_level buckets: 1, 2, 4, 8, 16, 32, >=64. */
#define FIO_DEPTH_LEVELS 7

/* fio's measured window of one job entry of its JSON, in ms: the longest
 * direction's "runtime" (under group_reporting, the longest job's), else
 * its "job_runtime" (summed over a group's jobs); 0 when neither.
 */
extern double fio_job_window_ms (const cJSON *job);

struct fio_result {
  struct dir_stats read, write;
  int error;                    /* the first job error, 0 when none */
  double runtime_s;
  /* Share of submissions made with 1, 2-3, 4-7, ... requests in flight
   * (fio's iodepth_level, weighted by each job's I/Os); all 0 if absent.
   */
  double depth_level[FIO_DEPTH_LEVELS];
};

/* Parses the JSON in fio's output TEXT, skipping the log lines fio may
 * write before it; NULL when there is none.
 */
extern cJSON *fio_json_parse (const char *text);
/* The figures of fio's "jobs" array JOBS: IOPS and bandwidth summed, the
 * mean weighted by I/Os, percentiles fio's own for one job and from the
 * merged bins for several.
 */
extern void fio_result_from_jobs (const cJSON *jobs, struct fio_result *res);
/* The same with options: FIO_CLAT_FALLBACK takes completion latency's
 * percentiles where fio kept none of total latency (its output before
 * lat_percentiles, as old records were kept).
 */
#define FIO_CLAT_FALLBACK 1u
extern void fio_result_from_jobs_flags (const cJSON *jobs, struct fio_result *res,
                                        unsigned flags);
/* The first job's name and fio's version in fio's JSON DOC, into *NAME
 * and *VERSION where they are NULL (to free).
 */
/* The figures of fio's JSON document DOC (its "jobs" merged, with
 * FLAGS as above); the number of job entries, or -1 when DOC has no
 * "jobs" array (not fio's JSON).
 */
extern ssize_t fio_json_result (const cJSON *doc, struct fio_result *res,
                                unsigned flags);
extern void fio_json_identity (const cJSON *doc, char **name, char **version);
/* One fio server's share of fio --client's output: the jobs that name
 * HOST and PORT.
 */
struct fio_client {
  char *host;
  int port;
  unsigned jobs;
  struct fio_result res;
};
/* Splits a "jobs" array by the fio server that ran each job (fio
 * --client's, normalised by fio_json_parse), in order of appearance;
 * their number (0: the jobs of a local fio).  Free with fio_clients_free.
 */
extern size_t fio_clients_split (const cJSON *jobs, struct fio_client **out);
extern void fio_clients_free (struct fio_client *c, size_t n);
/* Parses fio's json+ output FILE (log lines before the JSON skipped);
 * 0, or -1 with a message naming the file.
 */
extern int fio_parse (const char *path, struct fio_result *res);
/* Merges the lat_ns bins of every job and of DDIR ("read", "write", or
 * NULL for both) of fio's json+ output PATH into *B; 0 or -1.
 */
extern int bins_load_fio_ddir (const char *path, const char *ddir,
                               struct bins *b);
/* Both directions. */
extern int bins_load_fio (const char *path, struct bins *b);

/* probe_file.c: the probes' files (probe.h) and the record's boundary schema */

#include "probe.h"

struct probe_snap {
  struct vbp_head h;            /* a copy */
  uint64_t in_flight, max_in_flight;
  struct vbp_counts sum;        /* the shards added up */
  uint64_t at_ns;               /* when it was taken (CLOCK_MONOTONIC) */
};

/* Copies the probe file PATH into *SNAP; with RESET_MAX, starts a new
 * window for its maximum in flight.  0, or -1 with a message naming it.
 */
extern int probe_snapshot (const char *path, struct probe_snap *snap,
                           bool reset_max);
/* The record's boundary NAME (reached VIA the named component from the
 * boundary above, measured by SOURCE) over the window from snapshot A
 * (NULL: since the probe was made) to B.
 */
extern cJSON *probe_boundary (const char *name, const char *via,
                              const char *source, const struct probe_snap *a,
                              const struct probe_snap *b);
/* A disk's boundary from two readings of it, START and END, each the
 * guest's /proc/uptime line then the disk's /proc/diskstats line: counts,
 * bytes, time per operation, mean in flight (the kernel's weighted queue
 * time) and "utilisation" (its busy time, iostat's %util), over
 * WINDOW_S (<= 0: the uptimes').  NULL when a reading is malformed.
 */
extern cJSON *diskstats_boundary (const char *name, const char *via,
                                  const char *source, const char *start,
                                  const char *end, double window_s);
/* A boundary from two "stats" objects of QEMU's query-blockstats, A at
 * the window's start and B at its end (whose latency histograms, set at
 * the start, give the percentiles), over WINDOW_S.
 */
extern cJSON *qemu_block_boundary (const char *name, const char *via,
                                   const char *source, const cJSON *a,
                                   const cJSON *b, double window_s);
/* fio's own boundary from its figures: REQUESTED = jobs x iodepth. */
extern cJSON *fio_boundary (const struct fio_result *r, double requested,
                            const char *via);
/* A number of a boundary by PATH ("in_flight.max", "ops.read.p99_ns",
 * "ops.read.p99.9_ns"); NAN when absent.
 */
extern double boundary_num (const cJSON *bd, const char *path);

/* bins.c: fio's latency histogram bins (json+ "bins": {"ns": count}) */

struct bins {
  double *ns;                   /* bucket values, ascending */
  double *count;
  size_t n;
  double total;
};

/* Merges the lat_ns bins of DDIR (NULL: both) of every job in fio's
 * JSON "jobs" array JOBS into *B.
 */
extern void bins_from_jobs (const cJSON *jobs, const char *ddir,
                            struct bins *b);
/* The P-th percentile (0 < P <= 100), as fio computes it: the value of
 * the first bucket whose cumulative count reaches P% of all; NAN when
 * empty.
 */
extern double bins_percentile (const struct bins *b, double p);
/* Writes "percentile latency_ns" lines (a curve for gnuplot). */
extern void bins_write_curve (const struct bins *b, FILE *f);
extern void bins_free (struct bins *b);

/* record.c: the numbered records DIR/PREFIX-N/run.json (one writer, one
 * reader)
 */

#define RUN_SCHEMA "viperbench.run/1"

struct record {
  char *id;                     /* VM-7 */
  char *dir;                    /* results/VM-7 */
  cJSON *doc;                   /* run.json (or gate.json's owner's) */
};

/* Claims RESULTS/PREFIX-N, N one more than the highest present, with
 * mkdir (two claims never share N); sets REC's id and dir.  0, or -1
 * with a message.
 */
extern int record_claim (const char *results, const char *prefix,
                         struct record *rec);
/* Every string and key of ITEM made valid UTF-8 (utf8_scrub). */
extern void json_scrub (cJSON *item);
/* Writes REC's doc to DIR/run.json whole (temporary name, fsync,
 * rename), every string valid UTF-8; 0 or -1.
 */
extern int record_write (const struct record *rec);
/* One direction's figures as the record keeps them: iops, bw_bytes,
 * total_ios, lat_ns { mean, p50, p99, p99.9 } (null where unknown) and
 * ratio_to_host (against HOST, null without one), for every writer of
 * a record (a run, a client's share, an import).
 */
extern cJSON *record_dir_json (const struct dir_stats *d,
                               const struct dir_stats *host);
/* Sets status, reason (may be NULL) and the finished time; writes. */
extern int record_finish (struct record *rec, const char *status,
                          const char *reason);
/* Holds space in DIR (up to 4 MiB) for the record's last write, and
 * gives it back (record_finish does, before writing).
 */
extern void reserve_make (const char *dir);
extern void reserve_release (const char *dir);
/* Status and reason in REC's document, not yet written. */
extern void record_set_status (struct record *rec, const char *status,
                               const char *reason);
/* Checks that every file under DIR that can be checked is whole (a PNG
 * to its IEND, an SVG or HTML page to its end, JSON that parses, no
 * ".tmp" left): 0, or -1 with *WHY (to free) naming the file.
 */
extern int record_verify (const char *dir, char **why);
extern void record_free (struct record *rec);
/* DIR/run.json, parsed and checked (an object with a targets array of
 * objects, each with a name); NULL when missing or malformed, with the
 * reason in WHY (may be NULL; a static string or the parse error).
 */
extern cJSON *record_load (const char *dir, const char **why);
/* The same for run.json's TEXT. */
extern cJSON *record_parse (const char *text, const char **why);
/* The status of DOC as a reader should take it: "running" only while
 * its runner lives; a running record whose runner is gone is "aborted".
 */
extern const char *record_status (const cJSON *doc);
/* What a run.json holds, from the one table of kinds in record.c. */
enum record_kind {
  RECORD_RUN,                   /* a ladder's figures per layer (or an import) */
  RECORD_DEPTH_SWEEP,           /* targets hold points[] per queue depth */
  RECORD_SCALE_SWEEP,           /* points[] per count of clients and volumes */
};
extern enum record_kind record_kind (const cJSON *doc);
/* "a run", "a queue-depth sweep", "a scale sweep". */
extern const char *record_kind_words (enum record_kind k);
/* Marks DOC as of kind K (its "kind" and "axis"). */
extern void record_set_kind (cJSON *doc, enum record_kind k);
/* True when DOC is a sweep of any axis (targets hold points[], not
 * figures); readers of runs refuse or skip it.
 */
extern bool record_is_sweep (const cJSON *doc);
/* "an exploration (explore.json)", "a gate (gate.json)" when DIR holds
 * one of those and no run.json; NULL otherwise.  Readers of runs refuse
 * or skip it by these words.
 */
extern const char *record_other_kind (const char *dir);
/* For every reader of a record, whatever it holds: the string of ITEM
 * (DFLT when ITEM is missing or not a string), the number of ITEM (NAN
 * when missing or not a number).
 */
extern const char *json_str (const cJSON *item, const char *dflt);
extern double json_num (const cJSON *item);
/* For every writer of a record: V as KEY of OBJ, null when it is NAN or
 * infinite (JSON has neither).
 */
extern void json_add_num (cJSON *obj, const char *key, double v);

/* The records RESULTS/PREFIX-N in number order. */
struct record_entry {
  long num;
  char *id;                     /* PREFIX-N */
  char *dir;                    /* RESULTS/PREFIX-N */
};
/* Lists them into *OUT (free with record_list_free); the count, or -1
 * with a message when RESULTS cannot be read.
 */
extern ssize_t record_list (const char *results, const char *prefix,
                            struct record_entry **out);
extern void record_list_free (struct record_entry *e, size_t n);

/* Adds to the record's layer T a fact in the target's own words: LABEL
 * and its value (printf FMT), in order, under "facts".  The report lists
 * a layer's facts as they are, whatever the target.
 */
extern void record_fact (cJSON *t, const char *label, const char *fmt, ...)
  __attribute__((format (printf, 3, 4)));

/* One side of a comparison: records with their directories. */
struct records {
  cJSON **doc;
  struct rm_run *run;           /* each doc read into the model */
  char **dir;
  size_t n;
};
/* Adds PATH to R: a record, or every complete record in the directory
 * PATH (others skipped with a warning naming them).  0, or -1 with a
 * message starting with WHO.
 */
extern int records_add (struct records *r, const char *path, const char *who);
extern void records_free (struct records *r);
/* Each record's CPU microseconds per I/O of process ROLE in layer NAME
 * (the cpu collector's), into OUT; how many.
 */
extern size_t records_cpu_us (const struct records *r, const char *name,
                              const char *role, double *out, size_t max);

/* stats.c: the distribution-free statistics the gate and compare use.
 *
 * Two samples X (baseline, m values) and Y (candidate, n values), in
 * whatever scale the caller chose (the gate passes logarithms, so that a
 * shift is a ratio):
 *
 *   m >= 2: Mann-Whitney U (Wilcoxon rank-sum) test, exact null
 *           distribution with ties (midranks) for m + n <= STATS_EXACT_MAX,
 *           normal approximation with tie correction above; the shift
 *           Y - X estimated by Hodges-Lehmann (the median of all m*n
 *           differences) with its distribution-free confidence interval.
 *   m == 1: X is one stored value: Wilcoxon signed-rank test of Y - X[0],
 *           Hodges-Lehmann estimate from the Walsh averages and its
 *           interval.  The baseline's own noise is not counted.
 */

#define STATS_EXACT_MAX 100

struct shift {
  double est;                   /* Hodges-Lehmann estimate of Y - X */
  double lo, hi;                /* 1 - 2*alpha interval; -inf/+inf when
                                   the samples are too small for one */
  double p_less;                /* one-sided p: Y tends to be smaller */
  double p_greater;             /* one-sided p: Y tends to be larger */
  bool exact;                   /* p from the exact null distribution */
};

/* Fills *R; 0, or -1 when m == 0 or n == 0. */
extern int stats_shift (const double *x, size_t m, const double *y, size_t n,
                        double alpha, struct shift *r);
/* Paired samples: X[i] and Y[i] measured together (back to back), so
 * that what disturbed both cancels in Y[i] - X[i].  Wilcoxon signed-rank
 * test of the N differences (zeros dropped; exact with ties up to
 * STATS_EXACT_MAX), Hodges-Lehmann estimate of the shift (the median of
 * the Walsh averages) and its distribution-free interval.  0, or -1 when
 * N == 0.
 */
extern int stats_paired (const double *x, const double *y, size_t n,
                         double alpha, struct shift *r);
/* The median of V (N > 0); V is left unchanged. */
extern double stats_median (const double *v, size_t n);
/* The pooled sample standard deviation of X and Y around their own
 * means (only Y's when m < 2); NAN when there are fewer than 2 degrees
 * of freedom.
 */
extern double stats_pooled_sd (const double *x, size_t m, const double *y,
                               size_t n);
/* A robust standard deviation: 1.4826 x the median of the absolute
 * deviations of X and Y from their own medians (a side of fewer than 2
 * values contributes none); NAN when fewer than 3 deviations.  For
 * normal data it estimates the standard deviation; one disturbed run
 * moves it little.
 */
extern double stats_robust_sd (const double *x, size_t m, const double *y,
                               size_t n);
/* The standard normal quantile (0 < P < 1). */
extern double stats_norm_quantile (double p);
/* Repetitions per side that give POWER to detect a shift of EFFECT (> 0)
 * at one-sided level ALPHA when the per-sample standard deviation is SD:
 * the normal-theory size times pi/3 (the rank tests' efficiency against
 * the t test), and never fewer than the exact tests can reach p < ALPHA
 * with.  ONE_SAMPLE: the baseline is a single fixed value.
 */
extern size_t stats_n_needed (double sd, double effect, double alpha,
                              double power, bool one_sample);
/* The smallest n per side at which the exact test can reach p < ALPHA. */
extern size_t stats_n_min (double alpha, bool one_sample);

/* Student's t distribution: P(|T| > |T0|) with DF degrees of freedom,
 * and the quantile t with P(T <= t) = P (0.5 < P < 1).
 */
extern double stats_t_two_sided (double t, double df);
extern double stats_t_quantile (double p, double df);

/* changepoint.c: where a series changed level (E-Divisive means to
 * place a split, a t test corrected for the choice to keep it).
 */
struct change_point {
  size_t at;                    /* index of the first value after it */
  size_t n_before, n_after;     /* the values of the segments either side */
  double shift;                 /* mean after - mean before */
  double lo, hi;                /* its 1 - alpha interval */
  double p;                     /* two-sided, corrected for the choice */
};

/* The change points of X[0..N) (finite values; none if any is not) at
 * significance ALPHA, at most MAX, into OUT in order; how many.
 */
extern size_t stats_change_points (const double *x, size_t n, double alpha,
                                   struct change_point *out, size_t max);

/* fiolog.c: a layer's run over time, from fio's histogram logs */
struct timeline {
  size_t n;                     /* intervals */
  double interval_s;
  double *iops;                 /* completions per second, per interval */
  double *p99_ns;               /* completion latency p99 (NAN: none) */
};
/* Reads every DIR/hist_clat_hist.N.log (INTERVAL_S: fio's
 * log_hist_msec) into *TL: 1, 0 when there are none, -1 on a read error
 * (message printed).
 */
extern int fiolog_timeline (const char *dir, double interval_s,
                            struct timeline *tl);
extern void timeline_free (struct timeline *tl);

/* stats.c: steadiness of a run over time (pure).
 *
 * Judged as fio's steady-state options judge (ss=iops:, iops_slope:),
 * over the last half of the run (at least STEADY_MIN_POINTS intervals):
 * unsteady when its least-squares line moves more than STEADY_TREND of
 * its mean across that half (still warming up or running down), or when
 * an interval there is further than STEADY_SPREAD from its mean.  A
 * stall is an interval after the first whose IOPS fell below
 * STALL_FRACTION of the run's median.
 */
#define STEADY_MIN_POINTS 3
#define STEADY_TREND 0.10
#define STEADY_SPREAD 0.20
#define STALL_FRACTION 0.5
struct steadiness {
  bool judged;                  /* false: too few intervals to judge */
  bool steady;
  double trend;                 /* fitted change across the half / mean */
  double spread;                /* largest |x - mean| / mean there */
  size_t from;                  /* the first interval of the half */
  size_t stalls[16];            /* intervals (0-based) that stalled */
  size_t nstalls;               /* all of them (more than fit above) */
};
extern void timeline_judge (const double *iops, size_t n,
                            struct steadiness *v);

/* The record's model (typed structs and their reader). */
#include "model.h"

#endif /* VIPERBENCH_COMMON_H */
