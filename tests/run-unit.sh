#!/bin/sh
# Runs the cmocka unit-test binaries given as arguments and sums their
# results.  VALGRIND=1 runs each under valgrind, failing on any error or
# leak.  Exits non-zero if any test failed or any binary crashed.
set -u
passed=0
failed=0
crashed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for t in "$@"; do
	if [ "${VALGRIND:-0}" = 1 ]; then
		valgrind -q --error-exitcode=99 --leak-check=full \
		    --errors-for-leak-kinds=definite,indirect "$t" >"$out" 2>&1
	else
		"$t" >"$out" 2>&1
	fi
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ "$rc" -ne 0 ] || [ -z "$p" ]; then
		cat "$out"
		[ -n "$f" ] || crashed=$((crashed + 1))
		echo "FAIL: $t (exit $rc)"
	else
		echo "ok: ${t##*/} (${p} tests)"
	fi
done
[ "$crashed" -eq 0 ] || echo "$crashed test binaries crashed or reported errors"
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$crashed" -eq 0 ]
