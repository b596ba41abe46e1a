/* explore_write.c: an exploration's record and report.  explore.json is
 * written here from what runner/explore_run.c measured (the changes and
 * the factorial decided by explore_core.c as it is written), and read
 * here alone: the report (report.md, report.html, charts/effects.svg)
 * and `viperbench list`'s row are made from the file, so that `viperbench
 * report EXPLORE-N` writes the same report again.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static const struct {
  const char *key, *label, *samples;
} xm[EXPLORE_METRICS] = {
  { "iops", "IOPS (read+write)", "iops" },
  { "read_p99", "read p99", "read_p99_ns" },
  { "write_p99", "write p99", "write_p99_ns" },
  { "cpu", "CPU per I/O (all processes)", "cpu_us_per_io" },
};

void
explore_note (struct explore *x, const char *fmt, ...)
{
  va_list ap;
  char *s;

  va_start (ap, fmt);
  if (vasprintf (&s, fmt, ap) == -1)
    s = NULL;
  va_end (ap);
  if (s == NULL)
    return;
  x->notes = xreallocarray (x->notes, x->nnotes + 1, sizeof *x->notes);
  x->notes[x->nnotes++] = s;
}

static void
level_free (struct explore_level *lv)
{
  for (size_t i = 0; i < lv->n; i++)
    free (lv->s[i].verdict);
  free (lv->s);
  free (lv->value);
  free (lv->stack);
  memset (lv, 0, sizeof *lv);
}

void
explore_knob_free (struct explore_knob *k)
{
  free (k->key);
  free (k->base);
  free (k->stage);
  for (size_t l = 0; l < k->nlv; l++)
    level_free (&k->lv[l]);
  memset (k, 0, sizeof *k);
}

void
explore_free (struct explore *x)
{
  free (x->id);
  free (x->dir);
  free (x->started);
  free (x->scenario);
  free (x->stack);
  free (x->stack_name);
  free (x->layer);
  free (x->knobs_from);
  free (x->failure);
  level_free (&x->base);
  for (size_t k = 0; k < x->nknobs; k++)
    explore_knob_free (&x->knob[k]);
  for (size_t i = 0; x->fcell && i < x->frows * x->freps; i++)
    free (x->fcell[i].verdict);
  free (x->fcell);
  for (size_t i = 0; i < x->nnotes; i++)
    free (x->notes[i]);
  free (x->notes);
}

/* The change of metric M of LV over the base, pair by pair. */
void
explore_level_change (const struct explore *x, const struct explore_level *lv, int m,
              struct explore_change *ch)
{
  size_t n = lv->n < x->base.n ? lv->n : x->base.n;
  double *b = xmalloc ((n + 1) * sizeof *b), *v = xmalloc ((n + 1) * sizeof *v);

  for (size_t i = 0; i < n; i++) {
    b[i] = x->base.s[i].v[m];
    v[i] = lv->s[i].v[m];
  }
  explore_change (b, v, n, x->alpha_look, ch);
  free (b);
  free (v);
}

size_t
explore_best_level (const struct explore *x, size_t k)
{
  size_t best = 0;
  double top = -INFINITY;

  for (size_t l = 0; l < x->knob[k].nlv; l++) {
    struct explore_change ch;

    explore_level_change (x, &x->knob[k].lv[l], 0, &ch);
    if (!isnan (ch.est) && ch.est > top) {
      top = ch.est;
      best = l;
    }
  }
  return best;
}

/* A level's text as JSON (NULL: null). */
static void
add_value (cJSON *o, const char *key, const char *text)
{
  cJSON *v = text ? cJSON_Parse (text) : NULL;

  cJSON_AddItemToObject (o, key, v ? v : cJSON_CreateNull ());
}

static double
median_of (const struct explore_level *lv, int m)
{
  double *v = xmalloc ((lv->n + 1) * sizeof *v);
  size_t n = 0;
  double r;

  for (size_t i = 0; i < lv->n; i++)
    if (!isnan (lv->s[i].v[m]))
      v[n++] = lv->s[i].v[m];
  r = n ? stats_median (v, n) : NAN;
  free (v);
  return r;
}

/* The verdict most runs of LV gave, "TEXT (k of n runs)" (to free). */
static char *
modal_verdict (const struct explore_sample *s, size_t n)
{
  size_t best = 0, top = 0;

  for (size_t i = 0; i < n; i++) {
    size_t c = 0;

    for (size_t j = 0; j < n; j++)
      c += s[i].verdict && s[j].verdict && strcmp (s[i].verdict, s[j].verdict) == 0;
    if (c > top) {
      top = c;
      best = i;
    }
  }
  if (top == 0)
    return xstrdup ("-");
  return xasprintf ("%s (%zu of %zu runs)", s[best].verdict, top, n);
}

/* Samples of S (N) as arrays, and their verdicts. */
static cJSON *
samples_json (const struct explore_sample *s, size_t n)
{
  cJSON *o = cJSON_CreateObject (), *a;

  for (int m = 0; m < EXPLORE_METRICS; m++) {
    a = cJSON_AddArrayToObject (o, xm[m].samples);
    for (size_t i = 0; i < n; i++)
      cJSON_AddItemToArray (a, isfinite (s[i].v[m])
                            ? cJSON_CreateNumber (s[i].v[m])
                            : cJSON_CreateNull ());
  }
  a = cJSON_AddArrayToObject (o, "verdicts");
  for (size_t i = 0; i < n; i++)
    cJSON_AddItemToArray (a, cJSON_CreateString (s[i].verdict ? s[i].verdict
                                                              : "-"));
  return o;
}

struct ranked {
  size_t k, l;
  double size;
};

static int
cmp_ranked (const void *a, const void *b)
{
  double x = ((const struct ranked *) a)->size;
  double y = ((const struct ranked *) b)->size;

  return x < y ? 1 : x > y ? -1 : 0;
}

/* The effects, ranked by the size of the IOPS change. */
static cJSON *
effects_json (const struct explore *x, cJSON **best_single)
{
  struct ranked r[EXPLORE_MAX_KNOBS * EXPLORE_MAX_LEVELS];
  size_t n = 0;
  cJSON *arr = cJSON_CreateArray ();
  double top = 0;

  *best_single = NULL;
  for (size_t k = 0; k < x->nknobs; k++)
    for (size_t l = 0; l < x->knob[k].nlv; l++) {
      struct explore_change ch;

      explore_level_change (x, &x->knob[k].lv[l], 0, &ch);
      r[n++] = (struct ranked) { k, l, isnan (ch.est) ? -1
                                 : fabs (log1p (ch.est)) };
    }
  qsort (r, n, sizeof *r, cmp_ranked);
  for (size_t i = 0; i < n; i++) {
    const struct explore_knob *kn = &x->knob[r[i].k];
    const struct explore_level *lv = &kn->lv[r[i].l];
    cJSON *e = cJSON_CreateObject ();
    bool sig = false;
    char *vb, *vl;

    cJSON_AddNumberToObject (e, "rank", (double) i + 1);
    cJSON_AddStringToObject (e, "knob", kn->key);
    add_value (e, "level", lv->value);
    add_value (e, "base_level", kn->base);
    cJSON_AddStringToObject (e, "stage", kn->stage);
    for (int m = 0; m < EXPLORE_METRICS; m++) {
      struct explore_change ch;
      cJSON *o = cJSON_AddObjectToObject (e, xm[m].key);

      explore_level_change (x, lv, m, &ch);
      cJSON_AddNumberToObject (o, "pairs", (double) ch.n);
      json_add_num (o, "base", median_of (&x->base, m));
      json_add_num (o, "level", median_of (lv, m));
      json_add_num (o, "change", ch.est);
      json_add_num (o, "lo", ch.lo);
      json_add_num (o, "hi", ch.hi);
      json_add_num (o, "p", ch.p);
      cJSON_AddBoolToObject (o, "significant", ch.significant);
      if (m == 0) {
        sig = ch.significant;
        cJSON_AddNumberToObject (e, "n", (double) ch.n);
        if (sig && ch.est > top) {
          top = ch.est;
          cJSON_Delete (*best_single);
          *best_single = cJSON_CreateObject ();
          cJSON_AddStringToObject (*best_single, "how", "one knob");
          add_value (cJSON_AddObjectToObject (*best_single, "settings"),
                     kn->key, lv->value);
          json_add_num (*best_single, "change", ch.est);
          json_add_num (*best_single, "lo", ch.lo);
          json_add_num (*best_single, "hi", ch.hi);
        }
      }
    }
    cJSON_AddBoolToObject (e, "significant", sig);
    vb = modal_verdict (x->base.s, x->base.n);
    vl = modal_verdict (lv->s, lv->n);
    cJSON_AddStringToObject (e, "verdict_base", vb);
    cJSON_AddStringToObject (e, "verdict_level", vl);
    free (vb);
    free (vl);
    cJSON_AddItemToObject (e, "samples", samples_json (lv->s, lv->n));
    cJSON_AddItemToArray (arr, e);
  }
  return arr;
}

/* The factorial's part of the record, or NULL when it did not run whole. */
static cJSON *
factorial_json (const struct explore *x, cJSON **best)
{
  struct explore_fact f;
  double *y;
  cJSON *o, *a;
  int ok;

  if (x->fk == 0 || x->fcell == NULL || x->fdone < x->frows * x->freps)
    return NULL;
  y = xmalloc (x->frows * x->freps * sizeof *y);
  for (size_t i = 0; i < x->frows * x->freps; i++)
    y[i] = x->fcell[i].v[0] > 0 ? log (x->fcell[i].v[0]) : NAN;
  ok = explore_factorial (x->fk, x->signs, x->frows, y, x->freps,
                          x->alpha, &f);
  o = cJSON_CreateObject ();
  a = cJSON_AddArrayToObject (o, "knobs");
  for (size_t j = 0; j < x->fk; j++) {
    const struct explore_knob *k = &x->knob[x->fknob[j]];
    cJSON *e = cJSON_CreateObject ();

    cJSON_AddStringToObject (e, "knob", k->key);
    add_value (e, "low", k->base);
    add_value (e, "high", k->lv[x->flevel[j]].value);
    if (ok == 0) {
      json_add_num (e, "change", exp (f.main[j]) - 1);
      json_add_num (e, "lo", exp (f.main_lo[j]) - 1);
      json_add_num (e, "hi", exp (f.main_hi[j]) - 1);
    }
    cJSON_AddItemToArray (a, e);
  }
  cJSON_AddNumberToObject (o, "replicates", (double) x->freps);
  a = cJSON_AddArrayToObject (o, "cells");
  for (size_t r = 0; r < x->frows; r++) {
    cJSON *c = cJSON_CreateObject ();
    cJSON *sg = cJSON_AddArrayToObject (c, "signs");
    cJSON *io = cJSON_AddArrayToObject (c, "iops");

    for (size_t j = 0; j < x->fk; j++)
      cJSON_AddItemToArray (sg, cJSON_CreateNumber (x->signs[r * x->fk + j]));
    for (size_t rep = 0; rep < x->freps; rep++) {
      double v = x->fcell[r * x->freps + rep].v[0];

      cJSON_AddItemToArray (io, isfinite (v) ? cJSON_CreateNumber (v)
                                             : cJSON_CreateNull ());
    }
    cJSON_AddItemToArray (a, c);
  }
  if (ok != 0) {
    cJSON_AddStringToObject (o, "note", "not analysed: a cell has no IOPS");
    free (y);
    return o;
  }
  {
    cJSON *in = cJSON_AddObjectToObject (o, "interaction");
    cJSON *ks = cJSON_AddArrayToObject (in, "knobs");

    cJSON_AddItemToArray (ks, cJSON_CreateString (x->knob[x->fknob[f.a]].key));
    cJSON_AddItemToArray (ks, cJSON_CreateString (x->knob[x->fknob[f.b]].key));
    json_add_num (in, "change", exp (f.inter) - 1);
    json_add_num (in, "lo", exp (f.inter_lo) - 1);
    json_add_num (in, "hi", exp (f.inter_hi) - 1);
    cJSON_AddBoolToObject (in, "interact", f.interact);
    if (f.alias_c >= 0) {
      ks = cJSON_AddArrayToObject (in, "aliased_with");
      cJSON_AddItemToArray (ks, cJSON_CreateString (x->knob[x->fknob[f.alias_c]].key));
      cJSON_AddItemToArray (ks, cJSON_CreateString (x->knob[x->fknob[f.alias_d]].key));
    }
  }
  json_add_num (o, "residual_sd", f.sd);
  cJSON_AddNumberToObject (o, "df", f.df);
  *best = cJSON_CreateObject ();
  cJSON_AddStringToObject (*best, "how", "factorial");
  cJSON_AddNumberToObject (*best, "cell", (double) f.best + 1);
  {
    cJSON *st = cJSON_AddObjectToObject (*best, "settings");

    for (size_t j = 0; j < x->fk; j++)
      if (x->signs[f.best * x->fk + j] > 0)
        add_value (st, x->knob[x->fknob[j]].key,
                   x->knob[x->fknob[j]].lv[x->flevel[j]].value);
  }
  json_add_num (*best, "change", f.best_gain);
  json_add_num (*best, "lo", f.best_lo);
  json_add_num (*best, "hi", f.best_hi);
  free (y);
  return o;
}

/* explore.json's document (to cJSON_Delete). */
static cJSON *
explore_json (const struct explore *x, const char *status)
{
  cJSON *d = cJSON_CreateObject (), *a, *best = NULL, *single, *fact;

  cJSON_AddStringToObject (d, "schema", "viperbench.explore/1");
  cJSON_AddStringToObject (d, "kind", "explore");
  cJSON_AddStringToObject (d, "id", x->id ? x->id : "?");
  cJSON_AddStringToObject (d, "status", status);
  /* A reader takes "running" whose runner is gone for aborted. */
  if (strcmp (status, "running") == 0)
    cJSON_AddNumberToObject (d, "runner_pid", (double) getpid ());
  if (x->failure)
    cJSON_AddStringToObject (d, "failure", x->failure);
  cJSON_AddStringToObject (d, "started", x->started ? x->started : "?");
  json_add_num (d, "seconds", x->seconds);
  cJSON_AddStringToObject (d, "scenario", x->scenario ? x->scenario : "?");
  cJSON_AddStringToObject (d, "stack", x->stack ? x->stack : "?");
  cJSON_AddStringToObject (d, "stack_name", x->stack_name ? x->stack_name : "?");
  cJSON_AddStringToObject (d, "layer", x->layer ? x->layer : "?");
  cJSON_AddStringToObject (d, "knobs_from", x->knobs_from ? x->knobs_from : "-");
  cJSON_AddNumberToObject (d, "repeat", (double) x->repeat);
  cJSON_AddNumberToObject (d, "max_repeat", (double) x->max_repeat);
  cJSON_AddNumberToObject (d, "rounds", (double) x->base.n);
  cJSON_AddNumberToObject (d, "precision", x->precision);
  cJSON_AddNumberToObject (d, "budget_s", x->budget_s);
  cJSON_AddNumberToObject (d, "alpha", x->alpha);
  cJSON_AddNumberToObject (d, "alpha_per_look", x->alpha_look);
  cJSON_AddNumberToObject (d, "looks", x->looks);
  a = cJSON_AddArrayToObject (d, "notes");
  for (size_t i = 0; i < x->nnotes; i++)
    cJSON_AddItemToArray (a, cJSON_CreateString (x->notes[i]));
  a = cJSON_AddArrayToObject (d, "knobs");
  for (size_t k = 0; k < x->nknobs; k++) {
    cJSON *o = cJSON_CreateObject (), *lv;

    cJSON_AddStringToObject (o, "key", x->knob[k].key);
    add_value (o, "base", x->knob[k].base);
    cJSON_AddStringToObject (o, "stage", x->knob[k].stage);
    lv = cJSON_AddArrayToObject (o, "levels");
    for (size_t l = 0; l < x->knob[k].nlv; l++)
      cJSON_AddItemToArray (lv, cJSON_Parse (x->knob[k].lv[l].value));
    cJSON_AddItemToArray (a, o);
  }
  cJSON_AddItemToObject (d, "base", samples_json (x->base.s, x->base.n));
  cJSON_AddItemToObject (d, "effects", effects_json (x, &single));
  fact = factorial_json (x, &best);
  cJSON_AddItemToObject (d, "factorial", fact ? fact : cJSON_CreateNull ());
  if (best == NULL)
    best = single;
  else
    cJSON_Delete (single);
  cJSON_AddItemToObject (d, "best", best ? best : cJSON_CreateNull ());
  scrub_json (d);
  json_scrub (d);
  return d;
}

/* "+12.3%" of a change, or "-". */
static void
pct (char *buf, size_t n, double v)
{
  if (isfinite (v))
    snprintf (buf, n, "%+.1f%%", v * 100);
  else
    snprintf (buf, n, "-");
}

/* A change with its interval: "+12.3% (+8.0% .. +15.1%)". */
static void
change_text (char *buf, size_t n, double est, double lo, double hi)
{
  char e[24], l[24], h[24];

  pct (e, sizeof e, est);
  pct (l, sizeof l, lo);
  pct (h, sizeof h, hi);
  if (isnan (hi) && !isnan (est))
    snprintf (h, sizeof h, "+inf");
  snprintf (buf, n, "%s (%s .. %s)", e, l, h);
}

/* The chart of the IOPS changes with their intervals, in DIR/charts. */
static int
effects_chart (const char *dir, const struct rm_explore *x)
{
  char *cdir = xasprintf ("%s/charts", dir), *p;
  FILE *f;
  int r;

  if (mkdir_p (cdir, 0755) == -1) {
    free (cdir);
    return -1;
  }
  p = xasprintf ("%s/effects.dat", cdir);
  f = fopen_out (p);
  if (f == NULL) {
    free (p);
    free (cdir);
    return -1;
  }
  for (size_t i = 0; i < x->neffects; i++) {
    const struct rm_x_change *io = &x->effects[i].m[RM_XM_IOPS];
    double est = isnan (io->change) ? 0 : io->change;
    char *label = xasprintf ("%s: %s", x->effects[i].knob ? x->effects[i].knob
                             : "?", x->effects[i].level);

    gp_string (f, label, '"');
    fprintf (f, " %g %g %g\n", est * 100, (isnan (io->lo) ? est : io->lo) * 100,
             (isnan (io->hi) ? est : io->hi) * 100);
    free (label);
  }
  if (fclose_out (f, p) == -1) {
    free (p);
    free (cdir);
    return -1;
  }
  free (p);
  p = xasprintf ("%s/effects.gp", cdir);
  f = fopen_out (p);
  if (f == NULL) {
    free (p);
    free (cdir);
    return -1;
  }
  fprintf (f, "# Generated by viperbench explore.\n"
"set encoding utf8\nset grid xtics\nunset key\n"
"set terminal svg size 900,%zu dynamic noenhanced font 'sans,12'\n"
"set output 'effects.svg'\n"
"set title 'Change in IOPS of each knob level against the stack as it is (interval: the test level)'\n"
"set xlabel 'IOPS change (%%)'\nset yrange [%zu.5:-0.5]\n"
"set arrow from 0, graph 0 to 0, graph 1 nohead dt 2\n"
"set lmargin 28\n"
"plot 'effects.dat' using 2:0:3:4:ytic(1) with xerrorbars lw 2 lc 1, "
"'' using 2:0 with points pt 7 ps 1.5 lc 1\n",
           200 + 40 * x->neffects, x->neffects ? x->neffects - 1 : 0);
  if (fclose_out (f, p) == -1) {
    free (p);
    free (cdir);
    return -1;
  }
  free (p);
  r = x->neffects ? gp_run (cdir, "effects.gp") : 0;
  free (cdir);
  return r;
}

/* The ranked table of X's effects and its chart, into D. */
static void
doc_ranked (struct doc *d, const struct rm_explore *x)
{
  static const int more[] = { RM_XM_READ_P99, RM_XM_WRITE_P99, RM_XM_CPU };
  char buf[160];

  doc_heading (d, 2);
  doc_text (d, "Knobs ranked by the size of the IOPS change");
  doc_para (d);
  doc_text (d, "Each change is the Hodges-Lehmann estimate of level/base - 1 "
            "over the rounds' pairs, with its interval (n.s.: not "
            "significant); the bottleneck is the verdict most runs gave, at "
            "the stack's own setting and at the level.");
  doc_table (d, "rllrrrrrll");
  doc_cells (d, (const char *const[]) { "#", "knob", "base -> level",
             "IOPS", "IOPS change (interval)", "p", "read p99", "write p99",
             "CPU per I/O", "bottleneck: base -> level", NULL });
  for (size_t i = 0; i < x->neffects; i++) {
    const struct rm_x_effect *e = &x->effects[i];
    const struct rm_x_change *io = &e->m[RM_XM_IOPS];
    const char *vb = e->verdict_base ? e->verdict_base : "-";
    const char *vl = e->verdict_level ? e->verdict_level : "-";
    char ib[16], il[16];

    doc_cell (d);
    doc_text (d, "%.0f", e->rank);
    doc_cell (d);
    doc_code_data (d, e->knob ? e->knob : "?");
    doc_cell (d);
    doc_data (d, e->base_level);
    doc_text (d, " -> ");
    doc_data (d, e->level);
    doc_cell (d);
    fmt_iops (ib, sizeof ib, io->base);
    fmt_iops (il, sizeof il, io->level);
    doc_text (d, "%s -> %s", ib, il);
    doc_cell (d);
    change_text (buf, sizeof buf, io->change, io->lo, io->hi);
    if (e->significant)
      doc_bold (d, "%s", buf);
    else
      doc_text (d, "%s, not significant", buf);
    doc_cell (d);
    doc_text (d, "%.3g", io->p);
    for (size_t m = 0; m < sizeof more / sizeof more[0]; m++) {
      const struct rm_x_change *c = &e->m[more[m]];

      doc_cell (d);
      pct (buf, sizeof buf, c->change);
      doc_text (d, "%s%s", buf, c->significant || isnan (c->change)
                ? "" : " (n.s.)");
    }
    doc_cell (d);
    doc_data (d, vb);
    if (strcmp (vb, vl) != 0) {
      doc_text (d, " -> ");
      doc_data (d, vl);
    }
    else
      doc_text (d, " (the same)");
  }
  if (x->neffects > 0)
    doc_image (d, "IOPS change of each knob level, with its interval",
               "charts/effects.svg");
}

/* X's factorial (or why there is none), into D. */
static void
doc_factorial (struct doc *d, const struct rm_explore *x)
{
  char buf[160];

  doc_heading (d, 2);
  doc_text (d, "Do the largest interact?");
  doc_para (d);
  if (!x->factorial) {
    doc_text (d, "No factorial (see the notes above).");
    return;
  }
  if (!x->interaction) {
    doc_data (d, x->fact_note ? x->fact_note : "not analysed");
    return;
  }
  change_text (buf, sizeof buf, x->inter_change, x->inter_lo, x->inter_hi);
  doc_text (d, "A two-level factorial of %zu knobs (the stack's own value "
            "and each knob's best level), %.0f cells, %.0f replicates, each "
            "a block (residual noise %.1f%%, %.0f degrees of freedom; 95%% t "
            "intervals).  ", x->nfknobs, x->fcells, x->replicates,
            x->residual_sd * 100, x->df);
  doc_code_data (d, x->inter_knobs[0] ? x->inter_knobs[0] : "?");
  doc_text (d, " and ");
  doc_code_data (d, x->inter_knobs[1] ? x->inter_knobs[1] : "?");
  doc_text (d, " %s: the interaction is %s in IOPS", x->interact
            ? "interact" : "do not interact measurably", buf);
  if (x->alias[0] && x->alias[1]) {
    doc_text (d, " (with 4 knobs it is aliased with that of ");
    doc_code_data (d, x->alias[0]);
    doc_text (d, " and ");
    doc_code_data (d, x->alias[1]);
    doc_text (d, ")");
  }
  doc_text (d, ".");
  doc_table (d, "llr");
  doc_cells (d, (const char *const[]) { "knob", "low -> high",
             "main effect on IOPS (interval)", NULL });
  for (size_t i = 0; i < x->nfknobs; i++) {
    const struct rm_x_fknob *k = &x->fknobs[i];

    doc_cell (d);
    doc_code_data (d, k->knob ? k->knob : "?");
    doc_cell (d);
    doc_data (d, k->low);
    doc_text (d, " -> ");
    doc_data (d, k->high);
    doc_cell (d);
    change_text (buf, sizeof buf, k->change, k->lo, k->hi);
    doc_text (d, "%s", buf);
  }
}

/* The report of the exploration X (doc_free it). */
static struct doc *
explore_doc (const struct rm_explore *x)
{
  struct doc *d = doc_new ();
  char buf[160];

  doc_heading (d, 1);
  doc_data (d, x->id ? x->id : "?");
  doc_text (d, ": what each knob buys (");
  doc_data (d, x->status_now ? x->status_now : "?");
  doc_text (d, ")");
  doc_item (d);
  doc_text (d, "scenario ");
  doc_data (d, x->scenario ? x->scenario : "?");
  doc_text (d, ", layer ");
  doc_data (d, x->layer ? x->layer : "?");
  doc_text (d, " of stack ");
  doc_data (d, x->stack ? x->stack : "?");
  doc_text (d, " (\"");
  doc_data (d, x->stack_name ? x->stack_name : "?");
  doc_text (d, "\")");
  doc_item (d);
  doc_text (d, "knobs from ");
  doc_data (d, x->knobs_from ? x->knobs_from : "?");
  doc_item (d);
  doc_text (d, "%.0f rounds of back-to-back runs (the stack as it is and each "
            "level once, in an order that turns), %.0f at the first look, up "
            "to %.0f while an interval was wider than +-%.0f%%; started ",
            x->rounds, x->repeat, x->max_repeat, x->precision * 100);
  doc_data (d, x->started ? x->started : "?");
  doc_text (d, ", took %.0f s (budget %.0f s)", x->seconds, x->budget_s);
  doc_item (d);
  doc_text (d, "a change is significant at two-sided p < %.3g (alpha %.2g "
            "over %.0f look%s); its interval is at that level: %.1f%%",
            x->alpha_per_look, x->alpha, x->looks, x->looks == 1 ? "" : "s",
            (1 - x->alpha_per_look) * 100);
  if (x->failure) {
    doc_item (d);
    doc_bold (d, "Failed: ");
    doc_data (d, x->failure);
  }
  for (size_t i = 0; i < x->nnotes; i++) {
    doc_item (d);
    doc_data (d, x->notes[i] ? x->notes[i] : "?");
  }

  doc_heading (d, 2);
  doc_text (d, "Best found");
  doc_para (d);
  if (x->best) {
    change_text (buf, sizeof buf, x->best_change, x->best_lo, x->best_hi);
    doc_bold_data (d, x->best_settings);
    doc_text (d, ": IOPS %s against the stack as it is (%s).", buf,
              x->best_how && strcmp (x->best_how, "factorial") == 0
              ? "the best cell of the factorial, interval from its replicates"
              : "the largest significant gain of one knob; no factorial");
  }
  else
    doc_text (d, "No level gained IOPS significantly over the stack as it is.");
  doc_ranked (d, x);
  doc_factorial (d, x);
  return d;
}

/* Writes DIR's report of X; 0 or -1. */
static int
report_files (const char *dir, const struct rm_explore *x)
{
  struct doc *d = explore_doc (x);
  char *md, *p, *title;
  int r = 0;

  if (x->neffects > 0 && effects_chart (dir, x) == -1)
    vb_warn ("%s: no chart of the effects", dir);
  md = doc_md (d);
  p = xasprintf ("%s/report.md", dir);
  if (write_file_atomic (p, md, strlen (md)) == -1)
    r = -1;
  free (p);
  p = xasprintf ("%s/report.html", dir);
  title = xasprintf ("%s: what each knob buys", x->id ? x->id : "?");
  if (html_page (p, title, d, dir, NULL, NULL, NULL) == -1)
    r = -1;
  free (title);
  free (p);
  free (md);
  doc_free (d);
  return r;
}

int
explore_write (const struct explore *x, const char *status)
{
  cJSON *doc = explore_json (x, status);
  char *js = cJSON_Print (doc), *p = xasprintf ("%s/explore.json", x->dir);
  int r = 0;

  /* The report first, explore.json last: it never says complete before
   * the rest is written.  The report is made from the record as a reader
   * of it sees it, so that `viperbench report` makes the same.
   */
  if (strcmp (status, "running") != 0) {
    struct rm_explore m;

    rm_explore_read (doc, &m);
    if (report_files (x->dir, &m) == -1)
      r = -1;
    rm_explore_free (&m);
  }
  if (write_file_atomic (p, js, strlen (js)) == -1)
    r = -1;
  free (p);
  free (js);
  cJSON_Delete (doc);
  return r;
}

int
explore_rewrite (const char *dir)
{
  char *p = xasprintf ("%s/explore.json", dir);
  struct rm_explore x;
  cJSON *doc = rm_explore_load (p, &x);
  int r;

  if (doc == NULL) {
    vb_msg ("report: %s: not an exploration's record", p);
    rm_explore_free (&x);
    free (p);
    return EXIT_BAD_INPUT;
  }
  free (p);
  r = report_files (dir, &x);
  rm_explore_free (&x);
  cJSON_Delete (doc);
  if (r == 0)
    printf ("report: %s/report.md\n", dir);
  return r == 0 ? 0 : EXIT_RUN_FAILED;
}

char *
explore_summary_of (const cJSON *doc)
{
  struct rm_explore x;
  struct doc *d;
  char *md = NULL;

  rm_explore_read (doc, &x);
  if (x.schema && strcmp (x.schema, "viperbench.explore/1") == 0) {
    d = explore_doc (&x);
    md = doc_md (d);
    doc_free (d);
  }
  rm_explore_free (&x);
  return md;
}
