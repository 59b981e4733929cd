#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# The scripted accelerator through the whole CLI: the vCPU loop, the kick, the
# sync hammer and the quit path run against replayed exit streams with KVM
# semantics (immediate_exit) and MSHV semantics (none). Needs no /dev/kvm.
bats_require_minimum_version 1.5.0
load helpers

S="$ROOT/tests/scripts"

@test "a scripted 2-vCPU boot passes under both semantics, with the sync hammer on" {
	# 200 boots: under MSHV semantics 50 took about 25 ms, short enough that
	# a hammer thread the host did not schedule in time served no sync at all
	for sem in kvm mshv; do
		run "$HV" --accel "script:$S/pass2-$sem.txt" --cpus 2 --iterations 200 \
			--sync-hammer max -q --json "$BATS_TEST_TMPDIR/r.json"
		echo "$sem: $(tail -3 <<< "$output")"
		[ "$status" -eq 0 ]
		[ "$(json_get "$BATS_TEST_TMPDIR/r.json" accel)" = script ]
		[ "$(json_get "$BATS_TEST_TMPDIR/r.json" passed)" -eq 200 ]
		[ "$(json_get "$BATS_TEST_TMPDIR/r.json" syncs)" -gt 0 ]
		[ "$(json_get "$BATS_TEST_TMPDIR/r.json" smm.skip_reason)" = "the scripted accelerator has no SMM" ]
	done
}

@test "MSHV semantics, POST storm on every vCPU: quits at random moments always get out" {
	run "$HV" --accel "script:$S/storm-mshv.txt" --cpus 4 --iterations 200 --quit-at random \
		--storm 2 -q --json "$BATS_TEST_TMPDIR/r.json"
	tail -3 <<< "$output"
	[ "$status" -eq 0 ]
	[ "$(json_get "$BATS_TEST_TMPDIR/r.json" classes.quit-timeout)" -eq 0 ]
	[ "$(json_get "$BATS_TEST_TMPDIR/r.json" quits)" -eq 200 ]
}

@test "MSHV semantics, POST storm: the legacy-signal kick is caught as quit-timeout" {
	run "$HV" --accel "script:$S/storm-mshv.txt" --cpus 4 --iterations 200 --quit-at random \
		--storm 2 --kick legacy-signal
	[ "$status" -eq 1 ]
	[[ "$output" == *"class: quit-timeout"* ]]
	grep -E 'vcpu [0-9]+: still in the guest: exits=[0-9]+ at the deadline' <<< "$output"
}

@test "KVM semantics, POST storm: exit-request quits, legacy-signal is caught" {
	run "$HV" --accel "script:$S/storm-kvm.txt" --cpus 4 --iterations 100 --quit-at random -q
	[ "$status" -eq 0 ]
	run "$HV" --accel "script:$S/storm-kvm.txt" --cpus 4 --iterations 200 --quit-at random \
		--kick legacy-signal
	[ "$status" -eq 1 ]
	[[ "$output" == *"class: quit-timeout"* ]]
}

@test "a guest that never exits: the deadline ends each boot and every thread gets out" {
	run "$HV" --accel "script:$S/never-exits-mshv.txt" --cpus 2 --iterations 3 --boot-timeout 100
	[ "$status" -eq 1 ]
	# nothing was ever sent for an AP: each boot is a timeout, before any AP was started
	[ "$(grep -c 'class: boot-timeout' <<< "$output")" -eq 3 ]
	[[ "$output" == *"before any AP was started: firmware before the firmware's first event"* ]]
	[[ "$output" != *"quit-timeout"* ]]
}

@test "a bad script is a one-line error and exit 2" {
	printf 'semantics xen\n' > "$BATS_TEST_TMPDIR/bad.txt"
	run --separate-stderr "$HV" --accel "script:$BATS_TEST_TMPDIR/bad.txt" --iterations 1
	[ "$status" -eq 2 ]
	[ "$stderr" = "hvsmoke: error: script $BATS_TEST_TMPDIR/bad.txt line 1: semantics takes kvm or mshv" ]
	run --separate-stderr "$HV" --accel "script:$BATS_TEST_TMPDIR/none.txt" --iterations 1
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"No such file"* ]]
}

@test "SIGTERM while every vCPU waits in a never-exiting guest: a clean quit with summaries" {
	"$HV" --accel "script:$S/never-exits-mshv.txt" --cpus 2 --iterations 5 --boot-timeout 5000 \
		--json "$BATS_TEST_TMPDIR/r.json" > "$BATS_TEST_TMPDIR/out.tap" 2>&1 3>&- &
	pid=$!
	sleep 0.3
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	cat "$BATS_TEST_TMPDIR/out.tap"
	[ "$rc" -eq 0 ]
	[ "$(json_get "$BATS_TEST_TMPDIR/r.json" quits)" -eq 1 ]
	# the plan promised 5 boots (+ the SMM skip): the unrun ones are SKIPs
	grep -q '^1\.\.6$' "$BATS_TEST_TMPDIR/out.tap"
	[ "$(grep -c '^ok [2-5] - boot [2-5] # SKIP not run: the run was quit$' "$BATS_TEST_TMPDIR/out.tap")" -eq 4 ]
	grep -q '^ok 6 - smm stage # SKIP' "$BATS_TEST_TMPDIR/out.tap"
}

@test "--reuse-vm with the scripted accelerator: each warm reset starts the script over" {
	run "$HV" --accel "script:$S/pass2-kvm.txt" --cpus 2 --iterations 30 --reuse-vm -q
	[ "$status" -eq 0 ]
}

# Each of these used to load and boot into ap-missing: now a usage error
# naming the line and the reason, before any boot.
@test "empty, vcpu-less, binary and too-wide scripts are usage errors naming the line" {
	d="$BATS_TEST_TMPDIR"
	: > "$d/empty.txt"
	printf '# nothing here\n\n' > "$d/comments.txt"
	printf 'semantics kvm\nkick-at 0 top 1\n' > "$d/novcpu.txt"
	printf 'semantics kvm\nvcpu all: io-out 0x80 1\n\0vcpu 1: hlt\n' > "$d/nul.txt"
	printf 'semantics kvm\nvcpu 0: event 1 0 2; done 0x10\nvcpu 1: io-out 0x80 0x1ffffffff 4\n' > "$d/wide.txt"
	printf 'vcpu all: io-out 0x80 1\nvcpu 0: after 1 4294967296\n' > "$d/after.txt"
	printf 'vcpu all: event 2 0x800 0\n' > "$d/event.txt"
	printf 'vcpu all: io-out 0x80 1 8\n' > "$d/size.txt"
	while IFS="|" read -r f want; do
		run --separate-stderr "$HV" --accel "script:$d/$f" --cpus 2 --iterations 1
		echo "$f: $status: $stderr"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[ "$stderr" = "hvsmoke: error: script $d/$f$want" ]
	done <<-EOF
		empty.txt|: empty (nothing but blank lines and comments)
		comments.txt|: empty (nothing but blank lines and comments)
		novcpu.txt|: no vcpu section (vcpu N|all: STEP; ...)
		nul.txt| line 3: NUL byte at offset 38 (not a text file)
		wide.txt| line 3: value 0x1ffffffff does not fit in 32 bits
		after.txt| line 2: entry count 4294967296 does not fit in 32 bits
		event.txt| line 1: apic 0x800 does not fit in 11 bits
		size.txt| line 1: size 8 is not 1, 2 or 4
	EOF
}

@test "a FIFO or a device as the script is refused at once, never read" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	for f in "$BATS_TEST_TMPDIR/fifo" /dev/zero; do
		# timeout: reading a FIFO blocks until a writer comes, /dev/zero never ends
		run --separate-stderr timeout 10 "$HV" --accel "script:$f" --iterations 1
		echo "$f: $status: $stderr"
		[ "$status" -eq 2 ]
		[ "$stderr" = "hvsmoke: error: --accel script:$f: not a regular file" ]
	done
}

@test "a script with CRLF line ends works as with LF" {
	sed 's/$/\r/' "$S/pass2-kvm.txt" > "$BATS_TEST_TMPDIR/crlf.txt"
	grep -q $'\r$' "$BATS_TEST_TMPDIR/crlf.txt"
	run "$HV" --accel "script:$BATS_TEST_TMPDIR/crlf.txt" --cpus 2 --iterations 5 -q \
		--json "$BATS_TEST_TMPDIR/r.json"
	[ "$status" -eq 0 ]
	[ "$(json_get "$BATS_TEST_TMPDIR/r.json" passed)" -eq 5 ]
}
