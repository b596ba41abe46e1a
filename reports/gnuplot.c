/* gnuplot.c: text that goes into gnuplot scripts and data files, and
 * running gnuplot.  gnuplot runs shell commands (system, backquotes,
 * load "<cmd"), so no text from a record, a scenario or the command line
 * reaches a script except through gp_string: a quoted literal of a
 * small set of characters (others become '?'), which no quote,
 * backquote, macro (@) or newline can leave.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

#include "internal.h"

/* The characters that reach gnuplot as they are. */
static bool
gp_safe (unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || (c != '\0' && strchr (" _.,:+-()%", c));
}

void
gp_string (FILE *f, const char *s, char quote)
{
  fputc (quote, f);
  for (; s && *s; s++)
    fputc (gp_safe ((unsigned char) *s) ? *s : '?', f);
  fputc (quote, f);
}

int
gp_run (const char *dir, const char *script)
{
  const char *argv[] = { "gnuplot", script, NULL };
  char *log = xasprintf ("%s/gnuplot.log", dir);
  struct spawn_opts o = { .cwd = dir, .log_path = log };
  pid_t pid = proc_spawn (argv, &o);
  int status, r;

  r = pid > 0 && proc_wait (pid, 60, &status) == 0 && WIFEXITED (status) &&
      WEXITSTATUS (status) == 0 ? 0 : -1;
  if (r == -1 && pid > 0)
    proc_kill (pid, 1);
  if (r == -1) {
    struct statvfs sv;

    vb_msg ("gnuplot failed on %s/%s (see %s)", dir, script, log);
    /* A chart that could not be written for want of space is a write
     * error of the record (no gnuplot at all is not).
     */
    if (statvfs (dir, &sv) == 0 && sv.f_bavail * sv.f_frsize < (1 << 20))
      note_write_error (dir, ENOSPC);
  }
  free (log);
  return r;
}
