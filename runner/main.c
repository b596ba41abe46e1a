/* main.c: viperbench's entry point: one table of commands, from which
 * `viperbench --help` is made; each command reads its options through
 * its own table (common/options.c), the source of its parser and of its
 * help: `viperbench CMD --help`, `-h`, `viperbench help CMD`.
 */
#include <stdio.h>
#include <stdlib.h>
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
  { "note", note_main,
    "add a dated note to a record, shown in its report" },
  { "rm", rm_main,
    "remove records from a results directory" },
  { "export", export_main,
    "records as CSV, JSON lines or OpenMetrics: a row per layer" },
  { "compare", compare_main,
    "set two runs (or two sets of repetitions) side by side" },
  { "history", history_main,
    "every record of a scenario in order, with trend charts" },
  { "import", import_main,
    "make a numbered record of fio output kept from before viperbench" },
  { "services", services_main,
    "start a stack's services (an object store) around a command" },
  { "explore", explore_main,
    "what each knob of a stack buys: measured, ranked, with intervals" },
  { "gate", gate_main,
    "the CI regression gate: two stacks, or a stack and a stored record" },
  { "probe", probe_main,
    "what a probe file (nbdkit's probe filter, probe-file=F) holds" },
  { "percentile", percentile_main,
    "a percentile of fio's merged latency bins (json+ output)" },
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void
usage (FILE *f)
{
  fprintf (f, "usage: viperbench COMMAND [OPTIONS...]\n"
              "       viperbench help COMMAND, viperbench COMMAND --help\n"
              "       viperbench --version\n\ncommands:\n");
  for (size_t i = 0; i < NCOMMANDS; i++)
    fprintf (f, "  %-11s %s\n", commands[i].name, commands[i].summary);
  fprintf (f, "\nviperbench %s; man viperbench, or README.md.\n",
           VIPERBENCH_VERSION);
}

/* The command named NAME, or NULL with a message giving the valid
 * names and the nearest.
 */
static const struct command *
command_named (const char *name)
{
  const char *names[NCOMMANDS];
  const char *near;
  char *all;

  for (size_t i = 0; i < NCOMMANDS; i++) {
    if (strcmp (name, commands[i].name) == 0)
      return &commands[i];
    names[i] = commands[i].name;
  }
  near = cli_nearest (name, names, NCOMMANDS);
  all = cli_names (names, NCOMMANDS);
  if (near)
    vb_msg ("unknown command '%s' (did you mean '%s'?); the commands: %s",
            name, near, all);
  else
    vb_msg ("unknown command '%s'; the commands: %s", name, all);
  free (all);
  return NULL;
}

int
main (int argc, char **argv)
{
  const struct command *c;

  std_fds_open ();
  xcjson_hooks ();
  if (argc < 2) {
    usage (stderr);
    return EXIT_BAD_INPUT;
  }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 ||
      (strcmp (argv[1], "help") == 0 && argc == 2)) {
    usage (stdout);
    return 0;
  }
  if (strcmp (argv[1], "--version") == 0 || strcmp (argv[1], "-V") == 0) {
    printf ("viperbench %s\n", VIPERBENCH_VERSION);
    return 0;
  }
  /* `help CMD` is `CMD --help`. */
  if (strcmp (argv[1], "help") == 0) {
    char *args[] = { argv[2], (char *) "--help", NULL };

    if (argc > 3) {
      vb_msg ("help: one command at a time (viperbench help COMMAND)");
      return EXIT_BAD_INPUT;
    }
    if ((c = command_named (argv[2])) == NULL)
      return EXIT_BAD_INPUT;
    return c->fn (2, args);
  }
  if (argv[1][0] == '-') {
    vb_msg ("unknown option '%s' before a command; see 'viperbench --help'",
            argv[1]);
    return EXIT_BAD_INPUT;
  }
  if ((c = command_named (argv[1])) == NULL)
    return EXIT_BAD_INPUT;
  return c->fn (argc - 1, argv + 1);
}
