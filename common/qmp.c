/* qmp.c: reading a socket line by line with a deadline (struct rbuf),
 * and a small client of QEMU's monitor protocol (QMP) on it: connect,
 * greeting, capabilities, one command at a time.  Events that arrive
 * while a reply is awaited are kept (the last QMP_EVENTS_KEPT) for
 * qmp_wait_event.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"

/* At most this much of one line is kept (a QMP reply, a guest's line). */
#define RBUF_MAX_LINE (16 << 20)
/* Events kept between a command and the wait for them. */
#define QMP_EVENTS_KEPT 64

/* Waits up to UNTIL (mono_now) for more bytes; 1 read, 0 EOF, -1 with
 * errno ETIMEDOUT, EINTR (a stop requested) or the read's.
 */
static int
rbuf_fill (struct rbuf *b, double until)
{
  for (;;) {
    struct pollfd p = { .fd = b->fd, .events = POLLIN };
    double left = until - mono_now ();
    ssize_t r;

    if (stop_requested) {
      errno = EINTR;
      return -1;
    }
    if (left <= 0) {
      errno = ETIMEDOUT;
      return -1;
    }
    if (poll (&p, 1, left > 0.1 ? 100 : (int) (left * 1000) + 1) <= 0)
      continue;
    if (b->len == b->cap) {
      if (b->cap >= RBUF_MAX_LINE) {
        errno = EMSGSIZE;
        return -1;
      }
      b->cap = b->cap ? b->cap * 2 : 4096;
      b->data = xrealloc (b->data, b->cap);
    }
    r = read (b->fd, b->data + b->len, b->cap - b->len);
    if (r > 0) {
      b->len += (size_t) r;
      return 1;
    }
    if (r == 0)
      return 0;
    if (errno != EINTR && errno != EAGAIN)
      return -1;
  }
}

char *
rbuf_line (struct rbuf *b, double timeout)
{
  double until = mono_now () + timeout;

  for (;;) {
    char *nl = b->len ? memchr (b->data, '\n', b->len) : NULL;

    if (nl) {
      size_t n = (size_t) (nl - b->data);
      char *line = xmalloc (n + 1);

      memcpy (line, b->data, n);
      line[n] = '\0';
      if (n && line[n - 1] == '\r')
        line[n - 1] = '\0';
      memmove (b->data, nl + 1, b->len - n - 1);
      b->len -= n + 1;
      return line;
    }
    switch (rbuf_fill (b, until)) {
    case 1: continue;
    case 0: errno = 0; return NULL;
    default: return NULL;
    }
  }
}

int
rbuf_copy (struct rbuf *b, uint64_t n, int out, double timeout)
{
  double until = mono_now () + timeout;

  while (n > 0) {
    size_t take;

    if (b->len == 0) {
      int r = rbuf_fill (b, until);

      if (r == 0)
        errno = 0;
      if (r != 1)
        return -1;
    }
    take = b->len < n ? b->len : (size_t) n;
    for (size_t off = 0; out >= 0 && off < take;) {
      ssize_t w = write (out, b->data + off, take - off);

      if (w == -1 && errno == EINTR)
        continue;
      if (w == -1)
        return -1;
      off += (size_t) w;
    }
    memmove (b->data, b->data + take, b->len - take);
    b->len -= take;
    n -= take;
  }
  return 0;
}

void
rbuf_free (struct rbuf *b)
{
  if (b->fd >= 0)
    close (b->fd);
  free (b->data);
  memset (b, 0, sizeof *b);
  b->fd = -1;
}

int
unix_connect (const char *path)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  int fd;

  if (strlen (path) >= sizeof sa.sun_path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  strcpy (sa.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd == -1)
    return -1;
  if (connect (fd, (struct sockaddr *) &sa, sizeof sa) == -1) {
    int e = errno;

    close (fd);
    errno = e;
    return -1;
  }
  return fd;
}

/* Keeps the event M (taken), dropping the oldest past QMP_EVENTS_KEPT. */
static void
event_keep (struct qmp *q, cJSON *m)
{
  if (q->events == NULL)
    q->events = cJSON_CreateArray ();
  if (cJSON_GetArraySize (q->events) >= QMP_EVENTS_KEPT)
    cJSON_DeleteItemFromArray (q->events, 0);
  cJSON_AddItemToArray (q->events, m);
}

/* The next message that is not an event; NULL with *WHY. */
static cJSON *
qmp_read (struct qmp *q, double timeout, char **why)
{
  double until = mono_now () + timeout;

  for (;;) {
    double left = until - mono_now ();
    char *line = rbuf_line (&q->in, left > 0 ? left : 0);
    cJSON *m;

    if (line == NULL) {
      *why = xasprintf ("%s", errno == ETIMEDOUT ? "no answer in time"
                        : errno == 0 ? "QEMU closed the monitor"
                        : strerror (errno));
      return NULL;
    }
    m = cJSON_Parse (line);
    free (line);
    if (m == NULL || !cJSON_IsObject (m)) {
      cJSON_Delete (m);
      *why = xstrdup ("a reply that is not a JSON object");
      return NULL;
    }
    if (cJSON_GetObjectItemCaseSensitive (m, "event")) {
      event_keep (q, m);
      continue;
    }
    return m;
  }
}

int
qmp_open (struct qmp *q, const char *path, double timeout, char **why)
{
  cJSON *m;

  memset (q, 0, sizeof *q);
  q->in.fd = unix_connect (path);
  if (q->in.fd == -1) {
    *why = xasprintf ("connect %s: %s", path, strerror (errno));
    return -1;
  }
  m = qmp_read (q, timeout, why);
  if (m == NULL || !cJSON_GetObjectItemCaseSensitive (m, "QMP")) {
    if (m)
      *why = xstrdup ("no QMP greeting");
    cJSON_Delete (m);
    qmp_close (q);
    return -1;
  }
  cJSON_Delete (m);
  m = qmp_call (q, "qmp_capabilities", NULL, timeout, why);
  if (m == NULL) {
    qmp_close (q);
    return -1;
  }
  cJSON_Delete (m);
  return 0;
}

cJSON *
qmp_call (struct qmp *q, const char *cmd, cJSON *args, double timeout,
          char **why)
{
  cJSON *req = cJSON_CreateObject (), *m, *ret, *err;
  char *text;
  size_t len, off = 0;

  cJSON_AddStringToObject (req, "execute", cmd);
  if (args)
    cJSON_AddItemToObject (req, "arguments", args);
  text = cJSON_PrintUnformatted (req);
  cJSON_Delete (req);
  len = strlen (text);
  text[len++] = '\n';           /* over the terminating NUL */
  while (off < len) {
    ssize_t w = send (q->in.fd, text + off, len - off, MSG_NOSIGNAL);

    if (w == -1 && errno == EINTR)
      continue;
    if (w == -1) {
      *why = xasprintf ("%s: %s", cmd, strerror (errno));
      free (text);
      return NULL;
    }
    off += (size_t) w;
  }
  free (text);
  m = qmp_read (q, timeout, why);
  if (m == NULL)
    return NULL;
  err = cJSON_GetObjectItemCaseSensitive (m, "error");
  if (err) {
    const cJSON *d = cJSON_GetObjectItemCaseSensitive (err, "desc");

    *why = xasprintf ("%s: %s", cmd, cJSON_IsString (d) ? d->valuestring
                      : "an error without a description");
    cJSON_Delete (m);
    return NULL;
  }
  ret = cJSON_DetachItemFromObjectCaseSensitive (m, "return");
  cJSON_Delete (m);
  if (ret == NULL)
    *why = xasprintf ("%s: a reply without \"return\"", cmd);
  return ret;
}

/* The kept event NAME for DEVICE, taken out of the list; or NULL. */
static cJSON *
event_take (struct qmp *q, const char *name, const char *device)
{
  cJSON *e;
  int i = 0;

  cJSON_ArrayForEach (e, q->events) {
    const cJSON *n = cJSON_GetObjectItemCaseSensitive (e, "event");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive (
      cJSON_GetObjectItemCaseSensitive (e, "data"), "device");

    if (cJSON_IsString (n) && strcmp (n->valuestring, name) == 0 &&
        cJSON_IsString (d) && strcmp (d->valuestring, device) == 0)
      return cJSON_DetachItemFromArray (q->events, i);
    i++;
  }
  return NULL;
}

int
qmp_wait_event (struct qmp *q, const char *name, const char *device,
                double timeout, char **why)
{
  double until = mono_now () + timeout;

  for (;;) {
    cJSON *e = event_take (q, name, device), *m;
    double left;
    char *line;

    if (e) {
      cJSON_Delete (e);
      return 0;
    }
    left = until - mono_now ();
    line = rbuf_line (&q->in, left > 0 ? left : 0);
    if (line == NULL) {
      *why = xasprintf ("no %s for %s: %s", name, device,
                        errno == ETIMEDOUT ? "not within the time allowed"
                        : errno == 0 ? "QEMU closed the monitor"
                        : strerror (errno));
      return -1;
    }
    m = cJSON_Parse (line);
    free (line);
    if (m && cJSON_GetObjectItemCaseSensitive (m, "event"))
      event_keep (q, m);
    else
      cJSON_Delete (m);         /* no command is waiting: nothing else */
  }
}

void
qmp_close (struct qmp *q)
{
  rbuf_free (&q->in);
  cJSON_Delete (q->events);
  q->events = NULL;
}
