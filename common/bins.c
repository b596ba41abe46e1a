/* bins.c: fio's latency histogram bins, merged across jobs and
 * directions, and percentiles computed from them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct pair { double ns, count; };

static int
cmp_pair (const void *a, const void *b)
{
  double x = ((const struct pair *) a)->ns, y = ((const struct pair *) b)->ns;

  return (x > y) - (x < y);
}

static void
add_bins (const cJSON *bins, struct pair **v, size_t *n)
{
  const cJSON *e;

  if (!cJSON_IsObject (bins))
    return;
  cJSON_ArrayForEach (e, bins) {
    double ns = strtod (e->string, NULL), count = json_num (e);

    /* {"<bucket ns>": count}; anything else is not fio's. */
    if (!(ns >= 0 && count > 0 && isfinite (ns) && isfinite (count)))
      continue;
    *v = xreallocarray (*v, *n + 1, sizeof **v);
    (*v)[*n].ns = ns;
    (*v)[*n].count = count;
    (*n)++;
  }
}

/* Merges the lat_ns bins of DDIR (NULL: both) of every job in JOBS. */
void
bins_from_jobs (const cJSON *jobs, const char *ddir, struct bins *b)
{
  static const char *const dirs[] = { "read", "write" };
  const cJSON *job;
  struct pair *v = NULL;
  size_t n = 0;

  memset (b, 0, sizeof *b);
  cJSON_ArrayForEach (job, jobs)
    for (int d = 0; d < 2; d++) {
      if (ddir && strcmp (ddir, dirs[d]) != 0)
        continue;
      add_bins (cJSON_GetObjectItem (cJSON_GetObjectItem (
                  cJSON_GetObjectItem (job, dirs[d]), "lat_ns"), "bins"),
                &v, &n);
    }
  if (n)
    qsort (v, n, sizeof *v, cmp_pair);
  b->ns = xmalloc ((n ? n : 1) * sizeof *b->ns);
  b->count = xmalloc ((n ? n : 1) * sizeof *b->count);
  for (size_t i = 0; i < n; i++) {
    if (b->n && b->ns[b->n - 1] == v[i].ns)
      b->count[b->n - 1] += v[i].count;
    else {
      b->ns[b->n] = v[i].ns;
      b->count[b->n++] = v[i].count;
    }
    b->total += v[i].count;
  }
  free (v);
}

double
bins_percentile (const struct bins *b, double p)
{
  double want = b->total * p / 100.0, cum = 0;

  if (b->n == 0 || b->total == 0)
    return NAN;
  for (size_t i = 0; i < b->n; i++) {
    cum += b->count[i];
    if (cum >= want)
      return b->ns[i];
  }
  return b->ns[b->n - 1];
}

void
bins_write_curve (const struct bins *b, FILE *f)
{
  static const double ps[] = {
    1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 99.5, 99.9, 99.95,
    99.99, 100,
  };

  for (size_t i = 0; i < sizeof ps / sizeof ps[0] && b->n; i++)
    fprintf (f, "%g %.0f\n", ps[i], bins_percentile (b, ps[i]));
}

void
bins_free (struct bins *b)
{
  free (b->ns);
  free (b->count);
  memset (b, 0, sizeof *b);
}
