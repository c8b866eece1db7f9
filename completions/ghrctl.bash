# bash completion for ghrctl                          -*- shell-script -*-
# SPDX-License-Identifier: ISC
# Commands (tests/integ/t0010-docs.sh keeps this in step): config runners metric register session poll doctor scale cleanup boot jobs instances status help version
#
# Commands, verbs and options come from the binary itself
# (ghrctl --list-commands, ghrctl CMD [VERB] --list-options), answered from
# the same tables that parse the command line, so this never drifts.
# Install as /usr/share/bash-completion/completions/ghrctl.

_ghrctl_words()
{
	"${COMP_WORDS[0]}" "$@" 2>/dev/null
}

_ghrctl()
{
	local cur prev i w cmd='' verb='' list opts
	local -a path=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}

	# Walk the words before the cursor: skip options and their values.
	opts=$(_ghrctl_words --list-options)
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--*=*) ;;
		-c) ((i++)) ;;
		--*)
			if grep -qx -- "$w=" <<<"$opts"; then ((i++)); fi ;;
		-*) ;;
		*)
			if [[ -z $cmd ]]; then
				cmd=$w
				path=("$cmd")
				opts+=$'\n'$(_ghrctl_words "$cmd" --list-options)
			elif [[ -z $verb ]] && grep -qx -- "$w" <<<"$(_ghrctl_words "$cmd" --list-options)"; then
				verb=$w
				path=("$cmd" "$verb")
				opts+=$'\n'$(_ghrctl_words "$cmd" "$verb" --list-options)
			fi ;;
		esac
	done

	# A value for an option: files for file-like options, else nothing.
	case $prev in
	-c|--config|--token-file|--ca-file|--user-data-template|--metrics-file)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--state-dir)
		COMPREPLY=($(compgen -d -- "$cur"))
		return ;;
	-o|--output)
		f="table json csv"
		[[ $cmd == jobs ]] && f+=" trace"
		COMPREPLY=($(compgen -W "$f" -- "$cur"))
		return ;;
	--log-format)
		COMPREPLY=($(compgen -W "auto text json logfmt" -- "$cur"))
		return ;;
	--source)
		COMPREPLY=($(compgen -W "actions rest" -- "$cur"))
		return ;;
	--state)
		COMPREPLY=($(compgen -W "pending running stopping stopped shutting-down terminated" -- "$cur"))
		return ;;
	--log-level)
		COMPREPLY=($(compgen -W "error warn info debug trace" -- "$cur"))
		return ;;
	esac
	if [[ $prev == --* ]] && grep -qx -- "$prev=" <<<"$opts"; then
		return
	fi

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			list=$(_ghrctl_words --list-options | sed 's/=$//')
		else
			list=$(_ghrctl_words --list-commands)
		fi
	else
		list=$(_ghrctl_words "${path[@]}" --list-options | sed 's/=$//')
		if [[ $cur == -* ]]; then
			list=$(grep -- '^-' <<<"$list"; _ghrctl_words --list-options | sed 's/=$//')
		else
			list=$(grep -v -- '^-' <<<"$list")
			# Operands: help's command, runners token's kind.
			case ${path[*]} in
			help) list=$(_ghrctl_words --list-commands) ;;
			"runners token") list=$'register\nremove' ;;
			esac
		fi
	fi
	COMPREPLY=($(compgen -W "$list" -- "$cur"))
}
complete -F _ghrctl ghrctl
