/* scenario.c: fio job files without engine or target (scenarios/NAME.fio).
 *
 * A scenario is read as fio reads an ini job file ([section], key=value,
 * bare flags, # and ; comments), checked for options the runner owns
 * (ioengine, filename, ...), given RUNTIME=/SIZE= overrides, and rendered
 * per layer with the layer's engine options in a leading [global].
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Options a scenario must leave to the runner. */
static const char *const owned[] = {
  "directory", "filename", "filename_format", "ioengine", "opendir",
  "output", "output-format", "uri", "write_hist_log", "write_lat_log",
  "write_bw_log", "write_iops_log",
};

/* Options that run a command, read or write files of their own, or
 * change the system: a scenario is one job file that says what I/O to
 * do, nothing more.
 */
static const char *const refused[] = {
  "aux_path", "cgroup", "cgroup_nodelete", "cgroup_weight", "exec_postrun",
  "exec_prerun", "gid", "ioscheduler", "iolog", "merge_blktrace_file",
  "per_job_logs", "profile", "read_iolog", "replay_redirect", "trigger",
  "trigger-file", "trigger_file", "trigger-timeout", "trigger_cmd", "uid",
  "write_iolog",
};

static char *
trim (char *s)
{
  char *e;

  while (isspace ((unsigned char) *s))
    s++;
  e = s + strlen (s);
  while (e > s && isspace ((unsigned char) e[-1]))
    *--e = '\0';
  return s;
}

static struct section *
add_section (struct scenario *sc, const char *name, int line)
{
  struct section *n = xrealloc (sc->sec, (sc->nsec + 1) * sizeof *n);
  sc->sec = n;
  n = &sc->sec[sc->nsec++];
  memset (n, 0, sizeof *n);
  n->name = xstrdup (name);
  n->line = line;
  return n;
}

static void
set_kv (struct section *s, const char *key, const char *value, int line)
{
  for (size_t i = 0; i < s->n; i++)
    if (strcmp (s->kv[i].key, key) == 0) {
      free (s->kv[i].value);
      s->kv[i].value = value ? xstrdup (value) : NULL;
      return;
    }
  s->kv = xrealloc (s->kv, (s->n + 1) * sizeof *s->kv);
  s->kv[s->n].key = xstrdup (key);
  s->kv[s->n].value = value ? xstrdup (value) : NULL;
  s->kv[s->n].line = line;
  s->n++;
}

static const struct kv *
get_kv (const struct section *s, const char *key)
{
  for (size_t i = 0; i < s->n; i++)
    if (strcmp (s->kv[i].key, key) == 0)
      return &s->kv[i];
  return NULL;
}

/* The value of KEY for job section J: its own, else the last [global]
 * before it that sets it; NULL when unset, "" for a bare flag.
 */
static const char *
effective (const struct scenario *sc, size_t j, const char *key)
{
  const struct kv *kv = get_kv (&sc->sec[j], key);

  if (kv)
    return kv->value ? kv->value : "";
  for (size_t i = j; i-- > 0;)
    if (strcmp (sc->sec[i].name, "global") == 0 &&
        (kv = get_kv (&sc->sec[i], key)))
      return kv->value ? kv->value : "";
  return NULL;
}

/* fio's time values: "30", "30s", "2m", "500ms". */
static double
parse_seconds (const char *v)
{
  char *end;
  double d;

  if (v == NULL)
    return 0;
  d = strtod (v, &end);
  if (strcmp (end, "ms") == 0) return d / 1000;
  if (*end == 'm') return d * 60;
  if (*end == 'h') return d * 3600;
  return d;
}

/* Bounds on what a scenario may ask for, so that a typing slip cannot
 * make a run of a week or of a million jobs; 0, or -1 with a message.
 */
static int
check_bounds (const struct scenario *sc)
{
  static const struct { const char *key; long max; } bounds[] = {
    { "numjobs", 1024 }, { "iodepth", 65536 },
  };
  unsigned long total = 0;

  for (size_t j = 0; j < sc->nsec; j++) {
    const char *v;

    if (strcmp (sc->sec[j].name, "global") == 0)
      continue;
    for (size_t b = 0; b < sizeof bounds / sizeof bounds[0]; b++) {
      char *end;
      long n;

      if ((v = effective (sc, j, bounds[b].key)) == NULL)
        continue;
      errno = 0;
      n = strtol (v, &end, 10);
      if (errno || end == v || *end || n < 1 || n > bounds[b].max) {
        vb_msg ("%s: [%s] %s=%s: expected a whole number from 1 to %ld",
                sc->path, sc->sec[j].name, bounds[b].key, v, bounds[b].max);
        return -1;
      }
      if (b == 0)
        total += (unsigned long) n;
    }
    if ((v = effective (sc, j, "numjobs")) == NULL)
      total++;
  }
  if (total > 4096) {
    vb_msg ("%s: %lu jobs in all: at most 4096", sc->path, total);
    return -1;
  }
  if (!(sc->runtime >= 0 && sc->runtime <= 604800) ||
      !(sc->ramp >= 0 && sc->ramp <= 604800)) {
    vb_msg ("%s: runtime or ramp_time beyond a week", sc->path);
    return -1;
  }
  return 0;
}

static void
derive (struct scenario *sc)
{
  sc->jobs = 0;
  sc->depth = 0;
  sc->runtime = sc->ramp = 0;
  for (size_t j = 0; j < sc->nsec; j++) {
    const char *v;

    if (strcmp (sc->sec[j].name, "global") == 0)
      continue;
    v = effective (sc, j, "numjobs");
    sc->jobs += v ? (unsigned) atoi (v) : 1;
    if (sc->depth == 0) {
      v = effective (sc, j, "iodepth");
      sc->depth = v ? (unsigned) atoi (v) : 1;
    }
    if (effective (sc, j, "time_based")) {
      double r = parse_seconds (effective (sc, j, "runtime"));

      if (r > sc->runtime) sc->runtime = r;
    }
    v = effective (sc, j, "ramp_time");
    if (v && parse_seconds (v) > sc->ramp)
      sc->ramp = parse_seconds (v);
  }
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Says that scenario NAME (PATH) could not be read (ERR), with the
 * scenarios DIR has and the nearest of them.
 */
static void
scenario_unknown (const char *name, const char *path, int err, const char *dir)
{
  DIR *d = opendir (dir);
  struct dirent *e;
  char **names = NULL, *all = NULL;
  const char *near = NULL;
  size_t n = 0;

  while (d && (e = readdir (d)) != NULL) {
    size_t len = strlen (e->d_name);

    if (len > 4 && strcmp (e->d_name + len - 4, ".fio") == 0 &&
        plain_name (e->d_name)) {
      names = xreallocarray (names, n + 1, sizeof *names);
      names[n++] = xasprintf ("%.*s", (int) (len - 4), e->d_name);
    }
  }
  if (d)
    closedir (d);
  qsort (names, n, sizeof *names, cmp_str);
  if (n) {
    near = cli_nearest (name, (const char *const *) names, n);
    all = cli_names ((const char *const *) names, n);
  }
  if (err != ENOENT || n == 0)
    vb_msg ("unknown scenario '%s': %s: %s (see %s/*.fio)", name, path,
            strerror (err), dir);
  else
    vb_msg ("unknown scenario '%s'%s%s%s: %s has %s", name,
            near ? " (did you mean '" : "", near ? near : "",
            near ? "'?)" : "", dir, all);
  for (size_t i = 0; i < n; i++)
    free (names[i]);
  free (names);
  free (all);
}

/* Loads scenarios/NAME.fio (or a path); see internal.h. */
int
scenario_load (const char *dir, const char *name, struct scenario *sc)
{
  int line = 0;
  struct section *cur = NULL;
  bool has_job = false;

  memset (sc, 0, sizeof *sc);
  if (*name == '\0' || strchr (name, '/'))
    sc->path = xstrdup (name);
  else
    sc->path = xasprintf ("%s/%s.fio", dir, name);
  {
    const char *base = strrchr (sc->path, '/');
    char *dot;

    sc->name = xstrdup (base ? base + 1 : sc->path);
    if ((dot = strrchr (sc->name, '.')) && strcmp (dot, ".fio") == 0)
      *dot = '\0';
  }
  if (!plain_name (sc->name)) {
    vb_msg ("scenario %s: the name '%s' is not a plain name (letters, "
            "digits, '.', '_', '-'; it names files and charts)", sc->path,
            sc->name);
    return -1;
  }
  sc->text = read_file (sc->path, NULL);
  if (sc->text == NULL) {
    scenario_unknown (name, sc->path, errno, dir);
    return -1;
  }

  /* Walk the text line by line, counting every line. */
  line = 0;
  for (char *s = sc->text; *s;) {
    size_t len = strcspn (s, "\n");
    char *raw = strndup (s, len), *l, *eq;

    if (raw == NULL)
      abort ();
    line++;
    s += len + (s[len] == '\n');
    l = trim (raw);
    if (*l == '\0' || *l == '#' || *l == ';') {
      free (raw);
      continue;
    }
    if (*l == '[') {
      char *close = strchr (l, ']');

      if (close == NULL || close[1] != '\0' || close == l + 1) {
        vb_msg ("%s:%d: malformed section header '%s'", sc->path, line, l);
        free (raw);
        return -1;
      }
      *close = '\0';
      cur = add_section (sc, trim (l + 1), line);
      if (strcmp (cur->name, "global") != 0)
        has_job = true;
      free (raw);
      continue;
    }
    if (cur == NULL) {
      vb_msg ("%s:%d: option '%s' before any [section]", sc->path, line, l);
      free (raw);
      return -1;
    }
    eq = strchr (l, '=');
    if (eq) {
      *eq = '\0';
      eq = trim (eq + 1);
    }
    l = trim (l);
    /* An option name, not a directive ("include FILE") or junk. */
    if (*l == '\0' || l[strcspn (l, " \t")] != '\0') {
      vb_msg ("%s:%d: '%s' is not an option (NAME or NAME=VALUE); %s",
              sc->path, line, l, strncmp (l, "include", 7) == 0
              ? "include is refused: a scenario is one file"
              : "directives are refused");
      free (raw);
      return -1;
    }
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
      if (strcmp (l, refused[i]) == 0) {
        vb_msg ("%s:%d: '%s' runs a command, uses files of its own or "
                "changes the system: scenarios may not set it", sc->path,
                line, l);
        free (raw);
        return -1;
      }
    if ((strcmp (l, "mem") == 0 || strcmp (l, "iomem") == 0) && eq &&
        strncmp (eq, "mmap", 4) == 0) {
      vb_msg ("%s:%d: '%s=%s': memory mapped from a file is refused (use "
              "malloc, shm or shmhuge)", sc->path, line, l, eq);
      free (raw);
      return -1;
    }
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
      if (strcmp (l, owned[i]) == 0) {
        vb_msg ("%s:%d: '%s' is set by the runner for each layer; "
                "scenarios are engine- and target-free", sc->path, line, l);
        free (raw);
        return -1;
      }
    set_kv (cur, l, eq, line);
    free (raw);
  }
  if (!has_job) {
    vb_msg ("%s: no job section (a [name] other than [global])", sc->path);
    return -1;
  }
  derive (sc);
  return check_bounds (sc);
}

/* fio's own name for the option NAME (an alias such as timeout= for
 * runtime=), from `fio --cmdhelp=NAME`: a string to free, or NULL when
 * fio knows no such option (an engine's, checked by --parse-only).
 */
/* True when NAME is one of fio's own option names (`fio --cmdhelp=all`,
 * read once: one fio for a scenario that uses no alias).
 */
static bool
fio_option_name (const char *name)
{
  static char *all;
  static bool tried;
  size_t len = strlen (name);

  if (!tried) {
    char path[] = "/tmp/viperbench-cmdhelp-XXXXXX";
    int fd = mkstemp (path);

    tried = true;
    if (fd != -1) {
      const char *argv[] = { "fio", "--cmdhelp=all", NULL };

      close (fd);
      if (proc_run (argv, 10, path, NULL) == 0)
        all = read_file (path, NULL);
      unlink (path);
    }
  }
  /* Lines "  name   : description". */
  for (const char *p = all; p && *p; p += strcspn (p, "\n"), p += *p == '\n') {
    const char *q = p + strspn (p, " ");

    if (strncmp (q, name, len) == 0 && (q[len] == ' ' || q[len] == ':'))
      return true;
  }
  return false;
}

static char *
fio_canonical (const char *name)
{
  static struct { char *name, *canon; } cache[256];
  static size_t ncache;
  char *arg, *line, *p, *canon = NULL;

  if (fio_option_name (name))
    return xstrdup (name);
  for (size_t i = 0; i < ncache; i++)
    if (strcmp (cache[i].name, name) == 0)
      return cache[i].canon ? xstrdup (cache[i].canon) : NULL;
  arg = xasprintf ("--cmdhelp=%s", name);
  {
    const char *argv[] = { "fio", arg, NULL };

    line = command_first_line (argv);
  }
  free (arg);
  /* "             runtime: Stop workload when ..." */
  if (line && strncmp (line, "No such command", 15) != 0 &&
      (p = strchr (line, ':')) != NULL) {
    *p = '\0';
    p = trim (line);
    if (*p && p[strcspn (p, " \t")] == '\0')
      canon = xstrdup (p);
  }
  free (line);
  if (ncache < sizeof cache / sizeof cache[0]) {
    cache[ncache].name = xstrdup (name);
    cache[ncache].canon = canon ? xstrdup (canon) : NULL;
    ncache++;
  }
  return canon;
}

/* Renames every option to fio's own name for it, so that an alias
 * cannot set what the runner owns or override what it sets (timeout=
 * beating --runtime); see internal.h.
 */
int
scenario_resolve (struct scenario *sc)
{
  for (size_t j = 0; j < sc->nsec; j++) {
    struct section *s = &sc->sec[j];
    struct kv *old = s->kv;
    size_t n = s->n;

    s->kv = NULL;
    s->n = 0;
    for (size_t k = 0; k < n; k++) {
      char *canon = fio_canonical (old[k].key);
      const char *key = canon ? canon : old[k].key;
      int r = 0;

      if (canon && strcmp (canon, old[k].key) != 0) {
        for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
          if (strcmp (canon, refused[i]) == 0) {
            vb_msg ("%s:%d: '%s' (fio's %s) runs a command, uses files of "
                    "its own or changes the system: scenarios may not set "
                    "it", sc->path, old[k].line, old[k].key, canon);
            r = -1;
          }
        for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
          if (strcmp (canon, owned[i]) == 0) {
            vb_msg ("%s:%d: '%s' (fio's %s) is set by the runner for each "
                    "layer; scenarios are engine- and target-free", sc->path,
                    old[k].line, old[k].key, canon);
            r = -1;
          }
      }
      if (r == 0)
        /* A later line wins, as in fio. */
        set_kv (s, key, old[k].value, old[k].line);
      free (canon);
      if (r == -1) {
        for (size_t i = k; i < n; i++) {
          free (old[i].key);
          free (old[i].value);
        }
        for (size_t i = 0; i < k; i++) {
          free (old[i].key);
          free (old[i].value);
        }
        free (old);
        return -1;
      }
    }
    for (size_t k = 0; k < n; k++) {
      free (old[k].key);
      free (old[k].value);
    }
    free (old);
  }
  derive (sc);
  return check_bounds (sc);
}

/* Applies RUNTIME= and SIZE= overrides; see internal.h. */
/* The scenario's [global], made first if there is none. */
static struct section *
ensure_global (struct scenario *sc)
{
  if (strcmp (sc->sec[0].name, "global") != 0) {
    struct section tmp;

    add_section (sc, "global", 0);
    tmp = sc->sec[sc->nsec - 1];
    memmove (sc->sec + 1, sc->sec, (sc->nsec - 1) * sizeof *sc->sec);
    sc->sec[0] = tmp;
  }
  return &sc->sec[0];
}

/* Sets every job's iodepth to DEPTH (a sweep's point); 0 or -1. */
int
scenario_set_depth (struct scenario *sc, unsigned depth)
{
  struct section *g = ensure_global (sc);
  char v[16];

  snprintf (v, sizeof v, "%u", depth);
  for (size_t i = 0; i < sc->nsec; i++)
    if (&sc->sec[i] == g || get_kv (&sc->sec[i], "iodepth"))
      set_kv (&sc->sec[i], "iodepth", v, 0);
  derive (sc);
  return check_bounds (sc);
}

int
scenario_override (struct scenario *sc, const char *runtime, const char *size)
{
  struct section *g;

  if (runtime && *runtime) {
    char *end;

    double v = strtod (runtime, &end);

    /* NAN and infinity fail the range: !(v > 0) is true for NAN. */
    if (!(v > 0 && v <= 604800) || (*end && strcmp (end, "s") != 0)) {
      vb_msg ("--runtime '%s': expected seconds (at most a week), e.g. --runtime 10", runtime);
      return -1;
    }
  }
  if (size && *size && parse_size (size) <= 0) {
    vb_msg ("--size '%s': expected a size, e.g. --size 64M", size);
    return -1;
  }
  g = ensure_global (sc);
  for (size_t i = 0; i < sc->nsec; i++) {
    struct section *s = &sc->sec[i];

    if (runtime && *runtime) {
      if (s == g || get_kv (s, "runtime"))
        set_kv (s, "runtime", runtime, 0);
      if (s == g)
        set_kv (s, "time_based", NULL, 0);
    }
    if (size && *size && (s == g || get_kv (s, "size")))
      set_kv (s, "size", size, 0);
  }
  derive (sc);
  return check_bounds (sc);
}

/* The largest size= of the jobs that is a plain size, or 0. */
int64_t
scenario_max_size (const struct scenario *sc)
{
  int64_t max = 0;

  for (size_t j = 0; j < sc->nsec; j++) {
    const char *v = effective (sc, j, "size");
    int64_t n = v ? parse_size (v) : -1;

    if (n > max)
      max = n;
  }
  return max;
}

/* The job file for one layer; see internal.h. */
char *
scenario_render (const struct scenario *sc, const char *engine_lines)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = xopen_memstream (&buf, &len);

  fprintf (f, "; generated by viperbench from %s\n[global]\n%s",
           sc->path, engine_lines);
  for (size_t i = 0; i < sc->nsec; i++) {
    fprintf (f, "\n[%s]\n", sc->sec[i].name);
    for (size_t k = 0; k < sc->sec[i].n; k++) {
      const struct kv *kv = &sc->sec[i].kv[k];

      if (kv->value)
        fprintf (f, "%s=%s\n", kv->key, kv->value);
      else
        fprintf (f, "%s\n", kv->key);
    }
  }
  xclose_memstream (f);
  return buf;
}

void
scenario_free (struct scenario *sc)
{
  for (size_t i = 0; i < sc->nsec; i++) {
    for (size_t k = 0; k < sc->sec[i].n; k++) {
      free (sc->sec[i].kv[k].key);
      free (sc->sec[i].kv[k].value);
    }
    free (sc->sec[i].kv);
    free (sc->sec[i].name);
  }
  free (sc->sec);
  free (sc->name);
  free (sc->path);
  free (sc->text);
  memset (sc, 0, sizeof *sc);
}
