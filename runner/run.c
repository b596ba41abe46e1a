/* main.c: `viperbench run`: the layer ladder.
 *
 *   viperbench run --scenario randrw_70_30 [--stack FILE] [--desc TEXT]
 *                  [--runtime S] [--size SIZE] [--results DIR]
 *                  [--prefix VM-] [--scenarios DIR]
 *
 * Everything is checked before a record is claimed (scenario, stack,
 * tools, port, plugin): bad input exits 2 and creates no VM-N.  A layer
 * that fails ends the run with status "failed" (exit 1); SIGINT/SIGTERM
 * stop it within seconds with status "aborted" (exit 130).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "../reports/internal.h"

static void
usage (FILE *f)
{
  fprintf (f,
"usage: viperbench run --scenario NAME [--stack FILE] [--desc TEXT]\n"
"                      [--runtime SECONDS] [--size SIZE] [--results DIR]\n"
"                      [--prefix VM-] [--scenarios DIR]\n"
"                      [--collect cpu,counters,disk,perf|all|none]\n"
"                      [--layers host,direct,...] [--no-report]\n"
"Runs the scenario on each layer of the stack (host, direct, nbd-unix,\n"
"nbd-tcp, qemu-nbd) and keeps a numbered record in DIR/PREFIXN/.\n"
"--layers runs only those of the stack's layers, in the stack's order.\n"
"Other commands: viperbench report|compare|history|import|gate ... (gate\n"
"--help; see README.md).\n");
}

/* Lays out PATH with SIZE bytes of data (not a sparse file: reads must
 * reach the disk); left as is when it already has that size.
 */
static int
layout_file (const char *path, int64_t size)
{
  struct stat sb;
  char *buf;
  int fd;
  uint64_t x = 0x9e3779b97f4a7c15ull;

  if (stat (path, &sb) == 0 && sb.st_size == size && sb.st_blocks * 512 >= size)
    return 0;
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd == -1) {
    vb_msg ("open %s: %s", path, strerror (errno));
    return -1;
  }
  buf = malloc (1 << 20);
  fprintf (stderr, "viperbench: laying out %s (%lld MiB)\n", path,
           (long long) (size >> 20));
  for (int64_t off = 0; off < size && !stop_requested; off += 1 << 20) {
    size_t n = size - off < (1 << 20) ? (size_t) (size - off) : 1 << 20;

    for (size_t i = 0; i + 8 <= n; i += 8) {
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      memcpy (buf + i, &x, 8);
    }
    if (write (fd, buf, n) != (ssize_t) n) {
      vb_msg ("write %s: %s", path, strerror (errno));
      free (buf);
      close (fd);
      return -1;
    }
  }
  free (buf);
  if (fsync (fd) == -1 || close (fd) == -1) {
    vb_msg ("fsync %s: %s", path, strerror (errno));
    return -1;
  }
  return stop_requested ? -1 : 0;
}

/* Checks that the plugin loads and accepts its arguments, in a captive
 * nbdkit (the same binary the server layers use); 0 or -1.
 */
static int
probe_plugin (const struct stack *st, const char *private_dir)
{
  static const char *const head[] = { "-U", "-", NULL };
  /* A constant: no user text reaches --run's shell. */
  static const char *const tail[] = { "--run", "true", NULL };
  char *log = xasprintf ("%s/probe.log", private_dir);
  struct nbdkit_argv a;
  int r;

  nbdkit_argv_build (&a, st, head, false, tail);
  r = proc_run (a.argv, st->ready_timeout, log);
  if (r == -2)
    vb_msg ("stack %s: plugin '%s' did not become ready within %.0f s "
            "(ready_timeout_s)", st->path, st->plugin, st->ready_timeout);
  else if (r != 0) {
    char *text = read_file (log, NULL), *line = NULL, *save = NULL;

    for (char *p = text ? strtok_r (text, "\n", &save) : NULL; p;
         p = strtok_r (NULL, "\n", &save))
      if (strstr (p, "error") || !line)
        line = p;
    redact_kv (line ? line : (char *) "");
    vb_msg ("stack %s: plugin '%s' failed to load: %s", st->path, st->plugin,
            line ? line : "nbdkit failed");
    free (text);
  }
  unlink (log);
  free (log);
  nbdkit_argv_free (&a);
  return r == 0 ? 0 : -1;
}

/* Keeps only the layers named in LIST (comma-separated), in the
 * stack's order; 0, or -1 naming one the stack does not have.
 */
static int
select_layers (struct stack *st, const char *list)
{
  char *copy = xstrdup (list), *save = NULL;
  bool *keep = calloc (st->nlayers + 1, sizeof *keep);
  size_t n = 0;
  int r = 0;

  for (char *p = strtok_r (copy, ",", &save); p; p = strtok_r (NULL, ",", &save)) {
    size_t i;

    for (i = 0; i < st->nlayers && strcmp (st->layers[i], p) != 0; i++)
      ;
    if (i == st->nlayers) {
      vb_msg ("--layers: '%s' is not a layer of stack %s", p, st->path);
      r = -1;
      break;
    }
    keep[i] = true;
  }
  for (size_t i = 0; r == 0 && i < st->nlayers; i++) {
    if (keep[i])
      st->layers[n++] = st->layers[i];
    else
      free (st->layers[i]);
  }
  if (r == 0 && n == 0) {
    vb_msg ("--layers: no layer named");
    r = -1;
  }
  if (r == 0)
    st->nlayers = n;
  free (keep);
  free (copy);
  return r;
}

/* Lines every layer's job gets: total-latency percentiles, histograms. */
static const char common_lines[] =
  "lat_percentiles=1\nwrite_hist_log=hist\nlog_hist_msec=1000\n";

/* Removes the private directory and what is left in it (sockets). */
static void
rm_private (const char *dir)
{
  DIR *d = dir ? opendir (dir) : NULL;
  struct dirent *e;

  if (d == NULL)
    return;
  while ((e = readdir (d)))
    if (strcmp (e->d_name, ".") && strcmp (e->d_name, "..")) {
      char *p = xasprintf ("%s/%s", dir, e->d_name);

      unlink (p);
      free (p);
    }
  closedir (d);
  rmdir (dir);
}

int
main (int argc, char **argv)
{
  static const struct option longopts[] = {
    { "scenario", required_argument, NULL, 's' },
    { "stack", required_argument, NULL, 'k' },
    { "desc", required_argument, NULL, 'd' },
    { "runtime", required_argument, NULL, 'r' },
    { "size", required_argument, NULL, 'z' },
    { "results", required_argument, NULL, 'o' },
    { "prefix", required_argument, NULL, 'p' },
    { "scenarios", required_argument, NULL, 'S' },
    { "collect", required_argument, NULL, 'c' },
    { "layers", required_argument, NULL, 'L' },
    { "no-report", no_argument, NULL, 'R' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *scenario = NULL, *stack_path = NULL, *runtime = NULL;
  const char *size = NULL, *scen_dir = "scenarios", *collect = NULL;
  const char *only_layers = NULL;
  bool no_report = false;
  cJSON *coll_disabled;
  struct scenario sc;
  struct stack st;
  struct run run = { .results_dir = "results", .prefix = "VM-",
                     .description = "" };
  struct layer *layers;
  char tmpl[] = "/tmp/viperbench.XXXXXX";
  double t_start;
  int c, rc = 0;

  if (argc >= 2 && strcmp (argv[1], "report") == 0)
    return report_main (argc - 1, argv + 1);
  if (argc >= 2 && strcmp (argv[1], "history") == 0)
    return history_main (argc - 1, argv + 1);
  if (argc >= 2 && strcmp (argv[1], "import") == 0)
    return import_main (argc - 1, argv + 1);
  if (argc >= 2 && strcmp (argv[1], "compare") == 0)
    return compare_main (argc - 1, argv + 1);
  if (argc >= 2 && strcmp (argv[1], "gate") == 0)
    return gate_main (argc - 1, argv + 1);
  if (argc >= 2 && strcmp (argv[1], "percentile") == 0)
    return percentile_main (argc - 1, argv + 1);
  if (argc < 2 || strcmp (argv[1], "run") != 0) {
    if (argc >= 2 && (strcmp (argv[1], "--help") == 0 ||
                      strcmp (argv[1], "-h") == 0)) {
      usage (stdout);
      return 0;
    }
    fprintf (stderr, "viperbench: unknown command '%s'\n",
             argc >= 2 ? argv[1] : "");
    usage (stderr);
    return EXIT_BAD_INPUT;
  }
  argv++;
  argc--;
  coll_disabled = cJSON_CreateArray ();
  while ((c = getopt_long (argc, argv, "", longopts, NULL)) != -1) {
    switch (c) {
    case 's': scenario = optarg; break;
    case 'k': stack_path = optarg; break;
    case 'd': run.description = optarg; break;
    case 'r': runtime = optarg; break;
    case 'z': size = optarg; break;
    case 'o': run.results_dir = optarg; break;
    case 'p': run.prefix = optarg; break;
    case 'S': scen_dir = optarg; break;
    case 'c': collect = optarg; break;
    case 'L': only_layers = optarg; break;
    case 'R': no_report = true; break;
    case 'h': usage (stdout); return 0;
    default: usage (stderr); return EXIT_BAD_INPUT;
    }
  }
  if (optind < argc) {
    vb_msg ("unexpected argument '%s'", argv[optind]);
    return EXIT_BAD_INPUT;
  }
  if (scenario == NULL || *scenario == '\0') {
    vb_msg ("no scenario: give --scenario NAME (SCENARIO=NAME with make), "
            "one of %s/*.fio", scen_dir);
    return EXIT_BAD_INPUT;
  }
  if (*run.prefix == '\0' || strchr (run.prefix, '/') ||
      strspn (run.prefix, "0123456789") == strlen (run.prefix)) {
    vb_msg ("--prefix '%s': a record name prefix like VM- (no '/')",
            run.prefix);
    return EXIT_BAD_INPUT;
  }
  if (stack_path == NULL || *stack_path == '\0')
    stack_path = "scenarios/stacks/default.json";
  proc_install_signals ();

  /* 1. Input. */
  if (scenario_load (scen_dir, scenario, &sc) == -1 ||
      scenario_override (&sc, runtime, size) == -1)
    return EXIT_BAD_INPUT;
  if (stack_load (stack_path, &st) == -1)
    return EXIT_BAD_INPUT;
  run.sc = &sc;
  run.st = &st;
  if (only_layers && select_layers (&st, only_layers) == -1)
    return EXIT_BAD_INPUT;

  /* Collectors: COLLECT=a,b (default: every one that works here); one
   * that cannot run here is disabled with a warning saying how to enable
   * it, and the run goes on without it.
   */
  {
    bool all = collect == NULL || *collect == '\0' || strcmp (collect, "all") == 0;
    bool none = collect && strcmp (collect, "none") == 0;
    bool wanted[16] = { false };
    char *list = xstrdup (all || none ? "" : collect), *save = NULL;

    for (char *n = strtok_r (list, ",", &save); n; n = strtok_r (NULL, ",", &save)) {
      size_t i;

      for (i = 0; i < ncollectors && strcmp (collectors[i]->name, n) != 0; i++)
        ;
      if (i == ncollectors) {
        vb_msg ("COLLECT: unknown collector '%s' (known: cpu, counters, "
                "disk, perf; or all, none)", n);
        free (list);
        return EXIT_BAD_INPUT;
      }
      wanted[i] = true;
    }
    free (list);
    /* In the table's order, whatever order COLLECT named them in. */
    for (size_t i = 0; i < ncollectors && !none; i++) {
      const struct collector *cl = collectors[i];
      const char *why;

      if (!all && !wanted[i])
        continue;
      if ((why = cl->unavailable ())) {
        cJSON *d = cJSON_CreateObject ();

        fprintf (stderr, "viperbench: warning: collector %s disabled: %s\n",
                 cl->name, why);
        cJSON_AddStringToObject (d, "name", cl->name);
        cJSON_AddStringToObject (d, "why", why);
        cJSON_AddItemToArray (coll_disabled, d);
        continue;
      }
      run.coll[run.ncoll++] = cl;
    }
  }

  /* 2. Tools, engine, port. */
  for (size_t i = 0; i < st.nlayers; i++) {
    const struct target *t = target_find (st.layers[i]);

    for (size_t k = 0; t->tools[k]; k++)
      if (!have_program (t->tools[k])) {
        vb_msg ("layer %s needs '%s', which is not installed "
                "(Debian package %s: apt-get install %s)", t->name,
                t->tools[k], t->packages[k], t->packages[k]);
        return EXIT_BAD_INPUT;
      }
    if (t->uses_plugin && run.engine == NULL) {
      char *dir = self_dir ();

      run.engine = xasprintf ("%s/viper", dir ? dir : ".");
      free (dir);
      if (access (run.engine, R_OK) == -1) {
        vb_msg ("no viper engine at %s: run make", run.engine);
        return EXIT_BAD_INPUT;
      }
    }
    if (strcmp (t->name, "nbd-tcp") == 0 && st.tcp_port &&
        !tcp_port_free (st.tcp_port)) {
      vb_msg ("stack %s: tcp_port %d on 127.0.0.1 is in use", st.path,
              st.tcp_port);
      return EXIT_BAD_INPUT;
    }
  }

  /* 3. Files, then the plugin. */
  if (mkdir_p (st.dir, 0755) == -1) {
    vb_msg ("stack %s: dir %s: %s", st.path, st.dir, strerror (errno));
    return EXIT_BAD_INPUT;
  }
  for (size_t i = 0; i < st.nlayers; i++)
    if (strcmp (st.layers[i], "host") == 0) {
      char *p = xasprintf ("%s/host.img", st.dir);

      rc = layout_file (p, st.size);
      free (p);
      if (rc == -1)
        return stop_requested ? EXIT_INTERRUPTED : EXIT_BAD_INPUT;
    }
  for (size_t i = 0; i < st.nfiles; i++)
    if (layout_file (st.files[i], st.size) == -1)
      return stop_requested ? EXIT_INTERRUPTED : EXIT_BAD_INPUT;
  if (mkdtemp (tmpl) == NULL) {
    vb_msg ("mkdtemp: %s", strerror (errno));
    return EXIT_RUN_FAILED;
  }
  run.private_dir = tmpl;
  if (run.engine && have_program ("nbdkit") &&
      probe_plugin (&st, run.private_dir) == -1) {
    rm_private (run.private_dir);
    return EXIT_BAD_INPUT;
  }
  if (stop_requested) {
    rm_private (run.private_dir);
    return EXIT_INTERRUPTED;
  }

  /* 4. The record. */
  iso_now (run.started, sizeof run.started);
  run.host_file = xasprintf ("%s/host.img", st.dir);
  if (record_claim (&run) == -1 || record_begin (&run) == -1) {
    rm_private (run.private_dir);
    return EXIT_RUN_FAILED;
  }
  {
    cJSON *cj = cJSON_AddObjectToObject (run.doc, "collectors");
    cJSON *en = cJSON_AddArrayToObject (cj, "enabled");

    for (size_t i = 0; i < run.ncoll; i++)
      cJSON_AddItemToArray (en, cJSON_CreateString (run.coll[i]->name));
    cJSON_AddItemToObject (cj, "disabled", coll_disabled);
    coll_disabled = NULL;
    record_write (&run);
  }
  fprintf (stderr, "viperbench: %s: scenario %s on stack %s, %zu layers\n",
           run.id, sc.name, st.name, st.nlayers);

  /* 5. The ladder. */
  layers = calloc (st.nlayers, sizeof *layers);
  t_start = mono_now ();
  for (size_t i = 0; i < st.nlayers; i++) {
    struct layer *l = &layers[i];
    struct fio_result res;
    cJSON *coll = NULL;
    char *job, *shown, *jobpath;
    double per = sc.runtime > 0 ? sc.runtime + sc.ramp + 3
                 : i ? (mono_now () - t_start) / (double) i : 0;

    l->t = target_find (st.layers[i]);
    l->dir = xasprintf ("%s/%s", run.dir, l->t->name);
    if (per > 0)
      fprintf (stderr, "viperbench: [%zu/%zu] %s: %s (about %.0f s left)\n",
               i + 1, st.nlayers, l->t->name, l->t->description,
               per * (double) (st.nlayers - i));
    else
      fprintf (stderr, "viperbench: [%zu/%zu] %s: %s\n", i + 1, st.nlayers,
               l->t->name, l->t->description);
    if (mkdir (l->dir, 0755) == -1) {
      vb_msg ("mkdir %s: %s", l->dir, strerror (errno));
      rc = EXIT_RUN_FAILED;
      break;
    }
    if (l->t->start (&run, l) == -1) {
      l->t->stop (&run, l);
      rc = stop_requested ? EXIT_INTERRUPTED : EXIT_RUN_FAILED;
      break;
    }
    {
      char *lines = xasprintf ("%s%s", l->engine_lines, common_lines);

      job = scenario_render (&sc, lines);
      free (lines);
    }
    shown = xstrdup (job);
    redact_kv (shown);
    jobpath = xasprintf ("%s/job.fio", l->dir);
    write_file_atomic (jobpath, shown, strlen (shown));
    free (jobpath);
    free (shown);
    if (fio_run_layer (&run, l, job, &res, &coll) == -1) {
      free (job);
      cJSON_Delete (coll);
      l->t->stop (&run, l);
      rc = stop_requested ? EXIT_INTERRUPTED : EXIT_RUN_FAILED;
      break;
    }
    free (job);
    l->t->stop (&run, l);
    record_add_target (&run, l, &res, coll);
    record_write (&run);
    if (stop_requested) {
      rc = EXIT_INTERRUPTED;
      break;
    }
  }

  if (rc == 0) {
    record_finish (&run, "complete", NULL);
    record_print_table (&run);
    if (!no_report && report_write (run.dir, run.doc) == 0)
      printf ("report: %s/report.md\n", run.dir);
  }
  else if (rc == EXIT_INTERRUPTED) {
    char *why = xasprintf ("interrupted by signal %d", (int) stop_requested);

    record_finish (&run, "aborted", why);
    vb_msg ("%s: %s; record kept as aborted", run.id, why);
    free (why);
  }
  else {
    record_finish (&run, "failed", vb_last_msg ());
    vb_msg ("%s: failed; see %s/run.json", run.id, run.dir);
  }
  rm_private (run.private_dir);
  for (size_t i = 0; i < st.nlayers; i++) {
    free (layers[i].dir);
    free (layers[i].engine_lines);
    free (layers[i].socket);
    for (size_t k = 0; k < layers[i].nchild; k++) {
      free (layers[i].child[k].argv_text);
      free (layers[i].child[k].log);
    }
  }
  free (layers);
  cJSON_Delete (run.doc);
  free (run.id);
  free (run.dir);
  free (run.engine);
  free (run.host_file);
  cJSON_Delete (coll_disabled);
  stack_free (&st);
  scenario_free (&sc);
  return rc;
}
