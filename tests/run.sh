#!/usr/bin/env bash
# run.sh: run viperbench's test suite and report each test as pass, fail,
# skip (exit 77) or timeout, ending with "N passed, N failed, N skipped".
#
# Usage: tests/run.sh [TEST...]     (default: every unit test and tests/test-*.sh)
# TEST_TIMEOUT (seconds, default 300) bounds each test (one whose script
# has a line "# timeout: SECONDS" gets that); VIPER_BUILD picks
# the build tree (build, build/address, build/undefined).  Logs of failed
# tests are printed; all logs stay in build/test-logs/.  Each test's
# stdin is /dev/null (test-runner-ladder closes it for the runner).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
logs=build/test-logs
mkdir -p "$logs"
limit=${TEST_TIMEOUT:-300}

if [ $# -gt 0 ]; then
    tests=("$@")
else
    tests=("${VIPER_BUILD:-build}"/tests/unit/test_* tests/test-*.sh)
fi

pass=0 fail=0 skipped=0 failed_names=()
for t in "${tests[@]}"; do
    case "$t" in *.o|*.d) continue ;; esac
    [ -x "$t" ] || { echo "not executable: $t" >&2; fail=$((fail + 1)); continue; }
    name=$(basename "$t")
    log=$logs/$name.log
    start=$(date +%s)
    # No test reads a terminal, and nbdkit, which the tests also start
    # directly, refuses to start without a stdin (CI gives none).
    # A test that needs longer says so in a line "# timeout: SECONDS".
    own=$(sed -n 's/^# timeout: \([0-9][0-9]*\)$/\1/p' "$t" 2>/dev/null | head -n 1)
    timeout -k 10 "${own:-$limit}" "$t" </dev/null >"$log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    case $rc in
    0)  echo "PASS     $name (${secs}s)"; pass=$((pass + 1)) ;;
    77) echo "SKIP     $name: $(grep -m1 '^SKIP' "$log" | sed 's/^SKIP: //')"
        skipped=$((skipped + 1)) ;;
    124|137)
        echo "TIMEOUT  $name (over ${own:-$limit}s)"; fail=$((fail + 1))
        failed_names+=("$name") ;;
    *)  echo "FAIL     $name (exit $rc, ${secs}s)"; fail=$((fail + 1))
        failed_names+=("$name")
        sed 's/^/    | /' "$log" | tail -40 ;;
    esac
done

if [ ${#failed_names[@]} -gt 0 ]; then
    echo "failed: ${failed_names[*]}"
fi
echo "$pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]
