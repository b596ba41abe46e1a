/* fio.c: running fio for one layer and reading its json+ output.
 *
 * The job text goes to fio on stdin (no file with the target's secrets is
 * written), fio's raw JSON to the run's private directory; the record
 * keeps a copy with the options' secrets redacted.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

/* True when S can stand in a fio job file as it is; see internal.h. */
bool
fio_value_ok (const char *s, bool path)
{
  if (path && s[0] != '/')
    return false;
  for (; *s; s++)
    if ((unsigned char) *s < 0x20 || *s == 0x7f || strchr (";#$\\", *s) ||
        (path && *s == ':'))
      return false;
  return true;
}

/* Copies fio's raw output FROM to TO with option values redacted. */
static int
store_redacted (const char *from, const char *to)
{
  char *text = read_file (from, NULL), *out;
  cJSON *doc, *job;
  int r;

  if (text == NULL)
    return -1;
  doc = fio_json_parse (text);
  free (text);
  if (doc == NULL)
    return -1;
  {
    cJSON *g = cJSON_GetObjectItemCaseSensitive (doc, "global options");

    for (cJSON *c = g ? g->child : NULL; c; c = c->next)
      if (cJSON_IsString (c))
        redact_kv (c->valuestring);
  }
  cJSON_ArrayForEach (job, cJSON_GetObjectItemCaseSensitive (doc, "jobs")) {
    cJSON *o = cJSON_GetObjectItemCaseSensitive (job, "job options");

    for (cJSON *c = o ? o->child : NULL; c; c = c->next)
      if (cJSON_IsString (c))
        redact_kv (c->valuestring);
  }
  out = cJSON_Print (doc);
  cJSON_Delete (doc);
  r = write_file_atomic (to, out, strlen (out));
  free (out);
  return r;
}

/* The most useful line of PATH for a failure message, or NULL: one
 * naming a fio server fio --client lost or could not reach, else the
 * first from fio, the engine or a guest.  Stops at a line opening fio's
 * JSON (its output file has the clients' log lines before it).
 */
static bool
names_server (const char *line)
{
  return strncmp (line, "client: host=", 13) == 0 ||
    strstr (line, "fio: failed to connect to ") != NULL;
}

static char *
reason_in (const char *path)
{
  char *text = path ? read_file (path, NULL) : NULL, *line = NULL;
  char *save = NULL;

  for (char *p = text ? strtok_r (text, "\n", &save) : NULL; p;
       p = strtok_r (NULL, "\n", &save)) {
    if (p[0] == '{')
      break;
    if (names_server (p)) {
      free (line);
      line = xstrdup (p);
      break;
    }
    if (line == NULL && (strstr (p, "viper:") || strstr (p, "fio: ") ||
                         strncmp (p, "guest: ", 7) == 0))
      line = xstrdup (p);
  }
  free (text);
  return line;
}

/* The most useful line of fio's stderr (or of its output RAWPATH, may
 * be NULL) for a failure message.
 */
static char *
fio_reason (const char *errpath, const char *rawpath, int status)
{
  char *line = reason_in (errpath), *raw = reason_in (rawpath);

  /* A lost fio server is said in the output file, before the JSON. */
  if (raw && (line == NULL || (!names_server (line) && names_server (raw)))) {
    free (line);
    line = raw;
  }
  else
    free (raw);
  if (line == NULL)
    line = WIFSIGNALED (status)
      ? xasprintf ("fio killed by signal %d", WTERMSIG (status))
      : xasprintf ("fio exited with status %d", WEXITSTATUS (status));
  return line;
}

/* Asks fio itself whether it takes the job text JOB (fio --parse-only,
 * nothing run); 0, or -1 with fio's reason in a message naming WHAT.
 */
int
fio_check_job (const char *job, const char *what, const char *private_dir)
{
  const char *argv[] = { "fio", "--parse-only", "-", NULL };
  char *log = xasprintf ("%s/parse-only.log", private_dir);
  struct spawn_opts o = { .stdin_data = job, .stderr_path = log };
  pid_t pid = proc_spawn (argv, &o);
  int status = 0, w = pid > 0 ? proc_wait (pid, 30, &status) : -1, r = 0;

  if (w != 0) {
    if (pid > 0)
      proc_kill (pid, 1);
    vb_msg ("%s: fio --parse-only did not answer", what);
    r = -1;
  }
  else if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
    char *why = fio_reason (log, NULL, status);

    vb_msg ("%s: fio refuses it: %s", what, why);
    free (why);
    r = -1;
  }
  unlink (log);
  free (log);
  return r;
}

/* Runs fio on JOB in L->dir; see internal.h. */
/* True once fio (PID) has started its JOBS jobs: as child processes, or
 * as threads (thread=1) beside its main thread.
 */
static bool
jobs_running (pid_t pid, unsigned jobs)
{
  pid_t members[256];
  char path[64];
  DIR *d;
  struct dirent *e;
  unsigned threads = 0;

  if (procfs_group (pid, members, 256) > jobs)
    return true;
  snprintf (path, sizeof path, "/proc/%d/task", (int) pid);
  if ((d = opendir (path)) == NULL)
    return false;
  while ((e = readdir (d)))
    threads += e->d_name[0] != '.';
  closedir (d);
  return threads > jobs;
}

/* Starts the run's collectors on fio (PID) and L's servers once fio's
 * jobs are running: after ramp_time, or a moment for fio to fork them.
 * Returns 1 when fio ended before the window opened.
 */
static int
collectors_begin (struct run *run, struct layer *l, pid_t pid,
                  struct coll_ctx *ctx, void **state, double *t0)
{
  double settle = run->sc->ramp;
  double until = mono_now () + settle;
  void **armed = xcalloc (run->ncoll, sizeof *armed);

  memset (ctx, 0, sizeof *ctx);
  ctx->dir = l->dir;
  ctx->layer = l->t->name;
  ctx->file = l->file;
  /* time_based: the window is the runtime, less the wait below. */
  ctx->expect_s = run->sc->runtime > 0 ? run->sc->runtime : 0;
  for (size_t i = 0; i < run->st->nplugin_args + run->st->nfilter_args; i++) {
    const char *kv = i < run->st->nplugin_args ? run->st->plugin_args[i]
      : run->st->filter_args[i - run->st->nplugin_args];
    char key[128];

    snprintf (key, sizeof key, "%.*s", (int) strcspn (kv, "="), kv);
    if (is_secret_key (key))
      ctx->has_secrets = true;
  }
  /* Or anywhere else in the stack (a service's argv or environment):
   * perf's raw stacks may hold any process's arguments.
   */
  if (run->st->has_secrets)
    ctx->has_secrets = true;
  /* A job run elsewhere (a guest) has no fio here: what runs it is
   * among the layer's children.
   */
  if (!l->t->run_job)
    ctx->procs[ctx->nprocs++] = (struct coll_proc) {
      .role = "fio", .pid = pid, .is_fio = true };
  for (size_t i = 0; i < l->nchild && ctx->nprocs < COLL_MAX_PROCS; i++)
    ctx->procs[ctx->nprocs++] = (struct coll_proc) {
      .role = l->child[i].role, .pid = l->child[i].pid,
      .cg = &l->child[i].cg };
  /* The services it needs, with their worker processes. */
  for (size_t i = 0; i < run->st->nsvc && ctx->nprocs < COLL_MAX_PROCS; i++)
    if (service_needed (&run->st->svc[i], l->t->name) &&
        run->st->svc[i].running)
      ctx->procs[ctx->nprocs++] = (struct coll_proc) {
        .role = run->st->svc[i].role, .pid = run->st->svc[i].pid,
        .tree = true, .cg = &run->st->svc[i].cg };
  /* Collectors with a costly start (perf) are readied now, so that it
   * falls in the wait below rather than in the window.
   */
  for (size_t i = 0; i < run->ncoll; i++)
    armed[i] = run->coll[i]->arm &&
               !(run->coll[i]->wants && !run->coll[i]->wants (ctx))
      ? run->coll[i]->arm (ctx) : NULL;
  /* Ramp first, then until fio's jobs exist (child processes or
   * threads; at most 5 s), then half a second for them to connect, so
   * that the servers' connection threads exist when counting starts.
   */
  while (mono_now () < until ||
         (!l->t->run_job && !jobs_running (pid, run->sc->jobs)) ||
         (l->t->jobs_running && !l->t->jobs_running (run, l))) {
    if (!proc_alive (pid) || stop_requested)
      goto none;
    if (mono_now () > until + (l->t->jobs_running ? 30 : 5))
      break;
    usleep (10000);
  }
  for (until = mono_now () + 0.5; mono_now () < until; usleep (10000))
    if (!proc_alive (pid) || stop_requested)
      goto none;
  *t0 = mono_now ();
  for (size_t i = 0; i < run->ncoll; i++) {
    if (run->coll[i]->wants && !run->coll[i]->wants (ctx))
      state[i] = NULL;
    else if (run->coll[i]->arm)
      state[i] = armed[i] ? run->coll[i]->begin (armed[i], ctx) : NULL;
    else
      state[i] = run->coll[i]->start (ctx);
  }
  free (armed);
  return 0;

 none:
  for (size_t i = 0; i < run->ncoll; i++)
    if (armed[i])
      run->coll[i]->disarm (armed[i]);
  free (armed);
  return 1;
}

/* Starts the probes' window: a snapshot of each probe file that exists
 * (one the engine makes when fio opens its jobs has none: it counts
 * from when it was made).
 */
static void
probes_begin (struct layer *l)
{
  for (size_t i = 0; i < l->nprobe; i++) {
    struct probe_point *p = &l->probe[i];

    if (p->end) {               /* measured by the target itself */
      if (p->begin)
        p->begin (p);
      continue;
    }
    p->started = access (p->path, F_OK) == 0 &&
                 probe_snapshot (p->path, &p->start, true) == 0;
  }
}

/* The boundary B's "capacity" from its probe point P, when known: the
 * most requests it holds at once, what sets that, who serves it.
 */
static void
add_capacity (cJSON *b, const struct probe_point *p)
{
  cJSON *c;

  if (isnan (p->cap))
    return;
  c = cJSON_AddObjectToObject (b, "capacity");
  cJSON_AddNumberToObject (c, "max", p->cap);
  cJSON_AddStringToObject (c, "what", p->cap_what ? p->cap_what : "?");
  if (p->served_by)
    cJSON_AddStringToObject (c, "served_by", p->served_by);
}

/* L's boundaries, top to bottom, over fio's window: fio's own figures,
 * then each probe's from its start to now.  ALIGNED: the window is
 * fio's (no ramp_time to guess the end of).
 */
static cJSON *
probes_end (struct run *run, struct layer *l, const struct fio_result *res,
            bool aligned)
{
  cJSON *all = cJSON_CreateArray (), *b;
  char *via = xasprintf ("the scenario's jobs (%u x iodepth %u)",
                         run->sc->jobs, run->sc->depth);

  b = fio_boundary (res, (double) run->sc->jobs * run->sc->depth, via);
  cJSON_AddBoolToObject (b, "aligned_with_fio", true);
  cJSON_AddItemToArray (all, b);
  free (via);
  for (size_t i = 0; i < l->nprobe; i++) {
    struct probe_point *p = &l->probe[i];
    struct probe_snap end;

    if (p->end) {
      b = p->end (p, boundary_num (all->child, "window_s"));
      if (b == NULL)
        continue;
      cJSON_AddBoolToObject (b, "aligned_with_fio", aligned);
      add_capacity (b, p);
      cJSON_AddItemToArray (all, b);
      continue;
    }
    if (probe_snapshot (p->path, &end, false) == -1) {
      vb_warn ("%s: boundary %s not measured", l->t->name, p->name);
      continue;
    }
    b = probe_boundary (p->name, p->via, p->source,
                        p->started ? &p->start : NULL, &end);
    cJSON_AddBoolToObject (b, "aligned_with_fio", aligned);
    add_capacity (b, p);
    cJSON_AddItemToArray (all, b);
  }
  return all;
}

/* A target's run_job in a child (proc_fork). */
struct job_arg {
  struct run *run;
  struct layer *l;
  const char *job, *json;
};

static int
job_child (void *arg)
{
  struct job_arg *a = arg;

  return a->l->t->run_job (a->run, a->l, a->job, a->json);
}

/* The I/Os fio did within a window of WINDOW seconds: its IOPS (its
 * I/Os over its own measured time) times the window, at most all of them.
 */
static uint64_t
window_ios (const struct fio_result *res, double window)
{
  uint64_t all = res->read.total_ios + res->write.total_ios;
  double rate = res->read.iops + res->write.iops;

  if (!(rate > 0) || !(window > 0) || rate * window >= (double) all)
    return all;
  return (uint64_t) llround (rate * window);
}

int
fio_run_layer (struct run *run, struct layer *l, const char *job,
               struct fio_result *res, cJSON **coll)
{
  void **state = xcalloc (run->ncoll, sizeof *state);
  struct coll_ctx ctx;
  struct coll_end cend;
  double t0 = 0, spawned;
  bool collecting = false, ramped = run->sc->ramp <= 0;
  char *raw = xasprintf ("%s/%s.fio.json", run->private_dir, l->t->name);
  char *out = xasprintf ("--output=%s", raw);
  char *err = xasprintf ("%s/fio.stderr", l->dir);
  char *stored = xasprintf ("%s/fio.json", l->dir);
  const char *argv[] = { "fio", "--output-format=json+", out, "-", NULL,
                         NULL, NULL, NULL };
  struct progress prog;
  struct job_arg ja = { run, l, job, raw };
  /* A sanitizer build of the engine needs its runtime in fio: the
   * tests name it here rather than preloading it into every server.
   */
  struct spawn_opts o = { .cwd = l->dir, .stdin_data = job,
                          .log_path = err,
                          .preload = getenv ("VIPERBENCH_FIO_PRELOAD"),
                          .cpus = pin_fio (run) };
  double bound = run->sc->runtime > 0
    ? run->sc->runtime + run->sc->ramp + 120 : 1800;
  int status = 0, w, r = -1;
  pid_t pid;

  *coll = NULL;
  memset (res, 0, sizeof *res);
  memset (&cend, 0, sizeof cend);
  probes_begin (l);
  spawned = mono_now ();
  if (l->t->run_job) {
    /* It writes into L->dir by the runner's own paths. */
    o.stdin_data = NULL;
    o.cwd = NULL;
    pid = proc_fork (job_child, &ja, &o);
  }
  else {
    progress_begin (&prog, run, l, true);
    if (prog.status) {
      /* Its status once a second, to a file of its own (not its log). */
      argv[3] = "--eta=always";
      argv[4] = "--eta-newline=1";
      argv[5] = "--eta-interval=1";
      argv[6] = "-";
      o.stdout_path = prog.status;
    }
    pid = proc_spawn (argv, &o);
  }
  if (l->t->run_job)
    progress_begin (&prog, run, l, false);
  if (pid == -1)
    goto out;
  if (run->ncoll)
    collecting = collectors_begin (run, l, pid, &ctx, state, &t0) == 0;
  /* Wait in 100 ms steps, letting the collectors sample. */
  for (double end_at = mono_now () + bound;;) {
    w = proc_wait_rusage (pid, 0.1, &status, &cend.fio_rusage);
    if (w != 1 || mono_now () > end_at)
      break;
    /* A service it needs died: the layer fails, naming it. */
    if (run->st->nsvc && services_dead (run->st, l->t->name)) {
      w = 3;
      break;
    }
    /* Or a part of the layer (a load client) did. */
    if (l->t->check && l->t->check (run, l) == -1) {
      w = 3;
      break;
    }
    /* fio resets its figures after ramp_time: so do the probes (as near
     * as the runner can tell when that was).
     */
    if (!ramped && mono_now () >= spawned + run->sc->ramp) {
      probes_begin (l);
      ramped = true;
    }
    for (size_t i = 0; collecting && i < run->ncoll; i++)
      if (state[i] && run->coll[i]->tick)
        run->coll[i]->tick (state[i], &ctx);
    progress_tick (&prog);
  }
  progress_end (&prog);
  cend.window_s = mono_now () - t0;
  if (w != 0) {
    proc_kill (pid, 10);
    if (w == 1)
      vb_msg ("%s: fio did not finish within %.0f s: stopped", l->t->name,
              bound);
    goto out;
  }
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
    char *why = fio_reason (err, raw, status);

    vb_msg ("%s: %s", l->t->name, why);
    free (why);
    /* fio's errors may come from a service that died: say so last. */
    if (run->st->nsvc)
      services_dead (run->st, l->t->name);
    if (access (raw, R_OK) == 0)
      store_redacted (raw, stored);
    goto out;
  }
  if (store_redacted (raw, stored) == -1) {
    vb_msg ("%s: fio wrote no JSON (%s)", l->t->name, raw);
    goto out;
  }
  if (fio_parse (stored, res) == -1)
    goto out;
  if (res->error) {
    vb_msg ("%s: fio job error %d (%s)", l->t->name, res->error,
            strerror (res->error));
    goto out;
  }
  l->boundaries = probes_end (run, l, res, run->sc->ramp <= 0);
  r = 0;

 out:
  /* Collectors stop once fio has exited (before the servers do). */
  cend.ios = window_ios (res, cend.window_s);
  if (collecting) {
    *coll = cJSON_CreateObject ();
    for (size_t i = 0; i < run->ncoll; i++) {
      cJSON *one;

      if (state[i] == NULL)
        continue;
      one = cJSON_CreateObject ();
      if (run->coll[i]->stop (state[i], &ctx, &cend, one) == 0)
        cJSON_AddItemToObject (*coll, run->coll[i]->name, one);
      else
        cJSON_Delete (one);
    }
  }
  progress_end (&prog);
  unlink (raw);
  free (raw);
  free (out);
  free (err);
  free (stored);
  free (state);
  return r;
}
