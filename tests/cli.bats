#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# The CLI contract: exit codes, one-line errors for bad input, the skip path
# without /dev/kvm, and the shape of the TAP/JSON/JUnit outputs.
bats_require_minimum_version 1.5.0
load helpers

# A passing scripted boot (no /dev/kvm needed) for the tests of outputs and setup errors.
PASS2="$ROOT/tests/scripts/pass2-kvm.txt"

suite_teardown() {
	if [ -n "${U_DIR:-}" ]; then
		rm -rf "$U_DIR"
	fi
}

# A directory an unprivileged user can write to, in U_DIR (removed by teardown).
unprivileged_dir() {
	U_DIR=$(mktemp -d /tmp/hvsmoke-bats.XXXXXX)
	chmod 0777 "$U_DIR"
}

# run, as a user that file permissions apply to: nobody via setpriv when root,
# else the caller itself. The environment passes through.
run_unprivileged() {
	if [ "$(id -u)" != 0 ]; then
		run --separate-stderr "$@"
		return
	fi
	command -v setpriv >/dev/null || skip "setpriv is not installed: cannot drop root here"
	setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$HV" ||
		skip "user nobody cannot run $HV"
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

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
	[[ "$output" == *"1..0 # SKIP kvm unavailable: KVM device /nonexistent/kvm (from HVSMOKE_KVM_DEVICE): No such file or directory"* ]]
	[ "$(json_get "$BATS_TEST_TMPDIR/s.json" verdict)" = skip ]
	python3 -c 'import sys,xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); assert r.find("testcase/skipped") is not None' \
		"$BATS_TEST_TMPDIR/s.xml"
}

@test "info reports the host and, without KVM, says it is unavailable" {
	HVSMOKE_KVM_DEVICE=/nonexistent/kvm run "$HV" info --json
	[ "$status" -eq 0 ]
	echo "$output" > "$BATS_TEST_TMPDIR/i.json"
	[ "$(json_get "$BATS_TEST_TMPDIR/i.json" accel_available)" = False ]
	[ "$(json_get "$BATS_TEST_TMPDIR/i.json" backends.kvm.state)" = absent ]
	[[ "$(json_get "$BATS_TEST_TMPDIR/i.json" kernel)" == Linux* ]]
	HVSMOKE_KVM_DEVICE=/nonexistent/kvm run "$HV" info
	[ "$status" -eq 0 ]
	[[ "$output" == *"kvm:             absent: KVM device /nonexistent/kvm (from HVSMOKE_KVM_DEVICE): No such file or directory"* ]]
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

@test "mkconfig writes a 40-byte version-3 config that starts with the magic" {
	run "$HV" mkconfig --out "$BATS_TEST_TMPDIR/c.bin" --cpus 8
	[ "$status" -eq 0 ]
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/c.bin")" -eq 40 ]
	# version 3 (u16 at offset 4), size 40 (u16 at offset 6)
	[ "$(od -An -tu2 -j4 -N4 "$BATS_TEST_TMPDIR/c.bin" | tr -s " ")" = " 3 40" ]
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
	[[ "$output" == *"1..0 # SKIP no accelerator: kvm: KVM device /nonexistent/kvm (from HVSMOKE_KVM_DEVICE): No such file or directory; mshv: /nonexistent/mshv: No such file or directory"* ]]
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

@test "a FIFO as --json, --junit or mkconfig --out is refused at once, never opened" {
	f="$BATS_TEST_TMPDIR/fifo"
	mkfifo "$f"
	for opt in --json --junit; do
		# timeout: opening a FIFO for writing blocks until a reader comes
		run --separate-stderr timeout 10 "$HV" --accel "script:$PASS2" --cpus 2 \
			--iterations 1 "$opt" "$f"
		echo "$opt: $status: $stderr"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[ "$stderr" = "hvsmoke: error: $opt $f: not a regular file" ]
	done
	run --separate-stderr timeout 10 "$HV" mkconfig --out "$f"
	[ "$status" -eq 2 ]
	[ "$stderr" = "hvsmoke: error: --out $f: not a regular file" ]
	# still the FIFO: nothing was renamed over it
	[ -p "$f" ]
	run --separate-stderr timeout 10 "$HV" --accel "script:$PASS2" --json "$BATS_TEST_TMPDIR"
	[ "$status" -eq 2 ]
	[ "$stderr" = "hvsmoke: error: --json $BATS_TEST_TMPDIR: not a regular file" ]
}

@test "--json /dev/full with --qmp: refused before any boot, and no socket is left" {
	mkdir "$BATS_TEST_TMPDIR/cwd"
	cd "$BATS_TEST_TMPDIR/cwd"
	run --separate-stderr timeout 20 "$HV" --accel "script:$PASS2" --cpus 2 --iterations 3 \
		--json /dev/full --qmp q.sock
	[ "$status" -eq 2 ]
	# no TAP at all: no boot ran
	[ -z "$output" ]
	[ "$stderr" = "hvsmoke: error: --json /dev/full: not a regular file" ]
	[ ! -e q.sock ]
	[ -z "$(ls -A)" ]
}

@test "a setup error leaves no --json or --junit file behind" {
	d="$BATS_TEST_TMPDIR/out"
	mkdir "$d"
	# the scripted accelerator has no SMM; a --qmp socket in a missing directory
	for args in "--smm on" "--qmp $d/missing/q.sock"; do
		run --separate-stderr "$HV" --accel "script:$PASS2" --iterations 1 \
			--json "$d/r.json" --junit "$d/r.xml" $args
		echo "$args: $status: $stderr"
		[ "$status" -eq 2 ]
		[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
		# not even a temporary file
		[ -z "$(ls -A "$d")" ]
	done
}

@test "a KVM device without permission: exit 2 with the reason, and no --json file left" {
	unprivileged_dir
	: > "$U_DIR/kvm"
	chmod 000 "$U_DIR/kvm"
	HVSMOKE_KVM_DEVICE="$U_DIR/kvm" run_unprivileged "$HV" --accel kvm --iterations 1 \
		--json "$U_DIR/r.json" --junit "$U_DIR/r.xml"
	[ "$status" -eq 2 ]
	[ "$(ls -A "$U_DIR")" = kvm ]
	[ "$stderr" = "hvsmoke: error: KVM device $U_DIR/kvm (from HVSMOKE_KVM_DEVICE): Permission denied" ]
}

@test "a write error after the boots: exit 2, one line, the old file kept, no temp file, no socket" {
	# hand-made: the "old" file is not a report, so the schema check leaves it alone
	mkdir "$BATS_TEST_TMPDIR/hand-made"
	cd "$BATS_TEST_TMPDIR/hand-made"
	# RLIMIT_FSIZE of 1 KiB: every report here is bigger, so its write fails (EFBIG)
	for args in "--json r.json" "--junit r.json --iterations 40"; do
		echo old > r.json
		run --separate-stderr bash -c 'trap "" XFSZ; ulimit -f 1; exec "$@"' _ \
			"$HV" --accel "script:$PASS2" --cpus 2 --iterations 2 --qmp q.sock -q $args
		echo "$args: $status: $stderr"
		[ "$status" -eq 2 ]
		# the boots ran and passed; only the report failed
		[[ "$output" == *"# verdict: pass"* ]]
		[ "$stderr" = "hvsmoke: error: ${args%% *} r.json: File too large" ]
		[ "$(cat r.json)" = old ]
		[ "$(ls -A)" = r.json ]
	done
}

@test "a report is replaced whole: through its symlink, with its mode" {
	mkdir "$BATS_TEST_TMPDIR/cwd"
	cd "$BATS_TEST_TMPDIR/cwd"
	echo old > real.json
	chmod 640 real.json
	ln -s real.json link.json
	run "$HV" --accel "script:$PASS2" --cpus 2 --iterations 2 -q --json link.json
	[ "$status" -eq 0 ]
	[ -L link.json ]
	[ "$(json_get real.json iterations_run)" -eq 2 ]
	[ "$(stat -c %a real.json)" = 640 ]
	[ "$(ls -A | sort | tr '\n' ' ')" = "link.json real.json " ]
}

@test "--help and --version win over options that do not apply; an unknown option does not" {
	cd "$BATS_TEST_TMPDIR"
	for args in "--help --json x" "-h --iterations 1" "info --help --cpus 3" \
		    "qemu --reuse-vm -h" "mkconfig --help"; do
		run --separate-stderr "$HV" $args
		echo "$args: $status: $stderr"
		[ "$status" -eq 0 ]
		[[ "$output" == "usage: hvsmoke"* ]]
		[ -z "$stderr" ]
	done
	run --separate-stderr "$HV" --version --json x
	[ "$status" -eq 0 ]
	[[ "$output" == "hvsmoke "[0-9]* ]]
	# nothing ran, nothing was written
	[ ! -e x ]
	for args in "--version --frob" "--frob --help"; do
		run --separate-stderr "$HV" $args
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[ "$stderr" = "hvsmoke: error: unknown option '--frob' (try --help)" ]
	done
}

@test "info --accel script:FILE with a missing or bad script is a usage error" {
	run --separate-stderr "$HV" info --accel script:/nonexistent
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "$stderr" = "hvsmoke: error: --accel script:/nonexistent: No such file or directory" ]
	printf 'semantics kvm\n' > "$BATS_TEST_TMPDIR/s.txt"
	run --separate-stderr "$HV" info --json --accel "script:$BATS_TEST_TMPDIR/s.txt"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"no vcpu section"* ]]
	run "$HV" info --accel "script:$PASS2"
	[ "$status" -eq 0 ]
	[[ "$output" == *"script api:"* ]]
}

@test "HVSMOKE_KVM_DEVICE naming a directory: info and run name the variable and the path" {
	d="$BATS_TEST_TMPDIR"
	HVSMOKE_KVM_DEVICE="$d" run --separate-stderr "$HV" info
	[ "$status" -eq 0 ]
	[[ "$output" == *"kvm:             unusable: KVM device $d (from HVSMOKE_KVM_DEVICE): Is a directory"* ]]
	HVSMOKE_KVM_DEVICE="$d" run --separate-stderr "$HV" --accel kvm --iterations 1
	[ "$status" -eq 2 ]
	[ "$stderr" = "hvsmoke: error: KVM device $d (from HVSMOKE_KVM_DEVICE): Is a directory" ]
}

@test "info as a user without access to the KVM device: present, not permitted, not absent" {
	unprivileged_dir
	: > "$U_DIR/kvm"
	chmod 000 "$U_DIR/kvm"
	HVSMOKE_KVM_DEVICE="$U_DIR/kvm" run_unprivileged "$HV" info
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"kvm:             present, not permitted: KVM device $U_DIR/kvm (from HVSMOKE_KVM_DEVICE): Permission denied"* ]]
	HVSMOKE_KVM_DEVICE="$U_DIR/kvm" run_unprivileged "$HV" info --json
	[ "$status" -eq 0 ]
	echo "$output" > "$BATS_TEST_TMPDIR/i.json"
	[ "$(json_get "$BATS_TEST_TMPDIR/i.json" backends.kvm.state)" = not-permitted ]
	[ "$(json_get "$BATS_TEST_TMPDIR/i.json" backends.kvm.available)" = False ]
}

@test "numbers are decimal (a leading zero too) or hex with 0x, never octal" {
	run "$HV" mkconfig --out "$BATS_TEST_TMPDIR/c.bin" --cpus 010
	[ "$status" -eq 0 ]
	# expected_cpus: u32 at offset 12
	[ "$(od -An -tu4 -j12 -N4 "$BATS_TEST_TMPDIR/c.bin" | tr -d ' ')" = 10 ]
	run "$HV" mkconfig --out "$BATS_TEST_TMPDIR/c.bin" --cpus 0x0c
	[ "$(od -An -tu4 -j12 -N4 "$BATS_TEST_TMPDIR/c.bin" | tr -d ' ')" = 12 ]
	# 08 and 09 are not octal numbers at all: they were refused
	run "$HV" --accel "script:$PASS2" --cpus 02 --iterations 09 -q --json "$BATS_TEST_TMPDIR/r.json"
	[ "$status" -eq 0 ]
	[ "$(json_get "$BATS_TEST_TMPDIR/r.json" iterations_run)" -eq 9 ]
	for args in "--cpus 0x" "--cpus 0x-1" "--iterations 1e3"; do
		run --separate-stderr "$HV" $args
		[ "$status" -eq 2 ]
	done
}

@test "a read-only --json is refused before any boot, even for root, and left as it was" {
	local d="$BATS_TEST_TMPDIR/hand-made"	# not a report: not checked against the schema
	mkdir "$d"
	echo keep > "$d/ro.json"
	chmod 444 "$d/ro.json"
	run --separate-stderr "$HV" --accel "script:$ROOT/tests/scripts/pass2-kvm.txt" --cpus 2 \
		--iterations 1 --json "$d/ro.json"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--json $d/ro.json: read-only"* ]]
	[ "$(cat "$d/ro.json")" = keep ]
	[ -z "$(ls -A "$d" | grep '^\.hvsmoke\.')" ]
}
