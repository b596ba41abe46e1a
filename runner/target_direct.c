/* target_direct.c: the stack's nbdkit plugin loaded into fio by the viper
 * engine (plugin:), no server and no socket: the backend's cost alone.
 */
#include <stdlib.h>

#include "internal.h"

static const char *const tools[] = { "fio", NULL };
static const char *const packages[] = { "fio", NULL };

static int
direct_start (struct run *run, struct layer *l)
{
  char *uri = stack_plugin_uri (run->st);

  l->engine_lines = xasprintf ("ioengine=external:%s\nuri=%s\n",
                               run->engine, uri);
  free (uri);
  return 0;
}

static void
direct_stop (struct run *run, struct layer *l)
{
  (void) run;
  (void) l;
}

const struct target target_direct = {
  .name = "direct",
  .description = "viper engine, the plugin in-process",
  .tools = tools,
  .packages = packages,
  .uses_plugin = true,
  .start = direct_start,
  .stop = direct_stop,
};
