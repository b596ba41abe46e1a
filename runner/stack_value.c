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

/* The 1-based line of the first "KEY" in TEXT, or 0. */
static int
line_of (const char *text, const char *key)
{
  char *pat = xasprintf ("\"%s\"", key);
  const char *hit = text ? strstr (text, pat) : NULL;
  int line = 1;

  free (pat);
  if (hit == NULL)
    return 0;
  for (const char *p = text; p < hit; p++)
    line += *p == '\n';
  return line;
}

/* Reports a bad KEY: file, line, key, then the reason. */
void
stack_bad (const struct stack *st, const char *key, const char *fmt, ...)
{
  char why[512];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (why, sizeof why, fmt, ap);
  va_end (ap);
  vb_msg ("%s:%d: key '%s': %s", st->path, line_of (st->text, key), key, why);
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
    stack_bad (st, key, "expected a whole number from %u to %u", min, max);
    return -1;
  }
  *out = (unsigned) v->valuedouble;
  return 0;
}

/* A target's own settings, found by the target itself (no table). */
void *
stack_conf (const struct stack *st, const struct target *t)
{
  for (size_t i = 0; i < MAX_TARGETS; i++)
    if (st->conf[i].t == t)
      return st->conf[i].conf;
  return NULL;
}
