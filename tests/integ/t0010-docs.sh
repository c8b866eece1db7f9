#!/bin/sh
# t0010-docs.sh: --help, man pages, completions and README agree on the
# commands and options (git's t0450 idea).  Fails when any one drifts.
. ./lib.sh

norm() { tr -s ' \t\n' '   ' | sed 's/^ //; s/ $//'; }

# The SYNOPSIS section of a man page, rendered, on one line.
synopsis() {
	mandoc -Tascii "$1" 2>/dev/null | col -b |
	    awk '/^SYNOPSIS/ { on = 1; next } /^[A-Z][A-Z ]+$/ { on = 0 } on' | norm
}

test_man_pages() {
	test_init man_pages
	for page in "$TOP"/man/*.[15]; do
		mandoc -Tlint -Wwarning "$page" >"$T/lint" 2>&1
		if [ -s "$T/lint" ]; then
			not_ok "mandoc -Tlint $(basename "$page"): $(head -n 3 "$T/lint" | tr '\n' ' ')"
		else
			ok "mandoc -Tlint $(basename "$page") clean"
		fi
	done
	for s in ENVIRONMENT FILES "EXIT STATUS" EXAMPLES; do
		grep -q "^\.Sh $s" "$TOP/man/ghrctl.1" && ok "ghrctl.1 has $s" || not_ok "ghrctl.1 lacks $s"
	done
	test_done
}

test_commands_documented() {
	test_init commands_documented
	for c in $(ghrctl --list-commands); do
		case $c in help|version) continue ;; esac
		page="$TOP/man/ghrctl-$c.1"
		if [ ! -f "$page" ]; then
			not_ok "man/ghrctl-$c.1 missing"
			continue
		fi
		ghrctl "$c" --help | sed -n 's/^\(usage:\|      \) \(ghrctl .*\)/\2/p' | norm >"$T/usage"
		synopsis "$page" >"$T/syn"
		test_eq "$(cat "$T/syn")" "$(cat "$T/usage")" "$c: man SYNOPSIS = --help usage"
		grep -q "^\.Xr ghrctl-$c 1" "$TOP/man/ghrctl.1" && ok "$c: in ghrctl.1 SEE ALSO" ||
		    not_ok "$c: no .Xr ghrctl-$c 1 in ghrctl.1"
		grep -q "^\.It Cm $c" "$TOP/man/ghrctl.1" && ok "$c: in ghrctl.1 command list" ||
		    not_ok "$c: no .It Cm $c in ghrctl.1"
		grep -q "ghrctl $c" "$TOP/README.md" && ok "$c: in README.md" ||
		    not_ok "$c: not in README.md"
		# Options of the command, and of each of its verbs.
		ghrctl "$c" --list-options >"$T/opts"
		verbs=$(grep -v '^-' "$T/opts")
		for v in $verbs; do
			ghrctl "$c" "$v" --list-options >>"$T/opts"
			ghrctl "$c" "$v" --help >"$T/vh" 2>&1
			test_eq "$?" 0 "$c $v --help exits 0"
			grep -q "^\.It Cm $v\|^\.Cm $v" "$page" && ok "$c $v: in its man page" ||
			    not_ok "$c $v: verb not in man/ghrctl-$c.1"
		done
		for o in $(grep '^--' "$T/opts" | sed 's/=$//' | sort -u); do
			name=${o#--}
			if grep -q "Fl -$name\b" "$page"; then
				ok "$c $o: in man/ghrctl-$c.1"
			else
				not_ok "$c $o: option not documented in man/ghrctl-$c.1"
			fi
			grep -q -- "$o" "$T/vh" "$T/usage" 2>/dev/null || ghrctl "$c" --help | grep -q -- "$o" ||
			    for v in $verbs; do ghrctl "$c" "$v" --help; done | grep -q -- "$o" ||
			    not_ok "$c $o: not in --help"
		done
	done
	test_done
}

test_common_options_documented() {
	test_init common_options_documented
	for o in $(ghrctl --list-options | sed 's/=$//'); do
		case $o in --list-commands) continue ;; esac
		grep -q "Fl -${o#--}\b" "$TOP/man/ghrctl.1" && ok "$o in ghrctl.1" ||
		    not_ok "$o not documented in ghrctl.1"
		[ "$o" = --version ] && continue
		ghrctl --help | grep -q -- "$o" && ok "$o in ghrctl --help" || not_ok "$o not in ghrctl --help"
	done
	for k in $(ghrctl config --keys | awk 'NR > 1 { print $1 }'); do
		grep -q "Ev $k\b" "$TOP/man/ghrctl.1" && ok "key $k in ghrctl.1 ENVIRONMENT" ||
		    not_ok "key $k not documented in ghrctl.1"
	done
	test_done
}

test_completions() {
	test_init completions
	mkdir -p "$T/bin"
	ln -s "$BIN" "$T/bin/ghrctl"
	cmds=$(ghrctl --list-commands | tr '\n' ' ' | sed 's/ $//')
	got=$(PATH="$T/bin:$PATH" bash -c '. "$1"; COMP_WORDS=(ghrctl ""); COMP_CWORD=1; _ghrctl; echo "${COMPREPLY[*]}"' _ "$TOP/completions/ghrctl.bash")
	test_eq "$got" "$cmds" "bash completes every command"
	for c in $(ghrctl --list-commands); do
		want=$(ghrctl "$c" --list-options | grep '^--' | sed 's/=$//' | sort | tr '\n' ' ')
		[ -n "$want" ] || continue
		got=$(PATH="$T/bin:$PATH" bash -c '. "$1"; COMP_WORDS=(ghrctl "$2" --); COMP_CWORD=2; _ghrctl; printf "%s\n" "${COMPREPLY[@]}"' _ "$TOP/completions/ghrctl.bash" "$c" |
		    grep -xF -e "$(ghrctl "$c" --list-options | grep "^--" | sed "s/=$//")" | sort | tr '\n' ' ')
		test_eq "$got" "$want" "bash completes the options of $c"
	done
	for f in ghrctl.bash _ghrctl ghrctl.fish; do
		listed=$(sed -n 's/^# Commands (tests\/integ\/t0010-docs.sh keeps this in step): //p' "$TOP/completions/$f")
		test_eq "$listed" "$cmds" "$f names every command in its header"
	done
	for f in _ghrctl ghrctl.fish; do
		grep -q -- '--list-commands' "$TOP/completions/$f" && grep -q -- '--list-options' "$TOP/completions/$f" &&
		    ok "$f asks the binary" || not_ok "$f does not use --list-commands/--list-options"
	done
	if command -v zsh >/dev/null 2>&1; then
		zsh -n "$TOP/completions/_ghrctl" && ok "_ghrctl parses (zsh -n)" || not_ok "_ghrctl: zsh -n failed"
	fi
	if command -v fish >/dev/null 2>&1; then
		fish -n "$TOP/completions/ghrctl.fish" && ok "ghrctl.fish parses (fish -n)" || not_ok "ghrctl.fish: fish -n failed"
	fi
	bash -n "$TOP/completions/ghrctl.bash" && ok "ghrctl.bash parses" || not_ok "ghrctl.bash: bash -n failed"
	test_done
}

# Each shell's completion run non-interactively: what `ghrctl <TAB>`,
# `ghrctl --<TAB>`, `ghrctl help <TAB>`, `ghrctl runners token <TAB>` and
# an option's value offer.
bash_complete() {
	PATH="$T/bin:$PATH" bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ghrctl; printf "%s\n" "${COMPREPLY[@]}"' _ "$TOP/completions/ghrctl.bash" "$@" | sort | tr '\n' ' ' | sed 's/ $//'
}

fish_complete() {
	HOME="$T" PATH="$T/bin:$PATH" fish --no-config -c 'source $argv[1]; complete -C $argv[2]' "$TOP/completions/ghrctl.fish" "$1" |
	    cut -f1 | sort | tr '\n' ' ' | sed 's/ $//'
}

# zsh: compadd and _describe stubbed to print what they are given.
zsh_complete() {
	PATH="$T/bin:$PATH" zsh -f -c '
	    compadd() { [[ $1 == -a ]] && print -l ${(P)2}; }
	    _describe() { print -l ${${(P)4}%%:*}; }
	    _files() { print FILES; }
	    f=$1; shift; words=("$@"); CURRENT=$#; source $f' _ "$TOP/completions/_ghrctl" "$@" |
	    sort | tr '\n' ' ' | sed 's/ $//'
}

test_completion_shells() {
	test_init completion_shells
	mkdir -p "$T/bin"
	ln -s "$BIN" "$T/bin/ghrctl"
	cmds=$(ghrctl --list-commands | sort | tr '\n' ' ' | sed 's/ $//')
	ghrctl --list-options | grep -q -- '--list-commands' &&
	    not_ok "--list-options offers the internal --list-commands" || ok "--list-commands not offered"
	test_eq "$(bash_complete ghrctl "")" "$cmds" "bash: ghrctl <TAB>"
	test_eq "$(bash_complete ghrctl help "")" "$cmds" "bash: ghrctl help <TAB>"
	test_eq "$(bash_complete ghrctl runners token "")" "register remove" "bash: ghrctl runners token <TAB>"
	test_eq "$(bash_complete ghrctl poll --log-format "")" "auto json logfmt text" "bash: --log-format values"
	test_eq "$(bash_complete ghrctl jobs -o "")" "csv json table trace" "bash: jobs -o offers trace"
	test_eq "$(bash_complete ghrctl runners list -o "")" "csv json table" "bash: runners list -o has no trace"
	bash_complete ghrctl --l | grep -q list-commands && not_ok "bash offers --list-commands" || ok "bash: --list-commands not offered"
	if command -v fish >/dev/null 2>&1; then
		test_eq "$(fish_complete 'ghrctl ')" "$cmds" "fish: ghrctl <TAB> (empty args are no argument)"
		test_eq "$(fish_complete 'ghrctl help ')" "$cmds" "fish: ghrctl help <TAB>"
		test_eq "$(fish_complete 'ghrctl runners token ')" "register remove" "fish: ghrctl runners token <TAB>"
		test_eq "$(fish_complete 'ghrctl runners list -o ')" "csv json table" "fish: -o values"
		test_eq "$(fish_complete 'ghrctl scale --source ')" "actions rest" "fish: --source values"
		test_eq "$(fish_complete 'ghrctl poll --log-format ')" "auto json logfmt text" "fish: --log-format values"
		test_eq "$(fish_complete 'ghrctl jobs -o ')" "csv json table trace" "fish: jobs -o offers trace"
		fish_complete 'ghrctl --l' | grep -q list-commands && not_ok "fish offers --list-commands" || ok "fish: --list-commands not offered"
	else
		ok "# SKIP fish not installed"
	fi
	if command -v zsh >/dev/null 2>&1; then
		test_eq "$(zsh_complete ghrctl "")" "$cmds" "zsh: ghrctl <TAB>"
		test_eq "$(zsh_complete ghrctl help "")" "$cmds" "zsh: ghrctl help <TAB>"
		test_eq "$(zsh_complete ghrctl runners token "")" "register remove" "zsh: ghrctl runners token <TAB>"
		test_eq "$(zsh_complete ghrctl runners "")" "count delete jit list show token" "zsh: ghrctl runners <TAB> (described verbs)"
		test_eq "$(zsh_complete ghrctl runners list -o "")" "csv json table" "zsh: -o values"
		test_eq "$(zsh_complete ghrctl poll --log-format "")" "auto json logfmt text" "zsh: --log-format values"
		test_eq "$(zsh_complete ghrctl jobs -o "")" "csv json table trace" "zsh: jobs -o offers trace"
		test_eq "$(zsh_complete ghrctl poll --metrics-file "")" "FILES" "zsh: --metrics-file is a file"
		test_eq "$(zsh_complete ghrctl scale --source "")" "actions rest" "zsh: --source values"
		grep -q '_describe' "$TOP/completions/_ghrctl" && ok "zsh: commands described" || not_ok "zsh: no descriptions"
	else
		ok "# SKIP zsh not installed"
	fi
	test_done
}

# ghrctl.conf(5) names every key; make install installs it, and ends
# without an ignored error.
test_conf_page_and_install() {
	test_init conf_page_and_install
	for k in $(ghrctl config --keys | awk 'NR > 1 { print $1 }'); do
		grep -q "^\.It Ev $k\$" "$TOP/man/ghrctl.conf.5" ||
		    not_ok "key $k not in ghrctl.conf.5"
	done
	ok "ghrctl.conf.5 checked"
	if [ -x "$TOP/ghrctl" ]; then
		make -s -C "$TOP" -o ghrctl install DESTDIR="$T/root" PREFIX=/usr >"$T/inst" 2>&1
		test_eq "$?" 0 "make install exits 0"
		test_nomatch "$T/inst" "Error|ignored" "make install: no (ignored) error"
		[ -f "$T/root/usr/share/man/man5/ghrctl.conf.5" ] &&
		    ok "ghrctl.conf.5 installed" || not_ok "ghrctl.conf.5 not installed"
		[ -f "$T/root/usr/share/man/man1/ghrctl.1" ] &&
		    ok "ghrctl.1 installed" || not_ok "ghrctl.1 not installed"
	fi
	test_done
}

run_test test_man_pages
run_test test_conf_page_and_install
run_test test_commands_documented
run_test test_common_options_documented
run_test test_completions
run_test test_completion_shells
