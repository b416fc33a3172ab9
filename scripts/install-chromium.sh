#!/bin/sh
# Install headless Chromium and its WebDriver (Debian packages chromium + chromium-driver) for
# the report's browser test (tests/report/test_chromium.py). Idempotent: does nothing when both
# /usr/bin/chromium and /usr/bin/chromedriver exist. Uses apt-get directly as root, sudo
# otherwise.
set -eu

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "install-chromium.sh: not root and no sudo; install the Debian packages" \
         "chromium and chromium-driver by hand" >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-chromium.sh: apt-get not found; install Chromium and chromedriver so that" \
         "/usr/bin/chromium and /usr/bin/chromedriver exist" >&2
    exit 1
fi

echo "installing chromium and chromium-driver (for the report's browser test)..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    chromium chromium-driver
test -x /usr/bin/chromium && test -x /usr/bin/chromedriver
