/* sweep_run.c: `viperbench sweep`: the scenario on each layer at each queue
 * depth, as one record (kind "sweep"):
 *
 *   targets[] = { name, description, baseline,
 *                 points[] = { iodepth, read, write, boundaries, ... } }
 *
 * each point a run.json target of its own, in DIR/<layer>/qd<N>/.  The
 * reference investigation's lat1/qdtest diagnostic, done by the tool:
 * reports/sweep_report.c draws the response curves and finds each knee.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

#define MAX_DEPTHS 32

/* Parses "1,2,4,..."; see internal.h. */
int
sweep_parse_depths (const char *text, unsigned **depths, size_t *n)
{
  unsigned *d = xcalloc (MAX_DEPTHS, sizeof *d);
  const char *p = text;
  size_t k = 0;

  if (text == NULL || *text == '\0') {
    vb_msg ("sweep: no depths: give --depths 1,2,4,8,16,32,64,128 "
            "(DEPTHS= with make)");
    goto bad;
  }
  while (*p) {
    char *end;
    unsigned long v;

    errno = 0;
    v = *p >= '0' && *p <= '9' ? strtoul (p, &end, 10) : 0;
    if (v < 1 || v > 65536 || errno || (*end != ',' && *end != '\0')) {
      vb_msg ("--depths '%s': expected queue depths from 1 to 65536, "
              "comma-separated, e.g. 1,2,4,8", text);
      goto bad;
    }
    if (k == MAX_DEPTHS) {
      vb_msg ("--depths '%s': at most %d depths", text, MAX_DEPTHS);
      goto bad;
    }
    if (k && v <= d[k - 1]) {
      vb_msg ("--depths '%s': depths must grow (%lu after %u)", text, v,
              d[k - 1]);
      goto bad;
    }
    d[k++] = (unsigned) v;
    p = *end ? end + 1 : end;
    if (*end == ',' && *p == '\0') {
      vb_msg ("--depths '%s': a trailing comma", text);
      goto bad;
    }
  }
  *depths = d;
  *n = k;
  return 0;
 bad:
  free (d);
  return -1;
}

/* Each layer at each depth; see internal.h. */
int
sweep_ladder (struct run *run)
{
  const struct stack *st = run->st;
  cJSON *all = run->targets;
  int rc = 0;

  size_t npoints = run->nscale ? run->nscale : run->ndepths;

  run->nlayer_slots = st->nlayers * npoints;
  run->layers = xcalloc (run->nlayer_slots, sizeof *run->layers);
  for (size_t i = 0; i < st->nlayers && rc == 0; i++) {
    const struct target *t = target_find (st->layers[i]);
    cJSON *tj = cJSON_CreateObject ();
    char *ldir = xasprintf ("%s/%s", run->rec.dir, t->name);

    cJSON_AddStringToObject (tj, "name", t->name);
    cJSON_AddStringToObject (tj, "description", t->description);
    cJSON_AddBoolToObject (tj, "baseline", t->baseline);
    run->targets = cJSON_AddArrayToObject (tj, "points");
    cJSON_AddItemToArray (all, tj);
    if (mkdir (ldir, 0755) == -1) {
      vb_msg ("mkdir %s: %s", ldir, strerror (errno));
      rc = EXIT_RUN_FAILED;
    }
    for (size_t k = 0; k < npoints && rc == 0; k++) {
      struct layer *l = &run->layers[i * npoints + k];
      char *rel;

      l->t = t;
      if (run->nscale) {
        run->scale_at = &run->scale[k];
        rel = xasprintf ("%s/%s", t->name, run->scale[k].name);
        fprintf (stderr, "viperbench: [%zu/%zu] %s with %s\n",
                 i * npoints + k + 1, run->nlayer_slots, t->name,
                 run->scale[k].words);
      }
      else {
        if (scenario_set_depth (run->sc, run->depths[k]) == -1) {
          rc = EXIT_BAD_INPUT;
          break;
        }
        rel = xasprintf ("%s/qd%u", t->name, run->depths[k]);
        fprintf (stderr, "viperbench: [%zu/%zu] %s at iodepth %u\n",
                 i * npoints + k + 1, run->nlayer_slots, t->name,
                 run->depths[k]);
      }
      l->dir = xasprintf ("%s/%s", run->rec.dir, rel);
      rc = run_layer (run, l);
      if (rc == 0) {
        cJSON *pt = cJSON_GetArrayItem (run->targets,
                                        cJSON_GetArraySize (run->targets) - 1);

        if (run->nscale) {
          const cJSON *m;

          /* The point's marks (the target's record hook adds what it
           * measured of the load, e.g. the connections made).
           */
          cJSON_ArrayForEach (m, run->scale[k].marks)
            cJSON_AddItemToObject (pt, m->string, cJSON_Duplicate (m, true));
        }
        else
          cJSON_AddNumberToObject (pt, "iodepth", run->depths[k]);
        cJSON_AddStringToObject (pt, "dir", rel);
        record_write (&run->rec);
      }
      free (rel);
    }
    free (ldir);
  }
  run->targets = all;
  run->scale_at = NULL;
  return rc;
}

void
scale_points_free (struct scale_point *p, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    cJSON_Delete (p[i].marks);
    free (p[i].name);
    free (p[i].words);
  }
  free (p);
}

/* A scale sweep's table: each point's load and what the servers held. */
static void
scale_print_table (struct run *run, const struct rm_target *t, size_t n)
{
  printf ("\n%s %s \"%s\" (scale sweep)\n", run->rec.id, run->sc->name,
          run->description);
  printf ("%-8s %7s %7s %5s %9s %9s %9s %5s %7s %7s %8s %6s\n", "layer",
          "clients", "volumes", "conns", "IOPS", "read p99", "write p99",
          "fds", "sockets", "threads", "RSS MiB", "Jain");
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < t[i].npoints; k++) {
      const struct rm_target *pt = &t[i].points[k];
      char io[16], r99[16], w99[16];

      fmt_iops (io, sizeof io, rm_iops (pt));
      fmt_ns (r99, sizeof r99, pt->dir[RM_READ].p99_ns);
      fmt_ns (w99, sizeof w99, pt->dir[RM_WRITE].p99_ns);
      printf ("%-8s %7.0f %7.0f %5.0f %9s %9s %9s %5.0f %7.0f %7.0f %8.1f "
              "%6.3f\n", t[i].name, pt->client_count, pt->volumes,
              pt->connections, io, r99, w99, rm_resource (pt, RM_FDS_MAX),
              rm_resource (pt, RM_SOCKETS_MAX),
              rm_resource (pt, RM_THREADS_MAX),
              rm_resource (pt, RM_RSS_KIB_MAX) / 1024, pt->fairness.jain);
    }
}

/* A depth sweep's table: each layer's curve: depth, IOPS, latency, in
 * flight below.
 */
static void
depth_print_table (struct run *run, const struct rm_target *t, size_t n)
{
  printf ("\n%s %s \"%s\" (sweep)\n", run->rec.id, run->sc->name,
          run->description);
  printf ("%-9s %6s %10s %10s %10s  %s\n", "layer", "depth", "IOPS",
          "read p50", "read p99", "max in flight per boundary");
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < t[i].npoints; k++) {
      const struct rm_target *pt = &t[i].points[k];
      char io[16], p50[16], p99[16];

      fmt_iops (io, sizeof io, rm_iops (pt));
      fmt_ns (p50, sizeof p50, pt->dir[RM_READ].p50_ns);
      fmt_ns (p99, sizeof p99, pt->dir[RM_READ].p99_ns);
      printf ("%-9s %6.0f %10s %10s %10s ", t[i].name, pt->iodepth, io, p50,
              p99);
      for (size_t b = 1; b < pt->nbounds; b++)
        printf (" %s %.0f", pt->bounds[b].name ? pt->bounds[b].name : "?",
                pt->bounds[b].flight_max);
      printf ("\n");
    }
}

/* Prints the sweep's table (the record's layers, read into the model). */
void
sweep_print_table (struct run *run)
{
  size_t n = (size_t) cJSON_GetArraySize (run->targets), i = 0;
  struct rm_target *t = xcalloc (n + 1, sizeof *t);
  const cJSON *e;

  cJSON_ArrayForEach (e, run->targets)
    rm_target_read (e, &t[i++]);
  if (run->nscale)
    scale_print_table (run, t, n);
  else
    depth_print_table (run, t, n);
  for (i = 0; i < n; i++)
    rm_target_free (&t[i]);
  free (t);
  printf ("record: %s/run.json\n", run->rec.dir);
}
