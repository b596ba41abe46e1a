/* record.c: the numbered records RESULTS/PREFIX-N/ and their run.json,
 * for every command: the one writer (claim a number, write atomically,
 * finish) and the one reader (load and check, list, find a layer).
 *
 * N is claimed with mkdir (atomic: two runs never share N).  run.json is
 * always replaced whole (write to run.json.tmp, fsync, rename), so a
 * reader sees the previous complete version or the next, never half of
 * one.  While a run is going its status is "running" with the runner's
 * pid; a reader that finds that pid gone treats the run as aborted.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* The number N of NAME when it is PREFIX followed by digits only, else -1. */
static long
record_number (const char *name, const char *prefix)
{
  size_t plen = strlen (prefix);
  char *end;
  long n;

  if (strncmp (name, prefix, plen) != 0 || !isdigit ((unsigned char) name[plen]))
    return -1;
  errno = 0;
  n = strtol (name + plen, &end, 10);
  return *end || errno ? -1 : n;
}

/* Claims RESULTS/PREFIX-N; see internal.h. */
int
record_claim (const char *results, const char *prefix, struct record *rec)
{
  long max = 0;
  DIR *d;
  struct dirent *e;

  memset (rec, 0, sizeof *rec);
  if (mkdir_p (results, 0755) == -1) {
    vb_msg ("mkdir %s: %s", results, strerror (errno));
    return -1;
  }
  d = opendir (results);
  if (d == NULL) {
    vb_msg ("opendir %s: %s", results, strerror (errno));
    return -1;
  }
  while ((e = readdir (d))) {
    long n = record_number (e->d_name, prefix);

    if (n > max)
      max = n;
  }
  closedir (d);
  for (long n = max + 1; n < max + 10000; n++) {
    char *dir = xasprintf ("%s/%s%ld", results, prefix, n);

    if (mkdir (dir, 0755) == 0) {
      rec->id = xasprintf ("%s%ld", prefix, n);
      rec->dir = dir;
      return 0;
    }
    free (dir);
    if (errno != EEXIST) {
      vb_msg ("mkdir %s/%s%ld: %s", results, prefix, n, strerror (errno));
      return -1;
    }
  }
  vb_msg ("%s: could not claim a new %sN", results, prefix);
  return -1;
}

void
json_scrub (cJSON *item)
{
  for (; item; item = item->next) {
    if (item->string)
      utf8_scrub (item->string);
    if (cJSON_IsString (item))
      utf8_scrub (item->valuestring);
    json_scrub (item->child);
  }
}

int
record_write (const struct record *rec)
{
  char *path = xasprintf ("%s/run.json", rec->dir);
  char *text;

  json_scrub (rec->doc);
  /* Every secret the run knows, wherever a string carries it. */
  scrub_json (rec->doc);
  text = cJSON_Print (rec->doc);
  int r;

  if (text == NULL) {
    vb_msg ("%s: cannot print the record", path);
    free (path);
    return -1;
  }
  r = write_file_atomic (path, text, strlen (text));
  free (text);
  free (path);
  return r;
}

/* Sets KEY of DOC to V, in its place when it is there already. */
static void
set_item (cJSON *doc, const char *key, cJSON *v)
{
  if (cJSON_GetObjectItemCaseSensitive (doc, key))
    cJSON_ReplaceItemInObjectCaseSensitive (doc, key, v);
  else
    cJSON_AddItemToObject (doc, key, v);
}

/* The reserve: space held in a record's directory from its start, and
 * given back just before its last write, so that a full filesystem can
 * still be told in run.json ("failed", the path and the cause) rather
 * than leave a record "running".
 */
#define RESERVE ".viperbench-reserve"
#define RESERVE_BYTES (4 << 20)

void
reserve_make (const char *dir)
{
  char *p = xasprintf ("%s/" RESERVE, dir);
  int fd = open (p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

  if (fd != -1) {
    /* As much as there is, up to RESERVE_BYTES. */
    for (off_t n = RESERVE_BYTES; n >= 65536; n /= 4)
      if (posix_fallocate (fd, 0, n) == 0)
        break;
    close (fd);
  }
  free (p);
}

void
reserve_release (const char *dir)
{
  char *p = xasprintf ("%s/" RESERVE, dir);

  unlink (p);
  free (p);
}

/* Sets status, reason and finished time, and writes. */
int
record_finish (struct record *rec, const char *status, const char *reason)
{
  char now[32];

  reserve_release (rec->dir);
  iso_now (now, sizeof now);
  set_item (rec->doc, "status", cJSON_CreateString (status));
  set_item (rec->doc, "reason", reason ? cJSON_CreateString (reason)
                                       : cJSON_CreateNull ());
  /* The time record_set_status gave the report, when it did. */
  if (!cJSON_IsString (cJSON_GetObjectItemCaseSensitive (rec->doc, "finished")))
    set_item (rec->doc, "finished", cJSON_CreateString (now));
  return record_write (rec);
}

/* Sets status and reason in the document only (the report written
 * before run.json says what run.json will).
 */
void
record_set_status (struct record *rec, const char *status, const char *reason)
{
  char now[32];

  iso_now (now, sizeof now);
  set_item (rec->doc, "status", cJSON_CreateString (status));
  set_item (rec->doc, "reason", reason ? cJSON_CreateString (reason)
                                       : cJSON_CreateNull ());
  set_item (rec->doc, "finished", cJSON_CreateString (now));
}

static bool
ends_with (const char *s, const char *suffix)
{
  size_t a = strlen (s), b = strlen (suffix);

  return a >= b && strcmp (s + a - b, suffix) == 0;
}

/* Why the file PATH (of LEN bytes, TEXT) is not whole, or NULL. */
static const char *
file_not_whole (const char *path, const char *text, size_t len)
{
  static const unsigned char png_sig[8] = { 0x89, 'P', 'N', 'G', 0x0d, 0x0a,
                                            0x1a, 0x0a };
  static const unsigned char png_end[8] = { 'I', 'E', 'N', 'D', 0xae, 0x42,
                                            0x60, 0x82 };

  if (ends_with (path, ".png"))
    return len < 16 || memcmp (text, png_sig, 8) != 0 ||
      memcmp (text + len - 8, png_end, 8) != 0 ? "a PNG cut short" : NULL;
  if (ends_with (path, ".svg"))
    return memmem (text, len, "</svg>", 6) ? NULL : "an SVG cut short";
  if (ends_with (path, ".html"))
    return memmem (text, len, "</html>", 7) ? NULL : "an HTML page cut short";
  if (ends_with (path, ".md"))
    return len ? NULL : "empty";
  if (ends_with (path, ".json") && !ends_with (path, "/run.json")) {
    cJSON *j = len ? cJSON_ParseWithLength (text, len) : NULL;

    cJSON_Delete (j);
    return j ? NULL : "not whole JSON";
  }
  return NULL;
}

int
record_verify (const char *dir, char **why)
{
  DIR *d = opendir (dir);
  struct dirent *e;
  int r = 0;

  if (d == NULL) {
    *why = xasprintf ("%s: %s", dir, strerror (errno));
    return -1;
  }
  while (r == 0 && (e = readdir (d)) != NULL) {
    char *p;
    struct stat sb;

    if (e->d_name[0] == '.' &&
        (e->d_name[1] == '\0' || strcmp (e->d_name, "..") == 0))
      continue;
    p = xasprintf ("%s/%s", dir, e->d_name);
    if (lstat (p, &sb) == 0 && S_ISDIR (sb.st_mode))
      r = record_verify (p, why);
    else if (ends_with (p, ".tmp")) {
      *why = xasprintf ("%s: a file left half-written", p);
      r = -1;
    }
    else if (S_ISREG (sb.st_mode) &&
             (ends_with (p, ".png") || ends_with (p, ".svg") ||
              ends_with (p, ".html") || ends_with (p, ".md") ||
              ends_with (p, ".json"))) {
      size_t len;
      char *text = read_file (p, &len);
      const char *bad = text ? file_not_whole (p, text, len) : strerror (errno);

      if (bad) {
        *why = xasprintf ("%s: %s", p, bad);
        r = -1;
      }
      free (text);
    }
    free (p);
  }
  closedir (d);
  return r;
}

void
record_free (struct record *rec)
{
  cJSON_Delete (rec->doc);
  free (rec->id);
  free (rec->dir);
  memset (rec, 0, sizeof *rec);
}

/* Why DOC is not a usable run record, or NULL when it is. */
static const char *
record_check (const cJSON *doc)
{
  const cJSON *targets = cJSON_GetObjectItemCaseSensitive (doc, "targets"), *t;

  if (!cJSON_IsObject (doc))
    return "not a JSON object";
  if (!plain_name (json_str (cJSON_GetObjectItemCaseSensitive (doc, "id"), NULL)))
    return "no \"id\", or not a plain name";
  if (!cJSON_IsArray (targets))
    return "no \"targets\" array";
  cJSON_ArrayForEach (t, targets) {
    if (!cJSON_IsObject (t))
      return "a target is not an object";
    if (!cJSON_IsString (cJSON_GetObjectItemCaseSensitive (t, "name")))
      return "a target has no name";
    if (!plain_name (cJSON_GetObjectItemCaseSensitive (t, "name")->valuestring))
      return "a target's name is not a plain name";
  }
  return NULL;
}

cJSON *
record_parse (const char *text, const char **why)
{
  cJSON *doc = cJSON_Parse (text);
  const char *bad = doc ? record_check (doc) : "run.json is not valid JSON";

  if (bad) {
    cJSON_Delete (doc);
    doc = NULL;
  }
  if (why)
    *why = bad;
  return doc;
}

cJSON *
record_load (const char *dir, const char **why)
{
  char *path = xasprintf ("%s/run.json", dir);
  char *text = read_file (path, NULL);
  cJSON *doc = NULL;

  if (text == NULL) {
    if (why)
      *why = errno == ENOENT ? "no run.json" : "run.json cannot be read";
  }
  else
    doc = record_parse (text, why);
  free (text);
  free (path);
  return doc;
}

const char *
record_status (const cJSON *doc)
{
  const char *st = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (doc, "status"));
  const cJSON *pid = cJSON_GetObjectItemCaseSensitive (doc, "runner_pid");

  if (st == NULL)
    return "(none)";
  if (strcmp (st, "running") == 0 &&
      !(cJSON_IsNumber (pid) && pid->valuedouble >= 1 &&
        pid->valuedouble < 4194305 && kill ((pid_t) pid->valuedouble, 0) == 0))
    return "aborted";
  return st;
}

const char *
json_str (const cJSON *item, const char *dflt)
{
  return cJSON_IsString (item) && item->valuestring ? item->valuestring : dflt;
}

double
json_num (const cJSON *item)
{
  return cJSON_IsNumber (item) ? item->valuedouble : NAN;
}

void
json_add_num (cJSON *obj, const char *key, double v)
{
  if (isfinite (v))
    cJSON_AddNumberToObject (obj, key, v);
  else
    cJSON_AddNullToObject (obj, key);
}

/* The kinds of record run.json holds: how each is marked ("kind", and
 * "axis" for a sweep's points) and said.  One table, for the writers
 * (record_set_kind) and every reader (record_kind).
 */
static const struct {
  const char *kind, *axis;      /* NULL: key absent */
  const char *words;
} kinds[] = {
  [RECORD_RUN] = { NULL, NULL, "a run" },
  [RECORD_DEPTH_SWEEP] = { "sweep", NULL, "a queue-depth sweep" },
  [RECORD_SCALE_SWEEP] = { "sweep", "scale", "a scale sweep" },
};

static bool
same (const char *a, const char *b)
{
  return a == NULL ? b == NULL : b != NULL && strcmp (a, b) == 0;
}

enum record_kind
record_kind (const cJSON *doc)
{
  const char *k = cJSON_GetStringValue (cJSON_GetObjectItem (doc, "kind"));
  const char *a = cJSON_GetStringValue (cJSON_GetObjectItem (doc, "axis"));

  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (same (kinds[i].kind, k) && same (kinds[i].axis, a))
      return (enum record_kind) i;
  /* A sweep of an axis this build does not know: a sweep all the same. */
  return k && strcmp (k, "sweep") == 0 ? RECORD_DEPTH_SWEEP : RECORD_RUN;
}

const char *
record_kind_words (enum record_kind k)
{
  return kinds[k].words;
}

void
record_set_kind (cJSON *doc, enum record_kind k)
{
  if (kinds[k].kind)
    cJSON_AddStringToObject (doc, "kind", kinds[k].kind);
  if (kinds[k].axis)
    cJSON_AddStringToObject (doc, "axis", kinds[k].axis);
}

/* True when DOC is a sweep of any axis (its targets hold points[]). */
bool
record_is_sweep (const cJSON *doc)
{
  return record_kind (doc) != RECORD_RUN;
}

static int
cmp_entry (const void *a, const void *b)
{
  long x = ((const struct record_entry *) a)->num;
  long y = ((const struct record_entry *) b)->num;

  return (x > y) - (x < y);
}

ssize_t
record_list (const char *results, const char *prefix,
             struct record_entry **out)
{
  struct record_entry *v = NULL;
  size_t n = 0;
  DIR *d = opendir (results);
  struct dirent *e;

  *out = NULL;
  if (d == NULL) {
    vb_msg ("%s: %s", results, strerror (errno));
    return -1;
  }
  while ((e = readdir (d))) {
    long num = record_number (e->d_name, prefix);

    if (num < 0)
      continue;
    v = xreallocarray (v, n + 1, sizeof *v);
    v[n].num = num;
    v[n].id = xstrdup (e->d_name);
    v[n].dir = xasprintf ("%s/%s", results, e->d_name);
    n++;
  }
  closedir (d);
  if (n)
    qsort (v, n, sizeof *v, cmp_entry);
  *out = v;
  return (ssize_t) n;
}

void
record_list_free (struct record_entry *e, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free (e[i].id);
    free (e[i].dir);
  }
  free (e);
}

/* A labelled fact of a layer; see internal.h. */
void
record_fact (cJSON *t, const char *label, const char *fmt, ...)
{
  cJSON *facts = cJSON_GetObjectItemCaseSensitive (t, "facts"), *f;
  va_list ap;
  char *v;

  if (!cJSON_IsArray (facts))
    facts = cJSON_AddArrayToObject (t, "facts");
  va_start (ap, fmt);
  v = xvasprintf (fmt, ap);
  va_end (ap);
  f = cJSON_CreateObject ();
  cJSON_AddStringToObject (f, "label", label);
  cJSON_AddStringToObject (f, "value", v);
  cJSON_AddItemToArray (facts, f);
  free (v);
}

/* A number, or null where it is unknown (NAN). */
static void
add_figure (cJSON *o, const char *key, double v)
{
  if (isnan (v))
    cJSON_AddNullToObject (o, key);
  else
    cJSON_AddNumberToObject (o, key, v);
}

/* One direction's figures as the record keeps them; see internal.h. */
cJSON *
record_dir_json (const struct dir_stats *d, const struct dir_stats *host)
{
  cJSON *o = cJSON_CreateObject (), *lat = cJSON_CreateObject ();

  cJSON_AddNumberToObject (o, "iops", d->iops);
  cJSON_AddNumberToObject (o, "bw_bytes", d->bw_bytes);
  cJSON_AddNumberToObject (o, "total_ios", (double) d->total_ios);
  add_figure (lat, "mean", d->lat_mean);
  add_figure (lat, "p50", d->lat_p50);
  add_figure (lat, "p99", d->lat_p99);
  add_figure (lat, "p99.9", d->lat_p999);
  cJSON_AddItemToObject (o, "lat_ns", lat);
  if (host && host->iops > 0 && d->total_ios > 0)
    cJSON_AddNumberToObject (o, "ratio_to_host", d->iops / host->iops);
  else
    cJSON_AddNullToObject (o, "ratio_to_host");
  return o;
}

/* What DIR holds when it is a record of another kind than a run; see
 * internal.h.
 */
const char *
record_other_kind (const char *dir)
{
  static const struct { const char *file, *words; } other[] = {
    { "explore.json", "an exploration (explore.json)" },
    { "gate.json", "a gate (gate.json)" },
  };
  char *rj = xasprintf ("%s/run.json", dir);
  bool run = access (rj, F_OK) == 0;

  free (rj);
  for (size_t i = 0; !run && i < sizeof other / sizeof other[0]; i++) {
    char *p = xasprintf ("%s/%s", dir, other[i].file);
    bool there = access (p, F_OK) == 0;

    free (p);
    if (there)
      return other[i].words;
  }
  return NULL;
}
