/* main.c: viperbench's entry point: one table of commands, from which
 * `viperbench --help` is made; each command parses its own options
 * (getopt_long) and answers `viperbench CMD --help` with its usage.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

struct command {
  const char *name;
  int (*fn) (int argc, char **argv);
  const char *summary;
};

static const struct command commands[] = {
  { "run", run_main,
    "run a scenario on each layer of a stack; keeps results/VM-N" },
  { "sweep", sweep_main,
    "run a scenario at each queue depth on each layer: response curves" },
  { "report", report_main,
    "write a record's report.md and charts again from its run.json" },
  { "list", list_main,
    "the records of a results directory: id, kind, status, date, stack" },
  { "compare", compare_main,
    "set two runs (or two sets of repetitions) side by side" },
  { "history", history_main,
    "every record of a scenario in order, with trend charts" },
  { "import", import_main,
    "make a numbered record of fio output kept from before viperbench" },
  { "services", services_main,
    "start a stack's services (an object store) around a command" },
  { "gate", gate_main,
    "the CI regression gate: two stacks, or a stack and a stored record" },
  { "probe", probe_main,
    "what a probe file (nbdkit --filter=probe.so, probe_file=) holds" },
  { "percentile", percentile_main,
    "a percentile of fio's merged latency bins (json+ output)" },
};

static void
usage (FILE *f)
{
  fprintf (f, "usage: viperbench COMMAND [OPTIONS...]\n"
              "       viperbench COMMAND --help\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf (f, "  %-11s %s\n", commands[i].name, commands[i].summary);
  fprintf (f, "\nviperbench %s; see README.md.\n", VIPERBENCH_VERSION);
}

int
main (int argc, char **argv)
{
  xcjson_hooks ();
  if (argc < 2) {
    usage (stderr);
    return EXIT_BAD_INPUT;
  }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 ||
      strcmp (argv[1], "help") == 0) {
    usage (stdout);
    return 0;
  }
  if (strcmp (argv[1], "--version") == 0) {
    printf ("viperbench %s\n", VIPERBENCH_VERSION);
    return 0;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].fn (argc - 1, argv + 1);
  vb_msg ("unknown command '%s'", argv[1]);
  usage (stderr);
  return EXIT_BAD_INPUT;
}
