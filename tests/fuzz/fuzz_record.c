/* fuzz_record.c: libFuzzer target for every reader of a record
 * (run.json, a gate's gate.json, an exploration's explore.json): the record model's checks and
 * look-ups, the figures the report, compare, history and the gate read,
 * the report's Markdown and a gate's summary.
 * Whatever the input, nothing may crash, hang or leak.
 * Built by `make fuzzers` (clang); run by tests/test-fuzz.sh and
 * `make fuzz`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../reports/internal.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *text = xmalloc (size + 1);
  const char *why;
  struct rm_run run;
  cJSON *doc;

  memcpy (text, data, size);
  text[size] = '\0';
  /* A gate's record, as `viperbench report GATE-N` reads it. */
  doc = cJSON_Parse (text);
  free (gate_summary_of (doc));
  /* An exploration's record, as `viperbench report EXPLORE-N` reads it. */
  free (explore_summary_of (doc));
  cJSON_Delete (doc);
  doc = record_parse (text, &why);
  free (text);
  if (doc == NULL)
    return 0;
  (void) record_status (doc);
  /* The record's model and its look-ups, and what reads it: the gate's
   * figures, compare's differential profile of every pair of layers,
   * the bottleneck judge.
   */
  rm_run_read (doc, &run);
  (void) rm_baseline (&run);
  for (size_t i = 0; i < run.ntargets; i++) {
    const struct rm_target *t = &run.targets[i];
    struct doc *dc = doc_new ();

    (void) rm_target_named (&run, t->name);
    (void) rm_fact_num (t, "boot_s");
    (void) rm_fact_text (t, "accel");
    (void) rm_proc_of (t, "nbdkit");
    (void) rm_resource (t, RM_FDS_MAX);
    cJSON *v = bottleneck_judge (t, 2);

    cJSON_Delete (v);
    for (int m = 0; m < GM_COUNT; m++)
      (void) gate_metric_value (t, m, "nbdkit");
    for (size_t j = 0; j < run.ntargets; j++)
      profile_diff (dc, t->name, &run.targets[j], t, i == j);
    free (doc_md (dc));
    doc_free (dc);
  }
  rm_run_free (&run);
  free (report_text ("/nonexistent/viperbench-fuzz", doc));
  {
    struct records r = { .doc = &doc, .dir = (char *[]) { (char *) "x" },
                         .n = 1 };

    struct doc *d;

    r.run = xcalloc (1, sizeof *r.run);
    rm_run_read (doc, r.run);
    d = compare_doc (&r, &r, "A", "B", NULL);
    free (doc_md (d));
    doc_free (d);
    rm_run_free (r.run);
    free (r.run);
  }
  cJSON_Delete (doc);
  return 0;
}
