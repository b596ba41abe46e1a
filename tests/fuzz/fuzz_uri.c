/* fuzz_uri.c: libFuzzer target for the engine's URI parser (nbd://,
 * nbd+unix://, plugin:), which takes what a user writes after uri=.
 * Built by `make fuzzers` (clang); run by tests/test-fuzz.sh and
 * `make fuzz`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/internal.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *text = malloc (size + 1);
  struct vb_uri uri;

  if (text == NULL)
    return 0;
  memcpy (text, data, size);
  text[size] = '\0';
  memset (&uri, 0, sizeof uri);
  vb_uri_parse (text, &uri);
  vb_uri_free (&uri);
  free (text);
  return 0;
}
