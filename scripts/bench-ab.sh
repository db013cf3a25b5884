#!/usr/bin/env bash
# ./softdsa bench-ab REV_A REV_B [ROUNDS]: before / after of two builds. Each revision is checked out into a worktree
# of its own and built there; then QuickRun runs alternate A B, B A, A B, ... (ROUNDS pairs, default 3), each
# writing its JSON, and BuildComparison pairs run i of A with run i of B, keeping only pairs whose cross-core
# hand-off was in one mode of the machine (see benchmarks/README.md). Nothing else should run meanwhile.
# Called by ./softdsa after it found the JDK and built this tree (JAVA_HOME is set); exit 0 done, 1 a run failed.
set -euo pipefail
rev_a="$1"; rev_b="$2"; rounds="${3:-3}"
root="$(pwd)"
out="$root/results/bench-ab-$(date -u +%Y%m%dT%H%M%SZ)"
work="$(mktemp -d "${TMPDIR:-/tmp}/softdsa-bench-ab.XXXXXX")"
cleanup() {
  git -C "$root" worktree remove --force "$work/a" >/dev/null 2>&1 || true
  git -C "$root" worktree remove --force "$work/b" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$out"
for side in a b; do
  rev="$rev_a"; [ "$side" = b ] && rev="$rev_b"
  git -C "$root" worktree add --detach --quiet "$work/$side" "$rev"
  echo "bench-ab: $side = $rev ($(git -C "$work/$side" rev-parse --short HEAD)), building ..." >&2
  # each worktree builds its own jars (package, never install: the two builds share a Maven repository)
  (cd "$work/$side" && ./softdsa bench --list >/dev/null)
done
files=()
for ((r = 1; r <= rounds; r++)); do
  order="a b"; [ $((r % 2)) -eq 0 ] && order="b a"
  for side in $order; do
    echo "bench-ab: round $r of $rounds, $side ($(date -u +%H:%M:%S) UTC)" >&2
    (cd "$work/$side" && ./softdsa bench --json "$out/$side-$r.json" > "$out/$side-$r.txt")
  done
  files+=("$out/a-$r.json" "$out/b-$r.json")
done
"$JAVA_HOME/bin/java" -cp "$root/benchmarks/target/benchmarks.jar" io.softdsa.bench.report.BuildComparison \
  --a "$rev_a" --b "$rev_b" "${files[@]}" | tee "$out/comparison.txt"
echo "bench-ab: every run's table and JSON are in ${out#"$root"/}" >&2
