#!/usr/bin/env bash
# test-progress.sh: on a terminal each layer shows a line while fio runs
# (seconds of the window, fio's own IOPS from its status output); off a
# terminal nothing of it is printed; fio's status never reaches the
# record (its fio.stderr).
# Run alone: tests/test-progress.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit jq script

args=(run --scenario randrw_70_30 --stack "$top/scenarios/stacks/default.json"
      --scenarios "$top/scenarios" --layers nbd-unix --runtime 5 --size 16M
      --collect none --no-report)
# On a terminal (script(1) gives the runner a pty).
script -qec "$(printf '%q ' "$VIPERBENCH" "${args[@]}" --results "$TMPDIR/tty")" \
    "$TMPDIR/typescript" >/dev/null 2>&1 || { cat "$TMPDIR/typescript"; fail "the run on a terminal"; }
grep -aq $'\r\033\\[K  nbd-unix: [1-5] of 5 s, r=[0-9.]*[kM]\\?,w=[0-9.]*[kM]\\? IOPS' "$TMPDIR/typescript" ||
    { cat -v "$TMPDIR/typescript"; fail "no progress line with fio's IOPS on a terminal"; }
echo "ok: a progress line with fio's IOPS on a terminal"
# Off a terminal: none.
"$VIPERBENCH" "${args[@]}" --results "$TMPDIR/file" >"$TMPDIR/out" 2>&1 ||
    { cat "$TMPDIR/out"; fail "the run off a terminal"; }
grep -aq $'\r\\|\033\\[K\\| of 5 s' "$TMPDIR/out" && { cat -v "$TMPDIR/out"; fail "progress off a terminal"; }
for r in "$TMPDIR/tty/VM-1" "$TMPDIR/file/VM-1"; do
    [ "$(jq -r .status "$r/run.json")" = complete ] || fail "$r: not complete"
    grep -q 'Jobs:' "$r/nbd-unix/fio.stderr" && fail "fio's status reached $r/nbd-unix/fio.stderr"
done
echo "ok: nothing off a terminal; fio's status kept out of the record"
