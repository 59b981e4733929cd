#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# `hvsmoke compare BASE NEW` on real runs of this host: two runs of one
# scenario with different seeds compare clean; a known-bad mode against a
# correct baseline, a positive control that went silent and a slowdown are
# flagged; bad input is one line and exit 2 with nothing written. The rules
# one by one are in tests/unit/test_compare.c.

bats_require_minimum_version 1.5.0
load helpers

# A real run: native, 2 vCPUs under the sync hammer; extra flags after the file.
# Its exit status (0 passed, 1 a boot failed: a positive control) is left in RUN_RC.
real_run() {
	local out="$1"
	shift
	RUN_RC=0
	"$HV" --cpus 2 --iterations "${BOOTS:-120}" --sync-hammer max --boot-timeout 300 -q \
		--json "$out" "$@" >/dev/null || RUN_RC=$?
	[ "$RUN_RC" -le 1 ] || [ "$RUN_RC" -eq 4 ]
}

# Two real runs: the first with the extra flags in BASE_ARGS, the second
# with those in NEW_ARGS; compared into cmp.json and cmp.xml, TAP in $output.
compare_real_runs() {
	real_run "$BATS_TEST_TMPDIR/base.json" $BASE_ARGS
	real_run "$BATS_TEST_TMPDIR/new.json" $NEW_ARGS
	run "$HV" compare "$BATS_TEST_TMPDIR/base.json" "$BATS_TEST_TMPDIR/new.json" \
		--json "$BATS_TEST_TMPDIR/cmp.json" --junit "$BATS_TEST_TMPDIR/cmp.xml"
	echo "$output"
	tap_consistent
}

# The TAP plan and the test points agree.
tap_consistent() {
	local plan points
	plan=$(echo "$output" | sed -n 's/^1\.\.\([0-9]*\)$/\1/p')
	points=$(echo "$output" | grep -cE '^(not )?ok [0-9]+ ')
	[ -n "$plan" ] && [ "$plan" -eq "$points" ]
}

# Edit a JSON file with a python expression on d (the parsed document).
json_edit() {
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1])); exec(sys.argv[3]); json.dump(d, open(sys.argv[2], "w"))' "$@"
}

@test "two real runs with the same flags and different seeds compare clean" {
	require_kvm
	BASE_ARGS="--seed 1" NEW_ARGS="--seed 2" compare_real_runs
	[ "$status" -eq 0 ]
	[[ "$output" == *"# compare: no regression in "* ]]
	# judged, or, where other processes took a different share of this shared
	# host in the two runs, a skip that says so: never a regression
	if [[ "$output" == *"ok 12 - boot latency (boots that passed): p50 "* ]]; then
		[ "$(json_get "$BATS_TEST_TMPDIR/cmp.json" latency.boot_us.base.n)" -ge 100 ]
	else
		[[ "$output" == *"ok 12 - latency/boot_us # SKIP boot latency (boots that passed) not judged: other processes took "* ]]
	fi
	[[ "$output" == *"# note: seeds 1 -> 2"* ]]
	[ "$(json_get "$BATS_TEST_TMPDIR/cmp.json" verdict)" = pass ]
	python3 -c 'import sys, xml.etree.ElementTree as E
t = E.parse(sys.argv[1]).getroot()
assert t.get("failures") == "0" and int(t.get("tests")) == len(t.findall("testcase")) >= 20' \
		"$BATS_TEST_TMPDIR/cmp.xml"
}

@test "--sync-policy legacy-smm against a fixed baseline is flagged: ap-missing is new" {
	require_kvm
	BASE_ARGS="" NEW_ARGS="--sync-policy legacy-smm" compare_real_runs
	[ "$status" -eq 1 ]
	[[ "$output" == *"not ok 2 - failure class ap-missing is new: BASE 0 of 120 boots, NEW "* ]]
	[[ "$output" == *"# note: sync_policy \"fixed\" -> \"legacy-smm\""* ]]
	[[ "$output" == *"ok 12 - control/legacy-smm # SKIP positive control legacy-smm runs only in NEW"* ]]
	[[ "$output" == *"# compare: "*" class/ap-missing"* ]]
	[ "$(json_get "$BATS_TEST_TMPDIR/cmp.json" verdict)" = regression ]
	grep -q '<testcase classname="hvsmoke.compare.failure-class" name="class/ap-missing"><failure message="failure class ap-missing is new' \
		"$BATS_TEST_TMPDIR/cmp.xml"
}

@test "a positive control that fires in both runs compares clean; one gone silent is flagged" {
	require_kvm
	BOOTS=40 real_run "$BATS_TEST_TMPDIR/a.json" --firmware "$FW_NOSIPI"
	BOOTS=40 real_run "$BATS_TEST_TMPDIR/b.json" --firmware "$FW_NOSIPI"
	[ "$(json_get "$BATS_TEST_TMPDIR/a.json" scenario.positive_controls)" = '["no-sipi-firmware"]' ]
	run "$HV" compare "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/b.json"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ok 2 - failure class ap-missing: BASE 40 of 40 boots, NEW 40 of 40 (positive control no-sipi-firmware firing)"* ]]
	[[ "$output" == *"ok 12 - positive control no-sipi-firmware: BASE fired in 40 of 40 boots (100.0%)"* ]]
	# the same run, as a host would show it where the control went blind
	mkdir "$BATS_TEST_TMPDIR/hand-made"
	json_edit "$BATS_TEST_TMPDIR/b.json" "$BATS_TEST_TMPDIR/hand-made/blind.json" '
n = d["iterations_run"]
d["classes"]["ap-missing"] = 0; d["classes"]["pass"] = n
d["failures_total"] = 0; d["failures"] = []; d["first_failure"] = None
d["verdict"] = "pass"; d["boot_classes"] = "P" * n'
	run "$HV" compare "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/hand-made/blind.json"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not ok 12 - positive control no-sipi-firmware no longer fires: BASE fired in 40 of 40 boots (100.0%), first after "*"; NEW fired in 0 of 40 boots (0.0%)"* ]]
}

@test "latency slower beyond noise is flagged, and --max-slowdown moves the line" {
	require_kvm
	real_run "$BATS_TEST_TMPDIR/run.json"
	mkdir "$BATS_TEST_TMPDIR/hand-made"
	# a quiet host in both (this one may be busy: then latency is not judged at all)
	json_edit "$BATS_TEST_TMPDIR/run.json" "$BATS_TEST_TMPDIR/hand-made/base.json" '
d["host_load"] = {"busy": 0.4, "own": 0.38, "foreign": 0.02}'
	json_edit "$BATS_TEST_TMPDIR/hand-made/base.json" "$BATS_TEST_TMPDIR/hand-made/slow.json" '
d["samples"]["boot_us"] = [2 * x for x in d["samples"]["boot_us"]]'
	run "$HV" compare "$BATS_TEST_TMPDIR/hand-made/base.json" "$BATS_TEST_TMPDIR/hand-made/slow.json"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not ok 12 - boot latency (boots that passed) slower beyond noise: p50 "*"(x2.00, 99% lower bound x"* ]]
	run "$HV" compare --max-slowdown 2.5 "$BATS_TEST_TMPDIR/hand-made/base.json" "$BATS_TEST_TMPDIR/hand-made/slow.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"limit x2.50"* ]]
}

@test "a host that lost KVM: the skipped NEW run is a regression, not bad input" {
	require_kvm
	BOOTS=5 real_run "$BATS_TEST_TMPDIR/base.json"
	HVSMOKE_KVM_DEVICE=/nonexistent/kvm BOOTS=5 real_run "$BATS_TEST_TMPDIR/new.json"
	[ "$RUN_RC" -eq 4 ]
	run "$HV" compare "$BATS_TEST_TMPDIR/base.json" "$BATS_TEST_TMPDIR/new.json"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not ok 1 - run: NEW did not run (skip: "*"/nonexistent/kvm"* ]]
	[[ "$output" == *"not ok "*" - backend kvm: available in BASE, not in NEW"* ]]
	# the other way round there is no baseline at all
	run --separate-stderr "$HV" compare "$BATS_TEST_TMPDIR/new.json" "$BATS_TEST_TMPDIR/base.json"
	[ "$status" -eq 2 ]
	[[ "$stderr" == "hvsmoke: error: BASE is a skipped run ("*"): nothing to compare against" ]]
}

@test "bad input: one line, exit 2, no output file written" {
	local d="$BATS_TEST_TMPDIR/hand-made"
	mkdir "$d"
	cp "$ROOT/tests/fuzz/corpus/qmp/control" "$d/notjson.json" 2>/dev/null || echo '{"a":' > "$d/notjson.json"
	echo '{"a":' > "$d/trunc.json"
	echo '{"verdict": "pass", "cpus": 4}' > "$d/old.json"
	echo '{"schema_version": 1, "kind": "hvsmoke-compare"}' > "$d/cmp.json"
	mkfifo "$d/fifo.json"
	expect_bad() {
		run --separate-stderr timeout 10 "$HV" compare "$@" --json "$d/out.json" --junit "$d/out.xml"
		echo "status $status: $stderr"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[ "$(echo "$stderr" | wc -l)" -eq 1 ]
		[[ "$stderr" == "hvsmoke: error: "* ]]
		[ ! -e "$d/out.json" ] && [ ! -e "$d/out.xml" ]
	}
	expect_bad "$d/missing.json" "$d/trunc.json"
	[[ "$stderr" == *"BASE $d/missing.json: No such file or directory" ]]
	expect_bad "$d/trunc.json" "$d/trunc.json"
	[[ "$stderr" == *"BASE $d/trunc.json: not JSON: line 2 column 0: "* ]]
	expect_bad "$d/old.json" "$d/old.json"
	[[ "$stderr" == *"has no schema_version: not a run JSON of hvsmoke 0.2 or later (run it again)" ]]
	expect_bad "$d/cmp.json" "$d/cmp.json"
	[[ "$stderr" == *'kind is "hvsmoke-compare", not "hvsmoke-run"' ]]
	expect_bad "$d/fifo.json" "$d/trunc.json"
	[[ "$stderr" == *"fifo.json: not a regular file" ]]
	expect_bad "$d" "$d/trunc.json"
	[[ "$stderr" == *": not a regular file" ]]
	expect_bad "$d/trunc.json"
	[[ "$stderr" == "hvsmoke: error: usage: hvsmoke compare BASE.json NEW.json "* ]]
	expect_bad a b c
	[[ "$stderr" == *"compare takes two files, BASE and NEW ('c' is a third)" ]]
	for r in 0.5 abc inf 1e3 0x2 " 2" 101 ""; do
		expect_bad a b --max-slowdown "$r"
		[[ "$stderr" == *"is not a ratio in 1..100" ]] || [[ "$stderr" == *"needs a value"* ]]
	done
	expect_bad a b --storm 5
	[[ "$stderr" == "hvsmoke: error: --storm does not apply to 'compare'" ]]
	# an output that is an input would replace the run it was read from
	run --separate-stderr "$HV" compare "$d/trunc.json" "$d/old.json" --junit "$d/old.json"
	[ "$status" -eq 2 ]
	[ "$stderr" = "hvsmoke: error: --junit $d/old.json: that is NEW, an input" ]
	[ "$(cat "$d/old.json")" = '{"verdict": "pass", "cpus": 4}' ]
	# an output that cannot be one is refused before anything is read
	run --separate-stderr "$HV" compare "$d/missing.json" "$d/missing.json" --json "$d/fifo.json"
	[ "$status" -eq 2 ]
	[ "$stderr" = "hvsmoke: error: --json $d/fifo.json: not a regular file" ]
}

@test "runs of different scenarios are refused, naming every difference" {
	require_kvm
	BOOTS=3 real_run "$BATS_TEST_TMPDIR/a.json"
	"$HV" --cpus 3 --iterations 3 --storm 1 --boot-timeout 300 -q --json "$BATS_TEST_TMPDIR/b.json" >/dev/null
	run --separate-stderr "$HV" compare "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/b.json" \
		--json "$BATS_TEST_TMPDIR/out.json"
	echo "$stderr"
	[ "$status" -eq 2 ]
	[ "$stderr" = 'hvsmoke: error: BASE and NEW are different scenarios, not comparable: cpus 2 vs 3; sync_hammer "max" vs "off"; storm_ms 0 vs 1' ]
	[ ! -e "$BATS_TEST_TMPDIR/out.json" ]
}

@test "two real runs of the host's QEMU under the monitor hammer: compare flags exactly what NEW found new" {
	require_kvm
	require_qemu
	timeout 20 qemu-system-x86_64 -accel kvm -machine pc -display none -nodefaults -S -no-reboot \
		-qmp stdio >/dev/null 2>&1 <<< '{"execute":"qmp_capabilities"}{"execute":"quit"}' ||
		skip "QEMU cannot use KVM here"
	local s rc
	for s in 1 2; do
		# QEMU 7.2 here sends an AP through its reset vector in about 1% of boots
		# under the hammer (ap-reset): a finding, shown, and what compare must flag
		rc=0
		"$HV" qemu --cpus 2 --iterations 20 --sync-hammer max -q --seed "$s" \
			--json "$BATS_TEST_TMPDIR/q$s.json" > "$BATS_TEST_TMPDIR/q$s.tap" || rc=$?
		[ "$rc" -le 1 ]
		if [ "$rc" -eq 1 ]; then
			echo "# QEMU finding in run $s: $(grep '^not ok' "$BATS_TEST_TMPDIR/q$s.tap" | tr '\n' ' ')" >&3
		fi
	done
	run "$HV" compare "$BATS_TEST_TMPDIR/q1.json" "$BATS_TEST_TMPDIR/q2.json"
	echo "$output"
	tap_consistent
	[[ "$output" == *" - latency/monitor_us # SKIP monitor latency "* ]]
	[[ "$output" == *"ok "*" - QEMU $(json_get "$BATS_TEST_TMPDIR/q1.json" host.qemu.version) in BASE, "* ]]
	[[ "$output" == *"# scenario: target=\"qemu\" accel=\"qemu-kvm\" cpus=2 "*" machine=\"pc\" qemu_accel=\"kvm\""* ]]
	# the regressions are the classes NEW has and BASE has not, nothing else
	local want got
	want=$(python3 -c 'import json,sys
b, n = (json.load(open(f))["classes"] for f in sys.argv[1:])
print(" ".join("class/" + c for c in n if c != "pass" and n[c] and not b[c]))' \
		"$BATS_TEST_TMPDIR/q1.json" "$BATS_TEST_TMPDIR/q2.json")
	got=$(echo "$output" | sed -n 's/^# compare: [0-9]* regressions*: //p')
	echo "want '$want' got '$got'"
	[ "$got" = "$want" ]
	if [ -z "$want" ]; then
		[ "$status" -eq 0 ]
	else
		[ "$status" -eq 1 ]
	fi
}
