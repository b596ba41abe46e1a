/* internal.h: reports (viperbench report) and their helpers. */
#ifndef VIPERBENCH_REPORTS_H
#define VIPERBENCH_REPORTS_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "../runner/internal.h"

/* bins.c: fio's latency histogram bins (json+ "bins": {"ns": count}). */
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
/* Merges the lat_ns bins of every job and of DDIR ("read", "write", or
 * NULL for both) of fio's json+ output PATH into *B; 0 or -1.
 */
extern int bins_load_fio_ddir (const char *path, const char *ddir,
                               struct bins *b);
/* Both directions. */
extern int bins_load_fio (const char *path, struct bins *b);
/* The P-th percentile (0 < P <= 100), as fio computes it: the value of
 * the first bucket whose cumulative count reaches P% of all; NAN when
 * empty.
 */
extern double bins_percentile (const struct bins *b, double p);
/* Writes "percentile latency_ns" lines (a curve for gnuplot). */
extern void bins_write_curve (const struct bins *b, FILE *f);
extern void bins_free (struct bins *b);

/* records.c: one side of a comparison. */
struct records {
  cJSON **doc;
  char **dir;
  size_t n;
};
/* DIR/run.json, parsed; NULL when missing or not a run record. */
extern cJSON *record_load (const char *dir);
/* The target (layer) NAME of run.json DOC, or NULL. */
extern const cJSON *record_target (const cJSON *doc, const char *name);
/* Adds PATH to R: a record, or every complete record in the directory
 * PATH (others skipped with a warning naming them).  0, or -1 with a
 * message starting with WHO.
 */
extern int records_add (struct records *r, const char *path, const char *who);
extern void records_free (struct records *r);

/* report.c */
/* A figure of one direction of a run.json target: DDIR.KEY (iops,
 * bw_bytes, total_ios) or DDIR.lat_ns.KEY (mean, p50, p99, p99.9); NAN
 * when absent.
 */
extern double target_metric (const cJSON *t, const char *ddir,
                             const char *key);
/* Writes DIR/report.md and DIR/charts/ from run.json DOC; 0 or -1. */
extern int report_write (const char *dir, const cJSON *doc);

/* cli.c */
extern int report_main (int argc, char **argv);
extern int percentile_main (int argc, char **argv);

/* import.c */
extern int import_main (int argc, char **argv);

/* history.c */
extern int history_main (int argc, char **argv);

/* compare.c */
extern int compare_main (int argc, char **argv);
/* The symbols whose self share of CPU samples changed most, per process
 * of LAYER, between run.json targets TA (may be NULL) and TB, as a
 * Markdown table; BY_GROWTH orders by growth, else by size of change.
 */
extern void profile_diff (FILE *f, const char *layer, const cJSON *ta,
                          const cJSON *tb, bool by_growth);

#endif /* VIPERBENCH_REPORTS_H */
