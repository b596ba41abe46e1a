#!/usr/bin/env bash
# test-install.sh: `make install DESTDIR= PREFIX=` installs the engine, and
# each documented way of naming it loads into Debian's fio:
# external:/abs/path, external:viper (cwd + LD_LIBRARY_PATH), and
# --ioengine=viper with LD_LIBRARY_PATH.
# Run alone: tests/test-install.sh
. "$(dirname "$0")/functions.sh"

dest=$TMPDIR/dest
make -s -C "$top" install DESTDIR="$dest" PREFIX=/usr >/dev/null ||
    fail "make install"
lib=$dest/usr/lib/fio
[ -f "$lib/viper" ] || fail "no $lib/viper"

job=(--uri='plugin:memory?size=8M' --name=t --rw=randrw --bs=4k --size=8M
     --verify=crc32c)
check() {
    local label=$1; shift
    "$@" "${job[@]}" >"$TMPDIR/o.txt" 2>&1 ||
        { cat "$TMPDIR/o.txt"; fail "$label"; }
    grep -q "err= 0" "$TMPDIR/o.txt" || fail "$label: no clean job"
    echo "ok: $label"
}
check "external:/abs/path" "${FIO_ENV[@]}" "$FIO" --ioengine="external:$lib/viper"
cd "$lib"
check "external:viper" env LD_LIBRARY_PATH="$lib" "${FIO_ENV[@]}" "$FIO" --ioengine=external:viper
cd "$TMPDIR"
check "--ioengine=viper" env LD_LIBRARY_PATH="$lib" "${FIO_ENV[@]}" "$FIO" --ioengine=viper
