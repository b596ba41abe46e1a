/* targets.c: the table of targets.  Adding a layer is one target_*.c file
 * (the Makefile builds every runner/target_*.c) and one line in TARGETS
 * here.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* The default ladder is this order: X(NAME) for the struct target
 * target_NAME that runner/target_NAME.c defines.
 */
#define TARGETS(X) \
  X (host)         \
  X (direct)       \
  X (nbd_unix)     \
  X (nbd_tcp)      \
  X (qemu_nbd)     \
  X (guest_image)  \
  X (guest)        \
  X (clients)

#define DECLARE(n) extern const struct target target_##n;
#define ENTRY(n) &target_##n,
TARGETS (DECLARE)
static const struct target *const targets[] = { TARGETS (ENTRY) };

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

size_t
target_count (void)
{
  return sizeof targets / sizeof targets[0];
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
