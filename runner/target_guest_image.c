/* target_guest_image.c: the same VM as the guest layer, its disk a local
 * image on the host's filesystem, as the reference investigation's
 * baseline VM ran ("Proxmox VM (direct)": virtio-blk, QEMU's block layer
 * on a qcow2 or raw file, the host's filesystem, the disk):
 *
 *   guest fio (libaio, direct=1) -> guest kernel -> virtio-blk -> QEMU's
 *   block layer (raw or qcow2) -> the host's file (O_DIRECT where the
 *   stack's cache is "none") -> the disk
 *
 * so that one ladder reads host -> guest-image -> guest, and the guest on
 * NBD is compared with the guest on an image.  The image is the stack's
 * size of data in its directory: guest-image.raw, laid out like host.img;
 * for qemu.format "qcow2", qemu-img converts it into guest-image.qcow2
 * before the VM starts.  Its QEMU flags are the stack's "qemu" with
 * "qemu-image" over them (qemu_opts.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* Defined at the end; its own settings are found through it. */
extern const struct target target_guest_image;

static const char *const tools[] = {
  "fio", "qemu-system-x86_64", "qemu-img", NULL,
};
static const char *const packages[] = {
  "fio", "qemu-system-x86", "qemu-utils", NULL,
};
static const char *const keys[] = { "qemu", "qemu-image", "guest", NULL };

#define QCOW2 "guest-image.qcow2"

/* "qemu", then "qemu-image" over it. */
static int
image_configure (const struct stack *st, void **conf)
{
  struct qemu_opts *q = xcalloc (1, sizeof *q);

  *conf = q;
  return qemu_opts_read_over (st, "qemu-image", q);
}

static int
image_preflight (const struct stack *st)
{
  const struct qemu_opts *q = stack_conf (st, &target_guest_image);

  if (vm_preflight (st, &target_guest_image) == -1)
    return -1;
  /* Someone's own guest-image.qcow2 there is refused before anything
   * runs, not overwritten.
   */
  return strcmp (q->format, "qcow2") == 0 ? stack_dir_check (st, QCOW2) : 0;
}

/* guest-image.raw converted into IMG, DIR/guest-image.qcow2 (the run's
 * own file there); 0, or -1 with a message.
 */
static int
make_qcow2 (struct run *run, struct layer *l, const char *img)
{
  const struct stack *st = run->st;
  char *log = xasprintf ("%s/qemu-img.log", l->dir);
  const char *argv[] = {
    "qemu-img", "convert", "-f", "raw", "-O", "qcow2", l->file, img, NULL,
  };
  int dfd = stack_dir_open (st), r;

  if (dfd == -1 || stack_dir_claim (dfd, st, QCOW2) == -1) {
    if (dfd != -1)
      close (dfd);
    goto fail;
  }
  close (dfd);
  fprintf (stderr, "viperbench: %s: qemu-img convert -O qcow2 %s %s\n",
           l->t->name, l->file, img);
  r = proc_run (argv, 600, NULL, log);
  if (r != 0) {
    char *tail = log_tail (log);

    vb_msg ("%s: qemu-img convert into %s %s: %s (%s)", l->t->name, img,
            r == -2 ? "took over 600 s" : "failed", tail, log);
    free (tail);
    goto fail;
  }
  /* Written back before the VM starts: the conversion's dirty pages
   * are not flushed inside the measured window.
   */
  {
    int fd = open (img, O_RDONLY | O_CLOEXEC);

    if (fd == -1 || fsync (fd) == -1) {
      vb_msg ("%s: fsync %s: %s", l->t->name, img, strerror (errno));
      if (fd != -1)
        close (fd);
      goto fail;
    }
    close (fd);
  }
  free (log);
  return 0;

 fail:
  free (log);
  return -1;
}

static int
image_start (struct run *run, struct layer *l)
{
  const struct qemu_opts *q = stack_conf (run->st, l->t);
  bool qcow2 = strcmp (q->format, "qcow2") == 0;
  char *img, *disk;
  cJSON *bd, *file;
  int r;

  img = qcow2 ? xasprintf ("%s/" QCOW2, run->st->dir) : xstrdup (l->file);
  disk = xasprintf ("a %s image on the host's filesystem (%s)", q->format,
                    img);
  vm_begin (run, l, disk);
  free (disk);
  cJSON_AddStringToObject (l->setup, "image", img);
  cJSON_AddStringToObject (l->setup, "format", q->format);
  cJSON_AddStringToObject (l->setup, "image_made", qcow2
                           ? "qemu-img convert -f raw -O qcow2 from "
                             "guest-image.raw (the stack's size of data)"
                           : "laid out with the stack's size of data, "
                             "as host.img");
  if (qcow2 && make_qcow2 (run, l, img) == -1) {
    free (img);
    return -1;
  }
  bd = cJSON_CreateObject ();
  cJSON_AddStringToObject (bd, "driver", q->format);
  file = cJSON_AddObjectToObject (bd, "file");
  cJSON_AddStringToObject (file, "driver", "file");
  cJSON_AddStringToObject (file, "filename", img);
  r = vm_boot (run, l, bd);
  free (img);
  return r;
}

static void
image_record (struct run *run, struct layer *l, cJSON *t)
{
  const cJSON *setup = cJSON_GetObjectItemCaseSensitive (t, "setup");
  const char *cache = json_str (cJSON_GetObjectItemCaseSensitive (setup,
                                                                 "cache"), "");

  vm_record (run, l, t);
  record_fact (t, "image", "%s, %s (%s); %s",
               json_str (cJSON_GetObjectItemCaseSensitive (setup, "image"),
                         "?"),
               json_str (cJSON_GetObjectItemCaseSensitive (setup, "format"),
                         "?"),
               json_str (cJSON_GetObjectItemCaseSensitive (setup,
                                                           "image_made"), "?"),
               strcmp (cache, "none") == 0 || strcmp (cache, "directsync") == 0
               ? "QEMU opens it with O_DIRECT (cache none): the host's page "
                 "cache is not in the figures"
               : "QEMU goes through the host's page cache (cache is not "
                 "\"none\"): reads may come from memory");
}

const struct target target_guest_image = {
  .name = "guest-image",
  .description = "fio in the same VM (QEMU) on virtio-blk, its disk a local "
                 "raw or qcow2 image",
  .servers = 1,
  .tools = tools,
  .packages = packages,
  .named_only = true,
  .own_file = "guest-image.raw",
  .stack_keys = keys,
  .configure = image_configure,
  .free_conf = qemu_opts_free,
  .preflight = image_preflight,
  .start = image_start,
  .stop = vm_stop,
  .run_job = vm_run_job,
  .record = image_record,
  .fio_command = "fio --output-format=json+ --output=fio.json job.fio "
                 "(inside the guest, on its disk or on a file in the "
                 "filesystem the stack's guest.fs makes)",
};
