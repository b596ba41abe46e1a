/* host.c: the nbdkit_* functions an nbdkit plugin calls, provided by the
 * engine so that a plugin .so runs inside fio as it would inside nbdkit.
 *
 * It covers nbdkit-plugin(3)'s API as of nbdkit 1.32, plus the extents
 * and exports helpers that plugins link against.  Behaviour follows
 * nbdkit's documentation: errors go to stderr (or, during a lifecycle
 * phase, are kept so the engine can put them in its one failure line),
 * nbdkit_set_error sets the errno of the current request.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>
#include <nbdkit-filter.h>

#include "internal.h"

/* Per thread: which plugin is running, whether errors are being kept,
 * the kept text, and the request's nbdkit_set_error value.
 */
static __thread const char *tl_plugin;
static __thread bool tl_capture;
static __thread char tl_phase_error[512];
static __thread int tl_set_error;

/* Starts a lifecycle phase of PLUGIN. */
void
host_begin_phase (const char *plugin)
{
  tl_plugin = plugin;
  tl_capture = true;
  tl_phase_error[0] = '\0';
}

/* The error text the plugin gave in this phase, or DFLT. */
const char *
host_phase_error (const char *dflt)
{
  return tl_phase_error[0] ? tl_phase_error : dflt;
}

void
host_end_phase (void)
{
  tl_capture = false;
}

/* Brackets one request of PLUGIN. */
void
host_begin_request (const char *plugin)
{
  tl_plugin = plugin;
  tl_set_error = 0;
}

/* Turns a callback's result into 0 or an errno value. */
int
host_end_request (int r, int errno_saved)
{
  if (r != -1)
    return 0;
  if (tl_set_error)
    return tl_set_error;
  return errno_saved ? errno_saved : EIO;
}

static bool
debug_on (void)
{
  const char *v = getenv ("VIPER_DEBUG");

  return v && *v && strcmp (v, "0") != 0;
}

/* Prints a debug line when $VIPER_DEBUG is set. */
void
host_debug (const char *fmt, ...)
{
  va_list ap;

  if (!debug_on ())
    return;
  va_start (ap, fmt);
  nbdkit_vdebug (fmt, ap);
  va_end (ap);
}

/* Error and debug messages. */

NBDKIT_DLL_PUBLIC void
nbdkit_verror (const char *fs, va_list args)
{
  int saved = errno;
  char msg[512];

  /* %m in the plugin's format means the errno at the call. */
  errno = saved;
  vsnprintf (msg, sizeof msg, fs, args);
  if (tl_capture) {
    /* Keep the first: later ones are usually consequences. */
    if (tl_phase_error[0] == '\0')
      snprintf (tl_phase_error, sizeof tl_phase_error, "%s", msg);
  }
  else
    fprintf (stderr, "viper: plugin %s: error: %s\n",
             tl_plugin ? tl_plugin : "?", msg);
  errno = saved;
}

NBDKIT_DLL_PUBLIC void
nbdkit_error (const char *fs, ...)
{
  va_list ap;

  va_start (ap, fs);
  nbdkit_verror (fs, ap);
  va_end (ap);
}

NBDKIT_DLL_PUBLIC void
nbdkit_vdebug (const char *fs, va_list args)
{
  int saved = errno;
  char msg[512];

  if (!debug_on ())
    return;
  vsnprintf (msg, sizeof msg, fs, args);
  fprintf (stderr, "viper: plugin %s: debug: %s\n",
           tl_plugin ? tl_plugin : "-", msg);
  errno = saved;
}

NBDKIT_DLL_PUBLIC void
nbdkit_debug (const char *fs, ...)
{
  va_list ap;

  va_start (ap, fs);
  nbdkit_vdebug (fs, ap);
  va_end (ap);
}

NBDKIT_DLL_PUBLIC void
nbdkit_set_error (int err)
{
  tl_set_error = err;
}

/* Paths. */

NBDKIT_DLL_PUBLIC char *
nbdkit_absolute_path (const char *path)
{
  char cwd[PATH_MAX], *r;

  if (path == NULL || *path == '\0') {
    nbdkit_error ("cannot convert null or empty path to an absolute path");
    return NULL;
  }
  if (*path == '/') {
    if ((r = strdup (path)) == NULL)
      nbdkit_error ("strdup: %m");
    return r;
  }
  if (getcwd (cwd, sizeof cwd) == NULL) {
    nbdkit_error ("getcwd: %m");
    return NULL;
  }
  if (asprintf (&r, "%s/%s", cwd, path) == -1) {
    nbdkit_error ("asprintf: %m");
    return NULL;
  }
  return r;
}

NBDKIT_DLL_PUBLIC char *
nbdkit_realpath (const char *path)
{
  char *r;

  if (path == NULL || *path == '\0') {
    nbdkit_error ("cannot resolve a null or empty path");
    return NULL;
  }
  if ((r = realpath (path, NULL)) == NULL)
    nbdkit_error ("realpath: %s: %m", path);
  return r;
}

/* Parsing. */

NBDKIT_DLL_PUBLIC int64_t
nbdkit_parse_size (const char *str)
{
  const char *p = str;
  char *end;
  int64_t n;
  uint64_t scale = 1;
  int shift = 0;

  if (str == NULL)
    goto bad;
  while (isspace ((unsigned char) *p))
    p++;
  if (*p == '-') {
    nbdkit_error ("size cannot be negative: %s", str);
    return -1;
  }
  errno = 0;
  n = strtoll (p, &end, 10);
  if (end == p)
    goto bad;
  if (errno == ERANGE) {
    nbdkit_error ("size exceeds maximum value: %s", str);
    return -1;
  }
  switch (*end) {
  case '\0': break;
  case 'b': case 'B': end++; break;
  case 's': case 'S': scale = 512; end++; break;
  case 'k': case 'K': shift = 10; end++; break;
  case 'm': case 'M': shift = 20; end++; break;
  case 'g': case 'G': shift = 30; end++; break;
  case 't': case 'T': shift = 40; end++; break;
  case 'p': case 'P': shift = 50; end++; break;
  case 'e': case 'E': shift = 60; end++; break;
  default: goto bad;
  }
  /* Accept 1K, 1KB, 1KiB. */
  if (shift && (strcmp (end, "iB") == 0 || strcmp (end, "B") == 0))
    end += strlen (end);
  if (*end != '\0')
    goto bad;
  scale <<= shift;
  if (n != 0 && (uint64_t) n > (uint64_t) INT64_MAX / scale) {
    nbdkit_error ("size exceeds maximum value: %s", str);
    return -1;
  }
  return (int64_t) ((uint64_t) n * scale);

 bad:
  nbdkit_error ("could not parse size string (%s)", str ? str : "(null)");
  return -1;
}

NBDKIT_DLL_PUBLIC int
nbdkit_parse_bool (const char *str)
{
  static const char *const yes[] = { "1", "true", "t", "yes", "y", "on" };
  static const char *const no[] = { "0", "false", "f", "no", "n", "off" };

  for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
    if (strcasecmp (str, yes[i]) == 0) return 1;
    if (strcasecmp (str, no[i]) == 0) return 0;
  }
  nbdkit_error ("could not decipher boolean (%s)", str);
  return -1;
}

/* Parses STR as a number within [MIN, MAX] (signed) or [0, UMAX]. */
static int
parse_signed (const char *what, const char *str, int64_t min, int64_t max,
              int64_t *r)
{
  char *end;
  long long v;

  errno = 0;
  v = strtoll (str, &end, 0);
  if (str == end || *end != '\0' || isspace ((unsigned char) *str)) {
    nbdkit_error ("%s: could not parse number: \"%s\"", what, str);
    return -1;
  }
  if (errno == ERANGE || v < min || v > max) {
    nbdkit_error ("%s: number out of range: \"%s\"", what, str);
    return -1;
  }
  *r = v;
  return 0;
}

static int
parse_unsigned (const char *what, const char *str, uint64_t max, uint64_t *r)
{
  const char *p = str;
  char *end;
  unsigned long long v;

  while (isspace ((unsigned char) *p))
    p++;
  if (*p == '-') {
    nbdkit_error ("%s: negative numbers are not allowed: \"%s\"", what, str);
    return -1;
  }
  errno = 0;
  v = strtoull (str, &end, 0);
  if (str == end || *end != '\0' || isspace ((unsigned char) *str)) {
    nbdkit_error ("%s: could not parse number: \"%s\"", what, str);
    return -1;
  }
  if (errno == ERANGE || v > max) {
    nbdkit_error ("%s: number out of range: \"%s\"", what, str);
    return -1;
  }
  *r = v;
  return 0;
}

#define PARSE_S(fn, type, lo, hi)                                       \
  NBDKIT_DLL_PUBLIC int                                                 \
  fn (const char *what, const char *str, type *r)                       \
  {                                                                     \
    int64_t v;                                                          \
    if (parse_signed (what, str, lo, hi, &v) == -1) return -1;          \
    if (r) *r = (type) v;                                               \
    return 0;                                                           \
  }
#define PARSE_U(fn, type, hi)                                           \
  NBDKIT_DLL_PUBLIC int                                                 \
  fn (const char *what, const char *str, type *r)                       \
  {                                                                     \
    uint64_t v;                                                         \
    if (parse_unsigned (what, str, hi, &v) == -1) return -1;            \
    if (r) *r = (type) v;                                               \
    return 0;                                                           \
  }

PARSE_S (nbdkit_parse_int, int, INT_MIN, INT_MAX)
PARSE_U (nbdkit_parse_unsigned, unsigned, UINT_MAX)
PARSE_S (nbdkit_parse_int8_t, int8_t, INT8_MIN, INT8_MAX)
PARSE_U (nbdkit_parse_uint8_t, uint8_t, UINT8_MAX)
PARSE_S (nbdkit_parse_int16_t, int16_t, INT16_MIN, INT16_MAX)
PARSE_U (nbdkit_parse_uint16_t, uint16_t, UINT16_MAX)
PARSE_S (nbdkit_parse_int32_t, int32_t, INT32_MIN, INT32_MAX)
PARSE_U (nbdkit_parse_uint32_t, uint32_t, UINT32_MAX)
PARSE_S (nbdkit_parse_int64_t, int64_t, INT64_MIN, INT64_MAX)
PARSE_U (nbdkit_parse_uint64_t, uint64_t, UINT64_MAX)

/* Passwords: "-" would read fio's stdin, which is not ours. */

NBDKIT_DLL_PUBLIC int
nbdkit_stdio_safe (void)
{
  return 0;
}

/* Reads all of FD into a string without the trailing newline. */
static int
read_fd_password (int fd, const char *what, char **password)
{
  size_t len = 0, cap = 128;
  char *buf = malloc (cap);
  ssize_t r;

  if (buf == NULL) {
    nbdkit_error ("malloc: %m");
    return -1;
  }
  while ((r = read (fd, buf + len, cap - len - 1)) != 0) {
    if (r == -1) {
      if (errno == EINTR) continue;
      nbdkit_error ("read password from %s: %m", what);
      free (buf);
      return -1;
    }
    len += (size_t) r;
    if (cap - len <= 1) {
      char *n = realloc (buf, cap *= 2);

      if (n == NULL) {
        nbdkit_error ("realloc: %m");
        free (buf);
        return -1;
      }
      buf = n;
    }
  }
  while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
    len--;
  buf[len] = '\0';
  *password = buf;
  return 0;
}

NBDKIT_DLL_PUBLIC int
nbdkit_read_password (const char *value, char **password)
{
  *password = NULL;
  if (strcmp (value, "-") == 0) {
    nbdkit_error ("password=- would read fio's stdin: use password=+FILE "
                  "or password=-FD");
    return -1;
  }
  if (value[0] == '-' && isdigit ((unsigned char) value[1])) {
    int fd;

    if (nbdkit_parse_int ("password file descriptor", value + 1, &fd) == -1)
      return -1;
    return read_fd_password (fd, value, password);
  }
  if (value[0] == '+') {
    int fd = open (value + 1, O_RDONLY | O_CLOEXEC), r;

    if (fd == -1) {
      nbdkit_error ("open %s: %m", value + 1);
      return -1;
    }
    r = read_fd_password (fd, value + 1, password);
    close (fd);
    return r;
  }
  if ((*password = strdup (value)) == NULL) {
    nbdkit_error ("strdup: %m");
    return -1;
  }
  return 0;
}

/* Connection facts: there is no client and no socket in-process. */

NBDKIT_DLL_PUBLIC int
nbdkit_nanosleep (unsigned sec, unsigned nsec)
{
  struct timespec ts = { .tv_sec = sec, .tv_nsec = nsec };

  while (nanosleep (&ts, &ts) == -1)
    if (errno != EINTR) {
      nbdkit_error ("nanosleep: %m");
      return -1;
    }
  return 0;
}

NBDKIT_DLL_PUBLIC int
nbdkit_peer_name (struct sockaddr *addr, socklen_t *addrlen)
{
  (void) addr;
  (void) addrlen;
  nbdkit_error ("no peer: the plugin runs in-process under fio");
  errno = ENOTSUP;
  return -1;
}

static int64_t
no_peer (const char *what)
{
  nbdkit_error ("%s: no peer: the plugin runs in-process under fio", what);
  return -1;
}

NBDKIT_DLL_PUBLIC int64_t nbdkit_peer_pid (void) { return no_peer ("peer_pid"); }
NBDKIT_DLL_PUBLIC int64_t nbdkit_peer_uid (void) { return no_peer ("peer_uid"); }
NBDKIT_DLL_PUBLIC int64_t nbdkit_peer_gid (void) { return no_peer ("peer_gid"); }

NBDKIT_DLL_PUBLIC void
nbdkit_shutdown (void)
{
  /* A plugin asks the server to exit: fio's job ends on its own. */
  host_debug ("plugin %s asked for shutdown", tl_plugin ? tl_plugin : "?");
}

NBDKIT_DLL_PUBLIC const char *
nbdkit_export_name (void)
{
  return "";
}

NBDKIT_DLL_PUBLIC int
nbdkit_is_tls (void)
{
  return 0;
}

/* Interned strings live until the engine is unloaded. */

struct interned {
  struct interned *next;
  char s[];
};

static pthread_mutex_t intern_lock = PTHREAD_MUTEX_INITIALIZER;
static struct interned *interned;

static const char *
intern (const char *s, size_t n)
{
  struct interned *i = malloc (sizeof *i + n + 1);

  if (i == NULL) {
    nbdkit_error ("malloc: %m");
    return NULL;
  }
  memcpy (i->s, s, n);
  i->s[n] = '\0';
  pthread_mutex_lock (&intern_lock);
  i->next = interned;
  interned = i;
  pthread_mutex_unlock (&intern_lock);
  return i->s;
}

/* Frees strings interned by nbdkit_strdup_intern and friends. */
void
host_free_interned (void)
{
  pthread_mutex_lock (&intern_lock);
  while (interned) {
    struct interned *i = interned;

    interned = i->next;
    free (i);
  }
  pthread_mutex_unlock (&intern_lock);
}

NBDKIT_DLL_PUBLIC const char *
nbdkit_strndup_intern (const char *str, size_t n)
{
  return intern (str, strnlen (str, n));
}

NBDKIT_DLL_PUBLIC const char *
nbdkit_strdup_intern (const char *str)
{
  return intern (str, strlen (str));
}

NBDKIT_DLL_PUBLIC const char *
nbdkit_vprintf_intern (const char *fmt, va_list args)
{
  char *s;
  const char *r;
  int n = vasprintf (&s, fmt, args);

  if (n == -1) {
    nbdkit_error ("vasprintf: %m");
    return NULL;
  }
  r = intern (s, (size_t) n);
  free (s);
  return r;
}

NBDKIT_DLL_PUBLIC const char *
nbdkit_printf_intern (const char *fmt, ...)
{
  va_list ap;
  const char *r;

  va_start (ap, fmt);
  r = nbdkit_vprintf_intern (fmt, ap);
  va_end (ap);
  return r;
}

/* Extents: a growing array, as a plugin's .extents callback fills it. */

struct nbdkit_extents {
  struct nbdkit_extent *e;
  size_t n, cap;
  uint64_t start, end, next;
};

NBDKIT_DLL_PUBLIC struct nbdkit_extents *
nbdkit_extents_new (uint64_t start, uint64_t end)
{
  struct nbdkit_extents *x;

  if (start > end) {
    nbdkit_error ("nbdkit_extents_new: start > end");
    errno = ERANGE;
    return NULL;
  }
  if ((x = calloc (1, sizeof *x)) == NULL) {
    nbdkit_error ("calloc: %m");
    return NULL;
  }
  x->start = x->next = start;
  x->end = end;
  return x;
}

NBDKIT_DLL_PUBLIC void
nbdkit_extents_free (struct nbdkit_extents *x)
{
  if (x) {
    free (x->e);
    free (x);
  }
}

NBDKIT_DLL_PUBLIC size_t
nbdkit_extents_count (const struct nbdkit_extents *x)
{
  return x->n;
}

NBDKIT_DLL_PUBLIC struct nbdkit_extent
nbdkit_get_extent (const struct nbdkit_extents *x, size_t i)
{
  return x->e[i];
}

NBDKIT_DLL_PUBLIC int
nbdkit_add_extent (struct nbdkit_extents *x, uint64_t offset,
                   uint64_t length, uint32_t type)
{
  if (length == 0)
    return 0;
  if (offset != x->next) {
    nbdkit_error ("nbdkit_add_extent: extents must be added in order "
                  "without gaps (expected offset %" PRIu64 ", got %" PRIu64
                  ")", x->next, offset);
    errno = ERANGE;
    return -1;
  }
  x->next = offset + length;
  if (offset >= x->end)
    return 0;                   /* beyond the range asked for: ignored */
  if (x->n > 0 && x->e[x->n - 1].type == type) {
    x->e[x->n - 1].length += length;
    return 0;
  }
  if (x->n == x->cap) {
    size_t cap = x->cap ? x->cap * 2 : 16;
    struct nbdkit_extent *e = realloc (x->e, cap * sizeof *e);

    if (e == NULL) {
      nbdkit_error ("realloc: %m");
      return -1;
    }
    x->e = e;
    x->cap = cap;
  }
  x->e[x->n++] = (struct nbdkit_extent) { .offset = offset, .length = length,
                                          .type = type };
  return 0;
}

/* Exports: a plugin's .list_exports fills one of these. */

struct nbdkit_exports {
  struct nbdkit_export *x;
  size_t n;
  bool use_default;
};

NBDKIT_DLL_PUBLIC struct nbdkit_exports *
nbdkit_exports_new (void)
{
  struct nbdkit_exports *x = calloc (1, sizeof *x);

  if (x == NULL)
    nbdkit_error ("calloc: %m");
  return x;
}

NBDKIT_DLL_PUBLIC void
nbdkit_exports_free (struct nbdkit_exports *x)
{
  if (x == NULL)
    return;
  for (size_t i = 0; i < x->n; i++) {
    free (x->x[i].name);
    free (x->x[i].description);
  }
  free (x->x);
  free (x);
}

NBDKIT_DLL_PUBLIC size_t
nbdkit_exports_count (const struct nbdkit_exports *x)
{
  return x->n;
}

/* The const return type is nbdkit-filter.h's. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-qualifiers"
NBDKIT_DLL_PUBLIC const struct nbdkit_export
nbdkit_get_export (const struct nbdkit_exports *x, size_t i)
{
  return x->x[i];
}
#pragma GCC diagnostic pop

NBDKIT_DLL_PUBLIC int
nbdkit_add_export (struct nbdkit_exports *x, const char *name,
                   const char *description)
{
  struct nbdkit_export *n = realloc (x->x, (x->n + 1) * sizeof *n);

  if (n == NULL) {
    nbdkit_error ("realloc: %m");
    return -1;
  }
  x->x = n;
  n = &x->x[x->n];
  n->name = strdup (name);
  n->description = description ? strdup (description) : NULL;
  if (n->name == NULL || (description && n->description == NULL)) {
    free (n->name);
    free (n->description);
    nbdkit_error ("strdup: %m");
    return -1;
  }
  x->n++;
  return 0;
}

NBDKIT_DLL_PUBLIC int
nbdkit_use_default_export (struct nbdkit_exports *x)
{
  x->use_default = true;
  return 0;
}
