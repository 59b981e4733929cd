#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Nightly job for bare-metal runners: a soak at several sizes on hvsmoke's own
# VMM, a few boots of a large VM (1024 vCPUs, x2APIC), the host's QEMU under
# the monitor hammer with each IPI pattern, and the
# positive controls, which must fire, so a night that finds nothing proves it
# could have. With --history each night is kept and compared with the last
# good one, which is what turns a host upgrade into a yes/no answer.
set -uo pipefail

usage() {
	cat <<'EOF'
usage: ci/nightly.sh [--history DIR] [--out DIR]

  --history DIR   keep each night in DIR/<night-id>/ (UTC, YYYYmmddTHHMMSSZ), compare every
                  scenario with its baseline (the newest earlier night where it was good),
                  write night.json and report.html there, and copy the report to DIR/report.html
  --out DIR       without --history: where the outputs go (default $OUT, else build/nightly);
                  with --history: tonight's files are copied there too, replacing the last
                  night's (for CI artifacts: JUnit *.xml and *.compare.xml, report.html)

scenarios (each writes NAME.json NAME.xml NAME.tap; expected: correct ones pass, controls fire):
  native-cpusN             hvsmoke run --cpus N --sync-hammer $HAMMER, for N in $SIZES
  large-cpusN              hvsmoke run --cpus N --iterations $LARGE_ITERATIONS --sync-hammer $HAMMER,
                           for N in $LARGE_SIZES (x2APIC above 255); skipped, with the reason,
                           on a host whose KVM allows fewer vCPUs per VM (KVM_CAP_MAX_VCPUS)
  qemu-cpusN-PATTERN       hvsmoke qemu --cpus N --ipi-pattern PATTERN (hvsmoke, seabios, mp-spec),
                           for N in $QEMU_SIZES
  control-legacy-smm       --sync-policy legacy-smm --sync-hammer max --cpus 2 --boot-timeout 300
  control-legacy-init      --sync-policy legacy-init --sync-hammer max --cpus 2 --boot-timeout 300
  control-legacy-signal    --kick legacy-signal --storm 20 --quit-at random
  control-no-sipi          --firmware BUILD/guestfw-nosipi.bin --boot-timeout 300

environment:
  DURATION=300             seconds per native scenario (--duration)
  SIZES="2 4 8 64"         native vCPU counts
  LARGE_SIZES=1024         vCPU counts of the large-VM scenarios ("" leaves them out)
  LARGE_ITERATIONS=10      boots per large-VM scenario (a fresh VM each: about 0.5 s at
                           1024 vCPUs on a 2-CPU host; ITERATIONS and DURATION do not apply)
  HAMMER=max               --sync-hammer for the native and QEMU scenarios
  QEMU=1                   0 leaves out the QEMU scenarios
  QEMU_SIZES="2 4"         QEMU vCPU counts
  QEMU_DURATION=$DURATION  seconds per QEMU scenario
  QEMU_ACCEL=kvm           QEMU's accelerator (--qemu-accel)
  ITERATIONS=              if set, every native and QEMU scenario runs this many boots
                           (--iterations) instead of a duration
  CONTROL_ITERATIONS=200   boots per positive control (never --stop-on-failure: a detection rate)
  SCENARIOS=               space-separated scenario names to run (default: all of the above)
  NATIVE_ARGS=             extra hvsmoke options for the native and large-VM scenarios (e.g. to prove
                           that a regression is caught: NATIVE_ARGS="--sync-policy legacy-smm")
  MAX_SLOWDOWN=            --max-slowdown for the comparisons (default: hvsmoke's)
  HVSMOKE_BUILD=build      the build directory (make B=...)
  SKIP_BUILD=0             1: use HVSMOKE_BUILD as it is, do not run make

Every hvsmoke call runs under timeout(1), with a bound from its duration or boot count: a run
still going then is killed and counts as failed. A baseline whose run hvsmoke compare calls a
different scenario (HAMMER or a bound changed) is passed over: the scenario starts afresh.
SIGTERM/SIGINT/SIGHUP stop the run in progress and record the night so far (result error,
no scenario of it a baseline).

exit: 0 every scenario as expected and nothing regressed; 1 a regression, a correct scenario
failed or a control did not fire; 2 a setup error (or a run that could not be judged);
4 every scenario skipped
EOF
}

hist=""
out=""
while [ $# -gt 0 ]; do
	case $1 in
	--history|--out)
		if [ $# -lt 2 ] || [ -z "$2" ]; then
			echo "nightly: $1 needs a directory" >&2
			exit 2
		fi
		[ "$1" = --history ] && hist=$2 || out=$2
		shift 2 ;;
	--history=?*) hist=${1#*=}; shift ;;
	--out=?*) out=${1#*=}; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "nightly: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done

# Paths the caller gave are the caller's: resolve them before moving to the tree.
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac; }
[ -n "$hist" ] && hist=$(abspath "$hist")
[ -n "$out" ] && out=$(abspath "$out")
[ -n "${OUT:-}" ] && OUT=$(abspath "$OUT")
BUILD=${HVSMOKE_BUILD:-}
[ -n "$BUILD" ] && BUILD=$(abspath "$BUILD")
cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
BUILD=${BUILD:-$ROOT/build}
HV=$BUILD/hvsmoke

DURATION=${DURATION:-300}
SIZES=${SIZES:-"2 4 8 64"}
LARGE_SIZES=${LARGE_SIZES-1024}
LARGE_ITERATIONS=${LARGE_ITERATIONS:-10}
HAMMER=${HAMMER:-max}
QEMU=${QEMU:-1}
QEMU_SIZES=${QEMU_SIZES:-"2 4"}
QEMU_DURATION=${QEMU_DURATION:-$DURATION}
QEMU_ACCEL=${QEMU_ACCEL:-kvm}
ITERATIONS=${ITERATIONS:-}
CONTROL_ITERATIONS=${CONTROL_ITERATIONS:-200}
SCENARIOS=${SCENARIOS:-}
NATIVE_ARGS=${NATIVE_ARGS:-}
MAX_SLOWDOWN=${MAX_SLOWDOWN:-}

isnum() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }
for v in DURATION QEMU_DURATION CONTROL_ITERATIONS LARGE_ITERATIONS; do
	isnum "${!v}" || { echo "nightly: $v='${!v}' is not a positive number" >&2; exit 2; }
done
if [ -n "$ITERATIONS" ] && ! isnum "$ITERATIONS"; then
	echo "nightly: ITERATIONS='$ITERATIONS' is not a positive number" >&2
	exit 2
fi
for n in $SIZES $LARGE_SIZES; do
	isnum "$n" || { echo "nightly: vCPU count '$n' is not a positive number" >&2; exit 2; }
done

if [ "${SKIP_BUILD:-0}" != 1 ]; then
	make -s B="$BUILD" all || { echo "nightly: make failed" >&2; exit 2; }
fi
[ -x "$HV" ] || { echo "nightly: $HV is not built (make B=$BUILD all)" >&2; exit 2; }

# ---- the scenarios ---------------------------------------------------------
# name|expect|subcommand and options. A bound for each run comes later, from
# what it was asked to do.
names=() expects=() cmds=()
add() {
	local words
	read -ra words <<< "$3"
	names+=("$1") expects+=("$2") cmds+=("${words[*]}")
}

if [ -n "$ITERATIONS" ]; then
	native_len="--iterations $ITERATIONS"
	qemu_len="--iterations $ITERATIONS"
else
	native_len="--duration $DURATION"
	qemu_len="--duration $QEMU_DURATION"
fi
for n in $SIZES; do
	add "native-cpus$n" pass "run --cpus $n $native_len --sync-hammer $HAMMER $NATIVE_ARGS"
done
# A few boots of a large VM, compared night to night like the soaks: what
# 1024 vCPUs cost to build and boot, and whether any AP goes missing on the
# way. A fixed boot count, not the soaks' duration: each boot is a fresh VM.
for n in $LARGE_SIZES; do
	add "large-cpus$n" pass "run --cpus $n --iterations $LARGE_ITERATIONS --sync-hammer $HAMMER $NATIVE_ARGS"
done
if [ "$QEMU" != 0 ]; then
	for n in $QEMU_SIZES; do
		for p in hvsmoke seabios mp-spec; do
			add "qemu-cpus$n-$p" pass "qemu --qemu-accel $QEMU_ACCEL --cpus $n --ipi-pattern $p $qemu_len --sync-hammer $HAMMER"
		done
	done
fi
ctl="--iterations $CONTROL_ITERATIONS"
add control-legacy-smm fire "run --sync-policy legacy-smm --sync-hammer max --cpus 2 --boot-timeout 300 $ctl"
add control-legacy-init fire "run --sync-policy legacy-init --sync-hammer max --cpus 2 --boot-timeout 300 $ctl"
add control-legacy-signal fire "run --kick legacy-signal --storm 20 --quit-at random $ctl"
add control-no-sipi fire "run --firmware $BUILD/guestfw-nosipi.bin --boot-timeout 300 $ctl"

if [ -n "$SCENARIOS" ]; then
	for want in $SCENARIOS; do
		found=0
		for n in "${names[@]}"; do [ "$n" = "$want" ] && found=1; done
		[ $found = 1 ] || { echo "nightly: SCENARIOS: no scenario '$want' (try --help)" >&2; exit 2; }
	done
fi

# The longest a run may take before it counts as hung: hvsmoke bounds every
# boot itself, so this only catches a VMM or host that is stuck for good.
# A failing boot costs up to about 3x --boot-timeout (SMM stage) plus the
# evidence; a QEMU boot adds a process start.
bound_for() {
	local cmd=$1 iters dur bt=2000 per cpus=4
	# hvsmoke's own default: 2000 ms per started 256 CPUs
	[[ $cmd =~ --cpus\ ([0-9]+) ]] && cpus=${BASH_REMATCH[1]}
	bt=$((2000 * ((cpus + 255) / 256)))
	[[ $cmd =~ --boot-timeout\ ([0-9]+) ]] && bt=${BASH_REMATCH[1]}
	per=$(((3 * bt + 999) / 1000 + 2))
	[[ $cmd == qemu* ]] && per=$((per + 10))
	if [[ $cmd =~ --duration\ ([0-9]+) ]]; then
		dur=${BASH_REMATCH[1]}
		echo $((dur + dur / 4 + 120 + per))
	elif [[ $cmd =~ --iterations\ ([0-9]+) ]]; then
		iters=${BASH_REMATCH[1]}
		echo $((60 + iters * per))
	else
		echo 600
	fi
}

# ---- where tonight goes ----------------------------------------------------
if [ -n "$hist" ]; then
	mkdir -p "$hist" || { echo "nightly: cannot create $hist" >&2; exit 2; }
	# Two nights at once on one history would each take the other's half-written
	# night for a baseline.
	exec 9>>"$hist/.lock" || { echo "nightly: cannot write $hist/.lock" >&2; exit 2; }
	if ! flock -n 9; then
		echo "nightly: another nightly holds $hist/.lock" >&2
		exit 2
	fi
	# Night ids are seconds: a second night in the same second takes the next free one.
	now=$(date -u +%s)
	for ((i = 0; i < 600; i++)); do
		night=$(date -u -d "@$((now + i))" +%Y%m%dT%H%M%SZ)
		mkdir "$hist/$night" 2>/dev/null && break
		night=""
	done
	[ -n "$night" ] || { echo "nightly: no free night id in $hist" >&2; exit 2; }
	dir=$hist/$night
else
	night=$(date -u +%Y%m%dT%H%M%SZ)
	dir=${out:-${OUT:-$ROOT/build/nightly}}
	mkdir -p "$dir" || { echo "nightly: cannot create $dir" >&2; exit 2; }
fi

# ---- helpers in python (stdlib): history lookups and the night's record -----
# shellcheck disable=SC2016
PY='
import json, os, re, sys
NIGHT = re.compile(r"^\d{8}T\d{6}Z$")
cmd = sys.argv[1]
if cmd == "baselines":
    # the nights a scenario may take as its baseline, newest first
    hist, night, name, most = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    for d in sorted((d for d in os.listdir(hist) if NIGHT.match(d) and d < night), reverse=True):
        try:
            with open(os.path.join(hist, d, "night.json")) as f:
                nj = json.load(f)
        except (OSError, ValueError):
            continue
        for s in nj.get("scenarios", []) if isinstance(nj, dict) else []:
            if isinstance(s, dict) and s.get("name") == name and s.get("good") is True \
               and os.path.isfile(os.path.join(hist, d, name + ".json")):
                print(d)
                most -= 1
                break
        if most <= 0:
            break
elif cmd == "summary":
    # one phrase about a run: boots, failures by class, first failure
    try:
        with open(sys.argv[2]) as f:
            d = json.load(f)
    except (OSError, ValueError):
        print("no JSON")
        sys.exit(0)
    if d.get("verdict") == "skip":
        print("skipped: %s" % d.get("skip_reason", "?"))
        sys.exit(0)
    runs, passed = d.get("iterations_run", 0), d.get("passed", 0)
    cls = ", ".join("%s %d" % (k, v) for k, v in sorted((d.get("classes") or {}).items())
                    if k != "pass" and v)
    s = "%d/%d boots failed" % (runs - passed, runs) if runs else "no boots"
    if cls:
        s += " (%s)" % cls
    ff = d.get("first_failure")
    if isinstance(ff, dict) and ff.get("seconds") is not None:
        s += ", first at %.2f s" % ff["seconds"]
    bu = d.get("boot_us") or {}
    if bu.get("samples"):
        s += ", boot p50 %d us p99 %d us" % (bu.get("p50", 0), bu.get("p99", 0))
    print(s)
elif cmd == "night":
    path, night, result, interrupted = sys.argv[2:6]
    scen = []
    for line in sys.stdin:
        name, run_exit, expect, base, cexit, good, elapsed, args = line.rstrip("\n").split("\t")
        scen.append({"name": name, "run_exit": int(run_exit), "expect": expect,
                     "baseline": base or None, "compare_exit": int(cexit) if cexit else None,
                     "good": good == "1", "elapsed_s": float(elapsed), "args": args})
    nj = {"schema_version": 1, "kind": "hvsmoke-night", "night": night, "result": result,
          "scenarios": scen}
    if interrupted == "1":
        nj["interrupted"] = True
    with open(path + ".tmp", "w") as f:
        json.dump(nj, f, indent=1)
        f.write("\n")
    os.replace(path + ".tmp", path)
'
py() { python3 -c "$PY" "$@"; }

# A signal (CI cancel, systemctl stop) stops the run in progress, records the
# night so far and ends: the runs already judged are still worth keeping.
stop=0
child=""
# shellcheck disable=SC2317 # reached through the trap
on_signal() {
	stop=1
	[ -n "$child" ] && kill -TERM "$child" 2>/dev/null
}
trap on_signal TERM INT HUP

# Run one bounded child in the background, so a signal is acted on at once.
bounded() {
	local bound=$1
	shift
	timeout -k 30 "$bound" "$@" &
	child=$!
	wait "$child"
	local rc=$?
	# wait returns early when a trapped signal arrives; the child is ending
	# (timeout passed the TERM on), so wait for it once more
	if [ "$stop" = 1 ] && kill -0 "$child" 2>/dev/null; then
		wait "$child"
		rc=$?
	fi
	child=""
	return $rc
}

# The most vCPUs per VM the host's KVM takes (KVM_CAP_MAX_VCPUS), read once: a
# native scenario asking for more is skipped with that reason instead of
# failing as a setup error. Unknown (no usable accelerator, which hvsmoke
# reports as a skip itself) leaves every scenario to hvsmoke.
host_accel="" host_max=""
read -r host_accel host_max < <(timeout 30 "$HV" info --json 2>/dev/null | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
if isinstance(d, dict) and d.get("accel_available"):
    m = (d.get("caps") or {}).get("MAX_VCPUS")
    if isinstance(m, int) and m > 0:
        print(d.get("accel") or "kvm", m)')

# Why this host cannot run a scenario at all, or nothing.
host_skip() {
	local cmd=$1 cpus
	[[ $cmd == run\ * ]] && [[ $cmd =~ --cpus\ ([0-9]+) ]] || return 0
	cpus=${BASH_REMATCH[1]}
	if [ -n "$host_max" ] && [ "$cpus" -gt "$host_max" ]; then
		echo "--cpus $cpus: the host's ${host_accel^^} allows at most $host_max vCPUs per VM (KVM_CAP_MAX_VCPUS)"
	fi
}

records=""
n_run=0 n_skip=0 n_regress=0 n_fail=0 n_error=0
echo "nightly: night $night in $dir"
for idx in "${!names[@]}"; do
	name=${names[$idx]} expect=${expects[$idx]} cmd=${cmds[$idx]}
	if [ -n "$SCENARIOS" ] && [[ " $SCENARIOS " != *" $name "* ]]; then
		continue
	fi
	[ "$stop" = 1 ] && break
	n_run=$((n_run + 1))
	bound=$(bound_for "$cmd")
	rm -f "$dir/$name".{json,xml,tap,compare.json,compare.xml,compare.tap}
	why=$(host_skip "$cmd")
	if [ -n "$why" ]; then
		# as hvsmoke reports a skip, less the run JSON: no run, no figures
		printf 'TAP version 13\n1..0 # SKIP %s\n' "$why" > "$dir/$name.tap"
		printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="hvsmoke" tests="1" failures="0" errors="0" skipped="1" time="0.000">\n  <testcase classname="hvsmoke.%s" name="boot"><skipped message="%s"/></testcase>\n</testsuite>\n' \
			"$host_accel" "$why" > "$dir/$name.xml"
		n_skip=$((n_skip + 1))
		printf '%-24s %-18s %s\n' "$name:" "skipped" "$why"
		records+="$name	4	$expect			0	0.000	$cmd"$'\n'
		continue
	fi
	t0=${EPOCHREALTIME/./}
	# shellcheck disable=SC2086 # the options are words by construction
	bounded "$bound" "$HV" $cmd -q --json "$dir/$name.json" --junit "$dir/$name.xml" \
		> "$dir/$name.tap" 2> "$dir/$name.stderr"
	rc=$?
	t1=${EPOCHREALTIME/./}
	printf -v elapsed '%d.%03d' $(((t1 - t0) / 1000000)) $(((t1 - t0) / 1000 % 1000))
	[ -s "$dir/$name.stderr" ] || rm -f "$dir/$name.stderr"

	# Ran as expected? A control fires with exit 1; a hang (timeout's 124, or
	# 137 after its kill) is never what anyone expected.
	case $rc in
	0) [ "$expect" = pass ] && asexp=1 || asexp=0 ;;
	1) [ "$expect" = fire ] && asexp=1 || asexp=0 ;;
	*) asexp=0 ;;
	esac
	case $rc in
	0|1) [ "$asexp" = 0 ] && n_fail=$((n_fail + 1)) ;;
	4) n_skip=$((n_skip + 1)) ;;
	124|137) n_fail=$((n_fail + 1)) ;;
	*) n_error=$((n_error + 1)) ;;
	esac
	# Cut short by our own signal: a failure found is still a finding, but a
	# truncated run is no one's baseline.
	cut=0
	if [ "$stop" = 1 ]; then
		cut=1 asexp=0
		[ "$rc" = 124 ] || [ "$rc" = 137 ] && n_fail=$((n_fail - 1))
	fi

	base="" cexit="" cmpmsg=""
	if [ -n "$hist" ] && [ "$stop" = 0 ] && { [ "$rc" = 0 ] || [ "$rc" = 1 ]; } && [ -s "$dir/$name.json" ]; then
		# The newest good night is the baseline. One whose scenario hvsmoke
		# calls a different one (HAMMER or a bound was changed in the lab) is
		# passed over: the scenario starts a new chain of baselines instead of
		# failing every night against a run it can never be compared with.
		changed=""
		for cand in $(py baselines "$hist" "$night" "$name" 30); do
			cargs=()
			[ -n "$MAX_SLOWDOWN" ] && cargs=(--max-slowdown "$MAX_SLOWDOWN")
			bounded 120 "$HV" compare "$hist/$cand/$name.json" "$dir/$name.json" "${cargs[@]}" \
				--json "$dir/$name.compare.json" --junit "$dir/$name.compare.xml" \
				> "$dir/$name.compare.tap" 2> "$dir/$name.compare.stderr"
			cexit=$?
			if [ "$cexit" = 2 ] && grep -q 'different scenarios' "$dir/$name.compare.stderr"; then
				[ -n "$changed" ] || changed="changed since $cand: $(sed 's/.*comparable: *//' "$dir/$name.compare.stderr" | head -1)"
				cexit=""
				continue
			fi
			base=$cand
			break
		done
		if [ -n "$base" ]; then
			case $cexit in
			0) cmpmsg="vs $base: no regression" ;;
			1) cmpmsg="vs $base: REGRESSION: $(grep -c '^not ok' "$dir/$name.compare.tap") check(s)"
			   n_regress=$((n_regress + 1)) ;;
			*) cmpmsg="vs $base: compare failed (exit $cexit): $(head -1 "$dir/$name.compare.stderr")"
			   n_error=$((n_error + 1)) ;;
			esac
			[ -s "$dir/$name.compare.stderr" ] || rm -f "$dir/$name.compare.stderr"
		else
			rm -f "$dir/$name".compare.{json,xml,tap,stderr}
			cmpmsg="no baseline yet${changed:+ (scenario $changed)}"
		fi
	fi
	good=0
	if [ "$asexp" = 1 ] && { [ -z "$cexit" ] || [ "$cexit" = 0 ]; }; then
		good=1
	fi

	case $rc in
	0) what="pass" ;; 1) what="fail" ;; 2) what="setup error" ;; 4) what="skip" ;;
	124|137) what="hung: no exit within ${bound} s" ;; *) what="exit $rc" ;;
	esac
	if [ "$cut" = 1 ]; then
		verdict="INTERRUPTED ($what)"
	elif [ "$asexp" = 1 ]; then
		[ "$expect" = fire ] && verdict="fired as expected" || verdict="passed"
	elif [ "$rc" = 4 ]; then
		verdict="skipped"
	elif [ "$expect" = fire ] && [ "$rc" = 0 ]; then
		verdict="DID NOT FIRE"
	else
		verdict="UNEXPECTED ($what)"
	fi
	printf '%-24s %-18s %s%s\n' "$name:" "$verdict" "$(py summary "$dir/$name.json")" \
		"${cmpmsg:+; $cmpmsg}"
	records+="$name	$rc	$expect	$base	$cexit	$good	$elapsed	$cmd"$'\n'
done

if [ "$n_run" = 0 ]; then
	echo "nightly: no scenario selected (SCENARIOS='$SCENARIOS', QEMU=$QEMU)" >&2
	[ -n "$hist" ] && rmdir "$dir" 2>/dev/null
	exit 2
fi

# One word for the night, the worst that happened: a regression against a
# good night is the news; then anything not as expected; then what could not
# be judged; a night where nothing could run at all is a skip.
if [ "$n_regress" -gt 0 ]; then result=regression rc=1
elif [ "$n_fail" -gt 0 ]; then result=fail rc=1
elif [ "$n_error" -gt 0 ] || [ "$stop" = 1 ]; then result=error rc=2
elif [ "$n_skip" = "$n_run" ]; then result=skip rc=4
else result=pass rc=0
fi

printf '%s' "$records" | py night "$dir/night.json" "$night" "$result" "$stop" ||
	{ echo "nightly: cannot write $dir/night.json" >&2; rc=2; }

if [ -n "$hist" ]; then
	if timeout 120 python3 "$ROOT/ci/report.py" "$hist" --night "$night" --out "$dir/report.html"; then
		cp "$dir/report.html" "$hist/.report.html.tmp" && mv -f "$hist/.report.html.tmp" "$hist/report.html"
		echo "nightly: report $hist/report.html"
	else
		echo "nightly: report.py failed" >&2
		[ "$rc" = 0 ] || [ "$rc" = 4 ] && rc=2
	fi
	if [ -n "$out" ]; then
		# the previous night's files go first, so no stale comparison or
		# scenario is published with tonight's; nothing else there is touched
		if [ -d "$out" ]; then
			for f in "$out"/native-cpus* "$out"/large-cpus* "$out"/qemu-cpus* "$out"/control-* \
				 "$out"/night.json "$out"/report.html; do
				[ -f "$f" ] && rm -f "$f"
			done
		fi
		# shellcheck disable=SC2015 # either failing is the one message
		mkdir -p "$out" && cp -p "$dir"/* "$out"/ ||
			{ echo "nightly: cannot copy the night to $out" >&2; { [ "$rc" = 0 ] || [ "$rc" = 4 ]; } && rc=2; }
	fi
fi
echo "nightly: night $night: $result (exit $rc)"
exit "$rc"
