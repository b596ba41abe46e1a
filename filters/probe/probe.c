/* probe.c: an nbdkit filter that measures the requests crossing it (its
 * place in the filter chain: outermost, nearest the client, or
 * innermost, nearest the plugin), for viperbench and by hand.
 *
 *   nbdkit --filter=build/probe.so memory 1G probe-file=/tmp/p/nbdkit.probe
 *   viperbench probe /tmp/p/nbdkit.probe
 *
 * Per operation it counts requests, bytes, busy time and a histogram of
 * service times, and at the boundary the requests in flight (now, the
 * maximum, and at each arrival), in a file mapped shared (common/probe.h)
 * that can be read while nbdkit runs and holds the final state once it
 * exits.  No lock, allocation or system call per request.
 *
 * Built twice: probe.so (keys probe-file, probe-name) and
 * probe-inner.so (keys probe-inner-file, probe-inner-name), so that one
 * nbdkit can load both, one at each end of its filter chain: nbdkit
 * hands a key to the outermost filter that takes it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NBDKIT_API_VERSION 2
#include <nbdkit-filter.h>

#include "../../common/probe.h"

#ifndef PROBE_NAME
#define PROBE_NAME "probe"
#endif
#define KEY_FILE PROBE_NAME "-file"
#define KEY_NAME PROBE_NAME "-name"

static char *file;              /* probe-file= */
static char *boundary;          /* probe-name= */
static struct vbp_shm *shm;

static void
probe_unload (void)
{
  vbp_close (shm);
  shm = NULL;
  free (file);
  free (boundary);
}

static int
probe_config (nbdkit_next_config *next, nbdkit_backend *nxdata,
              const char *key, const char *value)
{
  if (strcmp (key, KEY_FILE) == 0 || strcmp (key, KEY_NAME) == 0) {
    char **to = strcmp (key, KEY_FILE) == 0 ? &file : &boundary;

    if (*to) {
      nbdkit_error ("%s given twice", key);
      return -1;
    }
    if (*value == '\0') {
      nbdkit_error ("%s: empty value", key);
      return -1;
    }
    if (to == &boundary && strlen (value) >= sizeof shm->h.name) {
      nbdkit_error ("%s: at most %zu characters", key, sizeof shm->h.name - 1);
      return -1;
    }
    if ((*to = strdup (value)) == NULL) {
      nbdkit_error ("strdup: %m");
      return -1;
    }
    return 0;
  }
  return next (nxdata, key, value);
}

static int
probe_config_complete (nbdkit_next_config_complete *next,
                       nbdkit_backend *nxdata)
{
  if (file == NULL) {
    nbdkit_error ("the %s filter needs %s=PATH (where its counters go)",
                  PROBE_NAME, KEY_FILE);
    return -1;
  }
  return next (nxdata);
}

#define probe_config_help \
  KEY_FILE "=PATH      (required) The file the counters are mapped from.\n" \
  KEY_NAME "=NAME      The boundary's name (default: " PROBE_NAME ")."

/* The file is made once nbdkit is about to serve. */
static int
probe_get_ready (int thread_model)
{
  (void) thread_model;
  shm = vbp_create (file, boundary ? boundary : PROBE_NAME);
  if (shm == NULL) {
    nbdkit_error ("%s: %s", file, strerror (errno));
    return -1;
  }
  return 0;
}

/* With nbdkit in the background, the server is the child. */
static int
probe_after_fork (nbdkit_backend *nxdata)
{
  (void) nxdata;
  if (shm)
    shm->h.pid = (int64_t) getpid ();
  return 0;
}

static int
probe_pread (nbdkit_next *next, void *handle, void *buf, uint32_t count,
             uint64_t offset, uint32_t flags, int *err)
{
  uint64_t t0 = vbp_begin (shm);
  int r = next->pread (next, buf, count, offset, flags, err);

  (void) handle;
  vbp_end (shm, VBP_READ, t0, count, r == -1);
  return r;
}

static int
probe_pwrite (nbdkit_next *next, void *handle, const void *buf,
              uint32_t count, uint64_t offset, uint32_t flags, int *err)
{
  uint64_t t0 = vbp_begin (shm);
  int r = next->pwrite (next, buf, count, offset, flags, err);

  (void) handle;
  vbp_end (shm, VBP_WRITE, t0, count, r == -1);
  return r;
}

static int
probe_flush (nbdkit_next *next, void *handle, uint32_t flags, int *err)
{
  uint64_t t0 = vbp_begin (shm);
  int r = next->flush (next, flags, err);

  (void) handle;
  vbp_end (shm, VBP_FLUSH, t0, 0, r == -1);
  return r;
}

static int
probe_trim (nbdkit_next *next, void *handle, uint32_t count, uint64_t offset,
            uint32_t flags, int *err)
{
  uint64_t t0 = vbp_begin (shm);
  int r = next->trim (next, count, offset, flags, err);

  (void) handle;
  vbp_end (shm, VBP_TRIM, t0, count, r == -1);
  return r;
}

static int
probe_zero (nbdkit_next *next, void *handle, uint32_t count, uint64_t offset,
            uint32_t flags, int *err)
{
  uint64_t t0 = vbp_begin (shm);
  int r = next->zero (next, count, offset, flags, err);

  (void) handle;
  vbp_end (shm, VBP_ZERO, t0, count, r == -1);
  return r;
}

static int
probe_extents (nbdkit_next *next, void *handle, uint32_t count,
               uint64_t offset, uint32_t flags,
               struct nbdkit_extents *extents, int *err)
{
  uint64_t t0 = vbp_begin (shm);
  int r = next->extents (next, count, offset, flags, extents, err);

  (void) handle;
  vbp_end (shm, VBP_EXTENTS, t0, 0, r == -1);
  return r;
}

static struct nbdkit_filter filter = {
  .name = PROBE_NAME,
  .longname = "viperbench probe (" PROBE_NAME ")",
  .unload = probe_unload,
  .config = probe_config,
  .config_complete = probe_config_complete,
  .config_help = probe_config_help,
  .get_ready = probe_get_ready,
  .after_fork = probe_after_fork,
  .pread = probe_pread,
  .pwrite = probe_pwrite,
  .flush = probe_flush,
  .trim = probe_trim,
  .zero = probe_zero,
  .extents = probe_extents,
};

NBDKIT_REGISTER_FILTER (filter)
