/* burn.c: a test-only nbdkit filter that spends a set amount of CPU time
 * on every request, so that the gate's calibration and tests can inject
 * a CPU-per-I/O regression of known size, as nbdkit's rate filter
 * injects a bandwidth one.
 *
 *   nbdkit --filter=build/tests/burn.so memory 1G burn-ns=500
 *
 * burn-ns=N   nanoseconds of this thread's own CPU time (not wall time:
 *             a preempted thread still burns N ns) spun before each
 *             read, write, trim and zero is passed on.  0 (the default)
 *             passes requests straight through.  Reading the thread's
 *             CPU clock is itself a system call of a few hundred ns, so
 *             small values overshoot a little: the calibration measures
 *             the change it made rather than trusting N.
 *
 * Not installed: a regression generator has no place in a stack that
 * serves data.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define NBDKIT_API_VERSION 2
#include <nbdkit-filter.h>

static uint64_t burn_ns;

static int
burn_config (nbdkit_next_config *next, nbdkit_backend *nxdata,
             const char *key, const char *value)
{
  if (strcmp (key, "burn-ns") == 0) {
    unsigned ns;

    if (nbdkit_parse_unsigned (key, value, &ns) == -1)
      return -1;
    if (ns > 1000000000) {
      nbdkit_error ("burn-ns=%u: at most 1000000000 (a second per request)", ns);
      return -1;
    }
    burn_ns = ns;
    return 0;
  }
  return next (nxdata, key, value);
}

#define burn_config_help \
  "burn-ns=<N>                  CPU nanoseconds spent per request."

static uint64_t
thread_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec;
}

static void
burn (void)
{
  uint64_t end;
  volatile uint64_t spin = 0;

  if (burn_ns == 0)
    return;
  end = thread_ns () + burn_ns;
  while (thread_ns () < end)
    for (int i = 0; i < 64; i++)
      spin += (uint64_t) i;
}

static int
burn_pread (nbdkit_next *next, void *handle, void *buf, uint32_t count,
            uint64_t offset, uint32_t flags, int *err)
{
  (void) handle;
  burn ();
  return next->pread (next, buf, count, offset, flags, err);
}

static int
burn_pwrite (nbdkit_next *next, void *handle, const void *buf,
             uint32_t count, uint64_t offset, uint32_t flags, int *err)
{
  (void) handle;
  burn ();
  return next->pwrite (next, buf, count, offset, flags, err);
}

static int
burn_trim (nbdkit_next *next, void *handle, uint32_t count, uint64_t offset,
           uint32_t flags, int *err)
{
  (void) handle;
  burn ();
  return next->trim (next, count, offset, flags, err);
}

static int
burn_zero (nbdkit_next *next, void *handle, uint32_t count, uint64_t offset,
           uint32_t flags, int *err)
{
  (void) handle;
  burn ();
  return next->zero (next, count, offset, flags, err);
}

static struct nbdkit_filter filter = {
  .name = "burn",
  .longname = "viperbench test filter: CPU time per request",
  .config = burn_config,
  .config_help = burn_config_help,
  .pread = burn_pread,
  .pwrite = burn_pwrite,
  .trim = burn_trim,
  .zero = burn_zero,
};

NBDKIT_REGISTER_FILTER (filter)
