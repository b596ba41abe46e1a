/* cli.c: `viperbench report RUN` and `viperbench percentile FILE DDIR P`. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* viperbench report [--results DIR] VM-N|PATH */
int
report_main (int argc, char **argv)
{
  static const struct cli_opt opts[] = {
    { "results", 'o', "DIR", "where RECORD is when it is a name (default "
      "results)" },
    { NULL, 0, NULL, NULL },
  };
  static const struct cli cli = {
    "report", "[OPTIONS] RECORD",
    "Writes the record's report.md, report.html and charts again from its\n"
    "run.json; a gate's summary.md, summary.html and junit.xml from its\n"
    "gate.json; an exploration's report from its explore.json.  RECORD: a\n"
    "name in the results directory (VM-3, GATE-1, EXPLORE-2) or a path.\n",
    opts, false,
  };
  const char *results = "results", *why;
  char *dir;
  cJSON *doc;
  int c, r;

  optind = 1;
  while ((c = cli_next (&cli, argc, argv)) != -1) {
    switch (c) {
    case 'o': results = optarg; break;
    case CLI_HELP: return 0;
    default: return EXIT_BAD_INPUT;
    }
  }
  if (optind != argc - 1)
    return cli_bad (&cli, optind == argc ? "which record? (a name such as "
                    "VM-3, or a path)" : "one record at a time ('%s' after "
                    "'%s')", argv[argc - 1], argv[optind]);
  dir = strchr (argv[optind], '/') ? xstrdup (argv[optind])
    : xasprintf ("%s/%s", results, argv[optind]);
  /* A gate's record: its summary, from gate.json. */
  {
    char *gj = xasprintf ("%s/gate.json", dir), *rj = xasprintf ("%s/run.json", dir);
    bool gate = access (gj, F_OK) == 0 && access (rj, F_OK) != 0;

    free (gj);
    free (rj);
    if (gate) {
      r = gate_rewrite (dir);
      free (dir);
      return r;
    }
    /* An exploration's: its report, from explore.json. */
    gj = xasprintf ("%s/explore.json", dir);
    rj = xasprintf ("%s/run.json", dir);
    gate = access (gj, F_OK) == 0 && access (rj, F_OK) != 0;
    free (gj);
    free (rj);
    if (gate) {
      r = explore_rewrite (dir);
      free (dir);
      return r;
    }
  }
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
  static const struct cli_opt opts[] = { { NULL, 0, NULL, NULL } };
  static const struct cli cli = {
    "percentile", "FIO-JSON read|write|both P",
    "The P-th percentile (ns) of fio's merged latency bins (json+ output).\n",
    opts, true,
  };
  struct bins b;
  double v, p;
  char *end;
  int c;

  optind = 1;
  while ((c = cli_next (&cli, argc, argv)) != -1)
    return c == CLI_HELP ? 0 : EXIT_BAD_INPUT;
  argc -= optind - 1;
  argv += optind - 1;
  if (argc != 4)
    return cli_bad (&cli, "expected FIO-JSON, a direction and P");
  if (strcmp (argv[2], "read") && strcmp (argv[2], "write") &&
      strcmp (argv[2], "both"))
    return cli_bad (&cli, "direction '%s': read, write or both", argv[2]);
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

/* viperbench probe FILE [--json]: what a probe file holds now (one that
 * nbdkit --filter=probe.so, or the engine's probe_file=, is writing, or
 * has written): per operation and in flight, since the probe was made.
 */
int
probe_main (int argc, char **argv)
{
  static const struct cli_opt opts[] = {
    { "json", 'j', NULL, "the figures as JSON (a record's boundary)" },
    { NULL, 0, NULL, NULL },
  };
  static const struct cli cli = {
    "probe", "[OPTIONS] FILE",
    "The figures of a probe file (nbdkit --filter=probe ... probe-file=FILE,\n"
    "or the viper engine's probe_file=FILE) since the probe was made;\n"
    "readable while the server runs and after it exits.  See\n"
    "nbdkit-probe-filter(1).\n", opts, false,
  };
  const char *path = NULL;
  bool json = false;
  struct probe_snap s;
  struct rm_boundary b;
  cJSON *bd;
  int c;

  optind = 1;
  while ((c = cli_next (&cli, argc, argv)) != -1) {
    switch (c) {
    case 'j': json = true; break;
    case CLI_HELP: return 0;
    default: return EXIT_BAD_INPUT;
    }
  }
  if (optind != argc - 1)
    return cli_bad (&cli, optind == argc ? "which probe file?"
                    : "one probe file at a time");
  path = argv[optind];
  if (probe_snapshot (path, &s, false) == -1)
    return EXIT_BAD_INPUT;
  bd = probe_boundary (s.h.name, "", "probe file", NULL, &s);
  if (json) {
    char *text = cJSON_Print (bd);

    printf ("%s\n", text);
    free (text);
    cJSON_Delete (bd);
    return 0;
  }
  rm_boundary_read (bd, &b);
  printf ("probe %s of pid %lld (%s), %.3f s of requests\n", s.h.name,
          (long long) s.h.pid, s.h.closed_ns ? "closed" : "open", b.window_s);
  printf ("%-8s %10s %10s %10s %10s %10s %10s %7s\n", "op", "count", "MiB",
          "mean", "p50", "p99", "p99.9", "errors");
  for (size_t i = 0; i < b.nall_ops; i++) {
    const struct rm_ops *op = &b.all_ops[i].f;
    char m[16], p50[16], p99[16], p999[16];

    fmt_ns (m, sizeof m, op->mean_ns);
    fmt_ns (p50, sizeof p50, op->p50_ns);
    fmt_ns (p99, sizeof p99, op->p99_ns);
    fmt_ns (p999, sizeof p999, op->p999_ns);
    printf ("%-8s %10.0f %10.1f %10s %10s %10s %10s %7.0f\n", b.all_ops[i].op,
            op->count, op->bytes / 1048576, m, p50, p99, p999, op->errors);
  }
  printf ("in flight: now %llu, at most %.0f, %.2f on average; at arrival:",
          (unsigned long long) s.in_flight, b.flight_max, b.flight_mean);
  for (size_t i = 0; i < b.narrival; i++)
    printf (" %s+ %.1f%%", b.arrival[i].label, b.arrival[i].share * 100);
  printf ("%s\n", b.narrival ? "" : " -");
  rm_boundary_free (&b);
  cJSON_Delete (bd);
  return 0;
}
