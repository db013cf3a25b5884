#!/usr/bin/env bash
# Renders the HTML benchmark report in a headless Chromium at a fixed size and writes a PNG screenshot, so the page
# (legends, log axes, the disturbance banner) can be checked by eye or by a test without opening a browser.
#   scripts/report-screenshot.sh REPORT.html OUT.png   render REPORT.html into OUT.png
#   scripts/report-screenshot.sh --which               print the browser it would use (exit 3 if none)
#   REPORT_SCREENSHOT_SIZE=1400,4000                   viewport width,height in CSS pixels (this is the default)
#   CHROMIUM=/path/to/browser                          use this browser instead of searching PATH
# Exit codes: 0 written, 1 the browser failed or wrote nothing, 2 usage, 3 no browser found.
set -uo pipefail

find_browser() {
  if [ -n "${CHROMIUM:-}" ]; then
    command -v "$CHROMIUM" && return 0
    echo "report-screenshot: CHROMIUM=$CHROMIUM is not an executable" >&2
    return 1
  fi
  local b
  for b in chromium chromium-browser google-chrome google-chrome-stable; do
    command -v "$b" && return 0
  done
  return 1
}

no_browser() {
  echo "report-screenshot: no headless browser found (looked for chromium, chromium-browser, google-chrome)." >&2
  echo "  Debian/Ubuntu: sudo apt-get install chromium   (Ubuntu may name it chromium-browser)" >&2
  echo "  Fedora: sudo dnf install chromium; macOS: brew install --cask chromium; or set CHROMIUM=/path" >&2
  exit 3
}

if [ "${1:-}" = "--which" ] && [ $# -eq 1 ]; then
  find_browser || no_browser
  exit 0
fi
if [ $# -ne 2 ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  echo "usage: scripts/report-screenshot.sh REPORT.html OUT.png   (or --which)" >&2
  exit 2
fi
report="$1"
out="$2"
if [ ! -f "$report" ]; then
  echo "report-screenshot: $report: no such file" >&2
  exit 2
fi
browser=$(find_browser) || no_browser
size="${REPORT_SCREENSHOT_SIZE:-1400,4000}"
abs_report="$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"
mkdir -p "$(dirname "$out")"
abs_out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
# A throw-away profile: a first run must not depend on (or write to) the user's browser profile.
profile=$(mktemp -d /tmp/softdsa-report-screenshot.XXXXXX)
trap 'rm -rf "$profile"' EXIT
rm -f "$abs_out"
# --no-sandbox: containers and CI often run as root, where Chromium refuses its sandbox. The page is our own
# self-contained report (no script, no network), so nothing untrusted runs in it.
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
  --disable-dev-shm-usage --user-data-dir="$profile" --window-size="$size" \
  --screenshot="$abs_out" "file://$abs_report" >"$profile/browser.log" 2>&1
rc=$?
if [ "$rc" -ne 0 ] || [ ! -s "$abs_out" ]; then
  echo "report-screenshot: $browser exited $rc without writing $out; its output:" >&2
  tail -20 "$profile/browser.log" >&2
  exit 1
fi
echo "report-screenshot: $out ($size px, $(wc -c <"$abs_out") bytes) from $report with $browser"
