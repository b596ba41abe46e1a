/* collectors.c: the table of collectors, in the order they start. */
#include <string.h>

#include "internal.h"

const struct collector *const collectors[] = {
  &collector_cpu,
  &collector_counters,
  &collector_disk,
  &collector_perf,
};

const size_t ncollectors = sizeof collectors / sizeof collectors[0];

const struct collector *
collector_find (const char *name)
{
  for (size_t i = 0; i < ncollectors; i++)
    if (strcmp (collectors[i]->name, name) == 0)
      return collectors[i];
  return NULL;
}
