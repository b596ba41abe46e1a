#!/usr/bin/env bash
# bench-explore.sh: `viperbench explore` on stacks whose answer is known,
# TRIALS times each, and how often it is right.
#
#   delay    nbdkit's memory plugin behind a 1 ms delay on every request
#            with nbdkit -t 1, layer nbd-unix, the knobs chosen from the
#            bottleneck verdict (no --knob): right when nbdkit.threads
#            ranks first, significant, and the probes (probes=off, no
#            effect next to 1 ms) are not significant.
#   objstore scenarios/stacks/objstore-nopool.json, layer nbd-unix, knobs
#            plugin_args.pool=16, nbdkit.threads=64, probes=off: right
#            when the pool ranks first, significant.  Its gain is set
#            beside a gate of objstore-nopool.json against objstore.json
#            (the same stacks, measured apart): covered or not.
#   guest    scenarios/stacks/guest-before.json, layer guest (TCG),
#            knobs qemu.iothread=true, qemu.num-queues=2, qemu.cache=none:
#            right when iothread and num-queues both rank above cache, as
#            the reference investigation found.
#
#   make bench-explore       (TRIALS=3, CASES="delay objstore guest",
#                             RUNTIME=2 s a run, BUDGET=300 s an exploration)
#   CASES=delay TRIALS=5 runner/bench-explore.sh
#
# Each exploration keeps its record in a scratch results directory; the
# table gives each trial's ranking, whether it was right, and its time.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
VIPERBENCH=${VIPERBENCH:-$top/build/viperbench}
TRIALS=${TRIALS:-3}
CASES=${CASES-delay objstore guest}
RUNTIME=${RUNTIME:-2}
BUDGET=${BUDGET:-300}
work=$(mktemp -d /tmp/viper-bench-explore.XXXXXX)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
cd "$top"

cat >"$work/delay.json" <<EOS
{
  "name": "delay-t1",
  "description": "nbdkit's memory plugin behind a 1 ms delay on every request, one nbdkit thread",
  "dir": "/var/tmp/viperbench",
  "size": "1G",
  "plugin": "memory",
  "plugin_args": { "size": "\${size}" },
  "nbdkit": { "threads": 1, "filters": ["delay"],
              "filter_args": { "delay-read": "1ms", "delay-write": "1ms" } },
  "engine": { "conns": 1, "request_timeout_ms": 30000 },
  "layers": ["host", "nbd-unix"]
}
EOS

# explore CASE TRIAL ARGS...: one exploration; prints its record's path.
explore() {
    local c=$1 t=$2; shift 2
    "$VIPERBENCH" explore --results "$work/$c-$t" --scenario randrw_70_30 \
        --runtime "$RUNTIME" --budget-s "$BUDGET" "$@" >"$work/$c-$t.md" 2>"$work/$c-$t.err" ||
        { echo "bench-explore: $c trial $t failed:" >&2; tail -3 "$work/$c-$t.err" >&2; return 1; }
    echo "$work/$c-$t/EXPLORE-1/explore.json"
}

ranking() {
    jq -r '[.effects[] | "\(.knob)=\(.level) \(.iops.change * 100 | round)%\(if .significant then "*" else "" end)"] | join(", ")' "$1"
}

right=0
total=0
for c in $CASES; do
    echo "## $c"
    echo
    echo "| trial | ranking (IOPS change, * significant) | right | seconds |"
    echo "|--:|---|---|--:|"
    for t in $(seq "$TRIALS"); do
        case $c in
        delay)
            j=$(explore delay "$t" --stack "$work/delay.json" --layers nbd-unix) || continue
            ok=$(jq -r '(.effects[0].knob == "nbdkit.threads" and .effects[0].significant) and
                        ([.effects[] | select(.knob == "probes") | .significant] | any | not)' "$j") ;;
        objstore)
            j=$(explore objstore "$t" --stack scenarios/stacks/objstore-nopool.json \
                --layers nbd-unix --knob plugin_args.pool=16 --knob nbdkit.threads=64 \
                --knob probes=off) || continue
            ok=$(jq -r '.effects[0].knob == "plugin_args.pool" and .effects[0].significant' "$j") ;;
        guest)
            j=$(explore guest "$t" --stack scenarios/stacks/guest-before.json --layers guest \
                --knob qemu.iothread=true --knob qemu.num-queues=2 --knob qemu.cache=none \
                --no-factorial) || continue
            ok=$(jq -r '[.effects[].knob] | (index("qemu.iothread") < index("qemu.cache")) and
                        (index("qemu.num-queues") < index("qemu.cache"))' "$j") ;;
        *) echo "bench-explore: unknown case '$c' (delay, objstore, guest)" >&2; exit 2 ;;
        esac
        total=$((total + 1))
        [ "$ok" = true ] && right=$((right + 1))
        echo "| $t | $(ranking "$j") | $ok | $(jq -r '.seconds | round' "$j") |"
        cp "$j" "$work/keep-$c-$t.json"
    done
    echo
    if [ "$c" = objstore ] && [ -e "$work/keep-objstore-1.json" ]; then
        # The pool's gain measured apart: objstore.json against
        # objstore-nopool.json, interleaved (the gate's paired design).
        "$VIPERBENCH" gate --results "$work/gate" --scenario randrw_70_30 \
            --runtime "$RUNTIME" --baseline-stack scenarios/stacks/objstore-nopool.json \
            --candidate-stack scenarios/stacks/objstore.json --layers nbd-unix \
            --repeat 6 --max-repeat 6 --no-profile >/dev/null 2>"$work/gate.err" || true
        g=$(ls -d "$work"/gate/GATE-* 2>/dev/null | tail -1)
        if [ -n "$g" ]; then
            ref=$(jq -r '.series[] | select(.layer == "nbd-unix" and .metric == "iops") | .change' "$g/gate.json")
            echo "objstore.json against objstore-nopool.json (a gate, 6 pairs): IOPS $(awk -v c="$ref" 'BEGIN {printf "%+.0f%%", c * 100}')"
            for f in "$work"/keep-objstore-*.json; do
                jq -r --argjson ref "$ref" '.effects[] | select(.knob == "plugin_args.pool") |
                    "- \(input_filename | sub(".*keep-"; "") | sub(".json"; "")): pool=16 \(.iops.change * 100 | round)% (\(.iops.lo * 100 | round)% .. \(.iops.hi * 100 | round)%): the gate'"'"'s \($ref * 100 | round)% \(if .iops.lo <= $ref and $ref <= .iops.hi then "inside" else "outside" end)"' "$f"
            done
        else
            echo "(the gate against objstore.json failed: $(tail -1 "$work/gate.err"))"
        fi
        echo
    fi
done
echo "explore was right in $right of $total explorations"
