#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# The register-sync hammer (seed 000): each known-bad write-back policy is a
# positive control that the verdict must catch, and the fixed policy must
# survive the hammer over many boots.
bats_require_minimum_version 1.5.0
load helpers

setup() {
	require_kvm
}

@test "legacy-smm (runtime VALID_SMM with a stale latched_init) is caught as ap-missing with INIT-less evidence" {
	run "$HV" --sync-policy legacy-smm --sync-hammer max --cpus 2 --duration 30 --stop-on-failure \
		--json "$BATS_TEST_TMPDIR/r.json"
	if [ "$status" -eq 0 ]; then
		skip "host never lost an AP in 30 s: the kernel keeps INIT on VALID_SMM writes"
	fi
	sed -n '/^not ok/,/^  \.\.\./p' <<< "$output" | head -30
	[ "$status" -eq 1 ]
	[[ "$output" == *"class: ap-missing"* ]]
	# the seed's signature: the AP sits at the reset vector with no INIT
	# pending, waiting for an INIT (UNINITIALIZED) or for a SIPI that was
	# already consumed (INIT_RECEIVED, when a stale latch re-INITed it)
	grep -E 'vcpu 1: reports=0 mp_state=(UNINITIALIZED|INIT_RECEIVED) cs:rip=f000:0000fff0 .*init_pending=0' <<< "$output"
	[[ "$output" == *"registers: |"* ]]
	[ "$(json_get "$BATS_TEST_TMPDIR/r.json" first_failure.iteration)" -ge 1 ]
	[ "$(json_get "$BATS_TEST_TMPDIR/r.json" syncs)" -gt 0 ]
}

@test "legacy-init (the VMM performs a latched INIT itself) is caught as ap-reset" {
	run "$HV" --sync-policy legacy-init --sync-hammer max --cpus 2 --duration 30 --stop-on-failure \
		--json "$BATS_TEST_TMPDIR/r.json"
	if [ "$status" -eq 0 ]; then
		skip "host never showed a latched INIT to a sync in 30 s"
	fi
	sed -n '/^not ok/,/^  \.\.\./p' <<< "$output" | head -30
	[ "$status" -eq 1 ]
	[[ "$output" == *"class: ap-reset"* ]]
	[[ "$output" == *"ran the reset vector instead of the SIPI trampoline: apic 1"* ]]
	[ "$(json_get "$BATS_TEST_TMPDIR/r.json" legacy_inits)" -ge 1 ]
}

@test "fixed policy under the max hammer: 1000 boots at N=2 with zero failures" {
	run "$HV" --sync-policy fixed --sync-hammer max --cpus 2 --iterations 1000 -q \
		--json "$BATS_TEST_TMPDIR/r.json"
	tail -4 <<< "$output"
	[ "$status" -eq 0 ]
	f="$BATS_TEST_TMPDIR/r.json"
	[ "$(json_get "$f" passed)" -eq 1000 ]
	# the hammer really ran: at least one sync per boot
	[ "$(json_get "$f" syncs)" -ge 1000 ]
	[ "$(json_get "$f" sync_timeouts)" -eq 0 ]
	[ "$(json_get "$f" first_failure)" = None ]
}

@test "fixed policy under the max hammer: 300 boots at N=8 with zero failures" {
	run "$HV" --sync-policy fixed --sync-hammer max --cpus 8 --iterations 300 -q \
		--json "$BATS_TEST_TMPDIR/r.json"
	tail -4 <<< "$output"
	[ "$status" -eq 0 ]
	[ "$(json_get "$BATS_TEST_TMPDIR/r.json" passed)" -eq 300 ]
	[ "$(json_get "$BATS_TEST_TMPDIR/r.json" syncs)" -ge 300 ]
}

@test "a paced hammer (--sync-hammer 2000 --sync-targets aps) syncs only APs and passes" {
	run "$HV" --sync-hammer 2000 --sync-targets aps --cpus 4 --iterations 50 -q \
		--json "$BATS_TEST_TMPDIR/r.json"
	[ "$status" -eq 0 ]
	f="$BATS_TEST_TMPDIR/r.json"
	[ "$(json_get "$f" sync_hammer)" = 2000 ]
	rate=$(json_get "$f" sync_rate_hz)
	echo "sync_rate_hz=$rate"
	python3 -c "import sys; r=float(sys.argv[1]); assert 0 < r <= 2200, r" "$rate"
}

@test "--dump-registers prints an info-registers dump of every vCPU" {
	run "$HV" --cpus 3 --iterations 1 --dump-registers
	[ "$status" -eq 0 ]
	for c in 0 1 2; do
		grep -q "^# CPU#$c\$" <<< "$output"
	done
	grep -qE '^# RIP=[0-9a-f]{16} RFL=' <<< "$output"
	grep -qE '^# CS =0008 ' <<< "$output"
	[[ "$output" == *"MP_STATE=HALTED"* ]]
}

@test "--reuse-vm (warm reset between boots): fixed passes, both legacy policies still caught" {
	run "$HV" --reuse-vm --sync-hammer max --cpus 2 --iterations 500 -q --json "$BATS_TEST_TMPDIR/r.json"
	tail -3 <<< "$output"
	[ "$status" -eq 0 ]
	[ "$(json_get "$BATS_TEST_TMPDIR/r.json" passed)" -eq 500 ]
	run "$HV" --reuse-vm --sync-policy legacy-smm --sync-hammer max --cpus 2 --duration 30 \
		--stop-on-failure --boot-timeout 300
	if [ "$status" -eq 0 ]; then
		skip "host never lost an AP in 30 s with a reused VM"
	fi
	[ "$status" -eq 1 ]
	[[ "$output" == *"class: ap-missing"* ]]
	run "$HV" --reuse-vm --sync-policy legacy-init --sync-hammer max --cpus 2 --duration 30 \
		--stop-on-failure --boot-timeout 300
	[ "$status" -eq 1 ]
	[[ "$output" == *"class: ap-reset"* ]]
}
