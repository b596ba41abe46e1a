# functions.sh: helpers for viperbench's shell tests (sourced, not run).
#
# Each test: `. tests/functions.sh`, then `requires`, `start_nbdkit`,
# `run_fio`...  A trap runs the cleanups on EXIT/INT/TERM and kills any
# server still up (SIGTERM, bounded wait, SIGKILL: a server that needed
# SIGKILL fails the test).  Exit 77 means skipped.
set -u

# Each test runs in a session of its own, so that what it leaves behind
# can be told from what other tests (or other users) run beside it: its
# orphan checks look at its own session only.
if [ "$(ps -o sid= -p $$ | tr -d ' ')" != "$$" ] && [ -z "${_VB_SETSID:-}" ]; then
    export _VB_SETSID=1
    exec setsid -w "$BASH" "$0" "$@"
fi
SESSION=$$

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENGINE=${ENGINE:-$top/${VIPER_BUILD:-build}/viper}
FIO=${FIO:-/usr/bin/fio}
TMPDIR=$(mktemp -d /tmp/viper-test.XXXXXX)
export TMPDIR
_cleanup_argv=()       # every cleanup's words, one after another
_cleanup_start=()      # where each cleanup starts in _cleanup_argv
_cleanup_len=()
_pids=()

# An engine built with a sanitizer needs its runtime preloaded into fio
# (FIO_ENV); the runner passes VIPERBENCH_FIO_PRELOAD on to fio alone.
FIO_ENV=()
if nm -D "$ENGINE" 2>/dev/null | grep -q ' U __asan_init'; then
    FIO_ENV=(env "LD_PRELOAD=$(${CC:-cc} -print-file-name=libasan.so)"
             "ASAN_OPTIONS=detect_leaks=0:${ASAN_OPTIONS:-}")
    export VIPERBENCH_FIO_PRELOAD=$(${CC:-cc} -print-file-name=libasan.so)
    export ASAN_OPTIONS=detect_leaks=0:${ASAN_OPTIONS:-}
elif nm -D "$ENGINE" 2>/dev/null | grep -q ' U __ubsan_'; then
    FIO_ENV=(env "LD_PRELOAD=$(${CC:-cc} -print-file-name=libubsan.so)")
    export VIPERBENCH_FIO_PRELOAD=$(${CC:-cc} -print-file-name=libubsan.so)
fi

# cleanup_add CMD ARGS...: run CMD ARGS (an argument array, never
# eval'd) when the test exits, newest first.
cleanup_add() {
    _cleanup_start+=(${#_cleanup_argv[@]})
    _cleanup_len+=($#)
    _cleanup_argv+=("$@")
}

_cleanup() {
    local rc=$? i pid
    for ((i = ${#_cleanup_start[@]} - 1; i >= 0; i--)); do
        "${_cleanup_argv[@]:${_cleanup_start[i]}:${_cleanup_len[i]}}" 2>/dev/null || true
    done
    for pid in "${_pids[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            if kill -0 "$pid" 2>/dev/null; then
                echo "FAIL: process $pid ignored SIGTERM; killed" >&2
                kill -9 "$pid" 2>/dev/null
                rc=1
            fi
        fi
    done
    rm -rf "$TMPDIR"
    exit $rc
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }

# requires CMD...: skip unless each command exists, naming the Debian
# package that has it (common/deps.sh installs them all).
requires() {
    local c pkg
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 && continue
        case $c in
        qemu-io|qemu-nbd|qemu-img) pkg=qemu-utils ;;
        gnuplot) pkg=gnuplot-nox ;;
        perf) pkg=linux-perf ;;
        nbdinfo|nbdsh) pkg=libnbd-bin ;;
        ip) pkg=iproute2 ;;
        go) pkg=golang-go ;;
        man) pkg=man-db ;;
        nbdcopy) pkg=libnbd-bin ;;
        readelf) pkg=binutils ;;
        script) pkg=bsdutils ;;
        *) pkg=$c ;;
        esac
        skip "$c is not installed (Debian package $pkg: apt-get install $pkg)"
    done
}

# start_nbdkit NAME ARGS...: nbdkit ARGS on a Unix socket $TMPDIR/NAME.sock;
# sets NBD_URI and NBD_PID.  Waits at most 10 s for the pidfile.
start_nbdkit() {
    local name=$1; shift
    local sock=$TMPDIR/$name.sock pidf=$TMPDIR/$name.pid
    nbdkit -U "$sock" -P "$pidf" "$@" || fail "nbdkit $* did not start"
    _wait_pidfile "$pidf"
    NBD_PID=$(cat "$pidf")
    _pids+=("$NBD_PID")
    NBD_URI="nbd+unix:///?socket=$sock"
}

# start_nbdkit_tcp NAME ARGS...: the same on 127.0.0.1 and a free port;
# sets NBD_URI, NBD_PID and NBD_PORT.
start_nbdkit_tcp() {
    local name=$1; shift
    local pidf=$TMPDIR/$name.pid port try
    for try in $(seq 20); do
        port=$((20000 + RANDOM % 40000))
        if nbdkit -i 127.0.0.1 -p "$port" -P "$pidf" "$@" 2>"$TMPDIR/$name.err"; then
            _wait_pidfile "$pidf"
            NBD_PID=$(cat "$pidf")
            _pids+=("$NBD_PID")
            NBD_PORT=$port
            NBD_URI="nbd://127.0.0.1:$port"
            return 0
        fi
    done
    cat "$TMPDIR/$name.err" >&2
    fail "nbdkit found no free port"
}

_wait_pidfile() {
    local i
    for i in $(seq 100); do
        [ -s "$1" ] && return 0
        sleep 0.1
    done
    fail "no pidfile $1 after 10 s"
}

# run_fio ARGS...: Debian's fio with the in-tree engine first on the
# line; engine options may follow.  Bounded by $FIO_TIMEOUT seconds.
# Runs in $TMPDIR, where fio leaves its *-verify.state files.
run_fio() {
    (cd "$TMPDIR" && timeout -k 5 "${FIO_TIMEOUT:-120}" "${FIO_ENV[@]}" \
        "$FIO" --ioengine=external:"$ENGINE" "$@")
}

# json_get FILE FILTER: a value from fio's JSON output, by a jq filter.
# fio's log_err also writes into the --output file, before the JSON.
json_get() {
    sed -n '/^{/,/^}/p' "$1" | jq -r "$2"
}

# The in-tree runner.
VIPERBENCH=${VIPERBENCH:-$top/${VIPER_BUILD:-build}/viperbench}

# write_stack FILE LAYERS-JSON [EXTRA-JSON-MEMBERS] [NBDKIT-JSON]: a
# memory-plugin stack with its data files under $TMPDIR/data (256M, quick
# to lay out); its "nbdkit" object is NBDKIT-JSON (default 4 threads).
write_stack() {
    local nbdkit=${4:-'{ "threads": 4 }'}
    cat >"$1" <<EOS
{
  "name": "test-memory",
  "dir": "$TMPDIR/data",
  "size": "256M",
  "plugin": "memory",
  "plugin_args": { "size": "\${size}" },
  "nbdkit": $nbdkit,
  "engine": { "request_timeout_ms": 10000 },
  ${3:+$3,}
  "layers": $2
}
EOS
}

# write_objstore_stack FILE LAYERS-JSON [PLUGIN-ARGS-JSON] [OBJSTORE-JSON]
# [EXTRA-JSON-MEMBERS]: the reference block store (build's blockstore.so)
# on the nginx object store, 64M in 16K objects; PLUGIN-ARGS-JSON and
# OBJSTORE-JSON are members added to (or overriding) its plugin_args and
# objstore options.
BLOCKSTORE=${BLOCKSTORE:-$top/${VIPER_BUILD:-build}/blockstore.so}
write_objstore_stack() {
    local tls=true opts
    case "${4:-}" in *'"tls": false'*) tls=false ;; esac
    # The objstore's options: tls on unless OBJSTORE-JSON says, each once.
    opts='"tls": true'
    [ "$tls" = false ] && opts=
    [ -n "${4:-}" ] && opts=${opts:+$opts, }$4
    cat >"$1" <<EOS
{
  "name": "test-objstore",
  "dir": "$TMPDIR/data",
  "size": "64M",
  "plugin": "\${build}/blockstore.so",
  "plugin_args": {
    "url": "\${nginx.url}/vol",
    $( [ "$tls" = true ] && echo '"cacert": "${nginx.cacert}",' )
    "size": "\${size}",
    "object-size": "16K",
    "cache-size": "1M",
    "timeout": 5
    ${3:+, $3}
  },
  "services": [
    { "role": "nginx", "objstore": { $opts } }
  ],
  "nbdkit": { "threads": 4 },
  "engine": { "request_timeout_ms": 20000 },
  ${5:+$5,}
  "layers": $2
}
EOS
}

# run_bench ARGS...: the runner from the repo root (scenarios/), bounded;
# BENCH_PATH, when set, is the only PATH the runner sees.
run_bench() {
    (cd "$top" && timeout -k 5 "${BENCH_TIMEOUT:-300}" \
        env ${BENCH_PATH:+PATH="$BENCH_PATH"} \
        "$VIPERBENCH" run --results "$TMPDIR/results" "$@")
}

# refused LABEL PATTERN STACK: a short run of STACK stops before anything
# runs, exit 2, with a message matching PATTERN (BENCH_PATH applies).
refused() {
    local rc
    run_bench --scenario randrw_70_30 --stack "$3" --runtime 1 \
        --size 32M --collect none >"$TMPDIR/refused.txt" 2>&1
    rc=$?
    [ "$rc" = 2 ] && grep -q -- "$2" "$TMPDIR/refused.txt" ||
        { cat "$TMPDIR/refused.txt"; fail "$1: exit $rc"; }
    echo "ok: $1 refused: $(grep -m1 -- "$2" "$TMPDIR/refused.txt")"
}

# path_without PROG: prints a directory of links to every program of the
# system's bin directories but PROG, for BENCH_PATH.
path_without() {
    local d=$TMPDIR/path-without-$1 f n
    mkdir -p "$d"
    for f in /usr/bin/* /usr/sbin/* /bin/* /sbin/*; do
        n=$(basename "$f")
        [ "$n" = "$1" ] || [ -e "$d/$n" ] || ln -s "$f" "$d/$n"
    done
    echo "$d"
}

# own_pgrep ARGS...: pgrep over this test's session only.
own_pgrep() {
    pgrep -s "$SESSION" "$@"
}

# no_orphans PATTERN: no process of this test's session whose command
# line holds PATTERN, within 5 s (children get SIGTERM from the kernel
# when the runner dies).
no_orphans() {
    local i
    for i in $(seq 50); do
        own_pgrep -f -- "$1" >/dev/null || return 0
        sleep 0.1
    done
    own_pgrep -af -- "$1" >&2
    fail "processes left behind matching $1"
}

# installed_run_ok RUN-JSON ROOT WHAT: a randrw_70_30 ladder run by a
# runner installed under ROOT (a DESTDIR, an unpacked package) used
# ROOT's scenario and probe filter, and the probes measured.
installed_run_ok() {
    local rj=$1 root=$2 what=$3
    [ "$(jq -r .status "$rj")" = complete ] || fail "$what run: $(jq -r .status "$rj")"
    [ "$(jq -r .scenario.file "$rj")" = "$root/usr/share/viperbench/scenarios/randrw_70_30.fio" ] ||
        fail "the $what run's scenario: $(jq -r .scenario.file "$rj")"
    jq -r '.targets[] | select(.name == "nbd-unix") | .servers[0].command' "$rj" |
        grep -q -- "--filter=$root/usr/lib/viperbench/probe.so" || fail "the probe is not the $what one"
    [ "$(jq '[.targets[] | select(.name == "nbd-unix") | .boundaries[].name] | length' "$rj")" -ge 2 ] ||
        fail "the $what probes measured nothing"
}
