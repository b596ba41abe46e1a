/* target_direct.c: the stack's nbdkit plugin loaded into fio by the viper
 * engine (plugin:), no server and no socket: the backend's cost alone.
 * Each job calls the plugin from as many worker threads as nbdkit would
 * give a connection (-t, the stack's nbdkit.threads, unless
 * engine.workers says otherwise), so the backend sees the same
 * concurrency here as behind the server.  At iodepth=1 a job never has
 * two requests out, so workers could only add their hand-off (tens of
 * microseconds on a small VM): the plugin is then called inline.
 */
#include <stdlib.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* %-escapes all but unreserved characters and '/': nothing can split
 * the URI, end fio's line (newline) or start a comment there (';' '#').
 */
static void
put_escaped (FILE *f, const char *s)
{
  for (; *s; s++)
    if (isalnum ((unsigned char) *s) || strchr ("-._~/", *s))
      fputc (*s, f);
    else
      fprintf (f, "%%%02X", (unsigned char) *s);
}

/* The plugin URI for viper: plugin:NAME?k=v&... (%-escaped). */
static char *
plugin_uri (const struct stack *st)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = xopen_memstream (&buf, &len);

  fputs ("plugin:", f);
  put_escaped (f, st->plugin);
  for (size_t i = 0; i < st->nplugin_args; i++) {
    const char *eq = strchr (st->plugin_args[i], '=');

    fputc (i ? '&' : '?', f);
    fprintf (f, "%.*s=", (int) (eq - st->plugin_args[i]), st->plugin_args[i]);
    put_escaped (f, eq + 1);
  }
  xclose_memstream (f);
  return buf;
}


static const char *const tools[] = { "fio", NULL };
static const char *const packages[] = { "fio", NULL };

/* The plugin boundary's capacity: the engine's workers per job (inline,
 * one per job, at iodepth 1) as the plugin's thread model lets them;
 * one job is one connection, as to nbdkit.
 */
static void
direct_capacity (const struct run *run, struct probe_point *p,
                 unsigned workers)
{
  const char *m = run->model_plugin;
  unsigned jobs = run->sc->jobs;

  p->served_by = "fio";
  if (m == NULL)
    return;
  if (strcmp (m, "parallel") == 0) {
    p->cap = (double) (workers ? workers : 1) * jobs;
    p->cap_what = workers
      ? xasprintf ("the engine's workers: %u per job x %u job%s", workers,
                   jobs, jobs == 1 ? "" : "s")
      : xasprintf ("the engine inline (iodepth 1): one request per job x %u "
                   "job%s", jobs, jobs == 1 ? "" : "s");
  }
  else if (strcmp (m, "serialize_requests") == 0) {
    p->cap = jobs;
    p->cap_what = xasprintf ("the plugin's thread model serialize_requests: "
                             "one request per job (connection) x %u", jobs);
  }
  else {
    p->cap = 1;
    p->cap_what = xasprintf ("the plugin's thread model %s: one request at "
                             "a time", m);
  }
}

static int
direct_start (struct run *run, struct layer *l)
{
  char *uri = plugin_uri (run->st);
  unsigned workers = run->sc->depth > 1 ? run->st->workers : 0;

  l->engine_lines = xasprintf ("ioengine=external:%s\nuri=%s\nworkers=%u\n",
                               run->engine, uri, workers);
  free (uri);
  if (run->st->probes != PROBES_OFF) {
    struct probe_point *p = layer_add_probe (run, l, "plugin",
                                             "engine plugin host",
                                             "the engine's in-process plugin "
                                             "host (workers=%u per job, "
                                             "thread model %s)", workers,
                                             run->model_plugin
                                             ? run->model_plugin : "?");
    char *lines = xasprintf ("%sprobe_file=%s\n", l->engine_lines, p->path);

    free (l->engine_lines);
    l->engine_lines = lines;
    direct_capacity (run, p, workers);
  }
  return 0;
}

const struct target target_direct = {
  .name = "direct",
  .description = "viper engine, the plugin in-process",
  .tools = tools,
  .packages = packages,
  .uses_plugin = true,
  .plugin_alone = true,
  .start = direct_start,
  .stop = layer_stop_nothing,
};
