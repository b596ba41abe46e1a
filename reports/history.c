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
#include <getopt.h>
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


/* A run's record is usable when it is complete or imported; a
 * "running" record whose runner is gone was killed (record_status).
 */
static bool
usable (const char *id, const cJSON *doc)
{
  const char *st = record_status (doc);
  const char *written = cJSON_GetStringValue (cJSON_GetObjectItem (doc, "status"));

  if (strcmp (st, "complete") == 0 || strcmp (st, "imported") == 0)
    return true;
  if (strcmp (st, "running") == 0)
    fprintf (stderr, "viperbench: %s: still running, skipped\n", id);
  else if (written && strcmp (written, "running") == 0)
    vb_warn ("%s: its runner is gone (killed): treated as aborted, skipped", id);
  else
    vb_warn ("%s: status %s, skipped", id, st);
  return false;
}

static void
usage (FILE *f)
{
  fprintf (f, "usage: viperbench history [--results DIR] [--prefix VM-] "
              "[--noise PCT] SCENARIO\n"
              "Every complete or imported record of SCENARIO in number order, "
              "per layer,\nwith trend charts in DIR/history-SCENARIO/.\n");
}

int
history_main (int argc, char **argv)
{
  const char *results = "results", *prefix = "VM-", *scenario = NULL;
  double noise = 10;
  struct hrun *runs = NULL;
  size_t nruns = 0;
  char **layers = NULL;
  size_t nlayers = 0;
  char *buf = NULL, *out, *cdir;
  int rc = 0;
  size_t len = 0;
  FILE *f;

  static const struct option longopts[] = {
    { "results", required_argument, NULL, 'o' },
    { "prefix", required_argument, NULL, 'p' },
    { "noise", required_argument, NULL, 'n' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct record_entry *ents;
  ssize_t nents;
  int c;

  optind = 1;
  while ((c = getopt_long (argc, argv, "", longopts, NULL)) != -1) {
    char *end;

    switch (c) {
    case 'o': results = optarg; break;
    case 'p': prefix = optarg; break;
    case 'n':
      noise = strtod (optarg, &end);
      if (*end || !(noise >= 0 && noise < 1000)) {
        vb_msg ("history: --noise '%s': a percentage, e.g. 10", optarg);
        return EXIT_BAD_INPUT;
      }
      break;
    case 'h': usage (stdout); return 0;
    default: usage (stderr); return EXIT_BAD_INPUT;
    }
  }
  if (optind == argc - 1)
    scenario = argv[optind];
  if (scenario == NULL) {
    usage (stderr);
    return EXIT_BAD_INPUT;
  }
  if (!plain_name (scenario) || !plain_name (prefix)) {
    vb_msg ("history: %s '%s' is not a plain name", plain_name (scenario)
            ? "--prefix" : "scenario", plain_name (scenario) ? prefix : scenario);
    return EXIT_BAD_INPUT;
  }
  if ((nents = record_list (results, prefix, &ents)) == -1)
    return EXIT_BAD_INPUT;
  for (size_t i = 0; i < (size_t) nents; i++) {
    const char *why, *name;
    cJSON *doc = record_load (ents[i].dir, &why);

    if (doc == NULL) {
      vb_warn ("%s: no readable run.json, skipped (%s)", ents[i].id, why);
      continue;
    }
    name = cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetObjectItem (doc, "scenario"), "name"));
    if (name == NULL || strcmp (name, scenario) != 0 || record_is_sweep (doc) ||
        !usable (ents[i].id, doc)) {
      cJSON_Delete (doc);
      continue;
    }
    runs = xreallocarray (runs, nruns + 1, sizeof *runs);
    runs[nruns++] = (struct hrun) { ents[i].num, xstrdup (ents[i].id), doc };
  }
  record_list_free (ents, (size_t) nents);
  if (nruns == 0) {
    vb_msg ("history: no complete or imported record of scenario '%s' in %s",
            scenario, results);
    free (runs);
    return EXIT_BAD_INPUT;
  }
  /* Layers in order of first appearance. */
  for (size_t r = 0; r < nruns; r++) {
    const cJSON *t;

    cJSON_ArrayForEach (t, cJSON_GetObjectItem (runs[r].doc, "targets")) {
      const char *name = target_name (t);
      size_t k;

      for (k = 0; k < nlayers && strcmp (layers[k], name) != 0; k++)
        ;
      if (k == nlayers) {
        layers = xreallocarray (layers, nlayers + 1, sizeof *layers);
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
    char *dat = xasprintf ("%s/%s.dat", cdir, layers[k]);   /* plain names */
    FILE *df = fopen (dat, "we");
    double prev = NAN;

    fprintf (f, "\n## %s\n\n| run | description | IOPS (r+w) | read p99 | vs host | change |\n"
             "|---|---|--:|--:|--:|---|\n", layers[k]);
    for (size_t r = 0; r < nruns; r++) {
      const cJSON *host = record_baseline (runs[r].doc);
      const cJSON *me = record_target (runs[r].doc, layers[k]);
      double iops, p99, ratio = NAN;
      char si[16], sp[16], sr[16], ch[48];

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
      if (df) {
        fprintf (df, "%ld %.0f %.0f ", runs[r].num, iops, isnan (p99) ? -1 : p99);
        gp_string (df, runs[r].id, '"');
        fputc ('\n', df);
      }
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
      fprintf (g, "scenario = ");
      gp_string (g, scenario, '\'');
      fputc ('\n', g);
      for (size_t k = 0; k < nlayers; k++) {
        fprintf (g, "layer = ");
        gp_string (g, layers[k], '\'');
        fprintf (g, "\ndo for [t in 'svg png'] {\n"
                    "  if (t eq 'svg') { set terminal svg size 900,400 dynamic noenhanced }\n"
                    "  else { set terminal pngcairo size 900,400 noenhanced }\n"
                    "  set output layer.'.'.t\n  set title scenario.': '.layer.' per run'\n"
                    "  plot layer.'.dat' using 1:2 with linespoints lw 2 title 'IOPS', "
                    "'' using 1:($3 < 0 ? NaN : $3/1e6) axes x1y2 with linespoints "
                    "dt 2 title 'read p99'\n}\n");
      }
      fclose (g);
      gp_run (cdir, "trend.gp");
    }
    free (gp);
  }
  fputs (buf, stdout);
  out = xasprintf ("%s/history-%s.md", results, scenario);
  if (write_file_atomic (out, buf, len) == -1)
    rc = EXIT_RUN_FAILED;
  else
    fprintf (stderr, "viperbench: written to %s\n", out);
  free (out);
  /* The same as a page, its trend charts inlined. */
  out = xasprintf ("%s/history-%s.html", results, scenario);
  {
    char *title = xasprintf ("%s: viperbench history", scenario);

    if (html_write (out, title, buf, results, NULL, NULL, NULL) == -1)
      rc = EXIT_RUN_FAILED;
    else
      fprintf (stderr, "viperbench: written to %s\n", out);
    free (title);
  }
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
  return rc;
}
