# bash completion for viperbench: its commands, each command's options
# (read from the command's own --help, the parser's table, so they never
# drift), scenario names, stacks and record ids.
_viperbench() {
    local cur prev cmd vb results d i
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    vb=${COMP_WORDS[0]}
    COMPREPLY=()
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$("$vb" --help 2>/dev/null |
            awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }') help" -- "$cur"))
        return
    fi
    cmd=${COMP_WORDS[1]}
    results=results
    for ((i = 2; i < COMP_CWORD; i++)); do
        [ "${COMP_WORDS[i]}" = --results ] && results=${COMP_WORDS[i+1]}
    done
    case $prev in
    --scenario)
        d=scenarios
        [ -d "$d" ] || d=$(dirname "$(command -v "$vb")")/../share/viperbench/scenarios
        COMPREPLY=($(compgen -W "$(ls "$d" 2>/dev/null | sed -n 's/\.fio$//p')" -- "$cur"))
        return ;;
    --stack|--baseline-stack|--candidate-stack)
        d=$(dirname "$(command -v "$vb")")/../share/viperbench/stacks
        COMPREPLY=($(compgen -f -- "$cur")
                   $(compgen -W "$(ls "$d" 2>/dev/null | sed -n 's/\.json$//p')" -- "$cur"))
        return ;;
    --results|--scenarios)
        COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --desc-file|--junit|--summary|--baseline)
        COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --pin)
        COMPREPLY=($(compgen -W "auto on off" -- "$cur")); return ;;
    --collect)
        COMPREPLY=($(compgen -W "cpu counters disk resources perf all none" -- "$cur")); return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$("$vb" "$cmd" --help 2>/dev/null |
            sed -n 's/^  \(--[a-z][a-z0-9-]*\).*/\1/p') --help" -- "$cur"))
        return
    fi
    case $cmd in
    help)
        COMPREPLY=($(compgen -W "$("$vb" --help 2>/dev/null |
            awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')" -- "$cur")) ;;
    report|rm|note|compare)
        COMPREPLY=($(compgen -W "$(ls "$results" 2>/dev/null |
            grep -E '^[A-Za-z][A-Za-z0-9._-]*-[0-9]+$')" -- "$cur")) ;;
    *)
        COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
}
complete -F _viperbench viperbench
