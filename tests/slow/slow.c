/* slow.c: a test-only nbdkit plugin whose thread model and service time
 * are parameters, so that the known-answer suite (tests/validate.sh) can
 * build a stack whose limiting stage is known in advance: a plugin that
 * serializes itself, or one that takes a set time per request.
 *
 *   nbdkit build/tests/slow.so size=64M model=serialize_all_requests \
 *          service-us=200 spin-us=0
 *
 * size=SIZE        the disk's size (reads return zeroes, writes are
 *                  dropped: no data is kept, so nothing but the service
 *                  time costs).
 * model=M          the plugin's thread model: parallel (the default),
 *                  serialize_requests, serialize_all_requests or
 *                  serialize_connections (nbdkit's names).
 * service-us=N     microseconds each read, write, trim and zero sleeps
 *                  (off CPU: a remote store's round trip).
 * spin-us=N        microseconds of this thread's CPU time each request
 *                  spins (on CPU: work the plugin does itself).
 *
 * Not installed: it serves nothing a user could want.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>

#define THREAD_MODEL NBDKIT_THREAD_MODEL_PARALLEL

static int64_t size = 64 << 20;
static int model = NBDKIT_THREAD_MODEL_PARALLEL;
static unsigned service_us, spin_us;

static int
slow_config (const char *key, const char *value)
{
  static const struct { const char *name; int model; } models[] = {
    { "serialize_connections", NBDKIT_THREAD_MODEL_SERIALIZE_CONNECTIONS },
    { "serialize_all_requests", NBDKIT_THREAD_MODEL_SERIALIZE_ALL_REQUESTS },
    { "serialize_requests", NBDKIT_THREAD_MODEL_SERIALIZE_REQUESTS },
    { "parallel", NBDKIT_THREAD_MODEL_PARALLEL },
  };

  if (strcmp (key, "size") == 0) {
    if ((size = nbdkit_parse_size (value)) == -1)
      return -1;
  }
  else if (strcmp (key, "model") == 0) {
    size_t i;

    for (i = 0; i < sizeof models / sizeof models[0]; i++)
      if (strcmp (value, models[i].name) == 0)
        break;
    if (i == sizeof models / sizeof models[0]) {
      nbdkit_error ("model=%s: not an nbdkit thread model", value);
      return -1;
    }
    model = models[i].model;
  }
  else if (strcmp (key, "service-us") == 0) {
    if (nbdkit_parse_unsigned (key, value, &service_us) == -1)
      return -1;
  }
  else if (strcmp (key, "spin-us") == 0) {
    if (nbdkit_parse_unsigned (key, value, &spin_us) == -1)
      return -1;
  }
  else {
    nbdkit_error ("unknown parameter '%s'", key);
    return -1;
  }
  return 0;
}

static int
slow_thread_model (void)
{
  return model;
}

static void *
slow_open (int readonly)
{
  static int handle;

  return &handle;
}

static int64_t
slow_get_size (void *handle)
{
  return size;
}

/* This thread's CPU time in ns. */
static uint64_t
thread_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec;
}

/* One request's service: SPIN_US on CPU, then SERVICE_US asleep. */
static void
serve (void)
{
  if (spin_us) {
    uint64_t end = thread_ns () + (uint64_t) spin_us * 1000;

    while (thread_ns () < end)
      ;
  }
  if (service_us) {
    struct timespec ts = { .tv_sec = service_us / 1000000,
                           .tv_nsec = (long) (service_us % 1000000) * 1000 };

    while (nanosleep (&ts, &ts) == -1 && errno == EINTR)
      ;
  }
}

static int
slow_pread (void *handle, void *buf, uint32_t count, uint64_t offset,
            uint32_t flags)
{
  memset (buf, 0, count);
  serve ();
  return 0;
}

static int
slow_pwrite (void *handle, const void *buf, uint32_t count, uint64_t offset,
             uint32_t flags)
{
  serve ();
  return 0;
}

static int
slow_zero (void *handle, uint32_t count, uint64_t offset, uint32_t flags)
{
  serve ();
  return 0;
}

static int
slow_trim (void *handle, uint32_t count, uint64_t offset, uint32_t flags)
{
  serve ();
  return 0;
}

static int
slow_flush (void *handle, uint32_t flags)
{
  return 0;
}

static struct nbdkit_plugin plugin = {
  .name = "slow",
  .longname = "viperbench's known-answer test plugin",
  .config = slow_config,
  .config_help = "size=SIZE model=THREAD_MODEL service-us=N spin-us=N",
  .thread_model = slow_thread_model,
  .open = slow_open,
  .get_size = slow_get_size,
  .pread = slow_pread,
  .pwrite = slow_pwrite,
  .zero = slow_zero,
  .trim = slow_trim,
  .flush = slow_flush,
};

NBDKIT_REGISTER_PLUGIN (plugin)
