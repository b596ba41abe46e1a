/* uri.c: parse the engine's uri= option.
 *
 *   nbd://host[:port][/export]           NBD over TCP (port 10809)
 *   nbd+unix:///[export]?socket=PATH      NBD over a Unix socket
 *   plugin:NAME_OR_PATH[?key=value&...]   an nbdkit plugin, in-process
 *
 * Components are %-decoded after splitting, so a value may hold '&', '='
 * or '?' written as %26, %3D, %3F.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define NBD_DEFAULT_PORT "10809"

static int
hexval (int c)
{
  if (c >= '0' && c <= '9') return c - '0';
  c = tolower (c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Decodes %XX escapes of S in place; returns 0, or -1 on a bad escape. */
int
vb_percent_decode (char *s)
{
  char *w = s;

  for (const char *r = s; *r; r++) {
    if (*r == '%') {
      int hi = hexval ((unsigned char) r[1]), lo;

      if (hi < 0 || (lo = hexval ((unsigned char) r[2])) < 0)
        return -1;
      *w++ = (char) (hi * 16 + lo);
      r += 2;
    }
    else
      *w++ = *r;
  }
  *w = '\0';
  return 0;
}

/* strndup + decode; NULL with vb_error set on failure. */
static char *
dup_decoded (const char *what, const char *s, size_t n)
{
  char *r = strndup (s, n);

  if (r == NULL) {
    vb_error ("uri: strndup: out of memory");
    return NULL;
  }
  if (vb_percent_decode (r) == -1) {
    vb_error ("uri: bad %%-escape in %s '%.*s'", what, (int) n, s);
    free (r);
    return NULL;
  }
  return r;
}

/* Frees what vb_uri_parse allocated; safe on a zeroed struct. */
void
vb_uri_free (struct vb_uri *uri)
{
  free (uri->host);
  free (uri->port);
  free (uri->export_name);
  free (uri->socket);
  free (uri->plugin);
  for (size_t i = 0; i < uri->nparams; i++) {
    free (uri->params[i].key);
    free (uri->params[i].value);
  }
  free (uri->params);
  memset (uri, 0, sizeof *uri);
}

/* Splits the query Q (without '?') into params; 0 or -1. */
static int
parse_query (const char *q, struct vb_uri *uri)
{
  while (*q) {
    size_t len = strcspn (q, "&");
    const char *eq = memchr (q, '=', len);
    struct vb_param *p;

    if (len == 0) {             /* "a=1&&b=2": skip empty pieces */
      q++;
      continue;
    }
    p = realloc (uri->params, (uri->nparams + 1) * sizeof *p);
    if (p == NULL) {
      vb_error ("uri: realloc: out of memory");
      return -1;
    }
    uri->params = p;
    p = &uri->params[uri->nparams];
    p->key = p->value = NULL;
    if (eq) {
      if (eq == q) {
        vb_error ("uri: empty key in '%.*s'", (int) len, q);
        return -1;
      }
      p->key = dup_decoded ("key", q, eq - q);
      p->value = dup_decoded ("value", eq + 1, len - (eq - q) - 1);
    }
    else
      p->value = dup_decoded ("value", q, len);
    uri->nparams++;
    if ((eq && p->key == NULL) || p->value == NULL)
      return -1;
    q += len;
    if (*q == '&')
      q++;
  }
  return 0;
}

static int
parse_plugin (const char *rest, struct vb_uri *uri)
{
  size_t len = strcspn (rest, "?");

  uri->scheme = VB_SCHEME_PLUGIN;
  if (len == 0) {
    vb_error ("uri: plugin: needs a plugin name or path, "
              "e.g. plugin:memory?size=1G");
    return -1;
  }
  if ((uri->plugin = dup_decoded ("plugin", rest, len)) == NULL)
    return -1;
  if (rest[len] == '?')
    return parse_query (rest + len + 1, uri);
  return 0;
}

/* Parses the query of an NBD URI: only socket= is understood. */
static int
parse_nbd_query (const char *q, struct vb_uri *uri)
{
  if (parse_query (q, uri) == -1)
    return -1;
  for (size_t i = 0; i < uri->nparams; i++) {
    const struct vb_param *p = &uri->params[i];

    if (p->key && strcmp (p->key, "socket") == 0) {
      free (uri->socket);
      if ((uri->socket = strdup (p->value)) == NULL) {
        vb_error ("uri: strdup: out of memory");
        return -1;
      }
    }
    else {
      vb_error ("uri: unsupported query parameter '%s' in an NBD URI "
                "(only socket= is understood)", p->key ? p->key : p->value);
      return -1;
    }
  }
  return 0;
}

static int
parse_nbd_tcp (const char *rest, struct vb_uri *uri)
{
  const char *end = rest + strcspn (rest, "/?");
  const char *h = rest, *hend, *colon = NULL;

  uri->scheme = VB_SCHEME_NBD_TCP;
  if (*h == '[') {                      /* [IPv6]:port */
    hend = memchr (h, ']', end - h);
    if (hend == NULL) {
      vb_error ("uri: unterminated '[' in host of '%s'", rest);
      return -1;
    }
    h++;
    if (hend + 1 < end) {
      if (hend[1] != ':') {
        vb_error ("uri: junk after ']' in '%s'", rest);
        return -1;
      }
      colon = hend + 1;
    }
  }
  else {
    colon = memchr (h, ':', end - h);
    hend = colon ? colon : end;
  }
  if (hend == h) {
    vb_error ("uri: nbd:// needs a host, e.g. nbd://127.0.0.1:10809");
    return -1;
  }
  if ((uri->host = dup_decoded ("host", h, hend - h)) == NULL)
    return -1;
  if (colon) {
    const char *p = colon + 1;

    if (p == end) {
      vb_error ("uri: empty port in '%s'", rest);
      return -1;
    }
    for (const char *c = p; c < end; c++)
      if (!isdigit ((unsigned char) *c)) {
        vb_error ("uri: port '%.*s' is not a number", (int) (end - p), p);
        return -1;
      }
    if (atoi (p) <= 0 || atoi (p) > 65535 || end - p > 5) {
      vb_error ("uri: port '%.*s' out of range", (int) (end - p), p);
      return -1;
    }
    uri->port = strndup (p, end - p);
  }
  else
    uri->port = strdup (NBD_DEFAULT_PORT);
  if (uri->port == NULL) {
    vb_error ("uri: strdup: out of memory");
    return -1;
  }
  return 0;
}

/* Parses the export ("/name") and query that follow the authority. */
static int
parse_nbd_path (const char *p, struct vb_uri *uri)
{
  size_t len = strcspn (p, "?");

  if (len > 0 && *p == '/') {
    p++;
    len--;
  }
  else if (len > 0) {
    vb_error ("uri: expected '/' before the export name in '%s'", p);
    return -1;
  }
  if ((uri->export_name = dup_decoded ("export", p, len)) == NULL)
    return -1;
  if (p[len] == '?')
    return parse_nbd_query (p + len + 1, uri);
  return 0;
}

/* Parses TEXT into *URI; returns 0, or -1 with vb_error set. */
int
vb_uri_parse (const char *text, struct vb_uri *uri)
{
  memset (uri, 0, sizeof *uri);
  if (text == NULL || *text == '\0') {
    vb_error ("uri: no uri= given (nbd://..., nbd+unix:///?socket=..., "
              "or plugin:NAME?key=value)");
    return -1;
  }
  if (strncmp (text, "plugin:", 7) == 0) {
    if (parse_plugin (text + 7, uri) == -1)
      goto err;
    return 0;
  }
  if (strncmp (text, "nbd://", 6) == 0) {
    const char *rest = text + 6;

    if (parse_nbd_tcp (rest, uri) == -1 ||
        parse_nbd_path (rest + strcspn (rest, "/?"), uri) == -1)
      goto err;
    if (uri->socket) {
      vb_error ("uri: socket= belongs in nbd+unix:// URIs, not nbd://");
      goto err;
    }
    return 0;
  }
  if (strncmp (text, "nbd+unix://", 11) == 0) {
    const char *rest = text + 11;

    uri->scheme = VB_SCHEME_NBD_UNIX;
    if (*rest != '/' && *rest != '?' && *rest != '\0') {
      vb_error ("uri: nbd+unix:// takes no host: write nbd+unix:///"
                "[export]?socket=PATH");
      goto err;
    }
    if (parse_nbd_path (rest, uri) == -1)
      goto err;
    if (uri->socket == NULL || *uri->socket == '\0') {
      vb_error ("uri: nbd+unix:// needs ?socket=PATH");
      goto err;
    }
    return 0;
  }
  if (strncmp (text, "nbds", 4) == 0) {
    vb_error ("uri: TLS (%.*s) is not supported; use nbd:// or nbd+unix://",
              (int) strcspn (text, ":"), text);
    return -1;
  }
  vb_error ("uri: unknown scheme in '%s' (expected nbd://, nbd+unix:// "
            "or plugin:)", text);
  return -1;

 err:
  vb_uri_free (uri);
  return -1;
}
