/* nbd.c: the NBD transport, libnbd's asynchronous API over one or more
 * connections (multi-conn).
 *
 * Each request goes to the connection with the fewest commands in flight.
 * Completion callbacks run inside nbd_aio_notify_read/write, called from
 * vb_dev_reap's thread only, so no locking is needed.  Nothing is
 * allocated per request: the vb_req is the callback's user_data.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnbd.h>

#include "internal.h"

/* A handshake that takes longer than this fails the open. */
#define CONNECT_TIMEOUT_MS 30000

struct nbd_priv {
  unsigned nconns;
  struct nbd_handle **h;
  bool *dead;
  struct pollfd *pfd;
  unsigned *pfd_conn;           /* pfd[k] is connection pfd_conn[k] */
  unsigned next;                /* the connection being filled */
  unsigned share;               /* its share of the queue depth */
  bool multi_conn;
  bool abandoned;               /* after a timeout: never read again */
  char target[256];
};

/* libnbd completion callback: USER_DATA is the vb_req.  libnbd calls it
 * only from nbd_aio_notify_*, never from nbd_close, so an abandoned
 * request is never touched again.
 */
static int
nbd_complete_cb (void *user_data, int *error)
{
  struct vb_req *req = user_data;

  vb_dev_complete (req->dev, req, *error);
  return 1;                     /* retire the command */
}

/* Waits until H is connected and negotiated, or fails. */
static int
wait_connected (struct nbd_handle *h, int timeout_ms)
{
  uint64_t end = vb_now_ns () + (uint64_t) timeout_ms * 1000000u;

  while (nbd_aio_is_connecting (h)) {
    struct pollfd pfd;
    unsigned dir;
    int64_t left = (int64_t) (end - vb_now_ns ()) / 1000000;
    int r;

    if (left <= 0) {
      vb_error ("handshake timed out after %d ms", timeout_ms);
      return -1;
    }
    pfd.fd = nbd_aio_get_fd (h);
    dir = nbd_aio_get_direction (h);
    pfd.events = ((dir & LIBNBD_AIO_DIRECTION_READ) ? POLLIN : 0) |
                 ((dir & LIBNBD_AIO_DIRECTION_WRITE) ? POLLOUT : 0);
    r = poll (&pfd, 1, (int) left);
    if (r == -1 && errno != EINTR) {
      vb_error ("poll: %m");
      return -1;
    }
    if (r <= 0)
      continue;
    if ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) &&
        nbd_aio_notify_read (h) == -1)
      goto err;
    if ((pfd.revents & POLLOUT) && nbd_aio_notify_write (h) == -1)
      goto err;
  }
  if (!nbd_aio_is_ready (h)) {
    vb_error ("connection failed during the handshake");
    return -1;
  }
  return 0;

 err:
  vb_error ("%s", nbd_get_error ());
  return -1;
}

/* Connects one handle per URI; 0 or -1 with vb_error set. */
static struct nbd_handle *
connect_one (const struct vb_uri *uri, unsigned i, const char *target,
             int timeout_ms)
{
  struct nbd_handle *h = nbd_create ();
  int r;

  if (h == NULL) {
    vb_error ("%s: nbd_create: %s", target, nbd_get_error ());
    return NULL;
  }
  if (nbd_set_export_name (h, uri->export_name) == -1)
    goto err;
  if (uri->scheme == VB_SCHEME_NBD_UNIX)
    r = nbd_aio_connect_unix (h, uri->socket);
  else
    r = nbd_aio_connect_tcp (h, uri->host, uri->port);
  if (r == -1)
    goto err;
  if (wait_connected (h, timeout_ms) == -1) {
    char why[512];

    snprintf (why, sizeof why, "%s", vb_get_error ());
    vb_error ("%s: connection %u: %s", target, i, why);
    nbd_close (h);
    return NULL;
  }
  return h;

 err:
  vb_error ("%s: connection %u: %s", target, i, nbd_get_error ());
  nbd_close (h);
  return NULL;
}

static void
nbd_close_priv (struct nbd_priv *p)
{
  for (unsigned i = 0; i < p->nconns; i++)
    if (p->h[i]) {
      /* An orderly NBD_CMD_DISC when the connection is still usable. */
      if (!p->abandoned && !p->dead[i] && nbd_aio_is_ready (p->h[i]))
        nbd_shutdown (p->h[i], 0);
      nbd_close (p->h[i]);
    }
  free (p->h);
  free (p->dead);
  free (p->pfd);
  free (p->pfd_conn);
  free (p);
}

static int
nbd_transport_open (struct vb_dev *dev, const struct vb_uri *uri,
          const struct vb_dev_opts *opts, struct vb_dev_info *info)
{
  struct nbd_priv *p = calloc (1, sizeof *p);
  unsigned n = opts->conns ? opts->conns : 1;
  int timeout = opts->timeout_ms ? (int) opts->timeout_ms : CONNECT_TIMEOUT_MS;
  int64_t size;

  if (p == NULL ||
      (p->h = calloc (n, sizeof *p->h)) == NULL ||
      (p->dead = calloc (n, sizeof *p->dead)) == NULL ||
      (p->pfd = calloc (n, sizeof *p->pfd)) == NULL ||
      (p->pfd_conn = calloc (n, sizeof *p->pfd_conn)) == NULL) {
    vb_error ("calloc: out of memory");
    goto err;
  }
  p->nconns = n;
  p->share = (opts->max_inflight + n - 1) / n;
  if (p->share == 0)
    p->share = 1;
  if (uri->scheme == VB_SCHEME_NBD_UNIX)
    snprintf (p->target, sizeof p->target, "nbd+unix:///%s?socket=%s",
              uri->export_name, uri->socket);
  else
    snprintf (p->target, sizeof p->target, "nbd://%s:%s/%s",
              uri->host, uri->port, uri->export_name);
  info->target = p->target;
  dev->priv = p;

  for (unsigned i = 0; i < n; i++)
    if ((p->h[i] = connect_one (uri, i, p->target, timeout)) == NULL)
      goto err;

  size = nbd_get_size (p->h[0]);
  if (size == -1) {
    vb_error ("%s: %s", p->target, nbd_get_error ());
    goto err;
  }
  info->size = (uint64_t) size;
  info->can_write = nbd_is_read_only (p->h[0]) == 0;
  info->can_flush = nbd_can_flush (p->h[0]) == 1;
  info->can_trim = nbd_can_trim (p->h[0]) == 1;
  info->can_fua = nbd_can_fua (p->h[0]) == 1;
  info->can_multi_conn = nbd_can_multi_conn (p->h[0]) == 1;
  p->multi_conn = info->can_multi_conn;

  if (opts->writes && !info->can_write) {
    vb_error ("%s: the export is read-only but the job writes", p->target);
    goto err;
  }
  if (opts->fua && !info->can_fua) {
    vb_error ("%s: the server does not support FUA, which sync=1 or fua=1 "
              "needs", p->target);
    goto err;
  }
  if (n > 1 && opts->writes && !info->can_multi_conn && !opts->probe)
    vb_warn ("%s: the server does not advertise multi-conn, yet conns=%u "
             "and the job writes: a read on one connection may not see a "
             "write completed on another (verify= may fail); flushes are "
             "sent on every connection", p->target, n);
  return 0;

 err:
  if (p && p->h)
    nbd_close_priv (p);
  else
    free (p);
  dev->priv = NULL;
  return -1;
}

/* Index of the live connection for the next request, or -1.  Requests
 * stay on the current connection until it holds its share of the queue
 * depth, then move to the least busy one: a burst then goes out on one
 * socket (one wakeup of the server's reader), and a deep queue still
 * spreads over every connection.
 */
static int
pick_conn (struct nbd_priv *p)
{
  int best = -1, best_n = 0;

  if (!p->dead[p->next] &&
      (unsigned) nbd_aio_in_flight (p->h[p->next]) < p->share)
    return (int) p->next;
  for (unsigned k = 1; k <= p->nconns; k++) {
    unsigned i = (p->next + k) % p->nconns;
    int n;

    if (p->dead[i])
      continue;
    n = nbd_aio_in_flight (p->h[i]);
    if (best == -1 || n < best_n) {
      best = (int) i;
      best_n = n;
    }
  }
  if (best != -1)
    p->next = (unsigned) best;
  return best;
}

/* Issues REQ's command on connection I; 0 or -1 with errno set. */
static int
issue (struct nbd_priv *p, unsigned i, struct vb_req *req)
{
  nbd_completion_callback cb = { .callback = nbd_complete_cb,
                                 .user_data = req };
  struct nbd_handle *h = p->h[i];
  int64_t r;

  switch (req->op) {
  case VB_OP_READ:
    r = nbd_aio_pread (h, req->buf, req->len, req->offset, cb, 0);
    break;
  case VB_OP_WRITE:
    r = nbd_aio_pwrite (h, req->buf, req->len, req->offset, cb,
                        (req->flags & VB_REQ_FUA) ? LIBNBD_CMD_FLAG_FUA : 0);
    break;
  case VB_OP_FLUSH:
    r = nbd_aio_flush (h, cb, 0);
    break;
  case VB_OP_TRIM:
    r = nbd_aio_trim (h, req->len, req->offset, cb, 0);
    break;
  default:
    errno = EINVAL;
    return -1;
  }
  if (r == -1) {
    int err = nbd_get_errno ();

    /* A dead connection: stop choosing it. */
    if (nbd_aio_is_dead (h) || nbd_aio_is_closed (h))
      p->dead[i] = true;
    errno = err ? err : EIO;
    return -1;
  }
  return 0;
}

static int
nbd_transport_submit (struct vb_dev *dev, struct vb_req *req)
{
  struct nbd_priv *p = dev->priv;
  int i;

  if (req->op == VB_OP_TRIM && !dev->info.can_trim) {
    req->error = EOPNOTSUPP;
    return 1;
  }
  if (req->op == VB_OP_FLUSH && !dev->info.can_flush) {
    req->error = 0;             /* nothing to flush: NBD says writes land */
    return 1;
  }

  /* Without multi-conn, a flush covers only its own connection's writes:
   * send one on every live connection.
   */
  if (req->op == VB_OP_FLUSH && !p->multi_conn && p->nconns > 1) {
    unsigned sent = 0;

    req->pending = 1;           /* held until every flush is issued */
    for (unsigned k = 0; k < p->nconns; k++) {
      if (p->dead[k])
        continue;
      req->pending++;
      if (issue (p, k, req) == -1) {
        req->pending--;
        req->error = errno;
      }
      else
        sent++;
    }
    if (sent == 0) {
      if (!req->error) req->error = ENOTCONN;
      return 1;
    }
    vb_dev_complete (dev, req, 0);      /* drop the hold */
    return 0;
  }

  for (;;) {
    if ((i = pick_conn (p)) == -1) {
      req->error = ENOTCONN;
      vb_error ("%s: every connection is closed", p->target);
      return 1;
    }
    if (issue (p, (unsigned) i, req) == 0)
      return 0;
    if (!p->dead[i]) {
      req->error = errno;
      vb_error ("%s: %s", p->target, nbd_get_error ());
      return 1;
    }
    /* That connection died: try another. */
  }
}

static void
nbd_transport_poll (struct vb_dev *dev, int64_t timeout_ns)
{
  struct nbd_priv *p = dev->priv;
  unsigned nfds = 0;
  struct pollfd *pfd = p->pfd;
  int ms, r;

  for (unsigned i = 0; i < p->nconns; i++) {
    unsigned dir;

    if (p->dead[i])
      continue;
    pfd[nfds].fd = nbd_aio_get_fd (p->h[i]);
    dir = nbd_aio_get_direction (p->h[i]);
    pfd[nfds].events = ((dir & LIBNBD_AIO_DIRECTION_READ) ? POLLIN : 0) |
                       ((dir & LIBNBD_AIO_DIRECTION_WRITE) ? POLLOUT : 0);
    pfd[nfds].revents = 0;
    p->pfd_conn[nfds] = i;
    nfds++;
  }
  if (nfds == 0) {
    /* Nothing can answer the requests still out. */
    vb_error ("%s: every connection is closed", p->target);
    vb_dev_fail_all (dev, ENOTCONN);
    return;
  }

  if (timeout_ns < 0)
    ms = -1;
  else
    ms = (int) ((timeout_ns + 999999) / 1000000);
  r = poll (pfd, nfds, ms);
  if (r <= 0)
    return;                     /* timeout or EINTR: the caller loops */

  for (unsigned k = 0; k < nfds; k++) {
    unsigned i = p->pfd_conn[k];
    struct nbd_handle *h = p->h[i];
    int rr = 0;

    if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR))
      rr = nbd_aio_notify_read (h);
    if (rr != -1 && (pfd[k].revents & POLLOUT))
      rr = nbd_aio_notify_write (h);
    if (rr == -1 || nbd_aio_is_dead (h) || nbd_aio_is_closed (h)) {
      /* libnbd has already failed this connection's commands. */
      if (!p->dead[i])
        vb_warn ("%s: connection %u lost: %s", p->target, i,
                 nbd_get_error () ? nbd_get_error () : "closed");
      p->dead[i] = true;
    }
  }
}

static void
nbd_transport_abandon (struct vb_dev *dev)
{
  struct nbd_priv *p = dev->priv;

  p->abandoned = true;
  for (unsigned i = 0; i < p->nconns; i++)
    p->dead[i] = true;
}

static void
nbd_transport_close (struct vb_dev *dev)
{
  if (dev->priv)
    nbd_close_priv (dev->priv);
  dev->priv = NULL;
}

const struct vb_transport_ops vb_nbd_ops = {
  .name = "nbd",
  .open = nbd_transport_open,
  .submit = nbd_transport_submit,
  .poll = nbd_transport_poll,
  .abandon = nbd_transport_abandon,
  .close = nbd_transport_close,
};
