#!/bin/sh
# man-commands.sh VIPERBENCH POD: POD with its "=for viperbench-commands"
# line replaced by each command's --help (so the man page says what the
# parser takes, as the help does), on stdout.
set -eu
vb=$1 pod=$2
cmds=$("$vb" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
while IFS= read -r line; do
    if [ "$line" != "=for viperbench-commands" ]; then
        printf '%s\n' "$line"
        continue
    fi
    for c in $cmds; do
        printf '=head2 viperbench %s\n\n' "$c"
        "$vb" "$c" --help | sed 's/^\(.\)/ \1/'
        printf '\n'
    done
done <"$pod"
