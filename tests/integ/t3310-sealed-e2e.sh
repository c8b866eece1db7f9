#!/bin/sh
# SPDX-License-Identifier: ISC
# t3310-sealed-e2e.sh: late binding end to end (issue 14).  `ghrctl scale`
# launches instances whose user data holds no secret; each instance's
# `ghrctl boot` (a local process against its own IMDS on the fake EC2)
# publishes its key on its console; a later `ghrctl scale` (another
# process: the delivery survives the launching one) reads the consoles
# with GetConsoleOutput, seals each runner's JIT config to its instance
# and tags it with one CreateTags; each boot obtains exactly its own
# config; once opened, ghrctl deletes the tags.  No JIT config, nor any
# part of it, is in clear in user data, tags, console output, launch
# parameters, logs or command lines.
. ./lib.sh
. ./ec2lib.sh

runner_script() {
	cat >"$T/runner.sh" <<-'EOF'
	#!/bin/sh
	printf '%s' "$ACTIONS_RUNNER_INPUT_JITCONFIG" >"$OUT.jit"
	sleep 30 &
	echo $! >"$OUT.step"
	wait
	EOF
	chmod +x "$T/runner.sh"
}

# boot ID: ghrctl boot of instance ID, in the background
boot() {
	OUT="$T/$1" "$BIN" boot -v --imds-endpoint "https://localhost:$AWS_PORT/imds/$1" \
	    --console "$T/console/$1.console" --runner "$T/runner.sh" \
	    --interval 100ms --wait 30s --scrub-after 2s \
	    >"$T/$1.out" 2>"$T/$1.err" &
	BOOTS="$BOOTS $!"
}

# tags ID: the instance's tag keys, sorted, one line
tags() {
	"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(" ".join(sorted(k for i in d["instances"] if i["id"] == sys.argv[2] for k in i["tags"])))' "$AWS_LOG.ec2" "$1"
}

test_e2e() {
	test_init e2e
	mkdir -p "$T/console"
	ec2_setup --console-dir "$T/console" || { test_done; return; }
	runner_script
	stats 2
	ghrctl scale >"$T/out1" 2>"$T/err1"
	test_eq "$?" 0 "scale launches ($(cat "$T/err1"))"
	test_eq "$(instances running)" 2 "2 instances"
	test_eq "$(ls "$T/state/deliver" | wc -l | tr -d ' ')" 2 "2 deliveries pending in the state directory"
	test_eq "$(stat -c %a "$T/state/deliver/$(rname 1)")" 600 "a pending delivery is 0600"
	test_eq "$(stat -c %a "$T/state/deliver")" 700 "the delivery directory is 0700"
	i1=$(inst 1) i2=$(inst 2)
	BOOTS=
	boot "$i1"
	boot "$i2"
	wait_for grep -q '^ghrctl-boot-key v1' "$T/console/$i1.console" 2>/dev/null
	wait_for grep -q '^ghrctl-boot-key v1' "$T/console/$i2.console" 2>/dev/null
	# A later process delivers.
	ghrctl scale -v >"$T/out2" 2>"$T/err2"
	test_eq "$?" 0 "scale delivers ($(cat "$T/err2"))"
	test_match "$T/err2" 'deliveries: 2 sealed and tagged' "both delivered"
	test_eq "$(calls GetConsoleOutput)" 2 "one GetConsoleOutput per instance"
	test_eq "$(params CreateTags | grep -c 'ghrctl:seal:')" 2 "one sealing CreateTags per instance"
	test_match "$AWS_LOG" '"Latest": "true"' "GetConsoleOutput with Latest=true"
	WAIT_TICKS=400 wait_for test -s "$T/$i1.jit"
	WAIT_TICKS=400 wait_for test -s "$T/$i2.jit"
	for n in 1 2; do
		i=$(inst $n)
		test_eq "$("$PY" -c 'import base64,sys; print(base64.b64decode(open(sys.argv[1]).read()).decode()[:10])' "$T/$i.jit")" \
		    JITSECRET- "instance $n's runner got a JIT config"
		test_match "$T/$i.err" "sealed config for runner $(rname $n) of scale set 1 opened" \
		    "instance $n opened exactly its own runner's config"
	done
	test_eq "$([ "$(cat "$T/$i1.jit")" != "$(cat "$T/$i2.jit")" ] && echo differ)" differ "each got a different config"
	test_match "$T/console/$i1.console" "^ghrctl-boot-opened v1 $i1\$" "boot says it opened it"
	# The next pass sees the opened lines and deletes the tags.
	ghrctl scale -v >"$T/out3" 2>"$T/err3"
	test_match "$T/err3" '2 opened and cleared' "tags cleared after opening"
	test_eq "$(calls DeleteTags)" 2 "one DeleteTags per instance"
	test_nomatch "$AWS_LOG.ec2" 'ghrctl:seal:' "no sealed tag left"
	test_eq "$(ls "$T/state/deliver" | wc -l | tr -d ' ')" 0 "no delivery pending"
	# Nothing an account reader, a log or a command line shows holds the
	# config or part of it (the fake's configs are base64 of JITSECRET-...).
	for n in 1 2; do
		i=$(inst $n)
		j=$(cat "$T/$i.jit")
		for f in "$AWS_LOG" "$AWS_LOG.ec2" "$T/console/$i1.console" "$T/console/$i2.console" \
		    "$T"/out? "$T"/err? "$T"/i-*.out "$T"/i-*.err; do
			test_nomatch "$f" "$j|JITSECRET|$(printf %s "$j" | cut -c 1-16)" "config $n not in $(basename "$f")"
		done
		grep -l "$j" /proc/[0-9]*/cmdline 2>/dev/null >"$T/cmdlines"
		test_eq "$(cat "$T/cmdlines")" "" "config $n on no command line"
	done
	for p in $(cat "$T"/i-*.step); do kill "$p" 2>/dev/null; done
	for p in $BOOTS; do wait "$p"; done
	test_done
}

# Another instance's user data, console output and tags do not open a
# config: the sealed tags of instance 1 copied onto instance 2 are
# refused by instance 2's boot.
test_other_instance() {
	test_init other_instance
	mkdir -p "$T/console"
	ec2_setup --console-dir "$T/console" || { test_done; return; }
	runner_script
	stats 2
	ghrctl scale >/dev/null 2>&1
	i1=$(inst 1) i2=$(inst 2)
	BOOTS=
	boot "$i1"
	wait_for grep -q '^ghrctl-boot-key v1' "$T/console/$i1.console" 2>/dev/null
	ghrctl scale -v >/dev/null 2>"$T/err2"
	test_match "$T/err2" 'deliveries: 1 sealed and tagged, 1 waiting' "instance 1 delivered, 2 waits for its key"
	# Copy instance 1's sealed tags onto instance 2 before its boot.
	"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
t = [i for i in d["instances"] if i["id"] == sys.argv[2]][0]["tags"]
print(json.dumps({"op": "tags", "id": sys.argv[3], "set": {k: v for k, v in t.items() if k.startswith("ghrctl:seal:")}}))' \
	    "$AWS_LOG.ec2" "$i1" "$i2" >>"$T/ec2.ctl"
	OUT="$T/$i2" "$BIN" boot --imds-endpoint "https://localhost:$AWS_PORT/imds/$i2" \
	    --console "$T/console/$i2.console" --runner "$T/runner.sh" \
	    --interval 100ms --wait 2s >"$T/$i2.out" 2>"$T/$i2.err"
	test_eq "$?" 75 "instance 2 refuses instance 1's config and gives up"
	test_match "$T/$i2.err" 'bad signature' "refused: not sealed for this instance's key"
	test_eq "$(test -e "$T/$i2.jit" && echo started)" "" "no runner started on instance 2"
	for p in $(cat "$T"/i-*.step 2>/dev/null); do kill "$p" 2>/dev/null; done
	for p in $BOOTS; do wait "$p"; done
	test_done
}

# kill -9 between RunInstances and recording the instance: the pending
# delivery (written before the launch) has no instance id; the next run
# finds the instance by its ghrctl:runner tag and delivers.
test_killed_before_record() {
	test_init killed_before_record
	mkdir -p "$T/console"
	ec2_setup --console-dir "$T/console" || { test_done; return; }
	runner_script
	stats 1
	ghrctl scale >/dev/null 2>&1
	i1=$(inst 1)
	f="$T/state/deliver/$(rname 1)"
	test_match "$f" "^instance $i1\$" "the launch recorded its instance"
	sed -i 's/^instance .*/instance /' "$f"
	BOOTS=
	boot "$i1"
	wait_for grep -q '^ghrctl-boot-key v1' "$T/console/$i1.console" 2>/dev/null
	ghrctl scale -v >/dev/null 2>"$T/err2"
	test_match "$T/err2" 'deliveries: 1 sealed and tagged' "the next run delivers"
	test_match "$AWS_LOG" '"Filter.1.Name": "tag:ghrctl:runner"' "found by its runner tag"
	WAIT_TICKS=400 wait_for test -s "$T/$i1.jit"
	test_eq "$(test -s "$T/$i1.jit" && echo got)" got "the runner got its config"
	for p in $(cat "$T"/i-*.step 2>/dev/null); do kill "$p" 2>/dev/null; done
	for p in $BOOTS; do wait "$p"; done
	test_done
}

# A cron `scale` delivers a burst's configs in one pass: its instances wait
# for them (ghrctl boot --wait) and JIT configs expire, so a pass that
# took a few (8 before) left a burst of 80 to 20 minutes of cron passes.
# Its EC2 calls stay paced (tests: t3120).
test_cron_burst() {
	test_init cron_burst
	mkdir -p "$T/console"
	ec2_setup --console-dir "$T/console" || { test_done; return; }
	cat >"$T/runner.sh" <<-'EOF'
	#!/bin/sh
	[ -n "$ACTIONS_RUNNER_INPUT_JITCONFIG" ] && echo ran >"$OUT.ran"
	EOF
	chmod +x "$T/runner.sh"
	stats 20
	MAX_RUNNERS=20 ghrctl scale >"$T/out1" 2>"$T/err1"
	test_eq "$?" 0 "scale launches 20 ($(tail -n 1 "$T/err1"))"
	test_eq "$(ls "$T/state/deliver" | wc -l | tr -d ' ')" 20 "20 deliveries pending"
	BOOTS=
	for n in $(seq 1 20); do boot "$(inst $n)"; done
	keys() { [ "$(grep -l '^ghrctl-boot-key v1' "$T"/console/*.console 2>/dev/null | wc -l)" -eq 20 ]; }
	WAIT_TICKS=600 wait_for keys
	MAX_RUNNERS=20 ghrctl scale -v >"$T/out2" 2>"$T/err2"
	test_eq "$?" 0 "scale delivers ($(tail -n 1 "$T/err2"))"
	test_match "$T/err2" 'deliveries: 20 sealed and tagged' "one cron pass delivers all 20"
	ran() { [ "$(ls "$T"/i-*.ran 2>/dev/null | wc -l)" -eq 20 ]; }
	WAIT_TICKS=600 wait_for ran && ok "20 runners started with their configs" ||
	    not_ok "runners started: $(ls "$T"/i-*.ran 2>/dev/null | wc -l)"
	for p in $BOOTS; do wait "$p"; done
	test_done
}

run_test test_e2e
run_test test_cron_burst
run_test test_killed_before_record
run_test test_other_instance
