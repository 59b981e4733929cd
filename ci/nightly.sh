#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Nightly job for bare-metal runners: a long soak at several sizes, with JSON and
# JUnit kept per size under $OUT. Exit status is the worst of the runs (4 = skipped).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-build/nightly}
DURATION=${DURATION:-300}
SIZES=${SIZES:-"2 4 8 64"}
mkdir -p "$OUT"
make -s all || exit 2

worst=0
for n in $SIZES; do
	build/hvsmoke run --cpus "$n" --duration "$DURATION" --sync-hammer "${HAMMER:-max}" -q \
		--json "$OUT/cpus$n.json" --junit "$OUT/cpus$n.xml" > "$OUT/cpus$n.tap"
	rc=$?
	tail -2 "$OUT/cpus$n.tap"
	# 1 (a failed check) outranks 4 (skip) and 2 (setup error) outranks both
	case $rc in
	0) ;;
	4) [ "$worst" -eq 0 ] && worst=4 ;;
	1) [ "$worst" -ne 2 ] && worst=1 ;;
	*) worst=2 ;;
	esac
done
exit "$worst"
