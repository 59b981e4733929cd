#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# The C config decoder (vmm/cfg.c) against the firmware it mirrors: every file
# of the fwconfig fuzz corpus is booted as opt/hvsmoke/config under QEMU TCG,
# and the firmware must stop with DONE_CONFIG exactly when the decoder refuses
# the file. The corpus holds a valid file and each way of breaking one; ok-*
# files must pass both, bad-* files fail both, anything else (a fuzzer's
# regression seed) only needs them to agree. Both of the firmware's ways of
# reading fw_cfg are held to it: DMA (QEMU's default) and the data port
# (QEMU's fw_cfg with DMA off). No ok-* file asks for x2APIC mode (the flag,
# or more than 255 CPUs): QEMU 7.2's TCG CPU has no x2APIC, and the firmware
# refuses that for the CPU it runs on, which no config decoder can know.
bats_require_minimum_version 1.5.0
load helpers

CORPUS="$ROOT/tests/fuzz/corpus/fwconfig"
CFGCHECK="$BUILD/cfgcheck"

setup() {
	require_qemu
	[ -x "$CFGCHECK" ] || skip "$CFGCHECK not built (make $CFGCHECK)"
}

# QEMU's exit status for one boot of the firmware with FILE as its config:
# (completion << 1) | 1 from isa-debug-exit. More QEMU arguments may follow.
boot_status() {
	local st=0 file=$1

	shift
	timeout 20 qemu-system-x86_64 -accel tcg -machine q35 -smp 1 -m 64 -bios "$FW" \
		-display none -nodefaults -no-reboot \
		-debugcon "file:$BATS_TEST_TMPDIR/debugcon.log" -global isa-debugcon.iobase=0xe9 \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-fw_cfg "name=opt/hvsmoke/config,file=$file" "$@" >/dev/null 2>&1 || st=$?
	echo "$st"
}

# Every corpus file booted with these QEMU arguments: the firmware and
# cfgcheck must agree on each.
agrees_with_cfgcheck() {
	local f name st why fw_ok c_ok bad="" n=0 nok=0 nbad=0

	for f in "$CORPUS"/*; do
		name=${f##*/}
		st=$(boot_status "$f" "$@")
		# 0x10..0x18: any completion; 124 (timeout) or 1 (QEMU failed) is neither
		if [ "$st" -lt 33 ] || [ "$st" -gt 49 ] || [ $((st % 2)) -ne 1 ]; then
			bad="$bad
$name: QEMU exit status $st is no completion code"
			continue
		fi
		fw_ok=1
		[ "$st" -ne 41 ] || fw_ok=0		# (DONE_CONFIG 0x14 << 1) | 1
		c_ok=1
		why=$("$CFGCHECK" "$f") || c_ok=0
		if [ "$fw_ok" != "$c_ok" ]; then
			bad="$bad
$name: firmware exit $st, cfgcheck: $why"
		fi
		case "$name" in
		ok-*) [ "$c_ok" = 1 ] || bad="$bad
$name: refused ($why)" ;;
		bad-*) [ "$c_ok" = 0 ] || bad="$bad
$name: accepted" ;;
		esac
		n=$((n + 1))
		[ "$c_ok" = 1 ] && nok=$((nok + 1)) || nbad=$((nbad + 1))
	done
	echo "$n files: $nok accepted, $nbad refused by both$bad"
	[ -z "$bad" ]
	# a comparison where one side never varies would prove nothing
	[ "$nok" -ge 3 ]
	[ "$nbad" -ge 10 ]
}

@test "the firmware refuses a config exactly when cfgcheck does (QEMU TCG, DMA, every corpus file)" {
	agrees_with_cfgcheck
}

@test "the firmware refuses a config exactly when cfgcheck does (QEMU TCG, no DMA: the data port)" {
	agrees_with_cfgcheck -global fw_cfg_io.dma_enabled=off
}

@test "cfgcheck accepts what hvsmoke mkconfig writes and names the first broken field" {
	"$HV" mkconfig --out "$BATS_TEST_TMPDIR/cfg.bin" --cpus 255 --ipi-pattern mp-spec \
		--smm on --event-stream --console
	run "$CFGCHECK" "$BATS_TEST_TMPDIR/cfg.bin"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	run "$CFGCHECK" "$CORPUS/bad-version1"
	[ "$status" -eq 1 ]
	[ "$output" = "config: version 1, the firmware reads version 3" ]
	run "$CFGCHECK" "$BATS_TEST_TMPDIR/nonexistent"
	[ "$status" -eq 2 ]
}
