/* perf.c: a sampled profile of each process of the layer.
 *
 * perf record -a -e cpu-clock with DWARF call graphs (software clock:
 * this kind of machine has no PMU) over the measured window (started
 * with fio, its events enabled at the window's start), kept to fio,
 * its job processes and the layer's servers; then perf script is folded into one line per distinct stack,
 * "role;outermost;...;leaf count" (what flame graph tools read), and the
 * top symbols per process with their self and inclusive shares go into
 * the record.  Kernel frames carry a "_[k]" suffix, as flamegraph.pl's
 * stackcollapse does; a frame without a symbol is named after its DSO.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* DWARF unwinding: Debian's binaries have no frame pointers, so -g alone
 * stops at libc; with DWARF the stacks reach nbdkit and the plugin.  4
 * KiB of stack per sample keeps the overhead and perf.data small.
 *
 * The rate follows the window: PERF_TARGET samples for a process busy
 * on one CPU over the window, so a two-second layer's flame graph has
 * as many samples as a twenty-second one's; between PERF_MIN_HZ and
 * PERF_MAX_HZ (the highest rate whose cost stayed near the collectors'
 * 3% budget: runner/bench-collectors.sh, README), a hundred minus one so
 * that sampling never runs in step with the workload's own timers.
 */
#define PERF_TARGET 2000
#define PERF_MIN_HZ 99
#define PERF_MAX_HZ 199
#define PERF_CALLGRAPH "dwarf,4096"
#define TOP_N 15

struct perf_state {
  pid_t perf;
  int hz;
  char *data;
  char *ctl, *ack;              /* its control FIFOs until enabled */
  double cpu_before;            /* its CPU seconds before the window */
  /* Per process of the layer: it and its children (fio's jobs, a
   * service's workers) when it counts them.
   */
  pid_t group[COLL_MAX_PROCS][256];
  size_t ngroup[COLL_MAX_PROCS];
};

int
perf_rate (double expect_s)
{
  double hz = expect_s > 0 ? PERF_TARGET / expect_s : PERF_MIN_HZ;
  int r = (int) ceil ((hz + 1) / 100) * 100 - 1;

  return r < PERF_MIN_HZ ? PERF_MIN_HZ : r > PERF_MAX_HZ ? PERF_MAX_HZ : r;
}

/* This process's CPU seconds so far (user + system), or 0. */
static double
cpu_so_far (pid_t pid)
{
  struct proc_usage u;

  return procfs_usage (pid, false, &u) == 0 ? u.user_s + u.sys_s : 0;
}

/* Removes the control FIFOs of S. */
static void
fifos_remove (struct perf_state *s)
{
  if (s->ctl) {
    unlink (s->ctl);
    unlink (s->ack);
  }
  free (s->ctl);
  free (s->ack);
  s->ctl = s->ack = NULL;
}

/* System-wide (-a), kept to the layer's processes when folding: perf
 * record -p follows only the threads that exist when it attaches, and
 * nbdkit starts a connection's threads when fio's jobs connect.  Started
 * when fio is, with its events disabled (-D -1), so that its start-up
 * (reading every process's maps) falls before the window; perf_begin
 * enables them through its control FIFO.
 */
static void *
perf_arm (const struct coll_ctx *ctx)
{
  struct perf_state *s = xcalloc (1, sizeof *s);
  char *log = xasprintf ("%s/perf.log", ctx->dir);
  struct spawn_opts o = { .log_path = log };

  s->data = xasprintf ("%s/perf.data", ctx->dir);
  s->ctl = xasprintf ("%s/perf.ctl", ctx->dir);
  s->ack = xasprintf ("%s/perf.ack", ctx->dir);
  s->hz = perf_rate (ctx->expect_s);
  unlink (s->ctl);
  unlink (s->ack);
  if (mkfifo (s->ctl, 0600) == -1 || mkfifo (s->ack, 0600) == -1) {
    vb_warn ("perf: mkfifo %s: %m", s->ctl);
    s->perf = -1;
  }
  else {
    char hz[16], *control = xasprintf ("fifo:%s,%s", s->ctl, s->ack);
    const char *argv[] = {
      "perf", "record", "-a", "-e", "cpu-clock", "-F", hz,
      "--call-graph", PERF_CALLGRAPH, "-D", "-1", "--control", control,
      "-o", s->data, NULL,
    };

    snprintf (hz, sizeof hz, "%d", s->hz);
    s->perf = proc_spawn (argv, &o);
    free (control);
  }
  free (log);
  return s;
}

/* Releases an armed perf that no window came for. */
static void
perf_disarm (void *armed)
{
  struct perf_state *s = armed;

  if (s->perf > 0)
    proc_kill (s->perf, 2);
  fifos_remove (s);
  unlink (s->data);
  free (s->data);
  free (s);
}

/* Enables the armed perf's events at the window's start: "enable" into
 * its control FIFO (waiting up to 5 s for perf to open it), then its
 * "ack"; the state, or NULL with a warning.
 */
static void *
perf_begin (void *armed, const struct coll_ctx *ctx)
{
  struct perf_state *s = armed;
  double end = mono_now () + 5;
  char ack[8] = "";
  int cfd = -1, afd = -1;
  size_t got = 0;

  if (s->perf <= 0)
    goto fail;
  for (size_t i = 0; i < ctx->nprocs; i++)
    if (ctx->procs[i].is_fio || ctx->procs[i].tree)
      s->ngroup[i] = procfs_group (ctx->procs[i].pid, s->group[i], 256);
  /* The ack FIFO first: perf opens it for writing after the control. */
  afd = open (s->ack, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  while (afd != -1 && (cfd = open (s->ctl, O_WRONLY | O_NONBLOCK | O_CLOEXEC))
         == -1 && errno == ENXIO && mono_now () < end && proc_alive (s->perf))
    usleep (10000);
  if (cfd == -1)
    goto fail;
  s->cpu_before = cpu_so_far (s->perf);
  if (write (cfd, "enable\n", 7) != 7)
    goto fail;
  while (got < 4 && mono_now () < end && proc_alive (s->perf)) {
    ssize_t n = read (afd, ack + got, 4 - got);

    if (n > 0)
      got += (size_t) n;
    else
      usleep (2000);
  }
  if (got < 4 || memcmp (ack, "ack\n", 4) != 0)
    goto fail;
  close (cfd);
  close (afd);
  fifos_remove (s);
  return s;

 fail:
  vb_warn ("perf: could not start its events for %s (see perf.log)",
           ctx->layer);
  if (cfd != -1)
    close (cfd);
  if (afd != -1)
    close (afd);
  perf_disarm (s);
  return NULL;
}

/* A string -> counts table (open addressing, FNV-1a). */
struct sym {
  char *name;
  uint64_t self, incl, seen;    /* seen: last sample that counted incl */
};

struct table {
  struct sym *v;
  size_t cap, n;
};

static uint64_t
fnv (const char *s)
{
  uint64_t h = 1469598103934665603ull;

  while (*s)
    h = (h ^ (unsigned char) *s++) * 1099511628211ull;
  return h;
}

static struct sym *
table_get (struct table *t, const char *name)
{
  size_t i;

  if (t->n * 2 >= t->cap) {
    struct table nt = { .cap = t->cap ? t->cap * 2 : 256 };

    nt.v = xcalloc (nt.cap, sizeof *nt.v);
    for (size_t k = 0; k < t->cap; k++)
      if (t->v[k].name) {
        size_t j = fnv (t->v[k].name) & (nt.cap - 1);

        while (nt.v[j].name)
          j = (j + 1) & (nt.cap - 1);
        nt.v[j] = t->v[k];
      }
    nt.n = t->n;
    free (t->v);
    *t = nt;
  }
  i = fnv (name) & (t->cap - 1);
  while (t->v[i].name && strcmp (t->v[i].name, name) != 0)
    i = (i + 1) & (t->cap - 1);
  if (t->v[i].name == NULL) {
    t->v[i].name = xstrdup (name);
    t->n++;
  }
  return &t->v[i];
}

static void
table_free (struct table *t)
{
  for (size_t k = 0; k < t->cap; k++)
    free (t->v[k].name);
  free (t->v);
}

/* Per role: its samples, symbols, and folded stacks. */
struct role_prof {
  const char *role;
  uint64_t samples;
  struct table syms;
  struct table folded;
  struct table threads;         /* samples per thread name (comm) */
};

/* The frame's name: "sym", "sym_[k]", or "[dso]" when unresolved. */
static void
frame_name (char *line, char *out, size_t n)
{
  char *p = line, *sym, *dso = strrchr (line, '('), *end;
  bool kernel;

  while (isspace ((unsigned char) *p)) p++;
  while (*p && !isspace ((unsigned char) *p)) p++;   /* the address */
  while (isspace ((unsigned char) *p)) p++;
  sym = p;
  if (dso && dso > sym) {
    end = dso;
    while (end > sym && isspace ((unsigned char) end[-1])) end--;
    *end = '\0';
    dso++;
    if ((end = strrchr (dso, ')')))
      *end = '\0';
  }
  else
    dso = (char *) "";
  kernel = strstr (dso, "kernel.kallsyms") != NULL || dso[0] == '[';
  /* Drop "+0x12" offsets perf may print. */
  if ((end = strstr (sym, "+0x")))
    *end = '\0';
  if (*sym == '\0' || strcmp (sym, "[unknown]") == 0) {
    const char *base = strrchr (dso, '/');

    snprintf (out, n, "[%s]", base ? base + 1 : (*dso ? dso : "unknown"));
  }
  else
    snprintf (out, n, "%s%s", sym, kernel ? "_[k]" : "");
  for (char *c = out; *c; c++)
    if (*c == ';' || *c == ' ')
      *c = '_';                 /* ';' separates frames, ' ' the count */
}

/* Folds one sample's FRAMES (leaf first) into R. */
static void
fold (struct role_prof *r, char frames[][256], size_t n, uint64_t sample_no)
{
  size_t len = strlen (r->role) + 1;
  char *stack, *w;

  r->samples++;
  for (size_t i = 0; i < n; i++)
    len += strlen (frames[i]) + 1;
  stack = xmalloc (len + 1);
  w = stpcpy (stack, r->role);
  for (size_t i = n; i-- > 0;) {
    struct sym *s = table_get (&r->syms, frames[i]);

    if (s->seen != sample_no) {       /* inclusive: once per sample */
      s->incl++;
      s->seen = sample_no;
    }
    if (i == 0)
      s->self++;
    *w++ = ';';
    w = stpcpy (w, frames[i]);
  }
  table_get (&r->folded, stack)->self++;
  free (stack);
}

static int
cmp_self (const void *a, const void *b)
{
  const struct sym *x = a, *y = b;

  return (y->self > x->self) - (y->self < x->self);
}

static int
cmp_incl (const void *a, const void *b)
{
  const struct sym *x = a, *y = b;

  return (y->incl > x->incl) - (y->incl < x->incl);
}

/* T's entries sorted by CMP (an array to free; *N of them). */
static struct sym *
sorted (struct table *t, int (*cmp) (const void *, const void *), size_t *n)
{
  struct sym *v = xmalloc ((t->n + 1) * sizeof *v);

  *n = 0;
  for (size_t k = 0; k < t->cap; k++)
    if (t->v[k].name)
      v[(*n)++] = t->v[k];
  qsort (v, *n, sizeof *v, cmp);
  return v;
}

static cJSON *
top_list (struct table *t, uint64_t samples, int (*cmp) (const void *, const void *))
{
  cJSON *a = cJSON_CreateArray ();
  size_t n;
  struct sym *v = sorted (t, cmp, &n);

  for (size_t i = 0; i < n && i < TOP_N; i++) {
    cJSON *o = cJSON_CreateObject ();

    cJSON_AddStringToObject (o, "symbol", v[i].name);
    cJSON_AddNumberToObject (o, "self_pct", 100.0 * (double) v[i].self / (double) samples);
    cJSON_AddNumberToObject (o, "inclusive_pct",
                             100.0 * (double) v[i].incl / (double) samples);
    cJSON_AddItemToArray (a, o);
  }
  free (v);
  return a;
}

/* A process's samples by thread name ("CPU 0/TCG", "IO io0"), most
 * first: where the threads of one process can be told apart.
 */
static cJSON *
thread_list (struct table *t, uint64_t samples)
{
  cJSON *a = cJSON_CreateArray ();
  size_t n;
  struct sym *v = sorted (t, cmp_self, &n);

  for (size_t i = 0; i < n && i < TOP_N; i++) {
    cJSON *o = cJSON_CreateObject ();

    cJSON_AddStringToObject (o, "thread", v[i].name);
    cJSON_AddNumberToObject (o, "samples", (double) v[i].self);
    cJSON_AddNumberToObject (o, "pct", 100.0 * (double) v[i].self /
                             (double) samples);
    cJSON_AddItemToArray (a, o);
  }
  free (v);
  return a;
}

/* The role of a sample's PID, or NULL when it is not the layer's. */
static struct role_prof *
role_of (struct perf_state *s, const struct coll_ctx *ctx,
         struct role_prof *roles, long pid)
{
  for (size_t i = 0; i < ctx->nprocs; i++) {
    if (ctx->procs[i].pid == pid)
      return &roles[i];
    for (size_t k = 0; k < s->ngroup[i]; k++)
      if (s->group[i][k] == pid)
        return &roles[i];
  }
  return NULL;
}

/* Runs perf script and folds each sample of the layer's processes into
 * its role; 0 or -1.
 */
static int
fold_all (struct perf_state *s, const struct coll_ctx *ctx,
          struct role_prof *roles, const char *tmp)
{
  const char *argv[] = {
    "perf", "script", "-i", s->data, "-F", "comm,pid,tid,ip,sym,dso", NULL,
  };
  struct spawn_opts o = { .stdout_path = tmp };
  char (*frames)[256] = xmalloc (128 * sizeof *frames);
  char *text, *save = NULL;
  size_t nframes = 0;
  uint64_t sample_no = 0;
  struct role_prof *cur = NULL;
  char comm[64] = "";
  int status;
  pid_t pid = proc_spawn (argv, &o);

  if (pid == -1 || proc_wait (pid, 300, &status) != 0) {
    proc_kill (pid, 2);
    free (frames);
    return -1;
  }
  text = read_file (tmp, NULL);
  unlink (tmp);
  for (char *l = text ? strtok_r (text, "\n", &save) : NULL; ;
       l = strtok_r (NULL, "\n", &save)) {
    if (l == NULL || !isspace ((unsigned char) *l)) {
      /* A header line (or the end) closes the previous sample. */
      if (cur && nframes) {
        fold (cur, frames, nframes, ++sample_no);
        table_get (&cur->threads, comm)->self++;
      }
      nframes = 0;
      cur = NULL;
      if (l == NULL)
        break;
      {
        /* "comm pid/tid": the comm may hold spaces, not "N/N". */
        char *slash = strrchr (l, '/'), *p;

        if (slash == NULL)
          continue;
        p = slash;
        while (p > l && isdigit ((unsigned char) p[-1]))
          p--;
        cur = role_of (s, ctx, roles, strtol (p, NULL, 10));
        /* The thread's name: what comes before the pid, trimmed. */
        {
          char *b = l, *e = p;

          while (*b == ' ' || *b == '\t')
            b++;
          while (e > b && isspace ((unsigned char) e[-1]))
            e--;
          snprintf (comm, sizeof comm, "%.*s", (int) (e - b), b);
        }
      }
    }
    else if (cur && nframes < 128)
      frame_name (l, frames[nframes++], sizeof frames[0]);
  }
  free (text);
  free (frames);
  return 0;
}

static int
perf_stop (void *state, const struct coll_ctx *ctx, const struct coll_end *end,
           cJSON *out)
{
  struct perf_state *s = state;
  char *tmp = xasprintf ("%s/perf.script.tmp", ctx->dir);
  char *folded_path = xasprintf ("%s/perf.folded", ctx->dir);
  struct role_prof roles[COLL_MAX_PROCS];
  cJSON *procs;
  FILE *ff;
  double perf_cpu = 0;
  int r = -1, stopped;

  (void) end;
  memset (roles, 0, sizeof roles);
  for (size_t i = 0; i < ctx->nprocs; i++)
    roles[i].role = ctx->procs[i].role;
  stopped = coll_perf_stop (s->perf, &perf_cpu);
  perf_cpu -= s->cpu_before;
  if (stopped == -1 || fold_all (s, ctx, roles, tmp) == -1) {
    fprintf (stderr, "viperbench: warning: perf: no profile for %s\n",
             ctx->layer);
    if (ctx->has_secrets)
      unlink (s->data);
    goto out;
  }
  ff = fopen_out (folded_path);
  procs = cJSON_AddArrayToObject (out, "processes");
  for (size_t i = 0; i < ctx->nprocs; i++) {
    struct role_prof *rp = &roles[i];
    cJSON *p;

    if (rp->samples == 0)
      continue;
    for (size_t k = 0; ff && k < rp->folded.cap; k++)
      if (rp->folded.v[k].name)
        fprintf (ff, "%s %llu\n", rp->folded.v[k].name,
                 (unsigned long long) rp->folded.v[k].self);
    p = cJSON_CreateObject ();
    cJSON_AddStringToObject (p, "role", rp->role);
    cJSON_AddNumberToObject (p, "samples", (double) rp->samples);
    cJSON_AddItemToObject (p, "top_self", top_list (&rp->syms, rp->samples, cmp_self));
    cJSON_AddItemToObject (p, "top_inclusive",
                           top_list (&rp->syms, rp->samples, cmp_incl));
    cJSON_AddItemToObject (p, "threads", thread_list (&rp->threads,
                                                      rp->samples));
    cJSON_AddItemToArray (procs, p);
  }
  if (ff)
    fclose_out (ff, folded_path);
  /* What perf record itself cost from the window's start (its writing
   * out included; its start-up before the window is not).
   */
  cJSON_AddNumberToObject (out, "perf_cpu_s", perf_cpu);
  cJSON_AddStringToObject (out, "event", "cpu-clock");
  cJSON_AddNumberToObject (out, "frequency_hz", s->hz);
  cJSON_AddStringToObject (out, "call_graph", PERF_CALLGRAPH);
  /* perf.data holds raw user stack memory (DWARF unwinding), which may
   * hold the secrets a plugin was given: keep only what was derived.
   */
  if (ctx->has_secrets) {
    unlink (s->data);
    cJSON_AddNullToObject (out, "perf_data");
    cJSON_AddStringToObject (out, "perf_data_dropped",
                             "the stack's plugin arguments hold secrets and "
                             "perf.data holds raw stack memory");
  }
  else
    cJSON_AddStringToObject (out, "perf_data", "perf.data");
  cJSON_AddStringToObject (out, "folded", "perf.folded");
  r = 0;

 out:
  for (size_t i = 0; i < ctx->nprocs; i++) {
    table_free (&roles[i].syms);
    table_free (&roles[i].folded);
    table_free (&roles[i].threads);
  }
  free (tmp);
  free (folded_path);
  free (s->data);
  free (s);
  return r;
}

const struct collector collector_perf = {
  .name = "perf",
  .unavailable = coll_perf_unavailable,
  .arm = perf_arm,
  .begin = perf_begin,
  .disarm = perf_disarm,
  .stop = perf_stop,
};
