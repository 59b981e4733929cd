#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# The quit hammer (seed 002): with every CPU storming port 0x80, a quit at any
# moment gets every vCPU thread out by the deadline; the legacy kick is the
# positive control that must be caught as quit-timeout.
bats_require_minimum_version 1.5.0
load helpers

setup() {
	require_kvm
}

@test "--quit-at random over 500 boots at N=4 with the storm on: no quit-timeout" {
	run "$HV" --cpus 4 --iterations 500 --storm 5 --quit-at random -q \
		--json "$BATS_TEST_TMPDIR/r.json"
	tail -4 <<< "$output"
	[ "$status" -eq 0 ]
	f="$BATS_TEST_TMPDIR/r.json"
	[ "$(json_get "$f" classes.quit-timeout)" -eq 0 ]
	[ "$(json_get "$f" passed)" -eq 500 ]
	# most random quits land inside a boot (the rest after its completion)
	[ "$(json_get "$f" quits)" -ge 100 ]
	[ "$(json_get "$f" quit_latency_us.samples)" -eq "$(json_get "$f" quits)" ]
	for k in p50 p90 p99 max; do
		[ "$(json_get "$f" quit_latency_us.$k)" -gt 0 ]
	done
}

@test "--quit-at MS lands in the BSP's pre-INIT storm and every thread still gets out" {
	run "$HV" --cpus 2 --iterations 20 --storm 50 --quit-at 10 -q --json "$BATS_TEST_TMPDIR/r.json"
	[ "$status" -eq 0 ]
	[ "$(json_get "$BATS_TEST_TMPDIR/r.json" quits)" -eq 20 ]
	[ "$(grep -c '^ok .*quit (--quit-at) after' <<< "$output")" -eq 20 ]
}

@test "legacy-signal kick (request checked only after non-I/O exits) is caught as quit-timeout" {
	run "$HV" --cpus 4 --iterations 300 --storm 5 --quit-at random --kick legacy-signal \
		--json "$BATS_TEST_TMPDIR/r.json"
	if [ "$status" -eq 0 ]; then
		skip "host never lost a kick in 300 boots: every signal landed inside KVM_RUN"
	fi
	sed -n '/^not ok/,/^  \.\.\./p' <<< "$output" | head -20
	[ "$status" -eq 1 ]
	[[ "$output" == *"class: quit-timeout"* ]]
	# evidence: which thread is still in the guest, with its exit counts (still
	# storming when they grow; halted with the kick lost when they do not)
	grep -E 'vcpu [0-9]+: still in the guest: exits=[0-9]+ at the deadline, [0-9]+ 10 ms later \(io_exits=[0-9]+\)' <<< "$output"
	[ "$(json_get "$BATS_TEST_TMPDIR/r.json" classes.quit-timeout)" -eq 1 ]
}

@test "the exit-request kick survives the same storm and quits as the legacy control" {
	run "$HV" --cpus 4 --iterations 300 --storm 5 --quit-at random --kick exit-request -q
	tail -3 <<< "$output"
	[ "$status" -eq 0 ]
}

@test "SIGTERM quits the same way: the process exits promptly with a verdict" {
	"$HV" --cpus 4 --duration 30 --storm 20 --json "$BATS_TEST_TMPDIR/r.json" \
		> "$BATS_TEST_TMPDIR/out.tap" 2>&1 3>&- &
	pid=$!
	sleep 0.3
	start=$(date +%s%N)
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	echo "exit $rc after $ms ms"
	[ "$rc" -eq 0 ]
	[ "$ms" -lt 5000 ]
	grep -q '^# verdict: pass' "$BATS_TEST_TMPDIR/out.tap"
	# the summaries are written on the way out
	[ "$(json_get "$BATS_TEST_TMPDIR/r.json" verdict)" = pass ]
}

@test "SIGINT quits the same way" {
	"$HV" --cpus 2 --duration 30 --storm 20 > "$BATS_TEST_TMPDIR/out.tap" 2>&1 3>&- &
	pid=$!
	sleep 0.3
	kill -INT "$pid"
	wait "$pid"
	[ "$?" -eq 0 ]
	grep -q '^# verdict: pass' "$BATS_TEST_TMPDIR/out.tap"
}
