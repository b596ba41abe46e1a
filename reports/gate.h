/* gate.h: the regression gate's decision and what it writes (summary.md,
 * junit.xml, gate.json), from samples the runner measured.  The runner's
 * gate.c runs the repetitions; this part only reads numbers, so it can be
 * rerun on a gate's records (viperbench gate --decide DIR).
 */
#ifndef VIPERBENCH_GATE_H
#define VIPERBENCH_GATE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "stats.h"

/* Exit codes, as CI systems read them. */
#define GATE_EXIT_PASS 0
#define GATE_EXIT_REGRESSION 1
#define GATE_EXIT_SETUP 2
#define GATE_EXIT_NOISY 3

enum gate_verdict { GATE_PASS, GATE_REGRESSION, GATE_NOISY };

/* The gated metrics of a layer. */
enum gate_metric { GM_IOPS, GM_READ_P99, GM_WRITE_P99, GM_COUNT };

struct gate_series {
  char *layer;
  enum gate_metric metric;
  double *a, *b;                /* values per repetition (ratios to the
                                   reference layer in ratio mode) */
  size_t na, nb;
  /* Filled by gate_decide. */
  double threshold;             /* signed fraction, e.g. -0.10 */
  struct shift s;               /* of ln(b) - ln(a) */
  double change, lo, hi;        /* b/a - 1 and its interval */
  double p;                     /* one-sided, towards worse */
  double sd;                    /* per-sample sd of ln(value) */
  size_t needed;                /* repetitions per side for 80% power */
  enum gate_verdict verdict;
  char why[256];
};

struct gate {
  char *id;                     /* GATE-N */
  char *dir;                    /* results/GATE-N */
  char *scenario;
  char *baseline, *candidate;   /* what each side is (stack path, record) */
  bool ratio_mode;              /* stored baseline: ratios to REFERENCE */
  const char *reference;        /* "host" */
  double alpha, power;          /* alpha: per look */
  double alpha_total;           /* over all looks */
  int looks;                    /* 1, or 2 with an extension possible */
  size_t extended_to;           /* repetitions after the extension, or 0 */
  double thr_iops, thr_p99;
  size_t repeat;
  double seconds;               /* the gate's wall time */
  struct gate_series *series;
  size_t nseries;
  char **notes;                 /* lines for the summary (warnings) */
  size_t nnotes;
  char *profile_md;             /* the differential profile, or NULL */
  char *failure;                /* set when the gate could not measure */
};

extern const char *gate_metric_name (enum gate_metric m);
/* The value of metric M of a run.json target; NAN when absent. */
extern double gate_metric_value (const cJSON *target, enum gate_metric m);
/* Adds a note (printf-style) to the summary. */
extern void gate_note (struct gate *g, const char *fmt, ...)
  __attribute__((format (printf, 2, 3)));
/* Tests every series and sets its verdict; returns the exit code. */
extern int gate_decide (struct gate *g);
/* Writes DIR/summary.md, DIR/junit.xml and DIR/gate.json (whole files,
 * atomically) and returns the summary text (free it).  STATUS is
 * "running", "complete", "failed" or "aborted".
 */
extern char *gate_write (struct gate *g, const char *status, int exit_code);
extern void gate_free (struct gate *g);
/* Frees the series alone (a look before more repetitions). */
extern void series_free (struct gate *g);

#endif /* VIPERBENCH_GATE_H */
