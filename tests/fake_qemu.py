#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A stand-in for qemu-system-x86_64 that speaks just enough QMP for
`hvsmoke qemu` and then misbehaves in one chosen way, so the tests can prove
each failure path is caught and bounded. FAKE_QEMU_MODE picks the way:

  ignore-quit   answers QMP but never quits and never boots (default)
  pass          sends a passing event stream, exits 33 as isa-debug-exit would
  fast-pass     at `cont`, sends a passing event stream and exits 33 before its
                reply to `cont` goes out (a one-CPU TCG boot does that)
  mismatch      sends a passing event stream, then exits with status 3
                instead of isa-debug-exit's 33
  crash         sends the boot event, then kills itself with SIGKILL
  crash-on-quit never boots; on `quit` it dies by SIGSEGV instead of exiting
  slow-evidence sends an ap-missing stream, takes 1.5 s to answer
                `info registers -a`, waits for the COM1 ack, exits 35
  close-events  closes its event socket at `cont` and otherwise waits
  noisy         after `cont` writes 1 MiB to stderr, then passes
  no-greeting   connects every socket but never greets
  refuse-accel  prints QEMU's accelerator error on stderr and exits 1
  bad-args      prints a generic option error on stderr and exits 1

FAKE_QEMU_DIE_AT=N with FAKE_QEMU_STATE=FILE: the Nth start (counted in FILE)
connects only its first socket and exits 1, as a QEMU dying while it starts.
FAKE_QEMU_PROG names the program in error lines (QEMU prefixes its own name).
It connects to the sockets named by -chardev socket,...,path=P as QEMU does.
"""
import json
import os
import signal
import socket
import struct
import sys
import time

MODE = os.environ.get("FAKE_QEMU_MODE", "ignore-quit")


def arg_after(flag):
    argv = sys.argv[1:]
    return [argv[i + 1] for i, a in enumerate(argv) if a == flag and i + 1 < len(argv)]


def chardevs():
    """id -> path of every -chardev socket."""
    out = {}
    for spec in arg_after("-chardev"):
        parts = dict(p.split("=", 1) for p in spec.split(",")[1:] if "=" in p)
        out[parts["id"]] = parts["path"]
    return out


def role_of(chardev_id):
    """Which socket is which, from the -mon/-device lines naming it."""
    mons = [m for m in arg_after("-mon") if "chardev=" + chardev_id + "," in m + ","]
    if mons:
        return "qmp"
    for d in arg_after("-device"):
        if "chardev=" + chardev_id in d:
            if "isa-debugcon" in d and "0xed" in d:
                return "events"
            if "isa-debugcon" in d:
                return "console"
            return "serial"
    return "other"


PROG = os.environ.get("FAKE_QEMU_PROG", "qemu-system-x86_64")


# vmm/protocol.h: a 7-byte stream record (kind, the writer's APIC ID as u16,
# the u32 payload, little-endian); an event is type | apic << 5 | arg << 16.
def rec(kind, writer, value):
    return struct.pack("<BHI", kind, writer, value)


def ev(kind, apic, arg):
    return kind | apic << 5 | arg << 16


def pass_stream(smp):
    return rec(0xa5, 0, ev(0x01, 0, smp)) + \
        b"".join(rec(0xa5, i, ev(0x02, i, i - 1)) for i in range(1, smp)) + \
        rec(0xa5, 0, ev(0x03, 0, smp - 1)) + rec(0xd0, 0, 0x10)


def missing_stream(smp):
    events = [ev(0x01, 0, smp), ev(0x03, 0, 0)] + [ev(0x05, i, 0) for i in range(1, smp)]
    return b"".join(rec(0xa5, 0, e) for e in events) + rec(0xd0, 0, 0x11)


def start_number():
    path = os.environ.get("FAKE_QEMU_STATE")
    if not path:
        return 0
    n = int(open(path).read() or "0") + 1 if os.path.exists(path) else 1
    open(path, "w").write(str(n))
    return n


def main():
    if MODE == "refuse-accel":
        sys.stderr.write(PROG + ": -accel kvm: failed to initialize kvm: "
                         "No such file or directory\n")
        return 1
    if MODE == "bad-args":
        sys.stderr.write(PROG + ": -frobnicate: invalid option\n")
        return 1
    n = start_number()
    if n and n == int(os.environ.get("FAKE_QEMU_DIE_AT", "0")):
        cid, path = next(iter(chardevs().items()))
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        sys.stderr.write(PROG + ": dying while starting (start %d)\n" % n)
        return 1
    smp = int((arg_after("-smp") or ["1"])[0])
    socks = {"qmp": []}
    for cid, path in chardevs().items():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        role = role_of(cid)
        if role == "qmp":
            socks["qmp"].append(s)
        else:
            socks[role] = s
    if MODE == "no-greeting":
        time.sleep(3600)
        return 0
    greeting = {"QMP": {"version": {"qemu": {"major": 0, "minor": 0, "micro": 1},
                                    "package": "fake"}, "capabilities": []}}
    for s in socks["qmp"]:
        s.sendall((json.dumps(greeting) + "\r\n").encode())
    bufs = {s: b"" for s in socks["qmp"]}
    running = False
    while True:
        import select
        watch = socks["qmp"] + ([socks["serial"]] if MODE == "slow-evidence" else [])
        r, _, _ = select.select(watch, [], [], 1.0)
        if MODE == "slow-evidence" and socks["serial"] in r:
            if socks["serial"].recv(1):
                return 35  # the ack came: exit as isa-debug-exit would for 0x11
        for s in r:
            if s not in bufs:
                continue
            data = s.recv(65536)
            if not data:
                return 0
            bufs[s] += data
            while b"\n" in bufs[s]:
                line, bufs[s] = bufs[s].split(b"\n", 1)
                if not line.strip():
                    continue
                msg = json.loads(line)
                cmd, mid = msg.get("execute"), msg.get("id")
                ret = {}
                if cmd == "query-version":
                    ret = greeting["QMP"]["version"]
                elif cmd == "query-cpus-fast":
                    ret = [{"cpu-index": i, "thread-id": os.getpid()} for i in range(smp)]
                elif cmd == "query-status":
                    ret = {"status": "running" if running else "paused", "running": running}
                elif cmd == "human-monitor-command":
                    if MODE == "slow-evidence" and "-a" in msg["arguments"]["command-line"]:
                        time.sleep(1.5)
                    ret = "".join("CPU#%d\r\nEAX=00000000\r\nEIP=0000fff0 EFL=00000002 "
                                  "[-------] CPL=0 II=0 A20=1 SMM=0 HLT=0\r\n"
                                  "CS =f000 ffff0000 0000ffff 00009b00\r\n" % i
                                  for i in range(smp))
                elif cmd == "quit" and MODE == "ignore-quit":
                    continue  # the bug under test: the reply and the exit never come
                elif cmd == "quit" and MODE == "crash-on-quit":
                    os.kill(os.getpid(), signal.SIGSEGV)
                elif cmd == "cont" and MODE == "fast-pass":
                    socks["events"].sendall(pass_stream(smp))
                    return 33  # the guest finished before QMP could answer
                s.sendall((json.dumps({"return": ret, "id": mid}) + "\r\n").encode())
                if cmd == "cont":
                    running = True
                    if MODE in ("mismatch", "pass", "noisy"):
                        if MODE == "noisy":
                            for _ in range(1024):
                                sys.stderr.write(PROG + ": warning: " + "x" * 1000 + "\n")
                            sys.stderr.flush()
                        socks["events"].sendall(pass_stream(smp))
                        time.sleep(0.05)
                        return 3 if MODE == "mismatch" else 33
                    if MODE == "slow-evidence":
                        socks["events"].sendall(missing_stream(smp))
                    if MODE == "close-events":
                        socks["events"].close()
                    if MODE == "crash":
                        socks["events"].sendall(rec(0xa5, 0, ev(0x01, 0, smp)))
                        time.sleep(0.05)
                        os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main())
