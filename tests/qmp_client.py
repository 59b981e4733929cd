#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A real QMP client (stdlib only) that drives hvsmoke's control socket from
outside the process, the way existing QMP tooling does.

  qmp_client.py session SOCK NCPUS      capabilities, query-*, info registers -a, stop/cont, quit
  qmp_client.py malformed SOCK          every kind of bad input, each with its expected reply
  qmp_client.py quit-timing N -- CMD..  N times: start CMD (with --qmp), quit it at a random
                                        moment, time until the process is really gone
  qmp_client.py pause-storm N HOLD -- CMD..  start CMD (with --qmp); N times, at a random
                                        moment, stop the VM for HOLD ms and cont; then quit CMD
                                        and exit with its status
  qmp_client.py spam SOCK SECONDS       pipeline query-status without pause for SECONDS
                                        (reading replies only to keep the socket open)
  qmp_client.py flood N AT TERM -- CMD..  start CMD (with --qmp); AT s after start pipeline N
                                        `info registers -a` and never read the replies; TERM s
                                        after start a new client must get its greeting and
                                        SIGTERM must end the process within --quit-deadline
                                        plus a small bound
Exits 0 when every check held; prints what failed otherwise.
"""
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time


class QMP:
    def __init__(self, path, timeout=5.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.events = []
        self.greeting = self.recv()

    def recv(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("server closed the connection")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def send_raw(self, data):
        self.sock.sendall(data)

    def reply(self):
        """The next non-event message; events are kept."""
        while True:
            msg = self.recv()
            if "event" in msg:
                self.events.append(msg)
                continue
            return msg

    def cmd(self, name, args=None, id=None):
        msg = {"execute": name}
        if args is not None:
            msg["arguments"] = args
        if id is not None:
            msg["id"] = id
        self.send_raw(json.dumps(msg).encode() + b"\n")
        return self.reply()

    def hmp(self, line):
        return self.cmd("human-monitor-command", {"command-line": line})

    def close(self):
        self.sock.close()


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok:", what)


def wait_for_socket(path, proc, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if os.path.exists(path):
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                s.close()
                return True
            except OSError:
                pass
        if proc is not None and proc.poll() is not None:
            return False
        time.sleep(0.002)
    return False


def session(path, ncpus):
    q = QMP(path)
    check("QMP" in q.greeting and "version" in q.greeting["QMP"], "greeting")
    r = q.cmd("query-status")
    check(r.get("error", {}).get("class") == "CommandNotFound", "commands refused before negotiation")
    check(q.cmd("qmp_capabilities") == {"return": {}}, "qmp_capabilities")
    r = q.cmd("query-status", id="s1")
    check(r.get("id") == "s1" and r["return"]["status"] == "running", "query-status running, id echoed")
    cpus = q.cmd("query-cpus-fast")["return"]
    check(len(cpus) == ncpus, "query-cpus-fast lists %d CPUs" % ncpus)
    check(all(c["target"] == "x86_64" and isinstance(c["thread-id"], int) for c in cpus),
          "query-cpus-fast entries well-formed")
    regs = q.hmp("info registers -a")["return"]
    check(all(("CPU#%d\n" % i) in regs for i in range(ncpus)), "info registers -a shows every CPU")
    check("RIP=" in regs and "MP_STATE=" in regs, "info registers -a has RIP and MP_STATE")
    one = q.hmp("info registers")["return"]
    check(one.startswith("CPU#0\n") and "CPU#1" not in one, "info registers shows one CPU")
    info = q.hmp("info cpus")["return"]
    check(info.count("CPU #") == ncpus, "info cpus")
    check(q.cmd("stop") == {"return": {}}, "stop")
    check(q.cmd("query-status")["return"]["status"] == "paused", "paused after stop")
    regs = q.hmp("info registers -a")["return"]
    check(regs.count("CPU#") == ncpus, "registers readable while paused")
    check(q.cmd("cont") == {"return": {}}, "cont")
    check(q.cmd("query-status")["return"]["running"] is True, "running after cont")
    check(q.cmd("system_reset") == {"return": {}}, "system_reset")
    names = [c["name"] for c in q.cmd("query-commands")["return"]]
    check("quit" in names and "human-monitor-command" in names, "query-commands")
    check(q.cmd("quit") == {"return": {}}, "quit returns")
    ev = q.recv() if not q.events else q.events[0]
    while ev.get("event") != "SHUTDOWN":
        ev = q.recv()
    check(ev["data"]["reason"] == "host-qmp-quit" and "timestamp" in ev, "SHUTDOWN event")
    seen = {e["event"] for e in q.events}
    check({"STOP", "RESUME", "RESET"} <= seen, "STOP/RESUME/RESET events were sent")
    try:
        while True:
            q.recv()
    except (EOFError, ConnectionResetError):
        pass
    check(True, "server closed the socket after quit")


def malformed(path):
    q = QMP(path)
    # before negotiation, bad JSON still gets a parse error, never a crash
    q.send_raw(b"{nonsense\n")
    r = q.reply()
    check(r["error"]["class"] == "GenericError" and "JSON parse error" in r["error"]["desc"],
          "malformed JSON -> GenericError")
    check(q.cmd("qmp_capabilities") == {"return": {}}, "negotiation still works after garbage")
    cases = [
        (b'[1, 2]\n', "GenericError", "must be a JSON object"),
        (b'{"arguments": {}}\n', "GenericError", "lacks member 'execute'"),
        (b'{"execute": 42}\n', "GenericError", "'execute' must be a string"),
        (b'{"execute": "quit", "arguments": []}\n', "GenericError", "'arguments' must be an object"),
        (b'{"execute": "query-status", "bogus": 1}\n', "GenericError", "'bogus' is unexpected"),
        (b'{"execute": "no-such-command"}\n', "CommandNotFound", "has not been found"),
        (b'{"execute": "human-monitor-command", "arguments": {"command-line": 5}}\n',
         "GenericError", "Invalid parameter type for 'command-line', expected: string"),
        (b'{"execute": "human-monitor-command", "arguments": {}}\n', "GenericError",
         "'command-line' is missing"),
        (b'{"execute": "query-status", "arguments": {"x": true}}\n', "GenericError",
         "'x' is unexpected"),
        (b'{"execute": "qmp_capabilities"}\n', "CommandNotFound", "already complete"),
        (b'{"execute": "human-monitor-command", "arguments": {"command-line": "info registers", "cpu-index": "0"}}\n',
         "GenericError", "'cpu-index', expected: int"),
        (b'"just a string"\n', "GenericError", "JSON parse error"),
    ]
    for raw, cls, text in cases:
        q.send_raw(raw)
        r = q.reply()
        check("error" in r and r["error"]["class"] == cls and text in r["error"]["desc"],
              "%s -> %s '%s'" % (raw.strip()[:60].decode(), cls, text))
    r = q.hmp("frobnicate now")
    check("unknown command" in r["return"], "unknown HMP command answered in text")
    r = q.cmd("query-status", id={"nested": [1, 2]})
    check(r["id"] == {"nested": [1, 2]}, "any JSON id is echoed")
    # two messages in one write, and one split across writes
    q.send_raw(b'{"execute":"query-status","id":1}{"execute":"query-status","id":2}')
    check(q.reply()["id"] == 1 and q.reply()["id"] == 2, "two messages in one write")
    q.send_raw(b'{"execute":"query-')
    time.sleep(0.05)
    q.send_raw(b'status","id":3}\n')
    check(q.reply()["id"] == 3, "a message split across writes")
    # split inside a number, a literal and a UTF-8 character: still one message
    for first, rest, want in ((b'{"execute":"query-status","id":-', b'1}\n', -1),
                              (b'{"execute":"query-status","id":tr', b'ue}\n', True),
                              (b'{"execute":"query-status","id":"\xc3', b'\xa9"}\n', "\u00e9")):
        q.send_raw(first)
        time.sleep(0.05)
        q.send_raw(rest)
        check(q.reply().get("id") == want, "a message split inside a token (%r)" % first[-3:])
    # invalid UTF-8 that ends a line is complete, and wrong: its reply comes at once,
    # not when the next command arrives (a short timeout: a late reply is a failure)
    for bad in (b'\xff\n', b'{"execute":"query-status","id":"\xc3"}\n', b'"\xe2\x82"\r\n'):
        q.sock.settimeout(1.0)
        q.send_raw(bad)
        try:
            r = q.reply()
        except TimeoutError:
            r = {}
        q.sock.settimeout(5.0)
        check("error" in r and "JSON parse error" in r["error"]["desc"],
              "invalid UTF-8 at the end of a line (%r) answered at once" % bad)
    # a name that is cut mid-character in the error text still gets a valid reply
    r = q.cmd("a" * 63 + "\u00e9")
    check(r["error"]["class"] == "CommandNotFound", "long non-ASCII command name answered")
    # a second client at the same time
    q2 = QMP(path)
    check(q2.cmd("qmp_capabilities") == {"return": {}}, "second concurrent client")
    check(q.cmd("query-status")["return"]["status"] == "running", "first client still served")
    # a client that disconnects mid-message: the server just drops it
    q3 = QMP(path)
    q3.send_raw(b'{"execute": "qmp_capa')
    q3.close()
    # an over-long message: an error, then the connection is closed
    q4 = QMP(path)
    q4.send_raw(b'{"execute": "qmp_capabilities", "id": "' + b"x" * 70000)
    try:
        r = q4.reply()
        check("error" in r and "longer than" in r["error"]["desc"], "over-long message -> error")
        q4.recv()
        check(False, "connection closed after an over-long message")
    except (EOFError, ConnectionResetError):
        check(True, "connection closed after an over-long message")
    # the server is still healthy for everyone else
    check(q2.cmd("query-status")["return"]["status"] == "running", "server healthy after abuse")
    check(q2.cmd("quit") == {"return": {}}, "quit")


def quit_timing(count, cmd):
    times = []
    with tempfile.TemporaryDirectory() as d:
        for i in range(count):
            sock = os.path.join(d, "q%d.sock" % i)
            proc = subprocess.Popen(cmd + ["--qmp", sock], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            if not wait_for_socket(sock, proc):
                proc.kill()
                check(False, "run %d: control socket came up" % i)
            q = QMP(sock)
            q.cmd("qmp_capabilities")
            time.sleep(random.uniform(0, 0.06))  # anywhere in the early boots
            t0 = time.monotonic()
            q.send_raw(b'{"execute": "quit"}\n')
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                check(False, "run %d: process exited after quit" % i)
            times.append((time.monotonic() - t0) * 1000)
            q.close()
            if proc.returncode not in (0, 1):
                check(False, "run %d: exit status %d" % (i, proc.returncode))
    times.sort()
    p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
    print(json.dumps({"runs": count, "quit_to_exit_ms": {
        "p50": round(statistics.median(times), 2), "p99": round(p99, 2),
        "max": round(times[-1], 2)}}))
    check(len(times) == count, "%d quits, every process gone" % count)


def flood(count, at, term, cmd):
    with tempfile.TemporaryDirectory() as d:
        sock = os.path.join(d, "q.sock")
        t_start = time.monotonic()
        proc = subprocess.Popen(cmd + ["--qmp", sock], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            if not wait_for_socket(sock, proc):
                check(False, "control socket came up")
            q = QMP(sock)
            q.cmd("qmp_capabilities")
            # the scenario's own timing (the exact command), not synchronisation
            time.sleep(max(0.0, t_start + at - time.monotonic()))
            line = b'{"execute":"human-monitor-command","arguments":{"command-line":"info registers -a"}}\n'
            q.send_raw(line * count)
            time.sleep(max(0.0, t_start + term - time.monotonic()))
            if proc.poll() is None:
                t0 = time.monotonic()
                try:
                    late = QMP(sock, timeout=2.0)
                except (TimeoutError, OSError, EOFError) as e:
                    check(False, "a new client gets its greeting after the flood (%s)" % e)
                greet_ms = (time.monotonic() - t0) * 1000
                check("QMP" in late.greeting and greet_ms < 1000,
                      "a new client gets its greeting after the flood (%.0f ms, < 1000)" % greet_ms)
                t0 = time.monotonic()
                proc.send_signal(15)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    check(False, "SIGTERM ended the process within 30 s")
                gone_ms = (time.monotonic() - t0) * 1000
                print(json.dumps({"commands": count, "term_to_exit_ms": round(gone_ms, 1)}))
                # --quit-deadline (500 ms by default) plus one bounded monitor command
                check(gone_ms < 1500, "SIGTERM ended the process in %.0f ms (< 1500)" % gone_ms)
            else:
                # the run ended on its own: queued commands did not hold the process
                print(json.dumps({"commands": count, "gone_before_s": term}))
                check(True, "the process ended on its own with the commands queued, before the SIGTERM")
            check(proc.returncode in (0, 1), "exit status %d" % proc.returncode)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def pause_storm(rounds, hold_ms, cmd):
    gap_s = min(0.03, hold_ms / 1000.0)
    out = ""
    with tempfile.TemporaryDirectory() as d:
        sock = os.path.join(d, "q.sock")
        proc = subprocess.Popen(cmd + ["--qmp", sock], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        try:
            if not wait_for_socket(sock, proc):
                check(False, "control socket came up")
            q = QMP(sock)
            q.cmd("qmp_capabilities")
            done = 0
            for _ in range(rounds):
                if proc.poll() is not None:
                    break
                # a pause anywhere in a boot: that is what is under test
                time.sleep(random.uniform(0, gap_s))
                try:
                    q.cmd("stop")
                    time.sleep(hold_ms / 1000.0)
                    q.cmd("cont")
                except (EOFError, OSError):
                    break
                done += 1
            if proc.poll() is None:
                try:
                    q.send_raw(b'{"execute": "quit"}\n')
                except OSError:
                    pass
            out, _ = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    sys.stdout.write(out)
    print(json.dumps({"pauses": done, "hold_ms": hold_ms, "status": proc.returncode}))
    sys.exit(proc.returncode)


def spam(path, seconds):
    end = time.monotonic() + seconds
    line = b'{"execute":"query-status"}\n' * 100
    while time.monotonic() < end:
        try:
            q = QMP(path, timeout=1.0)
            q.send_raw(b'{"execute":"qmp_capabilities"}\n')
            while time.monotonic() < end:
                q.send_raw(line)
                try:
                    q.sock.recv(1 << 20, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    pass
        except (OSError, EOFError):
            time.sleep(0.01)  # dropped or gone: try again until the time is up


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "session":
        session(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) >= 3 and sys.argv[1] == "malformed":
        malformed(sys.argv[2])
    elif len(sys.argv) >= 5 and sys.argv[1] == "quit-timing" and sys.argv[3] == "--":
        quit_timing(int(sys.argv[2]), sys.argv[4:])
    elif len(sys.argv) >= 4 and sys.argv[1] == "spam":
        spam(sys.argv[2], float(sys.argv[3]))
    elif len(sys.argv) >= 6 and sys.argv[1] == "pause-storm" and sys.argv[4] == "--":
        pause_storm(int(sys.argv[2]), float(sys.argv[3]), sys.argv[5:])
    elif len(sys.argv) >= 7 and sys.argv[1] == "flood" and sys.argv[5] == "--":
        flood(int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[6:])
    else:
        print(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
