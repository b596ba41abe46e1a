/* error.c: per-thread error text, warnings and the clock for the engine. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "internal.h"

static __thread char last_error[1024];

/* Sets this thread's error message (printf-style). */
void
vb_error (const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (last_error, sizeof last_error, fmt, ap);
  va_end (ap);
}

/* This thread's last error message, never NULL. */
const char *
vb_get_error (void)
{
  return last_error[0] ? last_error : "unknown error";
}

/* Prints a warning line "viper: ..." on stderr. */
void
vb_warn (const char *fmt, ...)
{
  char line[1024];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (line, sizeof line, fmt, ap);
  va_end (ap);
  /* One write, so lines from several jobs do not interleave. */
  fprintf (stderr, "viper: warning: %s\n", line);
}

/* Nanoseconds of CLOCK_MONOTONIC. */
uint64_t
vb_now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}
