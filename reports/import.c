/* import.c: `viperbench import`: earlier results that exist only as fio
 * output (JSON, or the normal text output as pasted into a document)
 * become numbered records, so a team's old VM-1..VM-9 join the history.
 *
 *   viperbench import [--results DIR] [--prefix VM-] [--layer guest]
 *                     [--desc TEXT | --desc-file FILE] FIO-OUTPUT
 *
 * Text is read line by line as fio 3.x prints it: the job header
 * "(groupid=N, jobs=N)", "read: IOPS=..., BW=...(...MiB/...msec)", the
 * "lat (unit): min=..., avg=..." line (total latency), "clat percentiles
 * (unit):" blocks and "issued rwts: total=R,W,...".  Lines fio did not
 * write (a stray shell line, mis-encoded quotes) are passed over.  With
 * several job entries (group_reporting off) IOPS and bandwidth are
 * summed, the mean weighted by I/Os; text percentiles cannot be merged,
 * so they are kept only when there is one entry.  fio's JSON is read by
 * the one reader of it, common/fiojson.c (with completion latency's
 * percentiles where total latency's were not kept).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

struct dir_in {
  double iops, bw, mean_ns, p50, p99, p999;
  double ios;
  bool seen;
};

struct job_in {
  struct dir_in d[2];           /* read, write */
  double runtime_ms;
};

/* "1143", "73.4k", "1.2M" */
static double
scaled (const char *s)
{
  char *end;
  double v = strtod (s, &end);

  if (*end == 'k' || *end == 'K') v *= 1e3;
  else if (*end == 'M' || *end == 'm') v *= 1e6;
  return v;
}

/* "4573KiB/s" into bytes per second. */
static double
bw_bytes (const char *s)
{
  char *end;
  double v = strtod (s, &end);

  if (strncmp (end, "KiB", 3) == 0) return v * 1024;
  if (strncmp (end, "MiB", 3) == 0) return v * 1048576;
  if (strncmp (end, "GiB", 3) == 0) return v * 1073741824.0;
  if (strncmp (end, "kB", 2) == 0) return v * 1e3;
  if (strncmp (end, "MB", 2) == 0) return v * 1e6;
  if (strncmp (end, "GB", 2) == 0) return v * 1e9;
  return v;
}

/* The unit in "(usec)" etc. as nanoseconds per unit; 0 if none. */
static double
unit_ns (const char *s)
{
  const char *p = strchr (s, '(');

  if (p == NULL) return 0;
  if (strncmp (p, "(nsec)", 6) == 0) return 1;
  if (strncmp (p, "(usec)", 6) == 0) return 1e3;
  if (strncmp (p, "(msec)", 6) == 0) return 1e6;
  if (strncmp (p, "(sec)", 5) == 0) return 1e9;
  return 0;
}

/* Parses fio's text output; returns the number of job entries. */
static size_t
parse_text (char *text, struct job_in **jobs_out, char **name_out,
            char **version_out)
{
  struct job_in *jobs = NULL;
  size_t n = 0;
  int dir = -1;
  double pct_unit = 0;
  char *save = NULL;

  for (char *l = strtok_r (text, "\n", &save); l; l = strtok_r (NULL, "\n", &save)) {
    char *p;

    if (strncmp (l, "fio-", 4) == 0 && *version_out == NULL)
      *version_out = xstrdup (l);
    if ((p = strstr (l, ": (groupid=")) && strstr (l, "jobs=")) {
      jobs = xrealloc (jobs, (n + 1) * sizeof *jobs);
      memset (&jobs[n], 0, sizeof jobs[n]);
      for (int d = 0; d < 2; d++)
        jobs[n].d[d].p50 = jobs[n].d[d].p99 = jobs[n].d[d].p999 = NAN;
      if (*name_out == NULL)
        *name_out = strndup (l, (size_t) (p - l));
      n++;
      dir = -1;
      continue;
    }
    if (n == 0)
      continue;
    for (p = l; *p == ' '; p++)
      ;
    if (strncmp (p, "read: IOPS=", 11) == 0 || strncmp (p, "write: IOPS=", 12) == 0) {
      struct dir_in *d;
      char *bw = strstr (p, "BW="), *rt = strchr (p, '/');

      dir = p[0] == 'r' ? 0 : 1;
      d = &jobs[n - 1].d[dir];
      d->seen = true;
      d->iops = scaled (strchr (p, '=') + 1);
      if (bw)
        d->bw = bw_bytes (bw + 3);
      /* "(357MiB/80026msec)": the run time. */
      if ((rt = strstr (p, ")(")) && (rt = strchr (rt, '/')))
        jobs[n - 1].runtime_ms = strtod (rt + 1, NULL);
      pct_unit = 0;
      continue;
    }
    if (dir < 0)
      continue;
    if (strncmp (p, "lat (", 5) == 0 && strstr (p, "min=") && strstr (p, "avg=")) {
      double u = unit_ns (p);

      if (u > 0)
        jobs[n - 1].d[dir].mean_ns = strtod (strstr (p, "avg=") + 4, NULL) * u;
      continue;
    }
    if (strncmp (p, "clat percentiles (", 18) == 0 ||
        strncmp (p, "lat percentiles (", 17) == 0) {
      pct_unit = unit_ns (p);
      continue;
    }
    if (*p == '|' && pct_unit > 0) {
      /* "|  1.00th=[   55],  5.00th=[   63], ..." */
      for (char *q = strstr (p, "th=["); q; q = strstr (q + 4, "th=[")) {
        char *start = q;
        double pc, v;

        while (start > p && (isdigit ((unsigned char) start[-1]) || start[-1] == '.'))
          start--;
        pc = strtod (start, NULL);
        v = strtod (q + 4, NULL) * pct_unit;
        if (fabs (pc - 50) < 1e-9) jobs[n - 1].d[dir].p50 = v;
        else if (fabs (pc - 99) < 1e-9) jobs[n - 1].d[dir].p99 = v;
        else if (fabs (pc - 99.9) < 1e-9) jobs[n - 1].d[dir].p999 = v;
      }
      continue;
    }
    if (strncmp (p, "issued rwts: total=", 19) == 0) {
      char *q = p + 19;

      jobs[n - 1].d[0].ios = strtod (q, &q);
      if (*q == ',')
        jobs[n - 1].d[1].ios = strtod (q + 1, NULL);
      dir = -1;
    }
  }
  *jobs_out = jobs;
  return n;
}

/* The text's job entries folded into one direction's figures as a run
 * keeps them: IOPS, bandwidth and I/Os summed, the mean weighted by
 * I/Os; percentiles only of one entry (several cannot be merged), none
 * (NAN) for a direction without I/O.
 */
static void
text_stats (const struct job_in *jobs, size_t n, int d, struct dir_stats *out)
{
  double ios = 0, wsum = 0;

  memset (out, 0, sizeof *out);
  for (size_t i = 0; i < n; i++) {
    out->iops += jobs[i].d[d].iops;
    out->bw_bytes += jobs[i].d[d].bw;
    ios += jobs[i].d[d].ios;
    wsum += jobs[i].d[d].mean_ns * jobs[i].d[d].ios;
  }
  out->total_ios = ios > 0 && ios < 9.2e18 ? (uint64_t) ios : 0;
  out->lat_mean = ios > 0 ? (n == 1 ? jobs[0].d[d].mean_ns : wsum / ios) : NAN;
  out->lat_p50 = n == 1 && ios > 0 ? jobs[0].d[d].p50 : NAN;
  out->lat_p99 = n == 1 && ios > 0 ? jobs[0].d[d].p99 : NAN;
  out->lat_p999 = n == 1 && ios > 0 ? jobs[0].d[d].p999 : NAN;
}

/* fio's JSON through the one reader (common/fiojson.c), completion
 * latency's percentiles where total latency's were not kept; a
 * direction without I/O has no latency.  The number of job entries.
 */
static ssize_t
json_stats (const cJSON *doc, struct fio_result *res, struct import_info *info)
{
  ssize_t n = fio_json_result (doc, res, FIO_CLAT_FALLBACK);

  if (n < 0)
    return n;
  fio_json_identity (doc, &info->name, &info->version);
  for (int d = 0; d < 2; d++) {
    struct dir_stats *ds = d ? &res->write : &res->read;

    if (ds->total_ios == 0)
      ds->lat_mean = ds->lat_p50 = ds->lat_p99 = ds->lat_p999 = NAN;
  }
  return n;
}

/* Parses fio's output TEXT (JSON, or its normal text output); see
 * internal.h.
 */
cJSON *
import_figures (const char *text, const char *layer, struct import_info *info)
{
  struct fio_result res;
  cJSON *fj, *t;
  ssize_t nj = -1;
  size_t n;

  memset (info, 0, sizeof *info);
  /* JSON when a line starts with '{' (fio's log lines may precede it). */
  if ((fj = fio_json_parse (text)) && (nj = json_stats (fj, &res, info)) >= 0) {
    info->is_json = true;
    n = (size_t) nj;
  }
  else {
    char *copy = xstrdup (text);
    struct job_in *jobs = NULL;

    n = parse_text (copy, &jobs, &info->name, &info->version);
    free (copy);
    if (n > 0 && (jobs[0].d[0].seen || jobs[0].d[1].seen)) {
      text_stats (jobs, n, 0, &res.read);
      text_stats (jobs, n, 1, &res.write);
      res.runtime_s = jobs[0].runtime_ms / 1000;
    }
    else
      n = 0;
    free (jobs);
  }
  cJSON_Delete (fj);
  info->entries = n;
  if (n == 0)
    return NULL;
  t = cJSON_CreateObject ();
  cJSON_AddStringToObject (t, "name", layer);
  cJSON_AddItemToObject (t, "read", record_dir_json (&res.read, NULL));
  cJSON_AddItemToObject (t, "write", record_dir_json (&res.write, NULL));
  cJSON_AddNumberToObject (t, "runtime_s", res.runtime_s);
  return t;
}

/* The id of the record in RESULTS that imported an output whose SHA-256
 * is SHA (to free), or NULL.
 */
static char *
imported_as (const char *results, const char *sha)
{
  DIR *d = opendir (results);
  struct dirent *e;
  char *found = NULL;

  while (d && found == NULL && (e = readdir (d)) != NULL) {
    char *dir, *path;
    const char *why;
    cJSON *doc;
    struct stat sb;

    if (e->d_name[0] == '.')
      continue;
    dir = xasprintf ("%s/%s", results, e->d_name);
    path = xasprintf ("%s/run.json", dir);
    if (stat (path, &sb) == 0 && (doc = record_load (dir, &why)) != NULL) {
      struct rm_run m;

      rm_run_read (doc, &m);
      if (m.imported_sha256 && strcmp (m.imported_sha256, sha) == 0)
        found = xstrdup (m.id ? m.id : e->d_name);
      rm_run_free (&m);
      cJSON_Delete (doc);
    }
    free (path);
    free (dir);
  }
  if (d)
    closedir (d);
  return found;
}

int
import_main (int argc, char **argv)
{
  static const struct cli_opt opts[] = {
    { "results", 'o', "DIR", "the results directory (default results)" },
    { "prefix", 'p', "PREFIX", "the record's name before its number "
      "(default VM-)" },
    { "layer", 'l', "NAME", "the layer the figures are said to be of "
      "(default guest)" },
    { "desc", 'd', "TEXT", "a description kept in the record" },
    { "desc-file", 'D', "FILE", "the description, from a file" },
    { "force", 'f', NULL, "import an output already imported (same "
      "SHA-256) again" },
    { NULL, 0, NULL, NULL },
  };
  static const struct cli cli = {
    "import", "[OPTIONS] FIO-OUTPUT",
    "Makes a numbered record (status imported) of fio's JSON or text "
    "output.\n", opts, false,
  };
  const char *results = "results", *prefix = "VM-";
  char sha[65], *dup;
  bool force = false;
  struct record run;
  const char *layer = "guest", *src;
  char *desc = NULL, *text;
  struct import_info info;
  cJSON *doc, *targets, *t;
  char now[32];
  int c;

  optind = 1;
  while ((c = cli_next (&cli, argc, argv)) != -1) {
    switch (c) {
    case 'o': results = optarg; break;
    case 'p': prefix = optarg; break;
    case 'l': layer = optarg; break;
    case 'f': force = true; break;
    case 'd': free (desc); desc = xstrdup (optarg); break;
    case 'D':
      free (desc);
      if ((desc = read_file (optarg, NULL)) == NULL) {
        vb_msg ("import: %s: %s", optarg, strerror (errno));
        return EXIT_BAD_INPUT;
      }
      for (size_t k = strlen (desc); k > 0 && isspace ((unsigned char) desc[k - 1]); k--)
        desc[k - 1] = '\0';
      break;
    case CLI_HELP:
      free (desc);
      return 0;
    default:
      free (desc);
      return EXIT_BAD_INPUT;
    }
  }
  if (optind != argc - 1) {
    free (desc);
    return cli_bad (&cli, optind == argc ? "which fio output?"
                    : "one fio output at a time");
  }
  if (!plain_name (layer) || !plain_name (prefix)) {
    vb_msg ("import: %s '%s' is not a plain name (letters, digits, '.', "
            "'_', '-'; starting with a letter or digit)",
            plain_name (layer) ? "--prefix" : "--layer",
            plain_name (layer) ? prefix : layer);
    free (desc);
    return EXIT_BAD_INPUT;
  }
  src = argv[optind];
  if ((text = read_file (src, NULL)) == NULL) {
    vb_msg ("import: %s: %s", src, strerror (errno));
    free (desc);
    return EXIT_BAD_INPUT;
  }
  sha256_hex (text, strlen (text), sha);
  if (!force && (dup = imported_as (results, sha)) != NULL) {
    vb_msg ("import: %s was imported before, as %s/%s (the same SHA-256, "
            "%.12s...); --force imports it again", src, results, dup, sha);
    free (dup);
    free (text);
    free (desc);
    return EXIT_BAD_INPUT;
  }
  t = import_figures (text, layer, &info);
  if (t == NULL) {
    vb_msg ("import: %s: no fio results found (expected fio's JSON or its "
            "normal output with \"read: IOPS=\" or \"write: IOPS=\" lines)", src);
    free (text);
    free (desc);
    free (info.name);
    free (info.version);
    return EXIT_BAD_INPUT;
  }

  if (record_claim (results, prefix, &run) == -1) {
    cJSON_Delete (t);
    free (text);
    free (desc);
    free (info.name);
    free (info.version);
    return EXIT_RUN_FAILED;
  }
  iso_now (now, sizeof now);
  {
    struct rm_run head = {
      .kind = RECORD_RUN, .id = run.id, .description = desc,
      .status = "imported",
      .scenario = info.name ? info.name : "unknown",
      .jobs = NAN, .iodepth = NAN,
    };

    doc = rm_run_head_json (&head);
  }
  {
    const char *b = strrchr (src, '/');
    cJSON *im = cJSON_AddObjectToObject (doc, "imported");

    cJSON_AddStringToObject (im, "from", b ? b + 1 : src);
    cJSON_AddStringToObject (im, "at", now);
    cJSON_AddStringToObject (im, "format", info.is_json ? "json" : "text");
    cJSON_AddStringToObject (im, "sha256", sha);
    cJSON_AddNumberToObject (im, "job_entries", (double) info.entries);
    cJSON_AddStringToObject (im, "latency", "mean of total latency; "
                             "percentiles of clat for text output");
  }
  {
    cJSON *v = cJSON_AddObjectToObject (doc, "versions");

    if (info.version)
      cJSON_AddStringToObject (v, "fio", info.version);
    else
      cJSON_AddNullToObject (v, "fio");
  }
  targets = cJSON_AddArrayToObject (doc, "targets");
  cJSON_AddItemToArray (targets, t);
  {
    char *out = xasprintf ("%s/fio-output%s", run.dir, info.is_json ? ".json" : ".txt");

    run.doc = doc;
    c = write_file_atomic (out, text, strlen (text)) == 0 && record_write (&run) == 0 ? 0 : -1;
    if (c == 0)
      printf ("imported %s as %s\n", src, run.id);
    free (out);
  }
  free (text);
  free (desc);
  free (info.name);
  free (info.version);
  record_free (&run);
  return c == 0 ? 0 : EXIT_RUN_FAILED;
}
