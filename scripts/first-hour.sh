#!/usr/bin/env bash
# The first hour of a new user, replayed: clone this repository (its committed HEAD) into a temporary directory, use an
# empty Maven local repository (everything comes from Maven Central), and run every command the READMEs show,
# checking each exit code and that the output names what the README promises. Slow (a cold build, the whole test
# suite, the benchmarks): it is `./softdsa first-hour`, not part of `./softdsa test`.
#   scripts/first-hour.sh            the README commands (~15 min on 2 cores)
#   FIRST_HOUR_FULL=1 scripts/...    also report --quick, flame, fuzz.sh and the module READMEs' Maven commands
#   FIRST_HOUR_KEEP=1                keep the temporary directory (its path is printed)
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/softdsa-first-hour.XXXXXX)
trap '[ -n "${FIRST_HOUR_KEEP:-}" ] || rm -rf "$tmp"' EXIT
git clone -q "$src" "$tmp/softdsa" || { echo "first-hour: cannot clone $src" >&2; exit 1; }
mkdir -p "$tmp/m2" "$tmp/logs"
export MAVEN_OPTS="${MAVEN_OPTS:-} -Dmaven.repo.local=$tmp/m2"
cd "$tmp/softdsa"
echo "first-hour: clone of $(git -C "$src" rev-parse --short HEAD) in $tmp, empty Maven repository $tmp/m2"

passed=0
failed=0
# step NAME EXPECTED_EXIT REGEX COMMAND...: the command's stdout+stderr must match REGEX (grep -E).
step() {
  local name="$1" want="$2" regex="$3"; shift 3
  local log="$tmp/logs/$name.log" start rc
  start=$(date +%s)
  "$@" >"$log" 2>&1 </dev/null
  rc=$?
  local took=$(( $(date +%s) - start ))
  if [ "$rc" -eq "$want" ] && grep -Eq -- "$regex" "$log"; then
    passed=$((passed + 1)); printf 'ok    %-28s exit %d, %4d s\n' "$name" "$rc" "$took"
  else
    failed=$((failed + 1)); printf 'FAIL  %-28s exit %d (want %d), %4d s, /%s/ %s\n' "$name" "$rc" "$want" "$took" \
      "$regex" "$(grep -Eq -- "$regex" "$log" && echo found || echo 'not found')"
    tail -5 "$log" | sed 's/^/      | /'
  fi
}

step help               0 '^usage: \./softdsa COMMAND'           ./softdsa help
step bare               0 '^usage: \./softdsa COMMAND'           ./softdsa
step unknown-command    2 "unknown command 'bogus'"              ./softdsa bogus
step bad-args-sva       2 'a positive number is required'        ./softdsa sva abc
step bad-args-vdev      2 'takes no arguments'                   ./softdsa example-vdev --bogus
step bench              0 'memmove'                 ./softdsa bench
step test               0 '^total: [0-9]+ passed, 0 failed, [0-9]+ skipped$' ./softdsa test
step example            0 'memmove: success'                     ./softdsa example
step example-sva        0 'success, destination matches'         ./softdsa example-sva
step example-vdev       0 'guest driver'                           ./softdsa example-vdev
step sva                0 'SVA overhead'                                ./softdsa sva 1
step side-by-side       0 'path +bytes'                       ./softdsa side-by-side
step jmh-list           0 'DsaDataOps\.memmove'                  ./softdsa jmh -l
step config-list        0 '"grouped_workqueues"'                 ./softdsa config list
step config-list-file   0 '"dev" : "wq0\.'                       ./softdsa --config config/src/test/resources/accel-config/section16-sample.json config list
step config-check-good  0 ': ok$'                                ./softdsa config check config/src/test/resources/accel-config/section16-sample.json
step config-check-bad   1 'invalid mode'                         ./softdsa config check config/src/test/resources/accel-config/bad/unknown-mode.json
step perf               0 '^GB per sec = [0-9.]+ cpu [0-9.]+ kopsrate = [0-9]+$' ./softdsa perf -n32 -s4k -i1000 -w0 -o3
step perf-swq-batch     0 '^GB per sec = '                       ./softdsa perf -n64 -b8 -s64k -i100 -w1 -o3
# stat: a perf run that keeps a counters file, read by ./softdsa stat from another JVM while it runs
stat_file="$tmp/softdsa.counters"
./softdsa perf -n32 -s4k -i -1 -T 30 -w1 --counters "$stat_file" >"$tmp/logs/stat-writer.log" 2>&1 </dev/null &
stat_writer=$!
for _ in $(seq 1 240); do [ -e "$stat_file" ] && break; sleep 0.5; done
step stat-once          0 'dsa0 wq0\.0 completed: success'       ./softdsa stat "$stat_file" --once
step stat-refresh     124 'per second'                           timeout 15 ./softdsa stat "$stat_file" --interval 1000
wait "$stat_writer"
step stat-closed        0 'device closed at'                     ./softdsa stat "$stat_file" --once
step stat-missing       2 'no such file'                         ./softdsa stat "$tmp/no.counters"
step stress             0 'ALL INVARIANTS HELD'                  ./softdsa stress --seconds 5
step stress-bad-args    2 '.'                                    ./softdsa stress --bogus
step bench-ab-bad-args  2 'not a commit'                         ./softdsa bench-ab HEAD no-such-revision
step jmh-jar-direct     0 'DsaDataOps'                           "${JAVA_HOME:+$JAVA_HOME/bin/}java" -jar benchmarks/target/benchmarks.jar -l
if [ -n "${FIRST_HOUR_FULL:-}" ]; then
  step report-quick     0 'report\.html'                         ./softdsa report --quick
  step flame            0 'results/flame/'                       ./softdsa flame DsaDataOps.memmove -p size=4096
  step bench-ab         0 'HEAD~1 vs HEAD: 1 pairs'              ./softdsa bench-ab HEAD~1 HEAD 1
  step fuzz             0 'fuzz\.sh: accelConfigJson fuzzed'     reliability/fuzz.sh accelConfigJson 1
  step mvn-benchmarks   0 '.*'                                   mvn -q -pl benchmarks -am package -DskipTests
  step mvn-reliability  0 '.*'                                   mvn -q -pl reliability -am test -Dsurefire.failIfNoSpecifiedTests=false
fi
echo "first-hour: $passed passed, $failed failed (logs in $tmp/logs$([ -n "${FIRST_HOUR_KEEP:-}" ] || echo ', removed'))"
[ "$failed" -eq 0 ]
