/* cli.c: `viperbench report RUN` and `viperbench percentile FILE DDIR P`. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* viperbench report [--results DIR] VM-N|PATH */
int
report_main (int argc, char **argv)
{
  static const struct option longopts[] = {
    { "results", required_argument, NULL, 'o' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  static const char usage[] =
    "usage: viperbench report [--results DIR] VM-N|PATH\n"
    "Writes the record's report.md and charts/ again from its run.json.\n";
  const char *results = "results", *why;
  char *dir;
  cJSON *doc;
  int c, r;

  optind = 1;
  while ((c = getopt_long (argc, argv, "", longopts, NULL)) != -1) {
    switch (c) {
    case 'o': results = optarg; break;
    case 'h': fputs (usage, stdout); return 0;
    default: fputs (usage, stderr); return EXIT_BAD_INPUT;
    }
  }
  if (optind != argc - 1) {
    fputs (usage, stderr);
    return EXIT_BAD_INPUT;
  }
  dir = strchr (argv[optind], '/') ? xstrdup (argv[optind])
    : xasprintf ("%s/%s", results, argv[optind]);
  doc = record_load (dir, &why);
  if (doc == NULL) {
    vb_msg ("report: %s/run.json is not a viperbench run record (%s)", dir, why);
    free (dir);
    return EXIT_BAD_INPUT;
  }
  r = report_write (dir, doc);
  if (r == 0)
    printf ("report: %s/report.md\n", dir);
  cJSON_Delete (doc);
  free (dir);
  return r == 0 ? 0 : EXIT_RUN_FAILED;
}

/* viperbench percentile FIO-JSON read|write|both P: the percentile of
 * the merged latency bins (to check against fio's own figures).
 */
int
percentile_main (int argc, char **argv)
{
  static const char usage[] =
    "usage: viperbench percentile FIO-JSON read|write|both P\n"
    "The P-th percentile (ns) of fio's merged latency bins (json+ output).\n";
  struct bins b;
  double v, p;
  char *end;

  if (argc == 2 && strcmp (argv[1], "--help") == 0) {
    fputs (usage, stdout);
    return 0;
  }
  if (argc != 4 || (strcmp (argv[2], "read") && strcmp (argv[2], "write") &&
                    strcmp (argv[2], "both"))) {
    fputs (usage, stderr);
    return EXIT_BAD_INPUT;
  }
  p = strtod (argv[3], &end);
  if (*end || !(p > 0 && p <= 100)) {
    vb_msg ("percentile: '%s' is not a percentile (0 < P <= 100)", argv[3]);
    return EXIT_BAD_INPUT;
  }
  if (bins_load_fio_ddir (argv[1], strcmp (argv[2], "both") ? argv[2] : NULL,
                          &b) == -1) {
    vb_msg ("percentile: %s: no fio JSON", argv[1]);
    return EXIT_BAD_INPUT;
  }
  v = bins_percentile (&b, p);
  bins_free (&b);
  if (isnan (v)) {
    vb_msg ("percentile: %s: no latency bins (json+ output needed)", argv[1]);
    return EXIT_RUN_FAILED;
  }
  printf ("%.0f\n", v);
  return 0;
}
