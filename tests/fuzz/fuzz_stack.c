/* fuzz_stack.c: libFuzzer target for the stack and scenario parsers: the
 * input is loaded as a stack (JSON) and as a scenario (fio job file),
 * then redacted, rendered and freed.  Every error must be a message,
 * never a crash, hang or leak.
 * Built by `make fuzzers` (clang); run by tests/test-fuzz.sh and
 * `make fuzz`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../runner/internal.h"

static char dir[] = "/tmp/fuzz_stack.XXXXXX";

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  if (mkdtemp (dir) == NULL)
    abort ();
  return 0;
}

/* Writes the input to DIR/NAME; its path (static). */
static const char *
put (const char *name, const uint8_t *data, size_t size)
{
  static char path[256];
  FILE *f;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  if ((f = fopen (path, "w")) == NULL)
    abort ();
  fwrite (data, 1, size, f);
  fclose (f);
  return path;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct stack st;
  struct scenario sc;

  if (stack_load (put ("s.json", data, size), &st) == 0)
    cJSON_Delete (stack_redacted (&st));
  stack_free (&st);
  put ("f.fio", data, size);
  if (scenario_load (dir, "f", &sc) == 0 &&
      scenario_override (&sc, "3", "16M") == 0)
    free (scenario_render (&sc, "ioengine=null\n"));
  scenario_free (&sc);
  return 0;
}
