/* layer.c: one layer of a ladder or a sweep: start what it needs, run
 * fio on the scenario, record the figures, stop it.  run.c and sweep_run.c
 * both call it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

/* Lines every layer's job gets: total-latency percentiles, histograms. */
static const char common_lines[] =
  "lat_percentiles=1\nwrite_hist_log=hist\nlog_hist_msec=1000\n";

/* One layer: start it, run fio, record it; 0 or an exit code. */
int
run_layer (struct run *run, struct layer *l)
{
  struct fio_result res;
  cJSON *coll = NULL;
  char *job, *shown, *jobpath, *lines;

  if (l->t->own_file)
    l->file = xasprintf ("%s/%s", run->st->dir, l->t->own_file);
  if (mkdir (l->dir, 0755) == -1) {
    vb_msg ("mkdir %s: %s", l->dir, strerror (errno));
    return EXIT_RUN_FAILED;
  }
  /* The services it needs, up (their logs in the record), and those no
   * layer needs any more, down.
   */
  if (run->st->nsvc) {
    char *logs = xasprintf ("%s/services", run->rec.dir);
    int r;

    if ((r = mkdir (logs, 0755)) == -1 && errno != EEXIST)
      vb_msg ("mkdir %s: %s", logs, strerror (errno));
    else
      r = services_enter (run->st, l->t->name, logs);
    free (logs);
    record_services (run);
    record_write (&run->rec);
    if (r == -1)
      return stop_requested ? EXIT_INTERRUPTED : EXIT_RUN_FAILED;
  }
  if (l->t->start (run, l) == -1) {
    l->t->stop (run, l);
    return stop_requested ? EXIT_INTERRUPTED : EXIT_RUN_FAILED;
  }
  lines = xasprintf ("%s%s", l->engine_lines, common_lines);
  job = scenario_render (run->sc, lines);
  free (lines);
  shown = xstrdup (job);
  redact_kv (shown);
  jobpath = xasprintf ("%s/job.fio", l->dir);
  write_file_atomic (jobpath, shown, strlen (shown));
  free (jobpath);
  free (shown);
  if (fio_run_layer (run, l, job, &res, &coll) == -1) {
    free (job);
    cJSON_Delete (coll);
    l->t->stop (run, l);
    return stop_requested ? EXIT_INTERRUPTED : EXIT_RUN_FAILED;
  }
  free (job);
  l->t->stop (run, l);
  record_add_target (run, l, &res, coll);
  record_write (&run->rec);
  return stop_requested ? EXIT_INTERRUPTED : 0;
}

