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

# QEMU's fw_cfg_read trace events: one per data-port read and one per DMA
# transfer (hw/nvram/fw_cfg.c), so a count of them tells the two paths apart.
fw_cfg_reads() {
	grep -c '^fw_cfg_read ' "$1" || true
}

@test "QEMU TCG: the firmware reads fw_cfg by DMA, and by the data port when QEMU's DMA is off" {
	local trace="$BATS_TEST_TMPDIR/trace.log" dma bytes

	"$HV" mkconfig --out "$BATS_TEST_TMPDIR/cfg.bin" --cpus 4 --console
	qemu_boot tcg 4 "$FW" -fw_cfg "name=opt/hvsmoke/config,file=$BATS_TEST_TMPDIR/cfg.bin" \
		-trace fw_cfg_read -D "$trace"
	check_pass_log 4
	[ -s "$trace" ] || skip "this QEMU does not trace to a file (no log trace backend)"
	dma=$(fw_cfg_reads "$trace")
	rm -f "$trace" "$LOG"
	qemu_boot tcg 4 "$FW" -fw_cfg "name=opt/hvsmoke/config,file=$BATS_TEST_TMPDIR/cfg.bin" \
		-trace fw_cfg_read -D "$trace" -global fw_cfg_io.dma_enabled=off
	check_pass_log 4
	bytes=$(fw_cfg_reads "$trace")
	echo "fw_cfg_read events: $dma with DMA, $bytes without"
	# QEMU's config is not its first file, so both scan the directory: by
	# DMA an event per entry, by the port 64; fewer in all than one entry's bytes
	[ "$dma" -lt 64 ]
	# the signature, FW_CFG_ID, the CPU count, key 0x20's magic, the
	# directory's count, at least one entry and the config, a byte each
	[ "$bytes" -ge $((4 + 1 + 2 + 4 + 4 + 64 + 40)) ]
}

@test "QEMU TCG: a DMA transfer QEMU fails is finished by the data port, the config still read" {
	local trace="$BATS_TEST_TMPDIR/trace.log"

	# the dma-error test build aims a read that goes on with an item at
	# 4 GiB, unassigned with -m 64: QEMU sets ERROR there
	"$HV" mkconfig --out "$BATS_TEST_TMPDIR/cfg.bin" --cpus 4 --console
	qemu_boot tcg 4 "$BUILD/guestfw-dmaerror.bin" \
		-fw_cfg "name=opt/hvsmoke/config,file=$BATS_TEST_TMPDIR/cfg.bin" -trace fw_cfg_read -D "$trace"
	check_pass_log 4
	[ -s "$trace" ] || skip "this QEMU does not trace to a file (no log trace backend)"
	echo "fw_cfg_read events: $(fw_cfg_reads "$trace")"
	[ "$(fw_cfg_reads "$trace")" -ge $((4 + 1 + 4 + 64 + 40)) ]
	# what the bytes bring is the config: a malformed one is refused
	printf 'BAD!' > "$BATS_TEST_TMPDIR/bad.bin"
	head -c 36 /dev/zero >> "$BATS_TEST_TMPDIR/bad.bin"
	qemu_boot tcg 2 "$BUILD/guestfw-dmaerror.bin" \
		-fw_cfg "name=opt/hvsmoke/config,file=$BATS_TEST_TMPDIR/bad.bin"
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

@test "QEMU KVM -smp 288 -machine q35: every CPU in x2APIC mode, all 287 APs online (where QEMU can use KVM)" {
	require_kvm
	if ! timeout 20 qemu-system-x86_64 -accel kvm -machine q35 -smp 288 -display none -nodefaults \
		-S -no-reboot -bios "$FW" -qmp stdio >/dev/null 2>&1 <<< '{"execute":"qmp_capabilities"}{"execute":"quit"}'; then
		skip "QEMU cannot start -smp 288 with -accel kvm here"
	fi
	qemu_boot kvm 288 "$FW" >/dev/null
	check_pass_log 288
	grep -q '^hvsmoke: apic-mode x2apic bsp=0$' "$LOG"
	# IDs above 255 came online under their own x2APIC IDs, each once
	[ "$(grep -cE '^hvsmoke: ap-online apic=(25[6-9]|2[67][0-9]|28[0-7])$' "$LOG")" -eq 32 ]
	grep -q '^hvsmoke: ap-online apic=287$' "$LOG"
}

@test "QEMU TCG -smp 4 without x2APIC in its CPU: the firmware asked for x2APIC says so (error 6, code 0x14)" {
	"$HV" mkconfig --out "$BATS_TEST_TMPDIR/cfg.bin" --cpus 4 --x2apic --console
	qemu_boot tcg 4 "$FW" -cpu qemu64,-x2apic \
		-fw_cfg "name=opt/hvsmoke/config,file=$BATS_TEST_TMPDIR/cfg.bin"
	[ "$status" -eq 41 ]
	grep -q '^hvsmoke: error code=6$' "$LOG"
	grep -q '^hvsmoke: done code=0x14$' "$LOG"
	! grep -q 'ap-online' "$LOG"
}
