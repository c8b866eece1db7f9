#!/bin/sh
# SPDX-License-Identifier: ISC
# t3300-boot.sh: `ghrctl boot` on a runner instance, against the fake
# EC2's per-instance IMDS (TLS) and console: it publishes its key on the
# console, takes exactly its own sealed config from its tags, starts the
# runner with the config in ACTIONS_RUNNER_INPUT_JITCONFIG (not argv),
# removes it from the runner's processes' environment, and refuses
# tampered, swapped (another instance's), expired and wrongly signed
# configs, giving up with status 75 when none it can open arrives.
. ./lib.sh

SIGNER=86f8a343c3e0a082e93190567bc4ed628a309b667126944fd2cd5fe641d2c29d
OTHER=54c48bedf8777e7403913c9347d3d06e77caf6b593744ad71911d3230b7e8f9d
JIT=eyIucnVubmVyIjoiSklULVNFQ1JFVC10MzMwMC1ydW5uZXItY29uZmlnIn0=
SECRET_PART=JIT-SECRET-t3300

boot_setup() {
	test_ca || return 1
	: >"$T/ec2.ctl"
	mkdir -p "$T/console"
	fake_start aws --ec2-control "$T/ec2.ctl" --console-dir "$T/console" ||
	    return 1
	export GHRCTL_CA_FILE="$CA/ca.pem"
	SPUB=$("$PY" "$TOP/tests/fake/sealref.py" pub $SIGNER)
	# The fake runner: records its argv, the config it got, and starts a
	# "job step" that outlives the scrub.
	cat >"$T/runner.sh" <<-'EOF'
	#!/bin/sh
	echo "argv: $0 $*" >"$OUT.argv"
	printf '%s' "$ACTIONS_RUNNER_INPUT_JITCONFIG" >"$OUT.jit"
	sleep 30 &
	echo $! >"$OUT.step"
	echo $$ >"$OUT.pid"
	wait
	EOF
	chmod +x "$T/runner.sh"
}

# launch ID [METADATA_TAGS]: an instance whose user data names the signer
launch() {
	printf '{"op":"launch","id":"%s","metadata_tags":"%s","user_data":"%s"}\n' \
	    "$1" "${2:-enabled}" \
	    "#!/bin/sh\\nexport GHRCTL_SIGNING_KEY=$SPUB GHRCTL_SCALE_SET_ID=42\\n" \
	    >>"$T/ec2.ctl"
}

# boot ID [ARGS...]: run ghrctl boot for instance ID in the background
boot() {
	b_id=$1
	shift
	OUT="$T/$b_id" "$BIN" boot --imds-endpoint "https://localhost:$AWS_PORT/imds/$b_id" \
	    --console "$T/console/$b_id.console" --runner "$T/runner.sh" \
	    --interval 100ms --wait 20s --scrub-after 1s "$@" \
	    >"$T/$b_id.out" 2>"$T/$b_id.err" &
	eval "BOOT_$(echo "$b_id" | tr -c 'a-z0-9\n' _)=\$!"
}

# pubkey ID: the key instance ID published on its console
pubkey() {
	wait_for grep -q '^ghrctl-boot-key v1 ' "$T/console/$1.console" 2>/dev/null || return 1
	tail -n 1 "$T/console/$1.console" | awk '{ print $4 }'
}

# seal ID KEY [SET [EXPIRY [SIGNER]]]: $JIT sealed to KEY for ID, as
# tag values in $T/ID.tags
seal() {
	"$PY" "$TOP/tests/fake/sealref.py" seal "${5:-$SIGNER}" "$2" "$1" \
	    "${3:-42}" "ghrctl-42-$1" "${4:-$(($(date +%s) + 600))}" "$JIT" \
	    >"$T/$1.tags"
}

# put ID FILE: set the tags in FILE on instance ID
put() { echo "{\"op\":\"tags\",\"id\":\"$1\",\"set\":$(cat "$2")}" >>"$T/ec2.ctl"; }

# deliver ID KEY [SET [EXPIRY [SIGNER]]]: seal and put
deliver() { seal "$@" && put "$1" "$T/$1.tags"; }

test_delivers() {
	test_init delivers
	boot_setup || { test_done; return; }
	launch i-0000000000000a001
	launch i-0000000000000a002
	boot i-0000000000000a001
	boot i-0000000000000a002
	k1=$(pubkey i-0000000000000a001)
	k2=$(pubkey i-0000000000000a002)
	test_eq "${#k1}" 87 "instance 1 published a P-256 key"
	test_match "$T/console/i-0000000000000a001.console" \
	    '^ghrctl-boot-key v1 i-0000000000000a001 [A-Za-z0-9_-]{87} [0-9a-f]{8}$' \
	    "the key line: version, instance id, key, check"
	test_eq "$([ "$k1" != "$k2" ] && echo differ)" differ "each instance has its own key"
	deliver i-0000000000000a001 "$k1"
	deliver i-0000000000000a002 "$k2"
	wait_for test -s "$T/i-0000000000000a001.step"
	wait_for test -s "$T/i-0000000000000a002.step"
	test_eq "$(cat "$T/i-0000000000000a001.jit" 2>/dev/null)" "$JIT" "instance 1's runner got the config"
	test_eq "$(cat "$T/i-0000000000000a002.jit" 2>/dev/null)" "$JIT" "instance 2's runner got the config"
	test_eq "$(cat "$T/i-0000000000000a001.argv")" "argv: $T/runner.sh " "the runner's argv holds no config"
	n=$(grep -c 'ghrctl:seal:' "$T/i-0000000000000a001.tags" | tr -d ' ')
	test_eq "$n" 1 "the sealed config is on the tags"
	# The tags go (the runner is online): the environment is scrubbed.
	echo '{"op":"tags","id":"i-0000000000000a001","delete":["ghrctl:seal:0","ghrctl:seal:1"]}' >>"$T/ec2.ctl"
	sleep 1.5
	for f in pid step; do
		p=$(cat "$T/i-0000000000000a001.$f")
		tr '\0' '\n' <"/proc/$p/environ" >"$T/env-$f"
		test_match "$T/env-$f" '^ACTIONS_RUNNER_INPUT_JITCONFIG=$' "$f: the variable is left empty"
		test_nomatch "$T/env-$f" "$JIT" "$f: /proc/$f/environ no longer has the config"
		test_nomatch "/proc/$p/cmdline" "$JIT" "$f: not on the command line"
	done
	p=$(cat "$T/i-0000000000000a002.step")
	tr '\0' '\n' <"/proc/$p/environ" >"$T/env-2"
	test_nomatch "$T/env-2" "$JIT" "instance 2: scrubbed after --scrub-after"
	# Nothing an account reader sees holds the config.
	for f in "$T/console/"*.console "$T/aws.log" "$T/aws.log.ec2" "$T/"*.err "$T/"*.out; do
		test_nomatch "$f" "$JIT|$SECRET_PART|SklULVNFQ1JFVC" "no config in $(basename "$f")"
	done
	for p in $(cat "$T"/*.pid "$T"/*.step); do
		kill "$p" 2>/dev/null
	done
	wait "$BOOT_i_0000000000000a001"
	test_eq "$?" 1 "boot reports the runner's failure (killed)"
	wait "$BOOT_i_0000000000000a002"
	test_done
}

# refused NAME: boot i-…b01 gives up with 75, no runner started.
refused() {
	wait "$BOOT_i_0000000000000b001"
	rc=$?
	echo '{"op":"tags","id":"i-0000000000000b001","delete":["ghrctl:seal:0","ghrctl:seal:1","ghrctl:seal:2"]}' >>"$T/ec2.ctl"
	test_eq "$rc" 75 "$1: boot gives up with status 75"
	test_eq "$(test -e "$T/i-0000000000000b001.jit" && echo started)" "" "$1: no runner started"
}

test_refuses() {
	test_init refuses
	boot_setup || { test_done; return; }
	launch i-0000000000000b001
	launch i-0000000000000b002
	# Tampered: one character of the ciphertext changed.
	boot i-0000000000000b001 --wait 3s
	k=$(pubkey i-0000000000000b001)
	seal i-0000000000000b001 "$k"
	"$PY" -c 'import json, sys
t = json.load(open(sys.argv[1]))
v = t["ghrctl:seal:0"]
t["ghrctl:seal:0"] = v[:150] + ("A" if v[150] != "A" else "B") + v[151:]
print(json.dumps(t))' "$T/i-0000000000000b001.tags" >"$T/tampered"
	put i-0000000000000b001 "$T/tampered"
	refused tampered
	test_match "$T/i-0000000000000b001.err" 'bad signature' "tampered: bad signature named"

	# Swapped: instance 2's sealed config copied onto instance 1's tags.
	boot i-0000000000000b002 --wait 30s --runner /bin/false
	k2=$(pubkey i-0000000000000b002)
	: >"$T/console/i-0000000000000b001.console"
	boot i-0000000000000b001 --wait 3s
	pubkey i-0000000000000b001 >/dev/null
	deliver i-0000000000000b002 "$k2"
	put i-0000000000000b001 "$T/i-0000000000000b002.tags"
	refused swapped
	test_match "$T/i-0000000000000b001.err" 'bad signature|another instance|for instance i-0000000000000b002' "swapped: refused"

	# Sealed to this instance's key but for the other instance's id: a
	# holder of instance 2's user data, console and tags cannot use them.
	: >"$T/console/i-0000000000000b001.console"
	boot i-0000000000000b001 --wait 3s
	k=$(pubkey i-0000000000000b001)
	seal i-0000000000000b002 "$k"
	put i-0000000000000b001 "$T/i-0000000000000b002.tags"
	refused "other id"
	test_match "$T/i-0000000000000b001.err" 'for instance i-0000000000000b002' "other id: named"

	# Replayed: a config sealed to the key of an earlier boot.
	: >"$T/console/i-0000000000000b001.console"
	boot i-0000000000000b001 --wait 3s
	pubkey i-0000000000000b001 >/dev/null
	deliver i-0000000000000b001 "$k"
	refused replayed
	test_match "$T/i-0000000000000b001.err" 'bad signature' "replayed: refused"

	# Expired.
	: >"$T/console/i-0000000000000b001.console"
	boot i-0000000000000b001 --wait 3s
	k=$(pubkey i-0000000000000b001)
	deliver i-0000000000000b001 "$k" 42 $(($(date +%s) - 1))
	refused expired
	test_match "$T/i-0000000000000b001.err" 'expired' "expired: named"

	# Signed by another key (a sibling with ec2:CreateTags forging one).
	: >"$T/console/i-0000000000000b001.console"
	boot i-0000000000000b001 --wait 3s
	k=$(pubkey i-0000000000000b001)
	deliver i-0000000000000b001 "$k" 42 "" $OTHER
	refused "wrong signer"
	test_match "$T/i-0000000000000b001.err" 'bad signature' "wrong signer: refused"

	# Another scale set's config.
	: >"$T/console/i-0000000000000b001.console"
	boot i-0000000000000b001 --wait 3s
	k=$(pubkey i-0000000000000b001)
	deliver i-0000000000000b001 "$k" 43
	refused "other scale set"
	test_match "$T/i-0000000000000b001.err" 'scale set 43' "other scale set: named"

	# Nothing delivered at all.
	: >"$T/console/i-0000000000000b001.console"
	boot i-0000000000000b001 --wait 1s
	refused "never delivered"
	test_match "$T/i-0000000000000b001.err" 'no sealed config for instance i-0000000000000b001 within' "timeout named"
	wait "$BOOT_i_0000000000000b002"
	test_done
}

test_dry_run() {
	test_init dry_run
	boot_setup || { test_done; return; }
	launch i-0000000000000c001
	ghrctl boot -n --imds-endpoint "https://localhost:$AWS_PORT/imds/i-0000000000000c001" \
	    >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "boot -n exits 0"
	test_match "$T/out" '^instance i-0000000000000c001$' "names the instance"
	test_match "$T/out" '^scale set 42$' "scale set from the user data"
	test_match "$T/out" "^signing key $SPUB\$" "signing key from the user data"
	test_match "$T/out" '^ghrctl-boot-key v1 i-0000000000000c001 ' "prints the key line"
	# No signing key anywhere.
	printf '%s\n' '{"op":"launch","id":"i-0000000000000c002","user_data":"#!/bin/sh\n"}' >>"$T/ec2.ctl"
	ghrctl boot -n --imds-endpoint "https://localhost:$AWS_PORT/imds/i-0000000000000c002" \
	    >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "no signing key: exit 78"
	test_match "$T/err" 'no signing key: give --signing-key' "says what to fix"
	ghrctl boot -n --signing-key AAAA --imds-endpoint "https://localhost:$AWS_PORT/imds/i-0000000000000c002" \
	    >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "bad signing key: exit 78"
	test_done
}

# A job step runs as the runner's user and may read /proc/PID/environ of
# the runner's processes.  The runner here behaves as actions/runner does:
# it reads the variable and removes it from the environment its children
# get (src/Runner.Listener/CommandSettings.cs), writes its settings file
# .runner from the config before it connects (src/Runner.Listener/
# Runner.cs), and a step comes only after the session and the job's
# acquisition (2 s later here).  The step reads its own environment and
# the runner's: boot has emptied the variable by then (without waiting
# for --scrub-after, 60 s here, nor for the tags to go).
test_step_environ() {
	test_init step_environ
	boot_setup || { test_done; return; }
	mkdir -p "$T/rd"
	cat >"$T/rd/run.sh" <<-'EOF'
	#!/bin/sh
	printf '%s' "$ACTIONS_RUNNER_INPUT_JITCONFIG" >"$OUT.jit"
	unset ACTIONS_RUNNER_INPUT_JITCONFIG
	echo '{"agentName":"x"}' >"$(dirname "$0")/.runner"
	sleep 2
	sh -c 'for p in $$ '"$$"'; do tr "\0" "\n" </proc/$p/environ; done >"$OUT.step.tmp"
	    mv "$OUT.step.tmp" "$OUT.stepenv"'
	EOF
	chmod +x "$T/rd/run.sh"
	launch i-0000000000000d001
	boot i-0000000000000d001 --runner "$T/rd/run.sh" --scrub-after 60s
	k=$(pubkey i-0000000000000d001)
	deliver i-0000000000000d001 "$k"
	WAIT_TICKS=400 wait_for test -s "$T/i-0000000000000d001.stepenv"
	wait "$BOOT_i_0000000000000d001"
	test_eq "$?" 0 "the runner ran and exited"
	test_eq "$(cat "$T/i-0000000000000d001.jit" 2>/dev/null)" "$JIT" "the runner got the config"
	test_match "$T/i-0000000000000d001.stepenv" '^ACTIONS_RUNNER_INPUT_JITCONFIG=$' \
	    "the step finds the runner's variable emptied"
	test_nomatch "$T/i-0000000000000d001.stepenv" "$JIT|SklULVNFQ1JFVC" \
	    "the step cannot read the config from /proc/PID/environ"
	test_done
}

# Without --interval, boot looks at its tags every 200 ms (a config is
# opened within a fifth of a second of its CreateTags; IMDS is local):
# some looks come less than 450 ms apart (every one of them was at least
# 500 ms apart with the old default).
test_default_interval() {
	test_init default_interval
	boot_setup || { test_done; return; }
	launch i-0000000000000d001
	OUT="$T/i-0000000000000d001" "$BIN" boot \
	    --imds-endpoint "https://localhost:$AWS_PORT/imds/i-0000000000000d001" \
	    --console "$T/console/i-0000000000000d001.console" --runner "$T/runner.sh" \
	    --wait 60s >"$T/d.out" 2>"$T/d.err" &
	bpid=$!
	looks() { grep -c 'tags/instance/ghrctl[:%3A]*seal[:%3A]*0"' "$AWS_LOG"; }
	enough() { test "$(looks)" -ge 10; }
	WAIT_TICKS=600 wait_for enough
	kill "$bpid" 2>/dev/null
	wait "$bpid"
	gap=$("$PY" -c 'import json,re,sys
t = [r["t"] for r in map(json.loads, open(sys.argv[1]))
     if re.search(r"tags/instance/ghrctl(:|%3A)seal(:|%3A)0$", r.get("path", ""))]
print(int(1000 * min(b - a for a, b in zip(t, t[1:]))))' "$AWS_LOG")
	test_eq "$([ "$gap" -lt 450 ] && echo yes)" yes "the tags are looked at about every 200 ms (shortest gap $gap ms)"
	test_done
}

run_test test_delivers
run_test test_default_interval
run_test test_step_environ
run_test test_refuses
run_test test_dry_run
