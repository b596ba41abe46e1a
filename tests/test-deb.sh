#!/usr/bin/env bash
# test-deb.sh: `make deb` builds the Debian package with Debian's tools,
# beside nothing but its own output directory, and the package is what
# it says: its version is the runner's; it depends on the fio and the
# nbdkit it was built against (the engine and the filter load into no
# other), on libnbd, gnuplot and qemu-nbd (a layer of the default
# ladder), recommends QEMU, nginx and perf; apt
# accepts it here (every dependency resolves); lintian finds no error or
# warning; unpacked, its runner runs a ladder from outside any checkout
# with its own engine, filter and scenarios, nbdkit loads its filter and
# plugin, and its manual pages render.  A changelog that disagrees with
# the runner's version stops the build, naming both.
# The same package installed by apt in a pristine Debian root:
# make check-deb (tests/pristine-deb.sh).
. "$(dirname "$0")/functions.sh"
requires dpkg-buildpackage dh lintian nbdkit jq man nbdcopy

out=$TMPDIR/deb
make -s -C "$top" deb DEB_OUT="$out" >"$TMPDIR/make.txt" 2>&1 ||
    { cat "$TMPDIR/make.txt"; fail "make deb"; }
ver=$("$top/build/viperbench" -V | awk '{print $2}')
deb=$out/viperbench_${ver}_amd64.deb
[ -f "$deb" ] || { ls "$out"; fail "no $deb"; }
for f in "$out"/*; do
    case $(basename "$f") in
    viperbench-"$ver"|viperbench_"$ver"_amd64.*|viperbench-dbgsym_"$ver"_amd64.deb|dpkg-buildpackage.log) ;;
    *) fail "make deb left $f" ;;
    esac
done
echo "ok: make deb built $deb"

# What the package says of itself.
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = viperbench ] && [ "$(field Version)" = "$ver" ] ||
    fail "package $(field Package) $(field Version), runner $ver"
fio_up=$(dpkg-query -W -f='${Version}' fio | sed 's/^[0-9]*://; s/-[^-]*$//')
nbdkit_up=$(nbdkit --version | awk '{print $2}')
deps=$(field Depends)
for want in "fio (>= $fio_up)" "fio (<< $fio_up.~)" "nbdkit (>= $nbdkit_up)" \
            "nbdkit (<< $nbdkit_up.~)" "libnbd0" "gnuplot-nox | gnuplot" "libcjson1" \
            "qemu-utils"; do
    case ", $deps," in *", $want"[,\ ]*) ;; *) fail "Depends lacks '$want': $deps" ;; esac
done
for want in qemu-system-x86 nginx linux-perf; do
    case ", $(field Recommends)," in *", $want,"*) ;; *) fail "Recommends lacks $want: $(field Recommends)" ;; esac
done
apt-get install --simulate "$deb" >"$TMPDIR/apt.txt" 2>&1 ||
    { cat "$TMPDIR/apt.txt"; fail "apt does not accept the package here"; }
echo "ok: the package depends on fio $fio_up and nbdkit $nbdkit_up, and apt accepts it"

lintian --fail-on error,warning "$out/viperbench_${ver}_amd64.changes" >"$TMPDIR/lintian.txt" 2>&1 ||
    { cat "$TMPDIR/lintian.txt"; fail "lintian"; }
echo "ok: lintian finds no error or warning"

# Unpacked: the runner, the engine, the filter, the plugin, the pages.
root=$TMPDIR/root
dpkg-deb -x "$deb" "$root"
fdir=$(nbdkit --dump-config | sed -n 's/^filterdir=//p')
pdir=$(nbdkit --dump-config | sed -n 's/^plugindir=//p')
for f in usr/bin/viperbench usr/lib/fio/viper "${fdir#/}/nbdkit-probe-filter.so" \
         "${pdir#/}/nbdkit-blockstore-plugin.so" usr/lib/viperbench/guest/vmlinuz \
         usr/lib/viperbench/guest/initramfs.cpio usr/share/viperbench/scenarios/randrw_70_30.fio \
         usr/share/viperbench/stacks/default.json usr/share/man/man1/viperbench.1.gz \
         usr/share/man/man1/nbdkit-probe-filter.1.gz usr/share/bash-completion/completions/viperbench; do
    [ -e "$root/$f" ] || fail "the package lacks /$f"
done
vb=$root/usr/bin/viperbench
# Built as debian/rules says, whatever make ran this (make check
# SANITIZER=address passes its variables down in MAKEFLAGS).
for f in "$vb" "$root/usr/lib/fio/viper"; do
    ! nm -D "$f" 2>/dev/null | grep -q ' U __\(asan\|ubsan\)_' || fail "the package's $f is built with a sanitizer"
done
[ "$("$vb" -V)" = "$("$top/build/viperbench" -V)" ] || fail "the packaged runner's version: $("$vb" -V)"
mkdir -p "$TMPDIR/elsewhere"
cd "$TMPDIR/elsewhere"
"$vb" run --scenario randrw_70_30 --layers host,nbd-unix --runtime 1 --size 16M \
    --collect none >"$TMPDIR/run.txt" 2>&1 || { cat "$TMPDIR/run.txt"; fail "the packaged runner's ladder"; }
rj=$TMPDIR/elsewhere/results/VM-1/run.json
installed_run_ok "$rj" "$root" packaged
echo "ok: the packaged runner ran a ladder from $TMPDIR/elsewhere"
nbdkit -U - --filter="$root$fdir/nbdkit-probe-filter.so" memory 1M probe-file="$TMPDIR/pf" \
    --run 'nbdcopy "$uri" - >/dev/null' || fail "nbdkit with the package's filter"
"$vb" probe "$TMPDIR/pf" | grep -q '^read ' || fail "the package's filter counted no read"
nbdkit --dump-plugin "$root$pdir/nbdkit-blockstore-plugin.so" | grep -q '^name=blockstore' ||
    fail "the package's plugin does not load"
for m in viperbench nbdkit-probe-filter nbdkit-blockstore-plugin; do
    MANWIDTH=80 man -l "$root/usr/share/man/man1/$m.1.gz" >"$TMPDIR/man.txt" 2>"$TMPDIR/man.err" &&
        grep -q '^NAME' "$TMPDIR/man.txt" && [ ! -s "$TMPDIR/man.err" ] ||
        { cat "$TMPDIR/man.err"; fail "the package's $m(1) does not render"; }
done
echo "ok: nbdkit loads the package's filter and plugin; its pages render"

# A changelog behind the runner's version stops the build before it
# copies anything, naming both versions.
fake=$TMPDIR/fake
mkdir -p "$fake/common" "$fake/debian"
cp "$top/debian/changelog" "$fake/debian/"
sed 's/^#define VIPERBENCH_VERSION .*/#define VIPERBENCH_VERSION "9.9.9"/' \
    "$top/common/internal.h" >"$fake/common/internal.h"
(cd "$fake" && sh "$top/common/deb.sh" "$fake/out") >"$TMPDIR/v.txt" 2>&1 &&
    fail "deb.sh built with a changelog behind the runner"
grep -q "debian/changelog says $ver, common/internal.h says 9.9.9" "$TMPDIR/v.txt" ||
    { cat "$TMPDIR/v.txt"; fail "the version mismatch's message"; }
[ ! -e "$fake/out" ] || fail "deb.sh made its output before refusing"
echo "ok: a changelog behind the runner's version is refused"
echo PASS
