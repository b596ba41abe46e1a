/* internal.h: what is made from records: the run's report, compare,
 * history, import, and the gate's decision and outputs.  Uses common/
 * only.
 */
#ifndef VIPERBENCH_REPORTS_H
#define VIPERBENCH_REPORTS_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "../common/internal.h"

/* gnuplot.c */
/* Writes S as a gnuplot string literal between QUOTE characters ('\''
 * in scripts, '"' in data files), every character outside a small safe
 * set replaced by '?': no text can leave the literal.
 */
extern void gp_string (FILE *f, const char *s, char quote);
/* Runs `gnuplot SCRIPT` in DIR (bounded); 0, or -1 with a message. */
extern int gp_run (const char *dir, const char *script);

/* html.c: self-contained HTML pages (see the file's comment) */
/* Called at the end of each "## " section of the Markdown, with its
 * title, to add what only the page shows.
 */
typedef void (*html_section_fn) (FILE *f, const char *section, void *arg);
/* S into F, HTML-escaped. */
extern void html_escape (FILE *f, const char *s);
/* A page's head (TITLE) and opening; its end, with DATA (the flame
 * graphs' JSON, may be NULL) and the scripts.
 */
extern void html_begin (FILE *f, const char *title);
extern void html_end (FILE *f, const cJSON *data);
/* The chart DIR/PATH inlined as a figure captioned ALT. */
extern void html_figure (FILE *f, const char *dir, const char *alt,
                         const char *path);
struct doc;
/* Writes DOC as the page PATH (doc.c), its charts under DIR inlined,
 * HOOK at the end of each "## " section, DATA for the viewer; 0 or -1.
 */
extern int html_page (const char *path, const char *title,
                      const struct doc *doc, const char *dir,
                      html_section_fn hook, void *arg, const cJSON *data);
/* The search box over every flame graph of the page, and WHAT they are. */
extern void html_flame_bar (FILE *f, const char *what);
/* A flame graph's place on the page (TITLE, META: its sample count and
 * such) and its data, TREE (taken), added to GRAPHS; KIND "profile" or
 * "diff", UNIT what a frame's width counts, FRAMES how many it has.
 */
extern void html_flame (FILE *f, cJSON *graphs, const char *title,
                        const char *meta, cJSON *tree, const char *kind,
                        const char *unit, size_t frames);
/* flame.c: flame graphs' data from perf.folded */
struct flame;
struct flame_sym {
  const char *name;             /* the flame's, while it lives */
  double a, b;                  /* self, scaled, per side */
};
extern struct flame *flame_new (void);
extern void flame_free (struct flame *fl);
/* Adds the stacks of perf.folded PATH to SIDE (0: A, 1: B); -1 when it
 * cannot be opened (errno set).
 */
extern int flame_add (struct flame *fl, int side, const char *path);
/* The processes (roles) the stacks name, into OUT; how many. */
extern size_t flame_roles (const struct flame *fl, const char **out,
                           size_t max);
/* SIDE's samples of ROLE. */
extern double flame_samples (struct flame *fl, int side, const char *role);
/* SIDE's tree of ROLE, each frame's self samples times SCALE; *FRAMES
 * its frames; NULL when it has no samples.
 */
extern cJSON *flame_tree (struct flame *fl, int side, const char *role,
                          double scale, size_t *frames);
/* The differential tree of ROLE: every frame of either side, "v" B's
 * self samples times SCALE_B, "d" that minus A's times SCALE_A; NULL
 * unless both sides have samples.
 */
extern cJSON *flame_diff (struct flame *fl, const char *role, double scale_a,
                          double scale_b, size_t *frames);
/* ROLE's symbols with their self values per side (scaled), largest
 * change first, into *OUT (free it); how many.
 */
extern size_t flame_changes (struct flame *fl, const char *role,
                             double scale_a, double scale_b,
                             struct flame_sym **out);

/* A side-by-side differential profile of two sides of records: per
 * layer and process, every record's perf.folded of a side summed and
 * scaled to the side's mean CPU microseconds per I/O of that process.
 */
#define FLAME_TOP 5
#define COLL_ROLES_MAX 16
struct flame_graph {
  char *layer, *role;
  cJSON *tree;                  /* flame_diff's */
  size_t frames;
  double us[2], samples[2];     /* CPU us per I/O and samples, A and B */
};
struct flame_change {
  char *layer, *role, *symbol;
  double a, b;                  /* self CPU us per I/O */
};
struct flame_diffs {
  struct flame_graph *g;
  size_t n;
  struct flame_change *top;     /* the FLAME_TOP largest changes */
  size_t ntop;
};
extern void flame_diffs_make (const struct records *ra,
                              const struct records *rb,
                              struct flame_diffs *d);
/* The largest changes as a Markdown table (or why there are none). */
extern void flame_diffs_doc (struct doc *doc, const struct flame_diffs *d);
/* The differential flame graphs on a page (copies into GRAPHS). */
extern void flame_diffs_html (FILE *f, struct flame_diffs *d, cJSON *graphs);
extern void flame_diffs_free (struct flame_diffs *d);

/* report.c */
/* The report's Markdown of run.json DOC (fio's bins read from DIR),
 * no charts drawn; free it.
 */
extern char *report_text (const char *dir, const cJSON *doc);
/* Writes DIR/report.md and DIR/charts/ from run.json DOC; 0 or -1. */
extern int report_write (const char *dir, const cJSON *doc);
/* A "Notes" section of the record in DIR's notes, when it has any. */
extern void report_notes (struct doc *d, const char *dir);
/* The ladder for the terminal: a line per layer, then CPU per I/O. */
extern void report_print_table (FILE *f, const cJSON *doc);

/* hops.c: decisions from a layer's boundaries (pure) */
struct hop_verdict {
  int n;                        /* boundaries */
  /* The serialization point: the hop into boundary COLLAPSE (an index,
   * -1: none) where concurrency fell below half of what arrived while
   * the boundary below was kept at least half full on average.
   */
  int collapse;
  double arriving, reaching;    /* requested or max above; max below */
  double reaching_mean;         /* mean in flight below */
  /* Where the waiting happens: the hop into boundary WAIT (-1: none)
   * across which the mean in flight falls most.
   */
  int wait;
  double wait_above, wait_below;
};
/* Judges a layer's N boundaries BOUNDS (top to bottom). */
extern void hops_judge (const struct rm_boundary *bounds, size_t n,
                        struct hop_verdict *v);

/* bottleneck.c: which stage limits a layer (pure; see the file) */
/* The verdict for the record's target T (its "boundaries", each with the
 * runner's "capacity", and its cpu collector's processes) on a host of
 * CORES CPUs: an object (kind "capacity", "cpu", "thread" or
 * "undecided", with the figures and a "summary"), or JSON null when
 * nothing limits the layer below what fio asks.
 */
extern cJSON *bottleneck_judge (const struct rm_target *t, double cores);

/* sweep_report.c: a queue-depth sweep's report (record kind "sweep") */
/* The index of the knee of a response curve of N points (IOPS and a
 * latency per depth, ascending depths): the first point past which IOPS
 * never gains 10%% more while the latency at the last depth exceeds its
 * own there by over 10%%; -1 when none.
 */
extern int sweep_knee (const double *iops, const double *lat, size_t n);
/* True when FLIGHT (a boundary's most in flight per depth) stops growing
 * from point K: at the last depth within 10%% of its value at K, while
 * ASKED (fio's) is at least twice that.
 */
extern bool sweep_plateau (const double *flight, const double *asked,
                           size_t n, size_t k);
/* The document of sweep DOC (doc_free it); with DRAW its charts are
 * drawn in DIR/charts too (*R: -1 when that failed).  report.c writes it.
 */
extern struct doc *sweep_doc (const char *dir, const cJSON *doc, bool draw,
                              int *r);

/* scale.c: load clients in reports */
/* The ladder report's "Load clients" section: each layer with clients,
 * their shares and fairness (nothing when none has).
 */
extern void clients_section (struct doc *d, const struct rm_run *run);
/* The document of a scale sweep DOC; as sweep_doc. */
extern struct doc *scale_doc (const char *dir, const cJSON *doc, bool draw,
                              int *r);
/* The least-squares slope of Y against X over N points (NANs skipped);
 * NAN with fewer than two.
 */
extern double scale_slope (const double *x, const double *y, size_t n);

/* md.c: S into F as Markdown text (markup, table cells and HTML
 * escaped; line breaks as spaces).
 */
extern void md_text (FILE *f, const char *s);

/* cli.c */
extern int report_main (int argc, char **argv);
extern int percentile_main (int argc, char **argv);
extern int probe_main (int argc, char **argv);

/* import.c */
extern int import_main (int argc, char **argv);

/* list.c: `viperbench list` */
extern int list_main (int argc, char **argv);
/* export.c: viperbench export. */
extern int export_main (int argc, char **argv);
/* record_edit.c: viperbench rm, viperbench note. */
extern int rm_main (int argc, char **argv);
extern int note_main (int argc, char **argv);
struct import_info {
  bool is_json;                 /* fio's JSON, else its text output */
  size_t entries;               /* job entries found */
  char *name, *version;         /* the first job's name, fio's version */
};
/* Parses fio's output TEXT (JSON, or its normal text output with stray
 * lines) into a run.json target named LAYER, filling *INFO (free its
 * strings); NULL when it holds no results.
 */
extern cJSON *import_figures (const char *text, const char *layer,
                              struct import_info *info);

/* history.c */
extern int history_main (int argc, char **argv);

/* compare.c */
extern int compare_main (int argc, char **argv);
/* The comparison of side RA (named NA) with side RB (NB) as a document,
 * with D's largest changes in CPU per I/O (D may be NULL); doc_free it.
 */
extern struct doc *compare_doc (const struct records *ra,
                                const struct records *rb, const char *na,
                                const char *nb, const struct flame_diffs *d);
/* The symbols whose self share of CPU samples changed most, per process
 * of LAYER, between run.json targets TA (may be NULL) and TB, as a
 * Markdown table; BY_GROWTH orders by growth (those that grew only) and
 * adds the inclusive shares' table, else by size of change.
 */
extern void profile_diff (struct doc *d, const char *layer,
                          const struct rm_target *ta,
                          const struct rm_target *tb, bool by_growth);

/* gate_verdict.c, gate_write.c: the regression gate's decision and what it
 * writes (summary.md, junit.xml, gate.json), from samples the runner
 * measured; no I/O in the decision, so unit tests drive it directly.
 */

/* Exit codes, as CI systems read them. */
#define GATE_EXIT_PASS 0
#define GATE_EXIT_REGRESSION 1
#define GATE_EXIT_SETUP 2
#define GATE_EXIT_NOISY 3

#define GATE_DEFAULT_REPEAT 8
/* Seconds per layer per run, unless --runtime: short runs, more pairs. */
#define GATE_DEFAULT_RUNTIME "2"

enum gate_verdict { GATE_PASS, GATE_REGRESSION, GATE_NOISY };

/* The gated metrics of a layer: IOPS, the p99s, and the CPU time per
 * I/O of each of its processes (one series per process: ROLE).
 */
enum gate_metric { GM_IOPS, GM_READ_P99, GM_WRITE_P99, GM_CPU, GM_COUNT };

/* The thresholds, each a stack key and --threshold name: "iops" (signed
 * -), "p99" and "cpu" (signed +).
 */
enum gate_thr { GT_IOPS, GT_P99, GT_CPU, GT_COUNT };

struct gate_series {
  char *layer;
  enum gate_metric metric;
  char *role;                   /* GM_CPU: the process (fio, nbdkit) */
  double *a, *b;                /* values per repetition (ratios to the
                                   reference layer in ratio mode); in
                                   paired mode a[i] and b[i] ran back to
                                   back */
  size_t na, nb;
  /* Filled by gate_decide. */
  double threshold;             /* signed fraction, e.g. -0.10 */
  struct shift s;               /* of ln(b) - ln(a) */
  double change, lo, hi;        /* b/a - 1 and its interval */
  double p;                     /* one-sided, towards worse */
  double sd;                    /* sd of ln(value) of one run, or of one
                                   pair's ln(b/a) in paired mode */
  size_t needed;                /* repetitions (pairs) for 80% power */
  enum gate_verdict verdict;
  char why[256];
};

struct gate {
  char *id;                     /* GATE-N */
  char *dir;                    /* results/GATE-N */
  char *scenario;
  char *baseline, *candidate;   /* what each side is (stack path, record) */
  bool ratio_mode;              /* stored baseline: ratios to REFERENCE */
  bool paired;                  /* both sides here: pairs of runs */
  const char *reference;        /* the baseline layer, or --reference */
  double alpha, power;          /* alpha: per look */
  double alpha_total;           /* over all looks */
  int looks;                    /* 1, or 2 with an extension possible */
  size_t extended_to;           /* repetitions after the extension, or 0 */
  double thr[GT_COUNT];          /* signed fractions */
  size_t repeat;                /* repetitions per side at the first look */
  size_t max_repeat;            /* at most, after a second (0: 3 x repeat) */
  double seconds;               /* the gate's wall time */
  struct gate_series *series;
  size_t nseries;
  char **notes;                 /* lines for the summary (warnings) */
  size_t nnotes;
  struct doc *profile;          /* the differential profile, or NULL */
  struct flame_diffs *diffs;    /* its flame graphs and top changes, or
                                   NULL (gate_free frees them) */
  char *failure;                /* set when the gate could not measure */
  char *pinning;                /* where the runs' processes ran, or NULL */
  /* The profile runs after a regression: the regressed layers, each
   * side's record (relative to DIR when under it; NULL: none) and how
   * the summary names it.
   */
  char **prof_layers;
  size_t nprof_layers;
  char *prof_rec[2], *prof_words[2];
  char *reference_own;          /* REFERENCE's storage, read back */
  char *started;                /* when the gate began (ISO 8601), or NULL */
};

/* The defaults: alpha 0.05, power 0.8, the thresholds of
 * GATE_DEFAULT_THRESHOLDS, GATE_DEFAULT_REPEAT pairs, paired.
 */
extern void gate_init (struct gate *g);
/* The name of threshold K ("iops", "p99", "cpu") and the sign of a
 * regression in it (-1 or +1).
 */
extern const char *gate_thr_name (enum gate_thr k);
extern int gate_thr_sign (enum gate_thr k);
/* Parses a threshold's value ("-10%", "+5%") for K: the signed fraction,
 * or NAN when it is not a percentage of K's sign (a drop above -100%, a
 * rise up to +1000%).
 */
extern double gate_thr_parse (enum gate_thr k, const char *text);
/* The thresholds' precedence: defaults, then the candidate stack's, then
 * the command line's (each array GT_COUNT long; NAN where one says
 * nothing).
 */
extern void gate_set_thresholds (struct gate *g, const double *stack,
                                 const double *cli);
/* The looks: with max_repeat above repeat there is a second look, and
 * the two share alpha_total (alpha per look = alpha_total / looks).
 * BASELINE_N: stored baseline samples (ratio mode).  0, or -1 with a
 * message when the settings can never decide.
 */
extern int gate_plan (struct gate *g, size_t baseline_n);
/* Adds the samples of one layer and metric (copied; a series of nothing
 * but NAN is left out).
 */
extern void gate_series_add (struct gate *g, const char *layer,
                             enum gate_metric m, const char *role,
                             const double *a, size_t na,
                             const double *b, size_t nb);
/* The first look, after REPEAT repetitions, on the series added: 0 when
 * the gate can decide now, else the repetitions per side to go on to
 * (noted in the summary; extended_to set).  Frees the series: add them
 * again before gate_decide.
 */
extern size_t gate_look (struct gate *g);
extern const char *gate_metric_name (enum gate_metric m);
extern const char *gate_metric_label (enum gate_metric m);
/* "CPU per I/O (nbdkit)", "read p99": a series' metric in words. */
extern void gate_series_label (const struct gate_series *se, char *buf,
                               size_t n);
/* The value of metric M of a layer of a record (of process ROLE for
 * GM_CPU); NAN when absent.
 */
extern double gate_metric_value (const struct rm_target *t,
                                 enum gate_metric m, const char *role);
/* Adds a note (printf-style) to the summary. */
extern void gate_note (struct gate *g, const char *fmt, ...)
  __attribute__((format (printf, 2, 3)));
/* Tests every series and sets its verdict; returns the exit code. */
extern int gate_decide (struct gate *g);
/* Writes DIR/summary.md, DIR/summary.html (with the differential flame
 * graphs), DIR/junit.xml and DIR/gate.json (whole files, atomically) and returns the summary text (free it).  STATUS is
 * "running", "complete", "failed" or "aborted".
 */
extern char *gate_write (struct gate *g, const char *status, int exit_code);
/* The profile section of G's summary, from its profile runs' records
 * R[0] (baseline) and R[1] (candidate): the symbols whose share grew
 * most in each regressed layer.
 */
extern struct doc *gate_profile_doc (const struct gate *g,
                                     const struct records r[2]);
/* `viperbench report GATE-N`: the gate's summary (md, html) and JUnit
 * XML written again from DIR/gate.json and its profile runs' records;
 * 0, or an exit code with a message.
 */
extern int gate_rewrite (const char *dir);
/* The summary (Markdown) of gate.json's document DOC, or NULL with a
 * message when it is no finished gate's: what gate_rewrite writes,
 * without its profile and without writing (the record fuzzer's).
 */
extern char *gate_summary_of (const cJSON *doc);
extern void gate_free (struct gate *g);
/* Frees the series alone (a look before more repetitions). */
extern void series_free (struct gate *g);

/* explore_core.c: the statistics of `viperbench explore` (pure; see the
 * file).
 */
struct explore_change {
  size_t n;                     /* pairs used (both values positive) */
  double est, lo, hi;           /* the change as a ratio - 1: Hodges-
                                   Lehmann estimate and its two-sided
                                   1 - alpha interval (-1 / +inf when
                                   too few pairs for one); NAN: none */
  double p;                     /* two-sided */
  bool significant;             /* p < alpha */
};
/* The change of VAR over BASE, N pairs measured back to back (a pair
 * with a missing or non-positive value is dropped).
 */
extern void explore_change (const double *base, const double *var,
                            size_t n, double alpha,
                            struct explore_change *c);
/* The pairs C needs so that its interval is at most +-PRECISION (a
 * fraction, in ratio terms) wide: 0 when it is already.
 */
extern size_t explore_needed (const struct explore_change *c,
                              double precision, double alpha);
#define EXPLORE_FACT_MAX 5
/* The two-level design for K knobs (2 to EXPLORE_FACT_MAX) into SIGNS
 * (rows x K, -1 low, +1 high): all 2^K rows up to 3 knobs, a half
 * fraction 2^(K-1) above (the last knob the product of the others,
 * signed so that row 0, all low, is in it).  Returns the rows (0 for a
 * K out of range).
 */
extern size_t explore_design (size_t k, int *signs);
struct explore_fact {
  size_t k, rows, reps;
  double main[EXPLORE_FACT_MAX];        /* ln IOPS: mean(high) - mean(low) */
  double main_lo[EXPLORE_FACT_MAX], main_hi[EXPLORE_FACT_MAX];
  int a, b;                     /* the two largest main effects */
  double inter, inter_lo, inter_hi;     /* their interaction, ln */
  bool interact;                /* its interval excludes 0 */
  int alias_c, alias_d;         /* 4 knobs: aliased with C x D (else -1) */
  size_t best;                  /* the row of the highest mean */
  double best_gain, best_lo, best_hi;   /* best row / row 0 - 1 */
  double sd, df;                /* residual noise (ln) and its degrees */
};
/* The effects of a replicated two-level design: Y[row * REPS + rep] the
 * ln IOPS of each cell in each replicate (a block); 0, or -1 when the
 * design cannot be analysed (fewer than 2 replicates, a missing value).
 */
extern int explore_factorial (size_t k, const int *signs, size_t rows,
                              const double *y, size_t reps, double alpha,
                              struct explore_fact *f);

/* explore_write.c: an exploration's record (explore.json, its one
 * writer and reader) and report, from what runner/explore_run.c
 * measured.
 */
#define EXPLORE_MAX_KNOBS 8
#define EXPLORE_MAX_LEVELS 6
#define EXPLORE_METRICS 4       /* IOPS, read p99, write p99, CPU per I/O */
struct explore_sample {
  double v[EXPLORE_METRICS];    /* NAN: not measured */
  char *verdict;                /* the layer's bottleneck, in words */
};
struct explore_level {
  char *value;                  /* the level as JSON text */
  char *stack;                  /* its stack file (the runner's) */
  struct explore_sample *s;     /* per round: s[i] ran with base.s[i] */
  size_t n;
};
struct explore_knob {
  char *key;                    /* "nbdkit.threads" */
  char *base;                   /* the stack's own value (JSON), NULL: unset */
  char *stage;                  /* what it acts on */
  struct explore_level lv[EXPLORE_MAX_LEVELS];
  size_t nlv;
};
struct explore {
  char *id, *dir, *started, *scenario, *stack, *stack_name, *layer;
  char *knobs_from;             /* "--knob", or the verdict that chose them */
  char *failure;                /* why it could not measure, or NULL */
  size_t repeat, max_repeat;
  double precision, budget_s, alpha, alpha_look, seconds;
  int looks;
  struct explore_level base;    /* the stack as it is, per round */
  struct explore_knob knob[EXPLORE_MAX_KNOBS];
  size_t nknobs;
  /* The factorial: its knobs (indexes into knob[]) at the base and at
   * level FLEVEL, the design, and each cell's runs by replicate.
   */
  size_t fk, frows, freps;
  int fknob[EXPLORE_FACT_MAX];
  size_t flevel[EXPLORE_FACT_MAX];
  int signs[16 * EXPLORE_FACT_MAX];
  struct explore_sample *fcell; /* [row * freps + rep]; fdone measured */
  size_t fdone;
  char **notes;
  size_t nnotes;
};
extern void explore_note (struct explore *x, const char *fmt, ...)
  __attribute__((format (printf, 2, 3)));
extern void explore_knob_free (struct explore_knob *k);
extern void explore_free (struct explore *x);
/* The change of metric M (0: IOPS) of level LV over X's base, pair by
 * pair (explore_change at X's alpha per look).
 */
extern void explore_level_change (const struct explore *x,
                                  const struct explore_level *lv, int m,
                                  struct explore_change *ch);
/* The level of knob K with the largest IOPS change (its index). */
extern size_t explore_best_level (const struct explore *x, size_t k);
/* Writes X->dir/explore.json whole (STATUS "running", "complete",
 * "failed" or "aborted"), and after running its report.md, report.html
 * and charts/effects.svg; 0 or -1 (message printed).
 */
extern int explore_write (const struct explore *x, const char *status);
/* `viperbench report EXPLORE-N`: the report again from explore.json; 0
 * or an exit code with a message.
 */
extern int explore_rewrite (const char *dir);
/* The report's Markdown of explore.json's document DOC, or NULL when it
 * is no exploration's (what explore_rewrite writes, without writing:
 * the record fuzzer's).
 */
extern char *explore_summary_of (const cJSON *doc);


/* doc.c: the reports' document model (see the file): blocks of spans,
 * written as Markdown (doc_md, malloc'd) or as a page's HTML body.
 */
extern struct doc *doc_new (void);
extern void doc_free (struct doc *d);
/* Appends a copy of FROM's blocks to D. */
extern void doc_append (struct doc *d, const struct doc *from);
extern void doc_heading (struct doc *d, int level);
extern void doc_para (struct doc *d);
extern void doc_item (struct doc *d);          /* a list item (a list after a list joins it) */
extern void doc_table (struct doc *d, const char *align);  /* "lrr": per column */
extern void doc_cell (struct doc *d);
/* A cell of our own text for each of CELLS, up to NULL (a header row). */
extern void doc_cells (struct doc *d, const char *const *cells);          /* the next cell; the first row heads */
extern void doc_image (struct doc *d, const char *alt, const char *path);
/* Spans into the last paragraph, heading, item or cell: our own words,
 * bold or code (printf-like), or a record's text (escaped in Markdown).
 */
extern void doc_text (struct doc *d, const char *fmt, ...) __attribute__((format (printf, 2, 3)));
extern void doc_bold (struct doc *d, const char *fmt, ...) __attribute__((format (printf, 2, 3)));
extern void doc_code (struct doc *d, const char *fmt, ...) __attribute__((format (printf, 2, 3)));
extern void doc_data (struct doc *d, const char *s);
extern void doc_bold_data (struct doc *d, const char *s);
/* A record's text as code (a symbol): in Markdown what would end the
 * span, a cell or a line becomes '?'.
 */
extern void doc_code_data (struct doc *d, const char *s);
/* A hard line break; a new line of the same list item. */
extern void doc_break (struct doc *d);
extern void doc_line (struct doc *d);
extern char *doc_md (const struct doc *d);
/* For a terminal: text without marks, tables as aligned columns (their
 * first row heading), no images; a record's control characters as '?'.
 */
extern char *doc_terminal (const struct doc *d);
/* HOOK (may be NULL) is called at the end of each "## " section with its
 * title, for what only a page shows.
 */
extern void doc_html (FILE *f, const struct doc *d, const char *dir,
                      html_section_fn hook, void *arg);

#endif /* VIPERBENCH_REPORTS_H */
