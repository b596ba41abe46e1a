/* run.c: `viperbench run`: the layer ladder, in three phases: prepare
 * (input, collectors, tools, files, the plugin, the record), ladder (each
 * layer: start its servers, run fio, record), finish (status, table,
 * report).
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

/* The options of `run` and `sweep`: one table, the source of both the
 * parser and the help.
 */
#define COMMON_OPTS                                                       \
    { "scenario", 's', "NAME", "the fio job: DIR/NAME.fio of --scenarios "  \
      "(required)" },                                                     \
    { "stack", 'k', "FILE", "the stack (default "                         \
      "scenarios/stacks/default.json)" },                                 \
    { "desc", 'd', "TEXT", "a description kept in the record" },          \
    { "runtime", 'r', "SECONDS", "each layer's measured window (fio's "    \
      "runtime=)" },                                                      \
    { "size", 'z', "SIZE", "each job's size (fio's size=, e.g. 64M)" },    \
    { "results", 'o', "DIR", "where records are kept (default results)" },\
    { "scenarios", 'S', "DIR", "where scenarios are found (default "       \
      "scenarios)" },                            \
    { "collect", 'c', "LIST", "cpu,counters,disk,resources,perf, all or "  \
      "none" },                                                           \
    { "layers", 'L', "LIST", "only these of the stack's layers, in its "   \
      "order" },                                                          \
    { "pin", 'P', "auto|on|off", "fio and each server on CPUs of their "   \
      "own (auto: when there are enough)" },                               \
    { "no-report", 'R', NULL, "write run.json only, no report" }

static const struct cli_opt run_opts[] = {
  COMMON_OPTS,
  { "prefix", 'p', "PREFIX", "the record's name before its number "
    "(default VM-)" },
  { NULL, 0, NULL, NULL },
};
static const struct cli_opt sweep_opts[] = {
  COMMON_OPTS,
  { "prefix", 'p', "PREFIX", "the record's name before its number "
    "(default SWEEP-)" },
  { "depths", 'D', "LIST", "the queue depths, e.g. 1,2,4,8 (required)" },
  { NULL, 0, NULL, NULL },
};

static void
command_cli (struct cli *c, bool sweep, char *names, size_t n)
{
  target_list (names, n);
  c->cmd = sweep ? "sweep" : "run";
  c->opts = sweep ? sweep_opts : run_opts;
  c->posix = false;
  c->synopsis = sweep ? "--scenario NAME --depths 1,2,4,... [OPTIONS]"
                      : "--scenario NAME [OPTIONS]";
  c->about = NULL;
}

/* The first line of nbdkit's log LOG that says "error" (else its first
 * line), redacted, in a message naming the stack's plugin.
 */
static void
probe_plugin_failed (const struct stack *st, const char *log)
{
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

/* Checks that the plugin loads, accepts its arguments and serves (its
 * config, get_ready and after_fork ran), in nbdkit in the foreground on
 * a socket in the private dir (the same binary the server layers use),
 * then stops it; 0 or -1.  Never captive mode (--run): nbdkit then
 * serves from a forked child, and a plugin with a runtime of its own (a
 * Go c-shared plugin) does not survive a fork.
 */
static int
probe_plugin (const struct stack *st, const char *private_dir)
{
  char *sock = xasprintf ("%s/probe-plugin.sock", private_dir);
  const char *const head[] = { "-f", "--exit-with-parent", "-U", sock, NULL };
  static const char *const none[] = { NULL };
  char *log = xasprintf ("%s/probe.log", private_dir);
  struct spawn_opts o = { .stdout_path = log, .stderr_path = log };
  struct nbdkit_argv a;
  int r = -1, status;
  pid_t pid;

  nbdkit_argv_build (&a, st, head, false, NULL, none);
  pid = proc_spawn (a.argv, &o);
  if (pid != -1) {
    r = proc_wait_greeting (sock, pid, st->ready_timeout, "NBDMAGIC");
    if (r == 0 || proc_alive (pid)) {
      if (r == -1 && !stop_requested)
        vb_msg ("stack %s: plugin '%s' did not become ready within %.0f s "
                "(ready_timeout_s)", st->path, st->plugin, st->ready_timeout);
      proc_kill (pid, 5);
    }
    else {
      if (proc_wait (pid, 1, &status) == 0 && !stop_requested)
        probe_plugin_failed (st, log);
    }
  }
  unlink (sock);
  unlink (log);
  free (sock);
  free (log);
  nbdkit_argv_free (&a);
  return r;
}

/* Keeps only the layers named in LIST (comma-separated), in the
 * stack's order; 0, or -1 naming one the stack does not have.
 */
static int
select_layers (struct stack *st, const char *list)
{
  char *copy = xstrdup (list), *save = NULL;
  bool *keep = xcalloc (st->nlayers + 1, sizeof *keep);
  size_t n = 0;
  int r = 0;

  for (char *p = strtok_r (copy, ",", &save); p; p = strtok_r (NULL, ",", &save)) {
    size_t i;

    for (i = 0; i < st->nlayers && strcmp (st->layers[i], p) != 0; i++)
      ;
    if (i == st->nlayers) {
      const char *near = cli_nearest (p, (const char *const *) st->layers,
                                      st->nlayers);
      char *all = cli_names ((const char *const *) st->layers, st->nlayers);

      vb_msg ("--layers: '%s' is not a layer of stack %s%s%s%s; its layers: "
              "%s", p, st->path, near ? " (did you mean '" : "",
              near ? near : "", near ? "'?)" : "", all);
      free (all);
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

/* Options of `run`, as parsed. */
struct run_opts {
  const char *scenario, *stack, *runtime, *size, *scen_dir, *collect;
  const char *only_layers;
  const char *pin;              /* --pin, or NULL: the stack's */
};

/* Picks the collectors: COLLECT=a,b (default: every one that works
 * here); one that cannot run here is disabled with a warning saying how
 * to enable it, and the run goes on without it.  0, or -1 on an unknown
 * name.
 */
static int
choose_collectors (struct run *run, const char *collect)
{
  bool all = collect == NULL || *collect == '\0' || strcmp (collect, "all") == 0;
  bool none = collect && strcmp (collect, "none") == 0;
  bool *wanted = xcalloc (ncollectors, sizeof *wanted);
  char *list = xstrdup (all || none ? "" : collect), *save = NULL;

  run->coll_disabled = cJSON_CreateArray ();
  run->coll = xcalloc (ncollectors, sizeof *run->coll);
  for (char *n = strtok_r (list, ",", &save); n; n = strtok_r (NULL, ",", &save)) {
    size_t i;

    for (i = 0; i < ncollectors && strcmp (collectors[i]->name, n) != 0; i++)
      ;
    if (i == ncollectors) {
      char *known = NULL;

      for (size_t k = 0; k < ncollectors; k++)
        list_append (&known, ", ", collectors[k]->name);
      vb_msg ("COLLECT: unknown collector '%s' (known: %s; or all, none)", n,
              known);
      free (known);
      free (list);
      free (wanted);
      return -1;
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

      vb_warn ("collector %s disabled: %s", cl->name, why);
      cJSON_AddStringToObject (d, "name", cl->name);
      cJSON_AddStringToObject (d, "why", why);
      cJSON_AddItemToArray (run->coll_disabled, d);
      continue;
    }
    run->coll[run->ncoll++] = cl;
  }
  free (wanted);
  return 0;
}

/* Tools, the engine and each layer's own checks; 0 or -1. */
static int
check_layers (struct run *run)
{
  const struct stack *st = run->st;

  for (size_t i = 0; i < st->nlayers; i++) {
    const struct target *t = target_find (st->layers[i]);

    for (size_t k = 0; t->tools[k]; k++)
      if (!have_program (t->tools[k])) {
        vb_msg ("layer %s needs '%s', which is not installed "
                "(Debian package %s: apt-get install %s)", t->name,
                t->tools[k], t->packages[k], t->packages[k]);
        return -1;
      }
    if (t->uses_plugin && run->engine == NULL) {
      char *dir = companion_dir ();

      run->engine = xasprintf ("%s/viper", dir ? dir : ".");
      free (dir);
      if (access (run->engine, R_OK) == -1) {
        vb_msg ("no viper engine at %s: run make", run->engine);
        return -1;
      }
      if (!fio_value_ok (run->engine, true)) {
        vb_msg ("the engine's path %s cannot be given to fio as it is (it "
                "holds one of ; # : $ \\ or a control character): build "
                "viperbench in another directory", run->engine);
        return -1;
      }
    }
    if (t->preflight && t->preflight (st) == -1)
      return -1;
  }
  if (services_preflight (st) == -1)
    return -1;
  /* The probes' filters beside the engine (make builds them). */
  if (run->engine && st->probes != PROBES_OFF) {
    static const char *const names[] = { "probe.so", "probe-inner.so" };
    char *dir = companion_dir ();
    int r = 0;

    for (size_t i = 0; i < 2 && r == 0; i++) {
      char *so = xasprintf ("%s/%s", dir ? dir : ".", names[i]);

      if (access (so, R_OK) == -1) {
        vb_msg ("no probe filter at %s: run make (or set \"probes\": "
                "\"off\" in the stack)", so);
        r = -1;
      }
      free (so);
    }
    free (dir);
    return r;
  }
  return 0;
}

/* Phase 1: everything checked and laid out, then the record claimed.
 * Returns 0, or the exit code (bad input: no record).
 */
static int
run_prepare (struct run *run, const struct run_opts *o)
{
  struct scenario *sc = run->sc;
  struct stack *st = run->st;
  int dfd, r = 0;

  if (scenario_load (o->scen_dir, o->scenario, sc) == -1 ||
      scenario_resolve (sc) == -1 ||
      scenario_override (sc, o->runtime, o->size) == -1)
    return EXIT_BAD_INPUT;
  /* A sweep's deepest point must be a scenario fio may run. */
  if (run->ndepths &&
      scenario_set_depth (sc, run->depths[run->ndepths - 1]) == -1)
    return EXIT_BAD_INPUT;
  if (stack_load (o->stack, st) == -1)
    return EXIT_BAD_INPUT;
  if (o->only_layers && select_layers (st, o->only_layers) == -1)
    return EXIT_BAD_INPUT;
  /* A layer that asks for a scale sweep (clients or volumes lists) runs
   * alone, as a sweep of its own.
   */
  for (size_t i = 0; i < st->nlayers; i++) {
    const struct target *t = target_find (st->layers[i]);
    size_t n = t->scale_points ? t->scale_points (st, &run->scale) : 0;

    if (n == 0)
      continue;
    run->nscale = n;
    if (run->ndepths) {
      vb_msg ("stack %s: its clients' count or volumes list is a sweep of "
              "its own: run it with viperbench run (make bench), not sweep",
              st->path);
      return EXIT_BAD_INPUT;
    }
    if (st->nlayers > 1) {
      vb_msg ("stack %s: a scale sweep (layer %s's lists) runs that layer "
              "alone: give \"layers\": [\"%s\"] (or LAYERS=%s)", st->path,
              t->name, t->name, t->name);
      return EXIT_BAD_INPUT;
    }
  }
  if (choose_collectors (run, o->collect) == -1 || check_layers (run) == -1)
    return EXIT_BAD_INPUT;
  {
    enum pin_mode mode = (enum pin_mode) st->pin;
    size_t servers = 0;

    if (o->pin && pin_parse (o->pin, &mode) == -1) {
      vb_msg ("--pin '%s': expected auto, on or off", o->pin);
      return EXIT_BAD_INPUT;
    }
    for (size_t i = 0; i < st->nlayers; i++) {
      size_t n = target_find (st->layers[i])->servers;

      servers = n > servers ? n : servers;
    }
    pin_plan (run, mode, servers);
  }

  /* The scenario against the stack, and as fio reads it. */
  if (scenario_max_size (sc) > st->size) {
    vb_msg ("scenario %s: size %lld MiB is larger than stack %s's size "
            "(%lld MiB): the host layer would grow its file and the layers "
            "would measure different working sets", sc->path,
            (long long) (scenario_max_size (sc) >> 20), st->path,
            (long long) (st->size >> 20));
    return EXIT_BAD_INPUT;
  }
  /* What is measured, identified before anything starts. */
  if ((run->sut = sut_identify (st)) == NULL)
    return EXIT_BAD_INPUT;
  if ((run->private_dir = private_dir_make ()) == NULL)
    return EXIT_RUN_FAILED;
  /* The services' ports and paths, into the plugin's arguments. */
  if (services_bind (st, run->private_dir) == -1)
    return EXIT_BAD_INPUT;
  /* The secrets as bound (a URL with a password), before anything runs. */
  stack_secrets (st);
  {
    char *job = scenario_render (sc, "ioengine=null\n");
    char *what = xasprintf ("scenario %s", sc->path);

    r = fio_check_job (job, what, run->private_dir);
    free (job);
    free (what);
    if (r == -1)
      return stop_requested ? EXIT_INTERRUPTED : EXIT_BAD_INPUT;
  }

  /* Files, then the plugin. */
  if ((dfd = stack_dir_open (st)) == -1)
    return EXIT_BAD_INPUT;
  for (size_t i = 0; i < st->nlayers + st->nfiles && r == 0; i++) {
    const char *name;

    if (i < st->nlayers)
      name = target_find (st->layers[i])->own_file;
    else    /* "${dir}/NAME", checked by stack_load */
      name = st->files[i - st->nlayers] + strlen (st->dir) + 1;
    if (name)
      r = stack_dir_layout (dfd, st, name);
  }
  close (dfd);
  if (r == -1)
    return stop_requested ? EXIT_INTERRUPTED : EXIT_BAD_INPUT;
  if (run->engine && have_program ("nbdkit")) {
    if (probe_plugin (st, run->private_dir) == -1)
      return stop_requested ? EXIT_INTERRUPTED : EXIT_BAD_INPUT;
    run->model_nbdkit = nbdkit_thread_model (st, true, run->private_dir);
    run->model_plugin = nbdkit_thread_model (st, false, run->private_dir);
    run->model_source = nbdkit_model_source (st, run->model_nbdkit,
                                             run->model_plugin,
                                             run->private_dir);
  }
  if (stop_requested)
    return EXIT_INTERRUPTED;

  /* The record. */
  iso_now (run->started, sizeof run->started);
  if (record_claim (run->results_dir, run->prefix, &run->rec) == -1)
    return EXIT_RUN_FAILED;
  reserve_make (run->rec.dir);
  if (record_begin (run) == -1)
    return EXIT_RUN_FAILED;
  {
    cJSON *cj = cJSON_AddObjectToObject (run->rec.doc, "collectors");
    cJSON *en = cJSON_AddArrayToObject (cj, "enabled");

    for (size_t i = 0; i < run->ncoll; i++)
      cJSON_AddItemToArray (en, cJSON_CreateString (run->coll[i]->name));
    cJSON_AddItemToObject (cj, "disabled", run->coll_disabled);
    run->coll_disabled = NULL;
    cJSON_AddItemToObject (run->rec.doc, "cpus", pin_record (run));
    record_write (&run->rec);
  }
  fprintf (stderr, "viperbench: %s: scenario %s on stack %s, %zu layers\n",
           run->rec.id, sc->name, st->name, st->nlayers);
  return 0;
}

/* Phase 2: each layer in turn; 0 or the exit code of the first that
 * failed or was interrupted.
 */
static int
run_ladder (struct run *run)
{
  const struct stack *st = run->st;
  double t_start = mono_now ();
  int rc = 0;

  run->layers = xcalloc (st->nlayers, sizeof *run->layers);
  run->nlayer_slots = st->nlayers;
  for (size_t i = 0; i < st->nlayers && rc == 0; i++) {
    struct layer *l = &run->layers[i];
    double per = run->sc->runtime > 0 ? run->sc->runtime + run->sc->ramp + 3
                 : i ? (mono_now () - t_start) / (double) i : 0;

    l->t = target_find (st->layers[i]);
    l->dir = xasprintf ("%s/%s", run->rec.dir, l->t->name);
    if (per > 0)
      fprintf (stderr, "viperbench: [%zu/%zu] %s: %s (about %.0f s left)\n",
               i + 1, st->nlayers, l->t->name, l->t->description,
               per * (double) (st->nlayers - i));
    else
      fprintf (stderr, "viperbench: [%zu/%zu] %s: %s\n", i + 1, st->nlayers,
               l->t->name, l->t->description);
    rc = run_layer (run, l);
  }
  return rc;
}

/* Phase 3: the record's status, the table and the report.  A record is
 * complete only when everything it keeps was written whole: a write
 * error anywhere (noted by the writers and the log pump) or a file cut
 * short makes it failed, with the path.
 * Every file passes through the scrubber before run.json is final.
 */
static int
run_finish (struct run *run, int rc)
{
  char *why = NULL;
  bool reported = false;

  services_stop_all (run->st);
  record_services (run);
  /* Nothing the run started is left, and every log is written. */
  proc_reap_all (5);
  if (rc == 0) {
    record_set_status (&run->rec, "complete", NULL);
    if (run->ndepths || run->nscale)
      sweep_print_table (run);
    else {
      report_print_table (stdout, run->rec.doc);
      printf ("record: %s/run.json\n", run->rec.dir);
    }
    /* A report that could not be drawn (no gnuplot) is said and the
     * run stands; one that could not be written is a write error, and
     * a chart cut short fails the check below.
     */
    if (!run->no_report)
      reported = report_write (run->rec.dir, run->rec.doc) == 0;
  }
  if (scrub_tree (run->rec.dir) == -1 && why == NULL)
    why = xasprintf ("scrubbing secrets from the record: %s", vb_last_msg ());
  if (why == NULL && first_write_error ())
    why = xasprintf ("a write failed: %s", first_write_error ());
  if (why == NULL && rc != EXIT_INTERRUPTED)
    record_verify (run->rec.dir, &why);
  if (why && rc == 0) {
    char *p;

    /* No page says "complete" beside a run.json that says failed. */
    p = xasprintf ("%s/report.md", run->rec.dir);
    unlink (p);
    free (p);
    p = xasprintf ("%s/report.html", run->rec.dir);
    unlink (p);
    free (p);
    vb_msg ("%s: %s", run->rec.id, why);
    rc = EXIT_RUN_FAILED;
  }
  if (rc == 0) {
    if (record_finish (&run->rec, "complete", NULL) == -1) {
      vb_msg ("%s: run.json could not be written: the record stays "
              "\"running\"", run->rec.id);
      rc = EXIT_RUN_FAILED;
    }
    else if (reported)
      printf ("report: %s/report.md\n", run->rec.dir);
  }
  else if (rc == EXIT_INTERRUPTED) {
    char *sig = xasprintf ("interrupted by signal %d", (int) stop_requested);

    record_finish (&run->rec, "aborted", sig);
    vb_msg ("%s: %s; record kept as aborted", run->rec.id, sig);
    free (sig);
  }
  else {
    char *reason = xstrdup (why ? why : vb_last_msg ());

    if (record_finish (&run->rec, "failed", reason) == -1)
      vb_msg ("%s: run.json could not be written: the record stays "
              "\"running\"", run->rec.id);
    vb_msg ("%s: failed; see %s/run.json", run->rec.id, run->rec.dir);
    free (reason);
  }
  free (why);
  return rc;
}

static void
run_free (struct run *run)
{
  services_stop_all (run->st);
  cJSON_Delete (run->sut);
  if (run->private_dir)
    rm_private (run->private_dir);
  free (run->private_dir);
  free (run->kvm_trial_why);
  for (size_t i = 0; run->layers && i < run->nlayer_slots; i++) {
    struct layer *l = &run->layers[i];

    free (l->dir);
    free (l->file);
    free (l->engine_lines);
    free (l->socket);
    cJSON_Delete (l->boundaries);
    cJSON_Delete (l->setup);
    /* Their files went with the private directory. */
    for (size_t k = 0; k < l->nprobe; k++) {
      free (l->probe[k].path);
      free (l->probe[k].name);
      free (l->probe[k].via);
      free (l->probe[k].cap_what);
    }
    for (size_t k = 0; k < l->nchild; k++) {
      free (l->child[k].argv_text);
      free (l->child[k].log);
    }
  }
  free (run->layers);
  free (run->depths);
  scale_points_free (run->scale, run->nscale);
  record_free (&run->rec);
  free (run->engine);
  free (run->model_nbdkit);
  free (run->model_plugin);
  free (run->model_source);
  cJSON_Delete (run->coll_disabled);
  free (run->coll);
  stack_free (run->st);
  scenario_free (run->sc);
}

/* PATH when it is there; else a bare stack name's scenarios/stacks/NAME.json
 * in the current directory (a checkout); else, for a runner that is
 * installed, the installation's copy: DATA/SUB/NAME, or DATA/SUB/NAME.json (PATH's last
 * component; DATA/NAME when SUB is NULL).  ANY_PATH: PATH may be a path (a default, "scenarios/...");
 * else only a bare name is looked up (`--stack objstore`).  What is
 * returned may be *OWN (to free).
 */
static const char *
or_installed (const char *path, const char *sub, bool any_path, char **own)
{
  const char *base = strrchr (path, '/');
  char *dd;
  struct stat sb;

  if (stat (path, &sb) == 0 || errno != ENOENT || (!any_path && base))
    return path;
  /* In a checkout, `--stack guest-before` too. */
  if (!any_path && sub && strcmp (sub, "stacks") == 0) {
    char *p = xasprintf ("scenarios/stacks/%s.json", path);

    if (stat (p, &sb) == 0)
      return *own = p;
    free (p);
  }
  if ((dd = data_dir ()) == NULL)
    return path;
  base = base ? base + 1 : path;
  for (int i = 0; i < 2 && *own == NULL; i++) {
    char *p = xasprintf ("%s%s%s/%s%s", dd, sub ? "/" : "", sub ? sub : "",
                         base, i ? ".json" : "");

    if (stat (p, &sb) == 0)
      *own = p;
    else
      free (p);
  }
  free (dd);
  return *own ? *own : path;
}

/* `run`, or `sweep` (SWEEP): the same options, plus --depths. */
static int
run_command (int argc, char **argv, bool sweep)
{
  char names[256], *about, *own_stack = NULL, *own_scen = NULL;
  bool scen_given = false;
  struct cli cli;
  struct run_opts o = { .scen_dir = "scenarios" };
  struct scenario sc;
  struct stack st;
  struct run run = { .results_dir = "results",
                     .prefix = sweep ? "SWEEP-" : "VM-",
                     .description = "", .sc = &sc, .st = &st };
  const char *depths = NULL;
  int c, rc;

  memset (&sc, 0, sizeof sc);
  memset (&st, 0, sizeof st);
  command_cli (&cli, sweep, names, sizeof names);
  about = sweep
    ? xasprintf ("Runs the scenario on each layer of the stack at each queue "
                 "depth (every\njob's iodepth) and keeps one record, "
                 "DIR/PREFIXN/, with each layer's\nresponse curve, its knee "
                 "and the boundary whose concurrency stops\ngrowing there.\n"
                 "Layers:\n  %s.\n", names)
    : xasprintf ("Runs the scenario on each layer of the stack and keeps a "
                 "numbered record\nin DIR/PREFIXN/.\nLayers:\n  %s.\n", names);
  cli.about = about;
  optind = 1;
  while ((c = cli_next (&cli, argc, argv)) != -1) {
    switch (c) {
    case 's': o.scenario = optarg; break;
    case 'k': o.stack = optarg; break;
    case 'd': run.description = optarg; break;
    case 'r': o.runtime = optarg; break;
    case 'z': o.size = optarg; break;
    case 'o': run.results_dir = optarg; break;
    case 'p': run.prefix = optarg; break;
    case 'S': o.scen_dir = optarg; scen_given = true; break;
    case 'c': o.collect = optarg; break;
    case 'L': o.only_layers = optarg; break;
    case 'R': run.no_report = true; break;
    case 'D': depths = optarg; break;
    case 'P': o.pin = *optarg ? optarg : NULL; break;
    case CLI_HELP: free (about); return 0;
    default: free (about); return EXIT_BAD_INPUT;
    }
  }
  free (about);
  if (optind < argc) {
    vb_msg ("unexpected argument '%s'", argv[optind]);
    return EXIT_BAD_INPUT;
  }
  if (o.scenario == NULL || *o.scenario == '\0') {
    vb_msg ("no scenario: give --scenario NAME (SCENARIO=NAME with make), "
            "one of %s/*.fio", o.scen_dir);
    return EXIT_BAD_INPUT;
  }
  if (!plain_name (run.prefix) ||
      strspn (run.prefix, "0123456789") == strlen (run.prefix)) {
    vb_msg ("--prefix '%s': a record name prefix like VM- (no '/')",
            run.prefix);
    return EXIT_BAD_INPUT;
  }
  if (sweep && sweep_parse_depths (depths, &run.depths, &run.ndepths) == -1)
    return EXIT_BAD_INPUT;
  /* Outside a checkout, an installed runner's own scenarios and stacks. */
  if (o.stack == NULL || *o.stack == '\0')
    o.stack = or_installed ("scenarios/stacks/default.json", "stacks", true,
                            &own_stack);
  else
    o.stack = or_installed (o.stack, "stacks", false, &own_stack);
  if (!scen_given)
    o.scen_dir = or_installed (o.scen_dir, NULL, true, &own_scen);
  proc_install_signals ();
  proc_contain ();

  rc = run_prepare (&run, &o);
  if (rc == 0) {
    rc = sweep || run.nscale ? sweep_ladder (&run) : run_ladder (&run);
    rc = run_finish (&run, rc);
  }
  run_free (&run);
  free (own_stack);
  free (own_scen);
  return rc;
}

int
run_main (int argc, char **argv)
{
  return run_command (argc, argv, false);
}

int
sweep_main (int argc, char **argv)
{
  return run_command (argc, argv, true);
}
