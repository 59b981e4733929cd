#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# `hvsmoke qemu`: the host's QEMU as the VMM, driven over QMP. TCG runs must
# pass every boot under the monitor hammer; KVM runs must classify every boot
# within its deadlines (a lost AP there is a finding, not a test failure);
# each failure path (no SIPI, a QEMU that ignores quit, one killed mid-boot,
# one whose exit status disagrees with the firmware) gives its class with
# evidence; and nothing is ever left behind: no QEMU, no file, no socket.
bats_require_minimum_version 1.5.0
load helpers

FAKE="$ROOT/tests/fake_qemu.py"

setup() {
	require_qemu
	export TMPDIR="$BATS_TEST_TMPDIR/tmp"
	mkdir -p "$TMPDIR"
	J="$BATS_TEST_TMPDIR/r.json"
}

# Every run leaves TMPDIR empty and no QEMU or fake of its own behind.
suite_teardown() {
	[ -z "$(ls -A "$TMPDIR" 2>/dev/null)" ] || { ls -la "$TMPDIR"; return 1; }
	! pgrep -f "$BATS_TEST_TMPDIR/tmp/hvsmoke-qemu" >/dev/null
}

require_qemu_kvm() {
	require_kvm
	if ! timeout 20 qemu-system-x86_64 -accel kvm -machine pc -display none -nodefaults \
		-S -no-reboot -qmp stdio >/dev/null 2>&1 <<< '{"execute":"qmp_capabilities"}{"execute":"quit"}'; then
		skip "QEMU cannot start with -accel kvm here"
	fi
}

# Each failed boot in $output has a class and at least one evidence line.
every_failure_has_evidence() {
	local fails classes evid
	fails=$(grep -c '^not ok' <<< "$output" || true)
	classes=$(grep -c '^  class: ' <<< "$output" || true)
	evid=$(grep -c '^  evidence:$' <<< "$output" || true)
	[ "$fails" -eq "$classes" ] && [ "$fails" -eq "$evid" ]
}

@test "qemu: the native VMM's own options are a usage error" {
	for o in "--accel kvm" "--sync-policy legacy-smm" "--kick legacy-signal" "--reuse-vm"; do
		run -2 "$HV" qemu $o
		[[ "$output" == *"does not apply to 'qemu'"* ]]
	done
}

@test "qemu: no QEMU binary is a skip (exit 4) with the reason" {
	run -4 "$HV" qemu --qemu /nonexistent/qemu-system-x86_64 --json "$J"
	[[ "$output" == *"1..0 # SKIP"*"No such file or directory"* ]]
	[ "$(json_get "$J" verdict)" = skip ]
}

@test "qemu: a QEMU that refuses the accelerator is a skip with QEMU's own line" {
	FAKE_QEMU_MODE=refuse-accel run -4 "$HV" qemu --qemu "$FAKE"
	[[ "$output" == *"SKIP"*"failed to initialize kvm: No such file or directory"* ]]
}

@test "qemu: --qemu-accel mshv is passed through; without MSHV it is a skip with QEMU's reason" {
	[ ! -e /dev/mshv ] || skip "this host has /dev/mshv"
	run -4 "$HV" qemu --qemu-accel mshv --cpus 2 --iterations 1
	[[ "$output" == *"1..0 # SKIP QEMU (qemu-system-x86_64, -accel mshv) cannot run here: "*mshv* ]]
}

@test "qemu: QEMU rejecting its command line is a usage error with its line" {
	FAKE_QEMU_MODE=bad-args run -2 "$HV" qemu --qemu "$FAKE"
	[[ "$output" == *"QEMU refused to start: qemu-system-x86_64: -frobnicate: invalid option"* ]]
}

@test "qemu: an option error from a QEMU binary named kvm is still a usage error, not a skip" {
	FAKE_QEMU_MODE=bad-args FAKE_QEMU_PROG=kvm run -2 "$HV" qemu --qemu "$FAKE"
	[[ "$output" == *"QEMU refused to start: kvm: -frobnicate: invalid option"* ]]
}

@test "qemu: a QEMU that dies while starting costs that boot only, not the ones after it" {
	FAKE_QEMU_MODE=pass FAKE_QEMU_DIE_AT=3 FAKE_QEMU_STATE="$BATS_TEST_TMPDIR/n" \
		run -1 "$HV" qemu --qemu "$FAKE" --cpus 2 --iterations 5 --json "$J"
	# start 1 is boot 1's (made before the plan), so start 3 is boot 3
	[[ "$output" == *"not ok 3 - boot 3: vmm-error"* ]]
	[[ "$output" == *"QEMU did not start"* ]]
	[ "$(json_get "$J" passed)" -eq 4 ]
}

@test "qemu: a QEMU that fills its stderr pipe mid-boot is still heard (no false timeout)" {
	FAKE_QEMU_MODE=noisy run -0 "$HV" qemu --qemu "$FAKE" --cpus 2 --iterations 2 --boot-timeout 2000
}

@test "qemu: evidence that takes longer than the stop bound does not turn ap-missing into quit-timeout" {
	FAKE_QEMU_MODE=slow-evidence run -1 "$HV" qemu --qemu "$FAKE" --cpus 2 --iterations 1 --json "$J"
	[ "$(json_get "$J" classes.ap-missing)" -eq 1 ]
	[ "$(json_get "$J" classes.quit-timeout)" -eq 0 ]
}

@test "qemu: a QEMU that crashes on quit is vmm-error, not a passing quit" {
	FAKE_QEMU_MODE=crash-on-quit run -1 "$HV" qemu --qemu "$FAKE" --cpus 2 --iterations 1 --quit-at 0
	[[ "$output" == *"QEMU was killed by signal 11 (Segmentation fault) after the quit"* ]]
}

@test "qemu: a closed event socket does not make the boot loop spin until the deadline" {
	# hvsmoke's own CPU time over a 2 s boot that ends at its deadline
	FAKE_QEMU_MODE=close-events run python3 -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f" % (u.ru_utime + u.ru_stime))' "$HV" qemu --qemu "$FAKE" --cpus 2 --iterations 1 --boot-timeout 2000
	echo "cpu seconds: $output"
	python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 1.0 else 1)" "$output"
}

@test "qemu: a --qemu that is not QEMU (no QMP greeting in time) is a usage error, bounded" {
	SECONDS=0
	FAKE_QEMU_MODE=no-greeting HVSMOKE_QEMU_GREETING_MS=1000 run -2 "$HV" qemu --qemu "$FAKE"
	[[ "$output" == *"is not QEMU: no QMP greeting within 1000 ms"* ]]
	[ "$SECONDS" -lt 10 ]
	run -2 "$HV" qemu --qemu /bin/true
	[[ "$output" == *"not QEMU"* || "$output" == *"refused to start"* ]]
}

@test "qemu TCG: 20 boots at N=4 under the max monitor hammer all pass; JSON names the target and QEMU" {
	run "$HV" qemu --qemu-accel tcg --cpus 4 --iterations 20 --sync-hammer max --json "$J" \
		--junit "$BATS_TEST_TMPDIR/r.xml"
	tail -5 <<< "$output"
	[ "$status" -eq 0 ]
	[ "$(json_get "$J" passed)" -eq 20 ]
	[ "$(json_get "$J" target)" = qemu ]
	[ "$(json_get "$J" accel)" = qemu-tcg ]
	[[ "$(json_get "$J" host.qemu.version)" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]
	[ "$(json_get "$J" monitor.commands)" -gt 20 ]
	[ "$(json_get "$J" monitor.errors)" -eq 0 ]
	[ "$(json_get "$J" monitor.latency_us.p99)" -ge "$(json_get "$J" monitor.latency_us.p50)" ]
	grep -q 'testcase classname="hvsmoke.qemu-tcg.cpus4" name="boot 20"' "$BATS_TEST_TMPDIR/r.xml"
	[[ "$output" == *"# monitor hammer: "*" commands answered"* ]]
}

@test "qemu TCG: --sync-hammer HZ paces its sweeps at HZ" {
	run "$HV" qemu --qemu-accel tcg --cpus 2 --iterations 3 --storm 1000 --boot-timeout 5000 \
		--sync-hammer 20 --json "$J"
	[ "$status" -eq 0 ]
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
rate = d["sync_rate_hz"]
print("sweeps/s", rate)
sys.exit(0 if 5 <= rate <= 30 else 1)' "$J"
}

@test "qemu TCG: every IPI pattern boots N=4 and N=1 under the APs-only hammer" {
	for p in hvsmoke seabios mp-spec; do
		for n in 1 4; do
			run "$HV" qemu --qemu-accel tcg --cpus $n --iterations 5 --ipi-pattern $p \
				--sync-hammer max --sync-targets aps --json "$J"
			[ "$status" -eq 0 ] || { echo "$p N=$n"; echo "$output"; return 1; }
			[ "$(json_get "$J" ipi_pattern)" = $p ]
		done
	done
}

@test "qemu TCG: the SMM stage on q35 passes through the same stream" {
	run "$HV" qemu --qemu-accel tcg --machine q35 --smm on --cpus 4 --iterations 3 --json "$J"
	[ "$status" -eq 0 ]
	[ "$(json_get "$J" smm.ran)" = True ]
}

@test "qemu TCG: --qemu-reuse keeps one QEMU for 50 boots, system_reset between them" {
	run "$HV" qemu --qemu-accel tcg --qemu-reuse --cpus 2 --iterations 50 --sync-hammer max \
		--json "$J"
	tail -3 <<< "$output"
	[ "$status" -eq 0 ]
	[ "$(json_get "$J" passed)" -eq 50 ]
}

@test "qemu TCG: the no-SIPI firmware gives ap-missing with each AP's registers" {
	run -1 "$HV" qemu --qemu-accel tcg --firmware "$FW_NOSIPI" --cpus 3 --iterations 2 \
		--boot-timeout 400 --json "$J"
	[ "$(json_get "$J" classes.ap-missing)" -eq 2 ]
	every_failure_has_evidence
	# the lost APs wait for SIPI: QEMU shows them at the reset vector, halted
	grep -E '"vcpu 1: reports=0 cs:rip=f000:0000fff0 cs_base=0xffff0000 smm=0 hlt=1 thread=[0-9]+"' <<< "$output"
	[[ "$output" == *"  registers: |"*"CPU#2"* ]]
}

@test "qemu TCG: --quit-at random during the storm: every QEMU is gone within the deadline" {
	run "$HV" qemu --qemu-accel tcg --cpus 2 --iterations 30 --storm 20 --quit-at random \
		--sync-hammer max --json "$J"
	tail -3 <<< "$output"
	[ "$status" -eq 0 ]
	[ "$(json_get "$J" classes.quit-timeout)" -eq 0 ]
	# quits are drawn from [0, 2 * storm + 5) ms and a boot lasts a little
	# over one storm, so about half land inside a boot (the rest after it)
	[ "$(json_get "$J" quits)" -ge 5 ]
	[ "$(json_get "$J" quit_latency_us.samples)" -eq "$(json_get "$J" quits)" ]
}

@test "qemu: a QEMU that ignores quit is quit-timeout with its threads and QMP state, then killed" {
	SECONDS=0
	FAKE_QEMU_MODE=ignore-quit run -1 "$HV" qemu --qemu "$FAKE" --cpus 2 --iterations 3 \
		--quit-at 0 --quit-deadline 300 --json "$J"
	[ "$SECONDS" -lt 20 ]
	# each boot's QEMU is killed after its evidence, so the next boot runs
	[ "$(json_get "$J" classes.quit-timeout)" -eq 3 ]
	[[ "$output" == *"still in the guest at the deadline after the quit"* ]]
	grep -E '^      tid [0-9]+ ".*" \(vCPU\) state=. wchan=.* syscall=' <<< "$output"
	[[ "$output" == *"threads 10 ms later:"* ]]
	[[ "$output" == *"QMP still answers (query-status)"* ]]
}

@test "qemu: a QEMU killed mid-boot is vmm-error within the deadline, not a hang" {
	FAKE_QEMU_MODE=crash run -1 "$HV" qemu --qemu "$FAKE" --cpus 2 --iterations 1 --json "$J"
	[[ "$output" == *"QEMU was killed by signal 9"*"before the firmware's completion"* ]]
	# a real QEMU, killed from outside while its storm runs
	SECONDS=0
	"$HV" qemu --qemu-accel tcg --cpus 2 --iterations 1 --storm 20000 --boot-timeout 60000 \
		> "$BATS_TEST_TMPDIR/out" 2>&1 &
	hv=$!
	# once the plan is out QEMU is up and connected: the kill lands in the boot,
	# not in QEMU's start (that is a setup error, tested elsewhere)
	wait_for_grep '^1\.\.1$' "$BATS_TEST_TMPDIR/out" 30 || true
	for _ in $(seq 100); do
		pid=$(pgrep -f "^qemu-system-x86_64 .*$TMPDIR/hvsmoke-qemu" | head -1)
		[ -n "$pid" ] && break
		sleep 0.1
	done
	[ -n "$pid" ]
	kill -9 "$pid"
	wait $hv || true
	[ "$SECONDS" -lt 30 ]
	grep -q 'class: vmm-error' "$BATS_TEST_TMPDIR/out"
	grep -q 'QEMU was killed by signal 9' "$BATS_TEST_TMPDIR/out"
}

@test "qemu: a QEMU that finishes the boot before it answers cont is judged by its boot, not a vmm-error" {
	FAKE_QEMU_MODE=fast-pass run "$HV" qemu --qemu "$FAKE" --cpus 2 --iterations 3
	echo "$output" | tail -4
	[ "$status" -eq 0 ]
	[ "$(grep -c '^ok [1-3] - boot' <<< "$output")" -eq 3 ]
}

@test "qemu: QEMU's exit status is cross-checked with the firmware's completion record" {
	FAKE_QEMU_MODE=mismatch run -1 "$HV" qemu --qemu "$FAKE" --cpus 2 --iterations 1
	[[ "$output" == *"QEMU exited with status 3 but the firmware's completion record says 0x10 (isa-debug-exit would give 33)"* ]]
}

@test "qemu: SIGTERM mid-run quits the boot, writes the summaries and leaves nothing behind" {
	# boots of over 2 s (the storm), so a signal after boot 1 lands inside boot 2
	"$HV" qemu --qemu-accel tcg --cpus 2 --duration 60 --storm 2000 --json "$J" \
		> "$BATS_TEST_TMPDIR/out" 2>&1 &
	hv=$!
	wait_for_grep '^ok 1 ' "$BATS_TEST_TMPDIR/out" 10 || true
	kill -TERM $hv
	SECONDS=0
	wait $hv || true
	[ "$SECONDS" -lt 10 ]
	[ "$(json_get "$J" quits)" -ge 1 ]
	[ "$(json_get "$J" verdict)" = pass ]
}

@test "qemu KVM: N=2 under the max hammer: every boot is classified within its deadline" {
	require_qemu_kvm
	SECONDS=0
	run timeout 300 "$HV" qemu --cpus 2 --duration 15 --sync-hammer max --sync-targets aps \
		--json "$J"
	tail -4 <<< "$output"
	# 0: all passed; 1: the host's QEMU lost an AP or did not exit: a finding, with evidence
	[ "$status" -eq 0 ] || [ "$status" -eq 1 ]
	[ "$SECONDS" -lt 60 ]
	every_failure_has_evidence
	[ "$(json_get "$J" iterations_run)" -ge 10 ]
	[ "$(json_get "$J" monitor.commands)" -gt 0 ]
}

@test "qemu KVM: --smm on where QEMU's KVM has no SMM is a skip with QEMU's reason" {
	require_qemu_kvm
	run "$HV" qemu --machine q35 --smm on --cpus 2 --iterations 1
	if [ "$status" -eq 0 ]; then
		skip "this host's QEMU runs SMM under KVM"
	fi
	[ "$status" -eq 4 ]
	[[ "$output" == *"SKIP"* ]]
}

@test "run: each --ipi-pattern passes on hvsmoke's own VMM" {
	require_kvm
	for p in seabios mp-spec; do
		run "$HV" run --cpus 4 --iterations 20 --ipi-pattern $p --json "$J"
		[ "$status" -eq 0 ] || { echo "$output" | tail; return 1; }
		[ "$(json_get "$J" ipi_pattern)" = $p ]
	done
}

@test "qemu KVM: -smp 288 on q35 boots in x2APIC mode, every AP online once" {
	require_qemu_kvm
	run timeout 300 "$HV" qemu --machine q35 --cpus 288 --iterations 2 --json "$J"
	tail -4 <<< "$output"
	[ "$status" -eq 0 ]
	[ "$(json_get "$J" iterations_run)" -eq 2 ]
	[ "$(json_get "$J" scenario.apic_mode)" = x2apic ]
	[ "$(grep -c '^ok [12] - boot [12]: 288/288 CPUs online' <<< "$output")" -eq 2 ]
}

@test "qemu TCG: -smp 288 passes, or is a skip with QEMU's reason where its LAPIC has no x2APIC" {
	run timeout 300 "$HV" qemu --machine q35 --qemu-accel tcg --cpus 288 --iterations 1
	tail -3 <<< "$output"
	if [ "$status" -eq 0 ]; then
		grep -q '^ok 1 - boot 1: 288/288 CPUs online' <<< "$output"
		return
	fi
	[ "$status" -eq 4 ]
	[[ "$output" == *"SKIP QEMU (qemu-system-x86_64, -accel tcg) cannot run here: "*"X2APIC"* ]]
}

@test "qemu: --x2apic where QEMU's CPU has none is a skip naming it; with KVM's, N=4 passes" {
	run timeout 120 "$HV" qemu --qemu-accel tcg --x2apic --cpus 4 --iterations 3 --json "$J"
	tail -3 <<< "$output"
	if [ "$status" -eq 4 ]; then
		[[ "$output" == *"gives the guest CPU no x2APIC"* ]]
		[ "$(json_get "$J" verdict)" = skip ]
		[[ "$(json_get "$J" skip_reason)" == *"no x2APIC"* ]]
	else
		[ "$status" -eq 0 ]
	fi
	require_qemu_kvm
	run timeout 120 "$HV" qemu --x2apic --cpus 4 --iterations 10 --json "$J"
	tail -3 <<< "$output"
	[ "$status" -eq 0 ]
	[ "$(json_get "$J" scenario.apic_mode)" = x2apic ]
}
