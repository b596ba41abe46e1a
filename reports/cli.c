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
    { NULL, 0, NULL, 0 },
  };
  const char *results = "results";
  char *dir, *path, *text;
  cJSON *doc;
  int c, r;

  optind = 1;
  while ((c = getopt_long (argc, argv, "", longopts, NULL)) != -1) {
    if (c == 'o')
      results = optarg;
    else
      return EXIT_BAD_INPUT;
  }
  if (optind != argc - 1) {
    fprintf (stderr, "usage: viperbench report [--results DIR] VM-N\n");
    return EXIT_BAD_INPUT;
  }
  dir = strchr (argv[optind], '/') ? xstrdup (argv[optind])
    : xasprintf ("%s/%s", results, argv[optind]);
  path = xasprintf ("%s/run.json", dir);
  text = read_file (path, NULL);
  if (text == NULL) {
    vb_msg ("report: %s: %s", path, strerror (errno));
    free (path);
    free (dir);
    return EXIT_BAD_INPUT;
  }
  doc = cJSON_Parse (text);
  free (text);
  if (doc == NULL || !cJSON_IsArray (cJSON_GetObjectItem (doc, "targets"))) {
    vb_msg ("report: %s is not a viperbench run record", path);
    cJSON_Delete (doc);
    free (path);
    free (dir);
    return EXIT_BAD_INPUT;
  }
  r = report_write (dir, doc);
  if (r == 0)
    printf ("report: %s/report.md\n", dir);
  cJSON_Delete (doc);
  free (path);
  free (dir);
  return r == 0 ? 0 : EXIT_RUN_FAILED;
}

/* viperbench percentile FIO-JSON read|write|both P: the percentile of
 * the merged latency bins (to check against fio's own figures).
 */
int
percentile_main (int argc, char **argv)
{
  struct bins b;
  double v;

  if (argc != 4) {
    fprintf (stderr, "usage: viperbench percentile FIO-JSON read|write|both P\n");
    return EXIT_BAD_INPUT;
  }
  if (bins_load_fio_ddir (argv[1], strcmp (argv[2], "both") ? argv[2] : NULL,
                          &b) == -1) {
    vb_msg ("percentile: %s: no fio JSON", argv[1]);
    return EXIT_BAD_INPUT;
  }
  v = bins_percentile (&b, strtod (argv[3], NULL));
  bins_free (&b);
  if (isnan (v)) {
    vb_msg ("percentile: %s: no latency bins (json+ output needed)", argv[1]);
    return EXIT_RUN_FAILED;
  }
  printf ("%.0f\n", v);
  return 0;
}
