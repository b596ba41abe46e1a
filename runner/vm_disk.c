/* vm_disk.c: the guest's disk as QEMU gets it (vm.c boots the VM):
 * the blockdev a target describes on QEMU's command line as -drive's
 * keys; hot-plugged over QMP after boot and removed before shutdown in
 * the investigation's order, with what is left counted (qemu.attach
 * "hotplug"); or served by qemu-storage-daemon over vhost-user, the
 * guest's memory shared with it (qemu.device "vhost-user-blk").  And
 * whether an NVMe guest used the shadow doorbell buffer.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "vm.h"

/* PATH as a QEMU option value: commas doubled. */
char *
qemu_opt_escape (const char *path)
{
  char *out = xmalloc (2 * strlen (path) + 1), *o = out;

  for (const char *p = path; *p; p++) {
    *o++ = *p;
    if (*p == ',')
      *o++ = ',';
  }
  *o = '\0';
  return out;
}

/* The disk served by qemu-storage-daemon over vhost-user (the stack's
 * qemu.device "vhost-user-blk").
 */
bool
vm_vhost_user (const struct qemu_opts *q)
{
  return strcmp (q->device, "vhost-user-blk") == 0;
}

/* Its queues: the stack's num-queues, else one per vCPU (QEMU's own
 * default for the device; the daemon's export is given as many).
 */
unsigned
vm_vu_queues (const struct qemu_opts *q)
{
  return q->num_queues ? q->num_queues : q->vcpus;
}

/* The blockdev description D as -drive's dotted keys after PREFIX
 * ("driver=nbd,server.type=unix,server.path=..."), appended to *OUT.
 */
void
vm_drive_keys (const cJSON *d, const char *prefix, char **out)
{
  const cJSON *e;

  cJSON_ArrayForEach (e, d) {
    char *key = xasprintf ("%s%s", prefix, e->string), *v = NULL, *kv;

    if (cJSON_IsObject (e)) {
      char *sub = xasprintf ("%s.", key);

      vm_drive_keys (e, sub, out);
      free (sub);
    }
    else if (cJSON_IsString (e))
      v = qemu_opt_escape (e->valuestring);
    else if (cJSON_IsNumber (e))
      v = xasprintf ("%.0f", e->valuedouble);
    else if (cJSON_IsBool (e))
      v = xstrdup (cJSON_IsTrue (e) ? "on" : "off");
    if (v) {
      kv = xasprintf ("%s=%s", key, v);
      list_append (out, ",", kv);
      free (kv);
      free (v);
    }
    free (key);
  }
}

/* QEMU's open file descriptors (-1: unreadable). */
static int
count_fds (pid_t pid)
{
  char dir[64];
  DIR *d;
  struct dirent *e;
  int n = 0;

  snprintf (dir, sizeof dir, "/proc/%d/fd", (int) pid);
  if ((d = opendir (dir)) == NULL)
    return -1;
  while ((e = readdir (d)))
    n += e->d_name[0] != '.';
  closedir (d);
  return n;
}

/* QEMU's named block nodes (-1: QMP failed). */
static int
count_nodes (struct guest *g)
{
  char *why = NULL;
  cJSON *r = qmp_call (&g->qmp, "query-named-block-nodes", NULL, 5, &why);
  int n = cJSON_IsArray (r) ? cJSON_GetArraySize (r) : -1;

  free (why);
  cJSON_Delete (r);
  return n;
}

/* True when the stack's cache mode writes through the guest's cache
 * (-drive's writethrough and directsync: write-cache off).
 */
bool
vm_write_through (const struct qemu_opts *q)
{
  return q->cache && (strcmp (q->cache, "writethrough") == 0 ||
                      strcmp (q->cache, "directsync") == 0);
}

/* The disk DESC as a named block node with the stack's cache= and aio=
 * as blockdev-add has them (QEMU's -drive cache table: cache.direct and
 * cache.no-flush on the node; aio on its file; write-cache is the
 * device's or the export's).  To delete.
 */
cJSON *
vm_blockdev_node (const struct qemu_opts *q, const cJSON *desc)
{
  cJSON *bd = cJSON_Duplicate (desc, true), *cache, *file;

  cJSON_AddStringToObject (bd, "node-name", DRIVE);
  cache = cJSON_AddObjectToObject (bd, "cache");
  cJSON_AddBoolToObject (cache, "direct", q->cache &&
                         (strcmp (q->cache, "none") == 0 ||
                          strcmp (q->cache, "directsync") == 0));
  cJSON_AddBoolToObject (cache, "no-flush", q->cache &&
                         strcmp (q->cache, "unsafe") == 0);
  file = cJSON_GetObjectItemCaseSensitive (bd, "file");
  if (q->aio && cJSON_IsObject (file))
    cJSON_AddStringToObject (file, "aio", q->aio);
  return bd;
}

/* One QMP step of the hot-plug sequence (ARGS taken), said in SEQ as
 * the command and what it names: "blockdev-add nbd vbdisk".  0, or -1
 * with a message.
 */
static int
qmp_step (struct layer *l, cJSON *seq, const char *cmd, cJSON *args)
{
  struct guest *g = l->priv;
  const cJSON *backend = cJSON_GetObjectItemCaseSensitive (args, "backend");
  const char *kind = json_str (cJSON_GetObjectItemCaseSensitive (args,
                                                                "driver"),
                               json_str (cJSON_GetObjectItemCaseSensitive (
                                           args, "qom-type"),
                                         json_str (cJSON_GetObjectItemCaseSensitive (
                                                     backend, "type"), NULL)));
  const char *name = json_str (cJSON_GetObjectItemCaseSensitive (args, "id"),
                               json_str (cJSON_GetObjectItemCaseSensitive (
                                           args, "node-name"), "?"));
  char *step = xasprintf ("%s %s%s%s", cmd, kind ? kind : "", kind ? " " : "",
                          name), *why = NULL;
  cJSON *r = qmp_call (&g->qmp, cmd, args, 30, &why);

  if (r == NULL) {
    vb_msg ("%s: hot-plug: %s: %s", l->t->name, step, why);
    free (why);
    free (step);
    return -1;
  }
  cJSON_Delete (r);
  cJSON_AddItemToArray (seq, cJSON_CreateString (step));
  free (step);
  return 0;
}

/* The guest's disk over QMP, after the guest is up: the sequence of the
 * investigation's fix for hot-attached volumes (object-add iothread,
 * blockdev-add, device_add with that iothread).  0, or -1 with a message.
 */
int
vm_attach (struct run *run, struct layer *l, pid_t qemu)
{
  struct qemu_opts *q = stack_conf (run->st, l->t);
  struct guest *g = l->priv;
  cJSON *att = cJSON_AddObjectToObject (l->setup, "attach");
  cJSON *seq, *bd, *dev;
  double t0 = mono_now ();

  cJSON_AddStringToObject (att, "mode", "hotplug");
  if (!g->qmp_ok) {
    vb_msg ("%s: hot-plug needs QMP, which did not answer", l->t->name);
    return -1;
  }
  g->nodes0 = count_nodes (g);
  g->fds0 = count_fds (qemu);
  seq = cJSON_AddArrayToObject (att, "sequence");
  if (vm_vhost_user (q)) {
    /* The drive and its iothread are the daemon's: QEMU gets the
     * vhost-user socket and the device on it.
     */
    cJSON *a = cJSON_CreateObject (), *be, *data, *addr, *ad;

    cJSON_AddStringToObject (a, "id", "vu");
    be = cJSON_AddObjectToObject (a, "backend");
    cJSON_AddStringToObject (be, "type", "socket");
    data = cJSON_AddObjectToObject (be, "data");
    addr = cJSON_AddObjectToObject (data, "addr");
    cJSON_AddStringToObject (addr, "type", "unix");
    ad = cJSON_AddObjectToObject (addr, "data");
    cJSON_AddStringToObject (ad, "path", g->vu_path);
    cJSON_AddBoolToObject (data, "server", false);
    if (qmp_step (l, seq, "chardev-add", a) == -1)
      return -1;
    g->attached = true;
    dev = cJSON_CreateObject ();
    cJSON_AddStringToObject (dev, "driver", "vhost-user-blk-pci");
    cJSON_AddStringToObject (dev, "id", DEVICE);
    cJSON_AddStringToObject (dev, "chardev", "vu");
    cJSON_AddNumberToObject (dev, "num-queues", vm_vu_queues (q));
    if (q->queue_size)
      cJSON_AddNumberToObject (dev, "queue-size", q->queue_size);
    if (qmp_step (l, seq, "device_add", dev) == -1)
      return -1;
    goto attached;
  }
  if (q->iothread) {
    cJSON *a = cJSON_CreateObject ();

    cJSON_AddStringToObject (a, "qom-type", "iothread");
    cJSON_AddStringToObject (a, "id", "io0");
    if (qmp_step (l, seq, "object-add", a) == -1)
      return -1;
  }
  bd = vm_blockdev_node (q, g->blockdev);
  if (qmp_step (l, seq, "blockdev-add", bd) == -1)
    return -1;
  g->attached = true;
  dev = cJSON_CreateObject ();
  if (strcmp (q->device, "virtio-scsi") == 0) {
    cJSON_AddStringToObject (dev, "driver", "virtio-scsi-pci");
    cJSON_AddStringToObject (dev, "id", "scsi0");
    if (q->iothread)
      cJSON_AddStringToObject (dev, "iothread", "io0");
    if (q->num_queues)
      cJSON_AddNumberToObject (dev, "num_queues", q->num_queues);
    if (q->queue_size)
      cJSON_AddNumberToObject (dev, "virtqueue_size", q->queue_size);
    if (qmp_step (l, seq, "device_add", dev) == -1)
      return -1;
    dev = cJSON_CreateObject ();
    cJSON_AddStringToObject (dev, "driver", "scsi-hd");
    cJSON_AddStringToObject (dev, "bus", "scsi0.0");
  }
  else if (strcmp (q->device, "nvme") == 0) {
    cJSON_AddStringToObject (dev, "driver", "nvme");
    cJSON_AddStringToObject (dev, "serial", "viperbench");
    if (q->num_queues)
      cJSON_AddNumberToObject (dev, "max_ioqpairs", q->num_queues);
  }
  else {
    cJSON_AddStringToObject (dev, "driver", "virtio-blk-pci");
    if (q->iothread)
      cJSON_AddStringToObject (dev, "iothread", "io0");
    if (q->num_queues)
      cJSON_AddNumberToObject (dev, "num-queues", q->num_queues);
    if (q->queue_size)
      cJSON_AddNumberToObject (dev, "queue-size", q->queue_size);
  }
  cJSON_AddStringToObject (dev, "id", DEVICE);
  cJSON_AddStringToObject (dev, "drive", DRIVE);
  if (vm_write_through (q))
    cJSON_AddStringToObject (dev, "write-cache", "off");
  if (qmp_step (l, seq, "device_add", dev) == -1)
    return -1;
 attached:
  cJSON_AddNumberToObject (att, "attach_s", mono_now () - t0);
  /* While attached, for the counts after the detach to compare with. */
  cJSON_AddNumberToObject (att, "block_nodes_attached", count_nodes (g));
  cJSON_AddNumberToObject (att, "qemu_fds_attached", count_fds (qemu));
  return 0;
}

/* Adds WORDS to LEFT when QEMU's answer to CMD lists an object whose KEY
 * is ID (what a detach should have removed).
 */
static void
still_listed (struct guest *g, const char *cmd, const char *key,
              const char *id, const char *words, cJSON *left)
{
  char *why = NULL;
  cJSON *r = qmp_call (&g->qmp, cmd, NULL, 5, &why);
  const cJSON *e;

  cJSON_ArrayForEach (e, r)
    if (strcmp (json_str (cJSON_GetObjectItemCaseSensitive (e, key), ""),
                id) == 0)
      cJSON_AddItemToArray (left, cJSON_CreateString (words));
  cJSON_Delete (r);
  free (why);
}

/* The hot-plugged disk removed in the order the investigation used
 * (device_del, waiting for QEMU's DEVICE_DELETED as the guest lets the
 * device go; blockdev-del; object-del), then what is left counted: QEMU's
 * block nodes and open files against their numbers before the attach,
 * its iothreads and PCI devices by id.  Into setup.attach.
 */
void
vm_detach (struct run *run, struct layer *l, pid_t qemu)
{
  struct qemu_opts *q = stack_conf (run->st, l->t);
  struct guest *g = l->priv;
  cJSON *att = cJSON_GetObjectItemCaseSensitive (l->setup, "attach");
  cJSON *seq = cJSON_AddArrayToObject (att, "detach"), *a, *r, *left;
  const char *pci = strcmp (q->device, "virtio-scsi") == 0 ? "scsi0" : DEVICE;
  char *why = NULL;
  double t0 = mono_now ();
  int n;

  g->attached = false;
  a = cJSON_CreateObject ();
  cJSON_AddStringToObject (a, "id", pci);
  if (qmp_step (l, seq, "device_del", a) == -1)
    return;
  if (qmp_wait_event (&g->qmp, "DEVICE_DELETED", pci, 60, &why) == -1) {
    vb_warn ("%s: hot-plug: device_del %s: %s", l->t->name, pci, why);
    cJSON_AddStringToObject (att, "detach_failed", why);
    free (why);
    return;
  }
  cJSON_AddNumberToObject (att, "device_deleted_s", mono_now () - t0);
  if (vm_vhost_user (q)) {
    a = cJSON_CreateObject ();
    cJSON_AddStringToObject (a, "id", "vu");
    if (qmp_step (l, seq, "chardev-remove", a) == -1)
      return;
  }
  else {
    a = cJSON_CreateObject ();
    cJSON_AddStringToObject (a, "node-name", DRIVE);
    if (qmp_step (l, seq, "blockdev-del", a) == -1)
      return;
  }
  if (q->iothread && !vm_vhost_user (q)) {
    a = cJSON_CreateObject ();
    cJSON_AddStringToObject (a, "id", "io0");
    if (qmp_step (l, seq, "object-del", a) == -1)
      return;
  }
  /* What is left. */
  left = cJSON_AddArrayToObject (att, "left");
  n = count_nodes (g);
  cJSON_AddNumberToObject (att, "block_nodes_before", g->nodes0);
  cJSON_AddNumberToObject (att, "block_nodes_after", n);
  if (n != g->nodes0)
    cJSON_AddItemToArray (left, cJSON_CreateString ("block nodes"));
  n = count_fds (qemu);
  cJSON_AddNumberToObject (att, "qemu_fds_before", g->fds0);
  cJSON_AddNumberToObject (att, "qemu_fds_after", n);
  if (n != g->fds0)
    cJSON_AddItemToArray (left, cJSON_CreateString ("QEMU's open files"));
  still_listed (g, "query-iothreads", "id", "io0", "iothread io0", left);
  still_listed (g, "query-chardev", "label", "vu", "chardev vu", left);
  r = qmp_call (&g->qmp, "query-pci", NULL, 5, &why);
  {
    const cJSON *bus, *d;

    cJSON_ArrayForEach (bus, r)
      cJSON_ArrayForEach (d, cJSON_GetObjectItemCaseSensitive (bus,
                                                               "devices")) {
        const char *id = json_str (cJSON_GetObjectItemCaseSensitive (
                                     d, "qdev_id"), "");

        if (strcmp (id, DEVICE) == 0 || strcmp (id, "scsi0") == 0)
          cJSON_AddItemToArray (left, cJSON_CreateString (id));
      }
  }
  cJSON_Delete (r);
  free (why);
  if (cJSON_GetArraySize (left))
    vb_warn ("%s: hot-plug: left after the detach: see setup.attach.left",
             l->t->name);
}

/* vhost-user-blk: qemu-storage-daemon serves the disk (the layer's
 * blockdev, cache= and aio= as blockdev-add has them) on a vhost-user
 * socket the VM connects to; a server of the layer, billed and profiled
 * like nbdkit.  0, or -1 with a message.
 */
int
vm_daemon_start (struct run *run, struct layer *l)
{
  const struct qemu_opts *q = stack_conf (run->st, l->t);
  struct guest *g = l->priv;
  cJSON *bd = vm_blockdev_node (q, g->blockdev), *ex, *addr;
  char *bdj, *exj, *qmp = qemu_opt_escape (g->qsd_qmp_path), *mon;
  const char *argv[16];
  size_t n = 0;
  int r;

  ex = cJSON_CreateObject ();
  cJSON_AddStringToObject (ex, "type", "vhost-user-blk");
  cJSON_AddStringToObject (ex, "id", "exp0");
  cJSON_AddStringToObject (ex, "node-name", DRIVE);
  addr = cJSON_AddObjectToObject (ex, "addr");
  cJSON_AddStringToObject (addr, "type", "unix");
  cJSON_AddStringToObject (addr, "path", g->vu_path);
  cJSON_AddBoolToObject (ex, "writable", true);
  cJSON_AddNumberToObject (ex, "num-queues", vm_vu_queues (q));
  if (vm_write_through (q))
    cJSON_AddBoolToObject (ex, "writethrough", true);
  if (q->iothread)
    cJSON_AddStringToObject (ex, "iothread", "io0");
  bdj = cJSON_PrintUnformatted (bd);
  exj = cJSON_PrintUnformatted (ex);
  mon = xasprintf ("socket,id=qmp,path=%s,server=on,wait=off", qmp);
  argv[n++] = "qemu-storage-daemon";
  argv[n++] = "--blockdev";
  argv[n++] = bdj;
  if (q->iothread) {
    argv[n++] = "--object";
    argv[n++] = "iothread,id=io0";
  }
  argv[n++] = "--export";
  argv[n++] = exj;
  /* Its monitor last: when it answers, the export listens. */
  argv[n++] = "--chardev";
  argv[n++] = mon;
  argv[n++] = "--monitor";
  argv[n++] = "chardev=qmp";
  argv[n] = NULL;
  r = layer_start_server (run, l, "qemu-storage-daemon", argv,
                          g->qsd_qmp_path, 0, NULL);
  cJSON_AddStringToObject (l->setup, "daemon", "qemu-storage-daemon "
                           "(vhost-user-blk export; the guest's memory "
                           "shared with it: memory-backend-memfd share=on)");
  cJSON_Delete (bd);
  cJSON_Delete (ex);
  free (bdj);
  free (exj);
  free (mon);
  free (qmp);
  return r;
}

/* NVMe's shadow doorbell buffer: used when the guest's driver gave
 * QEMU's controller one (Doorbell Buffer Config: QEMU's trace event
 * pci_nvme_dbbuf_config in its log, which is whole once QEMU stopped).
 * Into L->setup.
 */
void
vm_nvme_doorbell (struct layer *l)
{
  char *text;

  proc_log_done (l->child[l->nchild - 1].pid, 2);
  text = read_file (l->child[l->nchild - 1].log, NULL);
  cJSON_AddStringToObject (l->setup, "shadow_doorbell",
                           text == NULL ? "unknown: QEMU's log unreadable"
                           : strstr (text, "pci_nvme_dbbuf_config")
                           ? "used: the guest's driver configured the "
                             "controller's doorbell buffer (QEMU's trace "
                             "pci_nvme_dbbuf_config)"
                           : "not used: the guest's driver configured no "
                             "doorbell buffer (no pci_nvme_dbbuf_config in "
                             "QEMU's log)");
  free (text);
}
