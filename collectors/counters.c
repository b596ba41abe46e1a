/* counters.c: event counters per process through perf stat: software
 * events always (task-clock, context switches, migrations, page faults),
 * hardware ones (cycles, instructions, cache) where the machine has them.
 * An event the machine refuses is listed as refused, never reported as 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static const char events[] =
  "task-clock,context-switches,cpu-migrations,page-faults,"
  "cycles,instructions,cache-references,cache-misses";

struct counters_state {
  pid_t perf[COLL_MAX_PROCS];
  char *file[COLL_MAX_PROCS];
};

static void *
counters_start (const struct coll_ctx *ctx)
{
  struct counters_state *s = xcalloc (1, sizeof *s);

  for (size_t i = 0; i < ctx->nprocs; i++) {
    char *pids = coll_pid_list (&ctx->procs[i]);
    const char *argv[] = {
      "perf", "stat", "-x", ",", "-e", events, "-p", pids, "-o", NULL, NULL,
    };
    struct spawn_opts o = { 0 };

    s->file[i] = xasprintf ("%s/counters.%s.csv", ctx->dir, ctx->procs[i].role);
    argv[9] = s->file[i];
    s->perf[i] = proc_spawn (argv, &o);
    free (pids);
  }
  return s;
}

/* Parses perf stat -x, output into counted and refused events. */
static void
parse (const char *path, double secs, uint64_t ios, cJSON *o)
{
  char *text = read_file (path, NULL), *save = NULL;
  cJSON *counted = cJSON_AddObjectToObject (o, "counted");
  cJSON *refused = cJSON_AddArrayToObject (o, "refused");

  for (char *l = text ? strtok_r (text, "\n", &save) : NULL; l;
       l = strtok_r (NULL, "\n", &save)) {
    char *f[8] = { 0 }, *p = l;
    int n = 0;

    if (*l == '#' || *l == '\0')
      continue;
    while (n < 8 && p) {
      f[n++] = p;
      p = strchr (p, ',');
      if (p)
        *p++ = '\0';
    }
    if (n < 3 || f[2][0] == '\0')
      continue;
    if (f[0][0] == '<') {       /* <not supported>, <not counted> */
      cJSON *r = cJSON_CreateObject ();

      cJSON_AddStringToObject (r, "event", f[2]);
      cJSON_AddStringToObject (r, "why", f[0]);
      cJSON_AddItemToArray (refused, r);
      continue;
    }
    {
      cJSON *e = cJSON_CreateObject ();
      double v = strtod (f[0], NULL);

      cJSON_AddNumberToObject (e, "value", v);
      if (f[1][0])
        cJSON_AddStringToObject (e, "unit", f[1]);
      if (ios)
        cJSON_AddNumberToObject (e, "per_io", v / (double) ios);
      if (secs > 0 && strcmp (f[2], "task-clock") != 0)
        cJSON_AddNumberToObject (e, "per_s", v / secs);
      cJSON_AddItemToObject (counted, f[2], e);
    }
  }
  free (text);
}

static int
counters_stop (void *state, const struct coll_ctx *ctx,
               const struct coll_end *end, cJSON *out)
{
  struct counters_state *s = state;
  cJSON *procs = cJSON_AddArrayToObject (out, "processes");

  for (size_t i = 0; i < ctx->nprocs; i++) {
    cJSON *o;

    if (s->perf[i] <= 0)
      continue;
    coll_perf_stop (s->perf[i], NULL);
    o = cJSON_CreateObject ();
    cJSON_AddStringToObject (o, "role", ctx->procs[i].role);
    parse (s->file[i], end->window_s, end->ios, o);
    cJSON_AddStringToObject (o, "file", strrchr (s->file[i], '/') + 1);
    cJSON_AddItemToArray (procs, o);
    free (s->file[i]);
  }
  free (s);
  return 0;
}

const struct collector collector_counters = {
  .name = "counters",
  .unavailable = coll_perf_unavailable,
  .start = counters_start,
  .stop = counters_stop,
};
