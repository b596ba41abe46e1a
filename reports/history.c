/* history.c: `viperbench history SCENARIO`: every record of a scenario
 * in order, as a table and a trend chart per layer.
 *
 * Runs are ordered by their number (VM-1, VM-2, ...).  A record that is
 * malformed, unfinished or of another scenario is skipped (malformed and
 * unfinished ones with a warning).  Each row gives per layer the total
 * IOPS, read p99 and the ratio to the same run's host layer (so records
 * from different machines stay meaningful), marked "better" or "worse"
 * against the previous run when IOPS moved by more than --noise percent
 * (default 10: what two identical runs differ by on the machine this was
 * written on; one run per point gives no test to run).  Written to
 * stdout and to RESULTS/history-SCENARIO.md with charts in
 * RESULTS/history-SCENARIO/.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

struct hrun {
  long num;
  char *id;
  cJSON *doc;
};

static int
cmp_run (const void *a, const void *b)
{
  long x = ((const struct hrun *) a)->num, y = ((const struct hrun *) b)->num;

  return (x > y) - (x < y);
}

/* A run's record is usable when it parses and is complete or imported;
 * a "running" record whose runner is gone was killed.
 */
static bool
usable (const char *id, cJSON *doc)
{
  const char *st = cJSON_GetStringValue (cJSON_GetObjectItem (doc, "status"));

  if (st && (strcmp (st, "complete") == 0 || strcmp (st, "imported") == 0))
    return true;
  if (st && strcmp (st, "running") == 0) {
    const cJSON *pid = cJSON_GetObjectItem (doc, "runner_pid");

    if (cJSON_IsNumber (pid) && kill ((pid_t) pid->valuedouble, 0) == 0)
      fprintf (stderr, "viperbench: %s: still running, skipped\n", id);
    else
      fprintf (stderr, "viperbench: warning: %s: its runner is gone (killed): "
               "treated as aborted, skipped\n", id);
    return false;
  }
  fprintf (stderr, "viperbench: warning: %s: status %s, skipped\n", id,
           st ? st : "(none)");
  return false;
}

int
history_main (int argc, char **argv)
{
  const char *results = "results", *prefix = "VM-", *scenario = NULL;
  double noise = 10;
  struct hrun *runs = NULL;
  size_t nruns = 0, plen;
  char **layers = NULL;
  size_t nlayers = 0;
  DIR *d;
  struct dirent *e;
  char *buf = NULL, *out, *cdir;
  size_t len = 0;
  FILE *f;

  for (int i = 1; i < argc; i++) {
    if (strcmp (argv[i], "--results") == 0 && i + 1 < argc) results = argv[++i];
    else if (strcmp (argv[i], "--prefix") == 0 && i + 1 < argc) prefix = argv[++i];
    else if (strcmp (argv[i], "--noise") == 0 && i + 1 < argc) noise = strtod (argv[++i], NULL);
    else if (argv[i][0] != '-' && scenario == NULL) scenario = argv[i];
    else {
      fprintf (stderr, "usage: viperbench history [--results DIR] [--prefix VM-] "
               "[--noise PCT] SCENARIO\n");
      return EXIT_BAD_INPUT;
    }
  }
  if (scenario == NULL || strchr (scenario, '/')) {
    fprintf (stderr, "usage: viperbench history [--results DIR] [--prefix VM-] "
             "[--noise PCT] SCENARIO\n");
    return EXIT_BAD_INPUT;
  }
  if ((d = opendir (results)) == NULL) {
    vb_msg ("history: %s: %s", results, strerror (errno));
    return EXIT_BAD_INPUT;
  }
  plen = strlen (prefix);
  while ((e = readdir (d))) {
    char *end, *path, *text;
    long num;
    cJSON *doc;

    if (strncmp (e->d_name, prefix, plen) != 0 || !isdigit ((unsigned char) e->d_name[plen]))
      continue;
    num = strtol (e->d_name + plen, &end, 10);
    if (*end)
      continue;
    path = xasprintf ("%s/%s/run.json", results, e->d_name);
    text = read_file (path, NULL);
    doc = text ? cJSON_Parse (text) : NULL;
    free (text);
    free (path);
    if (doc == NULL || !cJSON_IsArray (cJSON_GetObjectItem (doc, "targets"))) {
      fprintf (stderr, "viperbench: warning: %s: no readable run.json, skipped\n",
               e->d_name);
      cJSON_Delete (doc);
      continue;
    }
    if (strcmp (cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetObjectItem (doc, "scenario"), "name"))
                ? cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetObjectItem (doc, "scenario"), "name")) : "",
                scenario) != 0 || !usable (e->d_name, doc)) {
      cJSON_Delete (doc);
      continue;
    }
    runs = realloc (runs, (nruns + 1) * sizeof *runs);
    runs[nruns++] = (struct hrun) { num, xstrdup (e->d_name), doc };
  }
  closedir (d);
  if (nruns == 0) {
    vb_msg ("history: no complete or imported record of scenario '%s' in %s",
            scenario, results);
    free (runs);
    return EXIT_BAD_INPUT;
  }
  qsort (runs, nruns, sizeof *runs, cmp_run);
  /* Layers in order of first appearance. */
  for (size_t r = 0; r < nruns; r++) {
    const cJSON *t;

    cJSON_ArrayForEach (t, cJSON_GetObjectItem (runs[r].doc, "targets")) {
      const char *name = cJSON_GetStringValue (cJSON_GetObjectItem (t, "name"));
      size_t k;

      for (k = 0; k < nlayers && strcmp (layers[k], name) != 0; k++)
        ;
      if (k == nlayers) {
        layers = realloc (layers, (nlayers + 1) * sizeof *layers);
        layers[nlayers++] = xstrdup (name);
      }
    }
  }

  cdir = xasprintf ("%s/history-%s", results, scenario);
  mkdir_p (cdir, 0755);
  f = open_memstream (&buf, &len);
  fprintf (f, "# History of %s: %zu runs\n\n", scenario, nruns);
  fprintf (f, "Changes of total IOPS beyond %g%% against the previous run are "
           "marked; below that, two runs of the same stack differ by as much on "
           "a shared machine. Ratios are to the same run's host layer.\n", noise);
  for (size_t k = 0; k < nlayers; k++) {
    char *dat = xasprintf ("%s/%s.dat", cdir, layers[k]);
    FILE *df = fopen (dat, "we");
    double prev = NAN;

    fprintf (f, "\n## %s\n\n| run | description | IOPS (r+w) | read p99 | vs host | change |\n"
             "|---|---|--:|--:|--:|---|\n", layers[k]);
    for (size_t r = 0; r < nruns; r++) {
      const cJSON *t, *host = NULL, *me = NULL;
      double iops, p99, ratio = NAN;
      char si[16], sp[16], sr[16], ch[48];

      cJSON_ArrayForEach (t, cJSON_GetObjectItem (runs[r].doc, "targets")) {
        const char *name = cJSON_GetStringValue (cJSON_GetObjectItem (t, "name"));

        if (strcmp (name, "host") == 0) host = t;
        if (strcmp (name, layers[k]) == 0) me = t;
      }
      if (me == NULL)
        continue;
      iops = target_metric (me, "read", "iops") + target_metric (me, "write", "iops");
      p99 = target_metric (me, "read", "p99");
      if (host)
        ratio = iops / (target_metric (host, "read", "iops") + target_metric (host, "write", "iops"));
      fmt_iops (si, sizeof si, iops);
      fmt_ns (sp, sizeof sp, p99);
      if (isnan (ratio)) snprintf (sr, sizeof sr, "-");
      else snprintf (sr, sizeof sr, "%.3fx", ratio);
      if (isnan (prev) || prev <= 0) snprintf (ch, sizeof ch, "-");
      else {
        double pct = (iops - prev) / prev * 100;

        snprintf (ch, sizeof ch, "%+.1f%%%s", pct,
                  pct > noise ? " **better**" : pct < -noise ? " **worse**" : "");
      }
      fprintf (f, "| %s | %s | %s | %s | %s | %s |\n", runs[r].id,
               cJSON_GetStringValue (cJSON_GetObjectItem (runs[r].doc, "description"))
               ? cJSON_GetStringValue (cJSON_GetObjectItem (runs[r].doc, "description")) : "",
               si, sp, sr, ch);
      if (df)
        fprintf (df, "%ld %.0f %.0f \"%s\"\n", runs[r].num, iops,
                 isnan (p99) ? -1 : p99, runs[r].id);
      prev = iops;
    }
    if (df)
      fclose (df);
    free (dat);
    fprintf (f, "\n![%s trend](history-%s/%s.svg)\n", layers[k], scenario, layers[k]);
  }
  fclose (f);

  /* One chart per layer: IOPS (left axis) and read p99 (right, log). */
  {
    char *gp = xasprintf ("%s/trend.gp", cdir);
    FILE *g = fopen (gp, "we");

    if (g) {
      fprintf (g, "# Generated by viperbench history.\n"
                  "set grid\nset key bottom right\nset xlabel 'run'\n"
                  "set ylabel 'IOPS (read+write)'\nset y2label 'read p99 (ms)'\n"
                  "set ytics nomirror\nset y2tics\nset yrange [0:*]\n"
                  "set format y '%%.1s%%c'\n%s", nruns <= 20 ? "set xtics 1\n" : "");
      for (size_t k = 0; k < nlayers; k++)
        fprintf (g, "do for [t in 'svg png'] {\n"
                    "  if (t eq 'svg') { set terminal svg size 900,400 dynamic noenhanced }\n"
                    "  else { set terminal pngcairo size 900,400 noenhanced }\n"
                    "  set output '%s.'.t\n  set title '%s: %s per run'\n"
                    "  plot '%s.dat' using 1:2 with linespoints lw 2 title 'IOPS', "
                    "'' using 1:($3 < 0 ? NaN : $3/1e6) axes x1y2 with linespoints "
                    "dt 2 title 'read p99'\n}\n",
                 layers[k], scenario, layers[k], layers[k]);
      fclose (g);
      {
        const char *av[] = { "gnuplot", "trend.gp", NULL };
        char *log = xasprintf ("%s/gnuplot.log", cdir);
        struct spawn_opts o = { .cwd = cdir, .stderr_path = log };
        pid_t pid = proc_spawn (av, &o);
        int status;

        if (pid <= 0 || proc_wait (pid, 60, &status) != 0 || status != 0)
          vb_msg ("history: gnuplot failed (see %s)", log);
        free (log);
      }
    }
    free (gp);
  }
  fputs (buf, stdout);
  out = xasprintf ("%s/history-%s.md", results, scenario);
  write_file_atomic (out, buf, len);
  fprintf (stderr, "viperbench: written to %s\n", out);
  free (out);
  free (buf);
  free (cdir);
  for (size_t r = 0; r < nruns; r++) {
    free (runs[r].id);
    cJSON_Delete (runs[r].doc);
  }
  free (runs);
  for (size_t k = 0; k < nlayers; k++)
    free (layers[k]);
  free (layers);
  return 0;
}
