/* progress.c: a line per layer on a terminal while fio runs: seconds of
 * the window so far and fio's own IOPS from its status output (fio
 * --eta=always --eta-newline=1 writes it to its stdout, a file of the
 * run's private directory).  Silent when stderr is not a terminal: a
 * log or CI gets nothing it would have to strip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

bool
progress_wanted (void)
{
  return isatty (2) == 1;
}

void
progress_begin (struct progress *p, struct run *run, struct layer *l,
                bool fio_status)
{
  memset (p, 0, sizeof *p);
  if (!progress_wanted ())
    return;
  p->on = true;
  p->name = l->t->name;
  p->total = run->sc->runtime + (run->sc->ramp > 0 ? run->sc->ramp : 0);
  p->t0 = mono_now ();
  p->next = p->t0 + 1;
  if (fio_status)
    p->status = xasprintf ("%s/%s.fio-status", run->private_dir, l->t->name);
}

/* The last "[r=..,w=.. IOPS]" of fio's status file, into BUF. */
static void
last_iops (const char *path, char *buf, size_t n)
{
  char tail[4096], *at, *end;
  FILE *f = fopen (path, "r");
  long size;
  size_t len;

  buf[0] = '\0';
  if (f == NULL)
    return;
  fseek (f, 0, SEEK_END);
  size = ftell (f);
  fseek (f, size > (long) sizeof tail - 1 ? size - (long) sizeof tail + 1 : 0,
         SEEK_SET);
  len = fread (tail, 1, sizeof tail - 1, f);
  fclose (f);
  tail[len] = '\0';
  /* fio: "...][r=38.7k,w=16.6k IOPS][eta 00m:07s]" */
  for (at = tail; (end = strstr (at, " IOPS]")) != NULL; at = end + 1) {
    char *open = end;

    while (open > tail && open[-1] != '[')
      open--;
    if (open > tail && (size_t) (end - open) < n) {
      memcpy (buf, open, (size_t) (end - open));
      buf[end - open] = '\0';
    }
  }
  /* Only what a terminal shows plainly. */
  for (char *c = buf; *c; c++)
    if ((unsigned char) *c < 0x20 || (unsigned char) *c == 0x7f)
      *c = '?';
}

void
progress_tick (struct progress *p)
{
  double now;
  char iops[64] = "", line[256];
  int k;

  if (!p->on || (now = mono_now ()) < p->next)
    return;
  p->next = now + 1;
  if (p->status)
    last_iops (p->status, iops, sizeof iops);
  k = snprintf (line, sizeof line, "  %s: %.0f", p->name, now - p->t0);
  if (p->total > 0)
    k += snprintf (line + k, sizeof line - (size_t) k, " of %.0f", p->total);
  snprintf (line + k, sizeof line - (size_t) k, " s%s%s%s", *iops ? ", " : "",
            iops, *iops ? " IOPS" : "");
  fprintf (stderr, "\r\033[K%s", line);
  fflush (stderr);
  p->shown = true;
}

void
progress_end (struct progress *p)
{
  if (p->shown)
    fputs ("\r\033[K", stderr);
  if (p->status)
    unlink (p->status);
  free (p->status);
  memset (p, 0, sizeof *p);
}
