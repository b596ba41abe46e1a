#!/usr/bin/env bash
# test-help.sh: every command answers for itself as fio and git users
# expect, and its help names exactly what its parser takes.
# - `viperbench CMD --help`, `CMD -h` and `viperbench help CMD`: exit 0,
#   the same text, "usage: viperbench CMD", no line over 79 columns.
# - Every option the help lists is one the parser takes (the table is
#   the source of both): none of them is "unknown".
# - An unknown option: exit 2 in the tool's words ("viperbench CMD:
#   unknown option"), with the nearest for a typo and where help is;
#   an option given a value it does not take, one missing its value.
# - An unknown command, scenario or layer: exit 2 with the valid names
#   and the nearest; -V and --version; --runtime abc in the runner's
#   own spelling.
# Run alone: tests/test-help.sh
. "$(dirname "$0")/functions.sh"

cd "$TMPDIR"
cmds=$("$VIPERBENCH" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
[ "$(echo "$cmds" | wc -l)" -ge 11 ] || fail "the global help lists too few commands: $cmds"
for c in $cmds; do
    "$VIPERBENCH" "$c" --help >"$c.long" 2>&1 || fail "$c --help: exit $?"
    "$VIPERBENCH" "$c" -h >"$c.short" 2>&1 || fail "$c -h: exit $?"
    "$VIPERBENCH" help "$c" >"$c.help" 2>&1 || fail "help $c: exit $?"
    cmp -s "$c.long" "$c.short" && cmp -s "$c.long" "$c.help" ||
        fail "$c: --help, -h and help $c differ"
    head -1 "$c.long" | grep -q "^usage: viperbench $c\( \|$\)" ||
        fail "$c --help: $(head -1 "$c.long")"
    awk 'length > 79 { exit 1 }' "$c.long" || fail "$c --help has lines over 79 columns"
    # Each listed option, given a value when it takes one: never unknown.
    opts=$(sed -n 's/^  \(--[a-z][a-z0-9-]*\)\( [^ ]*\)\?  .*/\1\2/p' "$c.long")
    n=0
    while read -r opt arg; do
        [ -n "$opt" ] || continue
        n=$((n + 1))
        if [ -n "$arg" ]; then set -- "$opt" x; else set -- "$opt"; fi
        timeout 20 "$VIPERBENCH" "$c" "$@" >"$c.opt" 2>&1 </dev/null
        grep -q "unknown option\|unrecognized\|invalid option" "$c.opt" &&
            { cat "$c.opt"; fail "$c lists $opt but its parser does not take it"; }
    done <<<"$opts"
    grep -q '^  -h, --help' "$c.long" || fail "$c --help does not list -h"
    # A bogus option, a typo of a real one.
    "$VIPERBENCH" "$c" --zzz-nope >"$c.bad" 2>&1; rc=$?
    [ $rc -eq 2 ] && grep -q "^viperbench $c: unknown option '--zzz-nope'; see 'viperbench $c --help'" "$c.bad" ||
        { cat "$c.bad"; fail "$c --zzz-nope: exit $rc"; }
    first=$(echo "$opts" | awk 'NF { print $1; exit }')
    if [ -n "$first" ] && [ ${#first} -gt 6 ]; then
        typo=${first%?}x        # the last letter wrong
        "$VIPERBENCH" "$c" "$typo" >"$c.typo" 2>&1
        grep -q "unknown option '$typo' (did you mean $first?)" "$c.typo" ||
            { cat "$c.typo"; fail "$c $typo: no nearest option"; }
    fi
    echo "ok: $c: help three ways, $n options all parsed"
done

# Values: one not taken, one missing.
"$VIPERBENCH" run --no-report=1 >o 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "^viperbench run: option '--no-report' takes no value" o ||
    { cat o; fail "--no-report=1: exit $rc"; }
"$VIPERBENCH" run --scenario >o 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "^viperbench run: --scenario needs a value (NAME)" o ||
    { cat o; fail "--scenario without a value: exit $rc"; }

# Commands, scenarios and layers by name.
"$VIPERBENCH" lst >o 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "unknown command 'lst' (did you mean 'list'?); the commands: run, sweep" o ||
    { cat o; fail "unknown command: exit $rc"; }
"$VIPERBENCH" help frobnicate >o 2>&1 && fail "help of an unknown command succeeded"
grep -q "unknown command 'frobnicate'; the commands:" o || { cat o; fail "help frobnicate"; }
"$VIPERBENCH" -V | grep -q '^viperbench [0-9]' || fail "-V"
[ "$("$VIPERBENCH" -V)" = "$("$VIPERBENCH" --version)" ] || fail "-V and --version differ"
cd "$top"
"$VIPERBENCH" run --scenario randrw_70_3 --results "$TMPDIR/r" >"$TMPDIR/o" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "unknown scenario 'randrw_70_3' (did you mean 'randrw_70_30'?): scenarios has .*lat1" "$TMPDIR/o" ||
    { cat "$TMPDIR/o"; fail "a scenario typo: exit $rc"; }
"$VIPERBENCH" run --scenario lat1 --layers hots --results "$TMPDIR/r" >"$TMPDIR/o" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "'hots' is not a layer of stack .* (did you mean 'host'?); its layers: host, direct" "$TMPDIR/o" ||
    { cat "$TMPDIR/o"; fail "a layer typo: exit $rc"; }
"$VIPERBENCH" run --scenario lat1 --runtime abc --results "$TMPDIR/r" >"$TMPDIR/o" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "^viperbench: --runtime 'abc': expected seconds" "$TMPDIR/o" ||
    { cat "$TMPDIR/o"; fail "--runtime abc: exit $rc"; }
[ ! -e "$TMPDIR/r" ] || [ -z "$(ls "$TMPDIR/r")" ] || fail "a record was made for bad input"
echo "ok: unknown commands, scenarios and layers name the valid ones and the nearest"
