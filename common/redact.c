/* redact.c: keeping secrets out of records: which keys name a secret,
 * and redacting their values in "k=v" text.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* True when KEY names a secret: key, secret, password, token, ... */
bool
is_secret_key (const char *key)
{
  static const char *const words[] = {
    "key", "secret", "password", "passwd", "token", "credential",
  };
  char low[128];
  size_t i;

  for (i = 0; key[i] && i < sizeof low - 1; i++)
    low[i] = (char) tolower ((unsigned char) key[i]);
  low[i] = '\0';
  for (i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strstr (low, words[i]))
      return true;
  return false;
}

/* In "k=v" (or "k=v&k2=v2", or a job-file line), replaces each secret
 * value with "<redacted>" in place (the text only gets shorter or keeps
 * its length up to the marker, so the caller's buffer must allow for
 * it: values shorter than the marker are replaced by "***").
 */
void
redact_kv (char *s)
{
  char *p = s;

  while (*p) {
    char *eq = strchr (p, '='), *end;
    char key[128];
    size_t klen;
    char *kstart;

    if (eq == NULL)
      return;
    /* The key runs back from '=' to a separator. */
    kstart = eq;
    while (kstart > p && !strchr ("&?\n ", kstart[-1]))
      kstart--;
    klen = (size_t) (eq - kstart);
    if (klen >= sizeof key)
      klen = sizeof key - 1;
    memcpy (key, kstart, klen);
    key[klen] = '\0';
    /* The value ends at a newline, or at '&' or ' ' that starts another
     * "key=": "password=abc&TAIL" is one value.
     */
    end = eq + 1;
    for (;;) {
      end += strcspn (end, "&\n ");
      if (*end == '&' || *end == ' ') {
        size_t k = strspn (end + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                           "qrstuvwxyz0123456789_.-");

        if (k == 0 || end[1 + k] != '=') {
          end++;
          continue;
        }
      }
      break;
    }
    if (is_secret_key (key) && end > eq + 1) {
      size_t vlen = (size_t) (end - eq - 1);
      const char *mark = vlen >= 10 ? "<redacted>" : "***";
      size_t mlen = strlen (mark) <= vlen ? strlen (mark) : vlen;

      memcpy (eq + 1, mark, mlen);
      memmove (eq + 1 + mlen, end, strlen (end) + 1);
      p = eq + 1 + mlen;
    }
    else
      /* A value may hold more pairs (uri=plugin:x?token=...). */
      p = eq + 1;
  }
}


/* True when the argument OPT is an option named like a secret that
 * takes the next argument as its value ("--password", "-token").
 */
bool
is_secret_option (const char *opt)
{
  static const char *const names[] = {
    "pass", "pw", "pwd", "auth", "authorization", "user-pass",
  };
  const char *name = opt + strspn (opt, "-");

  if (opt[0] != '-' || strchr (opt, '=') != NULL || *name == '\0')
    return false;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcasecmp (name, names[i]) == 0)
      return true;
  return is_secret_key (name);
}

bool
is_secret_option_value (const char *opt, const char *val)
{
  if (is_secret_option (opt))
    return true;
  /* "-p": a password to mysql or sshpass, a port or a prefix to most:
   * a value that is a number or a path is taken for one of those.
   */
  return strcmp (opt, "-p") == 0 && val && *val &&
    val[strspn (val, "0123456789")] != '\0' && val[0] != '/' &&
    val[0] != '.' && val[0] != '$';
}

/* S (to free) in base64, as HTTP's Basic authentication sends it. */
char *
base64_text (const char *s)
{
  static const char tab[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t n = strlen (s), k = 0;
  char *o = xmalloc (4 * ((n + 2) / 3) + 1);

  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned char) s[i] << 16;

    if (i + 1 < n) v |= (unsigned char) s[i + 1] << 8;
    if (i + 2 < n) v |= (unsigned char) s[i + 2];
    o[k++] = tab[(v >> 18) & 63];
    o[k++] = tab[(v >> 12) & 63];
    o[k++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
    o[k++] = i + 2 < n ? tab[v & 63] : '=';
  }
  o[k] = '\0';
  return o;
}

/* Decodes %XX in S, in place (URL userinfo as a program prints it). */
static void
pct_decode (char *s)
{
  char *w = s;

  for (const char *r = s; *r; r++) {
    if (r[0] == '%' && isxdigit ((unsigned char) r[1]) &&
        isxdigit ((unsigned char) r[2])) {
      char hex[3] = { r[1], r[2], 0 };

      *w++ = (char) strtol (hex, NULL, 16);
      r += 2;
    }
    else
      *w++ = *r;
  }
  *w = '\0';
}

/* Registers with the scrubber every secret in the text S: the value
 * of a secret "key=" (to the end, and to the next '&'), a URL's
 * userinfo, an Authorization header's credentials.
 */
void
secrets_from_text (const char *s)
{
  const char *p;

  if (s == NULL)
    return;
  /* scheme://user:password@host */
  for (p = s; (p = strstr (p, "://")) != NULL; p += 3) {
    const char *u = p + 3;
    size_t n = strcspn (u, "/?#@ \n");

    if (u[n] == '@' && n > 0) {
      char *info = strndup (u, n), *colon, *b64;

      if (info == NULL)
        continue;
      scrub_add (info);
      if ((colon = strchr (info, ':')) != NULL)
        scrub_add (colon + 1);
      /* As a client sends it (Authorization: Basic), and decoded. */
      b64 = base64_text (info);
      scrub_add (b64);
      free (b64);
      pct_decode (info);
      scrub_add (info);
      if ((colon = strchr (info, ':')) != NULL)
        scrub_add (colon + 1);
      free (info);
    }
  }
  /* Authorization: Bearer xyz (a header in an argument or a line) */
  for (p = s; (p = strcasestr (p, "authorization")) != NULL; p++) {
    const char *v = p + strlen ("authorization");
    size_t n;

    v += strspn (v, " \t\"'");
    if (*v != ':' && *v != '=')
      continue;
    v++;
    v += strspn (v, " \t");
    n = strcspn (v, "\r\n\"'");
    if (n) {
      char *cred = strndup (v, n), *sp;

      if (cred == NULL)
        continue;
      scrub_add (cred);
      if ((sp = strchr (cred, ' ')) != NULL)
        scrub_add (sp + 1 + strspn (sp + 1, " "));
      free (cred);
    }
  }
  /* key=value pairs */
  for (p = s; (p = strchr (p, '=')) != NULL; p++) {
    const char *k = p;
    char key[128];
    size_t klen;

    while (k > s && !strchr ("&?;\n \t\"',", k[-1]))
      k--;
    klen = (size_t) (p - k);
    if (klen == 0 || klen >= sizeof key)
      continue;
    memcpy (key, k, klen);
    key[klen] = '\0';
    if (!is_secret_key (key + strspn (key, "-")))
      continue;
    {
      size_t all = strcspn (p + 1, "\n\"'"), amp = strcspn (p + 1, "&\n \"'");
      char *v = strndup (p + 1, all);

      if (v == NULL)
        continue;
      scrub_add (v);
      v[amp < all ? amp : all] = '\0';
      scrub_add (v);
      free (v);
    }
  }
}

/* True for a key naming a user (user, username, proxy-user, DB_LOGIN),
 * not a user agent.
 */
static bool
is_user_key (const char *key)
{
  char low[128];
  size_t i;

  for (i = 0; key[i] && i < sizeof low - 1; i++)
    low[i] = (char) tolower ((unsigned char) key[i]);
  low[i] = '\0';
  return (strstr (low, "user") || strstr (low, "login")) &&
    !strstr (low, "agent");
}

void
secrets_from_pairs (char *const *kv, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    const char *eq = strchr (kv[i], '=');
    char key[128];

    if (eq == NULL || (size_t) (eq - kv[i]) >= sizeof key)
      continue;
    memcpy (key, kv[i], (size_t) (eq - kv[i]));
    key[eq - kv[i]] = '\0';
    if (!is_user_key (key) || is_secret_key (key))
      continue;
    /* The user with each secret beside it, as a client sends them:
     * "Authorization: Basic base64(user:password)".
     */
    for (size_t k = 0; k < n; k++) {
      const char *eq2 = strchr (kv[k], '=');
      char key2[128];

      if (k == i || eq2 == NULL || (size_t) (eq2 - kv[k]) >= sizeof key2)
        continue;
      memcpy (key2, kv[k], (size_t) (eq2 - kv[k]));
      key2[eq2 - kv[k]] = '\0';
      if (is_secret_key (key2) && strlen (eq2 + 1) > 0) {
        char *pair = xasprintf ("%s:%s", eq + 1, eq2 + 1);
        char *b = base64_text (pair);

        scrub_add (b);
        free (b);
        free (pair);
      }
    }
  }
}

void
secrets_from_argv (char *const *argv, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    secrets_from_text (argv[i]);
    if (i > 0 && is_secret_option_value (argv[i - 1], argv[i]))
      scrub_add (argv[i]);
    /* "--password=V" */
    if (argv[i][0] == '-' && strchr (argv[i], '=')) {
      char *opt = strndup (argv[i], strcspn (argv[i], "="));

      if (opt && is_secret_option (opt))
        scrub_add (strchr (argv[i], '=') + 1);
      free (opt);
    }
  }
}
