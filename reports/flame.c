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

static struct fnode *
role_node (struct flame *fl, const char *role)
{
  for (size_t i = 0; i < fl->root.nkid; i++)
    if (strcmp (fl->root.kid[i]->name, role) == 0) {
      sum (fl->root.kid[i]);
      return fl->root.kid[i];
    }
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
