/* records.c: reading run records for compare and the gate: a record
 * (DIR/run.json), or a directory of records (a gate's candidate/, say),
 * as one side with its repetitions.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

cJSON *
record_load (const char *dir)
{
  char *path = xasprintf ("%s/run.json", dir);
  char *text = read_file (path, NULL);
  cJSON *doc = text ? cJSON_Parse (text) : NULL;

  free (text);
  free (path);
  if (doc && !cJSON_IsArray (cJSON_GetObjectItem (doc, "targets"))) {
    cJSON_Delete (doc);
    doc = NULL;
  }
  return doc;
}

const cJSON *
record_target (const cJSON *doc, const char *name)
{
  const cJSON *t;

  cJSON_ArrayForEach (t, cJSON_GetObjectItem (doc, "targets")) {
    const char *n = cJSON_GetStringValue (cJSON_GetObjectItem (t, "name"));

    if (n && strcmp (n, name) == 0)
      return t;
  }
  return NULL;
}

static void
push (struct records *r, cJSON *doc, const char *dir)
{
  r->doc = realloc (r->doc, (r->n + 1) * sizeof *r->doc);
  r->dir = realloc (r->dir, (r->n + 1) * sizeof *r->dir);
  r->doc[r->n] = doc;
  r->dir[r->n] = xstrdup (dir);
  r->n++;
}

int
records_add (struct records *r, const char *path, const char *who)
{
  char *rj = xasprintf ("%s/run.json", path);
  struct dirent **ents;
  struct stat sb;
  size_t before = r->n;
  int ne;

  if (stat (rj, &sb) == 0) {
    cJSON *doc = record_load (path);

    free (rj);
    if (doc == NULL) {
      vb_msg ("%s: %s/run.json is not a viperbench run record", who, path);
      return -1;
    }
    push (r, doc, path);
    return 0;
  }
  if (stat (path, &sb) == -1) {
    vb_msg ("%s: %s: %s", who, rj, strerror (errno));
    free (rj);
    return -1;
  }
  free (rj);
  ne = scandir (path, &ents, NULL, versionsort);
  if (ne < 0) {
    vb_msg ("%s: %s: %s", who, path, errno == ENOTDIR ?
            "neither a record nor a directory of records" : strerror (errno));
    return -1;
  }
  for (int i = 0; i < ne; i++) {
    char *d = xasprintf ("%s/%s", path, ents[i]->d_name);
    char *p = xasprintf ("%s/run.json", d);

    if (ents[i]->d_name[0] != '.' && stat (p, &sb) == 0) {
      cJSON *doc = record_load (d);
      const char *st = doc ? cJSON_GetStringValue (cJSON_GetObjectItem (doc, "status")) : NULL;

      if (st && strcmp (st, "complete") == 0)
        push (r, doc, d);
      else {
        fprintf (stderr, "viperbench: warning: %s: %s is %s: skipped\n", who,
                 d, doc == NULL ? "not a run record"
                 : st ? st : "of no status");
        cJSON_Delete (doc);
      }
    }
    free (d);
    free (p);
    free (ents[i]);
  }
  free (ents);
  if (r->n == before) {
    vb_msg ("%s: %s holds no complete run record", who, path);
    return -1;
  }
  return 0;
}

void
records_free (struct records *r)
{
  for (size_t i = 0; i < r->n; i++) {
    cJSON_Delete (r->doc[i]);
    free (r->dir[i]);
  }
  free (r->doc);
  free (r->dir);
  memset (r, 0, sizeof *r);
}
