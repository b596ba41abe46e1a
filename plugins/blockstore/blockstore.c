/* blockstore: an nbdkit plugin that keeps a disk as objects in an
 * S3-like object store over HTTP(S), on libcurl: the reference block
 * store below viperbench's ladder (plugins/blockstore/nbdkit-blockstore-plugin.pod).
 *
 *   nbdkit blockstore.so url=https://127.0.0.1:8443/vol/ size=1G \
 *          [object-size=64K] [cache-size=32M] [pool=16] [http=1.1|2] \
 *          [cacert=FILE] [unix-socket=PATH] [timeout=30]
 *
 * The disk is cut into objects of object-size bytes named URL + 16 hex
 * digits of their index.  A read takes what it can from an LRU cache of
 * whole objects, else GETs the object (whole when it is cached
 * afterwards, only the range asked with no cache); an absent object
 * (404) reads as zeros.  A write of a whole object PUTs it; a write of
 * part of one reads, modifies and PUTs it.  Requests on one object are
 * serialised by a lock striped over the objects, so a read-modify-write
 * never loses a concurrent write and the cache never keeps stale data.
 *
 * Connections: with pool=N (N > 0), up to N curl handles are kept and
 * reused, each with its connection (and, over HTTPS, its TLS session);
 * with pool=0 every request makes a new handle on a new connection that
 * is closed after it, so over HTTPS each request pays a full TLS
 * handshake: the regression the reference investigation found.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>

#define THREAD_MODEL NBDKIT_THREAD_MODEL_PARALLEL

#define STRIPES 1024

static char *url;               /* the objects' prefix, ends in '/' */
static char *unix_socket;
static char *cacert;
static int64_t disk_size = -1;
static uint32_t object_size = 65536;
static int64_t cache_bytes = 32 * 1024 * 1024;
static unsigned pool_size = 16;
static long http_version = CURL_HTTP_VERSION_1_1;
static unsigned timeout_s = 30;

static struct curl_slist *no_expect;    /* "Expect:": no 100-continue wait */
static pthread_mutex_t stripe[STRIPES];

/* ---- connections ---- */

struct conn {
  CURL *h;
  struct conn *next;
  char err[CURL_ERROR_SIZE];
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cond = PTHREAD_COND_INITIALIZER;
static struct conn *pool_free;
static unsigned pool_made;

static struct conn *
conn_new (void)
{
  struct conn *c = calloc (1, sizeof *c);

  if (c == NULL || (c->h = curl_easy_init ()) == NULL) {
    nbdkit_error ("blockstore: cannot make a curl handle");
    free (c);
    return NULL;
  }
  curl_easy_setopt (c->h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (c->h, CURLOPT_ERRORBUFFER, c->err);
  curl_easy_setopt (c->h, CURLOPT_TIMEOUT, (long) timeout_s);
  curl_easy_setopt (c->h, CURLOPT_CONNECTTIMEOUT, (long) timeout_s);
  curl_easy_setopt (c->h, CURLOPT_HTTP_VERSION, http_version);
  curl_easy_setopt (c->h, CURLOPT_HTTPHEADER, no_expect);
  curl_easy_setopt (c->h, CURLOPT_TCP_NODELAY, 1L);
  if (unix_socket)
    curl_easy_setopt (c->h, CURLOPT_UNIX_SOCKET_PATH, unix_socket);
  if (cacert)
    curl_easy_setopt (c->h, CURLOPT_CAINFO, cacert);
  if (pool_size == 0) {
    /* A new connection and a full handshake per request, closed after. */
    curl_easy_setopt (c->h, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt (c->h, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt (c->h, CURLOPT_SSL_SESSIONID_CACHE, 0L);
  }
  return c;
}

static void
conn_free (struct conn *c)
{
  if (c) {
    curl_easy_cleanup (c->h);
    free (c);
  }
}

/* A handle for one request: a pooled one (waiting while all N are
 * busy), or a new one with no pool.
 */
static struct conn *
conn_get (void)
{
  struct conn *c = NULL;
  bool make = false;

  if (pool_size == 0)
    return conn_new ();
  pthread_mutex_lock (&pool_lock);
  while (pool_free == NULL && pool_made >= pool_size)
    pthread_cond_wait (&pool_cond, &pool_lock);
  if (pool_free) {
    c = pool_free;
    pool_free = c->next;
  }
  else {
    pool_made++;
    make = true;
  }
  pthread_mutex_unlock (&pool_lock);
  if (make && (c = conn_new ()) == NULL) {
    pthread_mutex_lock (&pool_lock);
    pool_made--;
    pthread_cond_signal (&pool_cond);
    pthread_mutex_unlock (&pool_lock);
  }
  return c;
}

static void
conn_put (struct conn *c)
{
  if (pool_size == 0) {
    conn_free (c);
    return;
  }
  pthread_mutex_lock (&pool_lock);
  c->next = pool_free;
  pool_free = c;
  pthread_cond_signal (&pool_cond);
  pthread_mutex_unlock (&pool_lock);
}

/* ---- requests ---- */

struct body {
  char *buf;
  size_t len, cap;              /* bytes so far, room */
  bool overflow;
};

static size_t
on_data (char *p, size_t size, size_t n, void *arg)
{
  struct body *b = arg;
  size_t len = size * n;

  if (len > b->cap - b->len) {
    b->overflow = true;
    len = b->cap - b->len;
  }
  memcpy (b->buf + b->len, p, len);
  b->len += len;
  return size * n;
}

static size_t
on_send (char *p, size_t size, size_t n, void *arg)
{
  struct body *b = arg;
  size_t len = size * n;

  if (len > b->cap - b->len)
    len = b->cap - b->len;
  memcpy (p, b->buf + b->len, len);
  b->len += len;
  return len;
}

/* curl rewinds the body when it sends the request again on a new
 * connection (the server closed a reused one: keep-alive's end, an
 * HTTP/2 GOAWAY).
 */
static int
on_seek (void *arg, curl_off_t offset, int origin)
{
  struct body *b = arg;

  if (origin != SEEK_SET || offset < 0 || (size_t) offset > b->cap)
    return CURL_SEEKFUNC_CANTSEEK;
  b->len = (size_t) offset;
  return CURL_SEEKFUNC_OK;
}

static void
object_url (char *out, size_t n, uint64_t idx)
{
  snprintf (out, n, "%s%016" PRIx64, url, idx);
}

/* Runs the request set on C; its HTTP status, or -1 with an error. */
static long
perform (struct conn *c, const char *method, const char *u)
{
  long code = 0;
  CURLcode r;

  c->err[0] = '\0';
  r = curl_easy_perform (c->h);
  if (r != CURLE_OK) {
    nbdkit_error ("blockstore: %s %s: %s", method, u,
                  c->err[0] ? c->err : curl_easy_strerror (r));
    return -1;
  }
  curl_easy_getinfo (c->h, CURLINFO_RESPONSE_CODE, &code);
  return code;
}

/* GETs LEN bytes at OFF of object IDX into BUF (zeros when absent);
 * 0 or -1.
 */
static int
object_get (uint64_t idx, char *buf, uint32_t len, uint32_t off)
{
  char u[4096], range[64];
  struct body b = { .buf = buf, .cap = len };
  bool whole = off == 0 && len == object_size;
  struct conn *c = conn_get ();
  long code;

  if (c == NULL)
    return -1;
  object_url (u, sizeof u, idx);
  snprintf (range, sizeof range, "%" PRIu32 "-%" PRIu32, off, off + len - 1);
  curl_easy_setopt (c->h, CURLOPT_URL, u);
  curl_easy_setopt (c->h, CURLOPT_UPLOAD, 0L);
  curl_easy_setopt (c->h, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt (c->h, CURLOPT_RANGE, whole ? NULL : range);
  curl_easy_setopt (c->h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt (c->h, CURLOPT_WRITEDATA, &b);
  code = perform (c, "GET", u);
  conn_put (c);
  if (code == -1)
    return -1;
  if (code == 404) {
    memset (buf, 0, len);
    return 0;
  }
  if ((code != 200 && code != 206) || b.overflow || b.len != len) {
    nbdkit_error ("blockstore: GET %s: HTTP %ld, %zu bytes%s (expected %" PRIu32
                  ")", u, code, b.len, b.overflow ? " and more" : "", len);
    return -1;
  }
  return 0;
}

/* PUTs the whole object IDX from BUF; 0 or -1. */
static int
object_put (uint64_t idx, const char *buf)
{
  char u[4096];
  struct body b = { .buf = (char *) buf, .cap = object_size };
  struct conn *c = conn_get ();
  long code;

  if (c == NULL)
    return -1;
  object_url (u, sizeof u, idx);
  curl_easy_setopt (c->h, CURLOPT_URL, u);
  curl_easy_setopt (c->h, CURLOPT_RANGE, NULL);
  curl_easy_setopt (c->h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt (c->h, CURLOPT_READFUNCTION, on_send);
  curl_easy_setopt (c->h, CURLOPT_READDATA, &b);
  curl_easy_setopt (c->h, CURLOPT_SEEKFUNCTION, on_seek);
  curl_easy_setopt (c->h, CURLOPT_SEEKDATA, &b);
  curl_easy_setopt (c->h, CURLOPT_INFILESIZE_LARGE, (curl_off_t) object_size);
  curl_easy_setopt (c->h, CURLOPT_WRITEFUNCTION, on_data);
  {
    /* The server's answer body, kept short. */
    char sink[256];
    struct body s = { .buf = sink, .cap = sizeof sink };

    curl_easy_setopt (c->h, CURLOPT_WRITEDATA, &s);
    code = perform (c, "PUT", u);
  }
  conn_put (c);
  if (code == -1)
    return -1;
  if (code != 200 && code != 201 && code != 204) {
    nbdkit_error ("blockstore: PUT %s: HTTP %ld", u, code);
    return -1;
  }
  return 0;
}

/* ---- the cache: whole objects, least recently used first out ---- */

struct centry {
  uint64_t idx;
  struct centry *prev, *next;   /* LRU list, most recent at head */
  struct centry *hnext;         /* hash chain */
  char data[];
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct centry **cache_hash;
static size_t cache_nhash, cache_n, cache_max;
static struct centry *lru_head, *lru_tail;

static size_t
hash_of (uint64_t idx)
{
  return (size_t) ((idx * 0x9e3779b97f4a7c15ull) >> 20) & (cache_nhash - 1);
}

static void
lru_unlink (struct centry *e)
{
  if (e->prev) e->prev->next = e->next; else lru_head = e->next;
  if (e->next) e->next->prev = e->prev; else lru_tail = e->prev;
  e->prev = e->next = NULL;
}

static void
lru_front (struct centry *e)
{
  e->next = lru_head;
  e->prev = NULL;
  if (lru_head)
    lru_head->prev = e;
  lru_head = e;
  if (lru_tail == NULL)
    lru_tail = e;
}

static struct centry *
cache_find (uint64_t idx)
{
  struct centry *e = cache_hash[hash_of (idx)];

  while (e && e->idx != idx)
    e = e->hnext;
  return e;
}

/* Copies LEN bytes at OFF of object IDX to BUF when cached; true then. */
static bool
cache_read (uint64_t idx, char *buf, uint32_t len, uint32_t off)
{
  struct centry *e;

  if (cache_max == 0)
    return false;
  pthread_mutex_lock (&cache_lock);
  if ((e = cache_find (idx))) {
    memcpy (buf, e->data + off, len);
    lru_unlink (e);
    lru_front (e);
  }
  pthread_mutex_unlock (&cache_lock);
  return e != NULL;
}

/* Keeps a copy of the whole object IDX, evicting the least recent. */
static void
cache_store (uint64_t idx, const char *data)
{
  struct centry *e;

  if (cache_max == 0)
    return;
  pthread_mutex_lock (&cache_lock);
  if ((e = cache_find (idx)) == NULL) {
    if (cache_n >= cache_max) {
      struct centry *old = lru_tail, **pp = &cache_hash[hash_of (old->idx)];

      while (*pp != old)
        pp = &(*pp)->hnext;
      *pp = old->hnext;
      lru_unlink (old);
      e = old;                  /* reused: same size */
    }
    else if ((e = malloc (sizeof *e + object_size)) == NULL) {
      pthread_mutex_unlock (&cache_lock);
      return;                   /* uncached is still correct */
    }
    else
      cache_n++;
    e->idx = idx;
    e->hnext = cache_hash[hash_of (idx)];
    cache_hash[hash_of (idx)] = e;
  }
  else
    lru_unlink (e);
  memcpy (e->data, data, object_size);
  lru_front (e);
  pthread_mutex_unlock (&cache_lock);
}

/* ---- nbdkit's callbacks ---- */

static void
blockstore_load (void)
{
  curl_global_init (CURL_GLOBAL_DEFAULT);
  no_expect = curl_slist_append (NULL, "Expect:");
  for (size_t i = 0; i < STRIPES; i++)
    pthread_mutex_init (&stripe[i], NULL);
}

static void
blockstore_unload (void)
{
  while (pool_free) {
    struct conn *c = pool_free;

    pool_free = c->next;
    conn_free (c);
  }
  for (struct centry *e = lru_head, *n; e; e = n) {
    n = e->next;
    free (e);
  }
  free (cache_hash);
  free (url);
  free (unix_socket);
  free (cacert);
  curl_slist_free_all (no_expect);
  curl_global_cleanup ();
}

static int
blockstore_config (const char *key, const char *value)
{
  int64_t r;

  if (strcmp (key, "url") == 0) {
    size_t n = strlen (value);

    if (strncmp (value, "http://", 7) != 0 && strncmp (value, "https://", 8) != 0) {
      nbdkit_error ("blockstore: url '%s': expected http:// or https://", value);
      return -1;
    }
    free (url);
    if ((url = malloc (n + 2)) == NULL)
      return -1;
    /* Objects are named under it. */
    snprintf (url, n + 2, "%s%s", value, n && value[n - 1] == '/' ? "" : "/");
  }
  else if (strcmp (key, "size") == 0) {
    if ((disk_size = nbdkit_parse_size (value)) == -1)
      return -1;
  }
  else if (strcmp (key, "object-size") == 0) {
    if ((r = nbdkit_parse_size (value)) == -1)
      return -1;
    if (r < 4096 || r > 64 * 1024 * 1024 || (r & (r - 1)) != 0) {
      nbdkit_error ("blockstore: object-size %s: a power of two from 4K to 64M",
                    value);
      return -1;
    }
    object_size = (uint32_t) r;
  }
  else if (strcmp (key, "cache-size") == 0) {
    if ((cache_bytes = nbdkit_parse_size (value)) == -1)
      return -1;
  }
  else if (strcmp (key, "pool") == 0) {
    if (nbdkit_parse_unsigned ("pool", value, &pool_size) == -1)
      return -1;
    if (pool_size > 1024) {
      nbdkit_error ("blockstore: pool %u: at most 1024 connections", pool_size);
      return -1;
    }
  }
  else if (strcmp (key, "http") == 0) {
    if (strcmp (value, "1.1") == 0)
      http_version = CURL_HTTP_VERSION_1_1;
    else if (strcmp (value, "2") == 0)
      http_version = CURL_HTTP_VERSION_2;   /* settled in config_complete */
    else {
      nbdkit_error ("blockstore: http '%s': expected 1.1 or 2", value);
      return -1;
    }
  }
  else if (strcmp (key, "cacert") == 0) {
    free (cacert);
    if ((cacert = nbdkit_realpath (value)) == NULL)
      return -1;
  }
  else if (strcmp (key, "unix-socket") == 0) {
    /* The store may not be listening yet. */
    free (unix_socket);
    if ((unix_socket = nbdkit_absolute_path (value)) == NULL)
      return -1;
  }
  else if (strcmp (key, "timeout") == 0) {
    if (nbdkit_parse_unsigned ("timeout", value, &timeout_s) == -1)
      return -1;
    if (timeout_s == 0 || timeout_s > 3600) {
      nbdkit_error ("blockstore: timeout %s: 1 to 3600 seconds", value);
      return -1;
    }
  }
  else {
    nbdkit_error ("blockstore: unknown parameter '%s'", key);
    return -1;
  }
  return 0;
}

static int
blockstore_config_complete (void)
{
  if (url == NULL || disk_size < 0) {
    nbdkit_error ("blockstore: url= and size= are required");
    return -1;
  }
  if (disk_size % object_size != 0) {
    nbdkit_error ("blockstore: size %" PRId64 " is not a multiple of "
                  "object-size %" PRIu32, disk_size, object_size);
    return -1;
  }
  /* HTTP/2 is negotiated by ALPN over TLS.  Cleartext HTTP/2 (prior
   * knowledge) is refused: Debian's libcurl 7.88 fails the second upload
   * on a reused h2c connection ("Error in the HTTP2 framing layer").
   */
  if (http_version == CURL_HTTP_VERSION_2) {
    if (strncmp (url, "https://", 8) != 0) {
      nbdkit_error ("blockstore: http=2 needs an https:// url (cleartext "
                    "HTTP/2 fails on reused connections with this libcurl)");
      return -1;
    }
    http_version = CURL_HTTP_VERSION_2TLS;
  }
  cache_max = (size_t) (cache_bytes / object_size);
  if (cache_max) {
    for (cache_nhash = 64; cache_nhash < cache_max * 2; cache_nhash *= 2)
      ;
    if ((cache_hash = calloc (cache_nhash, sizeof *cache_hash)) == NULL) {
      nbdkit_error ("blockstore: calloc: %m");
      return -1;
    }
  }
  return 0;
}

#define blockstore_config_help \
  "url=URL              (required) the objects' prefix, http:// or https://\n" \
  "size=SIZE            (required) the disk's size\n" \
  "object-size=SIZE     bytes per object, a power of two (default 64K)\n" \
  "cache-size=SIZE      LRU cache of whole objects (default 32M, 0: none)\n" \
  "pool=N               connections kept and reused (default 16, 0: a new\n" \
  "                     connection per request)\n" \
  "http=1.1|2           HTTP version (default 1.1)\n" \
  "cacert=FILE          CA certificate(s) to verify an HTTPS store with\n" \
  "unix-socket=PATH     reach the store through this Unix socket\n" \
  "timeout=SECS         bound on each request (default 30)"

static void *
blockstore_open (int readonly)
{
  static int handle;

  return &handle;
}

static int64_t
blockstore_get_size (void *h)
{
  return disk_size;
}

static int
blockstore_can_multi_conn (void *h)
{
  /* One cache and one store behind every connection. */
  return 1;
}

/* Calls FN on each piece of [OFFSET, OFFSET+COUNT) that lies in one
 * object, under that object's lock; 0 or -1.
 */
static int
each_object (uint32_t count, uint64_t offset, char *buf,
             int (*fn) (uint64_t idx, char *buf, uint32_t len, uint32_t off))
{
  while (count > 0) {
    uint64_t idx = offset / object_size;
    uint32_t off = (uint32_t) (offset % object_size);
    uint32_t len = object_size - off < count ? object_size - off : count;
    pthread_mutex_t *m = &stripe[idx % STRIPES];
    int r;

    pthread_mutex_lock (m);
    r = fn (idx, buf, len, off);
    pthread_mutex_unlock (m);
    if (r == -1) {
      nbdkit_set_error (EIO);
      return -1;
    }
    buf += len;
    offset += len;
    count -= len;
  }
  return 0;
}

static int
read_piece (uint64_t idx, char *buf, uint32_t len, uint32_t off)
{
  char *whole;
  int r;

  if (cache_read (idx, buf, len, off))
    return 0;
  if (cache_max == 0)
    return object_get (idx, buf, len, off);
  /* The whole object, kept for the next reads. */
  if ((whole = malloc (object_size)) == NULL) {
    nbdkit_error ("blockstore: malloc: %m");
    return -1;
  }
  if ((r = object_get (idx, whole, object_size, 0)) == 0) {
    memcpy (buf, whole + off, len);
    cache_store (idx, whole);
  }
  free (whole);
  return r;
}

static int
write_piece (uint64_t idx, char *buf, uint32_t len, uint32_t off)
{
  char *whole;
  int r = 0;

  if (len == object_size) {
    if (object_put (idx, buf) == -1)
      return -1;
    cache_store (idx, buf);
    return 0;
  }
  /* Part of an object: read, modify, write the whole. */
  if ((whole = malloc (object_size)) == NULL) {
    nbdkit_error ("blockstore: malloc: %m");
    return -1;
  }
  if (!cache_read (idx, whole, object_size, 0))
    r = object_get (idx, whole, object_size, 0);
  if (r == 0) {
    memcpy (whole + off, buf, len);
    if ((r = object_put (idx, whole)) == 0)
      cache_store (idx, whole);
  }
  free (whole);
  return r;
}

static int
blockstore_pread (void *h, void *buf, uint32_t count, uint64_t offset,
                  uint32_t flags)
{
  return each_object (count, offset, buf, read_piece);
}

static int
blockstore_pwrite (void *h, const void *buf, uint32_t count, uint64_t offset,
                   uint32_t flags)
{
  /* The pieces are only read (the signature is read_piece's). */
  return each_object (count, offset, (char *) buf, write_piece);
}

static int
blockstore_flush (void *h, uint32_t flags)
{
  /* Each write was a PUT the store answered: nothing is held back. */
  return 0;
}

static struct nbdkit_plugin plugin = {
  .name = "blockstore",
  .version = "1.0",
  .longname = "viperbench's reference block store on an object store",
  .load = blockstore_load,
  .unload = blockstore_unload,
  .config = blockstore_config,
  .config_complete = blockstore_config_complete,
  .config_help = blockstore_config_help,
  .magic_config_key = "url",
  .open = blockstore_open,
  .get_size = blockstore_get_size,
  .can_multi_conn = blockstore_can_multi_conn,
  .pread = blockstore_pread,
  .pwrite = blockstore_pwrite,
  .flush = blockstore_flush,
};

NBDKIT_REGISTER_PLUGIN (plugin)
