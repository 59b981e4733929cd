#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Render one page in headless Chromium over the DevTools protocol and say
what happened, for tests/report.bats.

    cdp_render.py URL --out-json FILE [--screenshot PNG] [--dom HTML]
                  [--width PX] [--timeout S] [--chromium PATH]

The protocol runs over --remote-debugging-pipe (fd 3 in, fd 4 out, one JSON
message per NUL), so there is no port to pick or race for. Writes a JSON
object: every console message with its level, every uncaught exception,
every browser log entry (a failed load, a blocked resource), every URL the
page asked for, how many <script> elements it has, its text as rendered, and
for each <svg> on the page its box in page coordinates
and how many points its polylines, paths and circles carry (as the browser
parsed them, not as the file spells them).

Exit 0 once the page loaded and the JSON is written; 3 if Chromium could not
be started or did not answer (the caller skips, with the reason on stderr);
1 on anything else. Every wait is bounded by --timeout.
"""
import argparse
import base64
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time


class CdpError(Exception):
    pass


class NoBrowser(Exception):
    pass


class Cdp:
    def __init__(self, proc, wfd, rfd, deadline):
        self.proc = proc
        self.wfd = wfd
        self.rfd = rfd
        self.deadline = deadline
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _left(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise CdpError("timed out waiting for Chromium")
        return left

    def _read_one(self):
        while b"\0" not in self.buf:
            r, _, _ = select.select([self.rfd], [], [], self._left())
            if not r:
                continue
            chunk = os.read(self.rfd, 1 << 20)
            if not chunk:
                raise CdpError("Chromium closed the DevTools pipe (exit %s)" % self.proc.poll())
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            _, w, _ = select.select([], [self.wfd], [], self._left())
            if w:
                data = data[os.write(self.wfd, data):]
        want = self.next_id
        while True:
            m = self._read_one()
            if m.get("id") == want:
                if "error" in m:
                    raise CdpError("%s: %s" % (method, m["error"].get("message")))
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def wait_event(self, method, session=None):
        for i, m in enumerate(self.events):
            if m["method"] == method and (session is None or m.get("sessionId") == session):
                return self.events.pop(i)
        while True:
            m = self._read_one()
            if "method" not in m:
                continue
            if m["method"] == method and (session is None or m.get("sessionId") == session):
                return m
            self.events.append(m)


# Evaluated in the page once it has loaded: what the browser made of each plot.
PROBE = r"""
(() => {
  const svgs = [...document.querySelectorAll('svg')].map((s) => {
    const r = s.getBoundingClientRect();
    let poly = 0, pathSegs = 0, circles = 0;
    const strokes = new Set();
    for (const p of s.querySelectorAll('polyline, polygon')) {
      poly += p.points.numberOfItems;
      strokes.add(getComputedStyle(p).stroke);
    }
    for (const p of s.querySelectorAll('path')) {
      pathSegs += (p.getAttribute('d') || '').split(/[MLHVCSQTAZmlhvcsqtaz]/).length - 1;
      strokes.add(getComputedStyle(p).stroke);
    }
    for (const c of s.querySelectorAll('circle')) circles++;
    return {id: s.id || null, cls: s.getAttribute('class'),
            plot: s.getAttribute('data-plot'),
            x: r.left + window.scrollX, y: r.top + window.scrollY,
            w: r.width, h: r.height, polyline_points: poly, path_segments: pathSegs,
            circles: circles, strokes: [...strokes]};
  });
  return {title: document.title, svgs: svgs, scripts: document.scripts.length,
          text: document.body ? document.body.innerText.slice(0, 400000) : '',
          width: document.documentElement.scrollWidth,
          height: document.documentElement.scrollHeight,
          text_length: document.body ? document.body.innerText.length : 0};
})()
"""


def render(args):
    chromium = args.chromium or shutil.which("chromium") or shutil.which("chromium-browser") \
        or shutil.which("google-chrome")
    if not chromium:
        raise NoBrowser("chromium is not installed")
    profile = tempfile.mkdtemp(prefix="hvsmoke-cdp-")
    # cmd: we write, Chromium reads on fd 3; rsp: Chromium writes on fd 4.
    cmd_r, cmd_w = os.pipe()
    rsp_r, rsp_w = os.pipe()

    # Through fds above 4 first: a pipe end that already is fd 3 or 4 would
    # keep its close-on-exec flag across a dup2 onto itself.
    def child_fds():
        a = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
        b = fcntl.fcntl(rsp_w, fcntl.F_DUPFD, 10)
        os.dup2(a, 3)
        os.dup2(b, 4)

    argv = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
            "--remote-debugging-pipe", "--user-data-dir=" + profile,
            "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
            "--disable-extensions", "--disable-background-networking",
            "--window-size=%d,900" % args.width, "about:blank"]
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=open(os.path.join(profile, "stderr.log"), "wb"),
                                preexec_fn=child_fds, start_new_session=True, close_fds=False)
    except OSError as e:
        raise NoBrowser("cannot start %s: %s" % (chromium, e))
    os.close(cmd_r)
    os.close(rsp_w)
    cdp = Cdp(proc, cmd_w, rsp_r, time.monotonic() + args.timeout)
    try:
        try:
            cdp.send("Browser.getVersion")
        except CdpError as e:
            tail = open(os.path.join(profile, "stderr.log"), "rb").read()[-400:]
            raise NoBrowser("Chromium did not answer on the DevTools pipe (%s): %s"
                            % (e, tail.decode(errors="replace").strip().splitlines()[-1:]))
        return run_page(cdp, args)
    finally:
        # Close our ends first: Chromium exits when its pipe closes.
        for fd in (cmd_w, rsp_r):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        shutil.rmtree(profile, ignore_errors=True)


def run_page(cdp, args):
    target = cdp.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    sess = cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        cdp.send(domain + ".enable", session=sess)
    cdp.send("Emulation.setDeviceMetricsOverride",
             {"width": args.width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
             session=sess)
    # Ignore what about:blank itself said while we attached.
    cdp.events.clear()
    nav = cdp.send("Page.navigate", {"url": args.url}, session=sess)
    if nav.get("errorText"):
        raise CdpError("navigation failed: " + nav["errorText"])
    cdp.wait_event("Page.loadEventFired", session=sess)
    probe = cdp.send("Runtime.evaluate", {"expression": PROBE, "returnByValue": True},
                     session=sess)
    if "exceptionDetails" in probe:
        raise CdpError("probe failed: %s" % probe["exceptionDetails"].get("text"))
    page = probe["result"]["value"]
    if args.dom:
        html = cdp.send("Runtime.evaluate",
                        {"expression": "document.documentElement.outerHTML",
                         "returnByValue": True}, session=sess)["result"]["value"]
        with open(args.dom, "w") as f:
            f.write(html)
    if args.screenshot:
        height = max(900, min(int(page["height"]) + 1, 16000))
        cdp.send("Emulation.setDeviceMetricsOverride",
                 {"width": args.width, "height": height, "deviceScaleFactor": 1,
                  "mobile": False}, session=sess)
        shot = cdp.send("Page.captureScreenshot", {"format": "png", "fromSurface": True},
                        session=sess)
        with open(args.screenshot, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
    # Drain what arrived meanwhile: a round trip orders it before our reply.
    cdp.send("Runtime.evaluate", {"expression": "0"}, session=sess)

    console, exceptions, log, requests = [], [], [], []
    for m in cdp.events:
        p = m.get("params", {})
        if m["method"] == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            console.append({"level": p.get("type"), "text": text})
        elif m["method"] == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            exceptions.append((d.get("exception") or {}).get("description") or d.get("text"))
        elif m["method"] == "Log.entryAdded":
            e = p.get("entry", {})
            log.append({"level": e.get("level"), "source": e.get("source"), "text": e.get("text"),
                        "url": e.get("url")})
        elif m["method"] == "Network.requestWillBeSent":
            requests.append(p.get("request", {}).get("url"))
    errors = [c for c in console if c["level"] in ("error", "assert")] + \
             [{"level": "exception", "text": e} for e in exceptions] + \
             [l for l in log if l["level"] == "error"]
    page.update({"url": args.url, "console": console, "exceptions": exceptions, "log": log,
                 "requests": requests, "errors": errors})
    return page


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--out-json", required=True)
    ap.add_argument("--screenshot")
    ap.add_argument("--dom")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--chromium")
    args = ap.parse_args()
    try:
        result = render(args)
    except NoBrowser as e:
        print("cdp_render: %s" % e, file=sys.stderr)
        return 3
    except (CdpError, OSError, ValueError) as e:
        print("cdp_render: %s" % e, file=sys.stderr)
        return 1
    with open(args.out_json, "w") as f:
        json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
