/* flame.c: flame graphs' data from perf.folded (the perf collector's
 * "role;outermost;...;leaf count" lines): a tree of frames per process,
 * as d3-flame-graph reads it ({"n": name, "v": value, "c": [children]}),
 * and the differential tree of two sides, in CPU microseconds per I/O.
 *
 * Two sides (A, B) share one tree; each frame keeps its self samples per
 * side.  Several records of one side add up.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Deeper frames of a stack fold into its FLAME_MAX_DEPTH-th (perf's own
 * limit is 127): a hostile file cannot make the recursion deep.
 */
#define FLAME_MAX_DEPTH 512

struct fnode {
  char *name;
  double self[2];               /* samples, per side */
  double incl[2];               /* filled by sum() */
  struct fnode **kid;
  size_t nkid, cap;
};

struct flame {
  struct fnode root;            /* its children: the processes (roles) */
  bool summed;                  /* incl[] are up to date */
};

struct flame *
flame_new (void)
{
  return xcalloc (1, sizeof (struct flame));
}

static void
node_free (struct fnode *n)
{
  for (size_t i = 0; i < n->nkid; i++) {
    node_free (n->kid[i]);
    free (n->kid[i]);
  }
  free (n->kid);
  free (n->name);
}

void
flame_free (struct flame *fl)
{
  if (fl) {
    node_free (&fl->root);
    free (fl);
  }
}

/* N's child named NAME (LEN bytes), made when absent. */
static struct fnode *
child (struct fnode *n, const char *name, size_t len)
{
  struct fnode *k;

  for (size_t i = 0; i < n->nkid; i++)
    if (strncmp (n->kid[i]->name, name, len) == 0 &&
        n->kid[i]->name[len] == '\0')
      return n->kid[i];
  if (n->nkid == n->cap) {
    n->cap = n->cap ? 2 * n->cap : 4;
    n->kid = xreallocarray (n->kid, n->cap, sizeof *n->kid);
  }
  k = xcalloc (1, sizeof *k);
  k->name = xasprintf ("%.*s", (int) len, name);
  n->kid[n->nkid++] = k;
  return k;
}

int
flame_add (struct flame *fl, int side, const char *path)
{
  FILE *f = fopen (path, "re");
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  char *s;

  if (f == NULL)
    return -1;
  while ((n = getline (&line, &cap, f)) > 0) {
    char *sp, *end;
    double count;
    struct fnode *at = &fl->root;

    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
      line[--n] = '\0';
    sp = strrchr (line, ' ');
    if (sp == NULL || sp == line)
      continue;
    count = strtod (sp + 1, &end);
    if (*end != '\0' || !(count > 0) || !isfinite (count))
      continue;
    *sp = '\0';
    s = line;
    for (size_t depth = 0; depth < FLAME_MAX_DEPTH; depth++) {
      char *semi = strchr (s, ';');
      size_t len = semi ? (size_t) (semi - s) : strlen (s);

      at = child (at, s, len);
      if (semi == NULL)
        break;
      s = semi + 1;
    }
    at->self[side] += count;
  }
  fl->summed = false;
  free (line);
  fclose (f);
  return 0;
}

static void
sum (struct fnode *n)
{
  n->incl[0] = n->self[0];
  n->incl[1] = n->self[1];
  for (size_t i = 0; i < n->nkid; i++) {
    sum (n->kid[i]);
    n->incl[0] += n->kid[i]->incl[0];
    n->incl[1] += n->kid[i]->incl[1];
  }
}

/* ROLE's process frame, its inclusive counts up to date. */
static struct fnode *
role_node (struct flame *fl, const char *role)
{
  if (!fl->summed) {
    sum (&fl->root);
    fl->summed = true;
  }
  for (size_t i = 0; i < fl->root.nkid; i++)
    if (strcmp (fl->root.kid[i]->name, role) == 0)
      return fl->root.kid[i];
  return NULL;
}

size_t
flame_roles (const struct flame *fl, const char **out, size_t max)
{
  size_t n = 0;

  for (size_t i = 0; i < fl->root.nkid && n < max; i++)
    out[n++] = fl->root.kid[i]->name;
  return n;
}

double
flame_samples (struct flame *fl, int side, const char *role)
{
  struct fnode *r = role_node (fl, role);

  return r ? r->incl[side] : 0;
}

/* The JSON of N: with DIFF, every frame either side has ("v": B's self
 * in SCALE units, "d": B's minus A's); else SIDE's frames, "v" its self
 * samples times SCALE[SIDE].  *FRAMES counts them.
 */
static cJSON *
node_json (const struct fnode *n, int side, bool diff, const double *scale,
           size_t *frames)
{
  cJSON *o = cJSON_CreateObject (), *c = NULL;

  cJSON_AddStringToObject (o, "n", n->name);
  if (diff) {
    double b = n->self[1] * scale[1], a = n->self[0] * scale[0];

    cJSON_AddNumberToObject (o, "v", b);
    cJSON_AddNumberToObject (o, "d", b - a);
  }
  else
    cJSON_AddNumberToObject (o, "v", n->self[side] * scale[side]);
  (*frames)++;
  for (size_t i = 0; i < n->nkid; i++) {
    const struct fnode *k = n->kid[i];

    if (!diff && !(k->incl[side] > 0))
      continue;
    if (c == NULL)
      c = cJSON_AddArrayToObject (o, "c");
    cJSON_AddItemToArray (c, node_json (k, side, diff, scale, frames));
  }
  return o;
}

cJSON *
flame_tree (struct flame *fl, int side, const char *role, double scale,
            size_t *frames)
{
  struct fnode *r = role_node (fl, role);
  double sc[2] = { scale, scale };

  *frames = 0;
  if (r == NULL || !(r->incl[side] > 0))
    return NULL;
  return node_json (r, side, false, sc, frames);
}

cJSON *
flame_diff (struct flame *fl, const char *role, double scale_a,
            double scale_b, size_t *frames)
{
  struct fnode *r = role_node (fl, role);
  double sc[2] = { scale_a, scale_b };

  *frames = 0;
  if (r == NULL || !(r->incl[0] > 0) || !(r->incl[1] > 0))
    return NULL;
  return node_json (r, 0, true, sc, frames);
}

/* Appends N's and its descendants' self values (scaled) to SYMS, one
 * entry per frame; merged by name afterwards.
 */
static void
collect (const struct fnode *n, const double *scale, struct flame_sym **syms,
         size_t *nsyms, size_t *cap)
{
  if (*nsyms == *cap) {
    *cap = *cap ? 2 * *cap : 256;
    *syms = xreallocarray (*syms, *cap, sizeof **syms);
  }
  (*syms)[(*nsyms)++] = (struct flame_sym) {
    .name = n->name, .a = n->self[0] * scale[0], .b = n->self[1] * scale[1],
  };
  for (size_t k = 0; k < n->nkid; k++)
    collect (n->kid[k], scale, syms, nsyms, cap);
}

static int
by_name (const void *x, const void *y)
{
  return strcmp (((const struct flame_sym *) x)->name,
                 ((const struct flame_sym *) y)->name);
}

static int
by_change (const void *x, const void *y)
{
  const struct flame_sym *p = x, *q = y;
  double dp = fabs (p->b - p->a), dq = fabs (q->b - q->a);

  return dp < dq ? 1 : dp > dq ? -1 : strcmp (p->name, q->name);
}

size_t
flame_changes (struct flame *fl, const char *role, double scale_a,
               double scale_b, struct flame_sym **out)
{
  struct fnode *r = role_node (fl, role);
  double sc[2] = { scale_a, scale_b };
  struct flame_sym *syms = NULL;
  size_t n = 0, cap = 0;

  *out = NULL;
  if (r == NULL)
    return 0;
  /* The process's own frame is not a symbol: start below it. */
  for (size_t k = 0; k < r->nkid; k++)
    collect (r->kid[k], sc, &syms, &n, &cap);
  if (n) {
    size_t m = 0;

    qsort (syms, n, sizeof *syms, by_name);
    for (size_t i = 0; i < n; i++)
      if (m && strcmp (syms[m - 1].name, syms[i].name) == 0) {
        syms[m - 1].a += syms[i].a;
        syms[m - 1].b += syms[i].b;
      }
      else
        syms[m++] = syms[i];
    n = m;
    qsort (syms, n, sizeof *syms, by_change);
  }
  *out = syms;
  return n;
}

/* The mean CPU microseconds per I/O of process ROLE in layer LAYER over
 * R's records (the cpu collector's), NAN when none has it.
 */
static double
cpu_us (const struct records *r, const char *layer, const char *role)
{
  /* A record's layer holds at most COLL_ROLES_MAX processes. */
  size_t max = r->n * COLL_ROLES_MAX;
  double *v = xmalloc ((max ? max : 1) * sizeof *v), sum = 0;
  size_t n = records_cpu_us (r, layer, role, v, max);

  for (size_t i = 0; i < n; i++)
    sum += v[i];
  free (v);
  return n ? sum / n : NAN;
}

static int
by_change_top (const void *x, const void *y)
{
  const struct flame_change *p = x, *q = y;
  double dp = fabs (p->b - p->a), dq = fabs (q->b - q->a);

  return dp < dq ? 1 : dp > dq ? -1 : 0;
}

void
flame_diffs_make (const struct records *ra, const struct records *rb,
                  struct flame_diffs *d)
{
  const struct rm_run *b;

  memset (d, 0, sizeof *d);
  if (ra->n == 0 || rb->n == 0)
    return;
  b = &rb->run[rb->n - 1];
  for (size_t ti = 0; ti < b->ntargets; ti++) {
    const char *layer = b->targets[ti].name;
    struct flame *fl;
    const char *roles[COLL_ROLES_MAX];
    size_t nroles, found[2] = { 0, 0 };

    if (!plain_name (layer) || rm_target_named (&ra->run[0], layer) == NULL)
      continue;
    fl = flame_new ();
    for (int side = 0; side < 2; side++) {
      const struct records *r = side ? rb : ra;

      for (size_t k = 0; k < r->n; k++) {
        char *p = xasprintf ("%s/%s/perf.folded", r->dir[k], layer);

        if (flame_add (fl, side, p) == 0)
          found[side]++;
        free (p);
      }
    }
    nroles = found[0] && found[1]
      ? flame_roles (fl, roles, COLL_ROLES_MAX) : 0;
    for (size_t i = 0; i < nroles; i++) {
      double us[2] = { cpu_us (ra, layer, roles[i]), cpu_us (rb, layer, roles[i]) };
      double smp[2] = { flame_samples (fl, 0, roles[i]),
                        flame_samples (fl, 1, roles[i]) };
      struct flame_sym *syms;
      struct flame_graph *g;
      size_t nsyms, frames;
      cJSON *tree;

      if (!isfinite (us[0]) || !isfinite (us[1]) || !(smp[0] > 0) ||
          !(smp[1] > 0))
        continue;
      tree = flame_diff (fl, roles[i], us[0] / smp[0], us[1] / smp[1], &frames);
      if (tree == NULL)
        continue;
      d->g = xreallocarray (d->g, d->n + 1, sizeof *d->g);
      g = &d->g[d->n++];
      *g = (struct flame_graph) {
        .layer = xstrdup (layer), .role = xstrdup (roles[i]), .tree = tree,
        .frames = frames, .us = { us[0], us[1] },
        .samples = { smp[0], smp[1] },
      };
      nsyms = flame_changes (fl, roles[i], us[0] / smp[0], us[1] / smp[1], &syms);
      for (size_t k = 0; k < nsyms && k < FLAME_TOP; k++) {
        d->top = xreallocarray (d->top, d->ntop + 1, sizeof *d->top);
        d->top[d->ntop++] = (struct flame_change) {
          .layer = xstrdup (layer), .role = xstrdup (roles[i]),
          .symbol = xstrdup (syms[k].name), .a = syms[k].a, .b = syms[k].b,
        };
      }
      free (syms);
    }
    flame_free (fl);
  }
  if (d->ntop)
    qsort (d->top, d->ntop, sizeof *d->top, by_change_top);
  if (d->ntop > FLAME_TOP) {
    for (size_t k = FLAME_TOP; k < d->ntop; k++) {
      free (d->top[k].layer);
      free (d->top[k].role);
      free (d->top[k].symbol);
    }
    d->ntop = FLAME_TOP;
  }
}

void
flame_diffs_doc (struct doc *doc, const struct flame_diffs *d)
{
  doc_para (doc);
  if (d->ntop == 0) {
    doc_text (doc, "(no change in CPU per I/O by symbol: both sides need "
              "the perf and cpu collectors' figures)");
    return;
  }
  doc_text (doc, "Each symbol's own CPU time per I/O (its self share of the "
            "process's samples times the process's CPU microseconds per "
            "I/O), A and B: a symbol whose share fell while the process "
            "got dearer per I/O may still have grown.");
  doc_table (doc, "lllrrr");
  doc_cells (doc, (const char *const[]) { "layer", "process", "symbol",
                 "A us/IO", "B us/IO", "change", NULL });
  for (size_t k = 0; k < d->ntop; k++) {
    const struct flame_change *c = &d->top[k];

    doc_cell (doc);
    doc_text (doc, "%s", c->layer);
    doc_cell (doc);
    doc_code_data (doc, c->role);
    doc_cell (doc);
    doc_code_data (doc, c->symbol);
    doc_cell (doc);
    doc_text (doc, "%.2f", c->a);
    doc_cell (doc);
    doc_text (doc, "%.2f", c->b);
    doc_cell (doc);
    doc_text (doc, "%+.2f", c->b - c->a);
  }
}

void
flame_diffs_html (FILE *f, struct flame_diffs *d, cJSON *graphs)
{
  if (d->n == 0) {
    fputs ("<p>(no differential flame graph: both sides need perf.folded "
           "and the cpu collector's CPU per I/O for a layer)</p>\n", f);
    return;
  }
  html_flame_bar (f, "Frames: B's stacks, widths B's CPU microseconds per "
                  "I/O; red grew from A, blue shrank (the deeper the colour, "
                  "the larger the change against the frame's own cost), orange new in B.  "
                  "Click to zoom.");
  for (size_t i = 0; i < d->n; i++) {
    struct flame_graph *g = &d->g[i];
    char *title = xasprintf ("%s / %s: A %.2f -> B %.2f us CPU per I/O (%+.1f%%)",
                             g->layer, g->role, g->us[0], g->us[1],
                             g->us[0] > 0 ? 100 * (g->us[1] / g->us[0] - 1) : NAN);
    char *meta = xasprintf ("%.0f samples in A, %.0f in B, %zu frames ",
                            g->samples[0], g->samples[1], g->frames);

    html_flame (f, graphs, title, meta, cJSON_Duplicate (g->tree, true),
                "diff", "us/IO", g->frames);
    free (title);
    free (meta);
  }
}

void
flame_diffs_free (struct flame_diffs *d)
{
  for (size_t i = 0; i < d->n; i++) {
    free (d->g[i].layer);
    free (d->g[i].role);
    cJSON_Delete (d->g[i].tree);
  }
  for (size_t k = 0; k < d->ntop; k++) {
    free (d->top[k].layer);
    free (d->top[k].role);
    free (d->top[k].symbol);
  }
  free (d->g);
  free (d->top);
  memset (d, 0, sizeof *d);
}
