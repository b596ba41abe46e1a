#!/usr/bin/env bash
# test-hostile.sh: hostile input is refused or made harmless, one case per
# class (README, "What viperbench promises"):
#   - text from records, scenarios and the command line never becomes
#     gnuplot code, and names that become file names are plain names;
#   - a stack's values never become nbdkit options (keys, options,
#     filters, plugin) nor fio comments or lines (dir with ; # : $);
#   - the stack's directory and its files: nothing planted is followed,
#     nothing the run did not make is overwritten.
# Run alone: tests/run.sh tests/test-hostile.sh
. "$(dirname "$0")/functions.sh"
requires jq gnuplot
cd "$TMPDIR"
R=$TMPDIR/results
mkdir -p "$R"

# --- gnuplot: a hostile scenario name in a record reaches the report's
# charts only as an inert string.
evil="x'; system 'touch PWNED'; \`touch PWNED2\`; @x #"
mkdir -p "$R/VM-1"
jq -n --arg s "$evil" '{schema: "viperbench.run/1", id: "VM-1", description: $s,
  status: "complete", scenario: {name: $s, jobs: 1, iodepth: 1},
  targets: [{name: "host", baseline: true,
    read: {iops: 100, bw_bytes: 409600, total_ios: 1000, ratio_to_host: 1,
           lat_ns: {mean: 1000, p50: 900, p99: 5000, "p99.9": 9000}},
    write: {iops: 50, bw_bytes: 204800, total_ios: 500, ratio_to_host: 1,
            lat_ns: {mean: 2000, p50: 1900, p99: 6000, "p99.9": 9900}}}]}' \
    >"$R/VM-1/run.json"
mkdir -p "$R/VM-1/host"
echo '{"jobs": [{"read": {"lat_ns": {"bins": {"1000": 90, "5000": 10}}},
  "write": {"lat_ns": {"bins": {"2000": 5}}}}]}' >"$R/VM-1/host/fio.json"
"$VIPERBENCH" report --results "$R" VM-1 >out.txt 2>&1 || { cat out.txt; fail "report failed"; }
[ -s "$R/VM-1/charts/iops.svg" ] || fail "no chart drawn"
grep -q "IOPS per layer (x?" "$R/VM-1/charts/iops.svg" || fail "the title is not the escaped name"
[ -z "$(find "$TMPDIR" -name 'PWNED*')" ] || fail "gnuplot ran a command from a scenario name"
echo "ok: a hostile scenario name is an inert chart title"

# A layer name that is not a plain name makes the record malformed for
# every reader: report, history, compare.
jq --arg s "../../x'; system 'touch PWNED' #" '.targets[0].name = $s' \
    "$R/VM-1/run.json" >"$TMPDIR/bad.json"
mkdir -p "$R/VM-2" && cp "$TMPDIR/bad.json" "$R/VM-2/run.json"
"$VIPERBENCH" report --results "$R" VM-2 >out.txt 2>&1
[ $? -eq 2 ] || { cat out.txt; fail "report of a hostile layer name: not exit 2"; }
grep -q "not a plain name" out.txt || fail "no reason given for VM-2"
jq '.scenario.name = "s1"' "$R/VM-1/run.json" >"$R/VM-1/run.json.new" &&
    mv "$R/VM-1/run.json.new" "$R/VM-1/run.json"
jq '.scenario.name = "s1"' "$TMPDIR/bad.json" >"$R/VM-2/run.json"
"$VIPERBENCH" history --results "$R" s1 >out.txt 2>&1 || { cat out.txt; fail "history failed"; }
grep -q "VM-2: no readable run.json, skipped (a target's name is not a plain name)" out.txt ||
    { cat out.txt; fail "history did not skip VM-2 with its reason"; }
[ -z "$(find / -xdev -name 'x.dat' -newer "$R/VM-1/run.json" 2>/dev/null | head -1)" ] ||
    fail "history wrote outside the results directory"
[ -z "$(find "$TMPDIR" -name 'PWNED*')" ] || fail "a command ran"
echo "ok: a hostile layer name is a malformed record, skipped with the reason"

# Names that become file names are refused where they enter.
printf '{"jobs": [{"jobname": "j", "read": {"iops": 1, "bw_bytes": 1, "total_ios": 1, "lat_ns": {"mean": 1}}, "write": {}}]}\n' >fio.json
"$VIPERBENCH" import --results "$R" --layer ../../escape fio.json >out.txt 2>&1
[ $? -eq 2 ] || { cat out.txt; fail "import --layer ../../escape: not exit 2"; }
grep -q "not a plain name" out.txt || fail "import: no reason"
"$VIPERBENCH" import --results "$R" --prefix "a'b" fio.json >/dev/null 2>&1 &&
    fail "import --prefix a'b accepted"
"$VIPERBENCH" history --results "$R" "s1'; system 'touch PWNED'" >/dev/null 2>&1 &&
    fail "history of a hostile scenario name accepted"
mkdir -p scen
printf '[j]\nrw=read\nsize=1M\n' >"scen/$evil.fio"
(cd "$top" && "$VIPERBENCH" run --scenarios "$TMPDIR/scen" --scenario "$evil" \
    --results "$R" --stack scenarios/stacks/memory.json) >out.txt 2>&1
[ $? -eq 2 ] || { cat out.txt; fail "run of a hostile scenario file name: not exit 2"; }
grep -q "is not a plain name" out.txt || { cat out.txt; fail "run: no reason"; }
[ -z "$(find "$TMPDIR" -name 'PWNED*')" ] || fail "a command ran"
[ ! -e "$R/VM-3" ] || fail "a record was claimed"
echo "ok: hostile names refused where they enter"

# --- Stacks: every case is refused before a record is claimed, and the
# precious file is untouched.
requires nbdkit
mkdir -p "$TMPDIR/x"
head -c 1M /dev/urandom >"$TMPDIR/x/precious"
sum=$(md5sum <"$TMPDIR/x/precious")
n=0
# refused JQ-FILTER WANT: the test stack changed by the jq filter is
# refused (exit 2) naming WANT; nothing was claimed, run or changed.
refused() {
    n=$((n + 1))
    write_stack "$TMPDIR/s$n.base" '["host", "direct"]'
    jq "$1" "$TMPDIR/s$n.base" >"$TMPDIR/s$n.json" || fail "jq $1"
    run_bench --scenario lat1 --stack "$TMPDIR/s$n.json" --runtime 1 \
        --collect none >"$TMPDIR/s$n.out" 2>&1
    local rc=$?
    [ $rc -eq 2 ] || { cat "$TMPDIR/s$n.out"; fail "stack $n ($1): exit $rc, not 2"; }
    grep -q -- "$2" "$TMPDIR/s$n.out" || { cat "$TMPDIR/s$n.out"; fail "stack $n ($1): no '$2'"; }
    [ "$(md5sum <"$TMPDIR/x/precious")" = "$sum" ] || fail "stack $n: the precious file changed"
    [ ! -e "$TMPDIR/results/VM-3" ] || fail "stack $n: a record was claimed"
    [ -z "$(find "$TMPDIR" "$top" /tmp -maxdepth 3 -name 'PWNED*' 2>/dev/null | head -1)" ] ||
        fail "stack $n: a command ran"
}
refused_dir() {
    refused ".dir = \"$1\"" "$2"
}
refused_dir "$TMPDIR/x/precious;v2" "key 'dir'"
refused_dir "$TMPDIR/x/precious#v2" "key 'dir'"
refused_dir "$TMPDIR/x/a:$TMPDIR/x/precious" "key 'dir'"
refused_dir "$TMPDIR/x/\${HOME}" "key 'dir'"
refused_dir "$TMPDIR/x/a\nb" "key 'dir'"
refused_dir "relative/dir" "key 'dir'"
refused '.nbdkit.options = ["--run=touch PWNED"]' "key 'options'"
refused '.nbdkit.options = ["--ipaddr=0.0.0.0"]' "key 'options'"
refused '.nbdkit.options = ["-i", "0.0.0.0"]' "key 'options'"
refused '.nbdkit.options = ["--exportname=a b"]' "key 'options'"
refused '.nbdkit.filters = ["--run=touch PWNED"]' "key 'filters'"
refused '.nbdkit.filter_args = { "--run": "touch PWNED" }' "key '--run'"
refused '.plugin_args["--run"] = "touch PWNED"' "key '--run'"
refused '.plugin = "--run=touch PWNED"' "key 'plugin'"
refused ".files = [\"$TMPDIR/x/precious\"]" "key 'files'"
refused '.files = ["${dir}/../x/precious"]' "key 'files'"
echo "ok: stack values that would be options, comments or other files are refused"

# The directory: a link, another user's, writable by others; a file in
# it that the run did not make, or a link planted where host.img goes.
ln -s "$TMPDIR/x" "$TMPDIR/link"
refused_dir "$TMPDIR/link" "symbolic link"
mkdir -m 0777 "$TMPDIR/open"
refused_dir "$TMPDIR/open" "writable by others"
mkdir "$TMPDIR/theirs" && chown nobody "$TMPDIR/theirs"
refused_dir "$TMPDIR/theirs" "owned by another user"
mkdir "$TMPDIR/planted"
ln -s "$TMPDIR/x/precious" "$TMPDIR/planted/host.img"
refused_dir "$TMPDIR/planted" "host.img exists and was not made by viperbench"
mkdir "$TMPDIR/mine" && cp "$TMPDIR/x/precious" "$TMPDIR/mine/host.img"
refused_dir "$TMPDIR/mine" "host.img exists and was not made by viperbench"
cmp -s "$TMPDIR/mine/host.img" "$TMPDIR/x/precious" || fail "mine/host.img changed"
echo "ok: the stack's directory: links, strangers' dirs and files not made here refused"

# --- Scenarios: refused before a record is claimed, whatever the value.
write_stack "$TMPDIR/ok.json" '["host", "direct"]'
scen_refused() {
    local name=$1 text=$2 want=$3; shift 3
    printf '%s' "$text" >"$TMPDIR/scen/$name.fio"
    (cd "$top" && "$VIPERBENCH" run --scenarios "$TMPDIR/scen" --scenario "$name" \
        --results "$R" --stack "$TMPDIR/ok.json" --collect none "$@") >out.txt 2>&1
    local rc=$?
    [ $rc -eq 2 ] || { cat out.txt; fail "scenario $name: exit $rc, not 2"; }
    grep -qF -- "$want" out.txt || { cat out.txt; fail "scenario $name: no '$want'"; }
    [ ! -e "$R/VM-3" ] || fail "scenario $name: a record was claimed"
    [ -z "$(find "$TMPDIR" "$top" -maxdepth 3 -name 'PWNED*' 2>/dev/null | head -1)" ] ||
        fail "scenario $name: a command ran"
}
scen_refused inc $'[j]\nrw=read\ninclude /etc/passwd\n' "include is refused"
scen_refused pre $'[j]\nrw=read\nexec_prerun=touch PWNED\n' "'exec_prerun' runs a command"
scen_refused mmap $'[global]\nmem=mmapshared:/tmp/x\n[j]\nrw=read\n' "memory mapped from a file"
scen_refused eng $'[j]\nrw=read\nioengine=null\n' "'ioengine' is set by the runner"
scen_refused bs $'[j]\nrw=read\nbs=$(touch PWNED)\n' "fio refuses it: fio: failed parsing bs="
scen_refused rw $'[j]\nrw=reed\n' "fio refuses it"
scen_refused deep $'[j]\nrw=read\niodepth=100000000\n' "iodepth=100000000: expected a whole number from 1 to 65536"
scen_refused many $'[j]\nrw=read\nnumjobs=-1\n' "numjobs=-1"
scen_refused big $'[j]\nrw=read\nsize=300G\n' "larger than stack"
for rt in nan inf 1e9 -3 0; do
    scen_refused rt $'[j]\nrw=read\nsize=1M\n' "--runtime '$rt'" --runtime "$rt"
done
scen_refused sz $'[j]\nrw=read\nsize=1M\n' "larger than stack" --size 1T
echo "ok: scenarios: directives, commands, engines, bad values and sizes refused before a record"

# --- The record: a description in Latin-1 still makes valid JSON (UTF-8),
# and a secret keeps its key in the stored stack.
# (The host layer alone: the plugin, which would refuse the key, is not
# loaded.)
write_stack "$TMPDIR/sec.json" '["host"]'
jq '.plugin_args.api_token = "0123456789secret"' "$TMPDIR/sec.json" >"$TMPDIR/sec2.json"
(cd "$top" && "$VIPERBENCH" run --scenario lat1 --runtime 1 --collect none \
    --stack "$TMPDIR/sec2.json" --results "$TMPDIR/r2" --desc $'caf\xe9 \xc3(') >out.txt 2>&1 ||
    { cat out.txt; fail "the run with a Latin-1 description failed"; }
jq -e . "$TMPDIR/r2/VM-1/run.json" >/dev/null || fail "run.json is not valid JSON"
[ "$(jq -r .description "$TMPDIR/r2/VM-1/run.json")" = "caf? ?(" ] ||
    fail "description: $(jq -r .description "$TMPDIR/r2/VM-1/run.json")"
[ "$(jq -r '.stack.definition.plugin_args.api_token' "$TMPDIR/r2/VM-1/run.json")" = "<redacted>" ] ||
    fail "the secret's key was lost or its value kept: $(jq -c .stack.definition.plugin_args "$TMPDIR/r2/VM-1/run.json")"
! grep -r 0123456789secret "$TMPDIR/r2" || fail "the secret reached the record"
echo "ok: the record is UTF-8 whatever the description; a redacted secret keeps its key"

# --- Smaller holes: raw HTML in a description reaches report.md only as
# text; qemu.kernel a directory, a service's dirs and files sharing a
# name: bad input naming the key.
(cd "$top" && "$VIPERBENCH" run --scenario lat1 --runtime 1 --collect none \
    --stack "$TMPDIR/sec.json" --results "$TMPDIR/r3" \
    --desc '<script>alert(1)</script><img src=x onerror=alert(2)>') >out.txt 2>&1 ||
    { cat out.txt; fail "the run with an HTML description failed"; }
# (Markdown's own escape, "\<", is text.)
! grep -qE '(^|[^\\])<(script|img)' "$TMPDIR/r3/VM-1/report.md" ||
    fail "report.md carries raw HTML from the description"
grep -q 'script' "$TMPDIR/r3/VM-1/report.md" || fail "the description is gone from report.md"
! grep -qF -e '<script>alert' -e '<img src=x' "$TMPDIR/r3/VM-1/report.html" ||
    fail "report.html carries raw HTML from the description"
jq '.qemu = {kernel: "/tmp"} | .layers = ["guest"]' "$TMPDIR/sec.json" >"$TMPDIR/kdir.json"
(cd "$top" && "$VIPERBENCH" run --scenario lat1 --runtime 1 --stack "$TMPDIR/kdir.json" \
    --results "$TMPDIR/r4") >out.txt 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "guest kernel /tmp: Is a directory (the stack's qemu.kernel)" out.txt ||
    { cat out.txt; fail "qemu.kernel a directory: exit $rc"; }
jq '.services = [{role: "s", argv: ["sleep", "9"], dirs: ["data"], files: {data: "x"},
                  ready: {unix: "${s.dir}/sock"}}] | .layers = ["direct"]' \
    "$TMPDIR/sec.json" >"$TMPDIR/same.json"
(cd "$top" && "$VIPERBENCH" run --scenario lat1 --runtime 1 --stack "$TMPDIR/same.json" \
    --results "$TMPDIR/r4") >out.txt 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "key 'data': 'data' is in both \"files\" and \"dirs\"" out.txt ||
    { cat out.txt; fail "dirs and files sharing a name: exit $rc"; }
[ ! -e "$TMPDIR/r4" ] || [ -z "$(ls "$TMPDIR/r4")" ] || fail "a record for bad input"
echo "ok: HTML in a description is text; a kernel that is a directory and a name in dirs and files are bad input"

echo PASS
