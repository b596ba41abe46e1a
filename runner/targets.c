/* targets.c: the table of targets.  Adding a layer is one target_*.c file
 * and one line here.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

_Static_assert (MAX_TARGETS >= 7, "MAX_TARGETS holds the table");

/* The default ladder is this order. */
static const struct target *const targets[] = {
  &target_host,
  &target_direct,
  &target_nbd_unix,
  &target_nbd_tcp,
  &target_qemu_nbd,
  &target_guest,
  &target_clients,
};

const struct target *
target_find (const char *name)
{
  for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
    if (strcmp (targets[i]->name, name) == 0)
      return targets[i];
  return NULL;
}

const struct target *
target_at (size_t i)
{
  return i < sizeof targets / sizeof targets[0] ? targets[i] : NULL;
}

size_t
target_index (const struct target *t)
{
  size_t i;

  for (i = 0; targets[i] != t; i++)
    ;
  return i;
}

const struct target *
target_baseline (void)
{
  for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
    if (targets[i]->baseline)
      return targets[i];
  return NULL;
}

void
target_list (char *buf, size_t n)
{
  size_t used = 0;

  buf[0] = '\0';
  for (size_t i = 0; i < sizeof targets / sizeof targets[0] && used < n; i++)
    used += (size_t) snprintf (buf + used, n - used, "%s%s", i ? ", " : "",
                               targets[i]->name);
}
