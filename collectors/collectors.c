/* collectors.c: the table of collectors, in the order they start. */
#include "internal.h"

const struct collector *const collectors[] = {
  &collector_cpu,
  &collector_counters,
  &collector_disk,
  &collector_resources,
  &collector_perf,
};

const size_t ncollectors = sizeof collectors / sizeof collectors[0];
