/* objstore.c: the reference object store, a service of kind "objstore":
 * nginx from Debian (its DAV, SSL and HTTP/2 modules) keeping objects as
 * files in a directory of the run's own, PUT, GET (with ranges) and
 * DELETE, over HTTP or HTTPS with a certificate the run makes for itself
 * (openssl), on 127.0.0.1 or a Unix socket in the private directory.
 *
 *   { "role": "nginx",
 *     "objstore": { "tls": true, "http2": false, "listen": "tcp",
 *                   "keepalive_requests": 1000, "keepalive_timeout_s": 75,
 *                   "workers": 1 } }
 *
 * ${ROLE.url} is its base URL (no trailing '/'), ${ROLE.cacert} the CA
 * certificate that verifies it (with tls), ${ROLE.socket} its socket
 * (with listen unix).  nginx.conf is written from these options alone:
 * no text of the stack reaches it.
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

struct objstore {
  bool tls, http2, unix_listen;
  unsigned keepalive_requests, keepalive_timeout_s, workers;
};

static const char *const keys[] = {
  "http2", "keepalive_requests", "keepalive_timeout_s", "listen", "tls",
  "workers",
};

static int
get_bool (const struct stack *st, const cJSON *obj, const char *key, bool *out)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (obj, key);

  if (v == NULL)
    return 0;
  if (!cJSON_IsBool (v)) {
    stack_bad (st, obj, key, "expected true or false");
    return -1;
  }
  *out = cJSON_IsTrue (v);
  return 0;
}

int
objstore_read (const struct stack *st, const cJSON *obj, struct service *s)
{
  struct objstore *o = xcalloc (1, sizeof *o);
  const cJSON *v;

  s->obj = o;
  o->tls = true;
  o->keepalive_requests = 1000;         /* nginx's defaults */
  o->keepalive_timeout_s = 75;
  o->workers = 1;
  if (stack_check_keys (st, obj, keys, sizeof keys / sizeof keys[0],
                        "objstore", NULL) == -1)
    return -1;
  if (get_bool (st, obj, "tls", &o->tls) == -1 ||
      get_bool (st, obj, "http2", &o->http2) == -1 ||
      stack_get_uint (st, obj, "keepalive_requests", 1, 10000000,
                      &o->keepalive_requests) == -1 ||
      stack_get_uint (st, obj, "keepalive_timeout_s", 0, 3600,
                      &o->keepalive_timeout_s) == -1 ||
      stack_get_uint (st, obj, "workers", 1, 64, &o->workers) == -1)
    return -1;
  /* Cleartext HTTP/2 (h2c) is refused: nginx 1.22 serves it only with
   * prior knowledge, and Debian's libcurl 7.88 fails the second upload
   * on such a connection ("Error in the HTTP2 framing layer"), so a
   * pooled client could not use it.
   */
  if (o->http2 && !o->tls) {
    stack_bad (st, obj, "http2", "HTTP/2 needs \"tls\": true here (cleartext "
               "HTTP/2 fails on a reused connection with Debian's libcurl)");
    return -1;
  }
  if ((v = cJSON_GetObjectItemCaseSensitive (obj, "listen"))) {
    const char *l = cJSON_GetStringValue (v);

    if (l == NULL || (strcmp (l, "tcp") && strcmp (l, "unix"))) {
      stack_bad (st, obj, "listen", "expected \"tcp\" (127.0.0.1) or \"unix\" "
                 "(a socket in the run's private directory)");
      return -1;
    }
    o->unix_listen = strcmp (l, "unix") == 0;
  }
  /* nginx with its prefix and configuration in the service's directory,
   * its errors on stderr (the service's log).
   */
  s->argv = xcalloc (8, sizeof *s->argv);
  s->argv[0] = xstrdup ("nginx");
  s->argv[1] = xstrdup ("-p");
  s->argv[2] = xasprintf ("${%s.dir}", s->role);
  s->argv[3] = xstrdup ("-c");
  s->argv[4] = xasprintf ("${%s.dir}/nginx.conf", s->role);
  s->argv[5] = xstrdup ("-e");
  s->argv[6] = xstrdup ("stderr");
  s->nargv = 7;
  s->dirs = xcalloc (3, sizeof *s->dirs);
  s->dirs[0] = xstrdup ("data");
  s->dirs[1] = xstrdup ("tmp");
  s->ndirs = 2;
  s->ready = READY_HTTP;
  s->ready_at = xasprintf ("${%s.url}/viperbench-ready", s->role);
  if (o->tls)
    s->ready_cacert = xasprintf ("${%s.cacert}", s->role);
  s->ready_timeout = st->ready_timeout;
  return 0;
}

bool
objstore_has_var (const struct service *s, const char *key)
{
  return strcmp (key, "url") == 0 ||
    (strcmp (key, "cacert") == 0 && s->obj->tls) ||
    (strcmp (key, "socket") == 0 && s->obj->unix_listen);
}

void
objstore_bind (struct service *s)
{
  const struct objstore *o = s->obj;
  const char *scheme = o->tls ? "https" : "http";
  char *listen, *user = NULL, *text;
  const char *d = s->dir;         /* /tmp/viperbench.XXXXXX/svc-ROLE */

  if (o->unix_listen) {
    s->socket = xasprintf ("%s/nginx.sock", d);
    s->url = xasprintf ("%s://localhost", scheme);
    listen = xasprintf ("unix:%s", s->socket);
  }
  else {
    s->url = xasprintf ("%s://127.0.0.1:%u", scheme, s->port);
    listen = xasprintf ("127.0.0.1:%u", s->port);
  }
  if (o->tls)
    s->cacert = xasprintf ("%s/cert.pem", d);
  /* Run as root, nginx would hand its workers to "nobody", who cannot
   * write the run's private directory: keep them this user's.
   */
  if (geteuid () == 0) {
    struct passwd *pw = getpwuid (geteuid ());
    struct group *gr = getgrgid (getegid ());

    if (pw && gr)
      user = xasprintf ("user %s %s;\n", pw->pw_name, gr->gr_name);
  }
  text = xasprintf (
    "# Made by viperbench for service %s (runner/objstore.c).\n"
    "daemon off;\n"
    "master_process on;\n"
    "worker_processes %u;\n"
    "pid %s/nginx.pid;\n"
    "error_log stderr warn;\n"
    "%s"
    "events { worker_connections 4096; }\n"
    "http {\n"
    "  access_log off;\n"
    "  client_body_temp_path %s/tmp;\n"
    "  proxy_temp_path %s/tmp;\n"
    "  fastcgi_temp_path %s/tmp;\n"
    "  uwsgi_temp_path %s/tmp;\n"
    "  scgi_temp_path %s/tmp;\n"
    "  client_max_body_size 0;\n"
    "  client_body_buffer_size 1m;\n"
    "  keepalive_requests %u;\n"
    "  keepalive_timeout %us;\n"
    "  server {\n"
    "    listen %s%s%s;\n"
    "%s%s%s%s%s"
    "    root %s/data;\n"
    "    log_not_found off;\n"
    "    location = /viperbench-ready { return 200 \"ready\\n\"; }\n"
    "    location / {\n"
    "      dav_methods PUT DELETE;\n"
    "      create_full_put_path on;\n"
    "    }\n"
    "  }\n"
    "}\n",
    s->role, o->workers, d, user ? user : "", d, d, d, d, d,
    o->keepalive_requests, o->keepalive_timeout_s,
    listen, o->tls ? " ssl" : "", o->http2 ? " http2" : "",
    o->tls ? "    ssl_certificate " : "", o->tls ? d : "",
    o->tls ? "/cert.pem;\n    ssl_certificate_key " : "", o->tls ? d : "",
    o->tls ? "/key.pem;\n" : "", d);
  s->fname = xcalloc (2, sizeof *s->fname);
  s->ftext = xcalloc (2, sizeof *s->ftext);
  s->fname[0] = xstrdup ("nginx.conf");
  s->ftext[0] = text;
  s->nfiles = 1;
  free (listen);
  free (user);
}

int
objstore_prepare (struct service *s)
{
  char *key, *cert, *log;
  int r;

  if (!s->obj->tls)
    return 0;
  key = xasprintf ("%s/key.pem", s->dir);
  cert = xasprintf ("%s/cert.pem", s->dir);
  log = xasprintf ("%s/openssl.log", s->dir);
  {
    /* A key and a self-signed certificate for this run, valid for the
     * names the store is reached by.
     */
    const char *argv[] = {
      "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
      "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
      "-days", "2", "-subj", "/CN=localhost", "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1", NULL,
    };

    r = proc_run (argv, 30, log, log);
  }
  if (r != 0) {
    char *tail = log_tail (log);

    vb_msg ("service %s: openssl could not make its certificate (%s)",
            s->role, tail ? tail : log);
    free (tail);
  }
  free (key);
  free (cert);
  free (log);
  return r == 0 ? 0 : -1;
}

void
objstore_free (struct service *s)
{
  free (s->obj);
  s->obj = NULL;
}
