/* device.c: the transport-neutral core of the engine.
 *
 * It picks the transport for a URI, keeps the in-flight list (oldest
 * first, for the per-request timeout) and the ring of completed requests,
 * and enforces the timeout: a request older than timeout= fails the whole
 * device, like the kernel's NBD client, because a command that a server
 * still owns cannot be taken back while its buffer is in use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Transports by scheme. */
static const struct vb_transport_ops *
transport_for (enum vb_scheme scheme)
{
  switch (scheme) {
  case VB_SCHEME_NBD_TCP:
  case VB_SCHEME_NBD_UNIX:
    return &vb_nbd_ops;
  case VB_SCHEME_PLUGIN:
    return &vb_plugin_ops;
  }
  return NULL;
}

/* Opens a device for URI; returns NULL with vb_error set. */
struct vb_dev *
vb_dev_open (const char *text, const struct vb_dev_opts *opts)
{
  struct vb_uri uri;
  struct vb_dev *dev;

  if (vb_uri_parse (text, &uri) == -1)
    return NULL;
  dev = calloc (1, sizeof *dev);
  if (dev == NULL)
    goto nomem;
  dev->max_inflight = opts->max_inflight ? opts->max_inflight : 1;
  dev->timeout_ns = (uint64_t) opts->timeout_ms * 1000000u;
  dev->done = calloc (dev->max_inflight, sizeof *dev->done);
  if (dev->done == NULL)
    goto nomem;
  dev->ops = transport_for (uri.scheme);
  dev->info.transport = dev->ops->name;
  if (dev->ops->open (dev, &uri, opts, &dev->info) == -1)
    goto err;
  vb_uri_free (&uri);
  return dev;

 nomem:
  vb_error ("calloc: out of memory");
 err:
  if (dev)
    free (dev->done);
  free (dev);
  vb_uri_free (&uri);
  return NULL;
}

/* What the target said it can do. */
const struct vb_dev_info *
vb_dev_info (const struct vb_dev *dev)
{
  return &dev->info;
}

static void
list_unlink (struct vb_dev *dev, struct vb_req *req)
{
  if (req->prev) req->prev->next = req->next; else dev->oldest = req->next;
  if (req->next) req->next->prev = req->prev; else dev->newest = req->prev;
  req->prev = req->next = NULL;
}

static void
push_done (struct vb_dev *dev, struct vb_req *req)
{
  /* The ring cannot overflow: requests count as in flight until reaped. */
  dev->done[dev->ndone++] = req;
}

/* Called by a transport when REQ's command finishes with ERR. */
void
vb_dev_complete (struct vb_dev *dev, struct vb_req *req, int err)
{
  if (err && !req->error)
    req->error = err;
  if (--req->pending > 0)
    return;
  list_unlink (dev, req);
  push_done (dev, req);
}

/* Starts REQ; see internal.h. */
int
vb_dev_submit (struct vb_dev *dev, struct vb_req *req)
{
  int r;

  if (dev->inflight >= dev->max_inflight) {
    errno = EBUSY;
    return -1;
  }
  req->dev = dev;
  req->error = 0;
  req->pending = 1;
  if (dev->failed) {
    req->error = dev->fail_errno;
    return 1;
  }
  req->deadline_ns = dev->timeout_ns ? vb_now_ns () + dev->timeout_ns : 0;
  req->next = NULL;
  req->prev = dev->newest;
  if (dev->newest) dev->newest->next = req; else dev->oldest = req;
  dev->newest = req;
  dev->inflight++;

  r = dev->ops->submit (dev, req);
  if (r == 1) {
    list_unlink (dev, req);
    dev->inflight--;
  }
  return r;
}

/* Abandons the transport and fails every request in flight with ERR. */
void
vb_dev_fail_all (struct vb_dev *dev, int err)
{
  dev->ops->abandon (dev);
  dev->failed = true;
  dev->fail_errno = err;
  while (dev->oldest) {
    struct vb_req *req = dev->oldest;

    req->error = err;
    list_unlink (dev, req);
    push_done (dev, req);
  }
}

/* Moves up to MAX - N completions to OUT; returns the new N. */
static unsigned
take_done (struct vb_dev *dev, struct vb_req **out, unsigned n, unsigned max)
{
  unsigned k = dev->ndone < max - n ? dev->ndone : max - n;

  memcpy (out + n, dev->done, k * sizeof *out);
  memmove (dev->done, dev->done + k, (dev->ndone - k) * sizeof *dev->done);
  dev->ndone -= k;
  dev->inflight -= k;
  return n + k;
}

/* Waits for completions; see internal.h. */
unsigned
vb_dev_reap (struct vb_dev *dev, struct vb_req **out,
             unsigned min, unsigned max, int64_t timeout_ns)
{
  uint64_t start = vb_now_ns ();
  unsigned n = 0;

  if (min > max)
    min = max;
  for (;;) {
    int64_t wait = timeout_ns;
    uint64_t now;

    n = take_done (dev, out, n, max);
    if (n >= min || n == max || dev->oldest == NULL)
      return n;

    now = vb_now_ns ();
    if (timeout_ns >= 0) {
      wait = timeout_ns - (int64_t) (now - start);
      if (wait <= 0)
        return n;
    }
    if (dev->timeout_ns) {
      int64_t left = (int64_t) (dev->oldest->deadline_ns - now);

      if (left <= 0) {
        vb_warn ("%s: a request got no answer in %u ms: "
                 "failing every request in flight (ETIMEDOUT)",
                 dev->info.target,
                 (unsigned) (dev->timeout_ns / 1000000u));
        vb_dev_fail_all (dev, ETIMEDOUT);
        continue;
      }
      if (wait < 0 || left < wait)
        wait = left;
    }
    dev->ops->poll (dev, wait);
  }
}

/* Requests in flight. */
unsigned
vb_dev_inflight (const struct vb_dev *dev)
{
  return dev->inflight;
}

/* Closes the device. */
void
vb_dev_close (struct vb_dev *dev)
{
  if (dev == NULL)
    return;
  dev->ops->close (dev);
  free (dev->done);
  free (dev);
}
