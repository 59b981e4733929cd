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
	# the build under test, not build/ (HVSMOKE_BUILD, as the other suites)
	run env HVSMOKE_BUILD="$BUILD" python3 "$ROOT/bench/run.py" --quick --out "$out"
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
# large VMs: each size ran (or says why not), every boot passed, figures sane
lv = d["large_vms"]
for n in ("256", "512", "1024"):
    if "large_" + n in d["skipped"]:
        assert d["skipped"]["large_" + n] and n not in lv["sizes"], n
        continue
    v = lv["sizes"][n]
    assert v["boots"] >= 1 and v["passed"] == v["boots"], (n, v)
    assert 0 < v["boot_us_p50"] < 60e6 and v["boots_per_s"] > 0, (n, v)
    assert v["per_vcpu_boot_us"] == round(v["boot_us_p50"] / int(n), 1), (n, v)
    # a clean wait4: its own peak, the same as hvsmoke's VmHWM give or take a page
    # table or two, not the ~14 MiB python would lend it
    assert 1024 <= v["peak_rss_kib"] < 1024 * 1024, (n, v)
    assert abs(v["peak_rss_kib"] - v["vm_hwm_kib"]) <= max(512, v["vm_hwm_kib"] // 10), (n, v)
    assert v["to_all_online_ms"] > 0, (n, v)
if all(n in lv["sizes"] for n in ("256", "1024")):
    assert lv["rss_kib_per_vcpu_256_to_1024"] > 0
    assert lv["sizes"]["1024"]["peak_rss_kib"] > lv["sizes"]["256"]["peak_rss_kib"]
    assert any(v["target"].startswith("peak RSS KiB N=1024") and "value" in v
               for v in d["verdicts"])
if "qemu_smp288" in d["skipped"]:
    assert "peer" not in lv
else:
    p = lv["peer"]
    assert p["cpus"] == 288
    for who in ("qemu_hvsmoke_fw", "hvsmoke"):
        assert p[who]["spawn_to_exit_ms"] > 0 and p[who]["peak_rss_kib"] > 0, p
    assert p["hvsmoke"]["to_all_online_ms"] <= p["hvsmoke"]["spawn_to_exit_ms"], p
    assert p["qemu_over_hvsmoke_spawn_to_exit"] > 0, p
PY
	grep -q '^| 64 |' "$out/latest.md"
	grep -q 'true floor per VM (us)' "$out/latest.md"
	grep -q 'old order per VM (us)' "$out/latest.md"
	grep -q '^| 1024 |' "$out/latest.md"
	grep -Eq '^\| N=288 \||N=288 .*skipped|qemu_smp288' "$out/latest.md"
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
