# fish completion for ghrctl
# SPDX-License-Identifier: ISC
# Commands (tests/integ/t0010-docs.sh keeps this in step): config runners metric register session poll doctor scale cleanup boot jobs instances status help version
#
# Commands, verbs and options come from the binary (ghrctl --list-commands,
# ghrctl CMD [VERB] --list-options), so this stays in step with the option
# tables.  Install as ~/.config/fish/completions/ghrctl.fish.

function __ghrctl_args
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l out
    for t in $tokens
        if not string match -q -- '-*' $t
            set out $out $t
        end
    end
    # printf with no argument still prints one empty line: an argument.
    test (count $out) -gt 0; and printf '%s\n' $out
end

function __ghrctl_complete
    set -l args (__ghrctl_args)
    set -l cur (commandline -ct)
    if test (count $args) -eq 0
        if string match -q -- '-*' $cur
            ghrctl --list-options 2>/dev/null | string replace -r '=$' ''
        else
            ghrctl --list-commands 2>/dev/null
        end
        return
    end
    set -l prev (commandline -opc)[-1]
    switch $prev
        case -o --output
            printf '%s\n' table json csv
            test "$args[1]" = jobs; and echo trace
            return
        case --source
            printf '%s\n' actions rest
            return
        case --state
            printf '%s\n' pending running stopping stopped shutting-down terminated
            return
        case --log-format
            printf '%s\n' auto text json logfmt
            return
        case --log-level
            printf '%s\n' error warn info debug trace
            return
    end
    if not string match -q -- '-*' $cur
        if test "$args" = help
            ghrctl --list-commands 2>/dev/null
            return
        else if test "$args" = "runners token"
            printf '%s\n' register remove
            return
        end
    end
    set -l list (ghrctl $args[1] --list-options 2>/dev/null)
    if test (count $args) -ge 2; and contains -- $args[2] $list
        set list (ghrctl $args[1] $args[2] --list-options 2>/dev/null)
    end
    if string match -q -- '-*' $cur
        string match -- '-*' $list | string replace -r '=$' ''
        ghrctl --list-options 2>/dev/null | string replace -r '=$' ''
    else
        string match -v -- '-*' $list
    end
end

complete -c ghrctl -f -a '(__ghrctl_complete)'
