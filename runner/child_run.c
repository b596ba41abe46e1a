/* child_run.c: one `viperbench run` as a child process, for the commands
 * that repeat runs (gate, explore): a server that dies or hangs is the
 * run's business and its record says so; what the caller gets is the
 * complete record, or why there is none.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "internal.h"

/* The last "viperbench: " line of a run's log, for the failure message. */
static char *
last_message (const char *log)
{
  char *text = read_file (log, NULL), *save = NULL, *last = NULL, *r;

  for (char *p = text ? strtok_r (text, "\n", &save) : NULL; p;
       p = strtok_r (NULL, "\n", &save))
    if (strncmp (p, "viperbench: ", 12) == 0 && !strstr (p, "failed; see"))
      last = p + 12;
  r = xstrdup (last ? last : "no message");
  free (text);
  return r;
}

/* Runs C; see internal.h. */
int
child_run (const struct child_run *c, cJSON **doc, char **failure)
{
  char *log = xasprintf ("%s/run-%zu.log", c->dir, c->num);
  char *rec = xasprintf ("%s/R-%zu", c->dir, c->num);
  const char *argv[32];
  size_t k = 0;
  struct spawn_opts o = { .log_path = log };
  int status = 0, w, r = 0;
  pid_t pid;

  *doc = NULL;
  *failure = NULL;
  argv[k++] = c->self;
  argv[k++] = "run";
  argv[k++] = "--scenario"; argv[k++] = c->scenario;
  argv[k++] = "--scenarios"; argv[k++] = c->scen_dir;
  argv[k++] = "--stack"; argv[k++] = c->stack;
  argv[k++] = "--results"; argv[k++] = c->dir;
  argv[k++] = "--prefix"; argv[k++] = "R-";
  argv[k++] = "--layers"; argv[k++] = c->layers;
  argv[k++] = "--collect"; argv[k++] = c->collect;
  argv[k++] = "--desc"; argv[k++] = c->desc;
  argv[k++] = "--no-report";
  if (c->runtime) { argv[k++] = "--runtime"; argv[k++] = c->runtime; }
  if (c->pin) { argv[k++] = "--pin"; argv[k++] = c->pin; }
  if (c->size) { argv[k++] = "--size"; argv[k++] = c->size; }
  argv[k] = NULL;

  if (mkdir_p (c->dir, 0755) == -1) {
    *failure = xasprintf ("mkdir %s: %s", c->dir, strerror (errno));
    r = -1;
    goto out;
  }
  pid = proc_spawn (argv, &o);
  if (pid == -1) {
    *failure = xasprintf ("could not start %s", c->self);
    r = -1;
    goto out;
  }
  w = proc_wait (pid, c->bound, &status);
  if (w != 0) {
    /* SIGTERM first: the run stops its servers and marks its record. */
    proc_kill (pid, 15);
    if (w == 2) {
      r = -2;
      goto out;
    }
    *failure = xasprintf ("%s did not finish within %.0f s: stopped; see %s",
                          c->who, c->bound, log);
    r = -1;
    goto out;
  }
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
    char *why;

    if (WIFEXITED (status) && WEXITSTATUS (status) == EXIT_INTERRUPTED &&
        stop_requested) {
      r = -2;
      goto out;
    }
    why = last_message (log);
    *failure = xasprintf ("%s (stack %s) failed: %s (log: %s)", c->who,
                          c->stack_words ? c->stack_words : c->stack, why, log);
    free (why);
    r = -1;
    goto out;
  }
  *doc = record_load (rec, NULL);
  if (*doc == NULL || strcmp (record_status (*doc), "complete") != 0) {
    *failure = xasprintf ("%s: no complete record in %s", c->who, rec);
    cJSON_Delete (*doc);
    *doc = NULL;
    r = -1;
  }
 out:
  free (log);
  free (rec);
  return r;
}
