#!/usr/bin/env bash
# Browser journeys in Debian's Chromium driven by Playwright. Screenshots on failure go to
# test-results/. Under CI=true a missing Chromium is a failure, not a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
chromium="${JIXIAO_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "[test-browser] FAILED: $chromium not found (apt-get install chromium)." >&2
    exit 1
  fi
  echo "[test-browser] SKIPPED: $chromium not found." >&2
  exit 0
fi
export JIXIAO_CHROMIUM="$chromium"
export DJANGO_ALLOW_ASYNC_UNSAFE=true
exec .venv/bin/pytest -q -m browser tests/browser --screenshot only-on-failure --output test-results
