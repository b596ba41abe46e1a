/* pin.c: where a run's processes may run (the stack's "pin", --pin).
 *
 * Pinned, fio, each service and each server a layer starts get CPUs of
 * their own: disjoint sets out of those this process may use
 * (sched_getaffinity, so taskset and cgroups are respected).  The client
 * and the servers then neither take turns on one CPU nor migrate between
 * them, so that two runs of a gate's pair differ by what changed, not by
 * where the scheduler happened to put things.
 *
 *   auto  (the default) pin when every process can have a CPU of its
 *         own; else leave it to the scheduler, and say why;
 *   on    pin anyway: with fewer CPUs than processes, fio keeps a CPU
 *         of its own and the servers share the rest;
 *   off   the scheduler decides.
 *
 * The CPUs are split evenly, fio taking what does not divide.  The plan
 * is per run (services outlive a layer): fio, every service of the
 * stack and the most servers any of the run's layers starts.
 * The record says what was asked and what was done ("cpus", and each
 * target's "cpus"), and a gate prints it.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const mode_names[] = { "auto", "on", "off" };

int
pin_parse (const char *text, enum pin_mode *mode)
{
  for (int k = 0; k < 3; k++)
    if (strcmp (text, mode_names[k]) == 0) {
      *mode = (enum pin_mode) k;
      return 0;
    }
  return -1;
}

const char *
pin_mode_name (enum pin_mode mode)
{
  return mode_names[mode];
}

/* "0-3,6": the CPUs of SET. */
static void
pin_cpus_text (const cpu_set_t *set, char *buf, size_t n)
{
  size_t len = 0;

  buf[0] = '\0';
  for (int c = 0; c < CPU_SETSIZE && len < n; c++) {
    int end = c;

    if (!CPU_ISSET (c, set))
      continue;
    while (end + 1 < CPU_SETSIZE && CPU_ISSET (end + 1, set))
      end++;
    if (end == c)
      len += (size_t) snprintf (buf + len, n - len, "%s%d", len ? "," : "", c);
    else
      len += (size_t) snprintf (buf + len, n - len, "%s%d-%d", len ? "," : "",
                                c, end);
    c = end;
  }
}

void
pin_add_cpus (cJSON *o, const char *key, const cpu_set_t *set)
{
  char cpus[128];

  if (set == NULL)
    return;
  pin_cpus_text (set, cpus, sizeof cpus);
  cJSON_AddStringToObject (o, key, cpus);
}

void
pin_plan (struct run *run, enum pin_mode mode, size_t servers)
{
  struct pin_plan *p = &run->pin;
  struct stack *st = run->st;
  cpu_set_t own;
  int cpus[CPU_SETSIZE];
  size_t ncpu = 0, procs = 0, slots;
  char list[128];

  memset (p, 0, sizeof *p);
  p->mode = mode;
  if (sched_getaffinity (0, sizeof own, &own) == -1) {
    snprintf (p->why, sizeof p->why, "not pinned: sched_getaffinity: %s",
              strerror (errno));
    return;
  }
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET (c, &own))
      cpus[ncpu++] = c;
  pin_cpus_text (&own, p->available, sizeof p->available);
  /* fio, every service, and the most servers a layer starts. */
  procs = 1 + st->nsvc + servers;
  if (mode == PIN_OFF) {
    snprintf (p->why, sizeof p->why, "not pinned (pin: off): the scheduler "
              "places the processes on CPUs %s", p->available);
    return;
  }
  if (procs < 2 || ncpu < 2) {
    snprintf (p->why, sizeof p->why, "not pinned: %s", ncpu < 2
              ? "one CPU to run on" : "fio alone, nothing to keep apart");
    return;
  }
  if (procs > ncpu && mode == PIN_AUTO) {
    snprintf (p->why, sizeof p->why, "not pinned (pin: auto): %zu processes "
              "(fio, services, servers) and %zu CPUs (%s); "
              "\"pin\": \"on\" gives fio a CPU of its own and the servers "
              "the rest", procs, ncpu, p->available);
    return;
  }
  /* Slot 0 fio, 1..nsvc the services, then a layer's servers. */
  slots = procs < PIN_SLOTS ? procs : PIN_SLOTS;
  if (procs <= ncpu) {
    size_t each = ncpu / procs, at = 0;

    /* fio: its share and what does not divide. */
    for (size_t s = 0; s < slots; s++) {
      size_t take = each + (s == 0 ? ncpu % procs : 0);

      CPU_ZERO (&p->slot[s]);
      for (size_t k = 0; k < take; k++)
        CPU_SET (cpus[at++], &p->slot[s]);
    }
    pin_cpus_text (&p->slot[0], list, sizeof list);
    snprintf (p->why, sizeof p->why, "pinned: %zu processes (fio, services, "
              "servers), %zu CPUs (%s): each on CPUs of its own, fio on %s",
              procs, ncpu, p->available, list);
  }
  else {
    CPU_ZERO (&p->slot[0]);
    CPU_SET (cpus[0], &p->slot[0]);
    for (size_t s = 1; s < slots; s++) {
      CPU_ZERO (&p->slot[s]);
      for (size_t k = 1; k < ncpu; k++)
        CPU_SET (cpus[k], &p->slot[s]);
    }
    pin_cpus_text (&p->slot[1], list, sizeof list);
    snprintf (p->why, sizeof p->why, "pinned (pin: on): %zu processes (fio, "
              "services, servers), %zu CPUs: fio on CPU %d, the others "
              "sharing %s", procs, ncpu, cpus[0], list);
  }
  p->nslots = slots;
  p->pinned = true;
  for (size_t i = 0; i < st->nsvc && 1 + i < PIN_SLOTS; i++)
    st->svc[i].cpus = &p->slot[1 + i];
}

const cpu_set_t *
pin_fio (const struct run *run)
{
  return run->pin.pinned ? &run->pin.slot[0] : NULL;
}

const cpu_set_t *
pin_server (const struct run *run, size_t k)
{
  size_t s = 1 + run->st->nsvc + k;

  return run->pin.pinned && s < run->pin.nslots ? &run->pin.slot[s] : NULL;
}

cJSON *
pin_record (const struct run *run)
{
  cJSON *o = cJSON_CreateObject ();

  cJSON_AddStringToObject (o, "pin", pin_mode_name (run->pin.mode));
  cJSON_AddBoolToObject (o, "pinned", run->pin.pinned);
  cJSON_AddStringToObject (o, "available", run->pin.available);
  cJSON_AddStringToObject (o, "placement", run->pin.why);
  return o;
}
