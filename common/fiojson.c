/* fiojson.c: the one reader of fio's json+ output: the JSON behind fio's
 * log lines, and a layer's figures from its "jobs" array.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* True for the entry fio's client adds to "client_stats" when it ran
 * several clients: their sums under the name "All clients", without
 * job options, percentiles or bins (fio 3.33).
 */
static bool
all_clients_entry (const cJSON *j)
{
  const cJSON *name = cJSON_GetObjectItemCaseSensitive (j, "jobname");

  return cJSON_IsString (name) && strcmp (name->valuestring, "All clients") == 0
    && !cJSON_HasObjectItem (j, "job options");
}

/* fio --client writes its jobs as "client_stats", each with the hostname
 * and port of the fio server that ran it.  Every reader here reads
 * "jobs": the clients' jobs become the jobs (their bins summed by
 * whoever merges them), and fio's sum of them, which has neither
 * percentiles nor bins, is dropped.
 */
static void
normalise_clients (cJSON *doc)
{
  cJSON *cs = cJSON_DetachItemFromObjectCaseSensitive (doc, "client_stats");
  cJSON *jobs, *j;

  if (cs == NULL)
    return;
  if (!cJSON_IsArray (cs) || cJSON_HasObjectItem (doc, "jobs")) {
    cJSON_Delete (cs);
    return;
  }
  jobs = cJSON_AddArrayToObject (doc, "jobs");
  while ((j = cJSON_DetachItemFromArray (cs, 0)) != NULL) {
    if (all_clients_entry (j))
      cJSON_Delete (j);
    else
      cJSON_AddItemToArray (jobs, j);
  }
  cJSON_Delete (cs);
  cJSON_AddStringToObject (doc, "viperbench_clients",
                           "fio --client's client_stats as jobs[] (each "
                           "with its hostname and port); its \"All "
                           "clients\" entry dropped (no percentiles, no bins)");
}

/* Parses the first JSON object in TEXT (fio writes log lines first). */
cJSON *
fio_json_parse (const char *text)
{
  const char *p = text;
  cJSON *doc;

  while (p && *p && *p != '{') {
    p = strchr (p, '\n');
    if (p)
      p++;
  }
  doc = p && *p ? cJSON_Parse (p) : NULL;
  if (cJSON_IsObject (doc))
    normalise_clients (doc);
  return doc;
}

static double
num (const cJSON *o, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (o, key);

  return cJSON_IsNumber (v) ? v->valuedouble : 0;
}

/* Folds one direction of every job into OUT. */
static void
aggregate (const cJSON *jobs, const char *ddir, struct dir_stats *out,
           unsigned flags)
{
  const cJSON *job;
  size_t njobs = 0;
  double lat_sum = 0;

  memset (out, 0, sizeof *out);
  cJSON_ArrayForEach (job, jobs) {
    const cJSON *d = cJSON_GetObjectItemCaseSensitive (job, ddir);
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive (d, "lat_ns");
    const cJSON *pct = cJSON_GetObjectItemCaseSensitive (lat, "percentile");
    double n = num (d, "total_ios");

    /* Output fio wrote without total latency's percentiles (its default
     * before lat_percentiles): those of completion latency.
     */
    if (pct == NULL && (flags & FIO_CLAT_FALLBACK))
      pct = cJSON_GetObjectItemCaseSensitive (
        cJSON_GetObjectItemCaseSensitive (d, "clat_ns"), "percentile");
    /* A count: a hostile file's 4e95 or -1 is none (and no conversion
     * out of range, which C leaves undefined).
     */
    uint64_t ios = n >= 0 && n < 9.2e18 ? (uint64_t) n : 0;

    njobs++;
    out->iops += num (d, "iops");
    out->bw_bytes += num (d, "bw_bytes");
    out->total_ios += ios;
    out->io_bytes += num (d, "io_bytes");
    lat_sum += num (lat, "mean") * (double) ios;
    /* One job (or group_reporting): fio's own percentiles. */
    out->lat_p50 = num (pct, "50.000000");
    out->lat_p99 = num (pct, "99.000000");
    out->lat_p999 = num (pct, "99.900000");
  }
  if (out->total_ios)
    out->lat_mean = lat_sum / (double) out->total_ios;
  if (njobs > 1) {
    /* Several jobs: percentiles of the merged bins. */
    struct bins b;

    bins_from_jobs (jobs, ddir, &b);
    if (b.n > 0) {
      out->lat_p50 = bins_percentile (&b, 50);
      out->lat_p99 = bins_percentile (&b, 99);
      out->lat_p999 = bins_percentile (&b, 99.9);
    }
    else {
      /* Without bins (plain JSON) percentiles of several jobs cannot be
       * merged: unknown, not the last job's.
       */
      out->lat_p50 = out->lat_p99 = out->lat_p999 = NAN;
    }
    bins_free (&b);
  }
}

/* fio's window for JOB in ms; see internal.h. */
double
fio_job_window_ms (const cJSON *job)
{
  static const char *const dirs[] = { "read", "write", "trim" };
  double w = 0;

  /* Each direction's "runtime" is the longest of the group's jobs; the
   * job's "job_runtime" sums them (4 jobs of 3 s: 12 s).
   */
  for (size_t i = 0; i < 3; i++) {
    double r = num (cJSON_GetObjectItemCaseSensitive (job, dirs[i]), "runtime");

    if (r > w)
      w = r;
  }
  return w > 0 ? w : num (job, "job_runtime");
}

/* The figures of a "jobs" array; see internal.h. */
void
fio_result_from_jobs_flags (const cJSON *jobs, struct fio_result *res,
                            unsigned flags)
{
  const cJSON *job;
  double total = 0;

  memset (res, 0, sizeof *res);
  aggregate (jobs, "read", &res->read, flags);
  aggregate (jobs, "write", &res->write, flags);
  cJSON_ArrayForEach (job, jobs) {
    static const char *const levels[FIO_DEPTH_LEVELS] = {
      "1", "2", "4", "8", "16", "32", ">=64",
    };
    const cJSON *dl = cJSON_GetObjectItemCaseSensitive (job, "iodepth_level");
    double ios = num (cJSON_GetObjectItemCaseSensitive (job, "read"), "total_ios") +
                 num (cJSON_GetObjectItemCaseSensitive (job, "write"), "total_ios");

    for (size_t i = 0; i < FIO_DEPTH_LEVELS && dl && ios > 0; i++)
      res->depth_level[i] += num (dl, levels[i]) / 100 * ios;
    total += dl && ios > 0 ? ios : 0;
    if (!res->error)
      res->error = (int) num (job, "error");
    if (fio_job_window_ms (job) / 1000 > res->runtime_s)
      res->runtime_s = fio_job_window_ms (job) / 1000;
  }
  for (size_t i = 0; i < FIO_DEPTH_LEVELS && total > 0; i++)
    res->depth_level[i] /= total;
}

/* The figures of fio's document DOC; see internal.h. */
ssize_t
fio_json_result (const cJSON *doc, struct fio_result *res, unsigned flags)
{
  const cJSON *jobs = cJSON_GetObjectItemCaseSensitive (doc, "jobs");

  if (!cJSON_IsArray (jobs))
    return -1;
  fio_result_from_jobs_flags (jobs, res, flags);
  return cJSON_GetArraySize (jobs);
}

void
fio_result_from_jobs (const cJSON *jobs, struct fio_result *res)
{
  fio_result_from_jobs_flags (jobs, res, 0);
}

/* The first job's name and fio's version in DOC; see internal.h. */
void
fio_json_identity (const cJSON *doc, char **name, char **version)
{
  const char *v = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (doc, "fio version"));
  const cJSON *j;

  if (v && *version == NULL)
    *version = xstrdup (v);
  cJSON_ArrayForEach (j, cJSON_GetObjectItemCaseSensitive (doc, "jobs")) {
    const char *n = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (j, "jobname"));

    if (n && *name == NULL)
      *name = xstrdup (n);
  }
}

/* Parses fio's json+ output FILE; 0 or -1. */
int
fio_parse (const char *path, struct fio_result *res)
{
  char *text = read_file (path, NULL);
  cJSON *doc, *jobs;

  memset (res, 0, sizeof *res);
  if (text == NULL) {
    vb_msg ("read %s: %s", path, strerror (errno));
    return -1;
  }
  doc = fio_json_parse (text);
  free (text);
  jobs = cJSON_GetObjectItemCaseSensitive (doc, "jobs");
  if (!cJSON_IsArray (jobs) || cJSON_GetArraySize (jobs) == 0) {
    vb_msg ("%s: no fio JSON with jobs", path);
    cJSON_Delete (doc);
    return -1;
  }
  fio_result_from_jobs (jobs, res);
  cJSON_Delete (doc);
  return 0;
}

int
bins_load_fio_ddir (const char *path, const char *ddir, struct bins *b)
{
  char *text = read_file (path, NULL);
  cJSON *doc = text ? fio_json_parse (text) : NULL;

  memset (b, 0, sizeof *b);
  free (text);
  if (doc == NULL)
    return -1;
  bins_from_jobs (cJSON_GetObjectItem (doc, "jobs"), ddir, b);
  cJSON_Delete (doc);
  return 0;
}

int
bins_load_fio (const char *path, struct bins *b)
{
  return bins_load_fio_ddir (path, NULL, b);
}

/* The clients of fio --client's jobs; see internal.h. */
size_t
fio_clients_split (const cJSON *jobs, struct fio_client **out)
{
  struct fio_client *c = NULL;
  cJSON **theirs = NULL;
  size_t n = 0;
  const cJSON *job;

  *out = NULL;
  cJSON_ArrayForEach (job, jobs) {
    const cJSON *h = cJSON_GetObjectItemCaseSensitive (job, "hostname");
    int port = (int) num (job, "port");
    size_t i;

    if (!cJSON_IsString (h))
      continue;
    for (i = 0; i < n; i++)
      if (strcmp (c[i].host, h->valuestring) == 0 && c[i].port == port)
        break;
    if (i == n) {
      c = xrealloc (c, (n + 1) * sizeof *c);
      theirs = xrealloc (theirs, (n + 1) * sizeof *theirs);
      memset (&c[n], 0, sizeof c[n]);
      c[n].host = xstrdup (h->valuestring);
      c[n].port = port;
      theirs[n] = cJSON_CreateArray ();
      n++;
    }
    cJSON_AddItemReferenceToArray (theirs[i], (cJSON *) job);
    c[i].jobs++;
  }
  for (size_t i = 0; i < n; i++) {
    fio_result_from_jobs (theirs[i], &c[i].res);
    cJSON_Delete (theirs[i]);
  }
  free (theirs);
  *out = c;
  return n;
}

void
fio_clients_free (struct fio_client *c, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (c[i].host);
  free (c);
}
