/* service.c: a stack's services, the processes its plugin needs (an
 * object store, a key-value store, a metadata server):
 *
 *   "services": [
 *     { "role": "nginx", "objstore": { "tls": true } },     (objstore.c)
 *     { "role": "kv",
 *       "argv": [ "redis-server", "--port", "${kv.port}" ],
 *       "env": { "NAME": "value" },
 *       "dirs": [ "data" ],                  (made in ${kv.dir})
 *       "files": { "kv.conf": "text" },      (written in ${kv.dir})
 *       "ready": { "tcp": "${kv.port}" | "unix": "PATH" | "http": "URL",
 *                  "cacert": "PATH", "timeout_s": 10 },
 *       "port": 0,                           (0: a free one)
 *       "layers": [ "direct", "nbd-unix" ] } ]  (default: the plugin's)
 *
 * "${ROLE.KEY}" in a service's values and in the plugin's and filters'
 * arguments is the service's dir (PRIVATE/svc-ROLE), port, url, socket
 * or cacert, known once the run's private directory exists.
 *
 * A service runs from its argv (never a shell) in its own process group
 * with the runner's parent-death signal, is ready when it accepts a
 * connection or answers a GET with 2xx, and is stopped with SIGTERM to
 * its group, then SIGKILL.  One that fails to start or dies while a
 * layer needs it fails that layer with its name and log.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "internal.h"

static const char *const svc_keys[] = {
  "argv", "dirs", "env", "files", "layers", "objstore", "port", "ready", "role",
};
static const char *const ready_keys[] = {
  "cacert", "http", "tcp", "timeout_s", "unix",
};

/* Roles the layers' own processes have (and every layer's name: a
 * layer's server is named after it).
 */
static const char *const taken_roles[] = { "fio", "nbdkit", "qemu-system" };

static bool
role_ok (const char *r)
{
  size_t n = strlen (r);

  if (n == 0 || n > 32 || !islower ((unsigned char) r[0]))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!(islower ((unsigned char) r[i]) || isdigit ((unsigned char) r[i]) ||
          r[i] == '-' || r[i] == '_'))
      return false;
  return true;
}

static void
push (char ***v, size_t *n, char *s)
{
  *v = xreallocarray (*v, *n + 2, sizeof **v);
  (*v)[(*n)++] = s;
  (*v)[*n] = NULL;
}

/* A service by role, or NULL. */
static struct service *
find (const struct stack *st, const char *role, size_t len)
{
  for (size_t i = 0; i < st->nsvc; i++)
    if (strlen (st->svc[i].role) == len &&
        strncmp (st->svc[i].role, role, len) == 0)
      return &st->svc[i];
  return NULL;
}

static bool
has_var (const struct service *s, const char *key)
{
  if (strcmp (key, "dir") == 0 || strcmp (key, "port") == 0)
    return true;
  return s->obj && objstore_has_var (s, key);
}

/* The value of ${ROLE.KEY} for a bound service, or NULL. */
static char *
var_value (const struct service *s, const char *key)
{
  if (strcmp (key, "dir") == 0)
    return xstrdup (s->dir);
  if (strcmp (key, "port") == 0)
    return xasprintf ("%u", s->port);
  if (strcmp (key, "pid") == 0 && s->running)
    return xasprintf ("%ld", (long) s->pid);
  if (strcmp (key, "url") == 0 && s->url)
    return xstrdup (s->url);
  if (strcmp (key, "socket") == 0 && s->socket)
    return xstrdup (s->socket);
  if (strcmp (key, "cacert") == 0 && s->cacert)
    return xstrdup (s->cacert);
  return NULL;
}

/* Walks the ${ROLE.KEY} references of S: with OUT, replaces them by
 * their values (bound services); else only checks them.  0, or -1 with
 * *BAD the reference at fault (to free).
 */
int
services_subst (const struct stack *st, const char *s, char **out, char **bad)
{
  char *res = out ? xstrdup ("") : NULL;
  const char *p = s;

  *bad = NULL;
  for (const char *hit; (hit = strstr (p, "${"));) {
    const char *end = strchr (hit, '}'), *dot;
    struct service *sv;
    char *key, *val = NULL;

    dot = end ? memchr (hit, '.', (size_t) (end - hit)) : NULL;
    if (end == NULL || dot == NULL) {
      /* Not a service's: ${dir} and the like were replaced at load. */
      if (res) {
        char *n = xasprintf ("%s%.*s", res, (int) (hit + 2 - p), p);
        free (res);
        res = n;
      }
      p = hit + 2;
      continue;
    }
    key = xasprintf ("%.*s", (int) (end - dot - 1), dot + 1);
    sv = find (st, hit + 2, (size_t) (dot - hit - 2));
    if (sv == NULL || !(has_var (sv, key) || strcmp (key, "pid") == 0) ||
        (out && (val = var_value (sv, key)) == NULL)) {
      *bad = xasprintf ("%.*s", (int) (end + 1 - hit), hit);
      free (key);
      free (res);
      return -1;
    }
    if (res) {
      char *n = xasprintf ("%s%.*s%s", res, (int) (hit - p), p, val);
      free (res);
      res = n;
    }
    free (val);
    free (key);
    p = end + 1;
  }
  if (out) {
    char *n = xasprintf ("%s%s", res, p);
    free (res);
    *out = n;
  }
  return 0;
}

/* Calls FN (ST, OBJ, KEY, V, ARG) on each value a ${ROLE.KEY} may stand
 * in: every service's argv, env, files and ready check, and the plugin's
 * and filters' arguments, with the object and key it came from (for
 * messages); stops at the first call that returns non-zero and returns
 * that, else 0.
 */
static int
each_value (struct stack *st,
            int (*fn) (struct stack *st, const cJSON *obj, const char *key,
                       char **v, void *arg),
            void *arg)
{
  const cJSON *nb = cJSON_GetObjectItemCaseSensitive (st->json, "nbdkit");
  int r = 0;

  for (size_t i = 0; i < st->nsvc && r == 0; i++) {
    struct service *s = &st->svc[i];

    for (size_t k = 0; k < s->nargv && r == 0; k++)
      r = fn (st, s->json, "argv", &s->argv[k], arg);
    for (size_t k = 0; k < s->nenv && r == 0; k++)
      r = fn (st, s->json, "env", &s->env[k], arg);
    for (size_t k = 0; k < s->nfiles && r == 0; k++)
      r = fn (st, s->json, "files", &s->ftext[k], arg);
    if (r == 0 && s->ready_at)
      r = fn (st, s->json, "ready", &s->ready_at, arg);
    if (r == 0 && s->ready_cacert)
      r = fn (st, s->json, "ready", &s->ready_cacert, arg);
  }
  for (size_t i = 0; i < st->nplugin_args && r == 0; i++)
    r = fn (st, NULL, "plugin_args", &st->plugin_args[i], arg);
  for (size_t i = 0; i < st->nfilter_args && r == 0; i++)
    r = fn (st, nb, "filter_args", &st->filter_args[i], arg);
  return r;
}

int
services_check_refs (const struct stack *st, const cJSON *obj,
                     const char *key, const char *s)
{
  char *bad;

  if (services_subst (st, s, NULL, &bad) == 0)
    return 0;
  {
    const char *dot = strchr (bad, '.');
    bool known = dot && find (st, bad + 2, (size_t) (dot - bad - 2));

    if (strstr (bad, ".pid}") && known)
      stack_bad (st, obj, key, "'%s': a service's pid is known only to "
                 "viperbench services' command", bad);
    else if (known)
      stack_bad (st, obj, key, "'%s': that service has no such value "
                 "(dir, port%s)", bad,
                 find (st, bad + 2, (size_t) (dot - bad - 2))->obj
                 ? ", url, cacert with tls, socket with listen unix" : "");
    else
      stack_bad (st, obj, key, "'%s' names no service of the stack", bad);
  }
  free (bad);
  return -1;
}

/* An array of strings (expanded) into *OUT; -1 with a message. */
static int
read_strings (const struct stack *st, const cJSON *obj, const char *key,
              char ***out, size_t *n, bool nonempty)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (obj, key), *e;

  if (v == NULL && !nonempty)
    return 0;
  if (!cJSON_IsArray (v) || (nonempty && cJSON_GetArraySize (v) == 0)) {
    stack_bad (st, obj, key, "expected a%s array of strings",
               nonempty ? " non-empty" : "n");
    return -1;
  }
  cJSON_ArrayForEach (e, v) {
    if (!cJSON_IsString (e)) {
      stack_bad (st, obj, key, "expected an array of strings");
      return -1;
    }
    push (out, n, stack_expand (st, e->valuestring));
  }
  return 0;
}

static int
read_ready (struct stack *st, const cJSON *obj, struct service *s)
{
  const cJSON *r = cJSON_GetObjectItemCaseSensitive (obj, "ready"), *e;
  const char *kinds[] = { "tcp", "unix", "http" };
  unsigned t = 10;
  int found = 0;

  if (!cJSON_IsObject (r)) {
    stack_bad (st, obj, "ready", "expected an object: {\"tcp\": \"${%s.port}\"}, "
               "{\"unix\": PATH} or {\"http\": URL}, with \"timeout_s\"",
               s->role);
    return -1;
  }
  if (stack_check_keys (st, r, ready_keys,
                        sizeof ready_keys / sizeof ready_keys[0], "ready",
                        NULL) == -1 ||
      stack_get_uint (st, r, "timeout_s", 1, 600, &t) == -1)
    return -1;
  s->ready_timeout = t;
  for (int k = 0; k < 3; k++)
    if ((e = cJSON_GetObjectItemCaseSensitive (r, kinds[k]))) {
      if (!cJSON_IsString (e) || !*e->valuestring) {
        stack_bad (st, r, kinds[k], "expected a string");
        return -1;
      }
      s->ready = (enum svc_ready) k;
      s->ready_at = stack_expand (st, e->valuestring);
      found++;
    }
  if (found != 1) {
    stack_bad (st, obj, "ready", "give one of \"tcp\", \"unix\" or \"http\"");
    return -1;
  }
  if (s->ready == READY_HTTP && strncmp (s->ready_at, "http://", 7) != 0 &&
      strncmp (s->ready_at, "https://", 8) != 0) {
    stack_bad (st, r, "http", "'%s': expected an http:// or https:// URL",
               s->ready_at);
    return -1;
  }
  if ((e = cJSON_GetObjectItemCaseSensitive (r, "cacert"))) {
    if (!cJSON_IsString (e)) {
      stack_bad (st, r, "cacert", "expected a path");
      return -1;
    }
    s->ready_cacert = stack_expand (st, e->valuestring);
  }
  return 0;
}

/* One service object. */
static int
read_one (struct stack *st, const cJSON *obj, struct service *s)
{
  const cJSON *v, *e;

  s->json = obj;
  if (!cJSON_IsObject (obj)) {
    stack_bad (st, NULL, "services", "each service is an object");
    return -1;
  }
  if (stack_check_keys (st, obj, svc_keys,
                        sizeof svc_keys / sizeof svc_keys[0], "a service",
                        NULL) == -1)
    return -1;
  v = cJSON_GetObjectItemCaseSensitive (obj, "role");
  if (!cJSON_IsString (v) || !role_ok (v->valuestring)) {
    stack_bad (st, obj, "role", "expected a name of lower-case letters, digits, "
               "'-' and '_', starting with a letter (it names the process in "
               "every table and ${ROLE.KEY})");
    return -1;
  }
  s->role = xstrdup (v->valuestring);
  for (size_t i = 0; i <= sizeof taken_roles / sizeof taken_roles[0]; i++)
    if (i == sizeof taken_roles / sizeof taken_roles[0]
        ? target_find (s->role) != NULL : strcmp (s->role, taken_roles[i]) == 0) {
      stack_bad (st, obj, "role", "'%s' is a layer's own process: choose "
                 "another name", s->role);
      return -1;
    }
  if (stack_get_uint (st, obj, "port", 0, 65535, &s->port) == -1)
    return -1;
  if ((v = cJSON_GetObjectItemCaseSensitive (obj, "objstore"))) {
    static const char *const own[] = { "argv", "ready", "files", "dirs" };

    for (size_t i = 0; i < 4; i++)
      if (cJSON_GetObjectItemCaseSensitive (obj, own[i])) {
        stack_bad (st, obj, own[i], "an objstore service makes its own %s",
                   own[i]);
        return -1;
      }
    if (!cJSON_IsObject (v)) {
      stack_bad (st, obj, "objstore", "expected an object of options");
      return -1;
    }
    if (objstore_read (st, v, s) == -1)
      return -1;
  }
  else {
    if (read_strings (st, obj, "argv", &s->argv, &s->nargv, true) == -1 ||
        read_strings (st, obj, "dirs", &s->dirs, &s->ndirs, false) == -1 ||
        read_ready (st, obj, s) == -1)
      return -1;
    for (size_t i = 0; i < s->ndirs; i++)
      if (!plain_name (s->dirs[i])) {
        stack_bad (st, obj, "dirs", "'%s' is not a plain name", s->dirs[i]);
        return -1;
      }
    if ((v = cJSON_GetObjectItemCaseSensitive (obj, "files"))) {
      if (!cJSON_IsObject (v)) {
        stack_bad (st, obj, "files", "expected an object of \"NAME\": \"text\"");
        return -1;
      }
      cJSON_ArrayForEach (e, v) {
        if (!plain_name (e->string) || !cJSON_IsString (e)) {
          stack_bad (st, v, e->string, "expected a plain file name with a "
                     "string of text");
          return -1;
        }
        /* One name, one thing in the service's directory. */
        for (size_t i = 0; i < s->ndirs; i++)
          if (strcmp (s->dirs[i], e->string) == 0) {
            stack_bad (st, v, e->string, "'%s' is in both \"files\" and "
                       "\"dirs\": a name is a file or a directory",
                       e->string);
            return -1;
          }
        size_t nf = s->nfiles;

        push (&s->fname, &nf, xstrdup (e->string));
        push (&s->ftext, &s->nfiles, stack_expand (st, e->valuestring));
      }
    }
  }
  if ((v = cJSON_GetObjectItemCaseSensitive (obj, "env"))) {
    if (!cJSON_IsObject (v)) {
      stack_bad (st, obj, "env", "expected an object of \"NAME\": \"value\"");
      return -1;
    }
    cJSON_ArrayForEach (e, v) {
      /* {"value": V, "secret": true}: a value kept out of the record
       * wherever it appears.
       */
      const cJSON *ev = stack_marked_secret (e)
        ? cJSON_GetObjectItemCaseSensitive (e, "value") : e;
      bool ok = cJSON_IsString (ev) && e->string[0] &&
        !isdigit ((unsigned char) e->string[0]);

      for (const char *c = e->string; ok && *c; c++)
        ok = isalnum ((unsigned char) *c) || *c == '_';
      if (!ok) {
        stack_bad (st, v, e->string, "expected NAME (letters, digits, '_') "
                   "with a string value (or {\"value\": \"...\", "
                   "\"secret\": true})");
        return -1;
      }
      {
        char *val = stack_expand (st, ev->valuestring);

        push (&s->env, &s->nenv, xasprintf ("%s=%s", e->string, val));
        free (val);
      }
    }
  }
  if (read_strings (st, obj, "layers", &s->layers, &s->nlayers, false) == -1)
    return -1;
  /* (Their names are checked by stack_load, with the stack's own.) */
  if (s->nlayers == 0)          /* the plugin's layers need its store */
    for (size_t i = 0; i < st->nlayers; i++)
      if (target_find (st->layers[i])->uses_plugin)
        push (&s->layers, &s->nlayers, xstrdup (st->layers[i]));
  return 0;
}

static int
check_one (struct stack *st, const cJSON *obj, const char *key, char **v,
           void *arg)
{
  (void) arg;
  return services_check_refs (st, obj, key, *v);
}

int
services_read (struct stack *st)
{
  const cJSON *a = cJSON_GetObjectItemCaseSensitive (st->json, "services"), *e;

  if (a && !cJSON_IsArray (a)) {
    stack_bad (st, NULL, "services", "expected an array of services");
    return -1;
  }
  if (cJSON_GetArraySize (a) > MAX_SERVICES) {
    stack_bad (st, NULL, "services", "at most %d services", MAX_SERVICES);
    return -1;
  }
  st->svc = xcalloc (MAX_SERVICES, sizeof *st->svc);
  /* (With no "services", the plugin's arguments are still checked.) */
  cJSON_ArrayForEach (e, a) {
    struct service *s = &st->svc[st->nsvc++];

    if (read_one (st, e, s) == -1)
      return -1;
    for (size_t i = 0; i + 1 < st->nsvc; i++)
      if (strcmp (st->svc[i].role, s->role) == 0) {
        stack_bad (st, e, "role", "two services named '%s'", s->role);
        return -1;
      }
  }
  /* Every ${ROLE.KEY}, now that every role is known. */
  return each_value (st, check_one, NULL);
}

int
services_preflight (const struct stack *st)
{
  for (size_t i = 0; i < st->nsvc; i++) {
    const struct service *s = &st->svc[i];

    if (!have_program (s->argv[0])) {
      if (s->obj)
        vb_msg ("service %s needs '%s', which is not installed (Debian "
                "package nginx: apt-get install nginx)", s->role, s->argv[0]);
      else
        vb_msg ("service %s: '%s' is not installed (stack %s, its argv)",
                s->role, s->argv[0], st->path);
      return -1;
    }
    if (s->obj && !have_program ("openssl")) {
      vb_msg ("service %s needs 'openssl' for its certificate (Debian "
              "package openssl: apt-get install openssl)", s->role);
      return -1;
    }
  }
  return 0;
}

static int lay_out (struct service *s);
static int
mentions (struct stack *st, const cJSON *obj, const char *key, char **v,
          void *ref)
{
  (void) st, (void) obj, (void) key;
  return strstr (*v, ref) != NULL;
}

/* True when a value of the stack mentions ${ROLE.port} of S. */
static bool
uses_port (struct stack *st, const struct service *s)
{
  char *ref = xasprintf ("${%s.port}", s->role);
  bool r = each_value (st, mentions, ref) != 0;

  free (ref);
  return r;
}

/* Replaces *V by its ${ROLE.KEY}s bound. */
static int
bind_one (struct stack *st, const cJSON *obj, const char *key, char **v,
          void *arg)
{
  char *out, *bad;

  (void) obj, (void) arg;
  if (services_subst (st, *v, &out, &bad) == -1) {
    vb_msg ("stack %s: %s: '%s' has no value", st->path, key, bad);
    free (bad);
    return -1;
  }
  free (*v);
  *v = out;
  return 0;
}

static int ready_port (const struct service *s);

void
services_secrets (const struct stack *st)
{
  for (size_t i = 0; i < st->nsvc; i++) {
    const struct service *s = &st->svc[i];

    secrets_from_argv (s->argv, s->nargv);
    secrets_from_pairs (s->env, s->nenv);
    for (size_t k = 0; k < s->nenv; k++) {
      const char *eq = strchr (s->env[k], '=');
      char *name = xasprintf ("%.*s", (int) (eq - s->env[k]), s->env[k]);

      if (is_secret_key (name))
        scrub_add (eq + 1);
      secrets_from_text (eq + 1);
      free (name);
    }
    secrets_from_text (s->ready_at);
  }
}

int
services_bind (struct stack *st, const char *private_dir)
{
  int r;

  if (st->nsvc == 0)
    return 0;
  for (size_t i = 0; i < st->nsvc; i++) {
    struct service *s = &st->svc[i];

    s->dir = xasprintf ("%s/svc-%s", private_dir, s->role);
    if (s->port == 0 && ((s->obj && !objstore_has_var (s, "socket")) ||
                         uses_port (st, s) ||
                         s->ready == READY_TCP)) {
      int p = free_tcp_port ();

      if (p < 0) {
        vb_msg ("service %s: no free TCP port on 127.0.0.1", s->role);
        return -1;
      }
      s->port = (unsigned) p;
    }
    if (s->obj)
      objstore_bind (s);
  }
  r = each_value (st, bind_one, NULL);
  /* Before anything starts: a ready check on a port is on a port, and a
   * port the stack fixed is free (else the run would measure whatever
   * already listens there).
   */
  for (size_t i = 0; i < st->nsvc && r == 0; i++) {
    struct service *s = &st->svc[i];
    int port = ready_port (s);

    if (port < 0) {
      stack_bad (st, s->json, "ready", "ready.tcp '%s' is not a port "
                 "(1-65535, digits only)", s->ready_at);
      r = -1;
    }
    else if (port == 0 && s->ready == READY_HTTP) {
      stack_bad (st, s->json, "ready", "ready.http '%s': a service is "
                 "checked on 127.0.0.1 or localhost (it listens there), not "
                 "on another host", s->ready_at);
      r = -1;
    }
    else if (port > 0 && !tcp_port_free (port)) {
      stack_bad (st, s->json, "ready", "service %s: port %d on 127.0.0.1 "
                 "is taken by another process: free it, or let the run "
                 "choose one (\"port\": 0 and ${%s.port})", s->role, port,
                 s->role);
      r = -1;
    }
    else if (s->port && (int) s->port != port && !tcp_port_free ((int) s->port)) {
      stack_bad (st, s->json, "port", "service %s: port %u on 127.0.0.1 is "
                 "taken by another process", s->role, s->port);
      r = -1;
    }
  }
  if (r == -1)
    return -1;
  /* (Their values as bound may hold secrets of their own: the caller
   * registers them, stack_secrets, before it starts anything.)
   */
  /* Laid out now: the plugin, loaded once before the record is claimed,
   * may name their files (a CA certificate).
   */
  for (size_t i = 0; i < st->nsvc && r == 0; i++)
    r = lay_out (&st->svc[i]);
  return r;
}

bool
service_needed (const struct service *s, const char *layer)
{
  for (size_t i = 0; i < s->nlayers; i++)
    if (strcmp (s->layers[i], layer) == 0)
      return true;
  return false;
}

/* A body that is not wanted. */
static size_t
discard (char *p, size_t size, size_t n, void *arg)
{
  (void) p, (void) arg;
  return size * n;
}

/* An HTTP(S) GET of URL that answers 2xx within a second: true. */
static bool
http_ok (const struct service *s, char *err, size_t errn)
{
  CURL *h = curl_easy_init ();
  char buf[CURL_ERROR_SIZE] = "";
  long code = 0;
  CURLcode r;

  if (h == NULL)
    return false;
  curl_easy_setopt (h, CURLOPT_URL, s->ready_at);
  curl_easy_setopt (h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (h, CURLOPT_TIMEOUT_MS, 1000L);
  curl_easy_setopt (h, CURLOPT_ERRORBUFFER, buf);
  curl_easy_setopt (h, CURLOPT_PROTOCOLS_STR, "http,https");
  if (s->ready_cacert)
    curl_easy_setopt (h, CURLOPT_CAINFO, s->ready_cacert);
  if (s->socket)
    curl_easy_setopt (h, CURLOPT_UNIX_SOCKET_PATH, s->socket);
  curl_easy_setopt (h, CURLOPT_WRITEFUNCTION, discard);
  r = curl_easy_perform (h);
  if (r == CURLE_OK)
    curl_easy_getinfo (h, CURLINFO_RESPONSE_CODE, &code);
  if (r != CURLE_OK)
    snprintf (err, errn, "%s", buf[0] ? buf : curl_easy_strerror (r));
  else if (code < 200 || code > 299)
    snprintf (err, errn, "GET %s answered HTTP %ld", s->ready_at, code);
  curl_easy_cleanup (h);
  return r == CURLE_OK && code >= 200 && code <= 299;
}

/* The TCP port on 127.0.0.1 S's ready check reaches, or 0 (a Unix
 * socket, another host); -1 when ready.tcp is not a port.
 */
static int
ready_port (const struct service *s)
{
  if (s->ready == READY_TCP) {
    const char *p = s->ready_at;
    size_t k = strspn (p, "0123456789");
    long port = k && k == strlen (p) && k <= 5 ? strtol (p, NULL, 10) : -1;

    return port >= 1 && port <= 65535 ? (int) port : -1;
  }
  if (s->ready == READY_HTTP) {
    const char *h = strstr (s->ready_at, "://"), *c;
    bool tls = strncmp (s->ready_at, "https", 5) == 0;

    if (h == NULL)
      return 0;
    h += 3;
    /* userinfo@ */
    if ((c = strchr (h, '@')) != NULL && c < h + strcspn (h, "/"))
      h = c + 1;
    if (strncmp (h, "127.0.0.1", 9) == 0)
      c = h + 9;
    else if (strncmp (h, "localhost", 9) == 0)
      c = h + 9;
    else
      return 0;
    if (*c == ':')
      return atoi (c + 1);
    return *c == '/' || *c == '\0' ? (tls ? 443 : 80) : 0;
  }
  return 0;
}

/* True when what answers S's ready check is a process of this run; else
 * *WHY names who answers.
 */
static bool
ready_is_ours (const struct service *s, char *why, size_t n)
{
  int port = ready_port (s);
  pid_t holder;
  int r;

  if (port <= 0 && s->ready != READY_UNIX)
    return true;
  r = proc_listener_ours (port, s->ready == READY_UNIX ? s->ready_at : NULL,
                          &holder);
  if (r == 0) {
    char path[64], comm[64] = "?";
    int fd;
    ssize_t l;

    snprintf (path, sizeof path, "/proc/%d/comm", (int) holder);
    if ((fd = open (path, O_RDONLY | O_CLOEXEC)) != -1) {
      if ((l = read (fd, comm, sizeof comm - 1)) > 0)
        comm[l - (comm[l - 1] == '\n')] = '\0';
      close (fd);
    }
    if (s->ready == READY_UNIX)
      snprintf (why, n, "its ready socket %s is served by pid %d (%s), a "
                "process this run did not start", s->ready_at, (int) holder,
                comm);
    else
      snprintf (why, n, "127.0.0.1:%d answers, but from pid %d (%s), a "
                "process this run did not start", port, (int) holder, comm);
    return false;
  }
  return true;
}

/* Waits until S is ready; 0, or -1 with *WHY set (static text). */
static int
wait_ready (struct service *s, char *why, size_t n)
{
  double t0 = mono_now (), end = t0 + s->ready_timeout;

  snprintf (why, n, "not ready within %.0f s (ready.timeout_s)",
            s->ready_timeout);
  if (s->ready == READY_TCP || s->ready == READY_UNIX) {
    long port = s->ready == READY_TCP ? strtol (s->ready_at, NULL, 10) : 0;
    int r;

    if (s->ready == READY_TCP && (port <= 0 || port > 65535)) {
      snprintf (why, n, "ready.tcp '%s' is not a port", s->ready_at);
      return -1;
    }
    r = s->ready == READY_TCP ? proc_wait_tcp ((int) port, s->pid, s->ready_timeout)
      : proc_wait_unix (s->ready_at, s->pid, s->ready_timeout);
    if (r == 0)
      return ready_is_ours (s, why, n) ? 0 : -1;
  }
  else {
    char err[256] = "";

    while (mono_now () < end && !stop_requested && proc_alive (s->pid)) {
      if (http_ok (s, err, sizeof err))
        return ready_is_ours (s, why, n) ? 0 : -1;
      usleep (50000);
    }
    if (err[0] && proc_alive (s->pid))
      snprintf (why, n, "not ready within %.0f s (ready.timeout_s): %s",
                s->ready_timeout, err);
  }
  return -1;
}

/* "exited with status N" or "killed by signal N" for STATUS. */
static char *
how_ended (int status)
{
  if (WIFEXITED (status))
    return xasprintf ("exited with status %d", WEXITSTATUS (status));
  if (WIFSIGNALED (status))
    return xasprintf ("was killed by signal %d", WTERMSIG (status));
  return xstrdup ("ended");
}

/* Reaps S if it has ended: true then, with S->end set. */
static bool
ended (struct service *s)
{
  int status;
  pid_t r;

  if (!s->running)
    return false;
  r = waitpid (s->pid, &status, WNOHANG);
  if (r == 0)
    return false;
  free (s->end);
  s->end = r == s->pid ? how_ended (status) : xstrdup ("is gone");
  s->running = false;
  /* Anything it left in its group goes with it, and its log is whole. */
  kill (-s->pid, SIGKILL);
  proc_log_done (s->pid, 2);
  return true;
}

static void
say_failed (const struct service *s, const char *what)
{
  char *tail = s->log ? log_tail (s->log) : NULL;

  if (tail)
    redact_kv (tail);
  vb_msg ("service %s (%s): %s; its log %s%s%s", s->role, s->argv[0], what,
          s->log ? s->log : "-", tail ? ": " : "", tail ? tail : "");
  free (tail);
}

/* The files and directories S needs, made anew; 0 or -1. */
static int
lay_out (struct service *s)
{
  if (mkdir (s->dir, 0700) == -1 && errno != EEXIST) {
    vb_msg ("service %s: mkdir %s: %s", s->role, s->dir, strerror (errno));
    return -1;
  }
  for (size_t i = 0; i < s->ndirs; i++) {
    char *d = xasprintf ("%s/%s", s->dir, s->dirs[i]);
    int r = mkdir (d, 0700);

    if (r == -1 && errno != EEXIST) {
      vb_msg ("service %s: mkdir %s: %s", s->role, d, strerror (errno));
      free (d);
      return -1;
    }
    free (d);
  }
  for (size_t i = 0; i < s->nfiles; i++) {
    char *f = xasprintf ("%s/%s", s->dir, s->fname[i]);
    int r = write_file_atomic (f, s->ftext[i], strlen (s->ftext[i]));

    free (f);
    if (r == -1)
      return -1;
  }
  return s->obj ? objstore_prepare (s) : 0;
}

int
service_start (struct service *s, const char *logdir)
{
  struct spawn_opts o = { .cwd = s->dir, .env = s->env };
  char why[512];
  double t0;

  free (s->end);
  s->end = NULL;
  free (s->log);
  s->log = xasprintf ("%s/%s.log", logdir, s->role);
  o.log_path = s->log;
  o.cpus = s->cpus;
  if (s->argv_text == NULL) {
    for (size_t i = 0; i < s->nargv; i++) {
      char *item = xstrdup (s->argv[i]);

      redact_kv (item);
      /* "--password VALUE": the value of an option named like a secret. */
      if (i > 0 && is_secret_option (s->argv[i - 1])) {
        free (item);
        item = xstrdup ("<redacted>");
      }
      list_append (&s->argv_text, " ", item);
      free (item);
    }
  }
  t0 = mono_now ();
  fprintf (stderr, "viperbench: service %s: starting %s\n", s->role,
           s->argv[0]);
  {
    char name[96];

    snprintf (name, sizeof name, "service-%s", s->role);
    if (cgroup_make (name, &s->cg) == 0)
      o.cgroup = &s->cg;
  }
  s->pid = proc_spawn ((const char *const *) s->argv, &o);
  if (s->pid == -1) {
    cgroup_remove (&s->cg);
    return -1;
  }
  s->running = true;
  if (wait_ready (s, why, sizeof why) == 0) {
    s->ready_s = mono_now () - t0;
    return 0;
  }
  if (stop_requested) {
    proc_kill (s->pid, 5);
    cgroup_remove (&s->cg);
    s->running = false;
    return -1;
  }
  if (ended (s))
    snprintf (why, sizeof why, "%s before it was ready", s->end);
  else {
    proc_kill (s->pid, 5);
    s->running = false;
  }
  cgroup_remove (&s->cg);
  say_failed (s, why);
  return -1;
}

static void
stop (struct service *s)
{
  if (s->running && !ended (s))
    proc_kill (s->pid, 5);
  s->running = false;
  /* And whatever it started that left its process group. */
  cgroup_remove (&s->cg);
}

/* The index of LAYER in the stack's ladder, or nlayers. */
static size_t
layer_index (const struct stack *st, const char *layer)
{
  size_t i;

  for (i = 0; i < st->nlayers && strcmp (st->layers[i], layer) != 0; i++)
    ;
  return i;
}

/* True when a layer after index I needs S. */
static bool
needed_later (const struct stack *st, const struct service *s, size_t i)
{
  for (size_t k = i + 1; k < st->nlayers; k++)
    if (service_needed (s, st->layers[k]))
      return true;
  return false;
}

int
services_enter (struct stack *st, const char *layer, const char *logdir)
{
  size_t idx = layer_index (st, layer);

  for (size_t i = 0; i < st->nsvc; i++) {
    struct service *s = &st->svc[i];

    if (s->running && !service_needed (s, layer) && !needed_later (st, s, idx))
      stop (s);
  }
  for (size_t i = 0; i < st->nsvc; i++) {
    struct service *s = &st->svc[i];

    if (!service_needed (s, layer))
      continue;
    if (s->running && ended (s)) {
      say_failed (s, s->end);
      return -1;
    }
    if (!s->running && service_start (s, logdir) == -1)
      return -1;
  }
  return 0;
}

void
services_stop_all (struct stack *st)
{
  for (size_t i = 0; i < st->nsvc; i++)
    stop (&st->svc[i]);
}

bool
services_dead (struct stack *st, const char *layer)
{
  for (size_t i = 0; i < st->nsvc; i++) {
    struct service *s = &st->svc[i];

    if (service_needed (s, layer) && ended (s)) {
      char *what = xasprintf ("%s during layer %s", s->end, layer);

      say_failed (s, what);
      free (what);
      return true;
    }
  }
  return false;
}

cJSON *
services_record (const struct stack *st, const char *recdir)
{
  cJSON *a = cJSON_CreateArray ();
  size_t rl = strlen (recdir);

  for (size_t i = 0; i < st->nsvc; i++) {
    const struct service *s = &st->svc[i];
    cJSON *o = cJSON_CreateObject (), *l = cJSON_CreateArray (),
      *env = cJSON_CreateArray ();

    cJSON_AddStringToObject (o, "role", s->role);
    cJSON_AddStringToObject (o, "kind", s->obj ? "objstore" : "command");
    if (s->argv_text)
      cJSON_AddStringToObject (o, "command", s->argv_text);
    else
      cJSON_AddNullToObject (o, "command");
    /* Names only: a value may be a secret. */
    for (size_t k = 0; k < s->nenv; k++) {
      char *name = xasprintf ("%.*s", (int) strcspn (s->env[k], "="), s->env[k]);

      cJSON_AddItemToArray (env, cJSON_CreateString (name));
      free (name);
    }
    cJSON_AddItemToObject (o, "env", env);
    if (s->pid > 0)
      cJSON_AddNumberToObject (o, "pid", s->pid);
    pin_add_cpus (o, "cpus", s->cpus);
    for (size_t k = 0; k < s->nlayers; k++)
      cJSON_AddItemToArray (l, cJSON_CreateString (s->layers[k]));
    cJSON_AddItemToObject (o, "layers", l);
    if (s->log && strncmp (s->log, recdir, rl) == 0 && s->log[rl] == '/')
      cJSON_AddStringToObject (o, "log", s->log + rl + 1);
    if (s->log) {
      cJSON *cut = log_cut_json (s->log);

      if (cut)
        cJSON_AddItemToObject (o, "log_cut", cut);
    }
    if (s->ready_s > 0)
      cJSON_AddNumberToObject (o, "ready_s", s->ready_s);
    if (s->url)
      cJSON_AddStringToObject (o, "url", s->url);
    if (s->end)
      cJSON_AddStringToObject (o, "ended", s->end);
    cJSON_AddItemToArray (a, o);
  }
  return a;
}

void
services_free (struct stack *st)
{
  for (size_t i = 0; st->svc && i < st->nsvc; i++) {
    struct service *s = &st->svc[i];

    stop (s);
    free (s->role);
    strv_free (s->argv, s->nargv);
    strv_free (s->env, s->nenv);
    strv_free (s->dirs, s->ndirs);
    strv_free (s->fname, s->nfiles);
    strv_free (s->ftext, s->nfiles);
    free (s->ready_at);
    free (s->ready_cacert);
    strv_free (s->layers, s->nlayers);
    if (s->obj)
      objstore_free (s);
    free (s->dir);
    free (s->url);
    free (s->socket);
    free (s->cacert);
    free (s->log);
    free (s->argv_text);
    free (s->end);
  }
  free (st->svc);
  st->svc = NULL;
  st->nsvc = 0;
}

bool
services_reap (struct stack *st)
{
  bool any = false;

  for (size_t i = 0; i < st->nsvc; i++) {
    if (ended (&st->svc[i]))
      say_failed (&st->svc[i], st->svc[i].end);
    any |= st->svc[i].end != NULL;
  }
  return any;
}
