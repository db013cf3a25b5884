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
if [[ -z "${JAVA_HOME:-}" || ! -x "$JAVA_HOME/bin/java" ]]; then
  JAVA_HOME=$(ls -d /usr/lib/jvm/*25* 2>/dev/null | head -1)
  export JAVA_HOME
fi
cd "$root"
JAZZER_FUZZ=1 JAZZER_MAX_DURATION="${minutes}m" JAZZER_INSTRUMENTATION_INCLUDES='io.softdsa.**' \
  mvn -q -pl reliability test -Dtest="DeviceFuzzTest#$target" -Dsurefire.failIfNoSpecifiedTests=false
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
