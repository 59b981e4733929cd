#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# x2APIC mode and up to 1024 vCPUs: the limits and the options x2APIC mode
# excludes are one-line errors before any boot; boots pass in x2APIC mode
# (on request at N = 4, by itself past 255 CPUs), a kept VM boots again
# after one, and a positive control still fires in it. The CPUID topology
# and the host limits are unit-tested (tests/unit/test_x2apic.c).
bats_require_minimum_version 1.5.0
load helpers

PASS2="$ROOT/tests/scripts/pass2-kvm.txt"

# x2APIC mode needs the host KVM's X2APIC_API (hvsmoke skips without it)
# and, past 255 CPUs, that many vCPUs per VM.
require_x2apic() {
	local want=${1:-1} caps
	require_kvm
	caps=$("$HV" info --json | python3 -c 'import json,sys; c=json.load(sys.stdin)["caps"]; print(c.get("X2APIC_API", 0), c.get("MAX_VCPUS", 0))')
	[ "${caps% *}" != 0 ] || skip "host KVM lacks KVM_CAP_X2APIC_API"
	[ "${caps#* }" -ge "$want" ] || skip "host KVM allows ${caps#* } vCPUs, not $want"
}

suite_teardown() {
	if [ -n "${U_DIR:-}" ]; then
		rm -rf "$U_DIR"
	fi
}

@test "--cpus 1025 exits 2 naming the limit and why" {
	run --separate-stderr "$HV" --cpus 1025
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "$stderr" = "hvsmoke: error: --cpus: 1025 is more than 1024, the most the firmware's APIC ID bitmap holds" ]
}

@test "--smm on with more than 255 CPUs or with --x2apic exits 2; --x2apic takes no value" {
	run --separate-stderr "$HV" --smm on --cpus 300
	[ "$status" -eq 2 ]
	[ "$stderr" = "hvsmoke: error: --smm on: the SMM stage supports at most 255 CPUs, in xAPIC mode (per-CPU SMRAM below 640 KiB); --cpus 300 is more" ]
	for args in "--smm on --x2apic" "qemu --smm on --cpus 256" "mkconfig --out $BATS_TEST_TMPDIR/c.bin --smm on --x2apic"; do
		run --separate-stderr "$HV" $args
		echo "$args -> $status: $stderr"
		[ "$status" -eq 2 ]
		[[ "$stderr" == "hvsmoke: error: --smm on: the SMM stage supports at most 255 CPUs, in xAPIC mode"* ]]
	done
	[ ! -e "$BATS_TEST_TMPDIR/c.bin" ]
	run --separate-stderr "$HV" --x2apic=yes
	[ "$status" -eq 2 ]
	[ "$stderr" = "hvsmoke: error: --x2apic takes no value" ]
	run --separate-stderr "$HV" info --x2apic
	[ "$status" -eq 2 ]
}

@test "mkconfig sets CFG_F_X2APIC with --x2apic and past 255 CPUs, and scales the default deadline" {
	# flags: u32 at offset 8; the scan's deadline in ms: TSC ticks (u64 at
	# offset 16, half the boot timeout) over ticks per ms (u32 at offset 32)
	flags() { od -An -tu4 -j8 -N4 "$1" | tr -d ' '; }
	scan_ms() { echo $(( $(od -An -tu8 -j16 -N8 "$1") / $(od -An -tu4 -j32 -N4 "$1") )); }
	run "$HV" mkconfig --out "$BATS_TEST_TMPDIR/x.bin" --cpus 4 --x2apic
	[ "$status" -eq 0 ]
	[ $(( $(flags "$BATS_TEST_TMPDIR/x.bin") & 16 )) -eq 16 ]
	run "$HV" mkconfig --out "$BATS_TEST_TMPDIR/n.bin" --cpus 255
	[ $(( $(flags "$BATS_TEST_TMPDIR/n.bin") & 16 )) -eq 0 ]
	run "$HV" mkconfig --out "$BATS_TEST_TMPDIR/b.bin" --cpus 1024
	[ $(( $(flags "$BATS_TEST_TMPDIR/b.bin") & 16 )) -eq 16 ]
	# the default boot timeout: 2000 ms up to 256 CPUs, 8000 at 1024
	[ "$(scan_ms "$BATS_TEST_TMPDIR/n.bin")" -eq 1000 ]
	[ "$(scan_ms "$BATS_TEST_TMPDIR/b.bin")" -eq 4000 ]
}

@test "the run's JSON records the APIC mode, and compare calls another mode another scenario" {
	run "$HV" --accel "script:$PASS2" --cpus 2 --iterations 2 -q --json "$BATS_TEST_TMPDIR/x.json" --x2apic
	[ "$status" -eq 0 ]
	[ "$(json_get "$BATS_TEST_TMPDIR/x.json" scenario.apic_mode)" = x2apic ]
	[[ "$output" == *"ok 3 - smm stage # SKIP the SMM stage runs with at most 255 CPUs, in xAPIC mode"* ]]
	[ "$(json_get "$BATS_TEST_TMPDIR/x.json" smm.skip_reason)" = "the SMM stage runs with at most 255 CPUs, in xAPIC mode" ]
	run "$HV" --accel "script:$PASS2" --cpus 2 --iterations 2 -q --json "$BATS_TEST_TMPDIR/a.json"
	[ "$(json_get "$BATS_TEST_TMPDIR/a.json" scenario.apic_mode)" = xapic ]
	run --separate-stderr "$HV" compare "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/x.json"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"BASE and NEW are different scenarios, not comparable: apic_mode \"xapic\" vs \"x2apic\""* ]]
	# a run from before the field was written ran in xAPIC mode
	mkdir "$BATS_TEST_TMPDIR/hand-made"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["scenario"]["apic_mode"]; json.dump(d, open(sys.argv[2], "w"))' \
		"$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/hand-made/old.json"
	run "$HV" compare "$BATS_TEST_TMPDIR/hand-made/old.json" "$BATS_TEST_TMPDIR/a.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *" apic_mode=\"xapic\" "* ]]
}

@test "--x2apic --cpus 4: 30 boots pass in x2APIC mode" {
	require_x2apic
	run "$HV" --x2apic --cpus 4 --iterations 30 --json "$BATS_TEST_TMPDIR/r.json"
	tail -3 <<< "$output"
	[ "$status" -eq 0 ]
	[ "$(json_get "$BATS_TEST_TMPDIR/r.json" passed)" -eq 30 ]
	[ "$(json_get "$BATS_TEST_TMPDIR/r.json" scenario.apic_mode)" = x2apic ]
	[ "$(json_get "$BATS_TEST_TMPDIR/r.json" smm.ran)" = False ]
}

@test "256 and 512 CPUs (x2APIC mode by itself): 3 boots each pass" {
	require_x2apic 512
	for n in 256 512; do
		run "$HV" --cpus "$n" --iterations 3 --json "$BATS_TEST_TMPDIR/r$n.json"
		tail -3 <<< "$output"
		[ "$status" -eq 0 ]
		[ "$(grep -c "^ok [123] - boot [123]: $n/$n CPUs online" <<< "$output")" -eq 3 ]
		[ "$(json_get "$BATS_TEST_TMPDIR/r$n.json" scenario.apic_mode)" = x2apic ]
	done
}

@test "--reuse-vm: a kept VM boots again after x2APIC boots (each warm reset puts xAPIC back)" {
	require_x2apic 300
	run "$HV" --x2apic --cpus 4 --reuse-vm --iterations 20 -q
	tail -2 <<< "$output"
	[ "$status" -eq 0 ]
	run "$HV" --cpus 300 --reuse-vm --iterations 3 -q
	tail -2 <<< "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^ok [123] - boot [123]: 300/300 CPUs online' <<< "$output")" -eq 3 ]
}

@test "legacy-smm is still caught as ap-missing in x2APIC mode" {
	require_x2apic
	run "$HV" --x2apic --sync-policy legacy-smm --sync-hammer max --cpus 2 --duration 30 \
		--stop-on-failure --boot-timeout 300
	if [ "$status" -eq 0 ]; then
		skip "host never lost an AP in 30 s: the kernel keeps INIT on VALID_SMM writes"
	fi
	sed -n '/^not ok/,/^  \.\.\./p' <<< "$output" | head -20
	[ "$status" -eq 1 ]
	[[ "$output" == *"class: ap-missing"* ]]
}

@test "a vCPU thread that cannot be created (EAGAIN) fails the boot as vmm-error, cleanly" {
	[ "$(id -u)" = 0 ] || skip "needs root to run as another user with a thread limit"
	command -v setpriv >/dev/null || skip "setpriv is not installed"
	setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$HV" ||
		skip "user nobody cannot run $HV"
	# the scripted accelerator: no /dev/kvm for user nobody, and 200 threads
	# that idle on POST writes until the BSP completes
	U_DIR=$(mktemp -d /tmp/hvsmoke-bats.XXXXXX)
	chmod 0755 "$U_DIR"
	printf '%s\n' "semantics kvm" "vcpu all: io-out 0x80 1" \
		"vcpu 0: event 1 0 2; after 1 3000; event 3 0 1; done 0x10" > "$U_DIR/s.txt"
	chmod 0644 "$U_DIR/s.txt"
	run setpriv --reuid=65534 --regid=65534 --clear-groups bash -c \
		'ulimit -u 60 && exec "$1" --accel "script:$2" --cpus 200 --iterations 2' _ "$HV" "$U_DIR/s.txt"
	grep -E '^(not )?ok|detail:' <<< "$output"
	[ "$status" -eq 1 ]
	[ "$(grep -c '^  class: vmm-error' <<< "$output")" -eq 2 ]
	grep -qE 'detail: "cannot start vCPU [0-9]+ thread \([0-9]+ of 200 running\): Resource temporarily unavailable"' <<< "$output"
	[[ "$output" == *"# verdict: fail, 0 of 2 boots passed, vmm-error=2"* ]]
}

@test "the test firmwares' failures are named past the first 32 APIC IDs and in x2APIC mode" {
	require_x2apic 300
	# no SIPI at 256 CPUs: the firmware itself lists all 255 APs, up to ID 255
	run "$HV" --cpus 256 --iterations 1 --boot-timeout 300 --console --firmware "$BUILD/guestfw-nosipi.bin"
	[ "$status" -eq 1 ]
	[[ "$output" == *'detail: "255 of 255 AP(s) missing (firmware scan finished)'* ]]
	[ "$(grep -c 'hvsmoke: ap-missing apic=' <<< "$output")" -eq 255 ]
	grep -q 'hvsmoke: ap-missing apic=255$' <<< "$output"
	# the last AP comes online just after the scan's snapshot: in the second
	# dword of the bitmap (x2APIC on request), and past 255
	for args in "--x2apic --cpus 33:32" "--cpus 300:299"; do
		run "$HV" ${args%:*} --iterations 1 --boot-timeout 300 --firmware "$BUILD/guestfw-lateap.bin"
		echo "$args -> $status"
		[ "$status" -eq 1 ]
		[[ "$output" == *"detail: \"1 AP(s) came online only after the firmware's scan deadline: apic ${args#*:}\""* ]]
	done
}
