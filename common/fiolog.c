/* fiolog.c: fio's histogram logs (write_hist_log=hist, log_hist_msec),
 * the one reader of them: a layer's run over time, per interval, from
 * every job's DIR/hist_clat_hist.N.log.
 *
 * Each line is "msec, direction, bs, bin0, ..., binK": the completions
 * of that job and direction since its previous line, by completion
 * latency, in fio's log-linear bins (plat_idx_to_val in fio's stat.c).
 * fio writes a line when a completion finds the interval over, so a
 * stretch with no completion leaves no line: those intervals count 0;
 * and a job's last, partial interval is never written: the timeline
 * ends with the last interval every job logged.  A job's intervals are
 * counted from its own first line (fio starts its windows at the job's
 * first completion).
 */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* fio's FIO_IO_U_PLAT_BITS, _VAL and _NR (3.x). */
#define PLAT_BITS 6
#define PLAT_VAL (1 << PLAT_BITS)
#define PLAT_NR (29 * PLAT_VAL)
/* At most this many intervals (an hour of seconds: 15 KiB of bins each)
 * are kept; later lines are left out.
 */
#define MAX_INTERVALS 3600

/* The latency (ns) bin IDX stands for: the middle of its range. */
static double
plat_val (unsigned idx)
{
  unsigned error_bits;
  double base;

  if (idx < (PLAT_VAL << 1))
    return idx;
  error_bits = (idx >> PLAT_BITS) - 1;
  base = ldexp (1, error_bits + PLAT_BITS);
  return base + ((idx % PLAT_VAL) + 0.5) * ldexp (1, error_bits);
}

/* Adds one log file's lines to the per-interval counts COUNT[i] and
 * bins BINS[i * PLAT_NR + k]; the last interval seen into *LAST.
 */
static int
read_log (const char *path, double interval_ms, double **count,
          double **bins, size_t *cap, size_t *last)
{
  FILE *f = fopen (path, "re");
  char *line = NULL;
  size_t lcap = 0;
  ssize_t len;
  int r = 0;

  if (f == NULL) {
    vb_msg ("open %s: %m", path);
    return -1;
  }
  double first = NAN;

  while ((len = getline (&line, &lcap, f)) > 0) {
    char *p = line, *end;
    double t = strtod (p, &end), sum = 0;
    size_t i;
    unsigned k = 0;

    if (end == p || !(t >= 0))
      continue;
    /* fio's windows start at the job's first completion, so its lines
     * fall at the same phase each interval (1499, 2500, 3501 ms):
     * counted from its own first line, never rounded across a boundary
     * that would leave an interval empty (a false stall).
     */
    if (isnan (first))
      first = t;
    i = (size_t) llround ((t - first) / interval_ms) + 1;
    if (i > MAX_INTERVALS)
      continue;
    /* Past the time, the direction and the block size. */
    for (int skip = 0; skip < 3 && p; skip++)
      p = strchr (p + (skip > 0), ',');
    if (p == NULL)
      continue;
    if (i > *cap) {
      size_t n = i + 64;

      *count = xreallocarray (*count, n, sizeof **count);
      *bins = xreallocarray (*bins, n * PLAT_NR, sizeof **bins);
      memset (*count + *cap, 0, (n - *cap) * sizeof **count);
      memset (*bins + *cap * PLAT_NR, 0, (n - *cap) * PLAT_NR * sizeof **bins);
      *cap = n;
    }
    for (; p != NULL && k < PLAT_NR; p = strchr (p + 1, ','), k++) {
      double c = strtod (p + 1, &end);

      if (end != p + 1 && c > 0 && isfinite (c)) {
        (*bins)[(i - 1) * PLAT_NR + k] += c;
        sum += c;
      }
    }
    (*count)[i - 1] += sum;
    if (i > *last)
      *last = i;
  }
  free (line);
  if (ferror (f)) {
    vb_msg ("read %s: %m", path);
    r = -1;
  }
  fclose (f);
  return r;
}

int
fiolog_timeline (const char *dir, double interval_s, struct timeline *tl)
{
  DIR *d = opendir (dir);
  struct dirent *e;
  double *count = NULL, *bins = NULL, *ns;
  size_t cap = 0, last = 0, files = 0, common = SIZE_MAX;
  int r = 0;

  memset (tl, 0, sizeof *tl);
  if (d == NULL)
    return 0;
  while ((e = readdir (d)) != NULL && r == 0) {
    size_t n = strlen (e->d_name);
    char *path;

    if (strncmp (e->d_name, "hist_clat_hist.", 15) != 0 || n < 5 ||
        strcmp (e->d_name + n - 4, ".log") != 0)
      continue;
    path = xasprintf ("%s/%s", dir, e->d_name);
    last = 0;
    r = read_log (path, interval_s * 1000, &count, &bins, &cap, &last);
    free (path);
    if (last > 0) {
      files++;
      common = last < common ? last : common;
    }
  }
  closedir (d);
  last = files ? common : 0;
  if (r == 0 && last > 0) {
    tl->n = last;
    tl->interval_s = interval_s;
    tl->iops = xmalloc (last * sizeof *tl->iops);
    tl->p99_ns = xmalloc (last * sizeof *tl->p99_ns);
    /* Each interval's bins, as bins.c computes percentiles from. */
    ns = xmalloc (PLAT_NR * sizeof *ns);
    for (unsigned k = 0; k < PLAT_NR; k++)
      ns[k] = plat_val (k);
    for (size_t i = 0; i < last; i++) {
      struct bins b = {
        .ns = ns, .count = bins + i * PLAT_NR, .n = PLAT_NR, .total = count[i],
      };

      tl->iops[i] = count[i] / interval_s;
      tl->p99_ns[i] = bins_percentile (&b, 99);
    }
    free (ns);
  }
  free (count);
  free (bins);
  return r == -1 ? -1 : (int) (files > 0 && last > 0);
}

void
timeline_free (struct timeline *tl)
{
  free (tl->iops);
  free (tl->p99_ns);
  memset (tl, 0, sizeof *tl);
}
