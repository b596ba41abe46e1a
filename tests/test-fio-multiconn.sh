#!/usr/bin/env bash
# test-fio-multiconn.sh: conns=N with a server that does not advertise
# multi-conn.  A writing job gets one clear warning (cross-connection
# consistency is not promised) and still runs; a read-only job or
# conns=1 gets none; with a multi-conn server there is none either.
# Run alone: tests/test-fio-multiconn.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit

warning="does not advertise multi-conn"

# warns URI CONNS RW: prints how many warning lines the job printed.
warns() {
    local out=$TMPDIR/mc.txt
    run_fio --uri="$1" --conns="$2" --name=t --rw="$3" --bs=4k --size=4M \
        --iodepth=8 >"$out" 2>&1 || { cat "$out"; fail "fio failed: $*"; }
    grep -c "$warning" "$out"
}

start_nbdkit nomc --filter=multi-conn memory 16M multi-conn-mode=disable
[ "$(warns "$NBD_URI" 4 randwrite)" -eq 1 ] || fail "no warning for conns=4 writes"
[ "$(warns "$NBD_URI" 4 randread)" -eq 0 ] || fail "warning for a read-only job"
[ "$(warns "$NBD_URI" 1 randwrite)" -eq 0 ] || fail "warning for conns=1"
start_nbdkit mc memory 16M
[ "$(warns "$NBD_URI" 4 randwrite)" -eq 0 ] || fail "warning with multi-conn"
echo "multi-conn warnings: ok"
