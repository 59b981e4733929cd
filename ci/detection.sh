#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Measures how well this host shows the seed-000 bugs: the fraction of boots
# lost per sync policy, and the median seconds to the first failure, at each
# size. Prints a markdown table; used for closing notes and nightly trends.
set -uo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"2 8"}
BOOTS=${BOOTS:-200}		# boots per fraction measurement
RUNS=${RUNS:-5}			# runs per time-to-first-failure median
TIMEOUT_MS=${TIMEOUT_MS:-300}	# short deadline: a lost AP costs little time
HV=build/hvsmoke
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

echo "| policy | N | boots | lost | lost % | sync sweeps/s | median s to 1st failure (of $RUNS) |"
echo "|---|---|---|---|---|---|---|"
for policy in fixed legacy-smm legacy-init; do
	for n in $SIZES; do
		$HV --sync-policy "$policy" --sync-hammer max --cpus "$n" --iterations "$BOOTS" \
			--boot-timeout "$TIMEOUT_MS" -q --json "$tmp/f.json" >/dev/null
		lost=$(get "$tmp/f.json" "d['iterations_run'] - d['passed']")
		rate=$(get "$tmp/f.json" "round(d['sync_rate_hz'])")
		med="-"
		if [ "$policy" != fixed ]; then
			times=()
			for r in $(seq 1 "$RUNS"); do
				$HV --sync-policy "$policy" --sync-hammer max --cpus "$n" --duration 60 \
					--stop-on-failure --boot-timeout "$TIMEOUT_MS" -q \
					--json "$tmp/t.json" >/dev/null
				times+=("$(get "$tmp/t.json" "d['first_failure']['seconds'] if d['first_failure'] else 'none'")")
			done
			med=$(python3 -c 'import statistics,sys; v=[float(x) for x in sys.argv[1:] if x!="none"]; print("%.2f (%d/%d failed)" % (statistics.median(v), len(v), len(sys.argv)-1) if v else "none in 60 s")' "${times[@]}")
		fi
		echo "| $policy | $n | $BOOTS | $lost | $(python3 -c "print(round(100*$lost/$BOOTS,1))") | $rate | $med |"
	done
done
