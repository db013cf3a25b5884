#!/usr/bin/env bash
# Fuzzes one DeviceFuzzTest target with Jazzer for N minutes, then adds the inputs it found to the seed corpus in
# src/test/resources (crashing inputs land there directly, as Jazzer does). The normal test run replays the corpus.
#
#   reliability/fuzz.sh descriptor 10      # targets: descriptor batchList deltaRecord difTuples accelConfigJson
set -euo pipefail
target=${1:?usage: fuzz.sh TARGET [MINUTES]  (TARGET: descriptor batchList deltaRecord difTuples accelConfigJson)}
minutes=${2:-5}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
case "$target" in
  descriptor|batchList|deltaRecord|difTuples|accelConfigJson) ;;
  *) echo "fuzz.sh: unknown target '$target' (descriptor batchList deltaRecord difTuples accelConfigJson)" >&2; exit 2 ;;
esac
[[ "$minutes" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: MINUTES must be a positive integer (got: $minutes)" >&2; exit 2; }
# The same JDK rule as ./softdsa: JAVA_HOME if it is a JDK 25 or newer, else the first one under /usr/lib/jvm.
java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | cut -d. -f1; }
jdk=""
if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]] && [ "$(java_major "$JAVA_HOME")" -ge 25 ] 2>/dev/null; then
  jdk=$JAVA_HOME
else
  for candidate in /usr/lib/jvm/*; do
    if [[ -x "$candidate/bin/javac" ]] && [ "$(java_major "$candidate")" -ge 25 ] 2>/dev/null; then
      jdk=$candidate; break
    fi
  done
fi
if [[ -z "$jdk" ]]; then
  echo "fuzz.sh needs a JDK 25 or newer in JAVA_HOME or under /usr/lib/jvm (see ./softdsa for how to install one)" >&2
  exit 1
fi
if [[ -n "${JAVA_HOME:-}" && "$jdk" != "$JAVA_HOME" ]]; then
  echo "fuzz.sh: JAVA_HOME=$JAVA_HOME is not a JDK 25 or newer; using $jdk" >&2
fi
export JAVA_HOME=$jdk
export MAVEN_OPTS="${MAVEN_OPTS:-} -Djansi.noreset=true --sun-misc-unsafe-memory-access=allow"
cd "$root"
# -am: fuzz the engine of this checkout, not an installed copy.
JAZZER_FUZZ=1 JAZZER_MAX_DURATION="${minutes}m" JAZZER_INSTRUMENTATION_INCLUDES='io.softdsa.**' \
  mvn -B -q -Dstyle.color=never -pl reliability -am test -Dtest="DeviceFuzzTest#$target" \
  -Dsurefire.failIfNoSpecifiedTests=false -Dsoftdsa.quietTests=false
generated="$here/.cifuzz-corpus/io.softdsa.reliability.fuzz.DeviceFuzzTest/$target"
corpus="$here/src/test/resources/io/softdsa/reliability/fuzz/DeviceFuzzTestInputs/$target"
mkdir -p "$corpus"
added=0
if [[ -d "$generated" ]]; then
  for f in "$generated"/*; do
    [[ -f "$f" ]] || continue
    name=$(basename "$f")
    if [[ ! -e "$corpus/$name" ]]; then
      cp "$f" "$corpus/$name"
      added=$((added + 1))
    fi
  done
fi
echo "fuzz.sh: $target fuzzed for $minutes min; $added new inputs added to $corpus ($(ls "$corpus" | wc -l) in all)"
