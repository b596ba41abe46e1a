/* stack.c: stack definitions (scenarios/stacks/NAME.json): which nbdkit
 * plugin with which arguments, the nbdkit options, the layers to run and
 * where the host and plugin files live.  Errors name file:line and key.
 *
 *   { "name": "file", "description": "...",
 *     "dir": "/var/tmp/viperbench", "size": "1G",
 *     "plugin": "file", "plugin_args": { "file": "${dir}/plugin.img" },
 *     "files": [ "${dir}/plugin.img" ],
 *     "nbdkit": { "threads": 16, "filters": [], "filter_args": {},
 *                 "options": [] },
 *     "engine": { "conns": 1, "request_timeout_ms": 30000, "workers": 16 },
 *     "qemu": { "shared": 64 },                  (target qemu-nbd's)
 *     "tcp_port": 0,                             (target nbd-tcp's)
 *     "ready_timeout_s": 10,
 *     "probes": "all",           (or "outer", "off": nbdkit-probe-filter.pod)
 *     "pin": "auto",             (or "on", "off": runner/pin.c)
 *     "log_max": "16M",          (each log the record keeps is cut there)
 *     "system_under_test": { "git": PATH, "file": PATH,
 *                            "command": [ARGV] }   (runner/sut.c)
 *     "layers": [ ... ] }        (default: every target, in runner/targets.c's order,
 *                                  but those run only when named)
 *
 * "${dir}", "${size}" and "${build}" (viperbench's own directory,
 * build/) are replaced in every string value; "${ROLE.KEY}" (a service's
 * directory, port, URL...) when the run binds its services
 * (runner/service.c).  A value of plugin_args, filter_args or a
 * service's env may be {"value": V, "secret": true}: V, scrubbed from
 * everything the run keeps (common/scrub.c) like the value of a key
 * named like a secret.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The core's keys; each target adds its own (struct target.stack_keys). */
static const char *const top_keys[] = {
  "description", "dir", "engine", "files", "gate", "layers", "name", "nbdkit",
  "log_max", "pin", "plugin", "plugin_args", "probes", "ready_timeout_s",
  "services", "size", "system_under_test",
};
static const char *const nbdkit_keys[] = {
  "filter_args", "filters", "options", "threads",
};
static const char *const engine_keys[] = {
  "conns", "request_timeout_ms", "workers",
};
static const char *const gate_keys[] = { "iops", "p99", "cpu" };

#define BAD(st, obj, key, ...) stack_bad (st, obj, key, __VA_ARGS__)

/* A plugin or filter: a plain name, or an absolute path without control
 * characters (never an option).
 */
static bool
plugin_name_ok (const char *s)
{
  if (plain_name (s))
    return true;
  if (s[0] != '/')
    return false;
  for (; *s; s++)
    if ((unsigned char) *s < 0x20 || *s == 0x7f)
      return false;
  return true;
}

/* The nbdkit options a stack may set: none that runs a command, opens a
 * listening socket, changes user or files, or that the runner sets.
 */
static const char nbdkit_options_allowed[] =
  "--no-sr, -r/--readonly, -v/--verbose, --swap, --mask-handshake=N, "
  "-D/--debug=NAME.FLAG=N, -e/--exportname=NAME, --log=stderr|null";

static bool
nbdkit_option_ok (const char *o)
{
  static const char *const plain[] = {
    "--no-sr", "-r", "--readonly", "-v", "--verbose", "--swap",
    "--log=stderr", "--log=null",
  };
  const char *v = NULL;

  for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
    if (strcmp (o, plain[i]) == 0)
      return true;
  if (strncmp (o, "--mask-handshake=", 17) == 0)
    return o[17] && strspn (o + 17, "0123456789") == strlen (o + 17);
  if (strncmp (o, "--debug=", 8) == 0) v = o + 8;
  else if (strncmp (o, "-D", 2) == 0) v = o + 2;
  else if (strncmp (o, "--exportname=", 13) == 0) v = o + 13;
  else if (strncmp (o, "-e", 2) == 0) v = o + 2;
  if (v == NULL || *v == '\0')
    return false;
  for (; *v; v++)
    if (!(isalnum ((unsigned char) *v) || strchr ("._=-", *v)))
      return false;
  return true;
}

/* True when a target declares KEY as its own top-level stack key. */
static bool
target_owns_key (const char *key)
{
  const struct target *t;

  for (size_t i = 0; (t = target_at (i)); i++)
    for (size_t k = 0; t->stack_keys && t->stack_keys[k]; k++)
      if (strcmp (t->stack_keys[k], key) == 0)
        return true;
  return false;
}

/* Unknown keys of OBJ (allowed: KEYS, and at the top, WHERE == NULL,
 * the targets' own) are errors.
 */
static int
check_keys (struct stack *st, const cJSON *obj,
            const char *const *keys, size_t n, const char *where)
{
  return stack_check_keys (st, obj, keys, n, where,
                           where == NULL ? target_owns_key : NULL);
}

/* A string member, expanded; DFLT when absent; -1 on a wrong type. */
static int
get_string (struct stack *st, const cJSON *obj,
            const char *key, const char *dflt, char **out)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (obj, key);

  if (v == NULL) {
    *out = dflt ? stack_expand_vars (dflt, st->dir, NULL) : NULL;
    return 0;
  }
  if (!cJSON_IsString (v)) {
    BAD (st, obj, key, "expected a string");
    return -1;
  }
  *out = stack_expand_vars (v->valuestring, st->dir, cJSON_GetStringValue (
                   cJSON_GetObjectItemCaseSensitive (st->json, "size")));
  return 0;
}

/* An array of strings, expanded. */
static int
get_strings (struct stack *st, const cJSON *obj,
             const char *key, char ***out, size_t *n)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (obj, key), *e;

  *out = NULL;
  *n = 0;
  if (v == NULL)
    return 0;
  if (!cJSON_IsArray (v)) {
    BAD (st, obj, key, "expected an array of strings");
    return -1;
  }
  *out = xcalloc ((size_t) cJSON_GetArraySize (v) + 1, sizeof **out);
  cJSON_ArrayForEach (e, v) {
    if (!cJSON_IsString (e)) {
      BAD (st, obj, key, "expected an array of strings");
      return -1;
    }
    (*out)[(*n)++] = stack_expand_vars (e->valuestring, st->dir, NULL);
  }
  return 0;
}

/* An object of scalar values as "key=value" strings, in order. */
static int
get_kvs (struct stack *st, const cJSON *obj,
         const char *key, char ***out, size_t *n, const char *size)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (obj, key), *e;

  if (v == NULL)
    return 0;
  if (!cJSON_IsObject (v)) {
    BAD (st, obj, key, "expected an object of \"key\": \"value\"");
    return -1;
  }
  cJSON_ArrayForEach (e, v) {
    char *val;
    const cJSON *e0 = e;

    /* {"value": V, "secret": true}: V, kept out of the record. */
    if (stack_marked_secret (e))
      e = cJSON_GetObjectItemCaseSensitive (e, "value");
    /* nbdkit reads "--run=x" as an option, not a key. */
    if (!plain_name (e0->string)) {
      BAD (st, v, e0->string, "not a plain key name (letters, digits, '.', '_', "
           "'-', starting with a letter or digit)");
      return -1;
    }
    if (cJSON_IsString (e))
      val = stack_expand_vars (e->valuestring, st->dir, size);
    else if (cJSON_IsNumber (e))
      val = xasprintf ("%.15g", e->valuedouble);
    else if (cJSON_IsBool (e))
      val = xstrdup (cJSON_IsTrue (e) ? "true" : "false");
    else {
      BAD (st, v, e0->string, "expected a string, number or boolean (or "
           "{\"value\": ..., \"secret\": true})");
      return -1;
    }
    *out = xreallocarray (*out, *n + 2, sizeof **out);
    (*out)[(*n)++] = xasprintf ("%s=%s", e0->string, val);
    (*out)[*n] = NULL;
    free (val);
    e = e0;
  }
  return 0;
}

/* Each of the N NAMES (the "layers" of OBJ, NULL: the top) is a
 * target's; 0, or -1 with a message.
 */
static int
layers_known (const struct stack *st, const cJSON *obj, char *const *names,
              size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (target_find (names[i]) == NULL) {
      char known[256];

      target_list (known, sizeof known);
      stack_bad (st, obj, "layers", "unknown layer '%s' (known: %s)",
                 names[i], known);
      return -1;
    }
  return 0;
}

/* Reads and parses PATH into st->text and st->json; 0 or -1. */
static int
stack_parse (const char *path, struct stack *st)
{
  char *text;

  text = st->text = read_file (path, NULL);
  if (text == NULL) {
    vb_msg ("stack %s: %s", path, strerror (errno));
    return -1;
  }
  st->json = cJSON_ParseWithOpts (text, NULL, 1);
  if (st->json == NULL) {
    const char *at = cJSON_GetErrorPtr ();
    int line = 1;

    for (const char *p = text; at && p < at && *p; p++)
      line += *p == '\n';
    vb_msg ("%s:%d: malformed JSON near '%.20s'", path, line,
            at ? at : "");
    return -1;
  }
  if (!cJSON_IsObject (st->json)) {
    vb_msg ("%s:1: a stack is a JSON object", path);
    return -1;
  }
  if (check_keys (st, st->json, top_keys,
                  sizeof top_keys / sizeof top_keys[0], NULL) == -1)
    return -1;
  return 0;
}

/* The top level's own keys: dir, name, description, size, plugin,
 * plugin_args, files, layers.  *SIZE_TEXT: the size as written (to
 * free), which ${size} in arguments expands to.
 */
static int
stack_top (const char *path, struct stack *st, char **size_text_out)
{
  char *size_text = NULL;

  if (get_string (st, st->json, "dir", "/var/tmp/viperbench",
                  &st->dir) == -1 ||
      get_string (st, st->json, "name", NULL, &st->name) == -1 ||
      get_string (st, st->json, "description", "", &st->description) == -1 ||
      get_string (st, st->json, "size", "1G", &size_text) == -1 ||
      get_string (st, st->json, "plugin", NULL, &st->plugin) == -1)
    goto err;
  if (st->name == NULL) {
    const char *b = strrchr (path, '/');

    st->name = xstrdup (b ? b + 1 : path);
    if (strrchr (st->name, '.'))
      *strrchr (st->name, '.') = '\0';
  }
  if ((st->size = parse_size (size_text)) <= 0) {
    BAD (st, NULL, "size", "'%s' is not a size (e.g. \"1G\")", size_text);
    goto err;
  }
  if (st->plugin == NULL || *st->plugin == '\0') {
    vb_msg ("%s: key 'plugin' is required (an nbdkit plugin name or path)",
            path);
    goto err;
  }
  if (!plugin_name_ok (st->plugin)) {
    BAD (st, NULL, "plugin", "'%s' is not a plugin name or an absolute path",
         st->plugin);
    goto err;
  }
  if (!fio_value_ok (st->dir, true)) {
    BAD (st, NULL, "dir", "'%s' must be an absolute path without control "
         "characters or any of ; # : $ \\ (fio would cut the file name "
         "there and run on another file)", st->dir);
    goto err;
  }
  if (get_kvs (st, st->json, "plugin_args", &st->plugin_args,
               &st->nplugin_args, size_text) == -1 ||
      get_strings (st, st->json, "files", &st->files, &st->nfiles) == -1 ||
      get_strings (st, st->json, "layers", &st->layers, &st->nlayers) == -1)
    goto err;
  for (size_t i = 0; i < st->nfiles; i++) {
    size_t dl = strlen (st->dir);
    const char *f = st->files[i];

    if (strncmp (f, st->dir, dl) != 0 || f[dl] != '/' || !plain_name (f + dl + 1)) {
      BAD (st, NULL, "files", "'%s' is not a file directly in dir %s (\"${dir}/NAME\", "
           "NAME a plain name): the run lays out and overwrites only files "
           "of its own directory", f, st->dir);
      goto err;
    }
  }
  *size_text_out = size_text;
  return 0;

 err:
  free (size_text);
  return -1;
}

/* "nbdkit": threads, filters, options, filter_args. */
static int
stack_nbdkit (struct stack *st, const char *size_text)
{
  const cJSON *sub = cJSON_GetObjectItemCaseSensitive (st->json, "nbdkit");

  if (sub == NULL)
    return 0;
  if (!cJSON_IsObject (sub)) {
    BAD (st, NULL, "nbdkit", "expected an object");
    return -1;
  }
  if (check_keys (st, sub, nbdkit_keys,
                  sizeof nbdkit_keys / sizeof nbdkit_keys[0], "nbdkit") == -1 ||
      stack_get_uint (st, sub, "threads", 1, 1024, &st->threads) == -1 ||
      get_strings (st, sub, "filters", &st->filters, &st->nfilters) == -1 ||
      get_strings (st, sub, "options", &st->nbdkit_args,
                   &st->nnbdkit_args) == -1 ||
      get_kvs (st, sub, "filter_args", &st->filter_args,
               &st->nfilter_args, size_text) == -1)
    return -1;
  for (size_t i = 0; i < st->nnbdkit_args; i++)
    if (!nbdkit_option_ok (st->nbdkit_args[i])) {
      BAD (st, sub, "options", "'%s' is not an nbdkit option a stack may set "
           "(allowed: %s)", st->nbdkit_args[i], nbdkit_options_allowed);
      return -1;
    }
  for (size_t i = 0; i < st->nfilters; i++)
    if (!plugin_name_ok (st->filters[i])) {
      BAD (st, sub, "filters", "'%s' is not a filter name or an absolute path",
           st->filters[i]);
      return -1;
    }
  return 0;
}

/* "engine": conns, request_timeout_ms, workers. */
static int
stack_engine (struct stack *st)
{
  const cJSON *sub = cJSON_GetObjectItemCaseSensitive (st->json, "engine");

  if (sub == NULL)
    return 0;
  if (!cJSON_IsObject (sub)) {
    BAD (st, NULL, "engine", "expected an object");
    return -1;
  }
  if (check_keys (st, sub, engine_keys,
                  sizeof engine_keys / sizeof engine_keys[0], "engine") == -1 ||
      stack_get_uint (st, sub, "conns", 1, 64, &st->conns) == -1 ||
      stack_get_uint (st, sub, "request_timeout_ms", 0, 3600000,
                &st->request_timeout_ms) == -1 ||
      stack_get_uint (st, sub, "workers", 0, 1024, &st->workers) == -1)
    return -1;
  return 0;
}

/* "gate": { "iops": "-10%", "p99": "+20%", "cpu": "+5%" }: the
 * regression gate's thresholds, signed the way that is worse.
 */
static int
stack_gate (struct stack *st)
{
  const cJSON *sub = cJSON_GetObjectItemCaseSensitive (st->json, "gate");

  if (sub == NULL)
    return 0;
  if (!cJSON_IsObject (sub)) {
    BAD (st, NULL, "gate", "expected an object like {\"iops\": \"-10%%\", \"p99\": \"+20%%\", \"cpu\": \"+5%%\"}");
    return -1;
  }
  if (check_keys (st, sub, gate_keys,
                  sizeof gate_keys / sizeof gate_keys[0], "gate") == -1)
    return -1;
  for (int k = 0; k < GT_COUNT; k++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive (sub, gate_thr_name (k));
    double p = gate_thr_parse (k, cJSON_GetStringValue (v));

    if (v == NULL)
      continue;
    if (isnan (p)) {
      BAD (st, sub, gate_thr_name (k), "expected a %s percentage %s like "
           "\"%s\"", gate_thr_sign (k) < 0 ? "negative" : "positive",
           gate_thr_sign (k) < 0 ? "(above -100%)" : "(at most +1000%)",
           gate_thr_sign (k) < 0 ? "-10%" : "+20%");
      return -1;
    }
    st->gate_thr[k] = p;
  }
  return 0;
}

/* log_max, probes and pin. */
static int
stack_modes (struct stack *st)
{
  const cJSON *sub;

  /* Each log the record keeps (a server's, a service's, fio's) stops
   * there, the cut said in it and in the record.
   */
  if ((sub = cJSON_GetObjectItemCaseSensitive (st->json, "log_max"))) {
    int64_t m = cJSON_IsString (sub) ? parse_size (sub->valuestring) : -1;

    if (m < 4096 || m > (int64_t) 1 << 40) {
      BAD (st, NULL, "log_max", "expected a size from \"4K\" to \"1T\" "
           "(each log the record keeps is cut there; default \"16M\")");
      return -1;
    }
    proc_set_log_max ((uint64_t) m);
  }
  st->probes = PROBES_ALL;
  if ((sub = cJSON_GetObjectItemCaseSensitive (st->json, "probes"))) {
    static const char *const modes[] = { "off", "outer", "all" };
    const char *m = cJSON_GetStringValue (sub);
    size_t k;

    for (k = 0; m && k < 3 && strcmp (m, modes[k]) != 0; k++)
      ;
    if (m == NULL || k == 3) {
      BAD (st, NULL, "probes", "expected \"all\", \"outer\" or \"off\"");
      return -1;
    }
    st->probes = (enum probes_mode) k;
  }
  st->pin = PIN_AUTO;
  if ((sub = cJSON_GetObjectItemCaseSensitive (st->json, "pin"))) {
    enum pin_mode mode;

    if (!cJSON_IsString (sub) || pin_parse (sub->valuestring, &mode) == -1) {
      BAD (st, NULL, "pin", "expected \"auto\", \"on\" or \"off\"");
      return -1;
    }
    st->pin = mode;
  }
  return 0;
}

/* The probes' own keys (probe-*) in no argument of the stack. */
static int
stack_probe_keys (struct stack *st)
{
  for (size_t i = 0; i < st->nplugin_args + st->nfilter_args; i++) {
    const char *kv = i < st->nplugin_args ? st->plugin_args[i]
                     : st->filter_args[i - st->nplugin_args];

    if (strncmp (kv, "probe-", 6) == 0) {
      BAD (st, i < st->nplugin_args ? NULL
           : cJSON_GetObjectItemCaseSensitive (st->json, "nbdkit"),
           i < st->nplugin_args ? "plugin_args" : "filter_args",
           "'%.*s': keys starting with probe- belong to viperbench's probes",
           (int) strcspn (kv, "="), kv);
      return -1;
    }
  }
  return 0;
}

/* The layers (the whole table without "layers"), the services, and
 * each target's own keys.
 */
static int
stack_layers (struct stack *st)
{
  /* No "layers": the whole table, in its order. */
  if (st->nlayers == 0) {
    const struct target *t;

    for (size_t i = 0; (t = target_at (i)); i++) {
      if (t->named_only)
        continue;
      st->layers = xreallocarray (st->layers, st->nlayers + 1, sizeof *st->layers);
      st->layers[st->nlayers++] = xstrdup (t->name);
    }
  }
  if (layers_known (st, NULL, st->layers, st->nlayers) == -1 ||
      services_read (st) == -1)
    return -1;
  for (size_t i = 0; i < st->nsvc; i++)
    if (layers_known (st, st->svc[i].json, st->svc[i].layers,
                      st->svc[i].nlayers) == -1)
      return -1;
  /* Each target reads its own keys. */
  st->nconf = target_count ();
  st->conf = xcalloc (st->nconf, sizeof *st->conf);
  {
    const struct target *t;

    for (size_t i = 0; (t = target_at (i)); i++)
    {
      st->conf[i].t = t;
      if (t->configure && t->configure (st, &st->conf[i].conf) == -1)
        return -1;
    }
  }
  return 0;
}

/* Every secret, known to the scrubber before anything starts; any
 * value the record redacts (perf.data is dropped then).
 */
static void
stack_secrets_known (struct stack *st)
{
  size_t before;
  cJSON *red;

  stack_secrets_env ();
  before = scrub_count ();
  stack_secrets (st);
  red = stack_redacted (st);
  /* The stack's own, not the environment's: those do not make perf's
   * samples the stack's secret.
   */
  st->has_secrets = !cJSON_Compare (red, st->json, true) ||
    scrub_count () > before;
  cJSON_Delete (red);
}

/* Loads and validates a stack definition; see internal.h. */
int
stack_load (const char *path, struct stack *st)
{
  char *size_text = NULL;
  unsigned u = 10;

  memset (st, 0, sizeof *st);
  st->path = xstrdup (path);
  st->threads = 16;
  st->conns = 1;
  st->request_timeout_ms = 30000;
  st->ready_timeout = 10;
  st->workers = UINT32_MAX;     /* default: nbdkit's thread count */
  for (int k = 0; k < GT_COUNT; k++)
    st->gate_thr[k] = NAN;
  if (stack_parse (path, st) == -1 ||
      stack_top (path, st, &size_text) == -1 ||
      stack_nbdkit (st, size_text) == -1 ||
      stack_engine (st) == -1 ||
      stack_gate (st) == -1 ||
      stack_get_uint (st, st->json, "ready_timeout_s", 1, 600, &u) == -1 ||
      stack_modes (st) == -1 ||
      sut_check (st) == -1 ||
      stack_probe_keys (st) == -1) {
    free (size_text);
    return -1;
  }
  free (size_text);
  st->ready_timeout = u;
  if (st->workers == UINT32_MAX)
    st->workers = st->threads;
  if (stack_layers (st) == -1)
    return -1;
  stack_secrets_known (st);
  return 0;
}

/* The text of a string or number V, or NULL (to free). */
static char *
value_text (const cJSON *v)
{
  if (cJSON_IsString (v))
    return xstrdup (v->valuestring);
  if (cJSON_IsNumber (v))
    return xasprintf ("%.15g", v->valuedouble);
  return NULL;
}

static void
secrets_json (const cJSON *node)
{
  const cJSON *c;

  for (c = node ? node->child : NULL; c; c = c->next) {
    if (stack_marked_secret (c)) {
      char *t = value_text (cJSON_GetObjectItemCaseSensitive (c, "value"));

      scrub_add (t);
      free (t);
      continue;
    }
    if (c->string && is_secret_key (c->string)) {
      char *t = value_text (c);

      scrub_add (t);
      free (t);
    }
    if (cJSON_IsString (c)) {
      secrets_from_text (c->valuestring);
      if (cJSON_IsArray (node) && c != node->child &&
          cJSON_IsString (c->prev) &&
          is_secret_option_value (c->prev->valuestring, c->valuestring))
        scrub_add (c->valuestring);
      if (cJSON_IsArray (node))
        secrets_from_argv (&c->valuestring, 1);
    }
    secrets_json (c);
  }
}

void
stack_secrets_env (void)
{
  extern char **environ;

  /* The runner's own environment, which every child inherits (a plugin
   * reading AWS_SECRET_ACCESS_KEY may log it).
   */
  for (char **e = environ; e && *e; e++) {
    const char *eq = strchr (*e, '=');
    char name[128];

    if (eq == NULL || (size_t) (eq - *e) >= sizeof name)
      continue;
    memcpy (name, *e, (size_t) (eq - *e));
    name[eq - *e] = '\0';
    if (is_secret_key (name))
      scrub_add (eq + 1);
  }
}

void
stack_secrets (const struct stack *st)
{
  secrets_json (st->json);
  /* As expanded (${dir}, ${size}; the services' values once bound). */
  secrets_from_argv (st->plugin_args, st->nplugin_args);
  secrets_from_argv (st->filter_args, st->nfilter_args);
  secrets_from_pairs (st->plugin_args, st->nplugin_args);
  secrets_from_pairs (st->filter_args, st->nfilter_args);
  secrets_from_argv (st->nbdkit_args, st->nnbdkit_args);
  services_secrets (st);
}

static void
redact_json (cJSON *node)
{
  for (cJSON *c = node ? node->child : NULL; c; c = c->next) {
    cJSON *r = NULL;

    /* An argv's "--password", "VALUE". */
    if (cJSON_IsArray (node) && c != node->child &&
        cJSON_IsString (c->prev) && cJSON_IsString (c) &&
        is_secret_option_value (c->prev->valuestring, c->valuestring))
      r = cJSON_CreateString ("<redacted>");
    else if (c->string && (stack_marked_secret (c) ||
             (is_secret_key (c->string) &&
              (cJSON_IsString (c) || cJSON_IsNumber (c)))))
      r = cJSON_CreateString ("<redacted>");
    else if (c->string && strcmp (c->string, "env") == 0 && cJSON_IsObject (c)) {
      /* A service's environment: its names only. */
      for (cJSON *e = c->child; e; e = e->next) {
        cJSON *x = cJSON_CreateString ("<redacted>");

        x->string = xstrdup (e->string);
        cJSON_ReplaceItemViaPointer (c, e, x);
        e = x;
      }
    }
    else if (cJSON_IsString (c) && strchr (c->valuestring, '='))
      redact_kv (c->valuestring);
    else
      redact_json (c);
    if (r) {
      /* The key stays: the stored stack must say what was redacted. */
      if (c->string)
        r->string = xstrdup (c->string);
      cJSON_ReplaceItemViaPointer (node, c, r);
      c = r;
    }
  }
}

/* A copy of the stack's JSON with secret values replaced. */
cJSON *
stack_redacted (const struct stack *st)
{
  cJSON *copy = cJSON_Duplicate (st->json, 1);

  redact_json (copy);
  return copy;
}

void
stack_free (struct stack *st)
{
  cJSON_Delete (st->json);
  free (st->path);
  free (st->name);
  free (st->description);
  free (st->dir);
  free (st->plugin);
  strv_free (st->plugin_args, st->nplugin_args);
  strv_free (st->files, st->nfiles);
  strv_free (st->filters, st->nfilters);
  strv_free (st->filter_args, st->nfilter_args);
  strv_free (st->nbdkit_args, st->nnbdkit_args);
  strv_free (st->layers, st->nlayers);
  services_free (st);
  for (size_t i = 0; i < st->nconf; i++)
    if (st->conf[i].t && st->conf[i].t->free_conf)
      st->conf[i].t->free_conf (st->conf[i].conf);
    else
      free (st->conf[i].conf);
  free (st->conf);
  free (st->text);
  memset (st, 0, sizeof *st);
}

bool
stack_has_layer (const struct stack *st, const char *name)
{
  for (size_t i = 0; i < st->nlayers; i++)
    if (strcmp (st->layers[i], name) == 0)
      return true;
  return false;
}
