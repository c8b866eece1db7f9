#!/bin/sh
# t3110-launch-workers.sh: the JIT configs of a message's launches (poll
# --follow --scale) and of a `scale` pass are made GHRCTL_LAUNCH_CONCURRENCY
# at a time, each worker on connections of its own: with every
# generatejitconfig held for 0.5 s by the fake Actions Service, they
# overlap; with a concurrency of 1 they come one after another; then the
# runners go in one RunInstances batch (MaxCount=N); either way each job
# gets exactly one instance and one JIT config.
. ./lib.sh
. ./ec2lib.sh

# overlap: how many generatejitconfig calls arrived within 0.4 s of the one
# before (each reply is held 0.5 s, so one at a time none can).
overlap() {
	"$PY" - "$ACTIONS_LOG" <<'PY'
import json, sys
t = sorted(json.loads(l)["t"] for l in open(sys.argv[1])
           if 'generatejitconfig' in l)
print(sum(1 for a, b in zip(t, t[1:]) if b - a < 0.4))
PY
}

test_message_in_parallel() {
	test_init message_in_parallel
	ec2_setup || { test_done; return; }
	export MAX_RUNNERS=60 GHRCTL_LAUNCH_CONCURRENCY=8
	actl '{"op":"jit_delay","seconds":0.5}'
	regs=$(grep -c '/actions/runner-registration' "$ACTIONS_LOG")
	scaler_start
	# shellcheck disable=SC2046
	msg 24 $(seq 1 24) 3 7
	wait_long acked 100000001 && ok "a message of 24 jobs handled" || not_ok "not acked: $(tail -n 3 "$T/err")"
	test_eq "$(instances running)" 24 "24 instances"
	test_eq "$(calls RunInstances)" 1 "one RunInstances for the message"
	test_eq "$(asked)" 24 "asking for 24, duplicates in the message dropped"
	test_eq "$(names | tr ' ' '\n' | sort -u | wc -l | tr -d ' ')" 24 "24 runners, one instance each"
	test_eq "$(grep -c generatejitconfig "$ACTIONS_LOG")" 24 "24 JIT configs"
	n=$(overlap)
	[ "$n" -ge 16 ] && ok "JIT configs overlap ($n of 23 within a held reply)" || not_ok "JIT configs did not overlap ($n)"
	[ "$(fake_conns actions)" -ge 8 ] && ok "workers have connections of their own ($(fake_conns actions))" ||
	    not_ok "Actions connections: $(fake_conns actions)"
	test_eq "$(grep -c '/actions/runner-registration' "$ACTIONS_LOG")" $((regs + 1)) "workers share the poller's admin token: one registration"
	scaler_stop
	test_eq "$?" 0 "SIGTERM: exit 0"
	test_done
}

test_one_at_a_time() {
	test_init one_at_a_time
	ec2_setup || { test_done; return; }
	export GHRCTL_LAUNCH_CONCURRENCY=1
	actl '{"op":"jit_delay","seconds":0.5}'
	scaler_start
	msg 4 1 2 3 4
	wait_long acked 100000001 && ok "message handled" || not_ok "not acked: $(tail -n 3 "$T/err")"
	test_eq "$(instances running)" 4 "4 instances"
	test_eq "$(overlap)" 0 "one JIT config at a time"
	test_eq "$(fake_conns aws)" 1 "one EC2 connection"
	scaler_stop
	test_done
}

test_scale_pass() {
	test_init scale_pass
	ec2_setup || { test_done; return; }
	export GHRCTL_LAUNCH_CONCURRENCY=4 MAX_RUNNERS=10
	actl '{"op":"jit_delay","seconds":0.5}'
	stats 12
	ghrctl scale -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale exits 0"
	test_eq "$(instances running)" 10 "MAX_RUNNERS 10 of 12 assigned"
	test_eq "$(ec2 max_live)" 10 "never 11 live"
	n=$(overlap)
	[ "$n" -ge 5 ] && ok "JIT configs overlap ($n)" || not_ok "JIT configs did not overlap ($n)"
	"$PY" - "$T/out" <<'PY' && ok "the plan lists 10 launched instances" || not_ok "plan: $(head -c 300 "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["launch"] == 10 and len(set(d["launched"])) == 10, d
PY
	ghrctl scale >/dev/null 2>"$T/err"
	test_eq "$(calls RunInstances)" 1 "one batch; a second pass launches nothing"
	test_eq "$(asked)" 10 "never asked EC2 for more than MAX_RUNNERS"
	test_done
}

run_test test_message_in_parallel
run_test test_one_at_a_time
run_test test_scale_pass
