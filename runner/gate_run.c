/* gate_run.c: `viperbench gate`: the CI performance-regression gate.
 *
 *   viperbench gate --baseline-stack OLD.json --candidate-stack NEW.json
 *                   --scenario NAME [--repeat N] [--runtime S] ...
 *   viperbench gate --baseline results/VM-12 --candidate-stack NEW.json
 *                   --scenario NAME ...
 *
 * Each repetition is one `viperbench run` (a child process, so a server
 * that dies or hangs is the run's business and its record says so) into
 * results/GATE-N/{baseline,candidate}/R-k.  With two stacks the sides
 * alternate A B B A A B ... so that drift (a neighbour on the shared
 * machine, a warming cache) falls on both alike.  With a stored baseline
 * only the candidate runs here and every layer is taken as a ratio to the
 * baseline layer (host) of its own run.  This file is the loop that
 * gathers samples, in phases (setup, measure, conclude); the decision is
 * reports/gate_verdict.c's pure core and reports/gate_write.c writes summary.md,
 * junit.xml and gate.json.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define MAX_LAYERS 8
/* Processes per layer whose CPU per I/O is gated. */
#define MAX_ROLES 8
/* A side's values per layer: IOPS and the p99s by metric, then the CPU
 * per I/O of each process (GM_CPU + the role's index).
 */
#define SLOTS (GM_CPU + MAX_ROLES)

static const struct cli_opt gate_opts[] = {
  { "baseline-stack", 'a', "FILE", "the baseline's stack (or --baseline)" },
  { "baseline", 'A', "RECORD", "a record measured before, or a directory "
    "of them (repeatable)" },
  { "candidate-stack", 'b', "FILE", "the candidate's stack (required)" },
  { "scenario", 's', "NAME", "the fio job (required)" },
  { "scenarios", 'S', "DIR", "where scenarios are found (default "
    "scenarios)" },
  { "repeat", 'n', "N", "pairs of runs to start with (1 to 200)" },
  { "max-repeat", 'M', "M", "pairs at most when too noisy (default 3N)" },
  { "runtime", 'r', "SECONDS", "each layer's measured window" },
  { "size", 'z', "SIZE", "each job's size (fio's size=)" },
  { "layers", 'L', "LIST", "only these layers, e.g. host,nbd-unix" },
  { "threshold", 't', "LIST", "iops=-7%,p99=+10%,cpu=+7%,... (the "
    "stack's \"gate\" else)" },
  { "alpha", 'p', "LEVEL", "the significance level over all tests "
    "(default 0.05)" },
  { "reference", 'R', "LAYER", "the layer ratios are to with --baseline "
    "(default host)" },
  { "no-profile", 'P', NULL, "no profile runs after a regression" },
  { "pin", 'I', "auto|on|off", "fio and each server on CPUs of their own" },
  { "results", 'o', "DIR", "the results directory (default results)" },
  { "junit", 'j', "FILE", "a JUnit XML verdict also written here" },
  { "summary", 'm', "FILE", "the Markdown summary also written here" },
  { NULL, 0, NULL, NULL },
};

/* The gate's help text after its usage line (to free). */
static char *
gate_about (void)
{
  struct gate g;

  gate_init (&g);
  return xasprintf (
"Runs the scenario on both stacks in pairs of back-to-back runs (A B,\n"
"B A, ...), N pairs (default %d) of RUNTIME seconds per layer (default\n"
"%s), and decides whether the candidate regressed: per layer, IOPS, read\n"
"and write p99 and the CPU per I/O of each process (thresholds iops=%+.0f%%,\n"
"p99=%+.0f%%, cpu=%+.0f%% unless the stack's \"gate\" or --threshold say).\n"
"When too noisy after N, it goes on up to M if that is what it needs.\n"
"--baseline takes a run record (or a directory of records, e.g. a gate's\n"
"candidate/) measured before; then layers are compared as ratios to the\n"
"host layer of their own run (--reference: another layer both have).\n"
"Exit: 0 no regression, 1 regression, 2 usage or setup error, 3 too noisy.\n",
           GATE_DEFAULT_REPEAT, GATE_DEFAULT_RUNTIME, g.thr[GT_IOPS] * 100,
           g.thr[GT_P99] * 100, g.thr[GT_CPU] * 100);
}

struct side {
  const char *name;             /* "baseline", "candidate" */
  const char *stack_path;       /* NULL: stored records */
  struct stack st;
  bool have_stack;
  char *dir;                    /* GATE-N/<name> */
  size_t runs;
  /* Values per layer and slot, one per repetition (NAN: none). */
  double *v[MAX_LAYERS][SLOTS];
  size_t n;
};

struct gate_ctx {
  struct gate g;
  struct side side[2];
  const char *scenario, *scen_dir, *runtime, *size;
  char *self;                   /* build/viperbench */
  char *layers_arg;             /* --layers for the runs */
  const char *layer[MAX_LAYERS];        /* gated layers */
  size_t nlayer;
  char *role[MAX_LAYERS][MAX_ROLES];    /* their processes, as seen */
  size_t nrole[MAX_LAYERS];
  const char *pin;              /* --pin for the runs, or NULL */
  double run_bound;             /* seconds one run may take */
  char *baseline_profile;       /* a stored baseline record, or NULL */
};

/* The slot of process ROLE in layer I (added when first seen), or -1
 * when the layer has MAX_ROLES already.
 */
static int
role_slot (struct gate_ctx *c, size_t i, const char *role)
{
  for (size_t r = 0; r < c->nrole[i]; r++)
    if (strcmp (c->role[i][r], role) == 0)
      return GM_CPU + (int) r;
  if (c->nrole[i] == MAX_ROLES)
    return -1;
  c->role[i][c->nrole[i]] = xstrdup (role);
  return GM_CPU + (int) c->nrole[i]++;
}

/* Appends the figures of one record's targets to SIDE: one value per
 * slot, NAN where the record has none.
 */
static void
take_sample (struct gate_ctx *c, struct side *s, const struct rm_run *run)
{
  const struct rm_target *ref;

  ref = c->g.ratio_mode ? rm_target_named (run, c->g.reference) : NULL;
  for (size_t i = 0; i < c->nlayer; i++) {
    const struct rm_target *lt = rm_target_named (run, c->layer[i]);

    /* Processes seen first in this record get their slots now. */
    for (size_t p = 0; lt && p < lt->nprocs; p++)
      role_slot (c, i, lt->procs[p].role ? lt->procs[p].role : "?");
    for (int k = 0; k < SLOTS; k++) {
      const char *role = k >= GM_CPU && k - GM_CPU < (int) c->nrole[i]
                         ? c->role[i][k - GM_CPU] : NULL;
      enum gate_metric m = k < GM_CPU ? (enum gate_metric) k : GM_CPU;
      double v = NAN;

      if (k >= GM_CPU && role == NULL)
        continue;
      if (lt)
        v = gate_metric_value (lt, m, role);
      /* Ratio mode: a layer's CPU per I/O in units of the reference
       * layer's fio's, as its IOPS in units of the reference's IOPS.
       */
      if (c->g.ratio_mode)
        v = ref ? v / gate_metric_value (ref, m, m == GM_CPU ? "fio" : NULL)
                : NAN;
      if (s->v[i][k] == NULL) {
        s->v[i][k] = xmalloc ((s->n + 1) * sizeof (double));
        for (size_t j = 0; j < s->n; j++)
          s->v[i][k][j] = NAN;
      }
      else
        s->v[i][k] = xrealloc (s->v[i][k], (s->n + 1) * sizeof (double));
      s->v[i][k][s->n] = v;
    }
  }
  s->n++;
}

/* One `viperbench run` of SIDE; 0, -1 (failed: c->g.failure set) or -2
 * (stop requested).
 */
static int
run_once (struct gate_ctx *c, struct side *s, const char *collect,
          const char *layers, const char *dir, bool sample)
{
  char *desc = xasprintf ("%s %s repetition %zu", c->g.id, s->name, s->runs + 1);
  char *who = xasprintf ("%s run %zu", s->name, s->runs + 1);
  struct child_run cr = {
    .self = c->self, .scenario = c->scenario, .scen_dir = c->scen_dir,
    .stack = s->stack_path, .layers = layers, .collect = collect,
    .desc = desc, .runtime = c->runtime, .pin = c->pin, .size = c->size,
    .dir = dir, .num = s->runs + 1, .bound = c->run_bound, .who = who,
  };
  cJSON *doc;
  int r;

  s->runs++;
  r = child_run (&cr, &doc, &c->g.failure);
  free (desc);
  free (who);
  if (r != 0)
    return r;
  if (sample) {
    struct rm_run run;

    rm_run_read (doc, &run);
    /* Both sides' runs are placed alike: the first says it for all. */
    if (c->g.pinning == NULL && run.placement)
      c->g.pinning = xstrdup (run.placement);
    take_sample (c, s, &run);
    rm_run_free (&run);
    /* A line of progress: each gated layer's IOPS (or ratio to host). */
    fprintf (stderr, "viperbench: gate: %s %zu/%zu:", s->name, s->n,
             c->g.extended_to ? c->g.extended_to : c->g.repeat);
    for (size_t i = 0; i < c->nlayer; i++) {
      char iops[16];
      double v = s->v[i][GM_IOPS][s->n - 1];

      if (c->g.ratio_mode)
        snprintf (iops, sizeof iops, "%.3fx host", v);
      else
        fmt_iops (iops, sizeof iops, v);
      fprintf (stderr, " %s %s%s", c->layer[i], iops,
               c->g.ratio_mode ? "" : " IOPS");
    }
    fputc ('\n', stderr);
  }
  cJSON_Delete (doc);
  return 0;
}

/* Loads stored baseline records from PATH (a record, or a directory of
 * records) into SIDE; 0 or -1 (message printed).
 */
static int
load_baseline (struct gate_ctx *c, struct side *s, const char *path)
{
  struct records r = { 0 };
  int ret = 0;

  if (records_add (&r, path, "--baseline") == -1)
    return -1;
  for (size_t i = 0; i < r.n && ret == 0; i++) {
    const struct rm_run *run = &r.run[i];
    const char *st = run->status_now;
    const char *sc = run->scenario;

    if (strcmp (st, "complete") != 0) {
      vb_msg ("--baseline %s is %s, not complete", r.dir[i], st);
      ret = -1;
      break;
    }
    if (sc == NULL || strcmp (sc, c->scenario) != 0) {
      vb_msg ("--baseline %s ran scenario '%s', not '%s'", r.dir[i],
              sc ? sc : "?", c->scenario);
      ret = -1;
      break;
    }
    if (rm_target_named (run, c->g.reference) == NULL) {
      vb_msg ("--baseline %s has no %s layer: a stored baseline is "
              "compared by ratios to it", r.dir[i], c->g.reference);
      ret = -1;
      break;
    }
    /* The layers: those of the first record (the candidate's are
     * matched in choose_layers).
     */
    if (c->nlayer == 0)
      for (size_t k = 0; k < run->ntargets; k++) {
        const char *name = run->targets[k].name;
        const struct target *tt = target_find (name);

        if (tt && strcmp (name, c->g.reference) != 0 && c->nlayer < MAX_LAYERS)
          c->layer[c->nlayer++] = tt->name;
      }
    gate_note (&c->g, "baseline %s: %s, measured %s on %s (kernel %s)",
               run->id ?: "?", r.dir[i], run->started ?: "?",
               run->hostname ?: "?", run->kernel ?: "?");
    take_sample (c, s, run);
    /* Its profile, if it has one, stands for the baseline's. */
    if (c->baseline_profile == NULL)
      c->baseline_profile = xstrdup (r.dir[i]);
  }
  records_free (&r);
  return ret;
}

/* Parses --threshold iops=-10%,p99=+20%,cpu=+5% into THR (GT_COUNT);
 * 0 or -1.
 */
static int
parse_thresholds (const char *arg, double *thr)
{
  char *copy = xstrdup (arg), *save = NULL;
  int r = 0;

  for (char *p = strtok_r (copy, ",", &save); p; p = strtok_r (NULL, ",", &save)) {
    char *eq = strchr (p, '=');
    int k = GT_COUNT;

    if (eq) {
      *eq = '\0';
      for (k = 0; k < GT_COUNT && strcmp (p, gate_thr_name (k)) != 0; k++)
        ;
    }
    if (k == GT_COUNT || isnan (thr[k] = gate_thr_parse (k, eq + 1))) {
      vb_msg ("--threshold '%s%s%s': expected iops=-N%% (a drop), "
              "p99=+N%% or cpu=+N%% (a rise)", p, eq ? "=" : "",
              eq ? eq + 1 : "");
      r = -1;
      break;
    }
  }
  free (copy);
  return r;
}

/* Chooses the gated layers and the --layers of the runs; 0 or -1. */
static int
choose_layers (struct gate_ctx *c, const char *only)
{
  const struct stack *cand = &c->side[1].st;
  char *list = NULL;

  if (only) {
    char *copy = xstrdup (only), *save = NULL;

    c->nlayer = 0;
    for (char *p = strtok_r (copy, ",", &save); p; p = strtok_r (NULL, ",", &save)) {
      const struct target *t = target_find (p);

      if (t == NULL || !stack_has_layer (cand, p) ||
          (c->side[0].have_stack && !stack_has_layer (&c->side[0].st, p))) {
        vb_msg ("--layers: '%s' is not a layer of %s", p,
                t == NULL ? "any stack" : "both stacks");
        free (copy);
        return -1;
      }
      if (c->nlayer < MAX_LAYERS &&
          !(c->g.ratio_mode && strcmp (p, c->g.reference) == 0))
        c->layer[c->nlayer++] = t->name;
    }
    free (copy);
  }
  else if (!c->g.ratio_mode) {
    /* Every layer both stacks have; the baseline layer only when it is
     * all there is (it does not run the stack's plugin).
     */
    const char *base = target_baseline ()->name;

    for (size_t i = 0; i < cand->nlayers && c->nlayer < MAX_LAYERS; i++)
      if (stack_has_layer (&c->side[0].st, cand->layers[i]) &&
          strcmp (cand->layers[i], base) != 0)
        c->layer[c->nlayer++] = target_find (cand->layers[i])->name;
    if (c->nlayer == 0 && stack_has_layer (cand, base) &&
        stack_has_layer (&c->side[0].st, base))
      c->layer[c->nlayer++] = base;
  }
  else {
    /* Those of the stored baseline the candidate stack has. */
    size_t n = 0;

    for (size_t i = 0; i < c->nlayer; i++)
      if (stack_has_layer (cand, c->layer[i]))
        c->layer[n++] = c->layer[i];
      else
        gate_note (&c->g, "layer %s is in the baseline but not in the "
                   "candidate stack: not gated", c->layer[i]);
    c->nlayer = n;
    if (!stack_has_layer (cand, c->g.reference)) {
      vb_msg ("stack %s has no %s layer, which a stored baseline is "
              "compared against", cand->path, c->g.reference);
      return -1;
    }
  }
  if (c->nlayer == 0) {
    vb_msg ("no layer to gate: the stacks have none in common%s",
            c->g.ratio_mode ? " with the baseline record" : "");
    return -1;
  }
  /* The runs: the gated layers (and the reference), in the stack's order. */
  for (size_t i = 0; i < cand->nlayers; i++) {
    bool want = c->g.ratio_mode && strcmp (cand->layers[i], c->g.reference) == 0;

    for (size_t k = 0; k < c->nlayer; k++)
      want |= strcmp (cand->layers[i], c->layer[k]) == 0;
    if (want)
      list_append (&list, ",", cand->layers[i]);
  }
  c->layers_arg = list;
  return 0;
}

static bool
all_nan (const double *v, size_t n)
{
  for (size_t i = 0; v && i < n; i++)
    if (!isnan (v[i]))
      return false;
  return true;
}

/* Hands both sides' values to the gate's core.  A process that one side
 * never had (a stored baseline without the cpu collector, a stack with
 * one more server) is not gated: noted once.
 */
static void
build_series (struct gate_ctx *c, bool note)
{
  struct side *a = &c->side[0], *b = &c->side[1];

  for (size_t i = 0; i < c->nlayer; i++)
    for (int k = 0; k < GM_CPU + (int) c->nrole[i]; k++) {
      const char *role = k >= GM_CPU ? c->role[i][k - GM_CPU] : NULL;

      if (role && (all_nan (a->v[i][k], a->n) || all_nan (b->v[i][k], b->n))) {
        if (note)
          gate_note (&c->g, "CPU per I/O of %s in layer %s not gated: only "
                     "the %s has it", role, c->layer[i],
                     all_nan (a->v[i][k], a->n) ? "candidate" : "baseline");
        continue;
      }
      gate_series_add (&c->g, c->layer[i], k < GM_CPU ? k : GM_CPU, role,
                       a->v[i][k], a->n, b->v[i][k], b->n);
    }
}

/* After a regression: one more run of each side with perf on the
 * regressed layers, and the symbols whose share grew most.
 */
static void
profile_regressions (struct gate_ctx *c)
{
  char *layers = NULL, *pdir[2] = { NULL, NULL };
  const char *why = coll_perf_unavailable ();
  struct records r[2] = { { 0 }, { 0 } };
  const struct rm_run *doc[2];
  struct doc *d;

  for (size_t i = 0; i < c->g.nseries; i++) {
    const struct gate_series *se = &c->g.series[i];

    if (se->verdict == GATE_REGRESSION &&
        !(layers && strstr (layers, se->layer)))
      list_append (&layers, ",", se->layer);
  }
  if (layers == NULL)
    return;
  if (why) {
    gate_note (&c->g, "no profile of the regressed layers: %s", why);
    free (layers);
    return;
  }
  fprintf (stderr, "viperbench: gate: profiling %s on both sides (perf)\n", layers);
  for (int k = 0; k < 2; k++) {
    struct side *s = &c->side[k];
    size_t runs = s->runs;

    if (!s->have_stack) {
      if (c->baseline_profile) {
        records_add (&r[k], c->baseline_profile, s->name);
        pdir[k] = xasprintf ("%s (the stored baseline's own profile, if it "
                             "has one)", c->baseline_profile);
      }
      continue;
    }
    pdir[k] = xasprintf ("%s/profile-%s", c->g.dir, s->name);
    s->runs = 0;
    /* perf for the stacks, cpu for the CPU per I/O they are scaled to. */
    if (run_once (c, s, "cpu,perf", layers, pdir[k], false) == 0) {
      char *rec = xasprintf ("%s/R-1", pdir[k]);

      records_add (&r[k], rec, s->name);
      free (rec);
    }
    else {
      gate_note (&c->g, "the profile run of the %s failed: %s", s->name,
                 c->g.failure ? c->g.failure : "interrupted");
      free (c->g.failure);
      c->g.failure = NULL;
    }
    s->runs = runs;
  }
  /* Each side's profile run (or the stored baseline's record). */
  for (int k = 0; k < 2; k++)
    doc[k] = r[k].n ? &r[k].run[0] : NULL;
  if (doc[0] && doc[1]) {
    c->g.diffs = xcalloc (1, sizeof *c->g.diffs);
    flame_diffs_make (&r[0], &r[1], c->g.diffs);
  }
  /* The regressed layers, in the gate's order; each side's record (as
   * gate.json keeps it, relative to the gate's directory when under it)
   * and words: what `viperbench report` needs to write this again.
   */
  for (size_t i = 0; i < c->nlayer; i++)
    if (strstr (layers, c->layer[i])) {
      c->g.prof_layers = xreallocarray (c->g.prof_layers,
                                        c->g.nprof_layers + 1,
                                        sizeof *c->g.prof_layers);
      c->g.prof_layers[c->g.nprof_layers++] = xstrdup (c->layer[i]);
    }
  for (int k = 0; k < 2; k++) {
    size_t n = strlen (c->g.dir);
    const char *rd = r[k].n ? r[k].dir[0] : NULL;

    c->g.prof_words[k] = pdir[k] ? xstrdup (pdir[k]) : NULL;
    if (rd)
      c->g.prof_rec[k] = xstrdup (strncmp (rd, c->g.dir, n) == 0 &&
                                  rd[n] == '/' ? rd + n + 1 : rd);
  }
  d = gate_profile_doc (&c->g, r);
  c->g.profile = d;
  records_free (&r[0]);
  records_free (&r[1]);
  free (pdir[0]);
  free (pdir[1]);
  free (layers);
}

/* --summary and --junit: copies where the CI system looks for them. */
static void
copy_outputs (const struct gate *g, const char *md, const char *summary,
              const char *junit)
{
  if (summary)
    write_file_atomic (summary, md, strlen (md));
  if (junit) {
    char *p = xasprintf ("%s/junit.xml", g->dir), *x = read_file (p, NULL);

    if (x)
      write_file_atomic (junit, x, strlen (x));
    free (x);
    free (p);
  }
}

static void
ctx_free (struct gate_ctx *c)
{
  for (int k = 0; k < 2; k++) {
    for (size_t i = 0; i < MAX_LAYERS; i++)
      for (int m = 0; m < SLOTS; m++)
        free (c->side[k].v[i][m]);
    if (c->side[k].have_stack)
      stack_free (&c->side[k].st);
    free (c->side[k].dir);
  }
  for (size_t i = 0; i < MAX_LAYERS; i++)
    for (size_t r = 0; r < c->nrole[i]; r++)
      free (c->role[i][r]);
  free (c->self);
  free (c->layers_arg);
  free (c->baseline_profile);
  gate_free (&c->g);
}

/* Options of the gate, as parsed. */
struct gate_opts {
  const char **baselines;       /* --baseline RECORD... */
  size_t nbaselines;
  const char *only, *thr, *results, *junit, *summary;
  bool profile;
};

/* The options into C and O; 0, 1 when --help was answered, or -1
 * (message printed).
 */
static int
gate_options (struct gate_ctx *c, struct gate_opts *o, int argc, char **argv)
{
  struct cli cli = {
    "gate", "(--baseline-stack FILE | --baseline RECORD...)\n"
    "                       --candidate-stack FILE --scenario NAME [OPTIONS]",
    NULL, gate_opts, false,
  };
  char *about = gate_about ();
  int opt;

  cli.about = about;
  optind = 1;
  while ((opt = cli_next (&cli, argc, argv)) != -1) {
    char *end;

    switch (opt) {
    case 'a': c->side[0].stack_path = optarg; break;
    case 'A':
      o->baselines = xreallocarray (o->baselines, o->nbaselines + 1,
                                    sizeof *o->baselines);
      o->baselines[o->nbaselines++] = optarg;
      break;
    case 'b': c->side[1].stack_path = optarg; break;
    case 's': c->scenario = optarg; break;
    case 'S': c->scen_dir = optarg; break;
    case 'n':
      if (*optarg == '\0')
        break;
      c->g.repeat = strtoul (optarg, &end, 10);
      if (*end || c->g.repeat < 1 || c->g.repeat > 200) {
        vb_msg ("--repeat '%s': a number of repetitions, 1 to 200", optarg);
        return -1;
      }
      break;
    case 'r': c->runtime = *optarg ? optarg : NULL; break;
    case 'z': c->size = *optarg ? optarg : NULL; break;
    case 'L': o->only = *optarg ? optarg : NULL; break;
    case 't': o->thr = *optarg ? optarg : NULL; break;
    case 'p':
      c->g.alpha_total = strtod (optarg, &end);
      if (*end || !(c->g.alpha_total > 0 && c->g.alpha_total < 0.5)) {
        vb_msg ("--alpha '%s': a significance level between 0 and 0.5", optarg);
        return -1;
      }
      break;
    case 'o': o->results = optarg; break;
    case 'P': o->profile = false; break;
    case 'M':
      if (*optarg == '\0')
        break;
      c->g.max_repeat = strtoul (optarg, &end, 10);
      if (*end || c->g.max_repeat < 1 || c->g.max_repeat > 200) {
        vb_msg ("--max-repeat '%s': a number of repetitions, 1 to 200", optarg);
        return -1;
      }
      break;
    case 'R':
      if (target_find (optarg) == NULL) {
        char names[256];

        target_list (names, sizeof names);
        vb_msg ("--reference '%s': not a layer (known: %s)", optarg, names);
        return -1;
      }
      c->g.reference = target_find (optarg)->name;
      break;
    case 'I': {
      enum pin_mode mode;

      if (*optarg && pin_parse (optarg, &mode) == -1) {
        vb_msg ("--pin '%s': expected auto, on or off", optarg);
        return -1;
      }
      c->pin = *optarg ? optarg : NULL;
      break;
    }
    case 'j': o->junit = optarg; break;
    case 'm': o->summary = optarg; break;
    case CLI_HELP: free (about); return 1;
    default: free (about); return -1;
    }
  }
  free (about);
  if (optind < argc) {
    vb_msg ("gate: unexpected argument '%s'", argv[optind]);
    return -1;
  }
  return 0;
}

/* What the options name, checked and loaded: the scenario, the stacks,
 * the thresholds, the stored baselines, the plan and the layers; 0 or
 * -1 (message printed).
 */
static int
gate_inputs (struct gate_ctx *c, struct gate_opts *o)
{
  double cli[GT_COUNT] = { NAN, NAN, NAN };
  struct scenario sc;

  if (c->scenario == NULL || *c->scenario == '\0') {
    vb_msg ("gate: no scenario: give --scenario NAME");
    return -1;
  }
  if (c->side[1].stack_path == NULL || *c->side[1].stack_path == '\0') {
    vb_msg ("gate: no candidate: give --candidate-stack FILE");
    return -1;
  }
  if (c->side[0].stack_path && *c->side[0].stack_path == '\0')
    c->side[0].stack_path = NULL;
  if ((c->side[0].stack_path == NULL) == (o->nbaselines == 0)) {
    vb_msg ("gate: give either --baseline-stack FILE (both measured here, "
            "interleaved) or --baseline RECORD (stored), not %s",
            o->nbaselines ? "both" : "neither");
    return -1;
  }
  c->g.ratio_mode = o->nbaselines > 0;

  if (c->runtime == NULL)
    c->runtime = GATE_DEFAULT_RUNTIME;
  if (scenario_load (c->scen_dir, c->scenario, &sc) == -1 ||
      scenario_override (&sc, c->runtime, c->size) == -1) {
    scenario_free (&sc);
    return -1;
  }
  c->run_bound = sc.runtime > 0 ? sc.runtime + sc.ramp + 150 : 1800;
  scenario_free (&sc);
  for (int k = 0; k < 2; k++)
    if (c->side[k].stack_path) {
      if (stack_load (c->side[k].stack_path, &c->side[k].st) == -1) {
        stack_free (&c->side[k].st);
        return -1;
      }
      c->side[k].have_stack = true;
    }
  if (o->thr && parse_thresholds (o->thr, cli) == -1)
    return -1;
  gate_set_thresholds (&c->g, c->side[1].st.gate_thr, cli);
  for (size_t i = 0; i < o->nbaselines; i++)
    if (load_baseline (c, &c->side[0], o->baselines[i]) == -1)
      return -1;
  if (gate_plan (&c->g, c->side[0].n) == -1 || choose_layers (c, o->only) == -1)
    return -1;
  c->run_bound *= 1 + (double) c->nlayer;
  return 0;
}

/* The gate's own words for its sides and settings (gate.json, the
 * summary, junit.xml).
 */
static void
gate_describe (struct gate_ctx *c, const struct gate_opts *o)
{
  char *dir = self_dir ();

  c->self = xasprintf ("%s/viperbench", dir ? dir : ".");
  free (dir);
  c->g.scenario = xstrdup (c->scenario);
  if (c->g.ratio_mode) {
    char *list = NULL;

    for (size_t i = 0; i < o->nbaselines; i++)
      list_append (&list, ", ", o->baselines[i]);
    c->g.baseline = xasprintf ("stored record(s) %s (%zu sample%s)", list,
                               c->side[0].n, c->side[0].n == 1 ? "" : "s");
    free (list);
    if (c->side[0].n == 1)
      gate_note (&c->g, "the stored baseline is one sample: its own "
                 "run-to-run noise is unknown and not counted (Wilcoxon "
                 "signed-rank of the candidate against it); store several "
                 "(a gate's candidate/ directory) for a two-sample test");
  }
  else
    c->g.baseline = xasprintf ("stack %s (\"%s\")", c->side[0].st.path,
                               c->side[0].st.name);
  c->g.candidate = xasprintf ("stack %s (\"%s\")", c->side[1].st.path,
                              c->side[1].st.name);
  /* They go into gate.json and junit.xml, which are UTF-8. */
  utf8_scrub (c->g.baseline);
  utf8_scrub (c->g.candidate);
  gate_note (&c->g, "runtime %s s per layer per run%s", c->runtime,
             strcmp (c->runtime, GATE_DEFAULT_RUNTIME) == 0
             ? " (the default: --runtime)" : "");
}

/* Phase 1: options and input, checked before anything runs; 0, 1 when
 * --help was answered, or -1 (message printed, exit 2).
 */
static int
gate_setup (struct gate_ctx *c, struct gate_opts *o, int argc, char **argv)
{
  int r = gate_options (c, o, argc, argv);

  if (r != 0)
    return r;
  if (gate_inputs (c, o) == -1)
    return -1;
  gate_describe (c, o);
  return 0;
}

/* Phase 2: the gate's directory, then the repetitions: A B, B A, A B,
 * ...  After the first REPEAT, a look: when some metric is too noisy and
 * the repetitions it needs are at most --max-repeat, the gate goes on to
 * that many.  Returns GATE_EXIT_PASS (measured), GATE_EXIT_SETUP (a run
 * failed: c->g.failure says why) or EXIT_INTERRUPTED.
 */
static int
gate_measure (struct gate_ctx *c, const char *results)
{
  struct record claim;
  int code = GATE_EXIT_PASS;

  if (record_claim (results, "GATE-", &claim) == -1)
    return -1;
  c->g.id = claim.id;
  c->g.dir = claim.dir;
  reserve_make (c->g.dir);
  for (int k = 0; k < 2; k++)
    c->side[k].dir = xasprintf ("%s/%s", c->g.dir, c->side[k].name);
  free (gate_write (&c->g, "running", 0));
  fprintf (stderr, "viperbench: %s: scenario %s, layers %s, %zu repetitions "
           "%s\n", c->g.id, c->scenario, c->layers_arg, c->g.repeat,
           c->g.ratio_mode ? "of the candidate against the stored baseline"
                           : "of each stack, interleaved");
  for (size_t r = 0, total = c->g.repeat; r < total && code == GATE_EXIT_PASS; r++) {
    for (int k = 0; k < 2 && code == GATE_EXIT_PASS; k++) {
      int which = c->g.ratio_mode ? 1 : (r % 2 ? 1 - k : k);
      struct side *s = &c->side[which];
      int w;

      if (c->g.ratio_mode && k == 1)
        break;
      w = run_once (c, s, "cpu", c->layers_arg, s->dir, true);
      if (w == -2)
        code = EXIT_INTERRUPTED;
      else if (w == -1)
        code = GATE_EXIT_SETUP;
    }
    if (code == GATE_EXIT_PASS && r + 1 == c->g.repeat) {
      size_t more;

      build_series (c, false);
      if ((more = gate_look (&c->g)) > 0) {
        fprintf (stderr, "viperbench: gate: too noisy after %zu repetitions; "
                 "going on to %zu\n", c->g.repeat, more);
        total = more;
      }
    }
  }
  return code;
}

/* The gate could not measure, or not keep what it measured: its
 * failure (c->g.failure) written as an error, never a pass.
 */
static int
gate_error (struct gate_ctx *c, const struct gate_opts *o)
{
  char *md;

  vb_msg ("%s: %s", c->g.id, c->g.failure);
  md = gate_write (&c->g, "failed", GATE_EXIT_SETUP);
  copy_outputs (&c->g, md, o->summary, o->junit);
  free (md);
  printf ("%s: ERROR: %s\n", c->g.id, c->g.failure);
  return GATE_EXIT_SETUP;
}

/* Phase 3: the verdict (or the failure), written and printed; the exit
 * code.
 */
static int
gate_conclude (struct gate_ctx *c, const struct gate_opts *o, int code,
               double t0)
{
  char *md;

  c->g.seconds = mono_now () - t0;
  /* Nothing the runs left is kept with a secret in it (each run scrubs
   * its own record; the gate's logs of them are scrubbed as written).
   */
  if (c->g.dir && scrub_tree (c->g.dir) == -1 && code != EXIT_INTERRUPTED &&
      code != GATE_EXIT_SETUP) {
    free (c->g.failure);
    c->g.failure = xasprintf ("scrubbing secrets from %s: %s", c->g.dir,
                              vb_last_msg ());
    code = GATE_EXIT_SETUP;
  }
  if (code == EXIT_INTERRUPTED) {
    vb_msg ("%s: interrupted; the runs so far are in %s", c->g.id, c->g.dir);
    free (gate_write (&c->g, "aborted", code));
    return EXIT_INTERRUPTED;
  }
  if (code == GATE_EXIT_SETUP)
    return gate_error (c, o);
  build_series (c, true);
  code = gate_decide (&c->g);
  if (code == GATE_EXIT_REGRESSION && o->profile)
    profile_regressions (c);
  c->g.seconds = mono_now () - t0;
  md = gate_write (&c->g, "complete", code);
  /* Written whole, or the verdict is an error: never a pass. */
  if (first_write_error ()) {
    free (md);
    free (c->g.failure);
    c->g.failure = xasprintf ("a write failed: %s", first_write_error ());
    return gate_error (c, o);
  }
  fputs (md, stdout);
  copy_outputs (&c->g, md, o->summary, o->junit);
  fprintf (stderr, "viperbench: %s: %s (exit %d): %s/summary.md, %s/junit.xml\n",
           c->g.id, code == 0 ? "pass" : code == 1 ? "regression" : "too noisy",
           code, c->g.dir, c->g.dir);
  free (md);
  return code;
}

int
gate_main (int argc, char **argv)
{
  struct gate_ctx c = { .scen_dir = "scenarios" };
  struct gate_opts o = { .results = "results", .profile = true };
  double t0;
  int code;

  gate_init (&c.g);
  c.g.reference = target_baseline ()->name;
  c.side[0].name = "baseline";
  c.side[1].name = "candidate";
  if ((code = gate_setup (&c, &o, argc, argv)) != 0) {
    ctx_free (&c);
    free (o.baselines);
    return code == 1 ? 0 : GATE_EXIT_SETUP;
  }
  proc_install_signals ();
  t0 = mono_now ();
  {
    char now[32];

    iso_now (now, sizeof now);
    c.g.started = xstrdup (now);
  }
  code = gate_measure (&c, o.results);
  code = code == -1 ? GATE_EXIT_SETUP : gate_conclude (&c, &o, code, t0);
  ctx_free (&c);
  free (o.baselines);
  return code;
}
