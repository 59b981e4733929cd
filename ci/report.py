#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""hvsmoke's nightly report: one self-contained HTML page from a run history.

    ci/report.py HISTORY_DIR [--out FILE] [--nights N] [--night ID]

HISTORY_DIR is what `ci/nightly.sh --history` keeps: DIR/<night-id>/night.json
with each scenario's run JSON (and its compare JSON against its baseline).
The page shows the latest night (or --night ID, as of that night): a verdict
per scenario, latency CDFs against the baseline, the positive controls'
detection, the trend over the last N nights (default 14) and tonight's
failures. Default --out is HISTORY_DIR/report.html.

The page is read on CI artifact servers and mailed around, so it loads
nothing: no scripts, no external CSS or fonts, every plot inline SVG drawn
here, and a Content-Security-Policy that would block anything that slipped
in. Everything taken from the JSON is escaped: failure details quote guest
and QEMU output. Missing data (a first night, a skipped scenario, a run
without samples) is said in the page, never a crash.

Exit 0 with the page written; 2 with one line on stderr if HISTORY_DIR holds
no night or the page cannot be written.
"""
import argparse
import html
import json
import math
import os
import re
import sys
import tempfile
import traceback

NIGHT_RE = re.compile(r"^\d{8}T\d{6}Z$")

# Colours: tonight and its baseline everywhere; the trend's own three.
C_BASE = "#1c7ed6"
C_NOW = "#f76707"
C_P50 = "#2f9e44"
C_P99 = "#ae3ec9"
C_FAIL = "#e03131"
C_GRID = "#e9ecef"
C_AXIS = "#868e96"
C_TEXT = "#343a40"

CLASS_LETTERS = {"P": "pass", "A": "ap-missing", "D": "ap-duplicate", "R": "ap-reset",
                 "T": "boot-timeout", "C": "guest-crash", "E": "vmm-error",
                 "Q": "quit-timeout", "S": "smm-missing", "K": "smm-stuck",
                 "L": "smm-relocation"}

METRICS = (("boot_us", "boot latency"), ("quit_us", "quit latency"),
           ("monitor_us", "monitor command latency"))


def esc(v):
    return html.escape("" if v is None else str(v), quote=True)


def get(d, *keys, default=None):
    """d[k0][k1]... or default when any step is missing or of the wrong type."""
    for k in keys:
        if isinstance(d, dict) and k in d:
            d = d[k]
        elif isinstance(d, list) and isinstance(k, int) and -len(d) <= k < len(d):
            d = d[k]
        else:
            return default
    return default if d is None else d


def getl(d, *keys):
    v = get(d, *keys)
    return v if isinstance(v, list) else []


def getd(d, *keys):
    v = get(d, *keys)
    return v if isinstance(v, dict) else {}


def num(v, default=None):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return default
    if isinstance(v, float) and not math.isfinite(v):
        return default
    return v


def load_json(path):
    """(object, None) or (None, why)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return json.load(f), None
    except FileNotFoundError:
        return None, "missing"
    except (OSError, ValueError) as e:
        return None, "unreadable: %s" % e


def night_label(nid):
    if not isinstance(nid, str) or not NIGHT_RE.match(nid):
        return str(nid)
    return "%s-%s-%s %s:%s:%s UTC" % (nid[0:4], nid[4:6], nid[6:8], nid[9:11], nid[11:13],
                                       nid[13:15])


def night_short(nid):
    return "%s-%s %s:%s" % (nid[4:6], nid[6:8], nid[9:11], nid[11:13]) \
        if isinstance(nid, str) and NIGHT_RE.match(nid) else str(nid)


def fmt_us(v, digits=3):
    v = float(v)
    if v >= 1e6:
        return "%.*g s" % (digits, v / 1e6)
    if v >= 1e3:
        return "%.*g ms" % (digits, v / 1e3)
    return "%.*g µs" % (digits, v)


def distinct_us_fmt(ticks):
    """A tick formatter with just enough digits that each tick reads as its value."""
    def shown(t, digits):
        scale = 1e6 if t >= 1e6 else 1e3 if t >= 1e3 else 1.0
        return float("%.*g" % (digits, t / scale)) * scale

    step = min((b - a for a, b in zip(ticks, ticks[1:])), default=0)
    for digits in range(3, 8):
        if all(abs(shown(t, digits) - t) <= step * 0.01 for t in ticks):
            break
    return lambda t: fmt_us(t, digits).replace(" ", "\u2009")


def fmt_pct(x):
    if x is None:
        return "–"
    if x == 0:
        return "0%"
    return "%.3g%%" % (100 * x)


# ---- history ----------------------------------------------------------------

class Night:
    def __init__(self, hist, nid, data):
        self.hist = hist
        self.id = nid
        self.data = data
        self.dir = os.path.join(hist, nid)
        self._runs = {}

    @property
    def scenarios(self):
        """night.json's scenarios, each field of the type the page expects."""
        out = []
        for s in getl(self.data, "scenarios"):
            if not isinstance(s, dict) or not isinstance(s.get("name"), str):
                continue
            base = s.get("baseline")

            def intval(v):
                return v if isinstance(v, int) and not isinstance(v, bool) else None
            out.append({"name": s["name"], "run_exit": intval(s.get("run_exit")),
                        "expect": s.get("expect") if s.get("expect") in ("pass", "fire")
                        else "pass",
                        "baseline": base if isinstance(base, str) and NIGHT_RE.match(base)
                        else None,
                        "compare_exit": intval(s.get("compare_exit")),
                        "good": s.get("good") is True,
                        "args": s.get("args") if isinstance(s.get("args"), str) else ""})
        return out

    def scenario(self, name):
        for s in self.scenarios:
            if s["name"] == name:
                return s
        return None

    def run(self, name):
        """The scenario's run JSON, or None (and why)."""
        if name not in self._runs:
            # a scenario name is a file name here: never let one walk out
            if "/" in name or name.startswith("."):
                self._runs[name] = (None, "bad scenario name")
            else:
                self._runs[name] = load_json(os.path.join(self.dir, name + ".json"))
        return self._runs[name]


def load_history(hist):
    nights = []
    for d in sorted(os.listdir(hist)):
        if not NIGHT_RE.match(d):
            continue
        data, _ = load_json(os.path.join(hist, d, "night.json"))
        if isinstance(data, dict):
            nights.append(Night(hist, d, data))
    return nights


# ---- statistics -------------------------------------------------------------

def samples_of(run, metric):
    v = get(run, "samples", metric, default=None)
    if not isinstance(v, list):
        return None
    out = [x for x in v if num(x) is not None and x >= 0]
    return out


def quantile(sorted_v, q):
    if not sorted_v:
        return None
    k = max(0, min(len(sorted_v) - 1, math.ceil(q * len(sorted_v)) - 1))
    return sorted_v[k]


def failure_rate(run):
    runs = num(get(run, "iterations_run"))
    passed = num(get(run, "passed"))
    if not runs or passed is None:
        return None
    return max(0.0, (runs - passed) / runs)


def failed_boots(run):
    runs = num(get(run, "iterations_run"))
    passed = num(get(run, "passed"))
    if runs is None or passed is None:
        return None
    return max(0, runs - passed)


# ---- SVG --------------------------------------------------------------------

def nice_step(span, n):
    raw = span / max(1, n)
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def linear_ticks(lo, hi, n=5):
    step = nice_step(hi - lo, n)
    t = math.ceil(lo / step - 1e-9) * step
    ticks = []
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 10))
        t += step
    return ticks


def log_ticks(lo, hi):
    ticks = []
    for k in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            v = m * 10 ** k
            if lo <= v <= hi:
                ticks.append(v)
    if len(ticks) > 9:
        ticks = [t for t in ticks if str(int(t)).startswith("1") or t < 1]
    return ticks


class Axis:
    """Maps data to pixels; log when the data spans more than 20x."""

    def __init__(self, lo, hi, p0, p1, log=None, pad=True):
        if lo is None or hi is None:
            lo, hi = 0.0, 1.0
        if hi <= lo:
            d = abs(lo) * 0.1 or 1.0
            lo, hi = lo - d, hi + d
            if lo < 0 <= hi - d:
                lo = 0.0
        self.log = log if log is not None else (lo > 0 and hi / lo > 20)
        if self.log:
            lo = max(lo, 1e-9)
            self.lo, self.hi = math.log10(lo) - (0.03 if pad else 0), \
                math.log10(hi) + (0.03 if pad else 0)
        else:
            d = (hi - lo) * (0.03 if pad else 0)
            self.lo, self.hi = (lo - d if lo - d >= 0 or lo < 0 else 0.0), hi + d
        self.p0, self.p1 = p0, p1

    def __call__(self, v):
        if self.log:
            v = math.log10(max(v, 10 ** self.lo))
        return self.p0 + (v - self.lo) / (self.hi - self.lo) * (self.p1 - self.p0)

    def ticks(self):
        if self.log:
            return log_ticks(10 ** self.lo, 10 ** self.hi)
        return linear_ticks(self.lo, self.hi)


class Svg:
    def __init__(self, w, h, plot_id, title):
        self.w, self.h = w, h
        self.parts = []
        self.plot_id = plot_id
        self.title = title

    def add(self, s):
        self.parts.append(s)

    def text(self, x, y, s, anchor="start", size=11, color=C_TEXT, weight="normal", extra=""):
        self.add('<text x="%.1f" y="%.1f" font-size="%g" fill="%s" text-anchor="%s" '
                 'font-weight="%s"%s>%s</text>' % (x, y, size, color, anchor, weight, extra,
                                                    esc(s)))

    def line(self, x1, y1, x2, y2, color, width=1, dash=None):
        self.add('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%g"%s/>'
                 % (x1, y1, x2, y2, color, width,
                    ' stroke-dasharray="%s"' % dash if dash else ""))

    def polyline(self, pts, color, width=2, cls=None):
        if not pts:
            return
        self.add('<polyline fill="none" stroke="%s" stroke-width="%g" stroke-linejoin="round"%s '
                 'points="%s"/>' % (color, width, ' class="%s"' % cls if cls else "",
                                    " ".join("%.1f,%.1f" % p for p in pts)))

    def circle(self, x, y, r, color):
        self.add('<circle cx="%.1f" cy="%.1f" r="%g" fill="%s"/>' % (x, y, r, color))

    def legend(self, x, y, items, across=False):
        """items: (colour, label), stacked from (x, y) down, or side by side."""
        for i, (color, label) in enumerate(items):
            yy = y if across else y + 14 * i
            self.line(x, yy - 4, x + 16, yy - 4, color, 3)
            self.text(x + 21, yy, label, size=10.5)
            if across:
                x += 21 + 6.3 * len(label) + 14

    def render(self):
        return ('<svg xmlns="http://www.w3.org/2000/svg" class="plot" data-plot="%s" '
                'width="%d" height="%d" viewBox="0 0 %d %d" role="img" '
                'font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif">'
                '<title>%s</title>%s</svg>'
                % (esc(self.plot_id), self.w, self.h, self.w, self.h, esc(self.title),
                   "".join(self.parts)))


def frame(svg, xa, ya, xfmt, yfmt, xlabel, ylabel, yticks=None):
    """Grid, axes and tick labels for a plot area given by the two axes."""
    x0, x1 = xa.p0, xa.p1
    y0, y1 = ya.p0, ya.p1      # y0 is the bottom
    for t in yticks if yticks is not None else ya.ticks():
        y = ya(t)
        svg.line(x0, y, x1, y, C_GRID)
        svg.text(x0 - 5, y + 4, yfmt(t), anchor="end", size=10, color=C_AXIS)
    xt = xa.ticks()
    for t in xt:
        x = xa(t)
        if x0 - 0.5 <= x <= x1 + 0.5:
            svg.line(x, y0, x, y1, C_GRID)
            svg.line(x, y0, x, y0 + 4, C_AXIS)
            svg.text(x, y0 + 16, xfmt(t), anchor="middle", size=10, color=C_AXIS)
    svg.line(x0, y0, x1, y0, C_AXIS)
    svg.line(x0, y0, x0, y1, C_AXIS)
    if xlabel:
        svg.text((x0 + x1) / 2, y0 + 31, xlabel, anchor="middle", size=10, color=C_AXIS)
    if ylabel:
        svg.add('<text transform="translate(12,%.1f) rotate(-90)" font-size="10" fill="%s" '
                'text-anchor="middle">%s</text>' % ((y0 + y1) / 2, C_AXIS, esc(ylabel)))


def cdf_points(sorted_v, xa, ya, maxpts=400):
    """A step CDF as a polyline, thinned to at most maxpts quantiles."""
    n = len(sorted_v)
    if n == 0:
        return []
    if n <= maxpts:
        qs = [(sorted_v[i], (i + 1) / n) for i in range(n)]
    else:
        qs = [(quantile(sorted_v, k / maxpts), k / maxpts) for k in range(1, maxpts + 1)]
    pts = [(xa(qs[0][0]), ya(0))]
    prev_q = 0.0
    for x, q in qs:
        px = xa(x)
        pts.append((px, ya(prev_q)))
        pts.append((px, ya(q)))
        prev_q = q
    # merge the vertical runs that thinning repeats
    out = [pts[0]]
    for p in pts[1:]:
        if abs(p[0] - out[-1][0]) > 0.05 or abs(p[1] - out[-1][1]) > 0.05:
            out.append(p)
    return out


def cdf_plot(plot_id, title, base, now, base_label, now_label):
    w, h = 380, 262
    svg = Svg(w, h, plot_id, title)
    left, right, top, bottom = 52, w - 14, 58, h - 40
    svg.text(8, 16, title, size=12, weight="bold")
    vals = (base or []) + (now or [])
    pos = [v for v in vals if v > 0]
    lo = min(pos) if pos else (min(vals) if vals else 0)
    hi = max(vals) if vals else 1
    xa = Axis(lo, hi, left, right)
    ya = Axis(0.0, 1.0, bottom, top, log=False, pad=False)
    frame(svg, xa, ya, distinct_us_fmt(xa.ticks()), lambda t: "%d%%" % (t * 100),
          "latency" + (" (log scale)" if xa.log else ""), "samples \u2264 x",
          yticks=[0, 0.25, 0.5, 0.75, 1.0])
    svg.line(left, ya(0.99), right, ya(0.99), C_AXIS, 0.6, dash="2,3")
    svg.text(left + 3, ya(0.99) + 10, "p99", size=9, color=C_AXIS)
    items = []
    for vals, color, label, cls, empty in ((base, C_BASE, base_label, "cdf-base",
                                            "no baseline samples"),
                                           (now, C_NOW, now_label, "cdf-now",
                                            "no samples tonight")):
        if not vals:
            items.append((C_GRID, empty))
            continue
        sv = sorted(vals)
        svg.polyline(cdf_points(sv, xa, ya), color, 2, cls=cls)
        items.append((color, "%s: n=%d, p50 %s, p99 %s" % (
            label, len(sv), fmt_us(quantile(sv, 0.5)), fmt_us(quantile(sv, 0.99)))))
    svg.legend(10, 32, items)
    return svg.render()


def trend_labels(nights):
    """Short night labels; with seconds when two nights share a minute."""
    labels = [night_short(n) for n in nights]
    if len(set(labels)) < len(labels):
        labels = ["%s:%s:%s" % (n[9:11], n[11:13], n[13:15]) if NIGHT_RE.match(n) else n
                  for n in nights]
    return labels


def trend_plot(plot_id, title, nights, series, yfmt, ylabel, floor_max):
    """series: (colour, label, [value or None per night]). A gap where a night has none."""
    w, h = 288, 190
    svg = Svg(w, h, plot_id, title)
    left, right, top, bottom = 46, w - 12, 40, h - 26
    svg.text(8, 15, title, size=11.5, weight="bold")
    vals = [v for _, _, vs in series for v in vs if v is not None]
    hi = max(vals + [floor_max])
    n = len(nights)
    xa = Axis(0, max(1, n - 1), left + 22, right - 22, log=False, pad=False)
    ya = Axis(0.0, hi * 1.12, bottom, top, log=False, pad=False)
    # nights are categories: label a few, evenly
    xa.ticks = lambda: []
    frame(svg, xa, ya, str, yfmt, None, ylabel)
    labels = trend_labels(nights)
    step = max(1, math.ceil(n / 3))
    for i in range(n):
        if (i % step == 0 and n - 1 - i >= step / 2) or i == n - 1:
            x = xa(i) if n > 1 else (left + right) / 2
            svg.line(x, bottom, x, bottom + 4, C_AXIS)
            svg.text(x, bottom + 15, labels[i], anchor="middle", size=9, color=C_AXIS)
    items = []
    for color, label, vs in series:
        seg = []
        for i, v in enumerate(vs + [None]):
            if v is None:
                if len(seg) > 1:
                    svg.polyline(seg, color, 2)
                seg = []
                continue
            x = xa(i) if n > 1 else (left + right) / 2
            seg.append((x, ya(v)))
            svg.circle(x, ya(v), 3, color)
        items.append((color, label))
    svg.legend(10, 30, items, across=True)
    return svg.render()


def rate_bars(plot_id, rows):
    """rows: (label, colour, rate or None, text)."""
    w, h = 300, 18 + 22 * len(rows)
    svg = Svg(w, h, plot_id, "detection rate")
    xa = Axis(0.0, 1.0, 80, w - 60, log=False, pad=False)
    for i, (label, color, rate, text) in enumerate(rows):
        y = 6 + 22 * i
        svg.text(74, y + 12, label, anchor="end", size=10)
        svg.add('<rect x="%.1f" y="%d" width="%.1f" height="14" fill="%s" opacity="0.15"/>'
                % (xa.p0, y, xa.p1 - xa.p0, C_AXIS))
        if rate is not None:
            svg.add('<rect x="%.1f" y="%d" width="%.1f" height="14" fill="%s"/>'
                    % (xa.p0, y, max(1.0, xa(rate) - xa.p0), color))
        svg.text(xa.p1 + 4, y + 12, text, size=10)
    return svg.render()


# ---- the page ---------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","DejaVu Sans","Liberation Sans",Arial,sans-serif;
 color:#212529;margin:0;background:#f8f9fa;font-size:14px;line-height:1.4}
main{max-width:1240px;margin:0 auto;padding:16px 24px 40px}
h1{font-size:22px;margin:8px 0 4px}
h2{font-size:17px;margin:28px 0 8px;padding-bottom:4px;border-bottom:2px solid #dee2e6}
h3{font-size:14px;margin:14px 0 6px}
.meta{color:#495057;margin:2px 0}
.badge{display:inline-block;padding:2px 10px;border-radius:10px;font-weight:bold;color:#fff;
 font-size:13px;vertical-align:middle}
.b-pass{background:#2f9e44}.b-regression,.b-fail{background:#e03131}.b-error{background:#f08c00}
.b-skip{background:#868e96}
table{border-collapse:collapse;background:#fff;width:100%;margin:6px 0}
th,td{border:1px solid #dee2e6;padding:4px 7px;text-align:left;vertical-align:top}
th{background:#f1f3f5;font-size:13px}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.ok td:first-child{border-left:4px solid #2f9e44}
tr.bad td:first-child{border-left:4px solid #e03131}
tr.skip td:first-child{border-left:4px solid #adb5bd}
tr.err td:first-child{border-left:4px solid #f08c00}
.bad-t{color:#c92a2a;font-weight:bold}.ok-t{color:#2b8a3e;font-weight:bold}
.muted{color:#868e96}.small{font-size:12px}
ul.reg{margin:3px 0 0;padding-left:18px;color:#c92a2a;font-size:12px}
ul.notes{margin:3px 0 0;padding-left:18px;color:#495057;font-size:12px}
.plots{display:flex;flex-wrap:wrap;gap:10px;margin:4px 0 10px}
.plots svg,.card svg{background:#fff;border:1px solid #dee2e6;border-radius:4px}
.card{background:#fff;border:1px solid #dee2e6;border-radius:6px;padding:8px 12px;margin:10px 0}
.card h3{margin-top:2px}
.none{color:#868e96;font-style:italic;padding:6px 0}
code,pre{font-family:"DejaVu Sans Mono","Liberation Mono",monospace;font-size:12px}
pre{white-space:pre-wrap;word-break:break-all;background:#f1f3f5;padding:6px;margin:4px 0}
table.nights{width:auto}
table.nights td{text-align:center}
details{margin:6px 0}summary{cursor:pointer;font-weight:bold}
.swatch{display:inline-block;width:18px;height:4px;vertical-align:middle;margin:0 4px 0 10px}
"""


class Page:
    def __init__(self, hist, nights, night, ntrend):
        self.hist = hist
        self.nights = nights
        self.night = night
        self.trend_nights = [n for n in nights if n.id <= night.id][-ntrend:]
        self.out = []

    def w(self, s):
        self.out.append(s)

    def baseline_run(self, sc):
        base = sc.get("baseline")
        if not isinstance(base, str) or not NIGHT_RE.match(base):
            return None, None
        for n in self.nights:
            if n.id == base:
                run, _ = n.run(sc["name"])
                return base, run if isinstance(run, dict) else None
        # the baseline's night.json may have been pruned, its run kept
        run, _ = load_json(os.path.join(self.hist, base, sc["name"] + ".json"))
        return base, run if isinstance(run, dict) else None

    def compare_of(self, sc):
        if "/" in sc["name"]:
            return None
        cmp_, _ = load_json(os.path.join(self.night.dir, sc["name"] + ".compare.json"))
        return cmp_ if isinstance(cmp_, dict) else None

    # ---- sections
    def header(self):
        n = self.night
        result = get(n.data, "result", default="?")
        runs = [r for r in (n.run(s["name"])[0] for s in n.scenarios) if isinstance(r, dict)]
        kernels = sorted({str(get(r, "host", "kernel")) for r in runs if get(r, "host", "kernel")})
        cpus = sorted({str(get(r, "host", "cpu_model")) for r in runs
                       if get(r, "host", "cpu_model")})
        qemus = sorted({str(get(r, "host", "qemu", "version")) for r in runs
                        if get(r, "host", "qemu", "version")})
        versions = sorted({str(get(r, "hvsmoke_version")) for r in runs
                           if get(r, "hvsmoke_version")})
        self.w('<h1>hvsmoke nightly &mdash; %s <span class="badge b-%s">%s</span></h1>'
               % (esc(night_label(n.id)), esc(result if result in
                  ("pass", "regression", "fail", "error", "skip") else "error"), esc(result)))
        self.w('<p class="meta">night <code>%s</code> &middot; %d scenario(s) &middot; '
               'hvsmoke %s%s</p>' % (esc(n.id), len(n.scenarios),
                                     esc(", ".join(versions) or "version unknown"),
                                     " &middot; <b>interrupted</b>" if get(n.data, "interrupted")
                                     else ""))
        self.w('<p class="meta">host kernel <b>%s</b> &middot; CPU %s &middot; QEMU %s</p>'
               % (esc(", ".join(kernels) or "unknown"), esc(", ".join(cpus) or "unknown"),
                  esc(", ".join(qemus) or "not run tonight")))
        self.w('<p class="meta small">colours: <span class="swatch" style="background:%s"></span>'
               'tonight <span class="swatch" style="background:%s"></span>baseline (the newest '
               'earlier night where that scenario was good)</p>' % (C_NOW, C_BASE))

    def verdicts(self):
        n = self.night
        self.w('<h2 id="verdicts">Verdicts</h2>')
        if not n.scenarios:
            self.w('<p class="none">night.json lists no scenario.</p>')
            return
        self.w('<table><tr><th>scenario</th><th>expected</th><th>verdict</th><th>boots</th>'
               '<th>failures by class</th><th>against the baseline</th><th>kernel</th>'
               '<th>QEMU</th></tr>')
        for sc in n.scenarios:
            self.verdict_row(sc)
        self.w('</table>')

    def verdict_row(self, sc):
        name = sc["name"]
        run, why = self.night.run(name)
        run = run if isinstance(run, dict) else None
        expect = sc.get("expect")
        rc = sc.get("run_exit")
        expect_txt = "fire (control)" if expect == "fire" else "pass"
        if rc == 4:
            cls, verdict = "skip", "skipped"
            reason = get(run, "skip_reason")
            if reason:
                verdict += ': <span class="small">%s</span>' % esc(reason)
        elif rc in (0, 1):
            fired = rc == 1
            as_expected = (expect == "fire") == fired
            word = ("fired" if fired else "did not fire") if expect == "fire" else \
                ("pass" if not fired else "FAIL")
            cls = "ok" if as_expected else "bad"
            verdict = '<span class="%s">%s</span>' % ("ok-t" if as_expected else "bad-t",
                                                      esc(word))
        elif rc in (124, 137):
            cls, verdict = "bad", '<span class="bad-t">hung (killed by the bound)</span>'
        else:
            cls, verdict = "err", '<span class="bad-t">error (exit %s)</span>' % esc(rc)
        # a run as expected that regressed against its baseline is still red
        if sc.get("compare_exit") == 1:
            cls = "bad"
        elif sc.get("compare_exit") == 2 and cls == "ok":
            cls = "err"
        if rc not in (4,) and run is None:
            stderr = self.first_line(os.path.join(self.night.dir, name + ".stderr"))
            verdict += '<div class="small muted">no run JSON (%s)%s</div>' % (
                esc(why), (": " + esc(stderr)) if stderr else "")
        boots = get(run, "iterations_run")
        fails = failed_boots(run)
        classes = get(run, "classes", default={})
        cls_txt = ", ".join("%s&nbsp;%d" % (esc(k), v) for k, v in sorted(classes.items())
                            if k != "pass" and num(v)) if isinstance(classes, dict) else ""
        boots_txt = "%s" % boots if boots is not None else "–"
        if fails:
            boots_txt += ' <span class="small muted">(%d failed)</span>' % fails
        self.w('<tr class="%s"><td><b>%s</b><div class="small muted"><code>%s</code></div></td>'
               '<td>%s</td><td>%s</td><td class="num">%s</td><td>%s</td><td>%s</td>'
               '<td class="small">%s</td><td class="small">%s</td></tr>'
               % (cls, esc(name), esc(sc.get("args", "")), esc(expect_txt), verdict, boots_txt,
                  cls_txt or '<span class="muted">none</span>', self.compare_cell(sc),
                  esc(get(run, "host", "kernel", default="–")),
                  esc(get(run, "host", "qemu", "version", default="–"))))

    @staticmethod
    def first_line(path):
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return f.readline().strip()[:300]
        except OSError:
            return ""

    def compare_cell(self, sc):
        base = sc.get("baseline")
        cexit = sc.get("compare_exit")
        if not base:
            if sc.get("run_exit") in (0, 1):
                return '<span class="muted">no baseline yet (no earlier good night for it)</span>'
            return '<span class="muted">not compared</span>'
        cmp_ = self.compare_of(sc)
        head = "vs %s: " % esc(night_short(base))
        if cexit == 0:
            s = head + '<span class="ok-t">no regression</span>'
        elif cexit == 1:
            s = head + '<span class="bad-t">REGRESSION</span>'
        else:
            s = head + '<span class="bad-t">could not compare (exit %s)</span>' % esc(cexit)
            err = self.first_line(os.path.join(self.night.dir, sc["name"] + ".compare.stderr"))
            if err:
                s += '<div class="small">%s</div>' % esc(err)
        if cmp_:
            regs = [c for c in getl(cmp_, "checks")
                    if isinstance(c, dict) and c.get("result") == "regression"]
            if regs:
                s += '<ul class="reg">%s</ul>' % "".join(
                    "<li><code>%s</code>: %s</li>" % (esc(c.get("id")), esc(c.get("detail")))
                    for c in regs[:12])
            notes = [x for x in getl(cmp_, "notes") if isinstance(x, str)]
            if notes:
                s += '<ul class="notes">%s</ul>' % "".join("<li>%s</li>" % esc(x)
                                                           for x in notes[:8])
        elif cexit is not None:
            s += '<div class="small muted">compare JSON missing</div>'
        return s

    def latency(self):
        self.w('<h2 id="latency">Latency distributions, tonight against the baseline</h2>')
        self.w('<p class="small muted">Cumulative distribution of each sample: a curve to the '
               'right of the baseline\'s is slower. Boot latency is from the vCPUs\' start to '
               'the firmware\'s completion; quit latency from the quit to every vCPU thread '
               'out; monitor latency is one QMP command\'s round trip.</p>')
        plots, notes = [], []
        for sc in self.night.scenarios:
            name = sc["name"]
            run, _ = self.night.run(name)
            run = run if isinstance(run, dict) else None
            base_id, base = self.baseline_run(sc)
            if run is None:
                notes.append("%s: no run JSON tonight (%s)." % (
                    name, "skipped" if sc.get("run_exit") == 4 else "exit %s" % sc.get("run_exit")))
                continue
            if get(run, "verdict") == "skip":
                notes.append("%s: skipped: %s" % (name, get(run, "skip_reason", default="")))
                continue
            metrics = [m for m in METRICS if m[0] != "monitor_us" or get(run, "target") == "qemu"]
            for metric, label in metrics:
                now = samples_of(run, metric)
                bs = samples_of(base, metric) if base else None
                if not now and not bs:
                    if metric == "boot_us":
                        notes.append("%s: %s" % (name, "no samples in tonight's JSON (an "
                                                 "hvsmoke without schema_version 1?)"
                                                 if now is None else "no boot completed"))
                    continue
                plots.append(cdf_plot("cdf-%s-%s" % (name, metric), "%s: %s" % (name, label),
                                      bs, now, "baseline " + night_short(base_id)
                                      if base_id else "baseline", "tonight"))
            if not base_id:
                notes.append("%s: no baseline yet, tonight only." % name)
            elif base is None:
                notes.append("%s: baseline %s: its run JSON is gone." % (name, base_id))
            elif samples_of(base, "boot_us") is None:
                notes.append("%s: baseline %s has no samples." % (name, base_id))
        if plots:
            self.w('<div class="plots">%s</div>' % "".join(plots))
        else:
            self.w('<p class="none">nothing to plot tonight.</p>')
        if notes:
            self.w('<ul class="notes">%s</ul>' % "".join("<li>%s</li>" % esc(x) for x in notes))

    def controls(self):
        ctl = [sc for sc in self.night.scenarios if sc.get("expect") == "fire"]
        self.w('<h2 id="controls">Positive controls</h2>')
        self.w('<p class="small muted">Each control switches on a known-bad mode; it must make '
               'boots fail. Detection rate = failed boots / boots; time to the first failure '
               'from the run\'s start.</p>')
        if not ctl:
            self.w('<p class="none">no positive control ran tonight.</p>')
            return
        self.w('<table><tr><th>control</th><th>detection rate</th><th>failed / boots '
               '(tonight)</th><th>first failure tonight</th><th>failed / boots (baseline)</th>'
               '<th>first failure (baseline)</th><th>classes tonight</th></tr>')
        for sc in ctl:
            run, _ = self.night.run(sc["name"])
            run = run if isinstance(run, dict) else None
            base_id, base = self.baseline_run(sc)
            rn, rb = failure_rate(run), failure_rate(base)

            def ff(r):
                f = get(r, "first_failure")
                if not isinstance(f, dict) or num(f.get("seconds")) is None:
                    return "none" if r else "–"
                return "%.2f s (boot %s)" % (f["seconds"], esc(f.get("iteration", "?")))

            def fb(r):
                if not r:
                    return "–"
                return "%s / %s" % (failed_boots(r), get(r, "iterations_run"))

            bars = rate_bars("detect-" + sc["name"], [
                ("tonight", C_NOW, rn, fmt_pct(rn) if rn is not None else "no data"),
                ("baseline", C_BASE, rb, fmt_pct(rb) if rb is not None else
                 ("no baseline" if not base_id else "no data"))])
            classes = get(run, "classes", default={})
            ctxt = ", ".join("%s&nbsp;%d" % (esc(k), v) for k, v in sorted(classes.items())
                             if k != "pass" and num(v)) if isinstance(classes, dict) else ""
            rc = sc.get("run_exit")
            cls = "ok" if rc == 1 else "skip" if rc == 4 else "bad"
            self.w('<tr class="%s"><td><b>%s</b>%s</td><td>%s</td><td class="num">%s</td>'
                   '<td class="num">%s</td><td class="num">%s</td><td class="num">%s</td>'
                   '<td class="small">%s</td></tr>'
                   % (cls, esc(sc["name"]),
                      '<div class="bad-t small">did not fire</div>' if rc == 0 else "",
                      bars, fb(run), ff(run), fb(base), ff(base) if base else "–",
                      ctxt or '<span class="muted">none</span>'))
        self.w('</table>')
        if any(num(getd(self.night.run(sc["name"])[0], "classes").get("quit-timeout"), 0)
               for sc in ctl):
            self.w('<p class="small muted">A quit-timeout ends its run at once (a vCPU thread '
                   'is still in the guest), so a control that fires that way shows one failed '
                   'boot out of the boots run until then.</p>')

    def trend(self):
        nights = self.trend_nights
        self.w('<h2 id="trend">Trend over the last %d night(s)</h2>' % len(nights))
        self.w('<table class="small nights"><tr><th>night</th>%s</tr><tr><th>result</th>%s</tr></table>'
               % ("".join("<td>%s</td>" % esc(lbl) for lbl in trend_labels([n.id for n in nights])),
                  "".join('<td><span class="badge b-%s">%s</span></td>'
                          % (esc(get(n.data, "result", default="error")),
                             esc(get(n.data, "result", default="?"))) for n in nights)))
        if len(nights) < 2:
            self.w('<p class="small muted">only one night so far: each chart has one point.</p>')
        ids = [n.id for n in nights]
        plots, notes = [], []
        for sc in self.night.scenarios:
            name = sc["name"]
            p50, p99, rate = [], [], []
            for n in nights:
                s = n.scenario(name)
                run, _ = n.run(name) if s else (None, None)
                ok = isinstance(run, dict) and s.get("run_exit") in (0, 1)
                bu = get(run, "boot_us") if ok else None
                has = ok and num(get(bu, "samples"), 0) > 0
                p50.append(num(get(bu, "p50")) / 1000 if has and num(get(bu, "p50")) is not None
                           else None)
                p99.append(num(get(bu, "p99")) / 1000 if has and num(get(bu, "p99")) is not None
                           else None)
                fr = failure_rate(run) if ok else None
                rate.append(100 * fr if fr is not None else None)
            if not any(v is not None for v in p50 + p99 + rate):
                notes.append("%s: no data in these nights (skipped or not run)." % name)
                continue
            if any(v is not None for v in p50 + p99):
                plots.append(trend_plot("trend-lat-%s" % name, "%s: boot latency" % name, ids,
                                        [(C_P50, "p50", p50), (C_P99, "p99", p99)],
                                        lambda t: "%g" % t, "ms", 0.001))
            else:
                notes.append("%s: no boot completed in these nights: no latency trend." % name)
            plots.append(trend_plot("trend-fail-%s" % name, "%s: %s" % (
                name, "detection rate" if sc.get("expect") == "fire" else "failed boots"), ids,
                [(C_FAIL, "% of boots failed", rate)], lambda t: "%g%%" % t, "% of boots", 1.0))
        if plots:
            self.w('<div class="plots">%s</div>' % "".join(plots))
        if notes:
            self.w('<ul class="notes">%s</ul>' % "".join("<li>%s</li>" % esc(x) for x in notes))

    def failures(self):
        self.w('<h2 id="failures">Failures tonight</h2>')
        anyf = False
        for sc in self.night.scenarios:
            run, _ = self.night.run(sc["name"])
            fl = get(run, "failures", default=[]) if isinstance(run, dict) else []
            fl = [f for f in fl if isinstance(f, dict)] if isinstance(fl, list) else []
            if not fl:
                continue
            anyf = True
            total = num(get(run, "failures_total"), len(fl))
            letters = get(run, "boot_classes", default="")
            unexpected = sc.get("expect") != "fire"
            self.w('<details%s><summary>%s: %d failure(s)%s</summary>'
                   % (" open" if unexpected else "", esc(sc["name"]), total,
                      " (a control: expected)" if not unexpected else ""))
            if isinstance(letters, str) and letters:
                shown = letters[:400]
                self.w('<p class="small">boots in order (%s): <code>%s%s</code></p>'
                       % (esc(", ".join("%s %s" % (k, v) for k, v in CLASS_LETTERS.items()
                                        if k in set(shown))), esc(shown),
                          "…" if len(letters) > 400 else ""))
            self.w('<table><tr><th>boot</th><th>class</th><th>detail</th></tr>')
            for f in fl[:8]:
                ev = get(f, "evidence", default=[])
                ev_txt = "\n".join(str(e) for e in ev[:6]) if isinstance(ev, list) else str(ev)
                self.w('<tr><td class="num">%s</td><td>%s</td><td>%s%s</td></tr>'
                       % (esc(f.get("iteration", "?")), esc(f.get("class", "?")),
                          esc(f.get("detail", "")),
                          "<pre>%s</pre>" % esc(ev_txt) if ev_txt else ""))
            if len(fl) > 8:
                self.w('<tr><td colspan="3" class="muted">… %d more in %s.json</td></tr>'
                       % (total - 8, esc(sc["name"])))
            self.w('</table></details>')
        if not anyf:
            self.w('<p class="none">no failed boot tonight.</p>')

    def section(self, fn):
        # One broken section must not take the rest of the page with it.
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - shown in the page, on purpose
            self.w('<p class="bad-t">report error in this section: %s</p><pre>%s</pre>'
                   % (esc(e), esc(traceback.format_exc(limit=3))))

    def render(self):
        self.section(self.header)
        self.section(self.verdicts)
        self.section(self.latency)
        self.section(self.controls)
        self.section(self.trend)
        self.section(self.failures)
        body = "\n".join(self.out)
        return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
                '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
                'style-src \'unsafe-inline\'; img-src data:">\n'
                '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                '<title>hvsmoke nightly %s: %s</title>\n<style>%s</style></head>\n'
                '<body><main>\n%s\n<p class="small muted">generated by ci/report.py from %s'
                '</p></main></body></html>\n'
                % (esc(self.night.id), esc(get(self.night.data, "result", default="?")), CSS,
                   body, esc(os.path.basename(os.path.abspath(self.hist)))))


def die(msg):
    print("report: %s" % msg, file=sys.stderr)
    sys.exit(2)


class Parser(argparse.ArgumentParser):
    def error(self, message):
        die(message)


def main():
    ap = Parser(description=__doc__.split("\n\n")[0])
    ap.add_argument("history", help="the directory of ci/nightly.sh --history")
    ap.add_argument("--out", help="the page to write (default HISTORY/report.html)")
    ap.add_argument("--nights", type=int, default=14, help="nights in the trend (default 14)")
    ap.add_argument("--night", help="render as of this night id (default the latest)")
    args = ap.parse_args()
    if args.nights < 1:
        die("--nights must be at least 1")
    hist = args.history
    if not os.path.isdir(hist):
        die("%s: not a directory" % hist)
    try:
        nights = load_history(hist)
    except OSError as e:
        die("%s: %s" % (hist, e.strerror or e))
    if not nights:
        die("%s: no night in it (no <night-id>/night.json)" % hist)
    if args.night:
        match = [n for n in nights if n.id == args.night]
        if not match:
            die("%s: no night %s with a night.json" % (hist, args.night))
        night = match[0]
    else:
        night = nights[-1]
    page = Page(hist, nights, night, args.nights).render()
    out = args.out or os.path.join(hist, "report.html")
    # whole or not at all: a CI server may be serving the old one
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".report.", suffix=".tmp",
                                   dir=os.path.dirname(os.path.abspath(out)))
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(page)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except OSError as e:
        if tmp:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        die("cannot write %s: %s" % (out, e.strerror or e))
    return 0


if __name__ == "__main__":
    sys.exit(main())
