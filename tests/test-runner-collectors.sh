#!/usr/bin/env bash
# test-runner-collectors.sh: the collectors on real runs against nbdkit.
# - perf: the server's profile exists, its folded stacks parse, and they
#   reach into nbdkit and the memory plugin's .so.
# - cpu: CPU per I/O is positive and equals total CPU / total I/Os, with
#   the I/O count fio reported.
# - counters: software events counted; an event the machine refuses is
#   listed as refused, never reported as a number.
# - disk: the host layer's device statistics.
# - COLLECT=none records none; an unknown collector is bad input; a
#   missing perf disables perf and counters with a warning, the run
#   completes.
# Run alone: tests/test-runner-collectors.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit perf jq

write_stack "$TMPDIR/s.json" '["host", "direct", "nbd-unix"]'
run_bench --scenario randrw_70_30 --stack "$TMPDIR/s.json" --runtime 3 \
    --size 32M --collect all >"$TMPDIR/out.txt" 2>&1 ||
    { cat "$TMPDIR/out.txt"; fail "run failed"; }
rec=$TMPDIR/results/VM-1
j() { jq -r "$1" "$rec/run.json"; }
[ "$(j '.collectors.enabled | join(",")')" = "cpu,counters,disk,resources,perf" ] ||
    fail "enabled: $(j .collectors)"

# perf
t='.targets[] | select(.name=="nbd-unix") | .collectors.perf'
[ "$(j "$t.processes[] | select(.role==\"nbdkit\") | .samples")" -gt 50 ] ||
    fail "nbdkit profile has too few samples"
[ "$(j "$t.processes[] | select(.role==\"fio\") | .samples")" -gt 50 ] ||
    fail "fio profile has too few samples"
folded=$rec/nbd-unix/perf.folded
[ -s "$folded" ] || fail "no perf.folded"
awk '$NF !~ /^[0-9]+$/ || $1 !~ /^(fio|nbdkit);/ { bad++ } END { exit bad > 0 }' \
    "$folded" || fail "perf.folded lines are not 'role;frames count'"
grep -q '^nbdkit;.*\[nbdkit\]' "$folded" || fail "no nbdkit frames in its profile"
grep -q '^nbdkit;.*\[nbdkit-memory-plugin.so\]' "$folded" ||
    fail "no memory plugin frames in nbdkit's profile"
grep -q '^fio;.*\[nbdkit-memory-plugin.so\]' "$rec/direct/perf.folded" ||
    fail "the direct layer's fio profile does not reach the plugin"
pct=$(j "$t.processes[] | select(.role==\"nbdkit\") | .top_self[0].self_pct")
awk -v v="$pct" 'BEGIN { exit !(v > 0 && v <= 100) }' || fail "top self_pct $pct"
echo "perf: ok"

# cpu
for layer in host direct nbd-unix; do
    f=$rec/$layer/fio.json
    all=$(json_get "$f" '.jobs[0].read.total_ios + .jobs[0].write.total_ios')
    rate=$(json_get "$f" '.jobs[0].read.iops + .jobs[0].write.iops')
    c=".targets[] | select(.name==\"$layer\") | .collectors.cpu"
    # The window's I/Os: fio's IOPS times the window, at most all of them
    # (the window opens after fio's start-up), and most of them.
    ios=$(j "$c.ios") win=$(j "$c.window_s")
    awk -v n="$ios" -v a="$all" -v r="$rate" -v w="$win" 'BEGIN {
        want = r * w; if (want > a) want = a; d = n - want; if (d < 0) d = -d
        exit !(n > a / 2 && n <= a && d <= 1) }' ||
        fail "$layer: cpu ios $ios != fio's $rate IOPS x $win s (of $all)"
    for role in $(j "$c.processes[].role"); do
        p="$c.processes[] | select(.role==\"$role\")"
        cpu=$(j "$p.cpu_s") per=$(j "$p.cpu_us_per_io")
        awk -v c="$cpu" -v p="$per" -v n="$ios" 'BEGIN {
            want = c * 1e6 / n; d = p - want; if (d < 0) d = -d
            exit !(p > 0 && d <= 1e-6 * want) }' ||
            fail "$layer $role: cpu_us_per_io $per != $cpu s / $ios I/Os"
        echo "cpu: $layer $role ${per} us/IO"
    done
done
[ "$(j '.targets[] | select(.name=="nbd-unix") | [.collectors.cpu.processes[].role] | join(",")')" = fio,nbdkit ] ||
    fail "nbd-unix cpu roles"

# counters
c='.targets[] | select(.name=="nbd-unix") | .collectors.counters.processes[] | select(.role=="nbdkit")'
[ "$(j "$c.counted[\"task-clock\"].value")" != null ] || fail "task-clock not counted"
for ev in $(j "$c.refused[].event"); do
    [ "$(j "$c.counted[\"$ev\"]")" = null ] || fail "$ev is refused and counted"
done
n=$(j "[$c | ((.counted | keys[]), .refused[].event)] | length")
[ "$n" -eq 8 ] || fail "events: $n of 8 accounted for"
echo "counters: ok ($(j "[$c.refused[].event] | join(\",\")") refused)"

# disk
d='.targets[] | select(.name=="host") | .collectors.disk'
[ "$(j "$d.device")" != null ] || fail "no disk device"
[ "$(j "$d | .reads + .writes")" -gt 0 ] || fail "no disk I/O counted"
[ "$(j '.targets[] | select(.name=="direct") | .collectors.disk')" = null ] ||
    fail "disk stats for a non-host layer"
echo "disk: ok"

# COLLECT=none, unknown, and perf missing.
write_stack "$TMPDIR/d.json" '["direct"]'
run_bench --scenario lat1 --stack "$TMPDIR/d.json" --runtime 1 \
    --collect none >"$TMPDIR/none.txt" 2>&1 || { cat "$TMPDIR/none.txt"; fail "COLLECT=none run"; }
[ "$(jq -r '.targets[0].collectors' "$TMPDIR/results/VM-2/run.json")" = null ] ||
    fail "COLLECT=none still collected"
run_bench --scenario lat1 --stack "$TMPDIR/d.json" --collect cpu,bogus \
    >"$TMPDIR/bogus.txt" 2>&1
[ $? -eq 2 ] && grep -q "unknown collector 'bogus'" "$TMPDIR/bogus.txt" ||
    fail "unknown collector not refused"
mkdir "$TMPDIR/bin"
for p in fio nbdkit git; do ln -s "$(command -v $p)" "$TMPDIR/bin/$p"; done
BENCH_PATH=$TMPDIR/bin run_bench --scenario lat1 --stack "$TMPDIR/d.json" \
    --runtime 1 >"$TMPDIR/noperf.txt" 2>&1 ||
    { cat "$TMPDIR/noperf.txt"; fail "run without perf failed"; }
grep -q "collector perf disabled: perf is not installed (Debian package linux-perf" \
    "$TMPDIR/noperf.txt" || fail "no warning for a missing perf"
r=$TMPDIR/results/VM-3/run.json
[ "$(jq -r .status "$r")" = complete ] || fail "run without perf not complete"
[ "$(jq -r '.collectors.enabled | join(",")' "$r")" = "cpu,disk,resources" ] ||
    fail "enabled without perf: $(jq -c .collectors "$r")"
[ "$(jq -r '[.collectors.disabled[].name] | join(",")' "$r")" = "counters,perf" ] ||
    fail "disabled without perf"
echo "collector selection: ok"
no_orphans "perf record"
