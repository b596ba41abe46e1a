#!/bin/sh
# deb.sh: build viperbench's Debian package with Debian's own tools
# (dpkg-buildpackage, debhelper, debian/ in this tree) on a copy of the
# tree in OUT/viperbench-VERSION, so that what dpkg-buildpackage writes
# beside its tree (the .deb, .buildinfo, .changes) lands in OUT, never
# beside this checkout.  The copy shares this tree's fetched sources
# (build/src: fio's source, the guest's kernel; build/web: the pages'
# scripts) by symbolic links, so the package build fetches nothing.
#
# Usage: common/deb.sh OUT        (make deb: OUT is build/deb)
set -eu
out=${1:?usage: deb.sh OUT}
top=$(pwd)
[ -f debian/changelog ] && [ -f common/internal.h ] || {
    echo "deb.sh: run from the top of viperbench's tree" >&2; exit 2; }
for t in dpkg-buildpackage dpkg-parsechangelog dh; do
    command -v "$t" >/dev/null || {
        echo "deb.sh: no $t (packages dpkg-dev, debhelper; make installs them)" >&2; exit 1; }
done

# One version: the changelog's must be the one viperbench -V prints.
ver=$(dpkg-parsechangelog -S Version)
src_ver=$(sed -n 's/^#define VIPERBENCH_VERSION "\(.*\)"$/\1/p' common/internal.h)
[ "$ver" = "$src_ver" ] || {
    echo "deb.sh: debian/changelog says $ver, common/internal.h says $src_ver: add a changelog entry (dch -v $src_ver)" >&2
    exit 1; }

case $out in /*) ;; *) out=$top/$out ;; esac
rm -rf "$out"
tree=$out/viperbench-$ver
mkdir -p "$tree/build"

# The tree as git knows it (tracked files and new ones not ignored, as
# they are in the working tree); outside a checkout, all but build/,
# results/ and .git.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard |
        tar -c --null --no-recursion --ignore-failed-read -T - -f - 2>/dev/null |
        tar -x -C "$tree" -f -
else
    tar -c --exclude=./build --exclude=./results --exclude=./.git -f - . |
        tar -x -C "$tree" -f -
fi
for d in src web; do
    [ -d "build/$d" ] && ln -s "$top/build/$d" "$tree/build/$d"
done

log=$out/dpkg-buildpackage.log
echo "  DEB     $out (log: $log)"
# The package is built as debian/rules says, whatever make this runs
# under: no SANITIZER=, V= or other variable of a calling make reaches it.
if ! (cd "$tree" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SANITIZER \
        -u WERROR dpkg-buildpackage -b -us -uc) >"$log" 2>&1; then
    tail -25 "$log" >&2
    echo "deb.sh: dpkg-buildpackage failed (whole log: $log)" >&2
    exit 1
fi
deb=$(ls "$out"/viperbench_"$ver"_*.deb)
echo "  DEB     $deb"
