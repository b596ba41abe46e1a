#!/usr/bin/env bash
# test-install.sh: `make install DESTDIR= PREFIX=` installs the engine, and
# each documented way of naming it loads into Debian's fio:
# external:/abs/path, external:viper (cwd + LD_LIBRARY_PATH), and
# --ioengine=viper with LD_LIBRARY_PATH.  The installed runner runs a
# ladder from a directory outside any checkout, with its own scenarios,
# stacks, engine and probe filters; the filter and the plugin are where
# nbdkit looks (its --dump-config) and load there; the three manual
# pages render; bash completion completes commands, options and
# scenarios; `make uninstall` leaves no file behind.
# Run alone: tests/test-install.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit jq man nbdcopy

dest=$TMPDIR/dest
make -s -C "$top" install DESTDIR="$dest" PREFIX=/usr >/dev/null ||
    fail "make install"
lib=$dest/usr/lib/fio
[ -f "$lib/viper" ] || fail "no $lib/viper"

job=(--uri='plugin:memory?size=8M' --name=t --rw=randrw --bs=4k --size=8M
     --verify=crc32c --verify_state_save=0)
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

# The runner, from outside any checkout.
vb=$dest/usr/bin/viperbench
mkdir -p "$TMPDIR/elsewhere"
cd "$TMPDIR/elsewhere"
"$vb" run --scenario randrw_70_30 --stack default --layers host,nbd-unix \
    --runtime 1 --size 16M --collect none --results "$TMPDIR/res" >"$TMPDIR/run.txt" 2>&1 ||
    { cat "$TMPDIR/run.txt"; fail "the installed runner's ladder"; }
rj=$TMPDIR/res/VM-1/run.json
installed_run_ok "$rj" "$dest" installed
[ "$(jq -r .stack.file "$rj")" = "$dest/usr/share/viperbench/stacks/default.json" ] ||
    fail "the installed run's stack: $(jq -r .stack.file "$rj")"
[ ! -e "$TMPDIR/elsewhere/results" ] || fail "the installed runner wrote into the current directory"
echo "ok: the installed runner ran a ladder from $TMPDIR/elsewhere"

# The filter and the plugin where nbdkit looks.
fdir=$(nbdkit --dump-config | sed -n 's/^filterdir=//p')
pdir=$(nbdkit --dump-config | sed -n 's/^plugindir=//p')
[ -f "$dest$fdir/nbdkit-probe-filter.so" ] && [ -f "$dest$pdir/nbdkit-blockstore-plugin.so" ] ||
    fail "no filter or plugin in nbdkit's directories under $dest"
nbdkit -U - --filter="$dest$fdir/nbdkit-probe-filter.so" memory 1M \
    probe-file="$TMPDIR/pf" --run 'nbdcopy "$uri" - >/dev/null' || fail "nbdkit with the installed filter"
"$vb" probe "$TMPDIR/pf" | grep -q '^read ' || fail "the installed filter counted no read"
nbdkit --dump-plugin "$dest$pdir/nbdkit-blockstore-plugin.so" | grep -q '^name=blockstore' ||
    fail "the installed plugin does not load"
echo "ok: the filter and the plugin load from nbdkit's directories"

# Manual pages and completion.
for m in viperbench nbdkit-probe-filter nbdkit-blockstore-plugin; do
    page=$dest/usr/share/man/man1/$m.1
    MANWIDTH=80 man -l "$page" 2>"$TMPDIR/man.err" >"$TMPDIR/man.txt" || fail "man $m"
    grep -q '^NAME' "$TMPDIR/man.txt" && [ ! -s "$TMPDIR/man.err" ] ||
        { cat "$TMPDIR/man.err"; fail "man $m does not render"; }
done
MANWIDTH=80 man -l "$dest/usr/share/man/man1/viperbench.1" >"$TMPDIR/man.txt" 2>/dev/null
for c in run sweep gate list note rm; do
    grep -q "viperbench $c" "$TMPDIR/man.txt" || fail "viperbench(1) lacks $c"
done
grep -q -- '--candidate-stack FILE' "$TMPDIR/man.txt" || fail "viperbench(1) lacks the gate's options"
complete_words() {   # WORDS...: what completion offers for the last one
    bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _viperbench; printf "%s\n" "${COMPREPLY[@]}"' \
        _ "$dest/usr/share/bash-completion/completions/viperbench" "$@"
}
complete_words "$vb" li | grep -qx list || fail "completion: commands"
complete_words "$vb" run --sce | grep -qx -- --scenario || fail "completion: options"
complete_words "$vb" run --scenario randrw_7 | grep -qx randrw_70_30 || fail "completion: scenarios"
complete_words "$vb" rm --results "$TMPDIR/res" V | grep -qx VM-1 || fail "completion: record ids"
echo "ok: man pages render; completion offers commands, options, scenarios, records"

# Uninstall: nothing left.
make -s -C "$top" uninstall DESTDIR="$dest" PREFIX=/usr >/dev/null || fail "make uninstall"
left=$(find "$dest" -not -type d)
[ -z "$left" ] || fail "left after uninstall: $left"
echo "ok: make uninstall leaves no file"
