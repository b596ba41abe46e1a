/* fuzz_fio.c: libFuzzer target for the readers of fio's output: its
 * json+ (the figures of a layer, the merged latency bins and their
 * percentiles) and import's reader of fio's JSON and normal text output.
 * Built by `make fuzzers` (clang); run by tests/test-fuzz.sh and
 * `make fuzz`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../reports/internal.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *text = xmalloc (size + 1);
  struct import_info info;
  cJSON *doc, *t;

  memcpy (text, data, size);
  text[size] = '\0';
  if ((doc = fio_json_parse (text))) {
    struct fio_result r;
    struct bins b;
    const cJSON *jobs = cJSON_GetObjectItem (doc, "jobs");

    fio_result_from_jobs (jobs, &r);
    bins_from_jobs (jobs, NULL, &b);
    (void) bins_percentile (&b, 50);
    (void) bins_percentile (&b, 99.9);
    (void) bins_percentile (&b, 100);
    bins_free (&b);
    cJSON_Delete (doc);
  }
  t = import_figures (text, "guest", &info);
  cJSON_Delete (t);
  free (info.name);
  free (info.version);
  free (text);
  return 0;
}
