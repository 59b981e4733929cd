#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Write a small synthetic run history for tests/report.bats, with the data a
real one only has on a bad night: hostile text, gaps, broken files.

    fake_history.py DIR

Three nights. The first is a good one. The second has a regression whose
compare detail and failure detail carry markup, a skipped QEMU scenario
whose skip reason does too, a scenario whose run JSON is corrupt, one that
ended in a setup error with no JSON and a stderr line, one from an hvsmoke
without samples, and a control with no boot completed. The third directory
has no night.json (a night that was killed) and must be ignored.
"""
import json
import os
import random
import sys

EVIL = '<script>alert("pwned")</script> & \'quotes\' "double" </td></table><b>'


def run_json(verdict, boots, failed, samples=True, cls="ap-missing", detail="", target="native",
             kernel="Linux 6.18.44", qemu=None, seed=1):
    rnd = random.Random(seed)
    boot = sorted(rnd.randint(2000, 9000) for _ in range(boots - failed))
    d = {"schema_version": 1, "kind": "hvsmoke-run", "hvsmoke_version": "0.2.0",
         "started_utc": "2026-11-26T02:00:00Z", "verdict": verdict, "target": target,
         "ipi_pattern": "hvsmoke", "seed": seed, "accel": "kvm", "cpus": 2,
         "iterations_run": boots, "passed": boots - failed,
         "classes": {"pass": boots - failed, cls: failed}, "failures_total": failed,
         "failures": [{"iteration": i + 1, "class": cls, "detail": detail or "apic 1 missing",
                       "evidence": ["vcpu 1: mp_state=INIT_RECEIVED " + (detail or "")]}
                      for i in range(min(failed, 3))],
         "boot_us": {"p50": boot[len(boot) // 2] if boot else 0,
                     "p90": boot[-1] if boot else 0, "p99": boot[-1] if boot else 0,
                     "max": boot[-1] if boot else 0, "samples": len(boot)},
         "first_failure": {"iteration": 1, "seconds": 0.25} if failed else None,
         "host": {"kernel": kernel, "cpu_model": "Test CPU"}}
    if qemu:
        d["host"]["qemu"] = {"version": qemu}
    if samples:
        d["samples"] = {"boot_us": boot, "quit_us": [], "monitor_us": [], "truncated": False}
        d["boot_classes"] = "A" * failed + "P" * (boots - failed)
    return d


def write(path, obj):
    with open(path, "w") as f:
        if isinstance(obj, str):
            f.write(obj)
        else:
            json.dump(obj, f)


def night(hist, nid, result, scenarios, files):
    d = os.path.join(hist, nid)
    os.makedirs(d)
    for name, obj in files.items():
        write(os.path.join(d, name), obj)
    write(os.path.join(d, "night.json"),
          {"schema_version": 1, "kind": "hvsmoke-night", "night": nid, "result": result,
           "scenarios": scenarios})


def sc(name, run_exit, expect="pass", baseline=None, compare_exit=None, good=False, args=""):
    return {"name": name, "run_exit": run_exit, "expect": expect, "baseline": baseline,
            "compare_exit": compare_exit, "good": good, "args": args}


def main():
    hist = sys.argv[1]
    os.makedirs(hist, exist_ok=True)
    n1, n2, n3 = "20261124T020000Z", "20261125T020000Z", "20261126T020000Z"
    night(hist, n1, "pass",
          [sc("native-cpus2", 0, good=True), sc("control-no-sipi", 1, "fire", good=True)],
          {"native-cpus2.json": run_json("pass", 40, 0, seed=1),
           "control-no-sipi.json": run_json("fail", 10, 10, seed=2)})
    night(hist, n2, "regression",
          [sc("native-cpus2", 1, baseline=n1, compare_exit=1, args="run --cpus 2 " + EVIL),
           sc("control-no-sipi", 1, "fire", baseline=n1, compare_exit=0, good=True),
           sc("qemu-cpus2-hvsmoke", 4),
           sc("native-cpus4", 1),
           sc("native-cpus8", 2),
           sc("native-cpus16", 0, good=True)],
          {"native-cpus2.json": run_json("fail", 40, 3, detail=EVIL, kernel="Linux 6.19 " + EVIL,
                                         seed=3),
           "native-cpus2.compare.json": {
               "schema_version": 1, "kind": "hvsmoke-compare", "verdict": "regression",
               "regressions": 1,
               "checks": [{"id": "class/ap-missing", "kind": "failure-class",
                           "result": "regression", "detail": "new: " + EVIL}],
               "notes": ["kernel Linux 6.18.44 -> Linux 6.19 " + EVIL]},
           "control-no-sipi.json": run_json("fail", 10, 10, seed=4),
           "control-no-sipi.compare.json": {"verdict": "pass", "checks": [], "notes": []},
           "qemu-cpus2-hvsmoke.json": dict(run_json("skip", 0, 0, samples=False, target="qemu"),
                                           skip_reason="no QEMU here " + EVIL),
           "native-cpus4.json": '{"verdict": "fail", "iterations_run": 4',
           "native-cpus8.stderr": "hvsmoke: error: " + EVIL + "\n",
           "native-cpus16.json": run_json("pass", 20, 0, samples=False, seed=5)})
    os.makedirs(os.path.join(hist, n3))
    write(os.path.join(hist, n3, "native-cpus2.json"), run_json("pass", 5, 0))


if __name__ == "__main__":
    main()
