/* util.c: small helpers: files, sizes, time, programs, table formats. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* Reads a whole file; NULL with errno set. */
char *
read_file (const char *path, size_t *len)
{
  FILE *f = fopen (path, "re");
  char *buf = NULL;
  size_t n = 0, cap = 0;

  if (f == NULL)
    return NULL;
  for (;;) {
    size_t r;

    if (cap - n < 4096) {
      char *nb = realloc (buf, cap = cap ? cap * 2 : 8192);

      if (nb == NULL) {
        free (buf);
        fclose (f);
        errno = ENOMEM;
        return NULL;
      }
      buf = nb;
    }
    r = fread (buf + n, 1, cap - n - 1, f);
    n += r;
    if (r == 0)
      break;
  }
  if (ferror (f)) {
    int e = errno;

    free (buf);
    fclose (f);
    errno = e;
    return NULL;
  }
  fclose (f);
  buf[n] = '\0';
  if (len)
    *len = n;
  return buf;
}

static char *write_error;

void
note_write_error (const char *path, int err)
{
  if (write_error == NULL)
    write_error = xasprintf ("%s: %s", path, strerror (err));
}

const char *
first_write_error (void)
{
  return write_error;
}

FILE *
fopen_out (const char *path)
{
  FILE *f = fopen (path, "we");

  if (f == NULL) {
    vb_msg ("open %s: %s", path, strerror (errno));
    note_write_error (path, errno);
  }
  return f;
}

int
fclose_out (FILE *f, const char *path)
{
  int err = 0;

  if (f == NULL)
    return -1;
  if (fflush (f) != 0 || ferror (f))
    err = errno ? errno : EIO;
  if (fclose (f) != 0 && err == 0)
    err = errno;
  if (err) {
    vb_msg ("write %s: %s", path, strerror (err));
    note_write_error (path, err);
    return -1;
  }
  return 0;
}

/* Writes DATA to PATH through PATH.tmp, fsync and rename. */
int
write_file_atomic (const char *path, const char *data, size_t len)
{
  char *tmp = xasprintf ("%s.tmp", path);
  int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  size_t off = 0;

  if (fd == -1) {
    vb_msg ("open %s: %s", tmp, strerror (errno));
    note_write_error (path, errno);
    free (tmp);
    return -1;
  }
  while (off < len) {
    ssize_t r = write (fd, data + off, len - off);

    if (r == -1) {
      if (errno == EINTR)
        continue;
      vb_msg ("write %s: %s", tmp, strerror (errno));
      note_write_error (path, errno);
      goto err;
    }
    off += (size_t) r;
  }
  if (fsync (fd) == -1) {
    vb_msg ("fsync %s: %s", tmp, strerror (errno));
    note_write_error (path, errno);
    goto err;
  }
  if (close (fd) == -1) {
    fd = -1;
    vb_msg ("close %s: %s", tmp, strerror (errno));
    note_write_error (path, errno);
    goto err;
  }
  fd = -1;
  if (rename (tmp, path) == -1) {
    vb_msg ("rename %s: %s", path, strerror (errno));
    goto err;
  }
  free (tmp);
  return 0;

 err:
  if (fd != -1)
    close (fd);
  unlink (tmp);
  free (tmp);
  return -1;
}

/* mkdir -p; 0 or -1 with errno. */
int
mkdir_p (const char *path, mode_t mode)
{
  char buf[PATH_MAX];

  if (strlen (path) >= sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  strcpy (buf, path);
  for (char *p = buf + 1; *p; p++)
    if (*p == '/') {
      *p = '\0';
      if (mkdir (buf, mode) == -1 && errno != EEXIST)
        return -1;
      *p = '/';
    }
  if (mkdir (buf, mode) == -1 && errno != EEXIST)
    return -1;
  return 0;
}

/* Parses "128M", "1G", "4k", "4096" (binary units) into bytes. */
int64_t
parse_size (const char *s)
{
  char *end;
  long long v;
  int shift = 0;

  if (s == NULL || !isdigit ((unsigned char) *s))
    return -1;
  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno)
    return -1;
  switch (tolower ((unsigned char) *end)) {
  case '\0': break;
  case 'k': shift = 10; end++; break;
  case 'm': shift = 20; end++; break;
  case 'g': shift = 30; end++; break;
  case 't': shift = 40; end++; break;
  default: return -1;
  }
  if (shift && (strcasecmp (end, "ib") == 0 || strcasecmp (end, "b") == 0))
    end += strlen (end);
  if (*end != '\0' || v > (INT64_MAX >> shift))
    return -1;
  return (int64_t) v << shift;
}

double
parse_percent (const char *s)
{
  char *end;
  double v;

  if (s == NULL || (*s != '+' && *s != '-'))
    return NAN;
  errno = 0;
  v = strtod (s, &end);
  if (errno || end == s + 1 || strcmp (end, "%") != 0 || !isfinite (v) ||
      v <= -100 || v >= 1000 || v == 0)
    return NAN;
  return v / 100;
}

void
iso_now (char *buf, size_t n)
{
  time_t t = time (NULL);
  struct tm tm;

  gmtime_r (&t, &tm);
  strftime (buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

double
mono_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The executable's directory. */
char *
self_dir (void)
{
  char *p = realpath ("/proc/self/exe", NULL), *slash;

  if (p && (slash = strrchr (p, '/')))
    *slash = '\0';
  return p;
}

/* REL, relative to the executable's directory, resolved; NULL when it
 * is not there.
 */
static char *
beside_self (const char *rel)
{
  char *d = self_dir (), *p, *real;

  if (d == NULL)
    return NULL;
  p = xasprintf ("%s/%s", d, rel);
  real = realpath (p, NULL);
  free (p);
  free (d);
  return real;
}

/* Where the build or the installation keeps what the runner runs
 * beside itself; see internal.h.
 */
char *
companion_dir (void)
{
  char *engine = beside_self ("viper"), *d;

  /* build/: the engine beside the runner. */
  if (engine) {
    free (engine);
    return self_dir ();
  }
  /* PREFIX/bin/viperbench: PREFIX/lib/viperbench. */
  d = beside_self ("../lib/viperbench");
  return d ? d : self_dir ();
}

char *
data_dir (void)
{
  return beside_self ("../share/viperbench");
}

/* Finds PROG on $PATH. */
bool
have_program (const char *prog)
{
  const char *path = getenv ("PATH");
  char *copy, *save = NULL;
  bool found = false;

  if (strchr (prog, '/'))
    return access (prog, X_OK) == 0;
  if (path == NULL)
    path = "/usr/bin:/bin";
  copy = xstrdup (path);
  for (char *d = strtok_r (copy, ":", &save); d && !found;
       d = strtok_r (NULL, ":", &save)) {
    char *full = xasprintf ("%s/%s", d, prog);

    found = access (full, X_OK) == 0;
    free (full);
  }
  free (copy);
  return found;
}

/* "66.8k", "1.12M": IOPS for tables; "-" when unknown. */
void
fmt_iops (char *buf, size_t n, double v)
{
  if (isnan (v)) snprintf (buf, n, "-");
  else if (v >= 1e6) snprintf (buf, n, "%.2fM", v / 1e6);
  else if (v >= 1e3) snprintf (buf, n, "%.1fk", v / 1e3);
  else snprintf (buf, n, "%.0f", v);
}

/* "1.31 ms", "23.0 us", "739 ns"; "-" when unknown or not positive. */
void
fmt_ns (char *buf, size_t n, double ns)
{
  if (isnan (ns) || ns <= 0) snprintf (buf, n, "-");
  else if (ns >= 1e6) snprintf (buf, n, "%.2f ms", ns / 1e6);
  else if (ns >= 1e3) snprintf (buf, n, "%.1f us", ns / 1e3);
  else snprintf (buf, n, "%.0f ns", ns);
}

void
std_fds_open (void)
{
  for (int fd = 0; fd <= 2; fd++)
    if (fcntl (fd, F_GETFD) == -1 && errno == EBADF) {
      int n = open ("/dev/null", O_RDWR);       /* the lowest: FD itself */

      if (n > 2)
        close (n);              /* (cannot be: FD was free) */
    }
}

/* Appends S to the list *LIST, after SEP unless it is the first. */
void
list_append (char **list, const char *sep, const char *s)
{
  char *n = *list ? xasprintf ("%s%s%s", *list, sep, s) : xstrdup (s);

  free (*list);
  *list = n;
}

/* A plain name: a letter or digit, then letters, digits, '.', '_' or
 * '-', at most 64 in all.  Safe as a file name and in any text.
 */
bool
plain_name (const char *s)
{
  size_t n = 0;

  if (s == NULL || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                     (*s >= '0' && *s <= '9')))
    return false;
  for (; s[n]; n++)
    if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
          (s[n] >= '0' && s[n] <= '9') || s[n] == '.' || s[n] == '_' ||
          s[n] == '-'))
      return false;
  return n <= 64;
}

/* Length of the valid UTF-8 sequence at S (1 to 4), or 0. */
static size_t
utf8_len (const unsigned char *s)
{
  size_t n;
  unsigned min;
  unsigned c = s[0];

  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) { n = 2; min = 0x80; c &= 0x1f; }
  else if (c >= 0xe0 && c <= 0xef) { n = 3; min = 0x800; c &= 0x0f; }
  else if (c >= 0xf0 && c <= 0xf4) { n = 4; min = 0x10000; c &= 0x07; }
  else return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    c = (c << 6) | (s[i] & 0x3f);
  }
  if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
    return 0;
  return n;
}

void
utf8_scrub (char *s)
{
  unsigned char *p = (unsigned char *) s;

  while (p && *p) {
    size_t n = utf8_len (p);

    if (n == 0)
      *p++ = '?';
    else
      p += n;
  }
}
