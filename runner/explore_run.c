/* explore_run.c: `viperbench explore`: which of a stack's knobs buys
 * what, measured.
 *
 *   viperbench explore --stack FILE --scenario NAME [--layers LAYER]
 *                      [--knob KEY=V1,V2 ...] [--budget-s S] ...
 *
 * Each knob is a path into the stack (nbdkit.threads, qemu.iothread,
 * plugin_args.pool, probes, ...) and its levels; without --knob, one run
 * of the stack as it is says what limits the layer (its bottleneck
 * verdict) and the knobs that act on that stage come from the table
 * below.  Each level is the stack with that one key changed, written to
 * the run's private directory and checked by the stack's own parser
 * before anything runs.
 *
 * A round runs the stack as it is and every level once, each a `viperbench
 * run` child (child_run.c), in an order that turns and reverses from
 * round to round; after --repeat rounds, a look: when the interval of a
 * change is wider than --precision, rounds go on up to --max-repeat
 * while the budget lasts (the two looks share alpha, as in the gate).
 * With 3 or more knobs, a replicated two-level factorial of the (up to
 * 5) largest follows, if the budget allows, to say whether the two
 * largest interact and which combination is best.  The decision is
 * reports/explore_core.c's, the record and its report are
 * reports/explore_write.c's: results/EXPLORE-N/explore.json, written
 * after every round (running, then complete, failed or aborted).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static const struct cli_opt explore_opts[] = {
  { "stack", 'k', "FILE", "the stack whose knobs are explored (required)" },
  { "scenario", 's', "NAME", "the fio job (required)" },
  { "scenarios", 'S', "DIR", "where scenarios are found (default "
    "scenarios)" },
  { "layers", 'L', "LAYER", "the layer measured (default the stack's last)" },
  { "knob", 'K', "KEY=V1,V2", "a key of the stack and levels to try "
    "(repeatable; default: the knobs of the layer's bottleneck)" },
  { "repeat", 'n', "N", "rounds at the first look (default 8)" },
  { "max-repeat", 'M', "M", "rounds at most while an interval is too wide "
    "(default 3N)" },
  { "precision", 'P', "PCT", "an interval wider than +-PCT asks for more "
    "rounds (default 10%)" },
  { "budget-s", 'B', "SECONDS", "wall time for more rounds and the "
    "factorial (default 1800)" },
  { "no-factorial", 'F', NULL, "one factor at a time only" },
  { "runtime", 'r', "SECONDS", "each run's measured window" },
  { "size", 'z', "SIZE", "each job's size (fio's size=)" },
  { "pin", 'I', "auto|on|off", "fio and each server on CPUs of their own" },
  { "results", 'o', "DIR", "the results directory (default results)" },
  { NULL, 0, NULL, NULL },
};

#define DEFAULT_REPEAT 8
#define VERDICT_NONE "nothing limits it below what fio asks"

/* The first N bytes of S (to free). */
static char *
xstrndup_ (const char *s, size_t n)
{
  char *r = xmalloc (n + 1);

  memcpy (r, s, n);
  r[n] = '\0';
  return r;
}
#define DEFAULT_BUDGET_S 1800
#define MAX_LEVELS EXPLORE_MAX_LEVELS

/* The knobs that act on each stage, for an exploration without --knob:
 * FAMILY is the stage as the bottleneck verdict names it (a word of its
 * summary); ROLE a process the layer must have for the key to act on
 * it (as the stack's run of it shows: nbdkit, qemu-system; NULL: any);
 * ENGINE when fio's engine must be the NBD client (no QEMU process in
 * the layer); NEEDS a key the stack must have for it to mean anything.
 */
static const struct knob_rule {
  const char *family;           /* "nbdkit", "qemu" */
  const char *key, *levels;
  const char *role;
  bool engine;
  const char *needs;
  const char *stage;            /* what it acts on, in the report */
} knob_rules[] = {
  { "nbdkit", "nbdkit.threads", "4,16,64", "nbdkit", false, NULL,
    "nbdkit's request threads (-t)" },
  { "nbdkit", "engine.conns", "2,4", "nbdkit", true, NULL,
    "the engine's NBD connections (multi-conn)" },
  { "nbdkit", "plugin_args.pool", "4,16", NULL, false, "plugin_args.pool",
    "the block store's pool of object-store connections" },
  { "nbdkit", "plugin_args.cache-size", "\"128M\"", NULL, false,
    "plugin_args.cache-size", "the block store's object cache" },
  { "nbdkit", "probes", "\"off\"", "nbdkit", false, NULL,
    "the probe filters between the stages" },
  { "qemu", "qemu.iothread", "true", "qemu-system", false, NULL,
    "QEMU's I/O thread for the disk" },
  { "qemu", "qemu.num-queues", "2,4", "qemu-system", false, NULL,
    "the virtio-blk queues" },
  { "qemu", "qemu.cache", "\"none\"", "qemu-system", false, NULL,
    "QEMU's host page cache for the disk" },
};

struct explore_ctx {
  struct explore x;
  const char *stack_path, *scenario, *scen_dir, *runtime, *size, *pin;
  const char *results;
  char *self;
  cJSON *raw;                   /* the stack file as written */
  char *priv;                   /* the private dir: the levels' stacks */
  double run_bound;
  bool factorial;
  const char **knob_args;
  size_t nknob_args;
  size_t runs;                  /* stacks written, for their names */
  size_t runs_done;             /* runs measured, for the time one takes */
  char *roles;                  /* " fio nbdkit ": the layer's processes */
};

/* The item at dotted path KEY of OBJ, or NULL. */
static cJSON *
path_get (cJSON *obj, const char *key)
{
  char *copy = xstrdup (key), *save = NULL;

  for (char *p = strtok_r (copy, ".", &save); p && obj;
       p = strtok_r (NULL, ".", &save))
    obj = cJSON_IsObject (obj) ? cJSON_GetObjectItemCaseSensitive (obj, p)
                               : NULL;
  free (copy);
  return obj;
}

/* Sets dotted path KEY of OBJ to VALUE (taken), making the objects on
 * the way; -1 when something on the way is not an object.
 */
static int
path_set (cJSON *obj, const char *key, cJSON *value)
{
  char *copy = xstrdup (key), *save = NULL, *p, *next;

  p = strtok_r (copy, ".", &save);
  while ((next = strtok_r (NULL, ".", &save)) != NULL) {
    cJSON *sub = cJSON_GetObjectItemCaseSensitive (obj, p);

    if (sub == NULL)
      sub = cJSON_AddObjectToObject (obj, p);
    if (!cJSON_IsObject (sub)) {
      free (copy);
      cJSON_Delete (value);
      return -1;
    }
    obj = sub;
    p = next;
  }
  if (cJSON_GetObjectItemCaseSensitive (obj, p))
    cJSON_ReplaceItemInObjectCaseSensitive (obj, p, value);
  else
    cJSON_AddItemToObject (obj, p, value);
  free (copy);
  return 0;
}

/* A level's text as JSON: a number, true, false or a JSON string as
 * written; else the text as a string.
 */
static cJSON *
level_json (const char *text)
{
  cJSON *v = cJSON_Parse (text);

  if (v && (cJSON_IsNumber (v) || cJSON_IsBool (v) || cJSON_IsString (v)))
    return v;
  cJSON_Delete (v);
  return cJSON_CreateString (text);
}

/* The canonical text of a JSON value (to free). */
static char *
value_text (const cJSON *v)
{
  return v ? cJSON_PrintUnformatted (v) : NULL;
}

/* True when KEY is a plain dotted path: 1 to 4 parts of letters,
 * digits, '_' and '-'.
 */
static bool
plain_key (const char *key)
{
  int parts = 1;

  if (*key == '\0' || *key == '.' || key[strlen (key) - 1] == '.')
    return false;
  for (const char *p = key; *p; p++) {
    if (*p == '.') {
      if (p[1] == '.')
        return false;
      parts++;
    }
    else if (!(isalnum ((unsigned char) *p) || *p == '_' || *p == '-'))
      return false;
  }
  return parts <= 4;
}

/* Writes the stack with the SETS (key and value text) of KNOBS into the
 * private directory and checks it with the stack's own parser; the path
 * (to free), or NULL with a message naming WHAT.
 */
static char *
level_stack (struct explore_ctx *c, const char *const *keys,
             const char *const *values, size_t n, const char *what)
{
  cJSON *doc = cJSON_Duplicate (c->raw, true);
  char *path = xasprintf ("%s/stack-%zu.json", c->priv, ++c->runs), *text;
  struct stack st;
  int r;

  for (size_t i = 0; i < n; i++)
    if (path_set (doc, keys[i], level_json (values[i])) == -1) {
      vb_msg ("explore: %s: %s: part of the way is not an object in stack %s",
              what, keys[i], c->stack_path);
      cJSON_Delete (doc);
      free (path);
      return NULL;
    }
  text = cJSON_Print (doc);
  cJSON_Delete (doc);
  r = write_file_atomic (path, text, strlen (text));
  free (text);
  if (r == -1) {
    free (path);
    return NULL;
  }
  memset (&st, 0, sizeof st);
  if (stack_load (path, &st) == -1) {
    vb_msg ("explore: %s: the stack with it is not one (said above)", what);
    stack_free (&st);
    free (path);
    return NULL;
  }
  stack_free (&st);
  return path;
}

/* Adds knob KEY with LEVELS (comma-separated) and STAGE; 0 or -1. */
static int
knob_add (struct explore_ctx *c, const char *key, const char *levels,
          const char *stage)
{
  struct explore *x = &c->x;
  struct explore_knob *k;
  const char *last = strrchr (key, '.');
  char *copy, *save = NULL;

  if (!plain_key (key)) {
    vb_msg ("explore: --knob '%s': expected KEY=V1,V2 with KEY a path into "
            "the stack such as nbdkit.threads or plugin_args.pool", key);
    return -1;
  }
  if (is_secret_key (last ? last + 1 : key)) {
    vb_msg ("explore: --knob %s: a secret's key: its levels would reach "
            "the record; not explored", key);
    return -1;
  }
  for (size_t i = 0; i < x->nknobs; i++)
    if (strcmp (x->knob[i].key, key) == 0) {
      vb_msg ("explore: --knob %s given twice", key);
      return -1;
    }
  if (x->nknobs == EXPLORE_MAX_KNOBS) {
    vb_msg ("explore: at most %d knobs", EXPLORE_MAX_KNOBS);
    return -1;
  }
  k = &x->knob[x->nknobs];
  memset (k, 0, sizeof *k);
  k->key = xstrdup (key);
  k->stage = xstrdup (stage);
  k->base = value_text (path_get (c->raw, key));
  copy = xstrdup (levels);
  for (char *p = strtok_r (copy, ",", &save); p; p = strtok_r (NULL, ",", &save)) {
    char *kv = xasprintf ("%s=%s", key, p);
    cJSON *v;

    /* A secret in a level (a URL's user and password) is known to the
     * scrubber before anything is written.
     */
    secrets_from_text (kv);
    free (kv);
    v = level_json (p);
    char *t = value_text (v), *what;
    const char *keys[1] = { key }, *vals[1] = { t };
    bool dup = k->base && strcmp (t, k->base) == 0;

    cJSON_Delete (v);
    for (size_t l = 0; l < k->nlv && !dup; l++)
      dup = strcmp (k->lv[l].value, t) == 0;
    if (dup) {
      free (t);
      continue;                 /* the stack's own value, or twice */
    }
    if (k->nlv == MAX_LEVELS) {
      vb_msg ("explore: --knob %s: at most %d levels", key, MAX_LEVELS);
      free (t);
      free (copy);
      x->nknobs++;
      return -1;
    }
    what = xasprintf ("--knob %s=%s", key, p);
    k->lv[k->nlv].stack = level_stack (c, keys, vals, 1, what);
    free (what);
    k->lv[k->nlv].value = t;
    k->nlv++;
    if (k->lv[k->nlv - 1].stack == NULL) {
      free (copy);
      x->nknobs++;
      return -1;
    }
  }
  free (copy);
  x->nknobs++;
  if (k->nlv == 0) {
    vb_msg ("explore: --knob %s: no level other than the stack's own (%s)",
            key, k->base ? k->base : "unset");
    return -1;
  }
  return 0;
}

/* True when the layer's run had a process of role ROLE ("qemu": any
 * whose role begins so).
 */
static bool
has_role (const struct explore_ctx *c, const char *role)
{
  char *w = xasprintf (strcmp (role, "qemu") == 0 ? " %s" : " %s ", role);
  bool r = c->roles && strstr (c->roles, w) != NULL;

  free (w);
  return r;
}

/* True when one of LEVELS (comma-separated) differs from KEY's value in
 * the stack.
 */
static bool
other_level (struct explore_ctx *c, const char *key, const char *levels)
{
  char *base = value_text (path_get (c->raw, key)), *copy = xstrdup (levels);
  char *save = NULL;
  bool other = false;

  for (char *p = strtok_r (copy, ",", &save); p && !other;
       p = strtok_r (NULL, ",", &save)) {
    cJSON *v = level_json (p);
    char *t = value_text (v);

    other = base == NULL || strcmp (t, base) != 0;
    free (t);
    cJSON_Delete (v);
  }
  free (base);
  free (copy);
  return other;
}

/* The knobs of the stage the verdict V names (all the layer's, when it
 * names none); 0 or -1.
 */
static int
knobs_from_verdict (struct explore_ctx *c, const struct rm_verdict *v)
{
  struct explore *x = &c->x;
  const char *words = v->state == RM_VERDICT_SOME && v->summary ? v->summary
                                                               : "";
  bool qemu = strstr (words, "QEMU") || strstr (words, "qemu");
  bool nbdkit = strstr (words, "nbdkit") || strstr (words, "plugin");
  bool any = !qemu && !nbdkit;

  x->knobs_from = xasprintf ("the %s layer's bottleneck verdict: %s", x->layer,
                             v->state == RM_VERDICT_SOME && v->summary
                             ? v->summary : "nothing limits it below what "
                             "fio asks");
  for (size_t i = 0; i < sizeof knob_rules / sizeof knob_rules[0]; i++) {
    const struct knob_rule *r = &knob_rules[i];

    if ((r->role && !has_role (c, r->role)) ||
        (r->engine && has_role (c, "qemu")) ||
        (r->needs && path_get (c->raw, r->needs) == NULL))
      continue;
    if (!any && !(qemu && strcmp (r->family, "qemu") == 0) &&
        !(nbdkit && strcmp (r->family, "nbdkit") == 0))
      continue;
    if (!other_level (c, r->key, r->levels))
      continue;                 /* the stack has its only level already */
    if (knob_add (c, r->key, r->levels, r->stage) == -1)
      return -1;
  }
  if (x->nknobs == 0) {
    vb_msg ("explore: no knob of the table acts on the %s layer of stack %s "
            "as it is: give --knob KEY=V1,V2", x->layer, c->stack_path);
    return -1;
  }
  return 0;
}

/* A bottleneck verdict in words that do not change from run to run
 * (the stage, not its figures), to free.
 */
static char *
verdict_words (const struct rm_verdict *v)
{
  const char *s = v->summary ? v->summary : "", *cut;

  if (v->state == RM_VERDICT_NONE)
    return xstrdup (VERDICT_NONE);
  if (v->state != RM_VERDICT_SOME || v->kind == NULL)
    return xstrdup ("-");
  if (strcmp (v->kind, "capacity") == 0) {
    /* "nbdkit's threads: -t 1 x 4 connections (...): at most 4 at once" */
    cut = strstr (s, ": at most");
    return cut ? xstrndup_ (s, (size_t) (cut - s)) : xstrdup (s);
  }
  if (strcmp (v->kind, "cpu") == 0)
    return xasprintf ("%s saturated on CPU", v->process ? v->process : "?");
  if (strcmp (v->kind, "thread") == 0)
    return xasprintf ("a thread of %s saturated on CPU",
                      v->process ? v->process : "?");
  return xstrdup ("undecided");
}

/* The figures of layer X->layer in record DOC into S (one run). */
static void
take (struct explore_ctx *c, const cJSON *doc, struct explore_sample *s)
{
  const struct explore *x = &c->x;
  struct rm_run run;
  const struct rm_target *t;

  for (int m = 0; m < EXPLORE_METRICS; m++)
    s->v[m] = NAN;
  s->verdict = NULL;
  rm_run_read (doc, &run);
  t = rm_target_named (&run, x->layer);
  if (t) {
    double cpu = 0;
    bool any = false;

    s->v[0] = gate_metric_value (t, GM_IOPS, NULL);
    s->v[1] = gate_metric_value (t, GM_READ_P99, NULL);
    s->v[2] = gate_metric_value (t, GM_WRITE_P99, NULL);
    /* CPU per I/O: every process of the layer, summed. */
    free (c->roles);
    c->roles = xstrdup (" ");
    for (size_t p = 0; p < t->nprocs; p++) {
      char *more = xasprintf ("%s%s ", c->roles,
                              t->procs[p].role ? t->procs[p].role : "?");

      free (c->roles);
      c->roles = more;
    }
    for (size_t p = 0; p < t->nprocs; p++) {
      double v = gate_metric_value (t, GM_CPU, t->procs[p].role);

      if (!isnan (v)) {
        cpu += v;
        any = true;
      }
    }
    s->v[3] = any ? cpu : NAN;
    s->verdict = verdict_words (&t->verdict);
    utf8_scrub (s->verdict);
  }
  rm_run_free (&run);
}

/* One run of STACK into X's DIR/SUB, its figures into S; 0, -1 (failed:
 * X->failure set) or -2 (stop requested).
 */
static int
run_one (struct explore_ctx *c, const char *stack, const char *sub,
         size_t num, const char *words, struct explore_sample *s)
{
  char *dir = xasprintf ("%s/%s", c->x.dir, sub);
  char *desc = xasprintf ("%s %s round %zu", c->x.id, words, num);
  char *who = xasprintf ("run %zu of %s", num, words);
  char *sw = strcmp (stack, c->stack_path) == 0 ? xstrdup (stack)
             : xasprintf ("%s with %s", c->stack_path, words);
  struct child_run cr = {
    .self = c->self, .scenario = c->scenario, .scen_dir = c->scen_dir,
    .stack = stack, .layers = c->x.layer, .collect = "cpu", .desc = desc,
    .runtime = c->runtime, .pin = c->pin, .size = c->size, .dir = dir,
    .num = num, .bound = c->run_bound, .who = who, .stack_words = sw,
  };
  cJSON *doc;
  int r = child_run (&cr, &doc, &c->x.failure);

  if (r == 0) {
    take (c, doc, s);
    cJSON_Delete (doc);
  }
  free (dir);
  free (desc);
  free (who);
  free (sw);
  return r;
}

/* Appends an empty sample to LV and returns it. */
static struct explore_sample *
sample_new (struct explore_level *lv)
{
  lv->s = xreallocarray (lv->s, lv->n + 1, sizeof *lv->s);
  memset (&lv->s[lv->n], 0, sizeof lv->s[lv->n]);
  return &lv->s[lv->n++];
}

/* "KEY=VALUE", a string's value without its quotes (to free). */
static char *
level_words (const char *key, const char *value)
{
  cJSON *v = cJSON_Parse (value);
  char *r = xasprintf ("%s=%s", key, cJSON_IsString (v) ? v->valuestring
                                                        : value);

  cJSON_Delete (v);
  return r;
}

/* One round: the base and every level, in an order turned by ROUND and
 * reversed every other round; 0, -1 or -2 as run_one.
 */
static int
round_run (struct explore_ctx *c, size_t round)
{
  struct explore *x = &c->x;
  struct explore_level *all[1 + EXPLORE_MAX_KNOBS * MAX_LEVELS];
  char *sub[1 + EXPLORE_MAX_KNOBS * MAX_LEVELS];
  char *words[1 + EXPLORE_MAX_KNOBS * MAX_LEVELS];
  size_t n = 0;
  int r = 0;

  all[n] = &x->base;
  sub[n] = xstrdup ("base");
  words[n++] = xstrdup ("the stack as it is");
  for (size_t k = 0; k < x->nknobs; k++)
    for (size_t l = 0; l < x->knob[k].nlv; l++) {
      all[n] = &x->knob[k].lv[l];
      sub[n] = xasprintf ("knob%zu-level%zu", k + 1, l + 1);
      words[n++] = level_words (x->knob[k].key, x->knob[k].lv[l].value);
    }
  for (size_t i = 0; i < n && r == 0; i++) {
    size_t j = (i + round) % n;

    if (round % 2)
      j = n - 1 - j;
    fprintf (stderr, "viperbench: %s: round %zu: %s\n", x->id, round + 1,
             words[j]);
    r = run_one (c, all[j]->stack ? all[j]->stack : c->stack_path, sub[j],
                 round + 1, words[j], sample_new (all[j]));
  }
  for (size_t i = 0; i < n; i++) {
    free (sub[i]);
    free (words[i]);
  }
  return r;
}

/* Seconds one run takes, as measured so far since T0 (0: none yet). */
static double
per_run (const struct explore_ctx *c, double t0)
{
  return c->runs_done ? (mono_now () - t0) / (double) c->runs_done : 0;
}

/* Runs in a round: the base and every level. */
static size_t
round_size (const struct explore *x)
{
  size_t n = 1;

  for (size_t k = 0; k < x->nknobs; k++)
    n += x->knob[k].nlv;
  return n;
}

/* True when some level's IOPS change is still wider than the precision. */
static bool
too_wide (const struct explore *x)
{
  for (size_t k = 0; k < x->nknobs; k++)
    for (size_t l = 0; l < x->knob[k].nlv; l++) {
      struct explore_change ch;

      explore_level_change (x, &x->knob[k].lv[l], 0, &ch);
      if (explore_needed (&ch, x->precision, x->alpha_look) > 0)
        return true;
    }
  return false;
}

/* The factorial's knobs (the largest changes, up to 5), their levels
 * and its design; false when there is none to run.
 */
static bool
factorial_plan (struct explore_ctx *c)
{
  struct explore *x = &c->x;
  double size[EXPLORE_MAX_KNOBS];
  bool used[EXPLORE_MAX_KNOBS] = { false };

  if (!c->factorial || x->nknobs < 3)
    return false;
  for (size_t k = 0; k < x->nknobs; k++) {
    struct explore_change ch;

    explore_level_change (x, &x->knob[k].lv[explore_best_level (x, k)], 0,
                          &ch);
    size[k] = isnan (ch.est) ? 0 : fabs (log1p (ch.est));
  }
  x->fk = 0;
  while (x->fk < EXPLORE_FACT_MAX && x->fk < x->nknobs) {
    size_t best = EXPLORE_MAX_KNOBS;

    for (size_t k = 0; k < x->nknobs; k++)
      if (!used[k] && (best == EXPLORE_MAX_KNOBS || size[k] > size[best]))
        best = k;
    used[best] = true;
    x->fknob[x->fk] = (int) best;
    x->flevel[x->fk++] = explore_best_level (x, best);
  }
  if (x->nknobs > EXPLORE_FACT_MAX)
    explore_note (x, "the factorial takes the %d knobs of the largest "
                  "changes", EXPLORE_FACT_MAX);
  x->frows = explore_design (x->fk, x->signs);
  x->freps = 2;
  return x->frows > 0;
}

/* The factorial: each replicate runs every cell once, in an order
 * turned by the replicate; 0, -1 or -2 as run_one.
 */
static int
factorial_run (struct explore_ctx *c)
{
  struct explore *x = &c->x;
  char *stacks[16] = { NULL };
  int r = 0;

  x->fcell = xcalloc (x->frows * x->freps, sizeof *x->fcell);
  for (size_t row = 0; row < x->frows; row++) {
    const char *keys[EXPLORE_FACT_MAX], *vals[EXPLORE_FACT_MAX];
    size_t n = 0;

    for (size_t j = 0; j < x->fk; j++)
      if (x->signs[row * x->fk + j] > 0) {
        const struct explore_knob *k = &x->knob[x->fknob[j]];

        keys[n] = k->key;
        vals[n++] = k->lv[x->flevel[j]].value;
      }
    if (n == 0)
      continue;                 /* row 0: the stack as it is */
    stacks[row] = level_stack (c, keys, vals, n, "the factorial");
    if (stacks[row] == NULL) {
      x->failure = xasprintf ("the factorial's cell %zu: not a stack", row + 1);
      r = -1;
      goto out;
    }
  }
  for (size_t rep = 0; rep < x->freps && r == 0; rep++)
    for (size_t i = 0; i < x->frows && r == 0; i++) {
      size_t row = (i + rep * 3) % x->frows;
      char *sub = xasprintf ("factorial/cell%zu", row + 1);
      char *words = xasprintf ("factorial cell %zu", row + 1);
      struct explore_sample *s = &x->fcell[row * x->freps + rep];

      fprintf (stderr, "viperbench: %s: factorial replicate %zu: cell %zu\n",
               x->id, rep + 1, row + 1);
      r = run_one (c, stacks[row] ? stacks[row] : c->stack_path, sub, rep + 1,
                   words, s);
      if (r == 0) {
        c->runs_done++;
        x->fdone++;
      }
      free (sub);
      free (words);
    }
 out:
  for (size_t i = 0; i < 16; i++)
    free (stacks[i]);
  return r;
}

/* Phase 2: the rounds, the look, more rounds while the budget lasts,
 * the factorial; 0, -1 (a run failed) or -2 (interrupted).
 */
static int
explore_measure (struct explore_ctx *c, double t0)
{
  struct explore *x = &c->x;
  size_t total = x->repeat;
  size_t reserve = 0;           /* the factorial's runs */
  int r = 0;

  if (c->factorial && x->nknobs >= 3) {
    int signs[16 * EXPLORE_FACT_MAX];
    size_t k = x->nknobs < EXPLORE_FACT_MAX ? x->nknobs : EXPLORE_FACT_MAX;

    reserve = explore_design (k, signs) * 2;
  }

  for (size_t round = 0; round < total && r == 0; round++) {
    double each = per_run (c, t0);

    /* Past the first look, a round only when the budget holds it and
     * the factorial after it.
     */
    if (round >= x->repeat &&
        mono_now () - t0 + each * (double) (round_size (x) + reserve) >
        x->budget_s) {
      explore_note (x, "more rounds stopped at %zu by the budget "
                    "(--budget-s %.0f)", round, x->budget_s);
      break;
    }
    r = round_run (c, round);
    if (r == 0) {
      c->runs_done += round_size (x);
      explore_write (x, "running");
    }
    if (r == 0 && round + 1 == x->repeat && x->max_repeat > x->repeat &&
        too_wide (x)) {
      fprintf (stderr, "viperbench: %s: an interval is wider than +-%.0f%% "
               "after %zu rounds; going on to %zu while the budget lasts\n",
               x->id, x->precision * 100, x->repeat, x->max_repeat);
      explore_note (x, "an interval was wider than +-%.0f%% after %zu "
                    "rounds: more, up to %zu", x->precision * 100, x->repeat,
                    x->max_repeat);
      total = x->max_repeat;
    }
  }
  if (r == 0 && mono_now () - t0 > x->budget_s)
    explore_note (x, "the first %zu rounds alone took %.0f s, past the "
                  "budget (--budget-s %.0f)", x->repeat, mono_now () - t0,
                  x->budget_s);
  if (r == 0 && factorial_plan (c)) {
    double need = per_run (c, t0) * (double) (x->frows * x->freps);

    if (mono_now () - t0 + need > x->budget_s) {
      explore_note (x, "no factorial: its %zu runs need about %.0f s, past "
                    "the budget (--budget-s %.0f)", x->frows * x->freps,
                    need, x->budget_s);
      x->fk = 0;
    }
    else {
      r = factorial_run (c);
      explore_write (x, "running");
    }
  }
  else if (r == 0 && x->nknobs < 3 && c->factorial)
    explore_note (x, "no factorial: it needs 3 knobs or more");
  return r;
}

static int
explore_options (struct explore_ctx *c, int argc, char **argv)
{
  struct cli cli = {
    "explore", "--stack FILE --scenario NAME\n"
    "                          [--knob KEY=V1,V2 ...] [OPTIONS]",
    "Ranks the stack's knobs by what each buys, measured: the stack as it\n"
    "is against each knob's levels, one at a time, in rounds of back-to-back\n"
    "runs (IOPS, read and write p99 and CPU per I/O of the layer, each\n"
    "change with its interval; Wilcoxon signed-rank on the pairs), then,\n"
    "with 3 knobs or more, a two-level factorial of the largest: do the\n"
    "two largest interact, and the best combination.  KEY is a path into\n"
    "the stack (nbdkit.threads, qemu.iothread, engine.conns,\n"
    "plugin_args.pool, probes, ...); without --knob, the knobs of the stage\n"
    "the layer's bottleneck verdict names.  The record is\n"
    "results/EXPLORE-N (explore.json, report.md, report.html).\n",
    explore_opts, false,
  };
  int opt;

  optind = 1;
  while ((opt = cli_next (&cli, argc, argv)) != -1) {
    char *end;
    double d;

    switch (opt) {
    case 'k': c->stack_path = optarg; break;
    case 's': c->scenario = optarg; break;
    case 'S': c->scen_dir = optarg; break;
    case 'L': c->x.layer = xstrdup (optarg); break;
    case 'K':
      c->knob_args = xreallocarray (c->knob_args, c->nknob_args + 1,
                                    sizeof *c->knob_args);
      c->knob_args[c->nknob_args++] = optarg;
      break;
    case 'n': case 'M': {
      unsigned long v;

      errno = 0;
      v = strtoul (optarg, &end, 10);
      if (*optarg < '0' || *optarg > '9' || *end || errno || v < 1 || v > 200) {
        vb_msg ("explore: --%s '%s': a number of rounds, 1 to 200",
                opt == 'n' ? "repeat" : "max-repeat", optarg);
        return -1;
      }
      if (opt == 'n')
        c->x.repeat = v;
      else
        c->x.max_repeat = v;
      break;
    }
    case 'P':
      d = strtod (optarg, &end);
      if (end == optarg || (*end && strcmp (end, "%") != 0) || !(d > 0 && d <= 100)) {
        vb_msg ("explore: --precision '%s': a percentage above 0, e.g. 10%%",
                optarg);
        return -1;
      }
      c->x.precision = d / 100;
      break;
    case 'B':
      d = strtod (optarg, &end);
      if (end == optarg || *end || !(d >= 1 && d <= 7 * 86400)) {
        vb_msg ("explore: --budget-s '%s': seconds, 1 to 604800", optarg);
        return -1;
      }
      c->x.budget_s = d;
      break;
    case 'F': c->factorial = false; break;
    case 'r': c->runtime = *optarg ? optarg : NULL; break;
    case 'z': c->size = *optarg ? optarg : NULL; break;
    case 'I': {
      enum pin_mode mode;

      if (*optarg && pin_parse (optarg, &mode) == -1) {
        vb_msg ("explore: --pin '%s': expected auto, on or off", optarg);
        return -1;
      }
      c->pin = *optarg ? optarg : NULL;
      break;
    }
    case 'o': c->results = optarg; break;
    case CLI_HELP: return 1;
    default: return -1;
    }
  }
  if (optind < argc) {
    vb_msg ("explore: unexpected argument '%s'", argv[optind]);
    return -1;
  }
  return 0;
}

/* Phase 1: what the options name, checked before anything runs: the
 * scenario, the stack, the layer, the knobs and their stacks; 0 or -1.
 */
static int
explore_inputs (struct explore_ctx *c)
{
  struct explore *x = &c->x;
  struct scenario sc;
  struct stack st;
  char *text, *dir;

  if (c->scenario == NULL || *c->scenario == '\0') {
    vb_msg ("explore: no scenario: give --scenario NAME");
    return -1;
  }
  if (c->stack_path == NULL || *c->stack_path == '\0') {
    vb_msg ("explore: no stack: give --stack FILE");
    return -1;
  }
  if (x->max_repeat == 0)
    x->max_repeat = 3 * x->repeat;
  if (x->max_repeat < x->repeat) {
    vb_msg ("explore: --max-repeat %zu is below --repeat %zu", x->max_repeat,
            x->repeat);
    return -1;
  }
  /* Two looks when there can be a second: they share alpha. */
  x->looks = x->max_repeat > x->repeat ? 2 : 1;
  x->alpha_look = x->alpha / x->looks;
  if (x->repeat < stats_n_min (x->alpha_look / 2, true)) {
    vb_msg ("explore: --repeat %zu: with so few rounds no change can be "
            "significant at %.3g (two-sided); use at least %zu", x->repeat,
            x->alpha_look, stats_n_min (x->alpha_look / 2, true));
    return -1;
  }
  if (scenario_load (c->scen_dir, c->scenario, &sc) == -1 ||
      scenario_override (&sc, c->runtime, c->size) == -1) {
    scenario_free (&sc);
    return -1;
  }
  c->run_bound = (sc.runtime > 0 ? sc.runtime + sc.ramp + 150 : 1800) * 2;
  scenario_free (&sc);
  memset (&st, 0, sizeof st);
  if (stack_load (c->stack_path, &st) == -1) {
    stack_free (&st);
    return -1;
  }
  if (x->layer == NULL)
    x->layer = xstrdup (st.layers[st.nlayers - 1]);
  if (strchr (x->layer, ',')) {
    vb_msg ("explore: --layers '%s': one layer at a time", x->layer);
    stack_free (&st);
    return -1;
  }
  if (target_find (x->layer) == NULL || !stack_has_layer (&st, x->layer)) {
    char names[256];

    target_list (names, sizeof names);
    vb_msg ("explore: --layers '%s' is not a layer of stack %s (its "
            "layers: see the stack's \"layers\"; known: %s)", x->layer,
            c->stack_path, names);
    stack_free (&st);
    return -1;
  }
  {
    char *name = xstrdup (target_find (x->layer)->name);

    free (x->layer);
    x->layer = name;
  }
  x->stack = xstrdup (c->stack_path);
  x->stack_name = xstrdup (st.name);
  utf8_scrub (x->stack);
  utf8_scrub (x->stack_name);
  stack_free (&st);
  /* The stack file as written: the levels change one key of it. */
  text = read_file (c->stack_path, NULL);
  c->raw = text ? cJSON_Parse (text) : NULL;
  free (text);
  if (!cJSON_IsObject (c->raw)) {
    vb_msg ("explore: stack %s: not a JSON object", c->stack_path);
    return -1;
  }
  c->priv = private_dir_make ();
  if (c->priv == NULL)
    return -1;
  for (size_t i = 0; i < c->nknob_args; i++) {
    const char *eq = strchr (c->knob_args[i], '=');
    char *key;
    int r;

    if (eq == NULL || eq == c->knob_args[i] || eq[1] == '\0') {
      vb_msg ("explore: --knob '%s': expected KEY=V1,V2 (e.g. "
              "nbdkit.threads=4,16)", c->knob_args[i]);
      return -1;
    }
    key = xstrdup (c->knob_args[i]);
    key[eq - c->knob_args[i]] = '\0';
    r = knob_add (c, key, eq + 1, "asked (--knob)");
    free (key);
    if (r == -1)
      return -1;
  }
  if (c->nknob_args)
    x->knobs_from = xstrdup ("--knob");
  dir = self_dir ();
  c->self = xasprintf ("%s/viperbench", dir ? dir : ".");
  free (dir);
  return 0;
}

/* Without --knob: one run of the stack as it is, and the knobs of what
 * limits it; 0, -1 or -2.
 */
static int
explore_scout (struct explore_ctx *c)
{
  struct explore_level scout = { 0 };
  struct explore_sample *s = sample_new (&scout);
  struct rm_verdict v = { .state = RM_VERDICT_ABSENT };
  char *sub = xstrdup ("scout");
  int r;

  fprintf (stderr, "viperbench: %s: one run of the stack as it is, for "
           "its bottleneck verdict\n", c->x.id);
  r = run_one (c, c->stack_path, sub, 1, "scout", s);
  free (sub);
  if (r == 0) {
    c->runs_done++;
    if (s->verdict && strcmp (s->verdict, "-") != 0) {
      v.state = strcmp (s->verdict, VERDICT_NONE) ? RM_VERDICT_SOME
                                                  : RM_VERDICT_NONE;
      v.summary = s->verdict;
    }
    r = knobs_from_verdict (c, &v) == -1 ? -3 : 0;
  }
  free (s->verdict);
  free (scout.s);
  return r;
}

static void
ctx_free (struct explore_ctx *c)
{
  if (c->priv) {
    rm_private (c->priv);
    free (c->priv);
  }
  cJSON_Delete (c->raw);
  free (c->roles);
  free (c->self);
  free (c->knob_args);
  explore_free (&c->x);
}

int
explore_main (int argc, char **argv)
{
  struct explore_ctx c = { .scen_dir = "scenarios", .results = "results",
                           .factorial = true };
  struct explore *x = &c.x;
  struct record claim;
  const char *status = "complete";
  char now[32];
  double t0;
  int r, code = 0;

  x->repeat = DEFAULT_REPEAT;
  x->precision = 0.10;
  x->budget_s = DEFAULT_BUDGET_S;
  x->alpha = 0.05;
  r = explore_options (&c, argc, argv);
  if (r != 0 || explore_inputs (&c) == -1) {
    ctx_free (&c);
    return r == 1 ? 0 : EXIT_BAD_INPUT;
  }
  proc_install_signals ();
  t0 = mono_now ();
  iso_now (now, sizeof now);
  x->started = xstrdup (now);
  x->scenario = xstrdup (c.scenario);
  if (record_claim (c.results, "EXPLORE-", &claim) == -1) {
    ctx_free (&c);
    return EXIT_BAD_INPUT;
  }
  x->id = claim.id;
  x->dir = claim.dir;
  reserve_make (x->dir);
  explore_write (x, "running");
  fprintf (stderr, "viperbench: %s: scenario %s, layer %s of stack %s\n",
           x->id, c.scenario, x->layer, c.stack_path);
  r = c.nknob_args ? 0 : explore_scout (&c);
  if (r == 0) {
    fprintf (stderr, "viperbench: %s: %zu knob%s, %zu runs a round, %zu "
             "rounds (up to %zu), budget %.0f s\n", x->id, x->nknobs,
             x->nknobs == 1 ? "" : "s", round_size (x), x->repeat,
             x->max_repeat, x->budget_s);
    r = explore_measure (&c, t0);
  }
  x->seconds = mono_now () - t0;
  if (r == -2) {
    status = "aborted";
    code = EXIT_INTERRUPTED;
    vb_msg ("%s: interrupted; the runs so far are in %s", x->id, x->dir);
  }
  else if (r == -3) {
    status = "failed";
    x->failure = xstrdup (vb_last_msg ());
    code = EXIT_BAD_INPUT;
  }
  else if (r != 0) {
    status = "failed";
    code = EXIT_RUN_FAILED;
    vb_msg ("%s: %s", x->id, x->failure ? x->failure : "failed");
  }
  /* Nothing the runs left is kept with a secret in it. */
  if (scrub_tree (x->dir) == -1 && code == 0) {
    status = "failed";
    x->failure = xasprintf ("scrubbing secrets from %s: %s", x->dir,
                            vb_last_msg ());
    code = EXIT_RUN_FAILED;
  }
  reserve_release (x->dir);
  if (explore_write (x, status) == -1 && code == 0)
    code = EXIT_RUN_FAILED;
  else if (code == 0) {
    char *p = xasprintf ("%s/report.md", x->dir), *md = read_file (p, NULL);

    if (md)
      fputs (md, stdout);
    fprintf (stderr, "viperbench: %s: %s/report.md, %s/report.html\n", x->id,
             x->dir, x->dir);
    free (md);
    free (p);
  }
  ctx_free (&c);
  return code;
}
