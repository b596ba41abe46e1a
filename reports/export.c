/* export.c: `viperbench export --format csv|jsonl|openmetrics ID...`:
 * a flat row per record x layer x direction, with its headline figures
 * and its bottleneck, for a spreadsheet, a CI dashboard or Prometheus.
 *
 * Every figure comes from the record's model; a figure the record lacks
 * is empty (CSV), null (JSON) or no sample (OpenMetrics), never 0.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum format { FMT_CSV, FMT_JSONL, FMT_OPENMETRICS };

/* A row's figures, in the order of the columns after its words. */
enum { F_IOPS, F_BW, F_MEAN, F_P50, F_P99, F_P999, F_RATIO, NFIG };
static const char *const fig_name[NFIG] = {
  "iops", "bw_bytes", "lat_mean_ns", "lat_p50_ns", "lat_p99_ns",
  "lat_p99_9_ns", "ratio_to_host",
};

struct row {
  const char *record, *status, *date, *scenario, *stack, *layer, *dir;
  const char *bn_kind, *bn_summary;     /* NULL: none named */
  double fig[NFIG];
};

/* CSV's cell: quoted when it must be (RFC 4180); a text a spreadsheet
 * would take for a formula (=, +, -, @, tab, CR) led by a quote mark.
 */
static void
csv_text (FILE *f, const char *s)
{
  bool formula = s && *s && strchr ("=+-@\t\r", *s);

  if (s == NULL)
    return;
  if (!formula && strcspn (s, ",\"\r\n") == strlen (s)) {
    fputs (s, f);
    return;
  }
  fputc ('"', f);
  if (formula)
    fputc ('\'', f);
  for (; *s; s++) {
    if (*s == '"')
      fputc ('"', f);
    fputc (*s, f);
  }
  fputc ('"', f);
}

static void
csv_row (FILE *f, const struct row *r, bool head)
{
  const char *words[] = {
    "record", "status", "date", "scenario", "stack", "layer", "direction",
  };

  if (head) {
    for (size_t i = 0; i < 7; i++)
      fprintf (f, "%s,", words[i]);
    for (size_t i = 0; i < NFIG; i++)
      fprintf (f, "%s,", fig_name[i]);
    fputs ("bottleneck,bottleneck_summary\r\n", f);
    return;
  }
  {
    const char *v[] = { r->record, r->status, r->date, r->scenario,
                        r->stack, r->layer, r->dir };

    for (size_t i = 0; i < 7; i++) {
      csv_text (f, v[i]);
      fputc (',', f);
    }
  }
  for (size_t i = 0; i < NFIG; i++) {
    if (isfinite (r->fig[i]))
      fprintf (f, "%.15g", r->fig[i]);
    fputc (',', f);
  }
  csv_text (f, r->bn_kind);
  fputc (',', f);
  csv_text (f, r->bn_summary);
  fputs ("\r\n", f);
}

static void
jsonl_row (FILE *f, const struct row *r)
{
  cJSON *o = cJSON_CreateObject ();
  char *text;
  const char *k[] = { "record", "status", "date", "scenario", "stack",
                      "layer", "direction" };
  const char *v[] = { r->record, r->status, r->date, r->scenario, r->stack,
                      r->layer, r->dir };

  for (size_t i = 0; i < 7; i++) {
    if (v[i])
      cJSON_AddStringToObject (o, k[i], v[i]);
    else
      cJSON_AddNullToObject (o, k[i]);
  }
  for (size_t i = 0; i < NFIG; i++) {
    if (isfinite (r->fig[i]))
      cJSON_AddNumberToObject (o, fig_name[i], r->fig[i]);
    else
      cJSON_AddNullToObject (o, fig_name[i]);
  }
  if (r->bn_kind) {
    cJSON *b = cJSON_AddObjectToObject (o, "bottleneck");

    cJSON_AddStringToObject (b, "kind", r->bn_kind);
    cJSON_AddStringToObject (b, "summary", r->bn_summary ? r->bn_summary : "");
  }
  else
    cJSON_AddNullToObject (o, "bottleneck");
  text = cJSON_PrintUnformatted (o);
  fprintf (f, "%s\n", text);
  free (text);
  cJSON_Delete (o);
}

/* An OpenMetrics label value: backslash, quote and newline escaped. */
static void
om_value (FILE *f, const char *s)
{
  for (; s && *s; s++) {
    if (*s == '\\' || *s == '"')
      fprintf (f, "\\%c", *s);
    else if (*s == '\n')
      fputs ("\\n", f);
    else
      fputc (*s, f);
  }
}

static void
om_labels (FILE *f, const struct row *r, const char *extra_k,
           const char *extra_v)
{
  const char *k[] = { "record", "scenario", "stack", "layer", "direction" };
  const char *v[] = { r->record, r->scenario, r->stack, r->layer, r->dir };

  fputc ('{', f);
  for (size_t i = 0; i < 5; i++) {
    fprintf (f, "%s%s=\"", i ? "," : "", k[i]);
    om_value (f, v[i] ? v[i] : "");
    fputc ('"', f);
  }
  if (extra_k) {
    fprintf (f, ",%s=\"", extra_k);
    om_value (f, extra_v);
    fputc ('"', f);
  }
  fputc ('}', f);
}

/* OpenMetrics: a family per figure (gauges; latencies in seconds, as
 * Prometheus names them), each family's samples together, then # EOF.
 */
static void
om_write (FILE *f, const struct row *rows, size_t n)
{
  static const struct { int fig; const char *name, *help; double scale; }
  fam[] = {
    { F_IOPS, "viperbench_iops", "I/O operations per second fio measured",
      1 },
    { F_BW, "viperbench_bandwidth_bytes_per_second", "bytes per second fio "
      "measured", 1 },
    { F_MEAN, "viperbench_latency_mean_seconds", "mean total latency", 1e-9 },
    { F_P50, "viperbench_latency_p50_seconds", "median total latency", 1e-9 },
    { F_P99, "viperbench_latency_p99_seconds", "99th percentile of total "
      "latency", 1e-9 },
    { F_P999, "viperbench_latency_p99_9_seconds", "99.9th percentile of "
      "total latency", 1e-9 },
    { F_RATIO, "viperbench_ratio_to_host", "the layer's IOPS over the "
      "host layer's", 1 },
  };

  for (size_t k = 0; k < sizeof fam / sizeof fam[0]; k++) {
    fprintf (f, "# TYPE %s gauge\n# HELP %s %s.\n", fam[k].name, fam[k].name,
             fam[k].help);
    for (size_t i = 0; i < n; i++) {
      if (!isfinite (rows[i].fig[fam[k].fig]))
        continue;
      fputs (fam[k].name, f);
      om_labels (f, &rows[i], NULL, NULL);
      fprintf (f, " %.15g\n", rows[i].fig[fam[k].fig] * fam[k].scale);
    }
  }
  fputs ("# TYPE viperbench_bottleneck gauge\n"
         "# HELP viperbench_bottleneck 1 for the stage named as the layer's "
         "limit (its kind and what it is).\n", f);
  for (size_t i = 0; i < n; i++) {
    /* A layer's, once (its first direction's row). */
    if (rows[i].bn_kind == NULL ||
        (i > 0 && rows[i - 1].record == rows[i].record &&
         rows[i - 1].layer == rows[i].layer))
      continue;
    fputs ("viperbench_bottleneck", f);
    om_labels (f, &rows[i], "kind", rows[i].bn_kind);
    fputs (" 1\n", f);
  }
  fputs ("# EOF\n", f);
}

/* The rows of the record ID in RESULTS appended to *ROWS (their words
 * point into *RUN, kept); 0, or -1 with a message.
 */
static int
rows_of (const char *results, const char *id, struct rm_run *run,
         cJSON **doc, struct row **rows, size_t *n)
{
  char *dir;
  const char *why;

  if (!plain_name (id)) {
    vb_msg ("export: '%s' is not a record's name (VM-3: no '/')", id);
    return -1;
  }
  dir = xasprintf ("%s/%s", results, id);
  *doc = record_load (dir, &why);
  if (*doc == NULL) {
    if (record_other_kind (dir))
      vb_msg ("export: %s is %s, not a run: its figures are not per layer; "
              "not exported (viperbench report shows it)", id,
              record_other_kind (dir));
    else
      vb_msg ("export: %s: %s", dir, why);
    free (dir);
    return -1;
  }
  free (dir);
  rm_run_read (*doc, run);
  if (run->kind != RECORD_RUN) {
    vb_msg ("export: %s is %s: its figures are per point, not per layer; "
            "not exported", id, record_kind_words (run->kind));
    return -1;
  }
  for (size_t t = 0; t < run->ntargets; t++)
    for (int d = 0; d < RM_NDIR; d++) {
      const struct rm_target *tg = &run->targets[t];
      const struct rm_dir *x = &tg->dir[d];
      struct row *r;

      if (!x->present)
        continue;
      *rows = xreallocarray (*rows, *n + 1, sizeof **rows);
      r = &(*rows)[(*n)++];
      r->record = run->id ? run->id : id;
      r->status = run->status_now;
      r->date = run->started ? run->started : run->imported_at;
      r->scenario = run->scenario;
      r->stack = run->stack;
      r->layer = tg->name;
      r->dir = d == RM_READ ? "read" : "write";
      r->fig[F_IOPS] = x->iops;
      r->fig[F_BW] = x->bw_bytes;
      r->fig[F_MEAN] = x->mean_ns;
      r->fig[F_P50] = x->p50_ns;
      r->fig[F_P99] = x->p99_ns;
      r->fig[F_P999] = x->p999_ns;
      r->fig[F_RATIO] = x->ratio_to_host;
      r->bn_kind = tg->verdict.state == RM_VERDICT_SOME ? tg->verdict.kind
        : NULL;
      r->bn_summary = r->bn_kind ? tg->verdict.summary : NULL;
    }
  return 0;
}

int
export_main (int argc, char **argv)
{
  static const struct cli_opt opts[] = {
    { "format", 'F', "csv|jsonl|openmetrics", "the output's format "
      "(required)" },
    { "results", 'o', "DIR", "the results directory (default results)" },
    { NULL, 0, NULL, NULL },
  };
  static const struct cli cli = {
    "export", "--format FORMAT [OPTIONS] ID...",
    "One row per record x layer x direction (runs and imports) on stdout:\n"
    "IOPS, bandwidth, mean, p50, p99 and p99.9 of fio's total latency, the\n"
    "ratio to the host layer, and the layer's bottleneck.  csv: RFC 4180,\n"
    "a header row; jsonl: a JSON object a line; openmetrics: the text that\n"
    "Prometheus scrapes (latencies in seconds).\n", opts, false,
  };
  const char *results = "results", *format = NULL;
  enum format fmt;
  struct rm_run *runs;
  cJSON **docs;
  struct row *rows = NULL;
  size_t n = 0;
  int c, r = 0, nids;

  optind = 1;
  while ((c = cli_next (&cli, argc, argv)) != -1) {
    switch (c) {
    case 'F': format = optarg; break;
    case 'o': results = optarg; break;
    case CLI_HELP: return 0;
    default: return EXIT_BAD_INPUT;
    }
  }
  if (format == NULL)
    return cli_bad (&cli, "which format? (--format csv, jsonl or "
                    "openmetrics)");
  if (strcmp (format, "csv") == 0)
    fmt = FMT_CSV;
  else if (strcmp (format, "jsonl") == 0)
    fmt = FMT_JSONL;
  else if (strcmp (format, "openmetrics") == 0)
    fmt = FMT_OPENMETRICS;
  else {
    static const char *const names[] = { "csv", "jsonl", "openmetrics" };
    const char *near = cli_nearest (format, names, 3);

    return cli_bad (&cli, "--format '%s'%s%s%s: csv, jsonl or openmetrics",
                    format, near ? " (did you mean " : "", near ? near : "",
                    near ? "?)" : "");
  }
  if (optind == argc)
    return cli_bad (&cli, "which records? (their ids, as viperbench list "
                    "shows them)");
  nids = argc - optind;
  for (int i = optind; i < argc; i++)
    for (int j = optind; j < i; j++)
      if (strcmp (argv[i], argv[j]) == 0)
        return cli_bad (&cli, "%s named twice", argv[i]);
  runs = xcalloc ((size_t) nids, sizeof *runs);
  docs = xcalloc ((size_t) nids, sizeof *docs);
  /* Every record read before anything is written. */
  for (int i = 0; i < nids && r == 0; i++)
    if (rows_of (results, argv[optind + i], &runs[i], &docs[i], &rows,
                 &n) == -1)
      r = EXIT_BAD_INPUT;
  if (r == 0) {
    if (fmt == FMT_CSV)
      csv_row (stdout, NULL, true);
    for (size_t i = 0; fmt != FMT_OPENMETRICS && i < n; i++)
      (fmt == FMT_CSV ? csv_row (stdout, &rows[i], false)
                      : jsonl_row (stdout, &rows[i]));
    if (fmt == FMT_OPENMETRICS)
      om_write (stdout, rows, n);
    if (fflush (stdout) == EOF || ferror (stdout)) {
      vb_msg ("export: writing the output failed");
      r = EXIT_RUN_FAILED;
    }
  }
  for (int i = 0; i < nids; i++) {
    if (docs[i]) {
      rm_run_free (&runs[i]);
      cJSON_Delete (docs[i]);
    }
  }
  free (runs);
  free (docs);
  free (rows);
  return r;
}
