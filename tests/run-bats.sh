#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs the bats suites as TAP and ends with one "N passed, N failed" line.
set -o pipefail
out=$(mktemp)
trap 'rm -f "$out"' EXIT
bats --tap "$@" | tee "$out"
rc=$?
pass=$(grep -cE '^ok [0-9]+' "$out" | tr -d ' ')
skip=$(grep -cE '^ok [0-9]+ .*# skip' "$out" | tr -d ' ')
fail=$(grep -cE '^not ok [0-9]+' "$out" | tr -d ' ')
echo "bats: $((pass - skip)) passed, $fail failed, $skip skipped"
exit $rc
