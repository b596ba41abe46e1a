/* stack_value.c: reading a stack's values, for the stack parser and for
 * the targets' own keys: errors that name file, line and key, numbers
 * within bounds, a target's settings.  Uses common/ only, so that the
 * targets need not call back into the parser that calls them.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The keys from ROOT down to the object OBJ, into PATH (at most MAX);
 * the depth, or -1 when OBJ is not under ROOT.
 */
static int
path_of (const cJSON *root, const cJSON *obj, const char **path, int max)
{
  if (root == obj)
    return 0;
  if (max == 0)
    return -1;
  for (const cJSON *c = root ? root->child : NULL; c; c = c->next) {
    int d = path_of (c, obj, path + 1, max - 1);

    if (d >= 0) {
      path[0] = c->string ? c->string : "";
      return d + 1;
    }
  }
  return -1;
}

/* The 1-based line of KEY as a key of the object at PATH (DEPTH keys
 * from the top) in the JSON TEXT, or 0: a small scanner of strings and
 * nesting, so that a key of the same name elsewhere (or a value that
 * reads like it) is not taken for it.
 */
static int
line_of (const char *text, const char *const *path, int depth, const char *key)
{
  const char *stack[32];        /* the key of each open object or array */
  bool is_obj[32];
  const char *last = NULL;      /* the last string, when a ':' may follow */
  size_t last_len = 0;
  int level = -1, line = 1, key_line = 1;

  for (const char *p = text; p && *p; p++) {
    switch (*p) {
    case '\n': line++; break;
    case '"': {
      const char *q = p + 1;

      while (*q && *q != '"') {
        if (*q == '\\' && q[1]) q++;
        else if (*q == '\n') line++;
        q++;
      }
      last = p + 1;
      last_len = (size_t) (q - p - 1);
      key_line = line;
      if (*q == '\0')
        return 0;
      p = q;
      continue;
    }
    case ':':
      if (level >= 0 && level < 32 && is_obj[level] && last) {
        stack[level] = last;
        if (level == depth && strlen (key) == last_len &&
            strncmp (last, key, last_len) == 0) {
          bool same = true;

          for (int i = 0; i < depth && same; i++)
            same = strlen (path[i]) == strcspn (stack[i], "\"") &&
                   strncmp (stack[i], path[i], strlen (path[i])) == 0;
          if (same)
            return key_line;
        }
      }
      break;
    case '{': case '[':
      if (++level < 32) {
        is_obj[level] = *p == '{';
        stack[level] = "";
      }
      break;
    case '}': case ']':
      level--;
      break;
    case ',':
      break;
    default:
      continue;
    }
    last = NULL;
  }
  return 0;
}

/* Reports a bad KEY of OBJ (NULL: the top): file, line, key, then the
 * reason.
 */
void
stack_bad (const struct stack *st, const cJSON *obj, const char *key,
           const char *fmt, ...)
{
  const char *path[32];
  int depth = obj ? path_of (st->json, obj, path, 32) : 0;
  char why[512];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (why, sizeof why, fmt, ap);
  va_end (ap);
  vb_msg ("%s:%d: key '%s': %s", st->path,
          depth >= 0 ? line_of (st->text, path, depth, key) : 0, key, why);
}

int
stack_get_uint (const struct stack *st, const cJSON *obj, const char *key,
                unsigned min, unsigned max, unsigned *out)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (obj, key);

  if (v == NULL)
    return 0;
  /* The range first: converting what does not fit is undefined. */
  if (!cJSON_IsNumber (v) || !(v->valuedouble >= min && v->valuedouble <= max) ||
      v->valuedouble != floor (v->valuedouble)) {
    stack_bad (st, obj, key, "expected a whole number from %u to %u", min, max);
    return -1;
  }
  *out = (unsigned) v->valuedouble;
  return 0;
}

/* A target's own settings, found by the target itself (no table). */
void *
stack_conf (const struct stack *st, const struct target *t)
{
  for (size_t i = 0; i < st->nconf; i++)
    if (st->conf[i].t == t)
      return st->conf[i].conf;
  return NULL;
}

/* Replaces ${dir}, ${size} and ${build} in S; malloc'd. */
char *
stack_expand_vars (const char *s, const char *dir, const char *size)
{
  static char *build;
  const char *vars[][2] = { { "${dir}", dir }, { "${size}", size },
                            { "${build}", NULL } };
  char *out = NULL;
  size_t len = 0;
  FILE *f;

  if (strstr (s, "${build}")) {
    if (build == NULL)
      build = companion_dir ();
    vars[2][1] = build;
  }
  /* One pass, left to right: a value is put in as it is and never read
   * again (a size of "1G${size}" must not expand for ever).
   */
  f = xopen_memstream (&out, &len);
  for (const char *p = s; *p;) {
    size_t v;

    for (v = 0; v < 3; v++)
      if (vars[v][1] && strncmp (p, vars[v][0], strlen (vars[v][0])) == 0)
        break;
    if (v < 3) {
      fputs (vars[v][1], f);
      p += strlen (vars[v][0]);
    }
    else
      fputc (*p++, f);
  }
  xclose_memstream (f);
  return out;
}

char *
stack_expand (const struct stack *st, const char *s)
{
  return stack_expand_vars (s, st->dir, cJSON_GetStringValue (
                   cJSON_GetObjectItemCaseSensitive (st->json, "size")));
}

/* Unknown or duplicate keys of OBJ; see internal.h. */
int
stack_check_keys (const struct stack *st, const cJSON *obj,
                  const char *const *keys, size_t n, const char *where,
                  bool (*also) (const char *key))
{
  for (const cJSON *c = obj->child; c; c = c->next) {
    size_t i;

    for (const cJSON *d = c->next; d; d = d->next)
      if (strcmp (c->string, d->string) == 0) {
        stack_bad (st, obj, c->string, "duplicate key%s%s", where ? " in " : "",
                   where ? where : "");
        return -1;
      }
    for (i = 0; i < n && strcmp (c->string, keys[i]) != 0; i++)
      ;
    if (i == n && !(also && also (c->string))) {
      stack_bad (st, obj, c->string, "unknown key%s%s", where ? " in " : "",
                 where ? where : "");
      return -1;
    }
  }
  return 0;
}

void
strv_free (char **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (v[i]);
  free (v);
}

/* True for a value the stack marks secret: {"value": V, "secret": true}. */
bool
stack_marked_secret (const cJSON *v)
{
  const cJSON *val = cJSON_GetObjectItemCaseSensitive (v, "value");

  return cJSON_IsObject (v) &&
    cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (v, "secret")) &&
    (cJSON_IsString (val) || cJSON_IsNumber (val)) &&
    cJSON_GetArraySize (v) == 2;
}
