/* model.h: the record's model: what a run record (run.json) holds, as
 * typed structs, and the one reader that fills them (common/model.c).
 *
 * Every reader of a record outside common/ goes through these structs;
 * tests/test-layers.sh fails on a key lookup of the record in reports/.
 * The model borrows: its strings point into the cJSON document it was
 * read from and live as long as that document; rm_run_free frees the
 * arrays the reader allocated, never the document.  A figure the record
 * lacks (an older record, an imported one, a key of the wrong type) is
 * NAN, a string NULL, a list empty: a reader never sees a half-typed
 * value.
 */
#ifndef VIPER_COMMON_MODEL_H
#define VIPER_COMMON_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

enum rm_ddir { RM_READ, RM_WRITE, RM_NDIR };

/* A layer's figures of one direction, as fio measured them. */
struct rm_dir {
  bool present;                 /* the record has the direction */
  double iops, bw_bytes, total_ios, ratio_to_host;
  double mean_ns, p50_ns, p99_ns, p999_ns;      /* fio's total latency */
};

/* One direction at a boundary. */
struct rm_ops {
  double count, bytes, busy_ns, errors;
  double mean_ns, p50_ns, p99_ns, p999_ns;
};

/* One operation at a boundary, by its name (read, write, flush...). */
struct rm_op {
  const char *op;
  struct rm_ops f;
};

/* The share of requests that found fewer than LABEL in flight. */
struct rm_arrival {
  const char *label;
  double share;
};

/* A stage's capacity as the stack set it (a boundary's "capacity"). */
struct rm_capacity {
  double max;                   /* NAN: none known */
  const char *what, *served_by;
};

/* One measured boundary inside a layer: fio's, a probe's, the guest's
 * disk; top to bottom.
 */
struct rm_boundary {
  const char *name, *via, *source;
  double window_s;
  struct rm_ops ops[RM_NDIR];
  double flight_mean, flight_max, flight_requested;
  double utilisation;           /* a disk's busy share (iostat's %util) */
  struct rm_capacity capacity;
  struct rm_op *all_ops;        /* every operation, in the record's order */
  size_t nall_ops;
  struct rm_arrival *arrival;   /* in flight at arrival, by bucket */
  size_t narrival;
};

/* The cpu collector's figures of one process. */
struct rm_proc {
  const char *role;
  double pid, user_s, sys_s, cpu_s, cpu_us_per_io, ctx_per_io;
  double utilisation, cpus_allowed;
  double threads, busiest_utilisation;
  const char *busiest;          /* its busiest thread's name */
  double *cpu_list;             /* the CPUs it may run on */
  size_t ncpu_list;
};

/* A symbol of perf's profile of a process. */
struct rm_symbol {
  const char *symbol;
  double self_pct, inclusive_pct;
};

struct rm_thread {
  const char *thread;
  double samples, pct;
};

/* The perf collector's profile of one process. */
struct rm_profile {
  const char *role;
  double samples;
  struct rm_symbol *top_self, *top_inclusive;
  size_t ntop_self, ntop_inclusive;
  struct rm_thread *threads;
  size_t nthreads;
};

/* The resources collector's figures of one process. */
enum rm_res {
  RM_FDS_MAX, RM_SOCKETS_MAX, RM_THREADS_MAX, RM_RSS_KIB_MAX,
  RM_FD_LIMIT, RM_TASK_LIMIT,   /* its RLIMIT_NOFILE, the tasks allowed */
  RM_NRES
};
struct rm_resources {
  const char *role;
  double v[RM_NRES];
};

/* One load client of a layer run by several (fio-clients). */
struct rm_client {
  const char *name, *fio_server;
  double jobs;
  struct rm_dir dir[RM_NDIR];
  int volumes;                  /* how many it ran on; -1: not said */
};

/* How evenly the clients were served. */
struct rm_fairness {
  double clients, iops_min, iops_max, min_over_max, jain;
};

/* A process also saturated beside the verdict's. */
struct rm_also {
  const char *process;
  double utilisation;
};

/* A layer's bottleneck verdict (targets[].bottleneck). */
enum rm_verdict_state {
  RM_VERDICT_ABSENT,            /* the record predates verdicts */
  RM_VERDICT_NONE,              /* judged: nothing limits it (null) */
  RM_VERDICT_SOME,
};
struct rm_verdict {
  enum rm_verdict_state state;
  const char *kind, *summary, *process, *boundary;
  double utilisation;
  struct rm_also *also;
  size_t nalso;
};

/* A layer's run over time (targets[].timeline). */
struct rm_timeline {
  bool present;                 /* it has per-interval IOPS */
  double interval_s;
  double *iops, *p99_ns;        /* per interval; NAN where not measured */
  size_t niops, np99;
  int steady;                   /* 1 steady, 0 not, -1 too short to judge */
  double trend, spread, nstalls;
  double *stalls;               /* the intervals that stalled */
  size_t nstall_list;
};

/* A fact of a layer's own setup (targets[].setup): a label and its
 * value, a number, text or a switch, as the target wrote it.
 */
enum rm_fact_type { RM_FACT_NONE, RM_FACT_NUM, RM_FACT_TEXT, RM_FACT_BOOL };
struct rm_fact {
  const char *key;
  enum rm_fact_type type;
  double num;
  const char *text;
  bool on;
};

/* A fact in the target's own words (targets[].facts): what the report
 * lists under the layer, whatever the target.
 */
struct rm_label {
  const char *label, *value;
};

/* One layer of a run (an element of targets[]). */
struct rm_target {
  const char *name, *description;
  bool baseline;
  /* The layer it is measured against besides the one below (NULL: none)
   * and how the two differ.
   */
  const char *peer, *peer_why;
  struct rm_dir dir[RM_NDIR];
  double runtime_s;
  struct rm_boundary *bounds;
  size_t nbounds;
  struct rm_proc *procs;        /* the cpu collector's processes */
  size_t nprocs;
  double *host_busy;            /* each CPU's busy share, by /proc/stat */
  size_t nhost_busy;
  struct rm_profile *profiles;  /* the perf collector's */
  size_t nprofiles;
  bool has_perf;                /* the perf collector ran */
  bool has_profiles;            /* ...and the record lists its processes */
  double perf_hz;               /* its sampling frequency */
  struct rm_resources *res;
  size_t nres;
  struct rm_verdict verdict;
  struct rm_timeline timeline;
  struct rm_fact *facts;        /* its setup, as the target keeps it */
  size_t nfacts;
  struct rm_label *labels;      /* its facts in its own words */
  size_t nlabels;
  const char **filters;         /* nbdkit's filter chain, when it ran one */
  size_t nfilters;
  bool has_filters;             /* the record says which (maybe none) */
  struct rm_client *clients;    /* its load clients (fio-clients) */
  size_t nclients;
  bool has_clients;
  struct rm_fairness fairness;
  /* A sweep's layer: its points, each a layer's run at one setting. */
  struct rm_target *points;
  size_t npoints;
  const char *point_dir;        /* a point's directory in the record */
  double iodepth;               /* a depth sweep's point */
  double client_count, volumes, connections;    /* a scale sweep's */
  const cJSON *json;            /* the target as the record holds it */
};

/* A service that ran beside the layers. */
struct rm_service {
  const char *role, *kind, *log, *ended, *command;
  const char **layers;
  size_t nlayers;
  double ready_s;
};

/* A run record (run.json of a run; a sweep's points are runs too). */
struct rm_run {
  enum record_kind kind;
  const char *schema, *id, *description, *status, *reason;
  const char *status_now;       /* record_status: "aborted" for a
                                   running record whose runner is gone */
  const char *started, *finished;
  const char *scenario, *scenario_file, *scenario_text;
  double jobs, iodepth;
  const char *stack, *stack_file, *plugin;
  const char *hostname, *kernel, *cpu_model;
  double cores;
  const char *fio_version, *nbdkit_version, *qemu_version, *git_rev;
  const char *git_describe;     /* the harness's, "-dirty" when changed */
  const char *sut_id;           /* the system under test's identity */
  const char *placement;        /* where the runner put the processes */
  const char *imported_at;      /* an import's: when it was imported */
  const char *imported_sha256;  /* and the SHA-256 of what it imported */
  struct rm_target *targets;
  size_t ntargets;
  struct rm_service *services;
  size_t nservices;
  const cJSON *json;            /* the document it was read from */
};

/* One series of a gate (gate.json "series"): a layer's metric on both
 * sides, and (a complete gate) its verdict.
 */
struct rm_gate_series {
  const char *layer, *metric, *process, *verdict, *why;
  double *a, *b;                /* each repetition's value, per side */
  size_t na, nb;
  double threshold, change, lo, hi, p, sd, needed;
};

/* A gate's record (gate.json), with what its summary is written from. */
struct rm_gate {
  const char *schema, *id, *status, *outcome, *scenario, *started;
  const char *baseline, *candidate, *mode, *reference, *cpus, *failure;
  double exit_code, repeat, alpha, alpha_per_look, looks, extended_to;
  double power, first_look, max_repeat, seconds;
  double thr_iops, thr_p99, thr_cpu;
  struct rm_gate_series *series;
  size_t nseries;
  const char **notes;
  size_t nnotes;
  /* The profile runs after a regression: their layers, each side's
   * record (relative to the gate's directory when under it) and how
   * the summary names it; NULL when there were none.
   */
  const char **prof_layers;
  size_t nprof_layers;
  const char *prof_rec[2], *prof_words[2];
  const cJSON *json;
};

/* Reads gate.json's document DOC into G; rm_gate_free after. */
extern void rm_gate_read (const cJSON *doc, struct rm_gate *g);
extern void rm_gate_free (struct rm_gate *g);
/* Reads the file PATH into G; its document (to cJSON_Delete after
 * rm_gate_free), or NULL when it is no gate record (G read from
 * nothing: rm_gate_free is still safe).
 */
extern cJSON *rm_gate_load (const char *path, struct rm_gate *g);

/* An exploration's record (explore.json, viperbench.explore/1). */
enum { RM_XM_IOPS, RM_XM_READ_P99, RM_XM_WRITE_P99, RM_XM_CPU, RM_XM_COUNT };
struct rm_x_change {
  double pairs, base, level;    /* medians of each side */
  double change, lo, hi, p;     /* ratio - 1; NAN: none (hi: +inf) */
  bool significant;
};
struct rm_x_effect {
  double rank;
  const char *knob, *stage, *verdict_base, *verdict_level;
  char *level, *base_level;     /* in words: a string without quotes,
                                   "unset (its default)" */
  bool significant;
  struct rm_x_change m[RM_XM_COUNT];
};
struct rm_x_fknob {
  const char *knob;
  char *low, *high;             /* in words */
  double change, lo, hi;
};
struct rm_explore {
  const char *schema, *id, *status_now, *failure, *started, *scenario;
  const char *stack, *stack_name, *layer, *knobs_from;
  double seconds, repeat, max_repeat, rounds, precision, budget_s;
  double alpha, alpha_per_look, looks;
  const char **notes;
  size_t nnotes;
  struct rm_x_effect *effects;  /* ranked */
  size_t neffects;
  bool factorial;               /* it ran */
  const char *fact_note;        /* why it was not analysed, or NULL */
  struct rm_x_fknob *fknobs;
  size_t nfknobs;
  double fcells, replicates, residual_sd, df;
  bool interaction;             /* analysed */
  const char *inter_knobs[2], *alias[2];        /* alias: NULL when clear */
  double inter_change, inter_lo, inter_hi;
  bool interact;
  bool best;                    /* a best was found */
  const char *best_how;         /* "factorial", "one knob" */
  char *best_settings;          /* "k=v, k=v" */
  double best_change, best_lo, best_hi;
};
/* Reads explore.json's document DOC into X; rm_explore_free after. */
extern void rm_explore_read (const cJSON *doc, struct rm_explore *x);
extern void rm_explore_free (struct rm_explore *x);
/* Reads the file PATH into X; its document (to cJSON_Delete after
 * rm_explore_free), or NULL when it is no exploration's record (X read
 * from nothing: rm_explore_free is still safe).
 */
extern cJSON *rm_explore_load (const char *path, struct rm_explore *x);

/* The head of a run record as the model holds it, as JSON: schema, the
 * kind's marks, id, description, status, reason, scenario (name, file,
 * text, jobs, iodepth: what R has of them), started and finished.  The
 * one writer of it (the runner's records and import's); the caller
 * adds what only it knows.
 */
extern cJSON *rm_run_head_json (const struct rm_run *r);

/* Reads DOC into R (zeroed first).  Never fails: what the document
 * lacks is NAN or NULL.  rm_run_free releases what it allocated.
 */
extern void rm_run_read (const cJSON *doc, struct rm_run *r);
extern void rm_run_free (struct rm_run *r);

/* One target T into OUT, for a reader holding a layer alone (the
 * runner judging a verdict, a sweep's point); rm_target_free after.
 */
extern void rm_target_read (const cJSON *t, struct rm_target *out);
extern void rm_target_free (struct rm_target *t);

/* A verdict alone (one the report judges for an older record). */
extern void rm_verdict_read (const cJSON *v, struct rm_verdict *out);
extern void rm_verdict_free (struct rm_verdict *v);

/* Boundaries alone (an array of them; rm_bounds_free after), or one. */
extern struct rm_boundary *rm_bounds_read (const cJSON *a, size_t *n);
extern void rm_bounds_free (struct rm_boundary *b, size_t n);
extern void rm_boundary_read (const cJSON *b, struct rm_boundary *out);
extern void rm_boundary_free (struct rm_boundary *b);

/* The record's baseline layer, or NULL. */
extern const struct rm_target *rm_baseline (const struct rm_run *r);

/* Its layer NAME, or NULL. */
extern const struct rm_target *rm_target_named (const struct rm_run *r,
                                                const char *name);

/* The cpu collector's process ROLE of T, or NULL. */
extern const struct rm_proc *rm_proc_of (const struct rm_target *t,
                                         const char *role);

/* Fact KEY of T, or NULL. */
extern const struct rm_fact *rm_fact (const struct rm_target *t,
                                      const char *key);

/* The cpu collector's CPU microseconds per I/O of process ROLE of T
 * (finite, not negative) into OUT; how many (a role may run twice).
 */
extern size_t rm_cpu_us (const struct rm_target *t, const char *role,
                         double *out, size_t max);

/* Each top-level key whose value differs between the stack definitions
 * of A and B (as the records copied them; nothing when either has
 * none): FN with the key and each side's value as JSON text, NULL on
 * the side that lacks the key.
 */
typedef void (*rm_diff_fn) (const char *key, const char *va, const char *vb,
                            void *arg);
extern void rm_definition_diff (const struct rm_run *a, const struct rm_run *b,
                                rm_diff_fn fn, void *arg);

/* Fact KEY of T as a number (NAN) or as text (NULL) when it is one. */
extern double rm_fact_num (const struct rm_target *t, const char *key);
extern const char *rm_fact_text (const struct rm_target *t, const char *key);

/* A text the record may lack (NULL), as "?". */
static inline const char *
rm_or_q (const char *s)
{
  return s ? s : "?";
}

/* Total IOPS, read and write (NAN when either was not measured). */
extern double rm_iops (const struct rm_target *t);
extern double rm_dir_iops (const struct rm_dir *d);

/* The sum of figure K over T's processes, or NAN when none has it. */
extern double rm_resource (const struct rm_target *t, enum rm_res k);

/* Boundary NAME of T, or NULL. */
extern const struct rm_boundary *rm_boundary_named (const struct rm_target *t,
                                                    const char *name);

/* What arrives at boundary B from above: what fio was asked to keep in
 * flight, or the most a probe saw at once.
 */
extern double rm_concurrency (const struct rm_boundary *b);

/* A record's notes: what its users said of it after the fact, kept
 * apart from its figures in DIR/notes.json
 * ({"schema": "viperbench.notes/1", "notes": [{"at", "text"}]}).
 */
struct rm_note {
  const char *at;               /* ISO 8601, UTC */
  const char *text;
};
struct rm_notes {
  struct rm_note *v;
  size_t n;
  cJSON *json;                  /* owns the strings */
};
/* The notes of the record in DIR (none when it has no notes.json); 0,
 * or -1 with a message naming the file when it is not one.
 */
extern int rm_notes_read (const char *dir, struct rm_notes *out);
extern void rm_notes_free (struct rm_notes *notes);
/* Adds TEXT, dated now, to DIR's notes (written whole); 0 or -1. */
extern int rm_notes_add (const char *dir, const char *text);

#endif /* VIPER_COMMON_MODEL_H */
