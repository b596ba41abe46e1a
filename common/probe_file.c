/* probe_file.c: reading the probes' files (common/probe.h) and the one writer
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
    const char *const keys[] = { "p50_ns", "p99_ns", "p99.9_ns" };
    const double v[] = { p50, p99, p999 };

    cJSON_AddNumberToObject (o, "mean_ns", busy / count);
    /* A source without a histogram (diskstats) has no percentiles. */
    for (int i = 0; i < 3; i++)
      if (!isnan (v[i]))
        cJSON_AddNumberToObject (o, keys[i], v[i]);
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

/* One disk's line of /proc/diskstats after the uptime line: the fields
 * after its name into F (reads, merged, sectors, ms, writes, ..., see
 * the kernel's Documentation/admin-guide/iostats.rst); 0 or -1.
 */
static int
diskstats_fields (const char *text, double *uptime, double f[17])
{
  const char *p = text;
  char name[33];
  int n;

  if (sscanf (p, "%lf", uptime) != 1 || (p = strchr (p, '\n')) == NULL)
    return -1;
  if (sscanf (p, " %*u %*u %32s%n", name, &n) != 1)
    return -1;
  p += n;
  for (int i = 0; i < 17; i++) {
    f[i] = 0;
    if (sscanf (p, " %lf%n", &f[i], &n) == 1)
      p += n;
    else if (i < 11)
      return -1;                /* older kernels stop at 11 fields */
  }
  return 0;
}

/* A disk's boundary from /proc/diskstats; see internal.h. */
cJSON *
diskstats_boundary (const char *name, const char *via, const char *source,
                    const char *start, const char *end, double window_s)
{
  double a[17], b[17], ua, ub, share[1] = { 0 };
  /* Per operation: completed, sectors and milliseconds fields. */
  static const struct { const char *op; int count, sectors, ms; } ops[] = {
    { "read", 0, 2, 3 }, { "write", 4, 6, 7 }, { "flush", 15, -1, 16 },
    { "trim", 11, 13, 14 },
  };
  cJSON *bd, *o = cJSON_CreateObject (), *inf;

  if (diskstats_fields (start, &ua, a) == -1 ||
      diskstats_fields (end, &ub, b) == -1) {
    cJSON_Delete (o);
    return NULL;
  }
  /* The uptime lines bound the window when fio's is not known. */
  if (!(window_s > 0))
    window_s = ub - ua;
  bd = boundary_head (name, via, source, window_s);
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    double count = b[ops[i].count] - a[ops[i].count];
    double ms = b[ops[i].ms] - a[ops[i].ms];

    if (count == 0 && i > 1)
      continue;
    cJSON_AddItemToObject (o, ops[i].op,
      op_json (count, ops[i].sectors < 0 ? 0
               : (b[ops[i].sectors] - a[ops[i].sectors]) * 512, ms * 1e6, 0,
               NAN, NAN, NAN));
  }
  cJSON_AddItemToObject (bd, "ops", o);
  /* The time-weighted queue (field 11, ms) over the window is the mean
   * in flight; the kernel keeps no maximum.
   */
  inf = in_flight_json (window_s > 0 ? (b[10] - a[10]) / 1e3 / window_s : NAN,
                        NAN, NAN, share, 0);
  cJSON_AddItemToObject (bd, "in_flight", inf);
  if (window_s > 0)
    cJSON_AddNumberToObject (bd, "utilisation",
                             (b[9] - a[9]) / 1e3 / (ub - ua > 0 ? ub - ua : window_s));
  return bd;
}

/* The percentile P of a QEMU latency histogram ({"boundaries": [ns...],
 * "bins": [n...]}, one bin more than boundaries), at its bin's middle;
 * NAN when empty.
 */
static double
qemu_hist_percentile (const cJSON *h, double p)
{
  const cJSON *bnd = cJSON_GetObjectItemCaseSensitive (h, "boundaries");
  const cJSON *bins = cJSON_GetObjectItemCaseSensitive (h, "bins"), *c;
  int nb = cJSON_GetArraySize (bnd), i = 0;
  double total = 0, seen = 0, want;

  if (!cJSON_IsArray (bins) || cJSON_GetArraySize (bins) != nb + 1)
    return NAN;
  cJSON_ArrayForEach (c, bins)
    total += cJSON_IsNumber (c) ? c->valuedouble : 0;
  if (total <= 0)
    return NAN;
  want = p / 100 * total;
  cJSON_ArrayForEach (c, bins) {
    seen += cJSON_IsNumber (c) ? c->valuedouble : 0;
    if (seen >= want && seen > 0) {
      double lo = i ? cJSON_GetArrayItem (bnd, i - 1)->valuedouble : 0;
      double hi = i < nb ? cJSON_GetArrayItem (bnd, i)->valuedouble : lo;

      return (lo + hi) / 2;
    }
    i++;
  }
  return NAN;
}

static double
stat_delta (const cJSON *a, const cJSON *b, const char *key)
{
  const cJSON *x = cJSON_GetObjectItemCaseSensitive (a, key);
  const cJSON *y = cJSON_GetObjectItemCaseSensitive (b, key);

  return (cJSON_IsNumber (y) ? y->valuedouble : 0) -
         (cJSON_IsNumber (x) ? x->valuedouble : 0);
}

/* QEMU's block statistics as a boundary; see internal.h. */
cJSON *
qemu_block_boundary (const char *name, const char *via, const char *source,
                     const cJSON *a, const cJSON *b, double window_s)
{
  static const struct { const char *op, *pre, *hist; } ops[] = {
    { "read", "rd", "rd_latency_histogram" },
    { "write", "wr", "wr_latency_histogram" },
    { "flush", "flush", "flush_latency_histogram" },
    { "trim", "unmap", NULL },
  };
  cJSON *bd = boundary_head (name, via, source, window_s);
  cJSON *o = cJSON_CreateObject ();
  double busy_all = 0, share[1] = { 0 };

  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    char k[64];
    double count, bytes = 0, busy, errors;
    const cJSON *h = ops[i].hist
      ? cJSON_GetObjectItemCaseSensitive (b, ops[i].hist) : NULL;

    snprintf (k, sizeof k, "%s_operations", ops[i].pre);
    count = stat_delta (a, b, k);
    if (count == 0 && i > 1)
      continue;
    if (i != 2) {
      snprintf (k, sizeof k, "%s_bytes", ops[i].pre);
      bytes = stat_delta (a, b, k);
    }
    snprintf (k, sizeof k, "%s_total_time_ns", ops[i].pre);
    busy = stat_delta (a, b, k);
    snprintf (k, sizeof k, "failed_%s_operations", ops[i].pre);
    errors = stat_delta (a, b, k);
    busy_all += busy;
    cJSON_AddItemToObject (o, ops[i].op,
      op_json (count, bytes, busy, errors, qemu_hist_percentile (h, 50),
               qemu_hist_percentile (h, 99), qemu_hist_percentile (h, 99.9)));
  }
  cJSON_AddItemToObject (bd, "ops", o);
  /* The time requests spent below, summed, over the window: the mean in
   * flight (QEMU keeps no maximum).
   */
  cJSON_AddItemToObject (bd, "in_flight",
    in_flight_json (window_s > 0 ? busy_all / 1e9 / window_s : NAN, NAN, NAN,
                    share, 0));
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
