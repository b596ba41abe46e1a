/* target_host.c: the baseline.  fio's own io_uring engine with O_DIRECT
 * on a file in the stack's directory (laid out with data beforehand), as
 * "Host NVMe" was measured in the reference investigation.
 */
#include <stdlib.h>

#include "internal.h"

static const char *const tools[] = { "fio", NULL };
static const char *const packages[] = { "fio", NULL };

static int
host_start (struct run *run, struct layer *l)
{
  (void) run;
  l->engine_lines = xasprintf ("ioengine=io_uring\nfilename=%s\n"
                               "direct=1\n", l->file);
  return 0;
}

const struct target target_host = {
  .name = "host",
  .description = "fio io_uring, O_DIRECT, on a file of the host",
  .tools = tools,
  .packages = packages,
  .baseline = true,
  .own_file = "host.img",
  .start = host_start,
  .stop = layer_stop_nothing,
};
