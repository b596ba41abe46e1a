/* hops.c: the decisions made from a layer's measured boundaries (the
 * record's "boundaries", top to bottom: fio, then each probe): where the
 * concurrency collapses (the serialization point) and where the waiting
 * happens.  Pure: boundaries in, verdict out (tests/unit/test_hops.c).
 */
#include <math.h>
#include <string.h>

#include "internal.h"

/* What arrives at boundary BD from above: what fio was asked to keep in
 * flight, or the most a probe saw at once.
 */
double
hop_concurrency (const cJSON *bd)
{
  double req = boundary_num (bd, "in_flight.requested");

  return isnan (req) ? boundary_num (bd, "in_flight.max") : req;
}

/* Judges the boundaries BOUNDS; see internal.h. */
void
hops_judge (const cJSON *bounds, struct hop_verdict *v)
{
  const cJSON *prev = NULL, *bd;
  double worst = 0, drop = 0;
  int i = 0;

  memset (v, 0, sizeof *v);
  v->collapse = v->wait = -1;
  cJSON_ArrayForEach (bd, bounds) {
    if (prev) {
      double above = hop_concurrency (prev), below = hop_concurrency (bd);
      double ma = boundary_num (prev, "in_flight.mean");
      double mb = boundary_num (bd, "in_flight.mean");

      /* Concurrency collapses below half of what arrives, and the
       * boundary below is kept at least half full on average (else its
       * service is quick and its maximum says only how bursty arrivals
       * are): the most collapsed such hop is the serialization point.
       */
      if (above > 0 && below > 0 && below < 0.5 * above &&
          !isnan (mb) && mb >= 0.5 * below &&
          above / below > worst) {
        worst = above / below;
        v->collapse = i;
        v->arriving = above;
        v->reaching = below;
        v->reaching_mean = mb;
      }
      /* Where requests wait: the largest fall of the mean in flight. */
      if (!isnan (ma) && !isnan (mb) && ma - mb > drop) {
        drop = ma - mb;
        v->wait = i;
        v->wait_above = ma;
        v->wait_below = mb;
      }
    }
    prev = bd;
    i++;
  }
  v->n = i;
}
