/* disk.c: the block device's own statistics for the host layer, from
 * /proc/diskstats (what fio's disk stats show): I/Os, merges,
 * utilisation and average queue depth over the measured window.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "internal.h"

struct disk_stat {
  char name[64];
  unsigned long long rd, rd_merged, rd_sectors, rd_ms;
  unsigned long long wr, wr_merged, wr_sectors, wr_ms;
  unsigned long long in_flight, io_ms, weighted_ms;
};

/* The diskstats line of device MAJ:MIN; 0 or -1. */
static int
read_disk (unsigned maj, unsigned min, struct disk_stat *d)
{
  FILE *f = fopen ("/proc/diskstats", "re");
  char line[512];
  int r = -1;

  if (f == NULL)
    return -1;
  while (fgets (line, sizeof line, f)) {
    unsigned a, b;

    if (sscanf (line, "%u %u %63s %llu %llu %llu %llu %llu %llu %llu %llu "
                "%llu %llu %llu", &a, &b, d->name, &d->rd, &d->rd_merged,
                &d->rd_sectors, &d->rd_ms, &d->wr, &d->wr_merged,
                &d->wr_sectors, &d->wr_ms, &d->in_flight, &d->io_ms,
                &d->weighted_ms) == 14 && a == maj && b == min) {
      r = 0;
      break;
    }
  }
  fclose (f);
  return r;
}

struct disk_state {
  unsigned maj, min;
  struct disk_stat start;
};

static const char *
disk_unavailable (void)
{
  FILE *f = fopen ("/proc/diskstats", "re");

  if (f == NULL)
    return "/proc/diskstats cannot be read";
  fclose (f);
  return NULL;
}

static bool
disk_wants (const struct coll_ctx *ctx)
{
  return ctx->file != NULL;
}

static void *
disk_start (const struct coll_ctx *ctx)
{
  struct disk_state *s = xcalloc (1, sizeof *s);
  struct stat sb;

  if (s == NULL || stat (ctx->file, &sb) == -1)
    goto err;
  s->maj = major (sb.st_dev);
  s->min = minor (sb.st_dev);
  if (read_disk (s->maj, s->min, &s->start) == -1) {
    fprintf (stderr, "viperbench: warning: disk: device %u:%u of %s is not "
             "in /proc/diskstats\n", s->maj, s->min, ctx->file);
    goto err;
  }
  return s;
 err:
  free (s);
  return NULL;
}

static int
disk_stop (void *state, const struct coll_ctx *ctx, const struct coll_end *end,
           cJSON *out)
{
  struct disk_state *s = state;
  struct disk_stat e;
  double ms = end->window_s * 1000;

  (void) ctx;
  if (read_disk (s->maj, s->min, &e) == 0) {
    cJSON_AddStringToObject (out, "device", e.name);
    cJSON_AddNumberToObject (out, "reads", (double) (e.rd - s->start.rd));
    cJSON_AddNumberToObject (out, "read_merges",
                             (double) (e.rd_merged - s->start.rd_merged));
    cJSON_AddNumberToObject (out, "read_bytes",
                             (double) (e.rd_sectors - s->start.rd_sectors) * 512);
    cJSON_AddNumberToObject (out, "writes", (double) (e.wr - s->start.wr));
    cJSON_AddNumberToObject (out, "write_merges",
                             (double) (e.wr_merged - s->start.wr_merged));
    cJSON_AddNumberToObject (out, "write_bytes",
                             (double) (e.wr_sectors - s->start.wr_sectors) * 512);
    if (ms > 0) {
      cJSON_AddNumberToObject (out, "utilisation",
                               (double) (e.io_ms - s->start.io_ms) / ms);
      cJSON_AddNumberToObject (out, "avg_queue_depth",
                               (double) (e.weighted_ms - s->start.weighted_ms) / ms);
    }
  }
  free (s);
  return 0;
}

const struct collector collector_disk = {
  .name = "disk",
  .unavailable = disk_unavailable,
  .wants = disk_wants,
  .start = disk_start,
  .stop = disk_stop,
};
