#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# ci/report.py: the nightly report. A real two-night history rendered in
# headless Chromium must load with no console error and no request beyond the
# file itself, and its plots must really be painted (counted in the DOM the
# browser built, and as pixels in the screenshot). Hostile text from the JSON
# stays text; gaps in the data are said, not crashed on.
bats_require_minimum_version 1.5.0
load helpers

REPORT="$ROOT/ci/report.py"
NIGHTLY="$ROOT/ci/nightly.sh"
TOOLS="$ROOT/tests/tools"
# report.py's colours: tonight, baseline, the trend's p50, p99 and failures
C_NOW=f76707 C_BASE=1c7ed6 C_P50=2f9e44 C_P99=ae3ec9 C_FAIL=e03131
# where a person can look at the rendered page afterwards
SHOT_DIR="$BUILD/report"

require_chromium() {
	command -v chromium >/dev/null || skip "chromium is not installed (apt-get install chromium)"
}

# Render URL with cdp_render.py into $2.render (its JSON; not named .json, as
# helpers' teardown checks those against hvsmoke's schema) and $2.png; skips
# where Chromium cannot start here, with its reason.
render() {
	local url=$1 out=$2
	run --separate-stderr timeout 120 python3 "$TOOLS/cdp_render.py" "$url" \
		--out-json "$out.render" --screenshot "$out.png" --dom "$out.dom.html" --width 1280
	if [ "$status" -eq 3 ]; then
		skip "Chromium cannot run here: $stderr"
	fi
	echo "cdp_render: status $status: $stderr"
	[ "$status" -eq 0 ]
}

# The text a reader sees on a page render() rendered.
page_text() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["text"])' "$1"
}

# The check for a clean page: no console message at error level, no uncaught
# exception, no browser log error (a blocked or failed load), no request for
# anything but the page itself, no script. Prints what it found; status 1 if any.
page_is_clean() {
	python3 - "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
bad = ["console %s: %s" % (c["level"], c["text"]) for c in d["console"]
       if c["level"] in ("error", "assert", "warning")]
bad += ["exception: %s" % e for e in d["exceptions"]]
bad += ["log %s/%s: %s %s" % (l["level"], l["source"], l["text"], l["url"] or "")
        for l in d["log"] if l["level"] in ("error", "warning")]
bad += ["request: %s" % u for u in d["requests"] if u != d["url"]]
if d["scripts"]:
    bad.append("%d <script> element(s)" % d["scripts"])
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
EOF
}

# A two-night history from the real nightly, made once for this file: two
# native sizes and the deterministic control, a few boots each, no QEMU.
history() {
	H="$BATS_FILE_TMPDIR/hist"
	if [ -f "$H/report.html" ] && [ -f "$BATS_FILE_TMPDIR/nights.ok" ]; then
		return 0
	fi
	require_kvm
	"$HV" run --cpus 1 --iterations 1 -q >/dev/null 2>&1
	[ $? -ne 4 ] || skip "/dev/kvm is there but hvsmoke cannot use it"
	rm -rf "$H"
	local i
	# 25 boots a plot; latency is not judged here (MAX_SLOWDOWN=100): a busy
	# host must not turn the second night into a regression
	for i in 1 2; do
		run env HVSMOKE_BUILD="$BUILD" SKIP_BUILD=1 QEMU=0 SIZES="2 4" ITERATIONS=25 MAX_SLOWDOWN=100 \
			CONTROL_ITERATIONS=4 SCENARIOS="native-cpus2 native-cpus4 control-no-sipi" \
			timeout 300 "$NIGHTLY" --history "$H"
		echo "night $i: status $status"
		echo "$output"
		[ "$status" -eq 0 ]
	done
	touch "$BATS_FILE_TMPDIR/nights.ok"
}

@test "report.py on a missing, an empty or a night-less directory exits 2 with one line" {
	local m="$BATS_TEST_TMPDIR/hand-made"
	mkdir -p "$m/empty" "$m/junk/20261126T020000Z"
	echo '{not json' > "$m/junk/20261126T020000Z/night.json"
	: > "$m/afile"
	for d in "$m/nope" "$m/empty" "$m/junk" "$m/afile"; do
		run --separate-stderr python3 "$REPORT" "$d"
		echo "$d -> $status: $stderr"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
		[[ "$stderr" == "report: "* ]]
		[ ! -e "$d/report.html" ]
	done
	run --separate-stderr python3 "$REPORT"
	[ "$status" -eq 2 ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
}

@test "report.py escapes the JSON's text: a <script> in a failure detail stays text" {
	python3 "$TOOLS/fake_history.py" "$BATS_TEST_TMPDIR/hand-made/h"
	run --separate-stderr python3 "$REPORT" "$BATS_TEST_TMPDIR/hand-made/h" --out "$BATS_TEST_TMPDIR/r.html"
	echo "$stderr"
	[ "$status" -eq 0 ]
	# nothing from the JSON became markup...
	! grep -qi '<script' "$BATS_TEST_TMPDIR/r.html"
	! grep -q '<b>' "$BATS_TEST_TMPDIR/r.html"
	# ...and all of it is there as text: the failure, its evidence, the compare's
	# regression line and note, the skip reason, a setup error's stderr
	grep -q '&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; &#x27;quotes&#x27;' "$BATS_TEST_TMPDIR/r.html"
	[ "$(grep -o '&lt;script&gt;alert' "$BATS_TEST_TMPDIR/r.html" | wc -l)" -ge 8 ]
	grep -q 'new: &lt;script&gt;' "$BATS_TEST_TMPDIR/r.html"
	grep -q 'no QEMU here &lt;script&gt;' "$BATS_TEST_TMPDIR/r.html"
	grep -q 'hvsmoke: error: &lt;script&gt;' "$BATS_TEST_TMPDIR/r.html"
}

@test "report.py says what is missing: a first night, a skip, a corrupt run, no samples, a killed night" {
	python3 "$TOOLS/fake_history.py" "$BATS_TEST_TMPDIR/hand-made/h"
	run --separate-stderr python3 "$REPORT" "$BATS_TEST_TMPDIR/hand-made/h"
	echo "$stderr"
	[ "$status" -eq 0 ]
	local page="$BATS_TEST_TMPDIR/hand-made/h/report.html"
	# the night without night.json (killed) is not the latest night
	grep -q '<title>hvsmoke nightly 20261125T020000Z: regression</title>' "$page"
	grep -q 'REGRESSION' "$page"
	grep -q 'class/ap-missing' "$page"
	grep -q 'skipped: ' "$page"
	grep -q 'no run JSON (unreadable' "$page"
	grep -q 'no run JSON (missing)' "$page"
	grep -q 'no samples in tonight' "$page"
	grep -q 'no baseline yet' "$page"
	grep -q 'no boot completed' "$page"
	! grep -q 'report error' "$page"
	# as of the first night: no baseline anywhere, one point per trend
	run --separate-stderr python3 "$REPORT" "$BATS_TEST_TMPDIR/hand-made/h" --night 20261124T020000Z \
		--out "$BATS_TEST_TMPDIR/first.html"
	[ "$status" -eq 0 ]
	grep -q 'no baseline yet' "$BATS_TEST_TMPDIR/first.html"
	grep -q 'only one night so far' "$BATS_TEST_TMPDIR/first.html"
	! grep -q 'report error' "$BATS_TEST_TMPDIR/first.html"
	run --separate-stderr python3 "$REPORT" "$BATS_TEST_TMPDIR/hand-made/h" --night 20990101T000000Z
	[ "$status" -eq 2 ]
	[[ "$stderr" == "report: "* ]]
}

@test "the console check catches a console.error, an exception and an external load" {
	require_chromium
	cat > "$BATS_TEST_TMPDIR/bad.html" <<'EOF'
<!DOCTYPE html><html><head><meta charset="utf-8"><title>bad</title></head><body>
<p>a page that misbehaves on purpose</p><img src="http://192.0.2.1/x.png" alt="">
<script>console.error("deliberate <error>"); throw new Error("deliberate exception");</script>
</body></html>
EOF
	render "file://$BATS_TEST_TMPDIR/bad.html" "$BATS_TEST_TMPDIR/bad"
	run page_is_clean "$BATS_TEST_TMPDIR/bad.render"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"console error: deliberate <error>"* ]]
	[[ "$output" == *"exception: Error: deliberate exception"* ]]
	[[ "$output" == *"request: http://192.0.2.1/x.png"* ]]
	[[ "$output" == *"1 <script> element(s)"* ]]
	# and a clean page passes the same check
	printf '<!DOCTYPE html><html><head><meta charset="utf-8"><title>ok</title></head><body>ok</body></html>\n' \
		> "$BATS_TEST_TMPDIR/good.html"
	render "file://$BATS_TEST_TMPDIR/good.html" "$BATS_TEST_TMPDIR/good"
	run page_is_clean "$BATS_TEST_TMPDIR/good.render"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a real history's report renders in Chromium: no console error, nothing loaded, plots drawn and painted" {
	require_chromium
	history
	mkdir -p "$SHOT_DIR"
	cp "$H/report.html" "$SHOT_DIR/report.html"
	render "file://$H/report.html" "$BATS_TEST_TMPDIR/page"
	cp "$BATS_TEST_TMPDIR/page.png" "$SHOT_DIR/screenshot.png"
	echo "# screenshot: $SHOT_DIR/screenshot.png (page: $SHOT_DIR/report.html)" >&3
	run page_is_clean "$BATS_TEST_TMPDIR/page.render"
	echo "$output"
	[ "$status" -eq 0 ]

	# The DOM the browser built: every plot there, with points in it.
	run python3 - "$BATS_TEST_TMPDIR/page.render" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
plots = {s["plot"]: s for s in d["svgs"] if s["plot"]}
want_cdf = ["cdf-native-cpus2-boot_us", "cdf-native-cpus4-boot_us"]
want_trend = ["trend-lat-native-cpus2", "trend-fail-native-cpus2", "trend-lat-native-cpus4",
              "trend-fail-native-cpus4", "trend-fail-control-no-sipi"]
bad = []
for p in want_cdf:
    s = plots.get(p)
    # both nights' CDFs: 25 boots each, two points a step
    if not s or s["polyline_points"] < 2 * 25 or len(s["strokes"]) < 2:
        bad.append("%s: %s" % (p, s))
for p in want_trend:
    s = plots.get(p)
    if not s or s["circles"] < 2 or s["polyline_points"] < 2:
        bad.append("%s: %s" % (p, s))
if "detect-control-no-sipi" not in plots:
    bad.append("no detection bars")
for s in plots.values():
    if s["w"] < 100 or s["h"] < 50:
        bad.append("%s is %sx%s" % (s["plot"], s["w"], s["h"]))
print("plots:", " ".join(sorted(plots)))
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	# The text a reader sees
	run page_text "$BATS_TEST_TMPDIR/page.render"
	[[ "$output" == *"hvsmoke nightly"* ]]
	[[ "$output" == *"no regression"* ]]
	[[ "$output" == *"control-no-sipi"* ]]
	[[ "$output" == *"fired"* ]]

	# The screenshot: the colours are really painted inside each plot's box
	run python3 "$TOOLS/png_colors.py" "$BATS_TEST_TMPDIR/page.png" --render "$BATS_TEST_TMPDIR/page.render" \
		--color now=$C_NOW --color base=$C_BASE --color p50=$C_P50 --color p99=$C_P99 --color fail=$C_FAIL
	echo "$output"
	[ "$status" -eq 0 ]
	python3 - "$output" <<'EOF'
import json, sys
d = json.loads(sys.argv[1])
plots = {p["plot"]: p["counts"] for p in d["plots"]}
need = {"cdf-native-cpus2-boot_us": ("now", "base"), "cdf-native-cpus4-boot_us": ("now", "base"),
        "trend-lat-native-cpus2": ("p50", "p99"), "trend-fail-native-cpus2": ("fail",),
        "trend-fail-control-no-sipi": ("fail",), "detect-control-no-sipi": ("now", "base")}
bad = ["%s: %s painted %d px" % (p, c, plots.get(p, {}).get(c, 0))
       for p, cs in need.items() for c in cs if plots.get(p, {}).get(c, 0) < 40]
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF
}

@test "the nightly's report of a regression shows it, with the compare's line" {
	require_chromium
	history
	local R="$BATS_TEST_TMPDIR/hist"
	cp -a "$H" "$R"
	run env HVSMOKE_BUILD="$BUILD" SKIP_BUILD=1 QEMU=0 SIZES=2 ITERATIONS=5 \
		SCENARIOS="native-cpus2" NATIVE_ARGS="--firmware $FW_NOSIPI --stop-on-failure" \
		timeout 300 "$NIGHTLY" --history "$R"
	echo "$output"
	[ "$status" -eq 1 ]
	render "file://$R/report.html" "$BATS_TEST_TMPDIR/reg"
	run page_is_clean "$BATS_TEST_TMPDIR/reg.render"
	echo "$output"
	[ "$status" -eq 0 ]
	run page_text "$BATS_TEST_TMPDIR/reg.render"
	[[ "$output" == *"REGRESSION"* ]]
	[[ "$output" == *"class/ap-missing"* ]]
	[[ "$output" == *"FAIL"* ]]
}
