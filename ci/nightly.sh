#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Nightly job for bare-metal runners: a long soak at several sizes on hvsmoke's
# own VMM, then the host's QEMU under the monitor hammer with each IPI pattern
# (QEMU_SIZES, QEMU_DURATION; QEMU_ACCEL=kvm by default), with JSON and JUnit
# kept per run under $OUT. Exit status is the worst of the runs (4 = skipped).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-build/nightly}
DURATION=${DURATION:-300}
SIZES=${SIZES:-"2 4 8 64"}
mkdir -p "$OUT"
make -s all || exit 2

worst=0
# 1 (a failed check) outranks 4 (skip) and 2 (setup error) outranks both
account() {
	case $1 in
	0) ;;
	4) [ "$worst" -eq 0 ] && worst=4 ;;
	1) [ "$worst" -ne 2 ] && worst=1 ;;
	*) worst=2 ;;
	esac
}

for n in $SIZES; do
	build/hvsmoke run --cpus "$n" --duration "$DURATION" --sync-hammer "${HAMMER:-max}" -q \
		--json "$OUT/cpus$n.json" --junit "$OUT/cpus$n.xml" > "$OUT/cpus$n.tap"
	rc=$?
	tail -2 "$OUT/cpus$n.tap"
	account $rc
done

# The VMM users deploy: the host's QEMU, hammered as the seeds' monitor did.
for n in ${QEMU_SIZES:-2 4}; do
	for p in hvsmoke seabios mp-spec; do
		name="qemu-cpus$n-$p"
		build/hvsmoke qemu --qemu-accel "${QEMU_ACCEL:-kvm}" --cpus "$n" --ipi-pattern "$p" \
			--duration "${QEMU_DURATION:-$DURATION}" --sync-hammer "${HAMMER:-max}" -q \
			--json "$OUT/$name.json" --junit "$OUT/$name.xml" > "$OUT/$name.tap"
		rc=$?
		tail -3 "$OUT/$name.tap"
		account $rc
	done
done
exit "$worst"
