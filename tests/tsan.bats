#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# The threaded paths under ThreadSanitizer: vCPU threads, the platform lock,
# the kick and the bounded stop, on passing boots and on a storm that must be
# stopped from outside. Any race report fails the run (exit 66).
bats_require_minimum_version 1.5.0
load helpers

HV_TSAN="$BUILD/hvsmoke-tsan"

setup() {
	require_kvm
	export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"
}

@test "TSan: boots at N=4 pass with no race report" {
	run --separate-stderr "$HV_TSAN" --cpus 4 --iterations 20 -q
	echo "$stderr" | head -40
	[ "$status" -eq 0 ]
	[[ "$stderr" != *"ThreadSanitizer"* ]]
}

@test "TSan: N=8 with a failing firmware (evidence path) has no race report" {
	run --separate-stderr "$HV_TSAN" --cpus 8 --iterations 3 --boot-timeout 300 --firmware "$FW_NOSIPI"
	echo "$stderr" | head -40
	[ "$status" -eq 1 ]
	[[ "$stderr" != *"ThreadSanitizer"* ]]
}

@test "TSan: stopping a port-I/O storm at the deadline has no race report" {
	run --separate-stderr "$HV_TSAN" --cpus 2 --iterations 5 --boot-timeout 100 --firmware "$TESTFW/io_storm.bin"
	echo "$stderr" | head -40
	[ "$status" -eq 1 ]
	[[ "$stderr" != *"ThreadSanitizer"* ]]
	[ "$(grep -c 'class: ap-missing\|class: boot-timeout' <<< "$output")" -eq 5 ]
}

@test "TSan: the max sync hammer on every vCPU (fixed policy) has no race report" {
	run --separate-stderr "$HV_TSAN" --cpus 4 --iterations 20 --sync-hammer max -q
	echo "$stderr" | head -40
	[ "$status" -eq 0 ]
	[[ "$stderr" != *"ThreadSanitizer"* ]]
}

@test "TSan: the hammer with a failing policy and register dumps has no race report" {
	run --separate-stderr "$HV_TSAN" --cpus 2 --iterations 10 --boot-timeout 200 \
		--sync-hammer max --sync-policy legacy-smm --dump-registers
	echo "$stderr" | head -40
	[[ "$stderr" != *"ThreadSanitizer"* ]]
	[ "$status" -eq 0 ] || [ "$status" -eq 1 ]
}

@test "TSan: random quits under the storm with the hammer on have no race report" {
	run --separate-stderr "$HV_TSAN" --cpus 4 --iterations 30 --storm 5 --quit-at random \
		--sync-hammer max -q
	echo "$stderr" | head -40
	[ "$status" -eq 0 ]
	[[ "$stderr" != *"ThreadSanitizer"* ]]
}

@test "TSan: stop/cont at random moments across fresh-VM boots and their teardowns: no race, no failure" {
	# every kick of a pause lands while some boot's threads exit, join and are freed
	run python3 "$ROOT/tests/qmp_client.py" pause-storm 60 5 -- "$HV_TSAN" --cpus 4 --duration 60 -q
	echo "$output" | tail -3
	[[ "$output" == *'"pauses": 60'* ]]
	[ "$status" -eq 0 ]
}

@test "TSan: the QMP server (session, stop/cont, reset, quit) has no race report" {
	SOCK="$BATS_TEST_TMPDIR/q.sock"
	"$HV_TSAN" --cpus 2 --duration 60 --storm 100 --qmp "$SOCK" -q \
		> "$BATS_TEST_TMPDIR/out.tap" 2> "$BATS_TEST_TMPDIR/err.txt" 3>&- &
	pid=$!
	for _ in $(seq 1 500); do [ -S "$SOCK" ] && break; sleep 0.01; done
	run python3 "$ROOT/tests/qmp_client.py" session "$SOCK" 2
	echo "$output" | tail -3
	for _ in $(seq 1 1000); do kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
	kill -KILL "$pid" 2>/dev/null && false
	wait "$pid"
	rc=$?
	head -40 "$BATS_TEST_TMPDIR/err.txt"
	[ "$status" -eq 0 ]
	[ "$rc" -eq 0 ]
	! grep -q ThreadSanitizer "$BATS_TEST_TMPDIR/err.txt"
}

@test "TSan: the QEMU target (monitor hammer thread, quits, reuse) has no race report" {
	require_qemu
	run --separate-stderr "$HV_TSAN" qemu --qemu-accel tcg --cpus 2 --iterations 10 \
		--sync-hammer max --storm 10 --quit-at random -q
	echo "$stderr" | head -40
	[ "$status" -eq 0 ]
	[[ "$stderr" != *"ThreadSanitizer"* ]]
	run --separate-stderr "$HV_TSAN" qemu --qemu-accel tcg --cpus 2 --iterations 10 \
		--sync-hammer 500 --qemu-reuse -q
	[ "$status" -eq 0 ]
	[[ "$stderr" != *"ThreadSanitizer"* ]]
}

@test "ASan: the QEMU target's boot, failure evidence and teardown leak nothing" {
	require_qemu
	export ASAN_OPTIONS="detect_leaks=1"
	run --separate-stderr "$BUILD/hvsmoke-asan" qemu --qemu-accel tcg --cpus 3 \
		--iterations 2 --sync-hammer max --firmware "$FW_NOSIPI" --boot-timeout 400
	echo "$stderr" | head -40
	[ "$status" -eq 1 ]
	[[ "$stderr" != *"AddressSanitizer"* && "$stderr" != *"LeakSanitizer"* ]]
	FAKE_QEMU_MODE=ignore-quit run --separate-stderr "$BUILD/hvsmoke-asan" qemu \
		--qemu "$ROOT/tests/fake_qemu.py" --cpus 2 --iterations 2 --quit-at 0 --quit-deadline 200
	echo "$stderr" | head -40
	[ "$status" -eq 1 ]
	[[ "$stderr" != *"AddressSanitizer"* && "$stderr" != *"LeakSanitizer"* ]]
}
