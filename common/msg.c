/* msg.c: messages, and allocation with one out-of-memory policy: print
 * one message and abort (every command, every layer).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static char last_msg[2048];
/* Set by the scrubber (scrub.c) once it knows a secret: msg.c stays
 * below it.
 */
static char *(*msg_filter) (const char *);

void
vb_msg_filter (char *(*filter) (const char *))
{
  msg_filter = filter;
}

static void
out_of_memory (void)
{
  fputs ("viperbench: out of memory\n", stderr);
  abort ();
}

/* Prints "viperbench: MSG" on stderr and keeps it for vb_last_msg. */
void
vb_msg (const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (last_msg, sizeof last_msg, fmt, ap);
  va_end (ap);
  /* A message quoting a log or an argument says no secret either. */
  if (msg_filter) {
    char *s = msg_filter (last_msg);

    if (s) {
      snprintf (last_msg, sizeof last_msg, "%s", s);
      free (s);
    }
  }
  fprintf (stderr, "viperbench: %s\n", last_msg);
}

/* Prints "viperbench: warning: MSG" on stderr. */
void
vb_warn (const char *fmt, ...)
{
  va_list ap;

  char buf[2048], *s;

  va_start (ap, fmt);
  vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  s = msg_filter ? msg_filter (buf) : NULL;
  fprintf (stderr, "viperbench: warning: %s\n", s ? s : buf);
  free (s);
}

/* The last message vb_msg printed. */
const char *
vb_last_msg (void)
{
  return last_msg;
}

static void *
cjson_malloc (size_t n)
{
  return xmalloc (n);
}

/* cJSON allocates through xmalloc: a record, a report or a collector's
 * figures are never cut short in silence by an item cJSON could not
 * allocate (its Create and Add functions return NULL, or do nothing).
 */
void
xcjson_hooks (void)
{
  cJSON_Hooks hooks = { .malloc_fn = cjson_malloc, .free_fn = free };

  cJSON_InitHooks (&hooks);
}

/* open_memstream that never returns NULL: out of memory is reported
 * like any other allocation.
 */
FILE *
xopen_memstream (char **buf, size_t *len)
{
  FILE *f = open_memstream (buf, len);

  if (f == NULL)
    out_of_memory ();
  return f;
}

/* Closes a memory stream; a write to it that failed (the buffer could
 * not grow) is out of memory.
 */
void
xclose_memstream (FILE *f)
{
  if (fclose (f) != 0)
    out_of_memory ();
}

void *
xmalloc (size_t n)
{
  void *p = malloc (n ? n : 1);

  if (p == NULL)
    out_of_memory ();
  return p;
}

void *
xcalloc (size_t n, size_t size)
{
  void *p = calloc (n ? n : 1, size ? size : 1);

  if (p == NULL)
    out_of_memory ();
  return p;
}

void *
xrealloc (void *p, size_t n)
{
  void *q = realloc (p, n ? n : 1);

  if (q == NULL)
    out_of_memory ();
  return q;
}

void *
xreallocarray (void *p, size_t n, size_t size)
{
  if (size && n > (size_t) -1 / size)
    out_of_memory ();
  return xrealloc (p, n * size);
}

char *
xvasprintf (const char *fmt, va_list ap)
{
  char *s;

  if (vasprintf (&s, fmt, ap) == -1)
    out_of_memory ();
  return s;
}

char *
xasprintf (const char *fmt, ...)
{
  va_list ap;
  char *s;
  int r;

  va_start (ap, fmt);
  r = vasprintf (&s, fmt, ap);
  va_end (ap);
  if (r == -1)
    out_of_memory ();
  return s;
}

char *
xstrdup (const char *s)
{
  char *r = strdup (s);

  if (r == NULL)
    out_of_memory ();
  return r;
}
