#!/bin/sh
# mkinitramfs.sh: builds the guest's initramfs from what Debian's
# packages installed: busybox (busybox-static), fio, mkfs.ext4 (e2fsprogs)
# and mkfs.xfs (xfsprogs) with every library they link (as ldd finds
# them), the virtio, ext4 and xfs modules of the kernel that
# `common/deps.sh guest-kernel` unpacked, and guest/init.
#
# Usage: guest/mkinitramfs.sh KERNEL-DIR INIT OUT.cpio
#   KERNEL-DIR  an unpacked linux-image package (lib/modules/VERSION/...)
#
# The archive is uncompressed (a TCG guest unpacks it faster than it
# would decompress it) and written whole or not at all.
set -eu

kdir=${1:?usage: mkinitramfs.sh KERNEL-DIR INIT OUT.cpio}
init=${2:?usage: mkinitramfs.sh KERNEL-DIR INIT OUT.cpio}
out=${3:?usage: mkinitramfs.sh KERNEL-DIR INIT OUT.cpio}

case $out in /*) ;; *) out=$PWD/$out ;; esac

# The modules /init loads, each after those it depends on.
MODULES="virtio_pci virtio_blk virtio_console virtio_scsi sd_mod nvme ext4 xfs"

busybox=/bin/busybox
fio=$(command -v fio) || { echo "mkinitramfs.sh: no fio (package fio)" >&2; exit 1; }
PATH=$PATH:/sbin:/usr/sbin
mke2fs=$(command -v mke2fs) || { echo "mkinitramfs.sh: no mke2fs (package e2fsprogs)" >&2; exit 1; }
mkfsxfs=$(command -v mkfs.xfs) || { echo "mkinitramfs.sh: no mkfs.xfs (package xfsprogs)" >&2; exit 1; }
[ -x "$busybox" ] && "$busybox" --list | grep -qx cpio || {
    echo "mkinitramfs.sh: no static busybox with cpio at $busybox (package busybox-static)" >&2
    exit 1
}
ldd "$busybox" >/dev/null 2>&1 && {
    echo "mkinitramfs.sh: $busybox is dynamically linked: install busybox-static" >&2
    exit 1
}
mods=$(ls -d "$kdir"/lib/modules/*/ 2>/dev/null | head -n 1)
[ -n "$mods" ] || { echo "mkinitramfs.sh: no lib/modules in $kdir" >&2; exit 1; }

stage=$(mktemp -d "${out}.stage.XXXXXX")
trap 'rm -rf "$stage" "$out.tmp"' EXIT
mkdir -p "$stage/bin" "$stage/usr/bin" "$stage/lib/modules" \
         "$stage/proc" "$stage/sys" "$stage/dev" "$stage/tmp" "$stage/work" \
         "$stage/mnt" "$stage/etc"
cp "$busybox" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
cp "$init" "$stage/init"
chmod 755 "$stage/init"
cp "$fio" "$stage/usr/bin/fio"
cp "$mke2fs" "$stage/usr/bin/mke2fs"
ln -s mke2fs "$stage/usr/bin/mkfs.ext4"
cp "$mkfsxfs" "$stage/usr/bin/mkfs.xfs"
# mke2fs's defaults for ext4 as Debian configures them.
[ -f /etc/mke2fs.conf ] && cp /etc/mke2fs.conf "$stage/etc/mke2fs.conf"

# Their libraries at the paths the loader looks in; the loader itself.
for b in "$fio" "$mke2fs" "$mkfsxfs"; do
    ldd "$b" | awk '/=> \// { print $3 } /^[ \t]*\/[^ ]*ld-linux/ { print $1 }'
done | sort -u |
while read -r lib; do
    mkdir -p "$stage$(dirname "$lib")"
    cp -L "$lib" "$stage$lib"
done
[ -e "$stage/lib64/ld-linux-x86-64.so.2" ] || {
    echo "mkinitramfs.sh: ldd $fio named no loader" >&2
    exit 1
}

# Modules: each one's depends= (from its .modinfo) before it, once.
: > "$stage/modules.order"
add_module() {
    grep -qx "$1" "$stage/modules.order" && return 0
    ko=$(find "$mods" -name "$1.ko" | head -n 1)
    if [ -z "$ko" ]; then
        # Built into the kernel: nothing to load.
        grep -q "/$1.ko\$" "$mods/modules.builtin" 2>/dev/null && return 0
        echo "mkinitramfs.sh: module $1 is not in $mods" >&2
        exit 1
    fi
    deps=$(grep -a -o 'depends=[A-Za-z0-9_,-]*' "$ko" | head -n 1 | cut -d= -f2 | tr ',' ' ')
    for d in $deps; do add_module "$d"; done
    # (sh has no locals: find it again after the recursion.)
    cp "$(find "$mods" -name "$1.ko" | head -n 1)" "$stage/lib/modules/$1.ko"
    echo "$1" >> "$stage/modules.order"
}
for m in $MODULES; do add_module "$m"; done

(cd "$stage" && find . | LC_ALL=C sort | "$busybox" cpio -o -H newc > "$out.tmp" 2>/dev/null)
mv "$out.tmp" "$out"
