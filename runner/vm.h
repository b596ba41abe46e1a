/* vm.h: what vm.c (the VM, its boot, its job) and vm_disk.c (its disk:
 * on QEMU's command line, hot-plugged over QMP, or served by
 * qemu-storage-daemon over vhost-user) share.  Private to those two.
 */
#ifndef VIPERBENCH_VM_H
#define VIPERBENCH_VM_H

#include "internal.h"

/* The guest's disk: QEMU's ids for the drive and the device. */
#define DRIVE "vbdisk"
#define DEVICE "vbdisk0"

struct guest {
  struct rbuf ctl;              /* the control port */
  struct qmp qmp;
  bool qmp_ok;
  char *dir;                    /* the layer's record directory */
  char *console;                /* the guest's console log */
  char *ctl_path, *qmp_path;
  char *vu_path, *qsd_qmp_path;  /* vhost-user-blk: the daemon's sockets */
  cJSON *stats0;                /* QEMU's block stats at the window's start */
  cJSON *blockdev;              /* the disk as blockdev-add describes it */
  bool attached;                /* hot-plugged, to detach at the end */
  int nodes0, fds0;             /* QEMU's block nodes and fds before */
};

extern bool vm_vhost_user (const struct qemu_opts *q);
extern unsigned vm_vu_queues (const struct qemu_opts *q);
extern void vm_drive_keys (const cJSON *d, const char *prefix, char **out);
extern bool vm_write_through (const struct qemu_opts *q);
extern cJSON *vm_blockdev_node (const struct qemu_opts *q, const cJSON *desc);
extern int vm_attach (struct run *run, struct layer *l, pid_t qemu);
extern void vm_detach (struct run *run, struct layer *l, pid_t qemu);
extern int vm_daemon_start (struct run *run, struct layer *l);
extern void vm_nvme_doorbell (struct layer *l);

#endif
