#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# The same firmware image boots under QEMU (-bios), reads its CPU count and
# config through QEMU's fw_cfg, reports every AP and exits through isa-debug-exit.
bats_require_minimum_version 1.5.0
load helpers

setup() {
	require_qemu
	LOG="$BATS_TEST_TMPDIR/debugcon.log"
}

# qemu ACCEL SMP FIRMWARE [extra args...]; status is QEMU's exit code
qemu_boot() {
	local accel=$1 smp=$2 fw=$3
	shift 3
	run timeout 60 qemu-system-x86_64 -accel "$accel" -machine q35 -smp "$smp" -m 64 \
		-bios "$fw" -display none -nodefaults -no-reboot \
		-debugcon "file:$LOG" -global isa-debugcon.iobase=0xe9 \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 "$@"
	cat "$LOG"
}

check_pass_log() {
	local smp=$1
	[ "$status" -eq 33 ]	# (DONE_PASS 0x10 << 1) | 1
	grep -q "^hvsmoke: boot bsp=0 cpus=$smp\$" "$LOG"
	[ "$(grep -c '^hvsmoke: ap-online apic=' "$LOG")" -eq $((smp - 1)) ]
	grep -q "^hvsmoke: scan-done online=$((smp - 1)) expected=$((smp - 1))\$" "$LOG"
	grep -q '^hvsmoke: done code=0x10$' "$LOG"
	! grep -q 'ap-missing' "$LOG"
}

@test "QEMU TCG -smp 1 boots the image and passes" {
	qemu_boot tcg 1 "$FW"
	check_pass_log 1
}

@test "QEMU TCG -smp 4 reports every AP and exits through the completion port" {
	qemu_boot tcg 4 "$FW"
	check_pass_log 4
}

@test "QEMU TCG -smp 8 with hvsmoke's config file through fw_cfg" {
	"$HV" mkconfig --out "$BATS_TEST_TMPDIR/cfg.bin" --cpus 8 --boot-timeout 20000 --console
	qemu_boot tcg 8 "$FW" -fw_cfg "name=opt/hvsmoke/config,file=$BATS_TEST_TMPDIR/cfg.bin"
	check_pass_log 8
}

@test "QEMU TCG: the no-SIPI image reports every AP missing and exits 0x11" {
	"$HV" mkconfig --out "$BATS_TEST_TMPDIR/cfg.bin" --cpus 4 --boot-timeout 400 --console
	qemu_boot tcg 4 "$FW_NOSIPI" -fw_cfg "name=opt/hvsmoke/config,file=$BATS_TEST_TMPDIR/cfg.bin"
	[ "$status" -eq 35 ]
	[ "$(grep -c '^hvsmoke: ap-missing apic=' "$LOG")" -eq 3 ]
	grep -q '^hvsmoke: done code=0x11$' "$LOG"
}

@test "QEMU TCG: a malformed config is rejected with code 0x14" {
	printf 'BAD!' > "$BATS_TEST_TMPDIR/bad.bin"
	head -c 28 /dev/zero >> "$BATS_TEST_TMPDIR/bad.bin"
	qemu_boot tcg 2 "$FW" -fw_cfg "name=opt/hvsmoke/config,file=$BATS_TEST_TMPDIR/bad.bin"
	[ "$status" -eq 41 ]
	grep -q '^hvsmoke: done code=0x14$' "$LOG"
}

@test "QEMU KVM -smp 4 boots the image and passes (where QEMU can use KVM)" {
	require_kvm
	if ! timeout 20 qemu-system-x86_64 -accel kvm -machine q35 -display none -nodefaults \
		-S -no-reboot -bios "$FW" -qmp stdio >/dev/null 2>&1 <<< '{"execute":"qmp_capabilities"}{"execute":"quit"}'; then
		skip "QEMU cannot start with -accel kvm here"
	fi
	qemu_boot kvm 4 "$FW"
	check_pass_log 4
}
