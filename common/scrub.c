/* scrub.c: the one scrubber.  The runner registers every secret value
 * it knows before it starts anything (scrub_add); every byte it keeps
 * passes through here: run.json's strings (record_write), each child's
 * log as it is written (the log pump, streamed), and at the end every
 * file of the record (scrub_tree), so that nothing written by any other
 * path keeps a secret either.  Each occurrence becomes "<redacted>".
 *
 * A value shorter than SCRUB_MIN_LEN, or a word such as "true" or
 * "none", is not registered: replacing it everywhere would rewrite the
 * record's own words.  Such values are still redacted where they stand
 * (k=v, after a secret option) by redact.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define MARK "<redacted>"

static char **secrets;          /* longest first */
static size_t nsecrets, maxlen;
static bool starts[256];        /* a secret starts with this byte */

static void add_one (const char *value);

/* VALUE as a JSON string's body ("a\\"b" for a"b), or NULL when it is
 * the same: a secret with a quote or a backslash appears so in fio's
 * JSON and in any JSON a child writes.
 */
static char *
json_escaped (const char *value)
{
  cJSON *s = cJSON_CreateString (value);
  char *p = s ? cJSON_PrintUnformatted (s) : NULL, *body = NULL;

  if (p && strlen (p) >= 2 && strncmp (p + 1, value, strlen (p) - 2) != 0) {
    p[strlen (p) - 1] = '\0';
    body = xstrdup (p + 1);
  }
  free (p);
  cJSON_Delete (s);
  return body;
}

void
scrub_add (const char *value)
{
  char *j;

  if (value == NULL)
    return;
  add_one (value);
  /* The forms it takes in what children write. */
  if ((j = json_escaped (value)) != NULL) {
    add_one (j);
    free (j);
  }
}

static void
add_one (const char *value)
{
  static const char *const words[] = {
    "true", "false", "yes", "no", "on", "off", "none", "null", "redacted",
    "<redacted>",
  };
  size_t len = value ? strlen (value) : 0, i;

  if (len < SCRUB_MIN_LEN)
    return;
  for (i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strcasecmp (value, words[i]) == 0)
      return;
  for (i = 0; i < nsecrets; i++)
    if (strcmp (secrets[i], value) == 0)
      return;
  secrets = xreallocarray (secrets, nsecrets + 1, sizeof *secrets);
  /* Longest first: a secret that contains another goes whole. */
  for (i = nsecrets; i > 0 && strlen (secrets[i - 1]) < len; i--)
    secrets[i] = secrets[i - 1];
  secrets[i] = xstrdup (value);
  nsecrets++;
  starts[(unsigned char) value[0]] = true;
  /* Every message from now on. */
  vb_msg_filter (scrub_string);
  if (len > maxlen)
    maxlen = len;
}

bool
scrub_active (void)
{
  return nsecrets > 0;
}

size_t
scrub_count (void)
{
  return nsecrets;
}

void
scrub_reset (void)
{
  for (size_t i = 0; i < nsecrets; i++)
    free (secrets[i]);
  free (secrets);
  secrets = NULL;
  nsecrets = maxlen = 0;
  memset (starts, 0, sizeof starts);
}

/* The length of the secret at P (AVAIL bytes there), or 0. */
static size_t
match_at (const char *p, size_t avail)
{
  for (size_t i = 0; i < nsecrets; i++) {
    size_t l = strlen (secrets[i]);

    if (l <= avail && p[0] == secrets[i][0] && memcmp (p, secrets[i], l) == 0)
      return l;
  }
  return 0;
}

size_t
scrub_chunk (const char *in, size_t n, bool final, char **out, size_t *outlen)
{
  /* A match starting before LIMIT lies wholly within IN. */
  size_t limit = final ? n : (n >= maxlen ? n - maxlen + 1 : 0);
  size_t i = 0, start = 0, cap = n + 64, len = 0;
  char *o = xmalloc (cap);

  if (nsecrets == 0) {
    memcpy (o, in, n);
    *out = o;
    *outlen = n;
    return n;
  }
  while (i < limit) {
    size_t m = starts[(unsigned char) in[i]] ? match_at (in + i, n - i) : 0;

    if (m == 0) {
      i++;
      continue;
    }
    if (len + (i - start) + sizeof MARK > cap) {
      cap = (len + (i - start) + sizeof MARK) * 2;
      o = xrealloc (o, cap);
    }
    memcpy (o + len, in + start, i - start);
    len += i - start;
    memcpy (o + len, MARK, sizeof MARK - 1);
    len += sizeof MARK - 1;
    i += m;
    start = i;
  }
  if (i > limit)
    limit = i;
  if (len + (limit - start) > cap)
    o = xrealloc (o, cap = len + (limit - start) + 1);
  memcpy (o + len, in + start, limit - start);
  len += limit - start;
  *out = o;
  *outlen = len;
  return limit;
}

char *
scrub_string (const char *s)
{
  char *o;
  size_t len;

  if (nsecrets == 0 || s == NULL)
    return NULL;
  scrub_chunk (s, strlen (s), true, &o, &len);
  if (len == strlen (s) && memcmp (o, s, len) == 0) {
    free (o);
    return NULL;
  }
  o = xrealloc (o, len + 1);
  o[len] = '\0';
  return o;
}

/* True for a key whose value is the record's own vocabulary (a layer's
 * name, a status, a role), never a secret's carrier: a password that
 * happens to be "host" must not unmake the record.
 */
static bool
structural (const char *key)
{
  static const char *const keys[] = {
    "schema", "id", "status", "name", "role", "kind", "layers", "enabled",
    "disabled", "axis",
  };

  for (size_t i = 0; key && i < sizeof keys / sizeof keys[0]; i++)
    if (strcmp (key, keys[i]) == 0)
      return true;
  return false;
}

static void
scrub_walk (cJSON *item, bool skip)
{
  if (item == NULL)
    return;
  if (!skip && cJSON_IsString (item) && item->valuestring) {
    char *s = scrub_string (item->valuestring);

    if (s) {
      cJSON_free (item->valuestring);
      item->valuestring = s;
    }
  }
  for (cJSON *c = item->child; c; c = c->next)
    /* An array's items take its key. */
    scrub_walk (c, cJSON_IsArray (item) ? skip : structural (c->string));
}

void
scrub_json (cJSON *item)
{
  scrub_walk (item, false);
}

int
scrub_file (const char *path)
{
  size_t len, olen;
  char *text, *o;
  int r = 0;

  if (nsecrets == 0)
    return 0;
  if ((text = read_file (path, &len)) == NULL) {
    vb_msg ("%s: %s", path, strerror (errno));
    return -1;
  }
  scrub_chunk (text, len, true, &o, &olen);
  if (olen != len || memcmp (o, text, len) != 0)
    r = write_file_atomic (path, o, olen);
  free (o);
  free (text);
  return r;
}

int
scrub_tree (const char *dir)
{
  DIR *d;
  struct dirent *e;
  int r = 0;

  if (nsecrets == 0)
    return 0;
  if ((d = opendir (dir)) == NULL) {
    vb_msg ("%s: %s", dir, strerror (errno));
    return -1;
  }
  while ((e = readdir (d)) != NULL) {
    char *p;
    struct stat sb;

    if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0 ||
        strcmp (e->d_name, ".viperbench-reserve") == 0)
      continue;
    p = xasprintf ("%s/%s", dir, e->d_name);
    if (lstat (p, &sb) == 0) {
      if (S_ISDIR (sb.st_mode))
        r |= scrub_tree (p);
      else if (S_ISREG (sb.st_mode))
        r |= scrub_file (p);
    }
    free (p);
  }
  closedir (d);
  return r ? -1 : 0;
}
