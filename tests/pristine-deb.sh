#!/usr/bin/env bash
# pristine-deb.sh (make check-deb): the package as a new user meets it.
# `make deb` here, then in a pristine Debian 12 root (the base system and
# apt, as mmdebstrap makes it, plus man-db, which a standard install
# has): `apt-get install ./viperbench_*.deb` brings everything it needs
# from Debian's archive, and from /tmp, outside any checkout:
#   viperbench run --scenario randrw_70_30 --runtime 2
#   viperbench run --scenario lat1 --stack guest-before --runtime 2 (the
#     guest layer: the package's kernel and initramfs, under TCG)
#   nbdkit --filter=probe memory 1M probe-file=F --run true
#   man viperbench; man nbdkit-probe-filter
# The root is built once (about a minute) and cached in
# build/pristine/bookworm.tar; each run unpacks a new copy under
# /var/tmp and removes it (KEEP=1 keeps it).  Needs root.
set -euo pipefail
# Nothing here reads a terminal, and nbdkit refuses to start without a
# stdin (a CI job may give none).
exec </dev/null
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ "$(id -u)" -eq 0 ] || { echo "pristine-deb.sh: needs root (chroot, mounts)" >&2; exit 77; }
command -v mmdebstrap >/dev/null || { echo "pristine-deb.sh: no mmdebstrap (make installs it)" >&2; exit 1; }

make -s deb
ver=$(build/viperbench -V | awk '{print $2}')
deb=build/deb/viperbench_${ver}_amd64.deb

tar=build/pristine/bookworm.tar
if [ ! -s "$tar" ]; then
    mkdir -p build/pristine
    src=/etc/apt/sources.list.d/debian.sources
    [ -s "$src" ] || src=/etc/apt/sources.list
    echo "pristine-deb.sh: building the base root (once)" >&2
    mmdebstrap --quiet --variant=apt bookworm "${tar%.tar}.new.tar" "$src"
    mv "${tar%.tar}.new.tar" "$tar"
fi
root=$(mktemp -d /var/tmp/viperbench-pristine.XXXXXX)
cleanup() {
    for m in dev/pts dev proc sys; do umount -l "$root/$m" 2>/dev/null || true; done
    if [ "${KEEP:-0}" = 1 ]; then echo "pristine-deb.sh: kept $root" >&2; else rm -rf "$root"; fi
}
trap cleanup EXIT
tar -xf "$tar" -C "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
mount --bind /dev "$root/dev"; mount --bind /dev/pts "$root/dev/pts"
mount -t proc proc "$root/proc"; mount --bind /sys "$root/sys"
cp "$deb" "$root/tmp/"

# The script run inside: fixed text, the only value in it the package's
# file name, passed as an argument.
chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb \
    LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive bash -euo pipefail -c '
deb=$1
cd /tmp
apt-get update -qq
apt-get install -y -qq man-db >/dev/null
echo "pristine: \$ apt-get install ./$deb"
apt-get install -y -qq "./$deb" >/tmp/apt.log 2>&1 || { tail -20 /tmp/apt.log; exit 1; }
dpkg-query -W viperbench fio nbdkit
echo "pristine: \$ viperbench run --scenario randrw_70_30 --runtime 2"
viperbench run --scenario randrw_70_30 --runtime 2
grep -Eq "^[[:space:]]*\"status\":[[:space:]]*\"complete\"" /tmp/results/VM-1/run.json ||
    { echo "pristine: the run is not complete"; exit 1; }
echo "pristine: \$ viperbench run --scenario lat1 --stack guest-before --runtime 2"
viperbench run --scenario lat1 --stack guest-before --runtime 2 --size 16M --collect none >/tmp/guest.txt 2>&1 ||
    { tail -20 /tmp/guest.txt; exit 1; }
grep -Eq "^[[:space:]]*\"status\":[[:space:]]*\"complete\"" /tmp/results/VM-2/run.json ||
    { tail -20 /tmp/guest.txt; echo "pristine: the guest run is not complete"; exit 1; }
grep "^guest " /tmp/guest.txt
viperbench list
echo "pristine: \$ nbdkit --filter=probe memory 1M probe-file=/tmp/pf --run true"
nbdkit --filter=probe memory 1M probe-file=/tmp/pf --run true
[ -s /tmp/pf ] || { echo "pristine: the probe wrote no /tmp/pf"; exit 1; }
viperbench probe /tmp/pf
for m in viperbench nbdkit-probe-filter nbdkit-blockstore-plugin; do
    MANWIDTH=80 man "$m" >/tmp/man.txt 2>/tmp/man.err
    grep -q "^NAME" /tmp/man.txt && [ ! -s /tmp/man.err ] || { cat /tmp/man.err; echo "pristine: man $m"; exit 1; }
    echo "pristine: man $m: $(sed -n "/^NAME/{n;s/^ *//;p;q}" /tmp/man.txt)"
done
viperbench run -h | head -1
echo "pristine: PASS"
' pristine "$(basename "$deb")"
