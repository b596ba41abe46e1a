/* target_guest.c: the top of the stack.  fio runs inside a VM on a
 * virtio-blk disk that QEMU's NBD client attaches to nbdkit's private
 * socket, as the reference investigation's guests did:
 *
 *   guest fio (libaio, direct=1) -> guest kernel -> virtio-blk -> QEMU's
 *   block layer -> QEMU's NBD client -> Unix socket -> nbdkit -> plugin
 *
 * The VM is vm.c's; this file gives it its disk.
 */
#include <stdlib.h>

#include "internal.h"

/* Defined at the end; its own settings are found through it. */
extern const struct target target_guest;

static const char *const tools[] = {
  "fio", "nbdkit", "qemu-system-x86_64", NULL,
};
static const char *const packages[] = {
  "fio", "nbdkit", "qemu-system-x86", NULL,
};
static const char *const keys[] = { "qemu", "guest", NULL };

static int
guest_preflight (const struct stack *st)
{
  return vm_preflight (st, &target_guest);
}

static int
guest_start (struct run *run, struct layer *l)
{
  cJSON *bd, *server;

  vm_begin (run, l, "QEMU's NBD client to nbdkit (a Unix socket)");
  if (nbdkit_start (run, l, 0, "QEMU's NBD client (at most 16 requests in "
                    "flight per connection)") == -1)
    return -1;
  nbdkit_set_capacity (run, l, 1, 16, "QEMU's NBD client (the VM's disk): "
                       "at most 16 requests in flight per connection x 1 "
                       "connection");
  bd = cJSON_CreateObject ();
  cJSON_AddStringToObject (bd, "driver", "nbd");
  server = cJSON_AddObjectToObject (bd, "server");
  cJSON_AddStringToObject (server, "type", "unix");
  cJSON_AddStringToObject (server, "path", l->socket);
  return vm_boot (run, l, bd);
}

const struct target target_guest = {
  .name = "guest",
  .description = "fio in a VM (QEMU) on virtio-blk, QEMU's NBD client to "
                 "nbdkit",
  .servers = 2,
  .tools = tools,
  .packages = packages,
  .uses_plugin = true,
  .peer = "guest-image",
  .peer_why = "the same VM, its disk a local image instead of QEMU's NBD "
              "client to nbdkit",
  .stack_keys = keys,
  .configure = vm_configure,
  .free_conf = qemu_opts_free,
  .preflight = guest_preflight,
  .start = guest_start,
  .stop = vm_stop,
  .run_job = vm_run_job,
  .record = vm_record,
  .fio_command = "fio --output-format=json+ --output=fio.json job.fio "
                 "(inside the guest, on its disk or on a file in the "
                 "filesystem the stack's guest.fs makes)",
};
