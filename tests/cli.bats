#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# The CLI contract: exit codes, one-line errors for bad input, the skip path
# without /dev/kvm, and the shape of the TAP/JSON/JUnit outputs.
bats_require_minimum_version 1.5.0
load helpers

@test "--help prints usage and exits 0" {
	run "$HV" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: hvsmoke"* ]]
	[[ "$output" == *"--boot-timeout"* ]]
}

@test "an unknown flag exits 2 with exactly one line on stderr and nothing on stdout" {
	run --separate-stderr "$HV" --frobnicate
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	[[ "$stderr" == *"unknown option '--frobnicate'"* ]]
}

@test "bad numbers and values exit 2 with one line" {
	for args in "--cpus 0" "--cpus 100000" "--cpus -3" "--cpus four" "--iterations 0" \
		    "--boot-timeout 5" "--seed x" "--accel xen" "--duration 0" \
		    "--iterations 2 --duration 2" "bogus-command" "--cpus"; do
		run --separate-stderr "$HV" $args
		echo "args: $args -> $status: $stderr"
		[ "$status" -eq 2 ]
		[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
		[[ "$stderr" == "hvsmoke: error: "* ]]
	done
}

@test "a missing firmware file exits 2" {
	run --separate-stderr "$HV" --firmware "$BATS_TEST_TMPDIR/nope.bin"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"No such file"* ]]
}

@test "an empty firmware file exits 2" {
	: > "$BATS_TEST_TMPDIR/empty.bin"
	run --separate-stderr "$HV" --firmware "$BATS_TEST_TMPDIR/empty.bin"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"file is empty"* ]]
}

@test "an oversized firmware file exits 2" {
	head -c 65537 /dev/zero > "$BATS_TEST_TMPDIR/big.bin"
	run --separate-stderr "$HV" --firmware "$BATS_TEST_TMPDIR/big.bin"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"too large"* ]]
}

@test "a directory as firmware exits 2" {
	run --separate-stderr "$HV" --firmware "$BATS_TEST_TMPDIR"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"not a regular file"* ]]
}

@test "no /dev/kvm: exit 4 with a TAP skip and a JSON skip verdict" {
	HVSMOKE_KVM_DEVICE=/nonexistent/kvm run --separate-stderr "$HV" --accel kvm \
		--json "$BATS_TEST_TMPDIR/s.json" --junit "$BATS_TEST_TMPDIR/s.xml"
	[ "$status" -eq 4 ]
	[[ "$output" == *"1..0 # SKIP kvm unavailable: /nonexistent/kvm: No such file or directory"* ]]
	[ "$(json_get "$BATS_TEST_TMPDIR/s.json" verdict)" = skip ]
	python3 -c 'import sys,xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); assert r.find("testcase/skipped") is not None' \
		"$BATS_TEST_TMPDIR/s.xml"
}

@test "info reports the host and, without KVM, says it is unavailable" {
	HVSMOKE_KVM_DEVICE=/nonexistent/kvm run "$HV" info --json
	[ "$status" -eq 0 ]
	echo "$output" > "$BATS_TEST_TMPDIR/i.json"
	[ "$(json_get "$BATS_TEST_TMPDIR/i.json" accel_available)" = False ]
	[[ "$(json_get "$BATS_TEST_TMPDIR/i.json" kernel)" == Linux* ]]
}

@test "info lists the KVM caps that matter" {
	require_kvm
	run "$HV" info
	[ "$status" -eq 0 ]
	for cap in IRQCHIP X86_SMM IMMEDIATE_EXIT MAX_VCPUS "kvm api"; do
		[[ "$output" == *"$cap"* ]]
	done
	run "$HV" info --json
	echo "$output" > "$BATS_TEST_TMPDIR/i.json"
	[ "$(json_get "$BATS_TEST_TMPDIR/i.json" kvm_api)" = 12 ]
	[ "$(json_get "$BATS_TEST_TMPDIR/i.json" caps.IRQCHIP)" = 1 ]
}

@test "mkconfig writes a 40-byte version-2 config that starts with the magic" {
	run "$HV" mkconfig --out "$BATS_TEST_TMPDIR/c.bin" --cpus 8
	[ "$status" -eq 0 ]
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/c.bin")" -eq 40 ]
	# version 2 (u16 at offset 4), size 40 (u16 at offset 6)
	[ "$(od -An -tu2 -j4 -N4 "$BATS_TEST_TMPDIR/c.bin" | tr -s " ")" = " 2 40" ]
	[ "$(head -c 4 "$BATS_TEST_TMPDIR/c.bin")" = HVS1 ]
	run "$HV" mkconfig
	[ "$status" -eq 2 ]
}

@test "the seed is printed and --json carries every documented key" {
	require_kvm
	run --separate-stderr "$HV" --cpus 2 --iterations 3 --seed 1234 --smm off --json "$BATS_TEST_TMPDIR/r.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"seed=1234"* ]]
	[[ "$output" == *"1..3"* ]]
	f="$BATS_TEST_TMPDIR/r.json"
	[ "$(json_get "$f" verdict)" = pass ]
	[ "$(json_get "$f" seed)" = 1234 ]
	[ "$(json_get "$f" accel)" = kvm ]
	[ "$(json_get "$f" cpus)" = 2 ]
	[ "$(json_get "$f" iterations_run)" = 3 ]
	[ "$(json_get "$f" failures)" = "[]" ]
	for k in p50 p90 p99 max; do
		[ "$(json_get "$f" boot_us.$k)" -gt 0 ]
	done
	json_get "$f" host.kernel
	json_get "$f" host.kvm_api
	json_get "$f" host.caps.X86_SMM
	# not a TTY: no progress line
	[[ "$stderr" != *$'\r'* ]]
}

@test "--junit writes one testcase per boot and a failure element for a failed boot" {
	require_kvm
	run "$HV" --cpus 2 --iterations 2 --firmware "$FW_NOSIPI" --boot-timeout 400 \
		--junit "$BATS_TEST_TMPDIR/j.xml"
	[ "$status" -eq 1 ]
	python3 - "$BATS_TEST_TMPDIR/j.xml" <<'PY'
import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
assert r.tag == "testsuite" and r.get("tests") == "2" and r.get("failures") == "2", r.attrib
cases = r.findall("testcase")
assert len(cases) == 2
f = cases[0].find("failure")
assert f.get("type") == "ap-missing" and "mp_state=" in f.text, f.attrib
PY
}

@test "--stop-on-failure stops at the first failed boot and fixes the TAP plan" {
	require_kvm
	run "$HV" --cpus 2 --iterations 5 --firmware "$FW_NOSIPI" --boot-timeout 400 --stop-on-failure --smm off
	[ "$status" -eq 1 ]
	[ "$(grep -c '^not ok' <<< "$output")" -eq 1 ]
	[[ "$output" == *$'\n1..1\n'* ]]
	[[ "$output" != *"1..5"* ]]
}

@test "--duration runs boots until the time is up and prints the plan at the end" {
	require_kvm
	run "$HV" --cpus 1 --duration 1 --smm off
	[ "$status" -eq 0 ]
	n=$(grep -c '^ok ' <<< "$output")
	[ "$n" -ge 1 ]
	[[ "$output" == *$'\n'"1..$n"$'\n'* ]]
}

@test "--smm on without host SMM is a one-line error and exit 2" {
	require_kvm
	if "$HV" info --json | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["caps"]["X86_SMM"] else 1)'; then
		skip "this host's KVM has SMM"
	fi
	run --separate-stderr "$HV" --smm on --iterations 1
	[ "$status" -eq 2 ]
	[ "$stderr" = "hvsmoke: error: --smm on: host KVM lacks KVM_CAP_X86_SMM" ]
	run --separate-stderr "$HV" --smm sometimes
	[ "$status" -eq 2 ]
}

@test "--smm auto without host SMM: a TAP SKIP with the reason, and the boots still count" {
	require_kvm
	if "$HV" info --json | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["caps"]["X86_SMM"] else 1)'; then
		skip "this host's KVM has SMM"
	fi
	run "$HV" --cpus 2 --iterations 3 --json "$BATS_TEST_TMPDIR/r.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\n1..4\n'* ]]
	[[ "$output" == *"ok 4 - smm stage # SKIP host KVM lacks KVM_CAP_X86_SMM"* ]]
	[ "$(grep -c '^ok [123] - boot' <<< "$output")" -eq 3 ]
	[ "$(json_get "$BATS_TEST_TMPDIR/r.json" smm.ran)" = False ]
	[ "$(json_get "$BATS_TEST_TMPDIR/r.json" smm.skip_reason)" = "host KVM lacks KVM_CAP_X86_SMM" ]
	# a failing boot still fails the run when the SMM stage is skipped
	run "$HV" --cpus 2 --iterations 1 --firmware "$FW_NOSIPI" --boot-timeout 300
	[ "$status" -eq 1 ]
	[[ "$output" == *"# SKIP host KVM lacks"* ]]
}

@test "--accel auto with neither KVM nor MSHV: exit 4 naming both" {
	HVSMOKE_KVM_DEVICE=/nonexistent/kvm HVSMOKE_MSHV_DEVICE=/nonexistent/mshv run "$HV" --iterations 1
	[ "$status" -eq 4 ]
	[[ "$output" == *"1..0 # SKIP no accelerator: kvm: /nonexistent/kvm: No such file or directory; mshv: /nonexistent/mshv: No such file or directory"* ]]
}

@test "--accel mshv without /dev/mshv: exit 4 with the reason; info lists MSHV as absent" {
	HVSMOKE_MSHV_DEVICE=/nonexistent/mshv run "$HV" --accel mshv --iterations 1
	[ "$status" -eq 4 ]
	[[ "$output" == *"1..0 # SKIP mshv unavailable: /nonexistent/mshv: No such file or directory"* ]]
	HVSMOKE_MSHV_DEVICE=/nonexistent/mshv run "$HV" info
	[ "$status" -eq 0 ]
	[[ "$output" == *"mshv:            absent: /nonexistent/mshv: No such file or directory"* ]]
	HVSMOKE_MSHV_DEVICE=/nonexistent/mshv run "$HV" info --json
	echo "$output" > "$BATS_TEST_TMPDIR/i.json"
	[ "$(json_get "$BATS_TEST_TMPDIR/i.json" backends.mshv.available)" = False ]
}
