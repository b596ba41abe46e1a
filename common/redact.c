/* redact.c: keeping secrets out of records: which keys name a secret,
 * and redacting their values in "k=v" text.
 */
#include <ctype.h>
#include <string.h>

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
    end = eq + 1 + strcspn (eq + 1, "&\n ");
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
  return opt[0] == '-' && strchr (opt, '=') == NULL &&
    opt[strspn (opt, "-")] != '\0' && is_secret_key (opt + strspn (opt, "-"));
}
