#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""`make bench`: hvsmoke measured side by side with QEMU+SeaBIOS, QEMU booting
hvsmoke's firmware, and the bare-ioctl floor, on the same host in one run.
Writes RESULTS/latest.json and RESULTS/latest.md. Medians of several runs;
ratios matter more than absolute times on shared, noisy machines.

  bench/run.py [--quick] [--out DIR] [--reps N]
--quick: one short pass of every measurement, to prove the scripts work.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HV = os.path.join(ROOT, "build", "hvsmoke")
FLOOR = os.path.join(ROOT, "build", "floor")
FW = os.path.join(ROOT, "build", "guestfw.bin")
SEABIOS = "/usr/share/seabios/bios-256k.bin"
SIZES = ["1", "4", "64"]
GUEST_RAM_KIB = 2 * 1024 + 64  # RAM plus the ROM

TARGETS = {
    "speedup_vs_qemu_seabios": 100.0,  # at N = 4 and 64, at least
    "ratio_to_floor": 1.5,             # per fresh-VM boot over floor + firmware run, at most
    "boots_per_s_fresh_4": 300.0,
    "boots_per_s_warm_4": 1000.0,
    "quit_latency_p99_us": 1000.0,
    "peak_rss_extra_kib": 16 * 1024,
    "qemu_reuse_boots_per_s_2": 20.0,  # hvsmoke qemu --qemu-reuse at N = 2, at least
}


def median(xs):
    return statistics.median(xs) if xs else None


def run_json(args, tmp):
    """Run hvsmoke with --json; return (exit code, summary dict)."""
    path = os.path.join(tmp, "r.json")
    p = subprocess.run([HV] + args + ["-q", "--json", path], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    with open(path) as f:
        return p.returncode, json.load(f)


def hvsmoke_to_online(n, reps, tmp):
    """Spawn -> every AP of the first boot online, and spawn -> exit (ms)."""
    online, total = [], []
    for _ in range(reps):
        t0 = time.monotonic_ns()
        rc, d = run_json(["--cpus", n, "--iterations", "1", "--smm", "off"], tmp)
        t1 = time.monotonic_ns()
        if rc != 0 or not d.get("first_all_online_monotonic_ns"):
            raise RuntimeError("hvsmoke --cpus %s failed (exit %d)" % (n, rc))
        online.append((d["first_all_online_monotonic_ns"] - t0) / 1e6)
        total.append((t1 - t0) / 1e6)
    return median(online), median(total)


def qemu_available():
    if not shutil.which("qemu-system-x86_64"):
        return "qemu-system-x86_64 is not installed"
    if not os.path.exists(SEABIOS):
        return "SeaBIOS (%s) is not installed" % SEABIOS
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "no /dev/kvm for QEMU"
    probe = subprocess.run(["qemu-system-x86_64", "-accel", "kvm", "-machine", "q35", "-S",
                            "-display", "none", "-nodefaults", "-qmp", "stdio"],
                           input=b'{"execute":"qmp_capabilities"}{"execute":"quit"}',
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    return None if probe.returncode == 0 else "QEMU cannot use KVM here"


def qemu_seabios_scan(n, reps):
    """Spawn -> SeaBIOS prints 'Found N cpu(s)' on its debug port 0x402 (ms)."""
    times = []
    want = ("Found %s cpu(s)" % n).encode()
    for _ in range(reps):
        t0 = time.monotonic_ns()
        p = subprocess.Popen(["qemu-system-x86_64", "-accel", "kvm", "-machine", "q35", "-smp", n,
                              "-m", "64", "-bios", SEABIOS, "-display", "none", "-nodefaults",
                              "-no-reboot", "-chardev", "stdio,id=dbg",
                              "-device", "isa-debugcon,iobase=0x402,chardev=dbg"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
        found = None
        deadline = time.monotonic() + 30
        try:
            for line in p.stdout:
                if want in line:
                    found = (time.monotonic_ns() - t0) / 1e6
                    break
                if time.monotonic() > deadline:
                    break
        finally:
            p.kill()
            p.wait()
        if found is None:
            raise RuntimeError("SeaBIOS never reported %s CPUs" % n)
        times.append(found)
    return median(times)


def qemu_hvsmoke_fw(n, reps):
    """Spawn -> hvsmoke's firmware writes its completion code under QEMU+KVM (ms)."""
    times = []
    for _ in range(reps):
        t0 = time.monotonic_ns()
        p = subprocess.run(["qemu-system-x86_64", "-accel", "kvm", "-machine", "q35", "-smp", n,
                            "-m", "64", "-bios", FW, "-display", "none", "-nodefaults",
                            "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        if p.returncode != 33:
            raise RuntimeError("QEMU with hvsmoke's firmware exited %d at -smp %s"
                               % (p.returncode, n))
        times.append((time.monotonic_ns() - t0) / 1e6)
    return median(times)


def qemu_target_boots_per_s(iters, tmp, reuse):
    """`hvsmoke qemu` at N = 2 under the max monitor hammer: boots/s, commands/s."""
    args = ["qemu", "--cpus", "2", "--iterations", str(iters), "--sync-hammer", "max"]
    if reuse:
        args.append("--qemu-reuse")
    rc, d = run_json(args, tmp)
    if rc not in (0, 1):
        raise RuntimeError("hvsmoke qemu%s failed (exit %d)" % (" --qemu-reuse" if reuse else "", rc))
    # a lost AP under KVM is a finding, not a bench failure: it is reported beside the rate
    return {"boots_per_s": d["boots_per_s"], "passed": d["passed"],
            "boots": d["iterations_run"], "commands_per_s": d["monitor"]["commands_per_s"],
            "command_p50_us": d["monitor"]["latency_us"]["p50"],
            "command_p99_us": d["monitor"]["latency_us"]["p99"]}


def floor(n, iters):
    """bench/floor.c: the cheapest order and the old one (build to the BSP's first exit, and
    the cost per VM of a loop that closes VMs on a second thread, as hvsmoke does)."""
    p = subprocess.run([FLOOR, n, str(iters)], capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError("floor failed: " + p.stderr.strip())
    return json.loads(p.stdout)


def boots(n, iters, tmp, warm=False):
    """One hvsmoke run of fresh-VM (or warm-reset) boots: its summary."""
    args = ["--cpus", n, "--iterations", str(iters), "--smm", "off"]
    if warm:
        args.append("--reuse-vm")
    rc, d = run_json(args, tmp)
    if rc != 0:
        raise RuntimeError("hvsmoke boots failed at N=%s (exit %d)" % (n, rc))
    return d


def per_boot_us(n, iters, tmp, warm=False):
    """Boots per second inside one process."""
    return boots(n, iters, tmp, warm)["boots_per_s"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    ap.add_argument("--reps", type=int, default=None)
    a = ap.parse_args()
    reps = a.reps or (1 if a.quick else 7)
    long_iters = 20 if a.quick else 500
    os.makedirs(a.out, exist_ok=True)
    res = {"quick": a.quick, "reps": reps, "targets": TARGETS, "skipped": {}}

    with tempfile.TemporaryDirectory() as tmp:
        rc, d = run_json(["--cpus", "1", "--iterations", "1", "--smm", "off"], tmp)
        res["host"] = dict(d["host"], machine=platform.machine(), cpus=os.cpu_count())

        res["hvsmoke_to_all_online_ms"], res["hvsmoke_process_ms"] = {}, {}
        for n in SIZES:
            online, total = hvsmoke_to_online(n, reps, tmp)
            res["hvsmoke_to_all_online_ms"][n] = round(online, 3)
            res["hvsmoke_process_ms"][n] = round(total, 3)

        why = qemu_available()
        res["qemu_seabios_scan_ms"], res["qemu_hvsmoke_fw_ms"] = {}, {}
        res["speedup_vs_qemu_seabios"] = {}
        if why:
            res["skipped"]["qemu"] = why
        else:
            for n in SIZES:
                q = qemu_seabios_scan(n, reps)
                res["qemu_seabios_scan_ms"][n] = round(q, 3)
                res["qemu_hvsmoke_fw_ms"][n] = round(qemu_hvsmoke_fw(n, reps), 3)
                res["speedup_vs_qemu_seabios"][n] = round(q / res["hvsmoke_to_all_online_ms"][n], 2)
            res["qemu_target"] = {
                "fresh": qemu_target_boots_per_s(10 if a.quick else 100, tmp, False),
                "reuse": qemu_target_boots_per_s(20 if a.quick else 300, tmp, True),
            }

        # per fresh boot against the true floor plus what the firmware itself takes
        res["floor_us"], res["hvsmoke_boot_cycle_us"], res["ratio_to_floor"] = {}, {}, {}
        res["firmware_run_us"] = {}
        for n in SIZES:
            fl = floor(n, 10 if a.quick else (20 if n == "64" else 100))
            d = boots(n, 10 if a.quick else 200, tmp)
            cycle = 1e6 / d["boots_per_s"]
            fw = d["boot_us"]["p50"]
            res["floor_us"][n] = fl
            res["firmware_run_us"][n] = fw
            res["hvsmoke_boot_cycle_us"][n] = round(cycle, 1)
            res["ratio_to_floor"][n] = round(cycle / (fl["cycle_us"] + fw), 3)

        res["boots_per_s"] = {
            "fresh": {n: per_boot_us(n, long_iters, tmp) for n in ("4", "64")},
            "warm": {"4": per_boot_us("4", long_iters, tmp, warm=True)},
        }

        rc, d = run_json(["--cpus", "4", "--iterations", str(50 if a.quick else 500), "--storm",
                          "5", "--quit-at", "random", "--smm", "off"], tmp)
        if rc != 0:
            raise RuntimeError("quit run failed (exit %d)" % rc)
        res["quit_latency_us"] = {"p50": d["quit_latency_us"]["p50"],
                                  "p99": d["quit_latency_us"]["p99"],
                                  "samples": d["quit_latency_us"]["samples"], "cpus": 4}

        # peak RSS of a whole run at the largest size with the hammer on, as hvsmoke
        # reads its own VmHWM (a child's ru_maxrss would include python's, from the fork)
        rc, d = run_json(["--cpus", "64", "--iterations", "20", "--sync-hammer", "max",
                          "--smm", "off"], tmp)
        if rc != 0:
            raise RuntimeError("the RSS run failed (exit %d)" % rc)
        res["peak_rss_kib"] = d["peak_rss_kib"]
        res["guest_ram_kib"] = GUEST_RAM_KIB

    res["verdicts"] = judge(res)
    # names itself like every JSON hvsmoke writes (vmm/schema/hvsmoke.schema.json)
    res["schema_version"] = 1
    res["kind"] = "hvsmoke-bench"
    with open(os.path.join(a.out, "latest.json"), "w") as f:
        json.dump(res, f, indent=2, sort_keys=True)
    with open(os.path.join(a.out, "latest.md"), "w") as f:
        f.write(markdown(res))
    print(markdown(res))


def judge(res):
    """Each target: met or missed, and by how much."""
    out = []

    def add(name, value, target, higher_is_better):
        if value is None:
            out.append({"target": name, "status": "not measured"})
            return
        met = value >= target if higher_is_better else value <= target
        out.append({"target": name, "value": value, "goal": target, "met": met,
                    "by": round(value / target, 3)})

    for n in ("4", "64"):
        add("speedup_vs_qemu_seabios N=%s (>=)" % n, res["speedup_vs_qemu_seabios"].get(n),
            TARGETS["speedup_vs_qemu_seabios"], True)
    for n in SIZES:
        add("ratio_to_floor N=%s (<=)" % n, res["ratio_to_floor"][n], TARGETS["ratio_to_floor"], False)
    add("fresh boots/s N=4 (>=)", res["boots_per_s"]["fresh"]["4"], TARGETS["boots_per_s_fresh_4"], True)
    add("warm boots/s N=4 (>=)", res["boots_per_s"]["warm"]["4"], TARGETS["boots_per_s_warm_4"], True)
    add("quit_latency_us p99 N=4 (<=)", res["quit_latency_us"]["p99"],
        TARGETS["quit_latency_p99_us"], False)
    add("hvsmoke qemu --qemu-reuse boots/s N=2 (>=)",
        res.get("qemu_target", {}).get("reuse", {}).get("boots_per_s"),
        TARGETS["qemu_reuse_boots_per_s_2"], True)
    add("peak RSS KiB (<= 16 MiB + guest RAM)", res["peak_rss_kib"],
        TARGETS["peak_rss_extra_kib"] + res["guest_ram_kib"], False)
    return out


def markdown(res):
    L = ["# hvsmoke bench%s" % (" (quick smoke, not a measurement)" if res["quick"] else ""), "",
         "Host: %s, %s, %s CPUs; medians of %d run(s)." % (
             res["host"].get("kernel"), res["host"].get("cpu_model"), res["host"].get("cpus"),
             res["reps"]), ""]
    L += ["| N | hvsmoke spawn to all APs online (ms) | QEMU+SeaBIOS spawn to SMP scan done (ms) | speedup | QEMU + hvsmoke firmware (ms) |",
          "|---|---|---|---|---|"]
    for n in SIZES:
        L.append("| %s | %s | %s | %s | %s |" % (
            n, res["hvsmoke_to_all_online_ms"][n], res["qemu_seabios_scan_ms"].get(n, "-"),
            res["speedup_vs_qemu_seabios"].get(n, "-"), res["qemu_hvsmoke_fw_ms"].get(n, "-")))
    L += ["", "The floor (`bench/floor.c`): the same ioctls with no firmware, built to the BSP's "
          "first exit. True floor: memslots before the irqchip, VMs closed on a second thread; "
          "old order: the irqchip first, as hvsmoke built VMs before. Per fresh boot: one "
          "hvsmoke boot cycle (1 / boots per second); ratio = per fresh boot / (floor per VM + "
          "the firmware's own run, boot_us p50).", "",
          "| N | true floor: build to first exit (us) | true floor per VM (us) | old order: build to first exit (us) | old order per VM (us) | firmware run p50 (us) | hvsmoke per fresh boot (us) | ratio |",
          "|---|---|---|---|---|---|---|---|"]
    for n in SIZES:
        fl = res["floor_us"][n]
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            n, fl["median_us"], fl["cycle_us"], fl["old_order_median_us"],
            fl["old_order_cycle_us"], res["firmware_run_us"][n],
            res["hvsmoke_boot_cycle_us"][n], res["ratio_to_floor"][n]))
    L += ["", "Boots per second: fresh VM %s (N=4), %s (N=64); warm reset (`--reuse-vm`) %s (N=4)." % (
        res["boots_per_s"]["fresh"]["4"], res["boots_per_s"]["fresh"]["64"],
        res["boots_per_s"]["warm"]["4"]),
        "quit_latency_us (N=4, storm on, random quits): p50 %s, p99 %s (%s quits)." % (
        res["quit_latency_us"]["p50"], res["quit_latency_us"]["p99"], res["quit_latency_us"]["samples"]),
        "Peak RSS: %s KiB (guest RAM %s KiB)." % (res["peak_rss_kib"], res["guest_ram_kib"]), ""]
    qt = res.get("qemu_target")
    if qt:
        L += ["`hvsmoke qemu` (host QEMU + KVM, N=2, max monitor hammer): fresh QEMU per boot "
              "%s boots/s (%s/%s passed, %s commands/s), `--qemu-reuse` %s boots/s (%s/%s passed, "
              "%s commands/s, p50 %s us, p99 %s us per command)." % (
                  qt["fresh"]["boots_per_s"], qt["fresh"]["passed"], qt["fresh"]["boots"],
                  qt["fresh"]["commands_per_s"], qt["reuse"]["boots_per_s"],
                  qt["reuse"]["passed"], qt["reuse"]["boots"], qt["reuse"]["commands_per_s"],
                  qt["reuse"]["command_p50_us"], qt["reuse"]["command_p99_us"]), ""]
    if res["skipped"]:
        L += ["Skipped: " + "; ".join("%s (%s)" % kv for kv in res["skipped"].items()), ""]
    L += ["| target | value | goal | met | value/goal |", "|---|---|---|---|---|"]
    for v in res["verdicts"]:
        if "value" in v:
            L.append("| %s | %s | %s | %s | %s |" % (v["target"], v["value"], v["goal"],
                                                    "yes" if v["met"] else "**no**", v["by"]))
        else:
            L.append("| %s | - | - | %s | - |" % (v["target"], v["status"]))
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    try:
        main()
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
        print("bench: " + str(e), file=sys.stderr)
        sys.exit(1)
