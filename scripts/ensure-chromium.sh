#!/bin/sh
# The fallback browser for the real-browser tests: installs Debian's Chromium when it is
# missing. The tests first use the Chromium shipped inside the npm package @sparticuz/chromium
# (see test/browser/chromium.mjs); this is only needed where that binary cannot start.
# playwright-core drives either; nothing is downloaded by Playwright itself.
# Usage: sh scripts/ensure-chromium.sh   (as root, or with sudo available)
set -eu
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  "$CHROMIUM" --version 2>/dev/null || true
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM is missing and apt-get is not available; install Chromium and set CHROMIUM_PATH" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "ensure-chromium: need root (or sudo) to apt-get install chromium" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium
"$CHROMIUM" --version
