/* vm.c: a VM that runs fio on one disk, for the targets that run the
 * scenario in a guest (target_guest.c: the disk is QEMU's NBD client on
 * nbdkit; target_guest_image.c: a local image).  The guest (build/guest:
 * Debian's kernel, busybox, fio; guest/init) boots before the measured
 * window and says "ready" on its control port (virtio-serial), which
 * then carries the job in and what fio wrote back (guest/init has the
 * protocol).  QMP gives QEMU's block statistics for the disk; the
 * guest's /proc/diskstats its kernel's view.  How the disk is attached
 * is the stack's "qemu" section (qemu_opts.c).
 *
 * A target's start calls vm_begin (the layer's setup and its two
 * boundaries, guest-disk and qemu-block), starts what the disk needs,
 * then vm_boot with the disk as blockdev-add describes it: on QEMU's
 * command line (-drive), or hot-plugged over QMP once the guest is up
 * (the stack's qemu.attach "hotplug"), and then removed before QEMU
 * stops.  The stack's "guest" section may have the guest make a
 * filesystem on the disk at boot; fio then runs on a file in it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "vm.h"

/* How long a KVM guest gets to print its firmware's first line. */
#define KVM_TRIAL_S 3.0


int
vm_configure (const struct stack *st, void **conf)
{
  struct qemu_opts *q = xcalloc (1, sizeof *q);

  *conf = q;
  return qemu_opts_read (st, q);
}

/* The kernel and initramfs: the stack's, or those the build made beside
 * this executable (build/guest/).
 */
static char *
guest_file (const char *set, const char *name)
{
  char *dir, *p;

  if (set)
    return xstrdup (set);
  dir = companion_dir ();
  p = xasprintf ("%s/guest/%s", dir ? dir : ".", name);
  free (dir);
  return p;
}

/* 0 when PATH is a regular file we can read, else -1 with errno (EISDIR
 * for a directory, EINVAL for anything else that is no file).
 */
static int
readable_file (const char *path)
{
  struct stat sb;

  if (access (path, R_OK) == -1 || stat (path, &sb) == -1)
    return -1;
  if (!S_ISREG (sb.st_mode)) {
    errno = S_ISDIR (sb.st_mode) ? EISDIR : EINVAL;
    return -1;
  }
  return 0;
}

int
vm_preflight (const struct stack *st, const struct target *t)
{
  const struct qemu_opts *q = stack_conf (st, t);
  char *kernel = guest_file (q->kernel, "vmlinuz");
  char *initrd = guest_file (q->initrd, "initramfs.cpio");
  int r = 0;

  if (readable_file (kernel) == -1) {
    vb_msg ("%s: guest kernel %s: %s (%s)", st->path, kernel,
            strerror (errno), q->kernel ? "the stack's qemu.kernel"
            : "run make, which builds it");
    r = -1;
  }
  else if (readable_file (initrd) == -1) {
    vb_msg ("%s: guest initramfs %s: %s (%s)", st->path, initrd,
            strerror (errno), q->initrd ? "the stack's qemu.initrd"
            : "run make, which builds it");
    r = -1;
  }
  else if (strcmp (q->device, "vhost-user-blk") == 0 &&
           !have_program ("qemu-storage-daemon")) {
    vb_msg ("layer %s: qemu.device vhost-user-blk needs "
            "'qemu-storage-daemon', which is not installed (Debian package "
            "qemu-system-common: apt-get install qemu-system-common)",
            t->name);
    r = -1;
  }
  free (kernel);
  free (initrd);
  return r;
}

/* The "auto" acceleration, tried once per run for every VM layer (the
 * guest and guest-image of one ladder run alike): KVM when a guest under
 * it runs its firmware (SeaBIOS prints a line) within KVM_TRIAL_S, else
 * TCG.  /dev/kvm may exist and still hang a guest (a nested one does).
 * Into RUN->kvm_trial and RUN->kvm_trial_why.
 */
static void
kvm_trial (struct run *run)
{
  char *log, *con, *chardev;
  pid_t pid;
  double t0;
  bool printed = false;

  if (access ("/dev/kvm", R_OK | W_OK) == -1) {
    run->kvm_trial = "tcg";
    run->kvm_trial_why = xasprintf ("/dev/kvm: %s", strerror (errno));
    return;
  }
  log = xasprintf ("%s/kvm-trial.log", run->private_dir);
  con = qemu_opt_escape (log);
  chardev = xasprintf ("file,id=con,path=%s", con);
  {
    const char *argv[] = {
      "qemu-system-x86_64", "-accel", "kvm", "-m", "64", "-nodefaults",
      "-display", "none", "-no-reboot", "-chardev", chardev,
      "-serial", "chardev:con", NULL,
    };
    struct spawn_opts o = { 0 };

    unlink (log);
    pid = proc_spawn (argv, &o);
  }
  t0 = mono_now ();
  while (pid > 0 && !printed && mono_now () < t0 + KVM_TRIAL_S &&
         proc_alive (pid) && !stop_requested) {
    struct stat sb;

    printed = stat (log, &sb) == 0 && sb.st_size > 0;
    if (!printed)
      usleep (20000);
  }
  if (pid > 0)
    proc_kill (pid, 1);
  if (printed) {
    run->kvm_trial = "kvm";
    run->kvm_trial_why = xasprintf ("a trial guest under KVM ran its "
                                    "firmware in %.1f s", mono_now () - t0);
  }
  else {
    run->kvm_trial = "tcg";
    run->kvm_trial_why = xasprintf ("/dev/kvm is there but a trial guest "
                                    "under KVM printed nothing within %.0f s "
                                    "(nested virtualisation?)", KVM_TRIAL_S);
  }
  unlink (log);
  free (log);
  free (con);
  free (chardev);
}

/* The layer's acceleration: the stack's, or the run's trial for "auto". */
static void
accel_decide (struct run *run, struct qemu_opts *q)
{
  if (q->accel_used)
    return;
  if (strcmp (q->accel, "auto") != 0) {
    q->accel_used = q->accel;
    q->accel_why = xasprintf ("the stack's qemu.accel is \"%s\"", q->accel);
    return;
  }
  if (run->kvm_trial == NULL)
    kvm_trial (run);
  q->accel_used = run->kvm_trial;
  q->accel_why = xstrdup (run->kvm_trial_why);
}

/* The guest's drive's entry in a query-blockstats reply, or NULL; its
 * "stats", and in "qdev" the QOM path of the device that holds it.
 */
static const cJSON *
drive_entry (const cJSON *reply)
{
  const cJSON *e;

  cJSON_ArrayForEach (e, reply) {
    const cJSON *dev = cJSON_GetObjectItemCaseSensitive (e, "device");
    const cJSON *node = cJSON_GetObjectItemCaseSensitive (e, "node-name");

    /* -drive names the device's drive; blockdev-add (hot-plug) its node. */
    if ((cJSON_IsString (dev) && strcmp (dev->valuestring, DRIVE) == 0) ||
        (cJSON_IsString (node) && strcmp (node->valuestring, DRIVE) == 0))
      return e;
  }
  return NULL;
}

/* The QEMU block layer's boundary: histograms reset and a first reading
 * at the window's start, a second at its end.
 */
static void
qemu_block_begin (struct probe_point *p)
{
  struct guest *g = p->ctx;
  cJSON *args, *bounds, *reply;
  const cJSON *e, *stats, *qdev;
  char *why = NULL;

  cJSON_Delete (g->stats0);
  g->stats0 = NULL;
  if (!g->qmp_ok)
    return;
  reply = qmp_call (&g->qmp, "query-blockstats", NULL, 5, &why);
  e = drive_entry (reply);
  stats = cJSON_GetObjectItemCaseSensitive (e, "stats");
  qdev = cJSON_GetObjectItemCaseSensitive (e, "qdev");
  if (stats)
    g->stats0 = cJSON_Duplicate (stats, true);
  else
    vb_warn ("guest: QMP: %s", why ? why : "no stats for the guest's drive");
  free (why);
  why = NULL;
  /* Four bins per power of two from 1 us to 67 s, for percentiles, on
   * the device that holds the drive (its QOM path, as QEMU names it).
   */
  args = cJSON_CreateObject ();
  cJSON_AddStringToObject (args, "id", cJSON_IsString (qdev)
                           ? qdev->valuestring : DEVICE);
  cJSON_Delete (reply);
  bounds = cJSON_CreateArray ();
  for (int k = 0; k <= 104; k++)
    cJSON_AddItemToArray (bounds,
                          cJSON_CreateNumber (round (1000 * pow (2, k / 4.0))));
  cJSON_AddItemToObject (args, "boundaries", bounds);
  reply = qmp_call (&g->qmp, "block-latency-histogram-set", args, 5, &why);
  if (reply == NULL)
    vb_warn ("guest: QMP: %s: no latency percentiles at %s", why, p->name);
  free (why);
  cJSON_Delete (reply);
}

static cJSON *
qemu_block_end (struct probe_point *p, double window_s)
{
  struct guest *g = p->ctx;
  char *why = NULL;
  cJSON *reply, *b = NULL;
  const cJSON *stats;

  if (!g->qmp_ok || g->stats0 == NULL)
    return NULL;
  reply = qmp_call (&g->qmp, "query-blockstats", NULL, 5, &why);
  stats = cJSON_GetObjectItemCaseSensitive (drive_entry (reply), "stats");
  if (stats)
    b = qemu_block_boundary (p->name, p->via, p->source, g->stats0, stats,
                             window_s);
  else
    vb_warn ("guest: QMP: %s: boundary %s not measured",
             why ? why : "no stats for the guest's drive", p->name);
  free (why);
  cJSON_Delete (reply);
  return b;
}

/* The guest kernel's boundary: guest/init reads /proc/diskstats at the
 * window's start (after ramp_time) and end, and sends them back.
 */
static cJSON *
guest_disk_end (struct probe_point *p, double window_s)
{
  struct guest *g = p->ctx;
  char *fa = xasprintf ("%s/guest-diskstats.start", g->dir);
  char *fb = xasprintf ("%s/guest-diskstats.end", g->dir);
  char *a = read_file (fa, NULL), *b = read_file (fb, NULL);
  cJSON *bd = a && b ? diskstats_boundary (p->name, p->via, p->source, a, b,
                                           window_s) : NULL;

  if (bd == NULL)
    vb_warn ("guest: no readable %s and %s: boundary %s not measured", fa,
             fb, p->name);
  free (fa);
  free (fb);
  free (a);
  free (b);
  return bd;
}

/* What the guest's /init reads on its kernel command line: the
 * filesystem to make, its mount options, the size of fio's file in it,
 * and how the disk comes (values checked by qemu_opts.c: no spaces).
 */
static char *
kernel_append (const struct run *run, const struct qemu_opts *q)
{
  char *a = xstrdup ("console=ttyS0 panic=-1 quiet");

  if (strcmp (q->fs, "none") != 0) {
    char *b = xasprintf ("%s viperbench.fs=%s viperbench.mount=%s "
                         "viperbench.file=%lld", a, q->fs,
                         q->mount_options ? q->mount_options : "defaults",
                         (long long) scenario_max_size (run->sc));

    free (a);
    a = b;
  }
  if (strcmp (q->attach, "hotplug") == 0) {
    char *b = xasprintf ("%s viperbench.attach=hotplug", a);

    free (a);
    a = b;
  }
  return a;
}

/* QEMU's command line for the guest (argv strings in OWN, to free). */
static void
qemu_argv (struct run *run, struct layer *l, const struct qemu_opts *q,
           const char *kernel, const char *initrd, const char **argv,
           char **own)
{
  struct guest *g = l->priv;
  size_t n = 0, k = 0;
  char *ctl = qemu_opt_escape (g->ctl_path);
  char *qmp = qemu_opt_escape (g->qmp_path);

#define ARG(s) (argv[n++] = (s))
#define OWN(s) (argv[n++] = own[k++] = (s))
  ARG ("qemu-system-x86_64");
  /* Thread names ("CPU 0/TCG", "IO io0") for perf and the CPU bill. */
  ARG ("-name");
  ARG ("viperbench-guest,debug-threads=on");
  ARG ("-accel");
  ARG (q->accel_used);
  ARG ("-m");
  OWN (xasprintf ("%u", q->memory_mib));
  ARG ("-smp");
  OWN (xasprintf ("%u", q->vcpus));
  ARG ("-nodefaults");
  ARG ("-display");
  ARG ("none");
  ARG ("-no-reboot");
  ARG ("-kernel");
  ARG (kernel);
  ARG ("-initrd");
  ARG (initrd);
  ARG ("-append");
  OWN (kernel_append (run, q));
  /* The console through a log pump (scrubbed, capped like every log the
   * record keeps): QEMU writes it on its fd 3.
   */
  ARG ("-chardev");
  ARG ("file,id=con,path=/dev/fd/3");
  ARG ("-serial");
  ARG ("chardev:con");
  ARG ("-chardev");
  OWN (xasprintf ("socket,id=qmp,path=%s,server=on,wait=off", qmp));
  ARG ("-mon");
  ARG ("chardev=qmp,mode=control");
  ARG ("-chardev");
  OWN (xasprintf ("socket,id=ctl,path=%s,server=on,wait=off", ctl));
  ARG ("-device");
  ARG ("virtio-serial-pci");
  ARG ("-device");
  ARG ("virtserialport,chardev=ctl,name=viperbench.ctl");
  if (vm_vhost_user (q)) {
    /* The guest's memory shared with the daemon that serves its disk. */
    ARG ("-object");
    OWN (xasprintf ("memory-backend-memfd,id=mem,size=%uM,share=on",
                    q->memory_mib));
    ARG ("-machine");
    ARG ("memory-backend=mem");
  }
  if (strcmp (q->attach, "hotplug") == 0)
    goto done;                  /* the disk comes over QMP: vm_attach () */
  if (vm_vhost_user (q)) {
    char *vu = qemu_opt_escape (g->vu_path), qs[32] = "";

    if (q->queue_size)
      snprintf (qs, sizeof qs, ",queue-size=%u", q->queue_size);
    ARG ("-chardev");
    OWN (xasprintf ("socket,id=vu,path=%s", vu));
    ARG ("-device");
    OWN (xasprintf ("vhost-user-blk-pci,id=" DEVICE ",chardev=vu,"
                    "num-queues=%u%s", vm_vu_queues (q), qs));
    free (vu);
    goto done;
  }
  if (q->iothread) {
    ARG ("-object");
    ARG ("iothread,id=io0");
  }
  {
    char *keys = NULL;
    const cJSON *file = cJSON_GetObjectItemCaseSensitive (g->blockdev, "file");
    const char *fdrv = json_str (cJSON_GetObjectItemCaseSensitive (file,
                                                                  "driver"),
                                 "");
    const char *fname = json_str (cJSON_GetObjectItemCaseSensitive (
                                    file, "filename"), NULL);

    /* An image as QEMU users write it: file=PATH,format=FORMAT. */
    if (strcmp (fdrv, "file") == 0 && fname &&
        cJSON_GetArraySize (file) == 2 && cJSON_GetArraySize (g->blockdev)
        == 2) {
      char *esc = qemu_opt_escape (fname);

      keys = xasprintf ("file=%s,format=%s", esc, json_str (
                          cJSON_GetObjectItemCaseSensitive (g->blockdev,
                                                            "driver"), "raw"));
      free (esc);
    }
    else
      vm_drive_keys (g->blockdev, "", &keys);
    ARG ("-drive");
    OWN (xasprintf ("if=none,id=" DRIVE ",%s%s%s%s%s", keys,
                    q->cache ? ",cache=" : "", q->cache ? q->cache : "",
                    q->aio ? ",aio=" : "", q->aio ? q->aio : ""));
    free (keys);
  }
  ARG ("-device");
  if (strcmp (q->device, "virtio-scsi") == 0) {
    /* One controller for the one disk, in its iothread: Proxmox's
     * "VirtIO SCSI single".
     */
    char nq[32] = "", qs[32] = "";

    if (q->num_queues)
      snprintf (nq, sizeof nq, ",num_queues=%u", q->num_queues);
    if (q->queue_size)
      snprintf (qs, sizeof qs, ",virtqueue_size=%u", q->queue_size);
    OWN (xasprintf ("virtio-scsi-pci,id=scsi0%s%s%s",
                    q->iothread ? ",iothread=io0" : "", nq, qs));
    ARG ("-device");
    ARG ("scsi-hd,drive=" DRIVE ",id=" DEVICE ",bus=scsi0.0");
  }
  else if (strcmp (q->device, "nvme") == 0) {
    char nq[32] = "";

    if (q->num_queues)
      snprintf (nq, sizeof nq, ",max_ioqpairs=%u", q->num_queues);
    OWN (xasprintf ("nvme,drive=" DRIVE ",id=" DEVICE ",serial=viperbench%s",
                    nq));
  }
  else {
    char nq[32] = "", qs[32] = "";

    if (q->num_queues)
      snprintf (nq, sizeof nq, ",num-queues=%u", q->num_queues);
    if (q->queue_size)
      snprintf (qs, sizeof qs, ",queue-size=%u", q->queue_size);
    OWN (xasprintf ("virtio-blk-pci,drive=" DRIVE ",id=" DEVICE "%s%s%s",
                    q->iothread ? ",iothread=io0" : "", nq, qs));
  }
 done:
  if (strcmp (q->device, "nvme") == 0) {
    /* Whether the guest's driver sets up the controller's shadow
     * doorbell buffer: QEMU traces it in its log (vm_nvme_doorbell ()).
     */
    ARG ("-trace");
    ARG ("pci_nvme_dbbuf_config");
  }
  argv[n] = NULL;
  own[k] = NULL;
#undef ARG
#undef OWN
  free (ctl);
  free (qmp);
}

/* Says why QEMU stopped before the guest was ready: the last line of
 * its log, else of the guest's console (a kernel's panic).
 */
static void
qemu_gone (struct layer *l)
{
  struct guest *g = l->priv;
  char *tail;

  /* Its logs written whole before they are read. */
  proc_log_done (l->child[l->nchild - 1].pid, 2);
  tail = log_tail (l->child[l->nchild - 1].log);

  if (strcmp (tail, "(empty log)") == 0 || strcmp (tail, "(no log)") == 0) {
    char *text = read_file (g->console, NULL), *at;

    free (tail);
    /* A panic says more than the lines after it. */
    if (text && ((at = strstr (text, "Kernel panic")) ||
                 (at = strstr (text, "viperbench-guest: ")))) {
      tail = xasprintf ("%.*s", (int) strcspn (at, "\r\n"), at);
    }
    else
      tail = log_tail (g->console);
    free (text);
    utf8_scrub (tail);
    vb_msg ("%s: QEMU stopped before the guest was ready; its console "
            "ends: %s (%s)", l->t->name, tail, g->console);
  }
  else
    vb_msg ("%s: QEMU stopped before the guest was ready: %s (its "
            "console: %s)", l->t->name, tail, g->console);
  free (tail);
}

/* A block device's name as the guest's kernel makes them (vda, sda,
 * nvme0n1): what the job's filename= may be.
 */
static bool
plain_disk (const char *s)
{
  if (*s == '\0' || strlen (s) > 16)
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
      return false;
  return true;
}

/* The guest's "fs" line: the filesystem it made and mounted, as its
 * /proc/mounts has it, into L->setup; false when the line is not one.
 */
static bool
fs_line (struct layer *l, const char *line)
{
  char type[16], opts[256];
  unsigned long long size, avail, file;

  if (sscanf (line, "fs %15s %255s %llu %llu %llu", type, opts, &size,
              &avail, &file) != 5)
    return false;
  utf8_scrub (type);
  utf8_scrub (opts);
  cJSON_AddStringToObject (l->setup, "fs_mounted", type);
  cJSON_AddStringToObject (l->setup, "mount_options_seen", opts);
  cJSON_AddNumberToObject (l->setup, "fs_bytes", (double) size);
  cJSON_AddNumberToObject (l->setup, "fs_free_bytes", (double) avail);
  cJSON_AddNumberToObject (l->setup, "file_bytes", (double) file);
  return true;
}

/* Waits for the guest's "ready" line; 0 with the line's words in
 * L->setup, or -1 with a message naming the console log.  A hot-plugged
 * disk is attached when the guest says "up".
 */
static int
wait_ready (struct run *run, struct layer *l, pid_t qemu, double t0)
{
  struct guest *g = l->priv;
  const struct qemu_opts *q = stack_conf (run->st, l->t);
  double until = t0 + run->st->ready_timeout;

  for (;;) {
    char *line = rbuf_line (&g->ctl, 0.25);
    char kver[128], disk[32], driver[32] = "?";
    unsigned cpus, queues;
    unsigned long long sectors;

    if (line) {
      int nf = sscanf (line, "ready %127s %u %31s %llu %u %31s", kver, &cpus,
                       disk, &sectors, &queues, driver);

      if (strcmp (line, "up") == 0) {
        free (line);
        cJSON_AddNumberToObject (l->setup, "up_s", mono_now () - t0);
        if (strcmp (q->attach, "hotplug") == 0 &&
            cJSON_GetObjectItemCaseSensitive (l->setup, "attach") == NULL &&
            vm_attach (run, l, qemu) == -1)
          return -1;
        continue;
      }
      if (fs_line (l, line)) {
        free (line);
        continue;
      }
      if (nf >= 5 && !plain_disk (disk)) {
        vb_msg ("%s: the guest named its disk '%.31s': not a block device "
                "name (its console: %s)", l->t->name, disk, g->console);
        free (line);
        return -1;
      }
      if (nf >= 5) {
        cJSON_AddNumberToObject (l->setup, "boot_s", mono_now () - t0);
        cJSON_AddStringToObject (l->setup, "kernel_release", kver);
        cJSON_AddNumberToObject (l->setup, "cpus_seen", cpus);
        cJSON_AddStringToObject (l->setup, "disk", disk);
        cJSON_AddNumberToObject (l->setup, "disk_bytes",
                                 (double) sectors * 512);
        cJSON_AddNumberToObject (l->setup, "queues_seen", queues);
        utf8_scrub (driver);
        cJSON_AddStringToObject (l->setup, "driver_seen", driver);
        free (line);
        return 0;
      }
      if (strncmp (line, "fail ", 5) == 0) {
        utf8_scrub (line);
        vb_msg ("%s: %s (its console: %s)", l->t->name, line + 5,
                g->console);
        free (line);
        return -1;
      }
      free (line);              /* not ours: a later line may be */
      continue;
    }
    if (stop_requested)
      return -1;
    if (errno == 0 || !proc_alive (qemu)) {
      qemu_gone (l);
      return -1;
    }
    if (mono_now () > until) {
      vb_msg ("%s: not ready within %.0f s (the stack's ready_timeout_s; "
              "%s): see its console, %s", l->t->name, run->st->ready_timeout,
              strcmp (q->accel_used, "tcg") == 0
              ? "an emulated CPU boots slowly" : "KVM", g->console);
      return -1;
    }
  }
}

/* The layer's setup and boundaries, before what its disk needs starts
 * (its boundaries are listed top to bottom: the guest's kernel, QEMU's
 * block layer, then the disk's own).  DISK says what the disk is.
 */
void
vm_begin (struct run *run, struct layer *l, const char *disk)
{
  struct qemu_opts *q = stack_conf (run->st, l->t);
  struct guest *g = xcalloc (1, sizeof *g);
  struct probe_point *p;
  char *kernel, *initrd;

  l->priv = g;
  g->ctl.fd = -1;
  g->qmp.in.fd = -1;
  g->dir = xstrdup (l->dir);
  g->console = xasprintf ("%s/guest-console.log", l->dir);
  g->ctl_path = xasprintf ("%s/guest-ctl.sock", run->private_dir);
  g->qmp_path = xasprintf ("%s/guest-qmp.sock", run->private_dir);
  unlink (g->ctl_path);
  unlink (g->qmp_path);
  if (vm_vhost_user (q)) {
    g->vu_path = xasprintf ("%s/guest-vu.sock", run->private_dir);
    g->qsd_qmp_path = xasprintf ("%s/guest-qsd-qmp.sock", run->private_dir);
    unlink (g->vu_path);
    unlink (g->qsd_qmp_path);
  }
  accel_decide (run, q);
  kernel = guest_file (q->kernel, "vmlinuz");
  initrd = guest_file (q->initrd, "initramfs.cpio");
  l->setup = cJSON_CreateObject ();
  cJSON_AddStringToObject (l->setup, "accel", q->accel_used);
  cJSON_AddStringToObject (l->setup, "accel_reason", q->accel_why);
  cJSON_AddStringToObject (l->setup, "kernel", kernel);
  cJSON_AddStringToObject (l->setup, "initrd", initrd);
  cJSON_AddNumberToObject (l->setup, "vcpus", q->vcpus);
  cJSON_AddNumberToObject (l->setup, "memory_mib", q->memory_mib);
  cJSON_AddStringToObject (l->setup, "backend", disk);
  cJSON_AddStringToObject (l->setup, "device", q->device);
  cJSON_AddBoolToObject (l->setup, "iothread", q->iothread);
  cJSON_AddStringToObject (l->setup, "cache", q->cache ? q->cache
                           : "QEMU's default (writeback)");
  cJSON_AddStringToObject (l->setup, "aio", q->aio ? q->aio
                           : "QEMU's default (threads)");
  if (q->num_queues)
    cJSON_AddNumberToObject (l->setup, "num-queues", q->num_queues);
  else
    cJSON_AddStringToObject (l->setup, "num-queues",
                             "QEMU's default (one per vCPU)");
  if (q->queue_size)
    cJSON_AddNumberToObject (l->setup, "queue-size", q->queue_size);
  else
    cJSON_AddStringToObject (l->setup, "queue-size", "QEMU's default (256)");
  cJSON_AddStringToObject (l->setup, "attach_mode", q->attach);
  cJSON_AddStringToObject (l->setup, "fs", q->fs);
  if (q->mount_options)
    cJSON_AddStringToObject (l->setup, "mount_options", q->mount_options);
  cJSON_AddStringToObject (l->setup, "console", "guest-console.log");
  free (kernel);
  free (initrd);

  if (run->st->probes != PROBES_OFF) {
    char nq[64];

    if (strcmp (q->fs, "none") == 0)
      p = layer_add_probe (run, l, "guest-disk", "the guest's "
                           "/proc/diskstats", "the guest kernel's block "
                           "layer (libaio, direct=1; %u vCPUs)", q->vcpus);
    else
      p = layer_add_probe (run, l, "guest-disk", "the guest's "
                           "/proc/diskstats", "the guest kernel's block "
                           "layer under %s (libaio, direct=1 on a file; "
                           "%u vCPUs)", q->fs, q->vcpus);
    p->end = guest_disk_end;
    p->ctx = g;
    if (q->num_queues)
      snprintf (nq, sizeof nq, "%u queue%s", q->num_queues,
                q->num_queues > 1 ? "s" : "");
    else
      snprintf (nq, sizeof nq, "a queue per vCPU");
    if (vm_vhost_user (q)) {
      /* QEMU 7.2's daemon lists no statistics for an export's drive. */
      cJSON_AddStringToObject (l->setup, "qemu_block", "not measured: "
                               "qemu-storage-daemon keeps no "
                               "query-blockstats entry for an export's "
                               "drive");
      return;
    }
    p = layer_add_probe (run, l, "qemu-block", "QEMU's query-blockstats "
                            "(QMP)", "%s (%s, %s) on %s", q->device, nq,
                            q->iothread ? "in an iothread"
                            : "in QEMU's main loop", disk);
    p->begin = qemu_block_begin;
    p->end = qemu_block_end;
    p->ctx = g;
  }
}

/* Boots the VM with its disk BLOCKDEV (taken: blockdev-add's options
 * without node-name and cache; on the command line as -drive's dotted
 * keys, cache= and aio= from the stack added), until the guest says it
 * is ready; 0, or -1 with a message.
 */
int
vm_boot (struct run *run, struct layer *l, cJSON *blockdev)
{
  struct qemu_opts *q = stack_conf (run->st, l->t);
  struct guest *g = l->priv;
  const char *argv[64];
  char *own[16], *kernel, *initrd, *why = NULL;
  double t0;
  int r;

  kernel = guest_file (q->kernel, "vmlinuz");
  initrd = guest_file (q->initrd, "initramfs.cpio");
  cJSON_Delete (g->blockdev);
  g->blockdev = blockdev;
  if (vm_vhost_user (q) && vm_daemon_start (run, l) == -1) {
    r = -1;
    goto out;
  }
  qemu_argv (run, l, q, kernel, initrd, argv, own);
  t0 = mono_now ();
  r = layer_start_server (run, l, "qemu-system", argv, g->qmp_path, 0,
                          g->console);
  for (size_t i = 0; own[i]; i++)
    free (own[i]);
  if (r == -1)
    goto out;
  r = -1;
  g->qmp_ok = qmp_open (&g->qmp, g->qmp_path, 10, &why) == 0;
  g->ctl.fd = unix_connect (g->ctl_path);
  if (g->ctl.fd == -1) {
    int e = errno;
    double until = mono_now () + 1;

    /* A QEMU that refuses its kernel is on its way out: say why. */
    while (proc_alive (l->child[l->nchild - 1].pid) && mono_now () < until)
      usleep (20000);
    if (proc_alive (l->child[l->nchild - 1].pid))
      vb_msg ("%s: the control port %s: %s", l->t->name, g->ctl_path,
              strerror (e));
    else
      qemu_gone (l);
    free (why);
    goto out;
  }
  if (wait_ready (run, l, l->child[l->nchild - 1].pid, t0) == -1) {
    free (why);
    goto out;
  }
  if (!g->qmp_ok)
    vb_warn ("%s: QMP: %s: QEMU's block layer not measured", l->t->name,
             why);
  free (why);
  /* fio on the raw disk, or on the file /init laid out in the guest's
   * filesystem (guest/init's FILE).
   */
  if (strcmp (q->fs, "none") == 0)
    l->engine_lines = xasprintf ("ioengine=libaio\ndirect=1\n"
                                 "filename=/dev/%s\n", json_str (
                                   cJSON_GetObjectItemCaseSensitive (
                                     l->setup, "disk"), "vda"));
  else
    l->engine_lines = xstrdup ("ioengine=libaio\ndirect=1\n"
                               "filename=/mnt/viperbench/fio.dat\n");
  r = 0;

 out:
  free (kernel);
  free (initrd);
  return r;
}

void
vm_stop (struct run *run, struct layer *l)
{
  struct guest *g = l->priv;

  /* A hot-plugged disk leaves as it came, before QEMU stops. */
  if (g && g->attached && g->qmp_ok && l->nchild &&
      proc_alive (l->child[l->nchild - 1].pid))
    vm_detach (run, l, l->child[l->nchild - 1].pid);
  layer_stop_children (run, l);
  if (g && l->setup && l->nchild &&
      strcmp (((const struct qemu_opts *) stack_conf (run->st, l->t))->device,
              "nvme") == 0)
    vm_nvme_doorbell (l);
  if (g) {
    cJSON_Delete (g->blockdev);
    qmp_close (&g->qmp);
    rbuf_free (&g->ctl);
    unlink (g->ctl_path);
    unlink (g->qmp_path);
    if (g->vu_path) {
      unlink (g->vu_path);
      unlink (g->qsd_qmp_path);
      free (g->vu_path);
      free (g->qsd_qmp_path);
    }
    cJSON_Delete (g->stats0);
    free (g->dir);
    free (g->console);
    free (g->ctl_path);
    free (g->qmp_path);
    free (g);
  }
  l->priv = NULL;
}

/* Where a file the guest sends back goes: fio's JSON to JSON, its stderr
 * to ours, fio's histogram logs (hist_*.log) and the diskstats readings
 * to the layer's directory under a name that is plain and new; anything
 * else (a custom initrd's run.json) is no file of the record: -1, dropped.
 */
static int
file_dest (struct layer *l, const char *name, const char *json)
{
  char *path;
  int fd;

  if (strcmp (name, "fio.json") == 0)
    return open (json, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (strcmp (name, "fio.stderr") == 0)
    return dup (2);
  if (!plain_name (name) ||
      !((strncmp (name, "hist_", 5) == 0 && strlen (name) > 9 &&
         strcmp (name + strlen (name) - 4, ".log") == 0) ||
        strcmp (name, "diskstats.start") == 0 ||
        strcmp (name, "diskstats.end") == 0)) {
    fprintf (stderr, "guest: a file named '%.64s' refused: the guest sends "
             "fio.json, fio.stderr, hist_*.log and diskstats.*\n", name);
    return -1;
  }
  path = strncmp (name, "diskstats.", 10) == 0
    ? xasprintf ("%s/guest-%s", l->dir, name)
    : xasprintf ("%s/%s", l->dir, name);
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd == -1)
    fprintf (stderr, "guest: %s: %s: not kept\n", path, strerror (errno));
  free (path);
  return fd;
}

/* In a child of the runner: the job to the guest, its files back. */
int
vm_run_job (struct run *run, struct layer *l, const char *job,
               const char *json)
{
  struct guest *g = l->priv;
  size_t len = strlen (job);
  char *head = xasprintf ("run %zu %g\n", len, run->sc->ramp);
  /* The runner bounds the whole job and kills this child at its end. */
  const double forever = 1e9;
  int r = 125;

  if (write (g->ctl.fd, head, strlen (head)) != (ssize_t) strlen (head) ||
      write (g->ctl.fd, job, len) != (ssize_t) len) {
    fprintf (stderr, "guest: the control port: %s\n", strerror (errno));
    free (head);
    return 125;
  }
  free (head);
  for (;;) {
    char *line = rbuf_line (&g->ctl, forever), name[256];
    unsigned long long size;
    int status, fd;

    if (line == NULL) {
      fprintf (stderr, "guest: the control port closed before fio finished "
               "(its console: %s)\n", g->console);
      break;
    }
    if (sscanf (line, "file %255s %llu", name, &size) == 2) {
      if (size > (1ull << 30)) {
        fprintf (stderr, "guest: %s of %llu bytes refused\n", name, size);
        free (line);
        break;
      }
      fd = file_dest (l, name, json);
      if (rbuf_copy (&g->ctl, size, fd, forever) == -1) {
        fprintf (stderr, "guest: %s cut short\n", name);
        if (fd >= 0)
          close (fd);
        free (line);
        break;
      }
      if (fd >= 0)
        close (fd);
    }
    else if (sscanf (line, "done %d", &status) == 1) {
      r = status;
      free (line);
      break;
    }
    else if (strncmp (line, "fail ", 5) == 0) {
      utf8_scrub (line);
      fprintf (stderr, "guest: %s (its console: %s)\n", line + 5, g->console);
      free (line);
      break;
    }
    free (line);
  }
  return r;
}

/* The strings of the array A joined by ", " ("" for none; to free). */
static char *
joined (const cJSON *a)
{
  const cJSON *e;
  char *out = NULL;

  cJSON_ArrayForEach (e, a)
    if (cJSON_IsString (e))
      list_append (&out, ", ", e->valuestring);
  return out ? out : xstrdup ("");
}

/* Setup KEY of the layer as words: a number, text, or on/off. */
static char *
setup_words (const cJSON *setup, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (setup, key);

  if (cJSON_IsNumber (v))
    return xasprintf ("%g", v->valuedouble);
  if (cJSON_IsString (v))
    return xstrdup (v->valuestring);
  if (cJSON_IsBool (v))
    return xstrdup (cJSON_IsTrue (v) ? "on" : "off");
  return xstrdup ("?");
}

/* The guest's facts, in its own words: how its VM ran and what that
 * means for its figures (the report lists them as they are).
 */
void
vm_record (struct run *run, struct layer *l, cJSON *t)
{
  const cJSON *setup = cJSON_GetObjectItemCaseSensitive (t, "setup");
  const char *accel = json_str (cJSON_GetObjectItemCaseSensitive (setup,
                                                                 "accel"), "");
  char *w[14];
  static const char *const said[14] = {
    "accel_reason", "num-queues", "queues_seen", "queue-size", "iothread",
    "cache", "aio", "vcpus", "memory_mib", "kernel_release", "console",
    "backend", "device", "driver_seen",
  };
  bool tcg = strcmp (accel, "tcg") == 0, kvm = strcmp (accel, "kvm") == 0;

  (void) run;
  for (size_t k = 0; k < 14; k++)
    w[k] = setup_words (setup, said[k]);
  record_fact (t, "accelerator", "%s (%s)", tcg ? "TCG, QEMU's software "
               "emulation" : kvm ? "KVM, hardware virtualisation" : accel,
               w[0]);
  record_fact (t, "its figures", "%s", tcg
               ? "measure an emulated CPU running the guest's fio and "
                 "kernel: compare them with another guest layer measured "
                 "the same way (guest-image, or another stack's guest), "
                 "not with the layers on the host"
               : "the guest's CPU is the host's: they compare with the "
                 "host's layers");
  record_fact (t, "disk", "%s (the guest's driver: %s) with num-queues %s "
               "(the guest saw %s), queue-size %s, iothread %s; cache %s, "
               "aio %s; on %s", w[12], w[13], w[1], w[2], w[3], w[4], w[5],
               w[6], w[11]);
  record_fact (t, "VM", "%s vCPUs, %s MiB, kernel %s", w[7], w[8], w[9]);
  {
    static const char *const extra[][2] = {
      { "daemon", "disk served by" },
      { "qemu_block", "QEMU's block layer" },
      { "shadow_doorbell", "NVMe shadow doorbell" },
    };

    for (size_t k = 0; k < sizeof extra / sizeof extra[0]; k++) {
      const char *v = json_str (cJSON_GetObjectItemCaseSensitive (
                                  setup, extra[k][0]), NULL);

      if (v)
        record_fact (t, extra[k][1], "%s", v);
    }
  }
  {
    const char *fs = json_str (cJSON_GetObjectItemCaseSensitive (setup,
                                                                "fs_mounted"),
                               NULL);

    if (fs)
      record_fact (t, "filesystem", "%s made by the guest at boot, mounted "
                   "%s; fio on a %.0f MiB file in it (laid out before the "
                   "window), %.0f MiB of %.0f MiB left free", fs,
                   json_str (cJSON_GetObjectItemCaseSensitive (
                               setup, "mount_options_seen"), "?"),
                   json_num (cJSON_GetObjectItemCaseSensitive (
                               setup, "file_bytes")) / 1048576,
                   json_num (cJSON_GetObjectItemCaseSensitive (
                               setup, "fs_free_bytes")) / 1048576,
                   json_num (cJSON_GetObjectItemCaseSensitive (
                               setup, "fs_bytes")) / 1048576);
    else
      record_fact (t, "filesystem", "none: fio on the raw disk");
  }
  {
    const cJSON *att = cJSON_GetObjectItemCaseSensitive (setup, "attach");
    const cJSON *left = cJSON_GetObjectItemCaseSensitive (att, "left");
    const char *failed = json_str (cJSON_GetObjectItemCaseSensitive (
                                     att, "detach_failed"), NULL);

    if (att == NULL)
      record_fact (t, "disk attached", "at boot, on QEMU's command line");
    else if (failed || !cJSON_IsArray (left))
      record_fact (t, "disk attached", "hot-plugged over QMP after boot; "
                   "its detach did not finish: %s", failed ? failed
                   : "stopped before it");
    else {
      char *in = joined (cJSON_GetObjectItemCaseSensitive (att, "sequence"));
      char *out = joined (cJSON_GetObjectItemCaseSensitive (att, "detach"));
      char *what = joined (left);

      record_fact (t, "disk attached", "hot-plugged over QMP after boot "
                   "(%s); detached in order (%s) with %s%s", in, out,
                   *what ? "something left in QEMU: " : "nothing left in "
                   "QEMU (block nodes, open files, iothreads, chardevs, PCI "
                   "devices as before)", what);
      free (in);
      free (out);
      free (what);
    }
  }
  record_fact (t, "booted in", "%.1f s, before the measured window",
               json_num (cJSON_GetObjectItemCaseSensitive (setup, "boot_s")));
  {
    /* The console is a log like the others: capped at the stack's
     * log_max, the cut said.
     */
    char *path = xasprintf ("%s/guest-console.log", l->dir);
    cJSON *cut = log_cut_json (path);

    if (cut && setup) {
      record_fact (t, "console", "%s/%s, cut at %.0f bytes (the stack's "
                   "log_max)", l->t->name, w[10], json_num (
                     cJSON_GetObjectItemCaseSensitive (cut, "at_bytes")));
      cJSON_AddItemToObject ((cJSON *) setup, "console_cut", cut);
    }
    else
      record_fact (t, "console", "%s/%s", l->t->name, w[10]);
    if (cut && !setup)
      cJSON_Delete (cut);
    free (path);
  }
  record_fact (t, "QEMU's command line", "the record's servers");
  for (size_t k = 0; k < 14; k++)
    free (w[k]);
}
