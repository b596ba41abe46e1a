/* shim.c: the C side of the Go test plugin (goplug.go): nbdkit's plugin
 * struct, whose callbacks call the functions goplug.go exports.  cgo
 * against Debian's nbdkit-plugin.h; nbdkit's own Go bindings are in no
 * Debian binary package.
 */
#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>

#include "_cgo_export.h"

#define THREAD_MODEL NBDKIT_THREAD_MODEL_PARALLEL

static int
gp_config (const char *key, const char *value)
{
  if (goConfig ((char *) key, (char *) value) == -1) {
    nbdkit_error ("goplug: bad parameter %s=%s (size=BYTES)", key, value);
    return -1;
  }
  return 0;
}

static int
gp_get_ready (void)
{
  return goGetReady ();
}

static void
gp_unload (void)
{
  goUnload ();
}

static void *
gp_open (int readonly)
{
  static int handle;

  return &handle;
}

static int64_t
gp_get_size (void *handle)
{
  return goGetSize ();
}

static int
gp_pread (void *handle, void *buf, uint32_t count, uint64_t offset,
          uint32_t flags)
{
  return goPread (buf, count, offset);
}

static int
gp_pwrite (void *handle, const void *buf, uint32_t count, uint64_t offset,
           uint32_t flags)
{
  return goPwrite ((void *) buf, count, offset);
}

static int
gp_flush (void *handle, uint32_t flags)
{
  return 0;
}

static struct nbdkit_plugin plugin = {
  .name = "goplug",
  .config = gp_config,
  .get_ready = gp_get_ready,
  .unload = gp_unload,
  .open = gp_open,
  .get_size = gp_get_size,
  .pread = gp_pread,
  .pwrite = gp_pwrite,
  .flush = gp_flush,
};

NBDKIT_REGISTER_PLUGIN (plugin)
