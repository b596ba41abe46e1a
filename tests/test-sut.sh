#!/usr/bin/env bash
# test-sut.sh: the record keeps the system under test's identity.
# - A stack naming a git work tree (changed since its commit), a file
#   and a command: run.json's system_under_test has git describe with
#   -dirty and dirty true, the file's SHA-256 (as sha256sum says), the
#   command's first line; the plugin found as nbdkit finds it (memory:
#   nbdkit's plugin directory) with its SHA-256 and GNU build-id (as
#   sha256sum and readelf -n say); "id" is the git description, and
#   report.md and viperbench list show it.  versions.git_describe is the
#   harness's own.
# - A git path that is no work tree, a command that prints nothing, an
#   unknown key: exit 2 naming the key, no record.
# Run alone: tests/test-sut.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit jq git readelf

repo=$TMPDIR/plugin-src
git init -q "$repo"
echo v1 >"$repo/plugin.c"
git -C "$repo" -c user.name=t -c user.email=t@t add plugin.c
git -C "$repo" -c user.name=t -c user.email=t@t commit -q -m one
git -C "$repo" tag v1.0
echo v2 >>"$repo/plugin.c"      # changed: dirty
printf 'qemu flags: iothread=on\n' >"$TMPDIR/flags.txt"
write_stack "$TMPDIR/s.json" '["nbd-unix"]' \
  "\"system_under_test\": { \"git\": \"$repo\", \"file\": \"$TMPDIR/flags.txt\",
     \"command\": [\"sh\", \"-c\", \"echo nbdkit-build 42; echo second\"] }"
run_bench --scenario randrw_70_30 --stack "$TMPDIR/s.json" --runtime 1 --size 16M \
    --collect none >"$TMPDIR/out" 2>&1 || { cat "$TMPDIR/out"; fail "the run"; }
rec=$(sed -n 's|^record: \(.*\)/run.json$|\1|p' "$TMPDIR/out")
j() { jq -r "$1" "$rec/run.json"; }
[ "$(j .system_under_test.git.describe)" = v1.0-dirty ] || fail "git describe: $(j .system_under_test.git.describe)"
[ "$(j .system_under_test.git.dirty)" = true ] || fail "git dirty"
[ "$(j .system_under_test.git.rev)" = "$(git -C "$repo" rev-parse HEAD)" ] || fail "git rev"
[ "$(j .system_under_test.file.sha256)" = "$(sha256sum "$TMPDIR/flags.txt" | cut -d' ' -f1)" ] ||
    fail "the file's sha256"
[ "$(j .system_under_test.command.output)" = "nbdkit-build 42" ] || fail "the command's line"
pdir=$(nbdkit --dump-config | sed -n 's/^plugindir=//p')
so=$pdir/nbdkit-memory-plugin.so
[ "$(j .system_under_test.plugin.path)" = "$so" ] || fail "plugin path: $(j .system_under_test.plugin.path)"
[ "$(j .system_under_test.plugin.sha256)" = "$(sha256sum "$so" | cut -d' ' -f1)" ] || fail "plugin sha256"
bid=$(readelf -n "$so" | sed -n 's/.*Build ID: //p')
[ -n "$bid" ] && [ "$(j .system_under_test.plugin.build_id)" = "$bid" ] ||
    fail "plugin build-id: $(j .system_under_test.plugin.build_id), readelf: $bid"
[ "$(j .system_under_test.id)" = v1.0-dirty ] || fail "id"
grep -q '^- system under test: v1.0-dirty$' "$rec/report.md" || fail "report.md does not say it"
"$VIPERBENCH" list --results "$(dirname "$rec")" | grep -q " v1.0-dirty\( \|$\)" || fail "list does not show it"
[ "$(j .versions.git_describe)" = "$(git -C "$top" describe --always --dirty)" ] ||
    fail "the harness's describe: $(j .versions.git_describe)"
echo "ok: git, file, command, plugin (sha256, build-id) identified; report and list show it"

before=$(ls "$TMPDIR/results" | wc -l)
bad() {   # WHAT PATTERN SUT-JSON
    write_stack "$TMPDIR/b.json" '["nbd-unix"]' "\"system_under_test\": $3"
    run_bench --scenario randrw_70_30 --stack "$TMPDIR/b.json" --runtime 1 --size 16M \
        --collect none >"$TMPDIR/o" 2>&1; rc=$?
    [ $rc -eq 2 ] && grep -q -- "$2" "$TMPDIR/o" || { cat "$TMPDIR/o"; fail "$1: exit $rc"; }
}
bad "no work tree" "system_under_test.git: $TMPDIR is not a git work tree" "{ \"git\": \"$TMPDIR\" }"
bad "a silent command" "system_under_test.command: true printed nothing" '{ "command": ["true"] }'
bad "an unknown key" "svn.*unknown key" '{ "svn": "x" }'
bad "not an object" "system_under_test.*expected an object" '"v1"'
[ "$(ls "$TMPDIR/results" | wc -l)" -eq "$before" ] || fail "a record for bad input"
echo "ok: a path that is no work tree, a silent command, an unknown key: exit 2, no record"
