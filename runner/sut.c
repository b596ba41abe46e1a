/* sut.c: the identity of the system under test, kept in the record so
 * that a figure can be tied to what was measured: what the stack names
 *
 *   "system_under_test": { "git": "PATH",        (git describe --dirty)
 *                          "file": "PATH",       (its SHA-256)
 *                          "command": [ ARGV ] } (its first line)
 *
 * (any of them), and what the runner finds itself: the plugin's file,
 * its SHA-256 and its GNU build-id.  "id" is the first of the git
 * description, the file's hash, the command's line and the plugin's
 * hash: what `viperbench list`, the report, compare and history show.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const sut_keys[] = { "git", "file", "command" };

int
sut_check (const struct stack *st)
{
  const cJSON *s = cJSON_GetObjectItemCaseSensitive (st->json,
                                                     "system_under_test");
  const cJSON *it;

  if (s == NULL)
    return 0;
  if (!cJSON_IsObject (s) || s->child == NULL) {
    stack_bad (st, NULL, "system_under_test", "expected an object with "
               "\"git\", \"file\" or \"command\"");
    return -1;
  }
  cJSON_ArrayForEach (it, s) {
    size_t k;

    for (k = 0; k < 3 && strcmp (it->string, sut_keys[k]) != 0; k++)
      ;
    if (k == 3) {
      stack_bad (st, s, it->string, "unknown key (system_under_test takes "
                 "\"git\", \"file\" and \"command\")");
      return -1;
    }
    if (k < 2 && !(cJSON_IsString (it) && *it->valuestring)) {
      stack_bad (st, s, it->string, "expected a path");
      return -1;
    }
    if (k == 2) {
      const cJSON *a;
      bool ok = cJSON_IsArray (it) && cJSON_GetArraySize (it) > 0;

      cJSON_ArrayForEach (a, it)
        ok = ok && cJSON_IsString (a) && *a->valuestring;
      if (!ok) {
        stack_bad (st, s, "command", "expected an argument array such as "
                   "[\"qemu-system-x86_64\", \"--version\"] (no shell)");
        return -1;
      }
    }
  }
  return 0;
}

static uint32_t
le32 (const unsigned char *p)
{
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 |
         (uint32_t) p[3] << 24;
}

static uint64_t
le64 (const unsigned char *p)
{
  return (uint64_t) le32 (p) | (uint64_t) le32 (p + 4) << 32;
}

/* The GNU build-id of the 64-bit little-endian ELF file in BUF (LEN
 * bytes) as hex into OUT (at least 129 bytes), or "" when it has none.
 */
static void
build_id (const unsigned char *b, size_t len, char *out)
{
  uint64_t phoff;
  unsigned phentsize, phnum;

  out[0] = '\0';
  if (len < 64 || memcmp (b, "\177ELF", 4) != 0 || b[4] != 2 || b[5] != 1)
    return;
  phoff = le64 (b + 0x20);
  phentsize = (unsigned) b[0x36] | (unsigned) b[0x37] << 8;
  phnum = (unsigned) b[0x38] | (unsigned) b[0x39] << 8;
  for (unsigned i = 0; i < phnum; i++) {
    const unsigned char *ph = b + phoff + (uint64_t) i * phentsize;
    uint64_t off, size;

    if (phentsize < 56 || phoff + (uint64_t) (i + 1) * phentsize > len)
      return;
    if (le32 (ph) != 4)         /* PT_NOTE */
      continue;
    off = le64 (ph + 8);
    size = le64 (ph + 32);
    if (off > len || size > len - off)
      continue;
    for (uint64_t at = off; at + 12 <= off + size;) {
      uint32_t namesz = le32 (b + at), descsz = le32 (b + at + 4);
      uint32_t type = le32 (b + at + 8);
      uint64_t name = at + 12, desc = name + ((namesz + 3u) & ~3u);

      if (desc + descsz > off + size || namesz > size)
        break;
      if (type == 3 && namesz == 4 && memcmp (b + name, "GNU", 4) == 0 &&
          descsz <= 64) {
        for (uint32_t k = 0; k < descsz; k++)
          sprintf (out + 2 * k, "%02x", b[desc + k]);
        return;
      }
      at = desc + ((descsz + 3u) & ~3u);
    }
  }
}

/* {"path", "sha256", "bytes"} of PATH (and "build_id" for an ELF file
 * that has one), or NULL with errno.
 */
static cJSON *
file_identity (const char *path)
{
  size_t len;
  char *data = read_file (path, &len), sha[65], bid[129];
  cJSON *o;

  if (data == NULL)
    return NULL;
  sha256_hex (data, len, sha);
  build_id ((const unsigned char *) data, len, bid);
  free (data);
  o = cJSON_CreateObject ();
  cJSON_AddStringToObject (o, "path", path);
  cJSON_AddStringToObject (o, "sha256", sha);
  cJSON_AddNumberToObject (o, "bytes", (double) len);
  if (*bid)
    cJSON_AddStringToObject (o, "build_id", bid);
  return o;
}

/* The plugin's file: its path, or nbdkit's plugin directory's
 * nbdkit-NAME-plugin.so for a name (to free), or NULL.
 */
static char *
plugin_file (const char *plugin)
{
  static const char *const dump[] = { "nbdkit", "--dump-config", NULL };
  char *dir = NULL, *p = NULL;

  if (strchr (plugin, '/'))
    return xstrdup (plugin);
  {
    /* plugindir=... is one line of many: read them all. */
    char *text = command_output (dump), *save = NULL;

    for (char *l = text ? strtok_r (text, "\n", &save) : NULL; l;
         l = strtok_r (NULL, "\n", &save))
      if (strncmp (l, "plugindir=", 10) == 0)
        dir = xstrdup (l + 10);
    free (text);
  }
  if (dir)
    p = xasprintf ("%s/nbdkit-%s-plugin.so", dir, plugin);
  free (dir);
  return p;
}

cJSON *
sut_identify (const struct stack *st)
{
  const cJSON *s = cJSON_GetObjectItemCaseSensitive (st->json,
                                                     "system_under_test");
  const cJSON *git = cJSON_GetObjectItemCaseSensitive (s, "git");
  const cJSON *file = cJSON_GetObjectItemCaseSensitive (s, "file");
  const cJSON *cmd = cJSON_GetObjectItemCaseSensitive (s, "command");
  cJSON *o = cJSON_CreateObject ();
  char *id = NULL, *pf;

  if (cJSON_IsString (git)) {
    const char *d[] = { "git", "-C", git->valuestring, "describe", "--always",
                        "--dirty", "--tags", NULL };
    const char *r[] = { "git", "-C", git->valuestring, "rev-parse", "HEAD",
                        NULL };
    char *desc = command_first_line (d), *rev = command_first_line (r);
    cJSON *g;

    if (desc == NULL || *desc == '\0' || rev == NULL) {
      vb_msg ("stack %s: system_under_test.git: %s is not a git work tree "
              "(git describe printed nothing)", st->path, git->valuestring);
      free (desc);
      free (rev);
      cJSON_Delete (o);
      return NULL;
    }
    g = cJSON_AddObjectToObject (o, "git");
    cJSON_AddStringToObject (g, "path", git->valuestring);
    cJSON_AddStringToObject (g, "describe", desc);
    cJSON_AddStringToObject (g, "rev", rev);
    cJSON_AddBoolToObject (g, "dirty", strstr (desc, "-dirty") != NULL);
    id = desc;
    free (rev);
  }
  if (cJSON_IsString (file)) {
    cJSON *f = file_identity (file->valuestring);

    if (f == NULL) {
      vb_msg ("stack %s: system_under_test.file: %s: %s", st->path,
              file->valuestring, strerror (errno));
      free (id);
      cJSON_Delete (o);
      return NULL;
    }
    if (id == NULL)
      id = xasprintf ("sha256:%.12s", cJSON_GetStringValue (
                        cJSON_GetObjectItemCaseSensitive (f, "sha256")));
    cJSON_AddItemToObject (o, "file", f);
  }
  if (cJSON_IsArray (cmd)) {
    size_t n = (size_t) cJSON_GetArraySize (cmd), k = 0;
    const char **argv = xcalloc (n + 1, sizeof *argv);
    const cJSON *a;
    char *line;
    cJSON *c;

    cJSON_ArrayForEach (a, cmd)
      argv[k++] = a->valuestring;
    line = command_first_line (argv);
    free (argv);
    if (line == NULL || *line == '\0') {
      vb_msg ("stack %s: system_under_test.command: %s printed nothing "
              "(it must print what identifies the system on its first "
              "line)", st->path, cJSON_GetArrayItem (cmd, 0)->valuestring);
      free (line);
      free (id);
      cJSON_Delete (o);
      return NULL;
    }
    utf8_scrub (line);
    c = cJSON_AddObjectToObject (o, "command");
    cJSON_AddItemToObject (c, "argv", cJSON_Duplicate (cmd, true));
    cJSON_AddStringToObject (c, "output", line);
    if (id == NULL)
      id = line;
    else
      free (line);
  }
  /* The plugin, found as nbdkit finds it. */
  if (st->plugin && (pf = plugin_file (st->plugin)) != NULL) {
    cJSON *p = file_identity (pf);

    if (p) {
      if (id == NULL)
        id = xasprintf ("%s sha256:%.12s", st->plugin, cJSON_GetStringValue (
                          cJSON_GetObjectItemCaseSensitive (p, "sha256")));
      cJSON_AddItemToObject (o, "plugin", p);
    }
    free (pf);
  }
  if (id)
    cJSON_AddStringToObject (o, "id", id);
  else
    cJSON_AddNullToObject (o, "id");
  free (id);
  return o;
}
