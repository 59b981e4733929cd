# SPDX-License-Identifier: GPL-2.0-only
# Shared by the bats suites: where things are, and skips for missing host features.
ROOT="$(cd "$(dirname "${BATS_TEST_FILENAME}")/.." && pwd)"
# HVSMOKE_BUILD: another build directory (make B=DIR), so two builds can be tested side by side
BUILD="${HVSMOKE_BUILD:-$ROOT/build}"
HV="$BUILD/hvsmoke"
FW="$BUILD/guestfw.bin"
FW_NOSIPI="$BUILD/guestfw-nosipi.bin"
TESTFW="$BUILD/testfw"

require_kvm() {
	if [ ! -e "${HVSMOKE_KVM_DEVICE:-/dev/kvm}" ]; then
		skip "no /dev/kvm on this host"
	fi
}

require_qemu() {
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
}

# The value of a top-level key of a JSON file, via python3's json module.
json_get() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[k]
print(json.dumps(d) if isinstance(d,(dict,list)) else d)' "$1" "$2"
}

# Poll FILE until it has a line matching the grep pattern, for at most SECONDS.
# Returns 1 if it never did (the callers' own assertions then say what is missing).
wait_for_grep() {
	local pattern="$1" file="$2" seconds="$3" i

	for ((i = 0; i < seconds * 100; i++)); do
		grep -q -- "$pattern" "$file" 2>/dev/null && return 0
		sleep 0.01
	done
	return 1
}

# Every JSON a test leaves in its BATS_TEST_TMPDIR is checked against the
# schema (vmm/schema/hvsmoke.schema.json) after the test: a field the code
# writes and the schema does not describe fails the test that wrote it.
# Deliberately broken inputs go under a hand-made/ directory, which is not
# checked. A suite with its own per-test cleanup defines suite_teardown.
teardown() {
	local rc=0 out

	if declare -F suite_teardown >/dev/null; then
		suite_teardown || rc=$?
	fi
	if [ -n "$(find "$BATS_TEST_TMPDIR" -name hand-made -prune -o -name '*.json' -print -quit 2>/dev/null)" ]; then
		if ! out=$(python3 "$ROOT/tests/tools/schema_check.py" "$BATS_TEST_TMPDIR" 2>&1); then
			echo "# schema: $out" >&3
			echo "$out"
			rc=1
		fi
	fi
	return $rc
}
