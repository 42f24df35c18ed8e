#!/usr/bin/env bash
# Takes a screenshot of a run's report.html in a real headless browser (Debian's chromium),
# to check that the self-contained report renders with its figures.
#
#   scripts/screenshot-report.sh out/spike            # -> out/spike/report-screenshot.png
#   scripts/screenshot-report.sh out/spike/report.html shot.png
#
# Installs chromium with apt-get when it is missing (needs root, as in CI containers).
# The browser runs with networking features off and a throw-away profile; the report
# needs no network (figures and CSS are inlined).
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $0 RUN_DIR|REPORT_HTML [SCREENSHOT_PNG]" >&2
    exit 2
fi
report="$1"
if [[ -d "$report" ]]; then
    report="$report/report.html"
fi
if [[ ! -f "$report" ]]; then
    echo "$0: $report: no such file (render the run first: capsim plot DIR)" >&2
    exit 2
fi
shot="${2:-$(dirname "$report")/report-screenshot.png}"
width="${SCREENSHOT_WIDTH:-1400}"
height="${SCREENSHOT_HEIGHT:-3000}"

browser=""
for b in chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null 2>&1; then
        browser="$b"
        break
    fi
done
if [[ -z "$browser" ]]; then
    echo "$0: installing chromium (apt-get)" >&2
    sudo_cmd=""
    if [[ $(id -u) -ne 0 ]]; then
        sudo_cmd="sudo"
    fi
    $sudo_cmd apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y --no-install-recommends chromium
    browser=chromium
fi

profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
abs_report="$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"
mkdir -p "$(dirname "$shot")"
abs_shot="$(cd "$(dirname "$shot")" && pwd)/$(basename "$shot")"

"$browser" --headless --no-sandbox --disable-gpu \
    --disable-background-networking --disable-component-update --no-first-run \
    --hide-scrollbars --user-data-dir="$profile" \
    --screenshot="$abs_shot" --window-size="$width,$height" \
    "file://$abs_report" >/dev/null 2>&1 || true

if [[ ! -s "$abs_shot" ]]; then
    echo "$0: $browser wrote no screenshot" >&2
    exit 1
fi
echo "$abs_shot"
