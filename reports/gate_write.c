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
  if (g->started)
    cJSON_AddStringToObject (d, "started", g->started);
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
  cJSON_AddNumberToObject (d, "first_look", (double) g->repeat);
  cJSON_AddNumberToObject (d, "max_repeat", (double) g->max_repeat);
  if (g->pinning)
    cJSON_AddStringToObject (d, "cpus", g->pinning);
  if (g->failure)
    cJSON_AddStringToObject (d, "failure", g->failure);
  if (g->seconds > 0)
    cJSON_AddNumberToObject (d, "seconds", g->seconds);
  arr = cJSON_AddArrayToObject (d, "notes");
  for (size_t i = 0; i < g->nnotes; i++)
    cJSON_AddItemToArray (arr, cJSON_CreateString (g->notes[i]));
  if (g->nprof_layers) {
    cJSON *p = cJSON_AddObjectToObject (d, "profile");

    arr = cJSON_AddArrayToObject (p, "layers");
    for (size_t i = 0; i < g->nprof_layers; i++)
      cJSON_AddItemToArray (arr, cJSON_CreateString (g->prof_layers[i]));
    for (int k = 0; k < 2; k++) {
      cJSON *side = cJSON_AddObjectToObject (p, k ? "candidate" : "baseline");

      if (g->prof_rec[k])
        cJSON_AddStringToObject (side, "record", g->prof_rec[k]);
      if (g->prof_words[k])
        cJSON_AddStringToObject (side, "words", g->prof_words[k]);
    }
  }
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
      json_add_num (o, "threshold", se->threshold);
      json_add_num (o, "change", se->change);
      json_add_num (o, "interval_low", se->lo);
      json_add_num (o, "interval_high", se->hi);
      json_add_num (o, "p", se->p);
      json_add_num (o, "noise_sd", se->sd);
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

/* Writes G's summary.md, junit.xml and summary.html from D. */
static void
summary_files (struct gate *g, const struct doc *d, const char *md,
               const char *status, int code)
{
  char *xml = junit_xml (g, status, code);
  char *p = xasprintf ("%s/summary.md", g->dir);

  write_file_atomic (p, md, strlen (md));
  free (p);
  p = xasprintf ("%s/junit.xml", g->dir);
  write_file_atomic (p, xml, strlen (xml));
  free (p);
  free (xml);
  summary_html (g, d);
}

char *
gate_write (struct gate *g, const char *status, int code)
{
  struct doc *d = summary_doc (g, status, code);
  char *md = doc_md (d);
  char *js = gate_json (g, status, code);
  char *p;

  if (strcmp (status, "running") != 0) {
    /* The space held for the last writes; gate.json last, so that it
     * never says complete before the rest is written.
     */
    reserve_release (g->dir);
    summary_files (g, d, md, status, code);
  }
  doc_free (d);
  p = xasprintf ("%s/gate.json", g->dir);
  write_file_atomic (p, js, strlen (js));
  free (p);
  free (js);
  return md;
}

/* The profile section of G's summary; see internal.h. */
struct doc *
gate_profile_doc (const struct gate *g, const struct records r[2])
{
  struct doc *d = doc_new ();
  const struct rm_run *run[2];

  for (int k = 0; k < 2; k++)
    run[k] = r[k].n ? &r[k].run[0] : NULL;
  doc_heading (d, 2);
  doc_text (d, "Profile: symbols whose share of CPU grew most");
  doc_para (d);
  doc_text (d, "One extra run of each side with perf and the cpu collector "
            "on the regressed layers (not counted in the statistics): ");
  doc_data (d, g->prof_words[0] ? g->prof_words[0] : "-");
  doc_text (d, " and ");
  doc_data (d, g->prof_words[1] ? g->prof_words[1] : "-");
  doc_text (d, ".  summary.html beside this file draws them as "
            "differential flame graphs in CPU microseconds per I/O.");
  for (size_t i = 0; run[1] && i < g->nprof_layers; i++) {
    const char *layer = g->prof_layers[i];
    const struct rm_target *ta = run[0] ? rm_target_named (run[0], layer)
                                        : NULL;
    const struct rm_target *tb = rm_target_named (run[1], layer);

    if (tb)
      profile_diff (d, layer, ta, tb, true);
  }
  return d;
}

/* A count gate.json holds, or DFLT when it holds none that can be one
 * (NAN, negative, fractional or absurd: a hostile file is no count).
 */
static size_t
count_or (double v, size_t dflt)
{
  return v >= 0 && v <= 1e6 && v == floor (v) ? (size_t) v : dflt;
}

/* G's settings and series from gate.json's model M (strings copied). */
static int
gate_from_model (const struct rm_gate *m, struct gate *g)
{
  static const char *const metric[GM_COUNT] = {
    [GM_IOPS] = "iops", [GM_READ_P99] = "read_p99",
    [GM_WRITE_P99] = "write_p99", [GM_CPU] = "cpu",
  };

  g->id = xstrdup (m->id ? m->id : "?");
  g->scenario = xstrdup (m->scenario ? m->scenario : "?");
  g->baseline = xstrdup (m->baseline ? m->baseline : "?");
  g->candidate = xstrdup (m->candidate ? m->candidate : "?");
  g->ratio_mode = m->mode && strcmp (m->mode, "ratio") == 0;
  g->paired = m->mode && strcmp (m->mode, "paired") == 0;
  g->reference = g->reference_own = xstrdup (rm_or_q (m->reference));
  g->alpha = isnan (m->alpha_per_look) ? g->alpha : m->alpha_per_look;
  g->alpha_total = isnan (m->alpha) ? g->alpha : m->alpha;
  g->looks = m->looks == 2 ? 2 : 1;
  g->extended_to = count_or (m->extended_to, 0);
  /* "repeat" is where the gate ended; the first look's, before. */
  g->repeat = count_or (m->first_look, count_or (m->repeat, g->repeat));
  g->max_repeat = count_or (m->max_repeat, g->max_repeat);
  g->power = isnan (m->power) ? g->power : m->power;
  g->thr[GT_IOPS] = m->thr_iops;
  g->thr[GT_P99] = m->thr_p99;
  g->thr[GT_CPU] = m->thr_cpu;
  g->seconds = isnan (m->seconds) ? 0 : m->seconds;
  g->pinning = m->cpus ? xstrdup (m->cpus) : NULL;
  g->started = m->started ? xstrdup (m->started) : NULL;
  g->failure = m->failure ? xstrdup (m->failure) : NULL;
  for (size_t i = 0; i < m->nnotes; i++)
    if (m->notes[i])
      gate_note (g, "%s", m->notes[i]);
  g->series = xcalloc (m->nseries + 1, sizeof *g->series);
  for (size_t i = 0; i < m->nseries; i++) {
    const struct rm_gate_series *ms = &m->series[i];
    struct gate_series *se = &g->series[g->nseries++];
    int k;

    for (k = 0; k < GM_COUNT && !(ms->metric && strcmp (ms->metric, metric[k]) == 0); k++)
      ;
    if (k == GM_COUNT || ms->layer == NULL) {
      vb_msg ("report: %s: series %zu has no layer or a metric this build "
              "does not know", g->id, i + 1);
      return -1;
    }
    se->layer = xstrdup (ms->layer);
    se->metric = (enum gate_metric) k;
    se->role = ms->process ? xstrdup (ms->process) : NULL;
    se->a = xcalloc (ms->na + 1, sizeof *se->a);
    se->b = xcalloc (ms->nb + 1, sizeof *se->b);
    memcpy (se->a, ms->a, ms->na * sizeof *se->a);
    memcpy (se->b, ms->b, ms->nb * sizeof *se->b);
    se->na = ms->na;
    se->nb = ms->nb;
    se->threshold = ms->threshold;
    se->change = ms->change;
    se->lo = ms->lo;
    se->hi = ms->hi;
    se->p = ms->p;
    se->sd = ms->sd;
    se->needed = count_or (ms->needed, 0);
    se->verdict = !ms->verdict ? GATE_PASS
      : strcmp (ms->verdict, "REGRESSION") == 0 ? GATE_REGRESSION
      : strcmp (ms->verdict, "too noisy") == 0 ? GATE_NOISY : GATE_PASS;
    snprintf (se->why, sizeof se->why, "%s", ms->why ? ms->why : "");
  }
  g->prof_layers = xcalloc (m->nprof_layers + 1, sizeof *g->prof_layers);
  for (size_t i = 0; i < m->nprof_layers; i++)
    if (m->prof_layers[i])
      g->prof_layers[g->nprof_layers++] = xstrdup (m->prof_layers[i]);
  for (int k = 0; k < 2; k++) {
    g->prof_rec[k] = m->prof_rec[k] ? xstrdup (m->prof_rec[k]) : NULL;
    g->prof_words[k] = m->prof_words[k] ? xstrdup (m->prof_words[k]) : NULL;
  }
  return 0;
}

/* G's profile runs' records, their flame graphs and its section. */
static void
gate_profile_again (struct gate *g)
{
  struct records r[2] = { { 0 }, { 0 } };

  for (int k = 0; k < 2; k++) {
    char *p;

    if (g->prof_rec[k] == NULL)
      continue;
    p = g->prof_rec[k][0] == '/' ? xstrdup (g->prof_rec[k])
      : xasprintf ("%s/%s", g->dir, g->prof_rec[k]);
    if (records_add (&r[k], p, "report") == -1)
      vb_warn ("%s: its profile run %s is gone: the summary is written "
               "without it", g->id, p);
    free (p);
  }
  if (r[0].n && r[1].n) {
    g->diffs = xcalloc (1, sizeof *g->diffs);
    flame_diffs_make (&r[0], &r[1], g->diffs);
  }
  g->profile = gate_profile_doc (g, r);
  records_free (&r[0]);
  records_free (&r[1]);
}

/* Reads gate.json's document DOC (from WHAT) into M and G; 0, or an
 * exit code with a message.
 */
static int
gate_load (const cJSON *doc, const char *what, struct rm_gate *m,
           struct gate *g)
{
  rm_gate_read (doc, m);
  gate_init (g);
  if (m->schema == NULL || strcmp (m->schema, "viperbench.gate/1") != 0 ||
      m->status == NULL) {
    vb_msg ("report: %s is not a viperbench gate record", what);
    return EXIT_BAD_INPUT;
  }
  if (strcmp (m->status, "running") == 0) {
    vb_msg ("report: %s is running, or its gate was killed: no verdict to "
            "write", what);
    return EXIT_BAD_INPUT;
  }
  return gate_from_model (m, g) == -1 ? EXIT_BAD_INPUT : 0;
}

/* The exit code gate.json says, or the setup error's. */
static int
gate_code (const struct rm_gate *m)
{
  return (int) count_or (m->exit_code <= 255 ? m->exit_code : NAN,
                         GATE_EXIT_SETUP);
}

/* The summary and JUnit XML of gate.json's DOC, written nowhere; see
 * internal.h.
 */
char *
gate_summary_of (const cJSON *doc)
{
  struct rm_gate m;
  struct gate g;
  char *md = NULL;

  if (gate_load (doc, "gate.json", &m, &g) == 0) {
    struct doc *d = summary_doc (&g, m.status, gate_code (&m));

    md = doc_md (d);
    free (junit_xml (&g, m.status, gate_code (&m)));
    doc_free (d);
  }
  gate_free (&g);
  rm_gate_free (&m);
  return md;
}

/* viperbench report GATE-N; see internal.h. */
int
gate_rewrite (const char *dir)
{
  char *path = xasprintf ("%s/gate.json", dir);
  char *text = read_file (path, NULL), *md;
  cJSON *doc = text ? cJSON_Parse (text) : NULL;
  struct rm_gate m;
  struct gate g;
  int r;

  free (text);
  r = gate_load (doc, path, &m, &g);
  free (path);
  if (r == 0) {
    struct doc *d;

    g.dir = xstrdup (dir);
    if (g.nprof_layers)
      gate_profile_again (&g);
    d = summary_doc (&g, m.status, gate_code (&m));
    md = doc_md (d);
    summary_files (&g, d, md, m.status, gate_code (&m));
    printf ("report: %s/summary.md\n", dir);
    free (md);
    doc_free (d);
  }
  gate_free (&g);
  rm_gate_free (&m);
  cJSON_Delete (doc);
  return r;
}
