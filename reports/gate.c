/* gate.c: the regression gate's decision and its outputs (see gate.h).
 *
 * Per layer and metric the gate has two sets of repetitions, A
 * (baseline) and B (candidate).  It works on logarithms, so a shift is a
 * ratio and the same threshold means the same thing at 10k and at 500k
 * IOPS, and decides in the style of Google benchmark's compare.py (a
 * rank test rather than a t test: run times are skewed, with outliers)
 * and Perfherder (significance alone is not enough, the change must also
 * be large enough to matter):
 *
 *   regression  p < alpha (one-sided Mann-Whitney U, exact) and the
 *               Hodges-Lehmann estimate of the change is at least the
 *               threshold (IOPS -10%, p99 +20% unless set);
 *   too noisy   the estimate is past the threshold without significance,
 *               or the interval still reaches the threshold and the
 *               measured noise means these repetitions had less than 80%
 *               power to see a threshold-sized change; the summary gives
 *               the noise and the repetitions that would be needed;
 *   pass        otherwise: a threshold-sized regression is ruled out by
 *               the interval, or would have been seen with 80% power.
 *
 * A significant change smaller than the threshold passes with a note.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"
#include "../runner/internal.h"
#include "internal.h"

static const struct {
  const char *name, *label, *ddir, *key;
  int worse;                    /* +1: larger is worse; -1: smaller is */
} metrics[GM_COUNT] = {
  [GM_IOPS] = { "iops", "IOPS (read+write)", NULL, "iops", -1 },
  [GM_READ_P99] = { "read_p99", "read p99", "read", "p99", +1 },
  [GM_WRITE_P99] = { "write_p99", "write p99", "write", "p99", +1 },
};

const char *
gate_metric_name (enum gate_metric m)
{
  return metrics[m].name;
}

double
gate_metric_value (const cJSON *t, enum gate_metric m)
{
  if (m == GM_IOPS) {
    double r = target_metric (t, "read", "iops");
    double w = target_metric (t, "write", "iops");

    if (isnan (r) && isnan (w))
      return NAN;
    return (isnan (r) ? 0 : r) + (isnan (w) ? 0 : w);
  }
  /* A direction without I/O has no latency. */
  if (!(target_metric (t, metrics[m].ddir, "total_ios") > 0))
    return NAN;
  return target_metric (t, metrics[m].ddir, metrics[m].key);
}

void
gate_note (struct gate *g, const char *fmt, ...)
{
  va_list ap;
  char *s;

  va_start (ap, fmt);
  if (vasprintf (&s, fmt, ap) == -1)
    abort ();
  va_end (ap);
  g->notes = realloc (g->notes, (g->nnotes + 1) * sizeof *g->notes);
  g->notes[g->nnotes++] = s;
}

static void
decide_one (const struct gate *g, struct gate_series *se)
{
  int worse = metrics[se->metric].worse;
  double *la = malloc ((se->na + 1) * sizeof *la);
  double *lb = malloc ((se->nb + 1) * sizeof *lb);
  bool one = se->na == 1;
  double effect, west, wbound;
  size_t have;

  se->threshold = se->metric == GM_IOPS ? g->thr_iops : g->thr_p99;
  effect = fabs (log1p (se->threshold));
  for (size_t i = 0; i < se->na; i++)
    la[i] = log (se->a[i]);
  for (size_t i = 0; i < se->nb; i++)
    lb[i] = log (se->b[i]);
  for (size_t i = 0; i < se->na + se->nb; i++) {
    double v = i < se->na ? se->a[i] : se->b[i - se->na];

    if (!(v > 0) || !isfinite (v)) {
      se->verdict = GATE_NOISY;
      se->change = se->lo = se->hi = se->p = se->sd = NAN;
      snprintf (se->why, sizeof se->why, "a repetition has no %s value",
                metrics[se->metric].label);
      free (la);
      free (lb);
      return;
    }
  }
  stats_shift (la, se->na, lb, se->nb, g->alpha, &se->s);
  se->change = expm1 (se->s.est);
  se->lo = expm1 (se->s.lo);
  se->hi = expm1 (se->s.hi);
  se->p = worse > 0 ? se->s.p_greater : se->s.p_less;
  se->sd = stats_robust_sd (la, se->na, lb, se->nb);
  se->needed = isnan (se->sd) ? stats_n_min (g->alpha, one)
               : stats_n_needed (se->sd, effect, g->alpha, g->power, one);
  have = one ? se->nb : (se->na < se->nb ? se->na : se->nb);
  west = worse * se->s.est;
  wbound = worse > 0 ? se->s.hi : -se->s.lo;

  if (se->p < g->alpha && west >= effect) {
    se->verdict = GATE_REGRESSION;
    snprintf (se->why, sizeof se->why,
              "%s %+.1f%% (%.0f%% interval %+.1f%% .. %+.1f%%, p = %.3g), "
              "past the %+.0f%% threshold", metrics[se->metric].label,
              se->change * 100, (1 - 2 * g->alpha) * 100, se->lo * 100,
              se->hi * 100, se->p, se->threshold * 100);
  }
  else if (west >= effect) {
    se->verdict = GATE_NOISY;
    /* Past the threshold yet not significant although the typical noise
     * is small: a few disturbed runs overlap the sides.  More of them
     * settle it; twice as many is the estimate.
     */
    if (se->needed <= have)
      se->needed = 2 * have;
    snprintf (se->why, sizeof se->why,
              "estimate %+.1f%% is past the %+.0f%% threshold but not "
              "significant (p = %.3g); noise %.1f%% per run: about %zu "
              "repetitions per side needed", se->change * 100,
              se->threshold * 100, se->p, se->sd * 100, se->needed);
  }
  else if (wbound < effect) {
    se->verdict = GATE_PASS;
    snprintf (se->why, sizeof se->why, "the interval rules out a %+.0f%% "
              "change%s", se->threshold * 100,
              se->p < g->alpha ? "; a significant change below the threshold" : "");
  }
  else if (have >= se->needed) {
    se->verdict = GATE_PASS;
    snprintf (se->why, sizeof se->why, "noise %.1f%% per run: %zu "
              "repetitions would have seen a %+.0f%% change with %.0f%% power",
              se->sd * 100, have, se->threshold * 100, g->power * 100);
  }
  else {
    se->verdict = GATE_NOISY;
    snprintf (se->why, sizeof se->why,
              "noise %.1f%% per run: %zu repetitions per side needed to "
              "tell a %+.0f%% change (have %zu)", se->sd * 100, se->needed,
              se->threshold * 100, have);
  }
  free (la);
  free (lb);
}

int
gate_decide (struct gate *g)
{
  bool reg = false, noisy = false;

  for (size_t i = 0; i < g->nseries; i++) {
    decide_one (g, &g->series[i]);
    reg |= g->series[i].verdict == GATE_REGRESSION;
    noisy |= g->series[i].verdict == GATE_NOISY;
  }
  if (g->failure)
    return GATE_EXIT_SETUP;
  return reg ? GATE_EXIT_REGRESSION : noisy ? GATE_EXIT_NOISY : GATE_EXIT_PASS;
}

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

static char *
summary_md (const struct gate *g, const char *status, int code)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  int ci = (int) lround ((1 - 2 * g->alpha) * 100);
  bool any = false;

  if (strcmp (status, "complete") == 0)
    fprintf (f, "# %s: %s\n\n", g->id, outcome (status, code));
  else
    fprintf (f, "# %s: %s (%s)\n\n", g->id, outcome (status, code), status);
  fprintf (f, "- scenario: %s\n- baseline: %s\n- candidate: %s\n",
           g->scenario, g->baseline, g->candidate);
  if (g->ratio_mode)
    fprintf (f, "- mode: stored baseline; each layer as a ratio to the "
                "**%s** layer of the same run, so that records from another "
                "machine or day compare (IOPS: layer/%s, higher is better; "
                "p99: layer/%s, lower is better)\n",
             g->reference, g->reference, g->reference);
  else
    fprintf (f, "- mode: both stacks on this machine, %zu repetitions each, "
                "interleaved (A B B A A B ...) so that drift hits both alike\n",
             g->repeat);
  if (g->looks == 2)
    fprintf (f, "- thresholds: IOPS %+.0f%%, p99 %+.0f%%; one-sided alpha %g "
                "over two looks (%g each: after %zu repetitions, and after "
                "more if the first was too noisy%s), %d%% intervals\n",
             g->thr_iops * 100, g->thr_p99 * 100, g->alpha_total, g->alpha,
             g->repeat, g->extended_to ? "; it was" : "", ci);
  else
    fprintf (f, "- thresholds: IOPS %+.0f%%, p99 %+.0f%%; one-sided alpha %g, "
                "%d%% intervals\n", g->thr_iops * 100, g->thr_p99 * 100,
             g->alpha, ci);
  if (g->seconds > 0)
    fprintf (f, "- took %.0f s\n", g->seconds);
  if (g->failure)
    fprintf (f, "\n**Could not measure**: %s\n", g->failure);

  for (size_t i = 0; i < g->nseries; i++)
    if (g->series[i].verdict == GATE_REGRESSION) {
      if (!any)
        fprintf (f, "\n## Regressions\n\n");
      any = true;
      fprintf (f, "- **%s**: %s\n", g->series[i].layer, g->series[i].why);
    }
  any = false;
  for (size_t i = 0; i < g->nseries; i++)
    if (g->series[i].verdict == GATE_NOISY) {
      if (!any)
        fprintf (f, "\n## Too noisy to decide\n\n");
      any = true;
      fprintf (f, "- **%s** %s: %s\n", g->series[i].layer,
               metrics[g->series[i].metric].label, g->series[i].why);
    }

  if (g->nseries && strcmp (status, "complete") == 0) {
    fprintf (f, "\n## Per layer and metric\n\n"
                "Medians of the repetitions; change and interval are the "
                "Hodges-Lehmann estimate of candidate/baseline - 1; noise is "
                "a robust standard deviation of one run (1.4826 x the median absolute deviation of ln value from its side's median, so that one disturbed run does not hide the rest).\n\n"
                "| layer | metric | baseline | candidate | n | change | %d%% interval | p | noise | reps needed | verdict |\n"
                "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|\n", ci);
    for (size_t i = 0; i < g->nseries; i++) {
      const struct gate_series *se = &g->series[i];
      char va[24], vb[24], ch[16], lo[16], hi[16], sd[16];

      fmt_value (g, se, se->na ? stats_median (se->a, se->na) : NAN, va, sizeof va);
      fmt_value (g, se, se->nb ? stats_median (se->b, se->nb) : NAN, vb, sizeof vb);
      fmt_pct (se->change, ch, sizeof ch);
      fmt_pct (se->lo, lo, sizeof lo);
      fmt_pct (se->hi, hi, sizeof hi);
      if (isnan (se->sd))
        snprintf (sd, sizeof sd, "-");
      else
        snprintf (sd, sizeof sd, "%.1f%%", se->sd * 100);
      fprintf (f, "| %s | %s | %s | %s | %zu/%zu | %s | %s .. %s | %.3g | %s | %zu | %s |\n",
               se->layer, metrics[se->metric].label, va, vb, se->na, se->nb,
               ch, lo, hi, se->p, sd, se->needed, verdict_word (se->verdict));
    }
  }
  if (g->profile_md)
    fputs (g->profile_md, f);
  if (g->nnotes) {
    fprintf (f, "\n## Notes\n\n");
    for (size_t i = 0; i < g->nnotes; i++)
      fprintf (f, "- %s\n", g->notes[i]);
  }
  fprintf (f, "\n## How the gate decides\n\n"
              "A metric regressed when a one-sided Mann-Whitney U test (exact; "
              "Wilcoxon signed-rank against a single stored baseline) gives "
              "p < %g *and* the estimated change is at least the threshold. "
              "It is too noisy to decide when the estimate is past the "
              "threshold without significance, or when the interval still "
              "reaches the threshold and the measured noise gave these "
              "repetitions less than %.0f%% power to see a threshold-sized "
              "change. When the first look is too noisy and the repetitions "
              "it needs are within --max-repeat, the gate goes on to them "
              "and looks again; the two looks share alpha (%g each). "
              "Exit codes: 0 pass, 1 regression, 2 usage or setup "
              "error, 3 too noisy. See runner/README.md.\n",
           g->alpha, g->power * 100, g->alpha);
  fclose (f);
  return buf;
}

static char *
junit_xml (const struct gate *g, const char *status, int code)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  size_t fails = 0, errors = g->failure ? 1 : 0;

  for (size_t i = 0; i < g->nseries; i++) {
    fails += g->series[i].verdict == GATE_REGRESSION;
    errors += g->series[i].verdict == GATE_NOISY;
  }
  fprintf (f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  fprintf (f, "<testsuites name=\"viperbench gate\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" time=\"%.1f\">\n",
           g->nseries + (g->failure ? 1 : 0), fails, errors, g->seconds);
  fprintf (f, "  <testsuite name=\"gate.");
  xml_escaped (f, g->scenario);
  fprintf (f, "\" id=\"");
  xml_escaped (f, g->id);
  fprintf (f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"0\" time=\"%.1f\">\n",
           g->nseries + (g->failure ? 1 : 0), fails, errors, g->seconds);
  fprintf (f, "    <properties>\n");
  fprintf (f, "      <property name=\"outcome\" value=\"%s\"/>\n", outcome (status, code));
  fprintf (f, "      <property name=\"baseline\" value=\"");
  xml_escaped (f, g->baseline);
  fprintf (f, "\"/>\n      <property name=\"candidate\" value=\"");
  xml_escaped (f, g->candidate);
  fprintf (f, "\"/>\n      <property name=\"mode\" value=\"%s\"/>\n",
           g->ratio_mode ? "ratio to reference layer" : "interleaved");
  fprintf (f, "    </properties>\n");
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
    fprintf (f, "\" name=\"%s\">\n", metrics[se->metric].name);
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
  fclose (f);
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
  cJSON_AddNumberToObject (d, "exit_code", code);
  cJSON_AddStringToObject (d, "scenario", g->scenario);
  cJSON_AddStringToObject (d, "baseline", g->baseline);
  cJSON_AddStringToObject (d, "candidate", g->candidate);
  cJSON_AddStringToObject (d, "mode", g->ratio_mode ? "ratio" : "interleaved");
  if (g->ratio_mode)
    cJSON_AddStringToObject (d, "reference", g->reference);
  cJSON_AddNumberToObject (d, "repeat", (double) (g->extended_to ? g->extended_to : g->repeat));
  cJSON_AddNumberToObject (d, "alpha", g->alpha_total > 0 ? g->alpha_total : g->alpha);
  cJSON_AddNumberToObject (d, "alpha_per_look", g->alpha);
  cJSON_AddNumberToObject (d, "looks", g->looks);
  if (g->extended_to)
    cJSON_AddNumberToObject (d, "extended_to", (double) g->extended_to);
  cJSON_AddNumberToObject (d, "power", g->power);
  cJSON_AddNumberToObject (d, "threshold_iops", g->thr_iops);
  cJSON_AddNumberToObject (d, "threshold_p99", g->thr_p99);
  if (g->failure)
    cJSON_AddStringToObject (d, "failure", g->failure);
  arr = cJSON_AddArrayToObject (d, "series");
  for (size_t i = 0; i < g->nseries; i++) {
    const struct gate_series *se = &g->series[i];
    cJSON *o = cJSON_CreateObject ();

    cJSON_AddStringToObject (o, "layer", se->layer);
    cJSON_AddStringToObject (o, "metric", metrics[se->metric].name);
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
  s = cJSON_Print (d);
  cJSON_Delete (d);
  return s;
}

char *
gate_write (struct gate *g, const char *status, int code)
{
  char *md = summary_md (g, status, code);
  char *xml = junit_xml (g, status, code);
  char *js = gate_json (g, status, code);
  char *p;

  p = xasprintf ("%s/gate.json", g->dir);
  write_file_atomic (p, js, strlen (js));
  free (p);
  if (strcmp (status, "running") != 0) {
    p = xasprintf ("%s/summary.md", g->dir);
    write_file_atomic (p, md, strlen (md));
    free (p);
    p = xasprintf ("%s/junit.xml", g->dir);
    write_file_atomic (p, xml, strlen (xml));
    free (p);
  }
  free (xml);
  free (js);
  return md;
}

void
series_free (struct gate *g)
{
  for (size_t i = 0; i < g->nseries; i++) {
    free (g->series[i].layer);
    free (g->series[i].a);
    free (g->series[i].b);
  }
  free (g->series);
  g->series = NULL;
  g->nseries = 0;
}

void
gate_free (struct gate *g)
{
  series_free (g);
  for (size_t i = 0; i < g->nnotes; i++)
    free (g->notes[i]);
  free (g->notes);
  free (g->id);
  free (g->dir);
  free (g->scenario);
  free (g->baseline);
  free (g->candidate);
  free (g->profile_md);
  free (g->failure);
}
