#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# A quick smoke of the bench scripts: one short pass of every measurement,
# asserting only that the output is well-formed (never a speed).
bats_require_minimum_version 1.5.0
load helpers

setup() {
	require_kvm
}

@test "bench/run.py --quick writes well-formed latest.json and latest.md" {
	out="$BATS_TEST_TMPDIR/bench"
	run python3 "$ROOT/bench/run.py" --quick --out "$out"
	echo "$output" | tail -20
	[ "$status" -eq 0 ]
	python3 - "$out/latest.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for n in ("1", "4", "64"):
    assert isinstance(d["ratio_to_floor"][n], (int, float)) and d["ratio_to_floor"][n] > 0, n
    fl = d["floor_us"][n]
    assert 0 < fl["median_us"] <= fl["cycle_us"] * 100 and fl["old_order_median_us"] > 0, fl
    assert d["firmware_run_us"][n] > 0, n
    if "qemu" not in d["skipped"]:
        assert d["speedup_vs_qemu_seabios"][n] > 0, n
if "qemu" not in d["skipped"]:
    for mode in ("fresh", "reuse"):
        q = d["qemu_target"][mode]
        assert q["boots_per_s"] > 0 and q["boots"] > 0 and q["commands_per_s"] > 0, mode
assert d["boots_per_s"]["fresh"]["4"] > 0 and d["boots_per_s"]["fresh"]["64"] > 0
assert d["boots_per_s"]["warm"]["4"] > 0
assert d["quit_latency_us"]["p50"] > 0 and d["quit_latency_us"]["p99"] >= d["quit_latency_us"]["p50"]
assert d["peak_rss_kib"] > 0
assert d["host"]["kernel"]
assert all("target" in v for v in d["verdicts"])
PY
	grep -q '^| 64 |' "$out/latest.md"
	grep -q 'true floor per VM (us)' "$out/latest.md"
	grep -q 'old order per VM (us)' "$out/latest.md"
}

@test "the floor program measures and refuses bad arguments" {
	run "$BUILD/floor" 2 3
	[ "$status" -eq 0 ]
	[[ "$output" == '{"cpus": 2, "iterations": 3, "median_us": '* ]]
	# both orders, each built to the BSP's first exit (the OUT at its reset vector)
	echo "$output" | python3 -c 'import json,sys; d=json.load(sys.stdin)
assert all(d[k] > 0 for k in ("median_us", "cycle_us", "old_order_median_us", "old_order_cycle_us")), d' 
	run "$BUILD/floor" 0 3
	[ "$status" -eq 2 ]
}
