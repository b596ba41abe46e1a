/* hops.c: the decisions made from a layer's measured boundaries (the
 * record's "boundaries", top to bottom: fio, then each probe): where the
 * concurrency collapses (the serialization point) and where the waiting
 * happens.  Pure: boundaries in, verdict out (tests/unit/test_hops.c).
 */
#include <math.h>
#include <string.h>

#include "internal.h"

/* Judges the boundaries BOUNDS; see internal.h. */
void
hops_judge (const struct rm_boundary *bounds, size_t n, struct hop_verdict *v)
{
  const struct rm_boundary *prev = NULL;
  double worst = 0, drop = 0;
  int i = 0;

  memset (v, 0, sizeof *v);
  v->collapse = v->wait = -1;
  for (size_t j = 0; j < n; j++) {
    const struct rm_boundary *bd = &bounds[j];

    if (prev) {
      double above = rm_concurrency (prev), below = rm_concurrency (bd);
      double ma = prev->flight_mean, mb = bd->flight_mean;

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
