#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# The QMP control socket, driven from outside by real clients (a python3
# stdlib client and socat): the protocol, the monitor commands, every kind of
# bad input, and quit at random moments measured until the process is gone.
bats_require_minimum_version 1.5.0
load helpers

CLIENT="$ROOT/tests/qmp_client.py"

setup() {
	require_kvm
	SOCK="$BATS_TEST_TMPDIR/qmp.sock"
	HV_PID=
}

suite_teardown() {
	# a failed assertion must not leave the VMM running (and bats waiting on it)
	if [ -n "$HV_PID" ]; then
		kill -KILL "$HV_PID" 2>/dev/null || true
	fi
}

start_hvsmoke() {
	"$@" --qmp "$SOCK" > "$BATS_TEST_TMPDIR/out.tap" 2> "$BATS_TEST_TMPDIR/err.txt" 3>&- &
	HV_PID=$!
	for _ in $(seq 1 500); do
		[ -S "$SOCK" ] && return 0
		sleep 0.01
	done
	return 1
}

stop_hvsmoke() {
	# bounded: a hung process fails the test instead of hanging the suite
	for _ in $(seq 1 500); do
		kill -0 "$HV_PID" 2>/dev/null || break
		sleep 0.01
	done
	if kill -0 "$HV_PID" 2>/dev/null; then
		kill -KILL "$HV_PID"
		return 1
	fi
	wait "$HV_PID"
}

@test "the socket is created with mode 0600" {
	start_hvsmoke "$HV" --cpus 2 --duration 30 --storm 50 -q
	[ "$(stat -c %a "$SOCK")" = 600 ]
	python3 "$CLIENT" session "$SOCK" 2 >/dev/null
	stop_hvsmoke
}

@test "a full QMP session through a real client: capabilities, query-cpus-fast, info registers -a during boot, quit" {
	start_hvsmoke "$HV" --cpus 4 --duration 30 --storm 200 -q
	run python3 "$CLIENT" session "$SOCK" 4
	echo "$output"
	[ "$status" -eq 0 ]
	stop_hvsmoke
	rc=$?
	[ "$rc" -eq 0 ]
	[ ! -e "$SOCK" ]	# removed on exit
	grep -q '^# verdict: pass' "$BATS_TEST_TMPDIR/out.tap"
}

@test "socat as a client: greeting, capabilities, query-status, quit" {
	start_hvsmoke "$HV" --cpus 2 --duration 30 --storm 50 -q
	run bash -c "printf '%s\n' '{\"execute\":\"qmp_capabilities\"}' '{\"execute\":\"query-status\"}' \
		'{\"execute\":\"quit\"}' | socat -t 5 - UNIX-CONNECT:$SOCK"
	echo "$output"
	[[ "$output" == *'"QMP":'* ]]
	[[ "$output" == *'"status":"running"'* ]]
	[[ "$output" == *'"event":"SHUTDOWN"'* ]]
	stop_hvsmoke
}

@test "malformed input: each case gets its QMP error, and nothing crashes, stalls or leaks (ASan)" {
	HVA="$BUILD/hvsmoke-asan"
	ASAN_OPTIONS=detect_leaks=1 start_hvsmoke "$HVA" --cpus 2 --duration 60 --storm 50 -q
	run python3 "$CLIENT" malformed "$SOCK"
	echo "$output"
	[ "$status" -eq 0 ]
	stop_hvsmoke
	rc=$?
	cat "$BATS_TEST_TMPDIR/err.txt"
	[ "$rc" -eq 0 ]
	! grep -q 'Sanitizer' "$BATS_TEST_TMPDIR/err.txt"
	# the vCPUs kept booting while the monitor was abused
	grep -q '^# verdict: pass' "$BATS_TEST_TMPDIR/out.tap"
}

@test "quit over QMP at random moments during boot, 100 times: the process is really gone each time" {
	run python3 "$CLIENT" quit-timing 100 -- "$HV" --cpus 4 --duration 30 --storm 20 -q
	echo "$output" | tail -3
	[ "$status" -eq 0 ]
	[[ "$output" == *'"runs": 100'* ]]
}

@test "700 pipelined 'info registers -a' as the run ends: new clients are greeted, the process still ends" {
	# the issue's exact scenario: sent at 2.95 s of a 3 s run, SIGTERM at 4 s
	run python3 "$CLIENT" flood 700 2.95 4 -- "$HV" --cpus 2 --duration 3 -q
	echo "$output"
	[ "$status" -eq 0 ]
	# the same flood in the middle of the run: SIGTERM still wins at once
	run python3 "$CLIENT" flood 700 0.5 1.5 -- "$HV" --cpus 2 --duration 10 -q
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"SIGTERM ended the process"* ]]
}

@test "QMP stop longer than the firmware's scan deadline, at random moments: no boot fails" {
	# stop 60 ms against a 50 ms scan deadline (--boot-timeout 100), 100 times:
	# without the pause credit (GPA_PAUSE_TSC) about one pause in thirty lands
	# in a scan and reads ap-missing; with it, a pause changes nothing
	run python3 "$CLIENT" pause-storm 100 60 -- "$HV" --cpus 8 --duration 60 --boot-timeout 100 \
		--reuse-vm -q
	echo "$output" | tail -3
	[[ "$output" == *'"pauses": 100'* ]]
	[ "$status" -eq 0 ]
}

@test "a bad --qmp path is a one-line error and exit 2" {
	run --separate-stderr "$HV" --qmp "$BATS_TEST_TMPDIR/no/such/dir/q.sock" --iterations 1
	[ "$status" -eq 2 ]
	[[ "$stderr" == "hvsmoke: error: --qmp "* ]]
	touch "$BATS_TEST_TMPDIR/plain"
	run --separate-stderr "$HV" --qmp "$BATS_TEST_TMPDIR/plain" --iterations 1
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"exists and is not a socket"* ]]
}
