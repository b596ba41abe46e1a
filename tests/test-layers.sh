#!/usr/bin/env bash
# test-layers.sh: the code's layers link one way and the target seam
# holds.
#   - no file under common/ includes a header of collectors/, reports/ or
#     runner/; none under collectors/ or reports/ includes one of runner/
#     or of each other;
#   - each lower archive links whole against only the layers below it
#     (a call upwards is an undefined symbol);
#   - no cycle between files: "a.o uses a symbol b.o defines" is a
#     partial order (tsort finds no loop);
#   - no layer name (the targets' .name) is spelled as a string outside
#     runner/target_*.c and the table runner/targets.c;
#   - no two C files share a name across directories, and no function
#     is over 150 lines (from its opening brace at column 0 to its
#     closing one, the project's style);
#   - Markdown is written by reports/doc.c's renderer alone, and no page
#     is made by parsing Markdown back.
# Run alone: tests/run.sh tests/test-layers.sh
. "$(dirname "$0")/functions.sh"
cd "$top"
B=${VIPER_BUILD:-build}

# 1. Includes, by directory: what each may include besides its own.
declare -A allowed=(
    [common]=""
    [collectors]="common"
    [reports]="common"
    [runner]="common collectors reports"
)
for d in common collectors reports runner; do
    while IFS=: read -r file _ inc; do
        target=$(sed -n 's|.*#include "\.\./\([a-z]*\)/.*|\1|p' <<<"$inc")
        [ -n "$target" ] || continue
        case " ${allowed[$d]} " in
        *" $target "*) ;;
        *) fail "$file includes a header of $target/, above or beside $d/" ;;
        esac
    done < <(grep -n '#include "\.\./' "$d"/*.c "$d"/*.h 2>/dev/null)
done

# 2. The archives link downwards only.
for lib in libcommon libcollectors libreports; do
    [ -f "$B/$lib.a" ] || fail "$B/$lib.a is not built (run make)"
done
link() {
    ${CC:-cc} -shared -o "$TMPDIR/layer.so" -Wl,--no-undefined \
        -Wl,--whole-archive "$1" -Wl,--no-whole-archive "${@:2}" \
        $(nm "$B/libcommon.a" | grep -q __asan_init && echo -fsanitize=address) \
        $(nm "$B/libcommon.a" | grep -q __ubsan_ && echo -fsanitize=undefined) \
        -lcjson -lm 2>"$TMPDIR/link.err"
}
link "$B/libcommon.a" || { cat "$TMPDIR/link.err" >&2; fail "common/ calls above itself"; }
link "$B/libcollectors.a" "$B/libcommon.a" ||
    { cat "$TMPDIR/link.err" >&2; fail "collectors/ calls beyond common/"; }
link "$B/libreports.a" "$B/libcommon.a" ||
    { cat "$TMPDIR/link.err" >&2; fail "reports/ calls beyond common/"; }
# ...and the check can fail: reports/ does not link without common/.
if link "$B/libreports.a"; then
    fail "the link check cannot fail: libreports.a linked alone"
fi

# 2b. No cycle between files.
declare -A defined_in=()
objs=("$B"/common/*.o "$B"/collectors/*.o "$B"/reports/*.o "$B"/runner/*.o)
[ ${#objs[@]} -gt 30 ] || fail "found only ${#objs[@]} objects under $B"
for o in "${objs[@]}"; do
    for s in $(nm --defined-only -g "$o" | awk '{print $3}'); do
        defined_in[$s]=$o
    done
done
for o in "${objs[@]}"; do
    for s in $(nm -u "$o" | awk '{print $2}'); do
        d=${defined_in[$s]:-}
        [ -n "$d" ] && [ "$d" != "$o" ] && echo "${o#$B/} ${d#$B/}"
    done
done | sort -u >"$TMPDIR/edges"
[ -s "$TMPDIR/edges" ] || fail "no dependencies between files found"
tsort "$TMPDIR/edges" >/dev/null 2>"$TMPDIR/tsort.err" ||
    { cat "$TMPDIR/tsort.err" >&2; fail "a cycle between files"; }
# ...and the check can fail.
{ cat "$TMPDIR/edges"; echo "common/msg.o runner/run.o"; echo "runner/run.o common/msg.o"; } |
    tsort >/dev/null 2>&1 && fail "the cycle check cannot fail"

# 3. Layer names live in their target files and the table only.  The
#    record's "host" object (the machine) is not a layer; import's
#    default --layer names where old fio output came from (a guest, as
#    the guest layer measures), on purpose the same word.  QEMU's
#    blockdev option cache.direct (vm_disk.c) is QEMU's word, not the
#    direct layer; the stack's guest section (qemu_opts.c's one
#    GUEST_SECTION) is a stack key both VM layers read.
names=$(sed -n 's/^ *\.name = "\([^"]*\)",/\1/p' runner/target_*.c)
[ "$(wc -w <<<"$names")" -ge 5 ] || fail "found no target names in runner/target_*.c"
for n in $names; do
    hits=$(grep -n "\"$n\"" common/*.[ch] collectors/*.[ch] reports/*.[ch] \
               runner/*.[ch] |
           grep -v '^runner/target_[a-z_]*\.c:' | grep -v '^runner/targets\.c:' |
           grep -v '^[^:]*:[0-9]*: *\*' |
           grep -v '^reports/import\.c:[0-9]*: *const char \*layer = "guest"' |
           grep -v '^runner/vm_disk\.c:[0-9]*: *cJSON_AddBoolToObject (cache, "direct",' |
           grep -v '^runner/qemu_opts\.c:[0-9]*:#define GUEST_SECTION "guest"$' |
           grep -v "\(GetObjectItem[A-Za-z]*\|^common/model\.c:.*get\) ([a-z]*, \"host\")\|ToObject ([a-z]*, \"host\"" || true)
    [ -z "$hits" ] || { echo "$hits" >&2; fail "layer name \"$n\" spelled outside its target file"; }
done

# 4. Names that say the layer, functions that fit on a page or three.
dups=$(git ls-files '*.c' | xargs -n1 basename | sort | uniq -d)
[ -z "$dups" ] || fail "C files sharing a name across directories: $dups"
long() {
    awk '/^[a-z_][a-z_0-9]* *\(/ { name = $1 }
         /^\{/ { s = FNR }
         /^\}/ && s { if (FNR - s + 1 > 150) print FILENAME ": " name ": " FNR - s + 1 " lines"; s = 0 }' "$@"
}
too_long=$(long $(git ls-files '*.c'))
[ -z "$too_long" ] || { echo "$too_long" >&2; fail "functions over 150 lines"; }
# ...and the check can fail.
{ printf 'f (void)\n{\n'; for i in $(seq 150); do echo "  ;"; done; echo "}"; } >"$TMPDIR/long.c"
[ -n "$(long "$TMPDIR/long.c")" ] || fail "the length check cannot fail"

# 4b. One document model: Markdown's marks (a table's rule, a heading, bold)
#     are written by reports/doc.c alone, so no page is Markdown parsed back
#     and no report writes Markdown by hand.
md=$(grep -n '"[^"]*\(|---\|\*\*\|## \)' reports/*.c runner/*.c collectors/*.c |
     grep -v '^reports/doc\.c:' | grep -v '^[^:]*:[0-9]*: *\(/\)\?\*' || true)
[ -z "$md" ] || { echo "$md" >&2; fail "Markdown written outside reports/doc.c"; }
! grep -q 'html_from_md\|html_write' reports/*.c reports/*.h ||
    fail "a Markdown-to-HTML path is back in reports/"

# 4c. One reader of the record: common/model.c.  The reports and the
#     runner's readers of records (the gate, the sweeps' tables, the
#     run's own) look nothing up by key; they use the model's structs.
#     (The runner's writers index the array they are building.)
readers="runner/gate_run.c runner/sweep_run.c runner/run_record.c runner/run.c runner/main.c"
lookup() { grep -n 'cJSON_GetObjectItem\|json_str (\|json_num (\|target_metric\|record_target\|record_baseline\|boundary_num' "$@" | grep -v '^[^:]*:[0-9]*: *\(/\)\?\*' || true; }
# shellcheck disable=SC2086
keys=$(lookup reports/*.c $readers; grep -n 'cJSON_GetArrayItem' reports/*.c || true)
[ -z "$keys" ] || { echo "$keys" >&2; fail "a record's key looked up outside common/model.c"; }
# ...and the check can fail.
printf 'x = cJSON_GetObjectItem (doc, "id");\n' >"$TMPDIR/reader.c"
[ -n "$(lookup "$TMPDIR/reader.c")" ] || fail "the record-reader check cannot fail"

# 5. Every command is listed by --help, and answers CMD --help.
"$VIPERBENCH" --help >"$TMPDIR/help" || fail "viperbench --help failed"
for c in run report compare history import gate percentile list; do
    grep -q "^  $c " "$TMPDIR/help" || fail "viperbench --help does not list $c"
    "$VIPERBENCH" "$c" --help >"$TMPDIR/chelp" 2>&1 || fail "viperbench $c --help failed"
    grep -q "usage: viperbench $c" "$TMPDIR/chelp" || fail "viperbench $c --help printed no usage"
done
"$VIPERBENCH" frobnicate >/dev/null 2>&1 && fail "an unknown command succeeded"
# Options are read through common/options.c alone, whose table is the help's
# source (test-help checks each command).
opt=$(grep -ln 'getopt_long\|struct option ' runner/*.c reports/*.c collectors/*.c common/*.c |
      grep -v '^common/options\.c$' || true)
[ -z "$opt" ] || fail "options parsed outside common/options.c: $opt"
echo "PASS"
