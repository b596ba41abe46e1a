/* probe.c: reading the probes' files (common/probe.h) and the one writer
 * of the record's boundary schema, for probes and for fio alike:
 *
 *   { "name", "via", "source", "window_s",
 *     "ops": { "read": { "count", "bytes", "busy_ns", "errors",
 *                        "mean_ns", "p50_ns", "p99_ns", "p99.9_ns" }, ... },
 *     "in_flight": { "mean", "max", "requested", "at_arrival": {"1": share,
 *                    "2": share, "4": ...} } }
 *
 * "via" names what carries requests from the boundary above to this one,
 * so that a collapse of concurrency between them has a name.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "probe.h"

static const char *const op_names[VBP_NOPS] = {
  "read", "write", "flush", "trim", "zero", "extents",
};

/* Snapshots the probe file PATH; see internal.h. */
int
probe_snapshot (const char *path, struct probe_snap *snap, bool reset_max)
{
  int fd = open (path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  struct vbp_shm *s;
  struct stat sb;

  memset (snap, 0, sizeof *snap);
  if (fd == -1) {
    vb_msg ("probe %s: %s", path, strerror (errno));
    return -1;
  }
  if (fstat (fd, &sb) == -1 || !S_ISREG (sb.st_mode) ||
      sb.st_size != (off_t) sizeof *s) {
    vb_msg ("probe %s: not a probe file (size %lld, expected %zu)", path,
            (long long) sb.st_size, sizeof *s);
    close (fd);
    return -1;
  }
  s = mmap (NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close (fd);
  if (s == MAP_FAILED) {
    vb_msg ("probe %s: mmap: %s", path, strerror (errno));
    return -1;
  }
  if (memcmp (s->h.magic, VBP_MAGIC, sizeof s->h.magic) != 0 ||
      s->h.version != VBP_VERSION || s->h.size != sizeof *s) {
    vb_msg ("probe %s: not a probe file of version %d", path, VBP_VERSION);
    munmap (s, sizeof *s);
    return -1;
  }
  snap->at_ns = vbp_now ();
  /* Field by field, each load whole (the writers are other processes),
   * the shards added up.
   */
#define LOAD(p) __atomic_load_n ((p), __ATOMIC_RELAXED)
  memcpy (&snap->h, &s->h, sizeof snap->h);
  snap->h.first_ns = LOAD (&s->h.first_ns);
  snap->h.last_ns = LOAD (&s->h.last_ns);
  snap->h.closed_ns = LOAD (&s->h.closed_ns);
  snap->h.name[sizeof snap->h.name - 1] = '\0';
  snap->in_flight = LOAD (&s->in_flight);
  snap->max_in_flight = LOAD (&s->max_in_flight);
  for (size_t k = 0; k < VBP_SHARDS; k++) {
    const uint64_t *from = (const uint64_t *) &s->shard[k].c;
    uint64_t *to = (uint64_t *) &snap->sum;

    for (size_t i = 0; i < sizeof snap->sum / sizeof (uint64_t); i++)
      to[i] += LOAD (&from[i]);
  }
#undef LOAD
  if (reset_max)
    __atomic_store_n (&s->max_in_flight,
                      __atomic_load_n (&s->in_flight, __ATOMIC_RELAXED),
                      __ATOMIC_RELAXED);
  munmap (s, sizeof *s);
  return 0;
}

/* The service time at percentile P of B's histogram minus A's (A may be
 * NULL), at its bucket's middle; NAN without requests.
 */
static double
op_percentile (const struct vbp_op_counts *a, const struct vbp_op_counts *b,
               double p)
{
  double total = 0, want, seen = 0;

  for (unsigned i = 0; i < VBP_LAT_BUCKETS; i++)
    total += (double) (b->lat[i] - (a ? a->lat[i] : 0));
  if (total <= 0)
    return NAN;
  want = p / 100 * total;
  for (unsigned i = 0; i < VBP_LAT_BUCKETS; i++) {
    seen += (double) (b->lat[i] - (a ? a->lat[i] : 0));
    if (seen >= want && seen > 0) {
      double lo = (double) vbp_lat_low (i);
      double hi = i + 1 < VBP_LAT_BUCKETS ? (double) vbp_lat_low (i + 1) : lo;

      return (lo + hi) / 2;
    }
  }
  return NAN;
}

static cJSON *
op_json (double count, double bytes, double busy, double errors,
         double p50, double p99, double p999)
{
  cJSON *o = cJSON_CreateObject ();

  cJSON_AddNumberToObject (o, "count", count);
  cJSON_AddNumberToObject (o, "bytes", bytes);
  cJSON_AddNumberToObject (o, "busy_ns", busy);
  cJSON_AddNumberToObject (o, "errors", errors);
  if (count > 0) {
    cJSON_AddNumberToObject (o, "mean_ns", busy / count);
    cJSON_AddNumberToObject (o, "p50_ns", p50);
    cJSON_AddNumberToObject (o, "p99_ns", p99);
    cJSON_AddNumberToObject (o, "p99.9_ns", p999);
  }
  return o;
}

static cJSON *
boundary_head (const char *name, const char *via, const char *source,
               double window_s)
{
  cJSON *b = cJSON_CreateObject ();

  cJSON_AddStringToObject (b, "name", name);
  cJSON_AddStringToObject (b, "via", via);
  cJSON_AddStringToObject (b, "source", source);
  cJSON_AddNumberToObject (b, "window_s", window_s);
  return b;
}

/* A boundary's "in_flight": MEAN, MAX, REQUESTED (NAN: null) and the
 * shares of requests that found 1, 2-3, 4-7, ... in flight (SHARE[i]
 * for 2^i, N of them), those above 0 keyed by their lower bound.
 */
static cJSON *
in_flight_json (double mean, double max, double requested,
                const double *share, int n)
{
  cJSON *inf = cJSON_CreateObject (), *arr = cJSON_CreateObject ();
  const char *const keys[] = { "mean", "max", "requested" };
  const double v[] = { mean, max, requested };

  for (int i = 0; i < 3; i++)
    if (isnan (v[i]))
      cJSON_AddNullToObject (inf, keys[i]);
    else
      cJSON_AddNumberToObject (inf, keys[i], v[i]);
  for (int i = 0; i < n; i++)
    if (share[i] > 0) {
      char key[16];

      snprintf (key, sizeof key, "%u", 1u << i);
      cJSON_AddNumberToObject (arr, key, share[i]);
    }
  cJSON_AddItemToObject (inf, "at_arrival", arr);
  return inf;
}

/* The boundary between snapshots A (NULL: since the probe was made) and
 * B; see internal.h.
 */
cJSON *
probe_boundary (const char *name, const char *via, const char *source,
                const struct probe_snap *a, const struct probe_snap *b)
{
  const struct vbp_counts *sa = a ? &a->sum : NULL, *sb = &b->sum;
  uint64_t from = a ? a->at_ns : b->h.created_ns, to = b->at_ns;
  double busy_all = 0, arrived = 0, window_s, share[VBP_QD_BUCKETS];
  cJSON *bd, *ops = cJSON_CreateObject ();

  /* The window: from the first request seen (or A) to the last one
   * completed (or B), so that idle time before fio starts and after it
   * stops does not dilute the mean in flight.
   */
  if (b->h.first_ns > from)
    from = b->h.first_ns;
  /* last_ns is kept to the millisecond. */
  if (b->h.last_ns && b->h.last_ns + 1000000 < to && b->in_flight == 0)
    to = b->h.last_ns + 1000000;
  window_s = to > from ? (double) (to - from) / 1e9 : 0;
  bd = boundary_head (name, via, source, window_s);
  for (int i = 0; i < VBP_NOPS; i++) {
    const struct vbp_op_counts *oa = sa ? &sa->op[i] : NULL, *ob = &sb->op[i];
    double count = (double) (ob->count - (oa ? oa->count : 0));
    double busy = (double) (ob->busy_ns - (oa ? oa->busy_ns : 0));

    busy_all += busy;
    if (count == 0 && i > VBP_WRITE)
      continue;
    cJSON_AddItemToObject (ops, op_names[i],
      op_json (count, (double) (ob->bytes - (oa ? oa->bytes : 0)), busy,
               (double) (ob->errors - (oa ? oa->errors : 0)),
               op_percentile (oa, ob, 50), op_percentile (oa, ob, 99),
               op_percentile (oa, ob, 99.9)));
  }
  cJSON_AddItemToObject (bd, "ops", ops);
  for (int i = 0; i < VBP_QD_BUCKETS; i++)
    arrived += share[i] = (double) (sb->arrive[i] - (sa ? sa->arrive[i] : 0));
  for (int i = 0; i < VBP_QD_BUCKETS; i++)
    share[i] = arrived > 0 ? share[i] / arrived : 0;
  cJSON_AddItemToObject (bd, "in_flight",
    in_flight_json (window_s > 0 ? busy_all / 1e9 / window_s : NAN,
                    (double) b->max_in_flight, NAN, share, VBP_QD_BUCKETS));
  return bd;
}

/* fio's own boundary; see internal.h. */
cJSON *
fio_boundary (const struct fio_result *r, double requested, const char *via)
{
  const struct dir_stats *d[2] = { &r->read, &r->write };
  cJSON *bd, *ops = cJSON_CreateObject ();
  double mean = 0, ios = 0, iops = 0;

  /* fio's job_runtime adds up over jobs under group_reporting: the
   * window is its I/Os over its IOPS, and Little's law holds per
   * direction (IOPS x mean latency).
   */
  for (int i = 0; i < 2; i++) {
    double busy = (double) d[i]->total_ios * d[i]->lat_mean;

    ios += (double) d[i]->total_ios;
    iops += d[i]->iops;
    if (d[i]->total_ios)
      mean += d[i]->iops * d[i]->lat_mean / 1e9;
    cJSON_AddItemToObject (ops, op_names[i],
      op_json ((double) d[i]->total_ios, d[i]->io_bytes, busy, 0,
               d[i]->lat_p50, d[i]->lat_p99, d[i]->lat_p999));
  }
  bd = boundary_head ("fio", via, "fio json+", iops > 0 ? ios / iops : 0);
  cJSON_AddItemToObject (bd, "ops", ops);
  /* fio does not report its maximum; what it was asked for is known.
   * Its iodepth_level buckets are the probes' (">=64" keyed "64").
   */
  cJSON_AddItemToObject (bd, "in_flight",
    in_flight_json (mean, NAN, requested, r->depth_level, FIO_DEPTH_LEVELS));
  return bd;
}

/* A number of boundary BD: "in_flight.max", "ops.read.p99_ns"...; see
 * internal.h.
 */
double
boundary_num (const cJSON *bd, const char *path)
{
  char buf[96], *save = NULL;

  snprintf (buf, sizeof buf, "%s", path);
  /* "p99.9_ns" holds a dot: the last segment is the rest. */
  for (char *k = strtok_r (buf, ".", &save); k && bd;
       k = strtok_r (NULL, ".", &save)) {
    if (strcmp (k, "p99") == 0 && save && strncmp (save, "9_ns", 4) == 0) {
      bd = cJSON_GetObjectItemCaseSensitive (bd, "p99.9_ns");
      break;
    }
    bd = cJSON_GetObjectItemCaseSensitive (bd, k);
  }
  return cJSON_IsNumber (bd) ? bd->valuedouble : NAN;
}
