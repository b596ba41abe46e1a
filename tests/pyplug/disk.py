# disk.py: a test-only nbdkit plugin in Python (nbdkit-plugin-python): a
# RAM disk of size=BYTES (default 64 MiB).  Python plugins are
# serialize_all_requests unless they say otherwise: the known-answer
# suite (runner/validate.sh) expects that named, and
# tests/test-plugins-lang.sh runs it on every layer that loads a plugin.
#
#   nbdkit python tests/pyplug/disk.py size=16777216
import nbdkit

API_VERSION = 2
size = 64 * 1024 * 1024
disk = None


def config(key, value):
    global size
    if key != "size":
        raise RuntimeError("unknown parameter %s (size=BYTES)" % key)
    size = int(value)


def get_ready():
    global disk
    disk = bytearray(size)


def open(readonly):
    return 1


def get_size(h):
    return len(disk)


def pread(h, buf, offset, flags):
    buf[:] = disk[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    disk[offset:offset + len(buf)] = buf
