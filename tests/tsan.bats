#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# The threaded paths under ThreadSanitizer: vCPU threads, the platform lock,
# the kick and the bounded stop, on passing boots and on a storm that must be
# stopped from outside. Any race report fails the run (exit 66).
bats_require_minimum_version 1.5.0
load helpers

HV_TSAN="$ROOT/build/hvsmoke-tsan"

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
