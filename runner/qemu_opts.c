/* qemu_opts.c: the stack's "qemu" section, how QEMU attaches the stack's
 * export, read alike by the targets that run QEMU (qemu-nbd, guest):
 *
 *   "qemu": { "shared": 64,                     qemu-nbd --shared
 *             "cache": "none", "aio": "threads", both: the drive's
 *             "format": "qcow2",                   guest-image's image
 *             "device": "virtio-scsi",             the guest's disk
 *             "iothread": true, "num-queues": 2, "queue-size": 256,
 *             "vcpus": 2, "memory": "1G", "accel": "auto",
 *             "kernel": "/path/vmlinuz", "initrd": "/path/initrd",
             "attach": "hotplug" }                boot (default) or QMP
 *   "guest": { "fs": "ext4",                     none (default), ext4, xfs
 *              "mount-options": "noatime" }      mount -o in the guest
 *
 * The guest-image layer reads "qemu" and then "qemu-image" over it (the
 * same keys), so that the VM on an image and the VM on NBD may run with
 * other flags in one ladder, as the investigations' two VMs did.
 *
 * Unset values are QEMU's own defaults: nothing is passed for them, so
 * that a stack without the key measures what QEMU does by default.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const keys[] = {
  "accel", "aio", "attach", "cache", "device", "format", "initrd", "iothread",
  "kernel", "memory", "num-queues", "queue-size", "shared", "vcpus",
};
static const char *const devices[] = {
  "virtio-blk", "virtio-scsi", "nvme", "vhost-user-blk", NULL,
};
static const char *const formats[] = { "raw", "qcow2", NULL };
/* The stack's section for what happens inside the guest of either VM
 * layer: a stack key, which shares its word with the guest layer.
 */
#define GUEST_SECTION "guest"

static const char *const attaches[] = { "boot", "hotplug", NULL };
static const char *const filesystems[] = { "none", "ext4", "xfs", NULL };
static const char *const caches[] = {
  "none", "writeback", "writethrough", "directsync", "unsafe", NULL,
};
static const char *const aios[] = { "threads", "native", "io_uring", NULL };
static const char *const accels[] = { "auto", "kvm", "tcg", NULL };

/* KEY of SUB, one of ALLOWED, into *OUT (left as is when absent). */
static int
get_enum (const struct stack *st, const cJSON *sub, const char *key,
          const char *const *allowed, const char **out)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (sub, key);
  char list[128] = "";

  if (v == NULL)
    return 0;
  for (size_t i = 0; allowed[i]; i++) {
    if (cJSON_IsString (v) && strcmp (v->valuestring, allowed[i]) == 0) {
      *out = allowed[i];
      return 0;
    }
    strcat (list, i ? ", " : "");
    strcat (list, allowed[i]);
  }
  stack_bad (st, sub, key, "expected one of %s", list);
  return -1;
}

static int
get_path (const struct stack *st, const cJSON *sub, const char *key,
          char **out)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (sub, key);

  if (v == NULL)
    return 0;
  if (!cJSON_IsString (v) || v->valuestring[0] != '/') {
    stack_bad (st, sub, key, "expected an absolute path");
    return -1;
  }
  for (const char *p = v->valuestring; *p; p++)
    if ((unsigned char) *p < 0x20 || *p == 0x7f) {
      stack_bad (st, sub, key, "a control character in the path");
      return -1;
    }
  free (*out);
  *out = xstrdup (v->valuestring);
  return 0;
}

/* The stack's section NAME over what *Q holds: a key given replaces its
 * value, one absent leaves it.
 */
static int
read_section (const struct stack *st, const char *name, struct qemu_opts *q)
{
  const cJSON *sub = cJSON_GetObjectItemCaseSensitive (st->json, name), *e;
  const cJSON *io;

  if (sub == NULL)
    return 0;
  if (!cJSON_IsObject (sub)) {
    stack_bad (st, NULL, name, "expected an object like "
               "{\"iothread\": true, \"cache\": \"none\"}");
    return -1;
  }
  cJSON_ArrayForEach (e, sub) {
    size_t i;

    for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
      if (strcmp (e->string, keys[i]) == 0)
        break;
    if (i == sizeof keys / sizeof keys[0]) {
      stack_bad (st, sub, e->string, "unknown key in %s", name);
      return -1;
    }
  }
  if (stack_get_uint (st, sub, "shared", 1, 1024, &q->shared) == -1 ||
      stack_get_uint (st, sub, "num-queues", 1, 1024, &q->num_queues) == -1 ||
      stack_get_uint (st, sub, "queue-size", 2, 1024, &q->queue_size) == -1 ||
      stack_get_uint (st, sub, "vcpus", 1, 64, &q->vcpus) == -1 ||
      get_enum (st, sub, "cache", caches, &q->cache) == -1 ||
      get_enum (st, sub, "aio", aios, &q->aio) == -1 ||
      get_enum (st, sub, "accel", accels, &q->accel) == -1 ||
      get_enum (st, sub, "format", formats, &q->format) == -1 ||
      get_enum (st, sub, "device", devices, &q->device) == -1 ||
      get_enum (st, sub, "attach", attaches, &q->attach) == -1 ||
      get_path (st, sub, "kernel", &q->kernel) == -1 ||
      get_path (st, sub, "initrd", &q->initrd) == -1)
    return -1;
  if (q->queue_size & (q->queue_size - 1)) {
    stack_bad (st, sub, "queue-size", "%u is not a power of two",
               q->queue_size);
    return -1;
  }
  io = cJSON_GetObjectItemCaseSensitive (sub, "iothread");
  if (io && !cJSON_IsBool (io)) {
    stack_bad (st, sub, "iothread", "expected true or false");
    return -1;
  }
  if (io)
    q->iothread = cJSON_IsTrue (io);
  {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive (sub, "memory");
    int64_t bytes;

    if (m) {
      bytes = cJSON_IsString (m) ? parse_size (m->valuestring) : -1;
      if (bytes < 256 << 20 || bytes > (int64_t) 64 << 30) {
        stack_bad (st, sub, "memory", "expected a size from \"256M\" to "
                   "\"64G\" (the guest's RAM)");
        return -1;
      }
      q->memory_mib = (unsigned) (bytes >> 20);
    }
  }
  /* QEMU 7.2's nvme runs in the main loop and sizes its own queues. */
  if (strcmp (q->device, "nvme") == 0 &&
      (q->iothread || q->queue_size)) {
    stack_bad (st, sub, q->iothread ? "iothread" : "queue-size",
               "QEMU's nvme device has no %s (use virtio-blk or "
               "virtio-scsi for it)", q->iothread ? "iothread"
               : "queue-size");
    return -1;
  }
  /* QEMU's own rule, said before anything starts. */
  if (q->aio && strcmp (q->aio, "threads") != 0 &&
      !(q->cache && (strcmp (q->cache, "none") == 0 ||
                     strcmp (q->cache, "directsync") == 0))) {
    stack_bad (st, sub, "aio", "aio=%s needs cache \"none\" or "
               "\"directsync\" (QEMU's rule: O_DIRECT)", q->aio);
    return -1;
  }
  return 0;
}

/* The stack's guest section (GUEST_SECTION): the filesystem the guest
 * makes on its disk at boot, and its mount options (on the guest's
 * kernel command line: letters, digits and "_=,.:+-" only).
 */
static int
read_guest (const struct stack *st, struct qemu_opts *q)
{
  const cJSON *sub = cJSON_GetObjectItemCaseSensitive (st->json,
                                                      GUEST_SECTION), *e;
  const cJSON *mo;

  if (sub == NULL)
    return 0;
  if (!cJSON_IsObject (sub)) {
    stack_bad (st, NULL, GUEST_SECTION, "expected an object like "
               "{\"fs\": \"ext4\", \"mount-options\": \"noatime\"}");
    return -1;
  }
  cJSON_ArrayForEach (e, sub)
    if (strcmp (e->string, "fs") != 0 &&
        strcmp (e->string, "mount-options") != 0) {
      stack_bad (st, sub, e->string, "unknown key in guest (fs, "
                 "mount-options)");
      return -1;
    }
  if (get_enum (st, sub, "fs", filesystems, &q->fs) == -1)
    return -1;
  mo = cJSON_GetObjectItemCaseSensitive (sub, "mount-options");
  if (mo) {
    const char *v = cJSON_IsString (mo) ? mo->valuestring : NULL;
    size_t n = v ? strspn (v, "abcdefghijklmnopqrstuvwxyz"
                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_=,.:+-")
      : 0;

    if (v == NULL || *v == '\0' || v[n] != '\0' || n > 200) {
      stack_bad (st, sub, "mount-options", "expected mount -o options "
                 "such as \"noatime,nodiratime\" (letters, digits, "
                 "\"_=,.:+-\"; at most 200)");
      return -1;
    }
    if (strcmp (q->fs, "none") == 0) {
      stack_bad (st, sub, "mount-options", "no filesystem to mount: set "
                 "\"fs\" to ext4 or xfs");
      return -1;
    }
    free (q->mount_options);
    q->mount_options = xstrdup (v);
  }
  return 0;
}

static void
defaults (struct qemu_opts *q)
{
  memset (q, 0, sizeof *q);
  q->shared = 64;
  q->vcpus = 2;
  q->memory_mib = 1024;
  q->accel = "auto";
  q->format = "raw";
  q->device = "virtio-blk";
  q->attach = "boot";
  q->fs = "none";
}

int
qemu_opts_read (const struct stack *st, struct qemu_opts *q)
{
  defaults (q);
  return read_section (st, "qemu", q) == -1 || read_guest (st, q) == -1
    ? -1 : 0;
}

int
qemu_opts_read_over (const struct stack *st, const char *over,
                     struct qemu_opts *q)
{
  defaults (q);
  return read_section (st, "qemu", q) == -1 ||
    read_section (st, over, q) == -1 || read_guest (st, q) == -1 ? -1 : 0;
}

void
qemu_opts_free (void *conf)
{
  struct qemu_opts *q = conf;

  if (q) {
    free (q->kernel);
    free (q->initrd);
    free (q->mount_options);
    free (q->accel_why);
  }
  free (q);
}
