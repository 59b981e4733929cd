#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Count how many pixels of given colours a PNG screenshot really has, inside
each plot, for tests/report.bats. Python stdlib only (zlib).

    png_colors.py SHOT.png --render RENDER.json --color NAME=RRGGBB ... [--tol N]

RENDER.json is cdp_render.py's output: every <svg> with a data-plot attribute
is looked up in the screenshot by its box. Prints one JSON object:
{"width", "height", "plots": [{"plot", "x", "y", "w", "h", "counts": {NAME: n}}]}.
A pixel counts for a colour when each channel is within --tol (default 24):
anti-aliased edges blend into the background, but the core of a 2 px line
is painted in its own colour.
"""
import argparse
import json
import struct
import sys
import zlib


def decode_png(path):
    """Return (width, height, rows) with rows a list of bytes, RGB(A) 8-bit."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("%s: not a PNG" % path)
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if ctype == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif ctype == b"IDAT":
            idat.append(body)
        elif ctype == b"IEND":
            break
    if ihdr is None:
        raise ValueError("%s: no IHDR" % path)
    width, height, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("%s: only 8-bit RGB/RGBA non-interlaced PNGs (got depth %d type %d)"
                         % (path, depth, ctype))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        off = y * (stride + 1)
        ftype = raw[off]
        cur = bytearray(raw[off + 1:off + 1 + stride])
        if ftype == 1:
            for i in range(bpp, stride):
                cur[i] = (cur[i] + cur[i - bpp]) & 0xFF
        elif ftype == 2:
            for i in range(stride):
                cur[i] = (cur[i] + prev[i]) & 0xFF
        elif ftype == 3:
            for i in range(stride):
                left = cur[i - bpp] if i >= bpp else 0
                cur[i] = (cur[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif ftype == 4:
            for i in range(stride):
                a = cur[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                cur[i] = (cur[i] + pred) & 0xFF
        elif ftype != 0:
            raise ValueError("%s: bad filter type %d in row %d" % (path, ftype, y))
        rows.append(bytes(cur))
        prev = cur
    return width, height, bpp, rows


def count(rows, bpp, width, height, box, colors, tol):
    x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
    x1, y1 = min(width, int(box[0] + box[2])), min(height, int(box[1] + box[3]))
    counts = {name: 0 for name in colors}
    for y in range(y0, y1):
        row = rows[y]
        for x in range(x0, x1):
            r, g, b = row[x * bpp], row[x * bpp + 1], row[x * bpp + 2]
            for name, (cr, cg, cb) in colors.items():
                if abs(r - cr) <= tol and abs(g - cg) <= tol and abs(b - cb) <= tol:
                    counts[name] += 1
    return counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("png")
    ap.add_argument("--render", required=True)
    ap.add_argument("--color", action="append", default=[], help="NAME=RRGGBB")
    ap.add_argument("--tol", type=int, default=24)
    args = ap.parse_args()
    colors = {}
    for c in args.color:
        name, hexv = c.split("=", 1)
        hexv = hexv.lstrip("#")
        colors[name] = tuple(int(hexv[i:i + 2], 16) for i in (0, 2, 4))
    try:
        width, height, bpp, rows = decode_png(args.png)
    except (OSError, ValueError, zlib.error) as e:
        print("png_colors: %s" % e, file=sys.stderr)
        return 1
    render = json.load(open(args.render))
    plots = []
    for s in render["svgs"]:
        if not s.get("plot"):
            continue
        box = (s["x"], s["y"], s["w"], s["h"])
        plots.append({"plot": s["plot"], "x": s["x"], "y": s["y"], "w": s["w"], "h": s["h"],
                      "counts": count(rows, bpp, width, height, box, colors, args.tol)})
    json.dump({"width": width, "height": height, "plots": plots}, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
