/* gate_write.c: what the gate writes: summary.md (printed too),
 * junit.xml (a testcase per layer and metric) and gate.json (every
 * sample), each whole and atomically.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *
verdict_word (enum gate_verdict v)
{
  return v == GATE_REGRESSION ? "REGRESSION" : v == GATE_NOISY ? "too noisy" : "pass";
}

static void
fmt_value (const struct gate *g, const struct gate_series *se, double v,
           char *buf, size_t n)
{
  if (isnan (v))
    snprintf (buf, n, "-");
  else if (g->ratio_mode)
    snprintf (buf, n, "%.3fx", v);
  else if (se->metric == GM_IOPS)
    fmt_iops (buf, n, v);
  else if (se->metric == GM_CPU)
    snprintf (buf, n, "%.2f us", v);
  else
    fmt_ns (buf, n, v);
}

static void
fmt_pct (double v, char *buf, size_t n)
{
  if (isnan (v) || isinf (v))
    snprintf (buf, n, "-");
  else
    snprintf (buf, n, "%+.1f%%", v * 100);
}

static void
xml_escaped (FILE *f, const char *s)
{
  for (; s && *s; s++)
    switch (*s) {
    case '<': fputs ("&lt;", f); break;
    case '>': fputs ("&gt;", f); break;
    case '&': fputs ("&amp;", f); break;
    case '"': fputs ("&quot;", f); break;
    default:
      if ((unsigned char) *s >= 0x20 || *s == '\n' || *s == '\t')
        fputc (*s, f);
    }
}

static const char *
outcome (const char *status, int code)
{
  if (strcmp (status, "running") == 0)
    return "RUNNING";
  if (strcmp (status, "aborted") == 0)
    return "ABORTED";
  switch (code) {
  case GATE_EXIT_PASS: return "PASS";
  case GATE_EXIT_REGRESSION: return "REGRESSION";
  case GATE_EXIT_NOISY: return "TOO NOISY TO DECIDE";
  default: return "ERROR";
  }
}

/* The summary's title and settings. */
static void
summary_head (struct doc *d, const struct gate *g, const char *status,
              int code, int ci)
{
  doc_heading (d, 1);
  if (strcmp (status, "complete") == 0)
    doc_text (d, "%s: %s", g->id, outcome (status, code));
  else
    doc_text (d, "%s: %s (%s)", g->id, outcome (status, code), status);
  doc_item (d);
  doc_text (d, "scenario: %s", g->scenario);
  doc_item (d);
  doc_text (d, "baseline: ");
  doc_data (d, g->baseline);
  doc_item (d);
  doc_text (d, "candidate: ");
  doc_data (d, g->candidate);
  doc_item (d);
  if (g->ratio_mode) {
    doc_text (d, "mode: stored baseline; each layer as a ratio to the ");
    doc_bold (d, "%s", g->reference);
    doc_text (d, " layer of the same run, so that records from another "
              "machine or day compare (IOPS: layer/%s, higher is better; "
              "p99: layer/%s, lower is better)", g->reference, g->reference);
  }
  else
    doc_text (d, "mode: both stacks on this machine, %zu pairs of runs, "
              "each pair back to back (A B, B A, ...) so that what "
              "disturbs one run of a pair disturbs the other alike",
              g->extended_to ? g->extended_to : g->repeat);
  doc_item (d);
  doc_text (d, "thresholds: IOPS %+.0f%%, p99 %+.0f%%, CPU per I/O of "
            "each process %+.0f%%; ", g->thr[GT_IOPS] * 100,
            g->thr[GT_P99] * 100, g->thr[GT_CPU] * 100);
  if (g->looks == 2)
    doc_text (d, "one-sided alpha %g over two looks (%g each: after %zu "
              "repetitions, and after more if the first was too noisy%s), "
              "%d%% intervals", g->alpha_total, g->alpha, g->repeat,
              g->extended_to ? "; it was" : "", ci);
  else
    doc_text (d, "one-sided alpha %g, %d%% intervals", g->alpha, ci);
  if (g->pinning) {
    doc_item (d);
    doc_text (d, "CPUs: ");
    doc_data (d, g->pinning);
  }
  if (g->seconds > 0) {
    doc_item (d);
    doc_text (d, "took %.0f s", g->seconds);
  }
}

/* The regressions, then what was too noisy to decide. */
static void
summary_verdicts (struct doc *d, const struct gate *g)
{
  bool any = false;

  for (size_t i = 0; i < g->nseries; i++)
    if (g->series[i].verdict == GATE_REGRESSION) {
      if (!any) {
        doc_heading (d, 2);
        doc_text (d, "Regressions");
      }
      any = true;
      doc_item (d);
      doc_bold (d, "%s", g->series[i].layer);
      doc_text (d, ": %s", g->series[i].why);
    }
  any = false;
  for (size_t i = 0; i < g->nseries; i++)
    if (g->series[i].verdict == GATE_NOISY) {
      char label[64];

      if (!any) {
        doc_heading (d, 2);
        doc_text (d, "Too noisy to decide");
      }
      any = true;
      gate_series_label (&g->series[i], label, sizeof label);
      doc_item (d);
      doc_bold (d, "%s", g->series[i].layer);
      doc_text (d, " %s: %s", label, g->series[i].why);
    }

}

/* Per layer and metric: medians, change, interval, noise, verdict. */
static void
summary_table (struct doc *d, const struct gate *g, int ci)
{
  doc_heading (d, 2);
  doc_text (d, "Per layer and metric");
  doc_para (d);
  doc_text (d, "Medians of the repetitions; change and interval are the "
            "Hodges-Lehmann estimate of candidate/baseline - 1%s; noise "
            "is a robust standard deviation (1.4826 x the median absolute "
            "deviation, so that one disturbed run does not hide the rest) "
            "%s.", g->paired ? " over the pairs" : "",
            g->paired ? "of one pair's ln(candidate/baseline)"
                      : "of one run's ln(value) around its side's median");
  doc_table (d, "llrrrrrrrrl");
  {
    char c6[32], c9[32];
    const char *h[] = { "layer", "metric", "baseline", "candidate", "n",
                        "change", c6, "p", "noise", c9, "verdict", NULL };

    snprintf (c6, sizeof c6, "%d%% interval", ci);
    snprintf (c9, sizeof c9, "%s needed", g->paired ? "pairs" : "reps");
    doc_cells (d, h);
  }
  for (size_t i = 0; i < g->nseries; i++) {
    const struct gate_series *se = &g->series[i];
    char va[24], vb[24], ch[16], lo[16], hi[16], sd[16], label[64];

    fmt_value (g, se, se->na ? stats_median (se->a, se->na) : NAN, va, sizeof va);
    fmt_value (g, se, se->nb ? stats_median (se->b, se->nb) : NAN, vb, sizeof vb);
    fmt_pct (se->change, ch, sizeof ch);
    fmt_pct (se->lo, lo, sizeof lo);
    fmt_pct (se->hi, hi, sizeof hi);
    if (isnan (se->sd))
      snprintf (sd, sizeof sd, "-");
    else
      snprintf (sd, sizeof sd, "%.1f%%", se->sd * 100);
    gate_series_label (se, label, sizeof label);
    doc_cell (d);
    doc_text (d, "%s", se->layer);
    doc_cell (d);
    doc_text (d, "%s", label);
    doc_cell (d);
    doc_text (d, "%s", va);
    doc_cell (d);
    doc_text (d, "%s", vb);
    doc_cell (d);
    doc_text (d, "%zu/%zu", se->na, se->nb);
    doc_cell (d);
    doc_text (d, "%s", ch);
    doc_cell (d);
    doc_text (d, "%s .. %s", lo, hi);
    doc_cell (d);
    doc_text (d, "%.3g", se->p);
    doc_cell (d);
    doc_text (d, "%s", sd);
    doc_cell (d);
    doc_text (d, "%zu", se->needed);
    doc_cell (d);
    doc_text (d, "%s", verdict_word (se->verdict));
  }
}

/* The gate's summary as a document (summary.md, printed too, and
 * summary.html).
 */
static struct doc *
summary_doc (const struct gate *g, const char *status, int code)
{
  struct doc *d = doc_new ();
  int ci = (int) lround ((1 - 2 * g->alpha) * 100);

  summary_head (d, g, status, code, ci);
  if (g->failure) {
    doc_para (d);
    doc_bold (d, "Could not measure");
    doc_text (d, ": ");
    doc_data (d, g->failure);
  }
  if (g->diffs) {
    doc_heading (d, 2);
    doc_text (d, "Largest changes in CPU per I/O");
    doc_para (d);
    doc_text (d, "From the profile runs (below): the %d symbols whose own "
              "CPU microseconds per I/O changed most, any layer or process.",
              FLAME_TOP);
    flame_diffs_doc (d, g->diffs);
  }

  summary_verdicts (d, g);
  if (g->nseries && strcmp (status, "complete") == 0)
    summary_table (d, g, ci);
  if (g->profile)
    doc_append (d, g->profile);
  if (g->nnotes) {
    doc_heading (d, 2);
    doc_text (d, "Notes");
    for (size_t i = 0; i < g->nnotes; i++) {
      doc_item (d);
      doc_text (d, "%s", g->notes[i]);
    }
  }
  doc_heading (d, 2);
  doc_text (d, "How the gate decides");
  doc_para (d);
  doc_text (d, "A metric regressed when a one-sided %s gives p < %g *and* the "
            "estimated change is at least the threshold. "
            "It is too noisy to decide when the estimate is past the "
            "threshold without significance, or when the interval still "
            "reaches the threshold and the measured noise gave these "
            "repetitions less than %.0f%% power to see a threshold-sized "
            "change. When the first look is too noisy and the repetitions "
            "it needs are within --max-repeat, the gate goes on to them "
            "and looks again; the two looks share alpha (%g each). "
            "Exit codes: 0 pass, 1 regression, 2 usage or setup "
            "error, 3 too noisy. See runner/README.md.",
            g->paired ? "Wilcoxon signed-rank test of the pairs' "
                        "ln(candidate/baseline) (exact)"
            : "Mann-Whitney U test (exact; Wilcoxon signed-rank against a "
              "single stored baseline)",
            g->alpha, g->power * 100, g->alpha);
  return d;
}

static char *
junit_xml (const struct gate *g, const char *status, int code)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = xopen_memstream (&buf, &len);
  /* Until the gate has a verdict (and after a kill, when it never
   * will) the file says so as an error: never an empty pass.
   */
  bool unfinished = strcmp (status, "running") == 0 ||
                    strcmp (status, "aborted") == 0;
  size_t extra = (g->failure ? 1 : 0) + unfinished;
  size_t fails = 0, errors = extra;

  for (size_t i = 0; i < g->nseries; i++) {
    fails += g->series[i].verdict == GATE_REGRESSION;
    errors += g->series[i].verdict == GATE_NOISY;
  }
  fprintf (f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  fprintf (f, "<testsuites name=\"viperbench gate\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" time=\"%.1f\">\n",
           g->nseries + extra, fails, errors, g->seconds);
  fprintf (f, "  <testsuite name=\"gate.");
  xml_escaped (f, g->scenario);
  fprintf (f, "\" id=\"");
  xml_escaped (f, g->id);
  fprintf (f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"0\" time=\"%.1f\">\n",
           g->nseries + extra, fails, errors, g->seconds);
  fprintf (f, "    <properties>\n");
  fprintf (f, "      <property name=\"outcome\" value=\"%s\"/>\n", outcome (status, code));
  fprintf (f, "      <property name=\"baseline\" value=\"");
  xml_escaped (f, g->baseline);
  fprintf (f, "\"/>\n      <property name=\"candidate\" value=\"");
  xml_escaped (f, g->candidate);
  fprintf (f, "\"/>\n      <property name=\"mode\" value=\"%s\"/>\n",
           g->ratio_mode ? "ratio to reference layer" : "interleaved");
  fprintf (f, "    </properties>\n");
  if (unfinished)
    fprintf (f, "    <testcase classname=\"gate.run\" name=\"finished\">\n"
                "      <error type=\"%s\" message=\"the gate has no verdict: "
                "it is %s\"/>\n    </testcase>\n", status,
             strcmp (status, "running") == 0
             ? "still running, or was killed" : "interrupted");
  if (g->failure) {
    fprintf (f, "    <testcase classname=\"gate.setup\" name=\"measure\">\n"
                "      <error type=\"setup\" message=\"");
    xml_escaped (f, g->failure);
    fprintf (f, "\"/>\n    </testcase>\n");
  }
  for (size_t i = 0; i < g->nseries; i++) {
    const struct gate_series *se = &g->series[i];

    fprintf (f, "    <testcase classname=\"gate.");
    xml_escaped (f, g->scenario);
    fputc ('.', f);
    xml_escaped (f, se->layer);
    fprintf (f, "\" name=\"%s", gate_metric_name (se->metric));
    if (se->role) {
      fputc ('.', f);
      xml_escaped (f, se->role);
    }
    fprintf (f, "\">\n");
    if (se->verdict != GATE_PASS) {
      fprintf (f, "      <%s type=\"%s\" message=\"",
               se->verdict == GATE_REGRESSION ? "failure" : "error",
               se->verdict == GATE_REGRESSION ? "regression" : "too-noisy");
      xml_escaped (f, se->layer);
      fputs (": ", f);
      xml_escaped (f, se->why);
      fprintf (f, "\"/>\n");
    }
    fprintf (f, "      <system-out>");
    xml_escaped (f, se->why);
    fprintf (f, "</system-out>\n    </testcase>\n");
  }
  fprintf (f, "  </testsuite>\n</testsuites>\n");
  xclose_memstream (f);
  return buf;
}

static cJSON *
numbers (const double *v, size_t n)
{
  cJSON *a = cJSON_CreateArray ();

  for (size_t i = 0; i < n; i++)
    cJSON_AddItemToArray (a, cJSON_CreateNumber (v[i]));
  return a;
}

static void
add_num (cJSON *o, const char *k, double v)
{
  if (isfinite (v))
    cJSON_AddNumberToObject (o, k, v);
  else
    cJSON_AddNullToObject (o, k);
}

static char *
gate_json (const struct gate *g, const char *status, int code)
{
  cJSON *d = cJSON_CreateObject (), *arr;
  char *s;

  cJSON_AddStringToObject (d, "schema", "viperbench.gate/1");
  cJSON_AddStringToObject (d, "id", g->id);
  cJSON_AddStringToObject (d, "status", status);
  cJSON_AddStringToObject (d, "outcome", outcome (status, code));
  /* No exit code before there is one: a gate killed while running
   * leaves a file that no reader can take for a pass.
   */
  if (strcmp (status, "running") == 0)
    cJSON_AddNullToObject (d, "exit_code");
  else
    cJSON_AddNumberToObject (d, "exit_code", code);
  cJSON_AddStringToObject (d, "scenario", g->scenario);
  cJSON_AddStringToObject (d, "baseline", g->baseline);
  cJSON_AddStringToObject (d, "candidate", g->candidate);
  cJSON_AddStringToObject (d, "mode", g->ratio_mode ? "ratio"
                           : g->paired ? "paired" : "interleaved");
  if (g->ratio_mode)
    cJSON_AddStringToObject (d, "reference", g->reference);
  cJSON_AddNumberToObject (d, "repeat", (double) (g->extended_to ? g->extended_to : g->repeat));
  cJSON_AddNumberToObject (d, "alpha", g->alpha_total > 0 ? g->alpha_total : g->alpha);
  cJSON_AddNumberToObject (d, "alpha_per_look", g->alpha);
  cJSON_AddNumberToObject (d, "looks", g->looks);
  if (g->extended_to)
    cJSON_AddNumberToObject (d, "extended_to", (double) g->extended_to);
  cJSON_AddNumberToObject (d, "power", g->power);
  for (int k = 0; k < GT_COUNT; k++) {
    char key[32];

    snprintf (key, sizeof key, "threshold_%s", gate_thr_name (k));
    cJSON_AddNumberToObject (d, key, g->thr[k]);
  }
  if (g->pinning)
    cJSON_AddStringToObject (d, "cpus", g->pinning);
  if (g->failure)
    cJSON_AddStringToObject (d, "failure", g->failure);
  arr = cJSON_AddArrayToObject (d, "series");
  for (size_t i = 0; i < g->nseries; i++) {
    const struct gate_series *se = &g->series[i];
    cJSON *o = cJSON_CreateObject ();

    cJSON_AddStringToObject (o, "layer", se->layer);
    cJSON_AddStringToObject (o, "metric", gate_metric_name (se->metric));
    if (se->role)
      cJSON_AddStringToObject (o, "process", se->role);
    cJSON_AddItemToObject (o, "baseline", numbers (se->a, se->na));
    cJSON_AddItemToObject (o, "candidate", numbers (se->b, se->nb));
    if (strcmp (status, "complete") == 0) {
      cJSON_AddStringToObject (o, "verdict", verdict_word (se->verdict));
      add_num (o, "change", se->change);
      add_num (o, "interval_low", se->lo);
      add_num (o, "interval_high", se->hi);
      add_num (o, "p", se->p);
      add_num (o, "noise_sd", se->sd);
      cJSON_AddNumberToObject (o, "repetitions_needed", (double) se->needed);
      cJSON_AddStringToObject (o, "why", se->why);
    }
    cJSON_AddItemToArray (arr, o);
  }
  json_scrub (d);
  s = cJSON_Print (d);
  cJSON_Delete (d);
  return s;
}

/* summary.html: after the profile's tables, its flame graphs. */
static void
gate_section (FILE *f, const char *section, void *arg)
{
  void **p = arg;
  struct gate *g = p[0];

  if (g->diffs == NULL || strncmp (section, "Profile", 7) != 0)
    return;
  fputs ("<h2 id=\"differential-flame-graphs\">Differential flame graphs</h2>\n", f);
  flame_diffs_html (f, g->diffs, p[1]);
}

static void
summary_html (struct gate *g, const struct doc *d)
{
  cJSON *data = cJSON_CreateObject ();
  void *arg[2] = { g, cJSON_AddArrayToObject (data, "graphs") };
  char *p = xasprintf ("%s/summary.html", g->dir);
  char *title = xasprintf ("%s: viperbench gate", g->id);

  html_page (p, title, d, g->dir, gate_section, arg, data);
  free (title);
  free (p);
  cJSON_Delete (data);
}

char *
gate_write (struct gate *g, const char *status, int code)
{
  struct doc *d = summary_doc (g, status, code);
  char *md = doc_md (d);
  char *xml = junit_xml (g, status, code);
  char *js = gate_json (g, status, code);
  char *p;

  if (strcmp (status, "running") != 0) {
    /* The space held for the last writes; gate.json last, so that it
     * never says complete before the rest is written.
     */
    reserve_release (g->dir);
    p = xasprintf ("%s/summary.md", g->dir);
    write_file_atomic (p, md, strlen (md));
    free (p);
    p = xasprintf ("%s/junit.xml", g->dir);
    write_file_atomic (p, xml, strlen (xml));
    free (p);
    summary_html (g, d);
  }
  doc_free (d);
  p = xasprintf ("%s/gate.json", g->dir);
  write_file_atomic (p, js, strlen (js));
  free (p);
  free (xml);
  free (js);
  return md;
}

