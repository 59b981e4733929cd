#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# Boots under the host KVM: every AP comes online at each size, many boots in a
# row pass, and each broken guest gets the right failure class with evidence.
bats_require_minimum_version 1.5.0
load helpers

setup() {
	require_kvm
}

boots_pass() {
	local n=$1 iters=$2
	run "$HV" --cpus "$n" --iterations "$iters" -q --json "$BATS_TEST_TMPDIR/r.json"
	echo "$output" | tail -5
	[ "$status" -eq 0 ]
	[ "$(json_get "$BATS_TEST_TMPDIR/r.json" passed)" -eq "$iters" ]
	[ "$(grep -c "^ok .*: $n/$n CPUs online" <<< "$output")" -eq "$iters" ]
}

@test "N=1 boots with the BSP alone" {
	boots_pass 1 20
}

@test "N=2 boots with every AP online" {
	boots_pass 2 20
}

@test "N=4 boots with every AP online" {
	boots_pass 4 20
}

@test "N=16 boots with every AP online" {
	boots_pass 16 10
}

@test "N=64 boots with every AP online" {
	boots_pass 64 20
}

@test "500 consecutive boots at N=4 with zero failures" {
	run "$HV" --cpus 4 --iterations 500 -q --json "$BATS_TEST_TMPDIR/r.json"
	tail -3 <<< "$output"
	[ "$status" -eq 0 ]
	[ "$(json_get "$BATS_TEST_TMPDIR/r.json" passed)" -eq 500 ]
	[ "$(json_get "$BATS_TEST_TMPDIR/r.json" failures_total)" -eq 0 ]
}

@test "the firmware reads fw_cfg by DMA: the data port only for the signature and FW_CFG_ID" {
	run "$HV" --cpus 4 --iterations 3 -v
	[ "$status" -eq 0 ]
	grep 'fw_cfg:' <<< "$output"
	# each boot: 4 signature bytes and FW_CFG_ID's low byte through the port,
	# then three transfers (the CPU count, the config's magic, the rest of it;
	# the config is the first file, so no directory), none refused
	[ "$(grep -c '^hvsmoke: debug: fw_cfg: 5 data-port reads, 3 DMA requests, 0 refused$' \
		<<< "$output")" -eq 3 ]
}

@test "a DMA transfer the device refuses: the firmware finishes by the data port, and passes" {
	# the dma-error test build aims every read that goes on with an item
	# at 4 GiB: here the config's last 36 bytes, after its magic by DMA
	run "$HV" --cpus 4 --iterations 3 -v --firmware "$BUILD/guestfw-dmaerror.bin"
	[ "$status" -eq 0 ]
	grep 'fw_cfg:' <<< "$output"
	# 5 as above, then the config selected again, its 4 bytes read again
	# to catch up, and the 36 by the port; no DMA after the refusal
	[ "$(grep -c '^hvsmoke: debug: fw_cfg: 45 data-port reads, 3 DMA requests, 1 refused$' \
		<<< "$output")" -eq 3 ]
}

@test "a firmware that never sends SIPI gives ap-missing with evidence, within the deadline" {
	start=$(date +%s%N)
	run "$HV" --cpus 4 --iterations 1 --boot-timeout 1000 --firmware "$FW_NOSIPI"
	elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"class: ap-missing"* ]]
	[[ "$output" == *"3 of 3 AP(s) missing (firmware scan finished): apic 1,2,3"* ]]
	# the firmware itself gave up (completion 0x11) before the VMM's deadline
	[[ "$output" == *"completion: 0x11"* ]]
	for ap in 1 2 3; do
		grep -E "vcpu $ap: reports=0 mp_state=[A-Z_]+ cs:rip=[0-9a-f]{4}:[0-9a-f]{8} .*init_pending=[01] sipi_vector=" <<< "$output"
	done
	# the AP got INIT but never SIPI, so it waits for one
	[[ "$output" == *"mp_state=INIT_RECEIVED"* ]]
	[ "$elapsed_ms" -lt 3000 ]
}

@test "an unknown event type is a guest-crash naming the bad event" {
	run "$HV" --cpus 1 --iterations 1 --firmware "$TESTFW/bad_event.bin"
	[ "$status" -eq 1 ]
	[[ "$output" == *"class: guest-crash"* ]]
	[[ "$output" == *"unknown event type 0x1f"* ]]
}

@test "a 1-byte write to the event port is a guest-crash" {
	run "$HV" --cpus 1 --iterations 1 --firmware "$TESTFW/byte_event.bin"
	[ "$status" -eq 1 ]
	[[ "$output" == *"1-byte write on the event port"* ]]
}

@test "a triple-faulting guest is a guest-crash" {
	run "$HV" --cpus 1 --iterations 1 --boot-timeout 2000 --firmware "$TESTFW/triple_fault.bin"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"class: guest-crash"* ]]
	[[ "$output" == *"vCPU 0: "* ]]
}

@test "a guest that halts forever is a boot-timeout with every vCPU's state" {
	run "$HV" --cpus 1 --iterations 1 --boot-timeout 200 --firmware "$TESTFW/hang.bin"
	[ "$status" -eq 1 ]
	[[ "$output" == *"class: boot-timeout"* ]]
	[[ "$output" == *"vcpu 0: reports=0 mp_state=HALTED"* ]]
}

@test "a guest that never started its APs is a boot-timeout before any AP was started, APs UNINITIALIZED" {
	run "$HV" --cpus 3 --iterations 1 --boot-timeout 200 --firmware "$TESTFW/hang.bin"
	[ "$status" -eq 1 ]
	[[ "$output" == *"class: boot-timeout"* ]]
	[[ "$output" == *"no completion code before the VMM deadline, before any AP was started"* ]]
	[[ "$output" == *"vcpu 1: reports=0 mp_state=UNINITIALIZED"* ]]
	[[ "$output" == *"vcpu 2: reports=0 mp_state=UNINITIALIZED"* ]]
}

@test "a port-I/O storm on every boot still stops at the deadline, with no stuck thread" {
	start=$(date +%s%N)
	run "$HV" --cpus 1 --iterations 3 --boot-timeout 200 --firmware "$TESTFW/io_storm.bin"
	elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(grep -c 'class: boot-timeout' <<< "$output")" -eq 3 ]
	[[ "$output" != *"vmm-error"* ]]
	[ "$elapsed_ms" -lt 5000 ]
}

@test "an AP that comes online just after the scan's snapshot is named late, and the scan's count agrees with its missing list" {
	# test build: the last AP waits for the BSP's snapshot, then comes online
	run "$HV" --cpus 4 --iterations 3 --boot-timeout 300 --firmware "$BUILD/guestfw-lateap.bin" \
		--json "$BATS_TEST_TMPDIR/r.json"
	echo "$output" | grep -E 'detail|firmware:' | head -4
	[ "$status" -eq 1 ]
	[ "$(grep -c "came online only after the firmware's scan deadline: apic 3" <<< "$output")" -eq 3 ]
	# one snapshot: 2 counted online, AP 3 reported missing, never a pass with a short count
	[ "$(grep -c 'completion: 0x11, boot_event: true, scan_done: true, scan_online: 2' <<< "$output")" -eq 3 ]
}

@test "a vCPU blocked on a full stderr at the quit deadline is named as such, and SIGTERM still ends the process" {
	mkfifo "$BATS_TEST_TMPDIR/err.fifo"
	# hold the pipe open and fill it: the guest's first console line blocks
	exec 4<>"$BATS_TEST_TMPDIR/err.fifo"
	head -c 65536 /dev/zero >&4
	"$HV" --cpus 2 --iterations 1 --console --quit-at 100 --quit-deadline 200 -q \
		--qmp "$BATS_TEST_TMPDIR/q.sock" 2>&4 > "$BATS_TEST_TMPDIR/out.tap" 3>&- &
	pid=$!
	# the verdict comes first; then the process's own stderr line blocks too
	wait_for_grep 'class: quit-timeout' "$BATS_TEST_TMPDIR/out.tap" 10 || true
	# a client that never stops sending must not keep the quit waiting either
	python3 "$ROOT/tests/qmp_client.py" spam "$BATS_TEST_TMPDIR/q.sock" 8 3>&- &
	spammer=$!
	sleep 0.2	# let the spam start: what is tested is a quit in the middle of it
	kill -TERM "$pid"
	# --quit-deadline (200 ms) plus the 3 s grace, then the control thread ends it
	for _ in $(seq 1 600); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	gone=0
	kill -0 "$pid" 2>/dev/null || gone=1
	kill -KILL "$pid" 2>/dev/null || true
	rc=0
	wait "$pid" || rc=$?
	kill "$spammer" 2>/dev/null || true
	wait "$spammer" || true
	exec 4>&-
	# the exit that ends it past the bound removes the socket too
	[ ! -e "$BATS_TEST_TMPDIR/q.sock" ]
	output=$(cat "$BATS_TEST_TMPDIR/out.tap")
	echo "$output" | grep -E 'class|vcpu [0-9]+:'
	[[ "$output" == *"class: quit-timeout"* ]]
	[[ "$output" == *"blocked writing the guest console to stderr (--console), not in the guest"* ]]
	[ "$gone" -eq 1 ]
	[ "$rc" -eq 1 ]
}
