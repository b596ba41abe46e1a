/* probe.h: the probes' shared-memory format and their hot path, header
 * only and with no dependency, so that the nbdkit filter
 * (filters/probe/), the engine's in-process plugin host (engine/) and
 * the runner's reader (common/probe_file.c) share one definition.
 *
 * A probe counts the requests that cross one boundary of a stack (nbdkit
 * nearest its client, nearest its plugin; the engine's call into an
 * in-process plugin) in a small file mapped MAP_SHARED: the runner
 * reads it while the server runs, at the start and end of fio's window,
 * and the file holds the last state after the server exits.
 *
 * The hot path takes no lock, allocates nothing and makes no system
 * call: CLOCK_MONOTONIC through the vDSO and relaxed atomic additions
 * on the mapping.  Each counter is monotonic except in_flight (up and
 * down) and max_in_flight, which a reader may reset at its window's
 * start (to what is in flight then).
 */
#ifndef VIPERBENCH_PROBE_H
#define VIPERBENCH_PROBE_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VBP_MAGIC "VBPROBE1"
#define VBP_VERSION 5

/* The operations, in the record's order.  Extents (NBD block status)
 * counts too: QEMU's NBD server asks it instead of reading holes.
 */
enum vbp_op {
  VBP_READ, VBP_WRITE, VBP_FLUSH, VBP_TRIM, VBP_ZERO, VBP_EXTENTS, VBP_NOPS
};

/* Service times: exact below 16 ns, then 16 buckets per power of two
 * (at most 1/16 = 6% wide) up to 2^36 ns (69 s); longer ones land in
 * the last bucket.
 */
#define VBP_SUB_BITS 4
#define VBP_LAT_BUCKETS ((36 - VBP_SUB_BITS + 1) * (1 << VBP_SUB_BITS))

/* Requests in flight when one arrives (itself included), by power of
 * two as fio's iodepth_level does: 1, 2-3, 4-7, ..., 2048 and more.
 */
#define VBP_QD_BUCKETS 12

/* Cache lines are laid out so that what every request writes is apart
 * from what it only reads (first_ns, last_ns: written at most once a
 * millisecond), and the counters are sharded by CPU: requests on
 * different CPUs then add to different lines, and only the requests in
 * flight (which must be one number to have a maximum) are shared.  A
 * reader sums the shards.
 */
#define VBP_LINE 64
#define VBP_SHARDS 8

struct vbp_op_counts {
  uint64_t count;               /* completed */
  uint64_t bytes;
  uint64_t busy_ns;             /* sum of service times */
  uint64_t errors;
  uint64_t lat[VBP_LAT_BUCKETS];
};

/* What a shard counts, and what a reader sums them into (no alignment
 * of its own, so that a copy can live anywhere).
 */
struct vbp_counts {
  uint64_t arrive[VBP_QD_BUCKETS];
  struct vbp_op_counts op[VBP_NOPS];
};

struct vbp_shard {
  struct vbp_counts c;
} __attribute__((aligned (VBP_LINE)));

struct vbp_head {
  char magic[8];                /* VBP_MAGIC, without its NUL */
  uint32_t version;
  uint32_t size;                /* sizeof (struct vbp_shm) */
  char name[32];                /* the boundary, NUL-terminated */
  int64_t pid;                  /* the process that counts */
  uint64_t created_ns;          /* CLOCK_MONOTONIC */
  uint64_t closed_ns;           /* set when the counting process ends */
  uint64_t first_ns;            /* the first request's arrival, 0: none */
  uint64_t last_ns;             /* the latest completion (to 1 ms) */
};

struct vbp_shm {
  struct vbp_head h;
  uint64_t in_flight __attribute__((aligned (VBP_LINE)));
  uint64_t max_in_flight;       /* since creation or the reader's reset */
  struct vbp_shard shard[VBP_SHARDS];
};

static inline uint64_t
vbp_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

/* The service-time bucket of NS. */
static inline unsigned
vbp_lat_bucket (uint64_t ns)
{
  unsigned msb, idx;

  if (ns < (1u << VBP_SUB_BITS))
    return (unsigned) ns;
  msb = 63u - (unsigned) __builtin_clzll (ns);
  idx = (msb - VBP_SUB_BITS + 1) * (1u << VBP_SUB_BITS) +
        (unsigned) ((ns >> (msb - VBP_SUB_BITS)) & ((1u << VBP_SUB_BITS) - 1));
  return idx < VBP_LAT_BUCKETS ? idx : VBP_LAT_BUCKETS - 1;
}

/* The smallest value of bucket I (the inverse of vbp_lat_bucket). */
static inline uint64_t
vbp_lat_low (unsigned i)
{
  unsigned g = i >> VBP_SUB_BITS, s = i & ((1u << VBP_SUB_BITS) - 1);

  if (g == 0)
    return i;
  return ((uint64_t) (1u << VBP_SUB_BITS) + s) << (g - 1);
}

/* The in-flight bucket of N >= 1: floor (log2 N), capped. */
static inline unsigned
vbp_qd_bucket (uint64_t n)
{
  unsigned b = n ? 63u - (unsigned) __builtin_clzll (n) : 0;

  return b < VBP_QD_BUCKETS ? b : VBP_QD_BUCKETS - 1;
}

/* This CPU's shard (glibc reads the CPU from rseq: no system call). */
static inline unsigned
vbp_shard (void)
{
  int cpu = sched_getcpu ();

  return cpu < 0 ? 0 : (unsigned) cpu & (VBP_SHARDS - 1);
}

#define VBP_ADD(p, v) __atomic_add_fetch ((p), (v), __ATOMIC_RELAXED)

/* A request arrives at the boundary: counts it in flight; returns its
 * arrival time for vbp_end.  S may be NULL (no probe): then 0.
 */
static inline uint64_t
vbp_begin (struct vbp_shm *s)
{
  uint64_t now, n, m, zero = 0;

  if (s == NULL)
    return 0;
  now = vbp_now ();
  n = VBP_ADD (&s->in_flight, 1);
  m = __atomic_load_n (&s->max_in_flight, __ATOMIC_RELAXED);
  while (n > m &&
         !__atomic_compare_exchange_n (&s->max_in_flight, &m, n, true,
                                       __ATOMIC_RELAXED, __ATOMIC_RELAXED))
    ;
  VBP_ADD (&s->shard[vbp_shard ()].c.arrive[vbp_qd_bucket (n)], 1);
  if (__atomic_load_n (&s->h.first_ns, __ATOMIC_RELAXED) == 0)
    __atomic_compare_exchange_n (&s->h.first_ns, &zero, now, false,
                                 __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  return now;
}

/* The request that arrived at T0 leaves: OP, BYTES moved, FAILED. */
static inline void
vbp_end (struct vbp_shm *s, enum vbp_op op, uint64_t t0, uint64_t bytes,
         bool failed)
{
  struct vbp_op_counts *o;
  uint64_t now, d;

  if (s == NULL)
    return;
  now = vbp_now ();
  d = now - t0;
  o = &s->shard[vbp_shard ()].c.op[op];
  VBP_ADD (&o->count, 1);
  VBP_ADD (&o->bytes, bytes);
  VBP_ADD (&o->busy_ns, d);
  VBP_ADD (&o->lat[vbp_lat_bucket (d)], 1);
  if (failed)
    VBP_ADD (&o->errors, 1);
  __atomic_sub_fetch (&s->in_flight, 1, __ATOMIC_RELAXED);
  /* Read by every request, written once a millisecond at most: the
   * line stays shared between CPUs.
   */
  if (now - __atomic_load_n (&s->h.last_ns, __ATOMIC_RELAXED) > 1000000)
    __atomic_store_n (&s->h.last_ns, now, __ATOMIC_RELAXED);
}

/* Creates (or empties) the probe file PATH (0600, not through a link,
 * a regular file) for boundary NAME and maps it; NULL with errno set.
 */
static inline struct vbp_shm *
vbp_create (const char *path, const char *name)
{
  struct vbp_shm *s;
  struct stat sb;
  int fd = open (path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600), e;

  if (fd == -1)
    return NULL;
  if (fstat (fd, &sb) == -1 || !S_ISREG (sb.st_mode) ||
      ftruncate (fd, 0) == -1 ||
      ftruncate (fd, (off_t) sizeof (struct vbp_shm)) == -1) {
    e = S_ISREG (sb.st_mode) ? errno : EINVAL;
    close (fd);
    errno = e;
    return NULL;
  }
  s = mmap (NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  e = errno;
  close (fd);
  if (s == MAP_FAILED) {
    errno = e;
    return NULL;
  }
  s->h.version = VBP_VERSION;
  s->h.size = (uint32_t) sizeof *s;
  strncpy (s->h.name, name, sizeof s->h.name - 1);
  s->h.pid = (int64_t) getpid ();
  s->h.created_ns = vbp_now ();
  /* The magic last: a reader takes the file once it is there. */
  __atomic_thread_fence (__ATOMIC_RELEASE);
  memcpy (s->h.magic, VBP_MAGIC, sizeof s->h.magic);
  return s;
}

/* Marks S closed (its final state) and unmaps it; NULL is a no-op. */
static inline void
vbp_close (struct vbp_shm *s)
{
  if (s == NULL)
    return;
  __atomic_store_n (&s->h.closed_ns, vbp_now (), __ATOMIC_RELAXED);
  msync (s, sizeof *s, MS_SYNC);
  munmap (s, sizeof *s);
}

#endif /* VIPERBENCH_PROBE_H */
