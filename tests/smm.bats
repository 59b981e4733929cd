#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# The SMM stage. This host's KVM has no SMM, so the firmware's SMM code is
# proven under QEMU TCG (q35, smm=on) with the same image and a config passed
# through fw_cfg: every CPU relocates its SMBASE and enters and leaves SMM by
# both SMI routes. Where hvsmoke's own KVM backend can run it, it does too.
bats_require_minimum_version 1.5.0
load helpers

setup() {
	LOG="$BATS_TEST_TMPDIR/debugcon.log"
	CFG="$BATS_TEST_TMPDIR/cfg.bin"
}

host_has_smm() {
	[ -e /dev/kvm ] && "$HV" info --json |
		python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["caps"]["X86_SMM"] else 1)'
}

# qemu_smm ACCEL MACHINE SMP; status is QEMU's exit code
qemu_smm() {
	local accel=$1 machine=$2 smp=$3
	"$HV" mkconfig --out "$CFG" --cpus "$smp" --boot-timeout 8000 --smm on --console
	run timeout 120 qemu-system-x86_64 -accel "$accel" -machine "$machine" -smp "$smp" -m 64 \
		-bios "$FW" -display none -nodefaults -no-reboot \
		-debugcon "file:$LOG" -global isa-debugcon.iobase=0xe9 \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-fw_cfg "name=opt/hvsmoke/config,file=$CFG"
	cat "$LOG"
}

# every CPU: relocated to its own SMBASE, three entries and exits, both routes
check_every_cpu() {
	local smp=$1 apic base
	[ "$status" -eq 33 ]
	for apic in $(seq 0 $((smp - 1))); do
		base=$(printf '0x%x' $((0x40000 + apic * 0x400)))
		grep -E "^hvsmoke: smm apic=$apic revision=0x000[23]0064 smbase=$base relocated=1 lapic=2 apm=1 exits=3 resumed=3\$" "$LOG"
	done
	[ "$(grep -c '^hvsmoke: smm apic=' "$LOG")" -eq "$smp" ]
	! grep -q 'smm-missing\|smm-stuck\|smm-relocation\|badbase' "$LOG"
	grep -q '^hvsmoke: done code=0x10$' "$LOG"
}

@test "QEMU TCG q35,smm=on -smp 4: every CPU relocates, and enters and leaves SMM by LAPIC and APM" {
	require_qemu
	qemu_smm tcg q35,smm=on 4
	check_every_cpu 4
}

@test "QEMU TCG q35,smm=on -smp 1 and -smp 8" {
	require_qemu
	qemu_smm tcg q35,smm=on 1
	check_every_cpu 1
	qemu_smm tcg q35,smm=on 8
	check_every_cpu 8
}

@test "no APM SMI (i440fx has no ICH9 APM): smm-missing, bounded, code 0x16" {
	require_qemu
	qemu_smm tcg pc 2
	[ "$status" -eq 45 ]	# (0x16 << 1) | 1
	grep -q '^hvsmoke: smm-missing apic=0$' "$LOG"
	grep -q '^hvsmoke: done code=0x16$' "$LOG"
}

@test "QEMU on a KVM without SMM: every CPU reported smm-missing within the deadline" {
	require_qemu
	require_kvm
	host_has_smm && skip "this host's KVM has SMM"
	qemu_smm kvm q35 2
	[ "$status" -eq 45 ]
	grep -q '^hvsmoke: smm-missing apic=0$' "$LOG"
	grep -q '^hvsmoke: smm-missing apic=1$' "$LOG"
}

@test "without the SMM flag the image behaves exactly as before (no SMM lines)" {
	require_qemu
	"$HV" mkconfig --out "$CFG" --cpus 4 --boot-timeout 8000 --console
	run timeout 60 qemu-system-x86_64 -accel tcg -machine q35,smm=on -smp 4 -m 64 -bios "$FW" \
		-display none -nodefaults -no-reboot -debugcon "file:$LOG" \
		-global isa-debugcon.iobase=0xe9 -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-fw_cfg "name=opt/hvsmoke/config,file=$CFG"
	[ "$status" -eq 33 ]
	! grep -q 'smm' "$LOG"
}

@test "hvsmoke's own KVM backend runs the SMM stage where the host has SMM" {
	require_kvm
	host_has_smm || skip "host KVM lacks KVM_CAP_X86_SMM (the stage is proven under QEMU TCG above)"
	run "$HV" --smm on --cpus 4 --iterations 100 -q --json "$BATS_TEST_TMPDIR/r.json"
	[ "$status" -eq 0 ]
	[ "$(json_get "$BATS_TEST_TMPDIR/r.json" smm.ran)" = True ]
}

@test "the max sync hammer during the SMM stage never breaks it (fixed policy)" {
	require_kvm
	host_has_smm || skip "host KVM lacks KVM_CAP_X86_SMM: no vCPU can be synced inside SMM here"
	run "$HV" --smm on --sync-hammer max --cpus 4 --iterations 300 -q
	[ "$status" -eq 0 ]
}

@test "QEMU TCG, SMM on, --storm 2000 at the default timeout: the VMM's budget covers both storms and the SMM stage" {
	# each AP storms 2 s after it comes online and only then takes its SMIs:
	# a budget of --boot-timeout + --storm read this boot as smm-missing
	require_qemu
	run "$HV" qemu --qemu-accel tcg --machine q35 --smm on --cpus 2 --iterations 1 --storm 2000
	echo "$output" | grep -E 'ok 1|class|detail'
	[ "$status" -eq 0 ]
	[[ "$output" == *"ok 1 - boot 1"* ]]
}
