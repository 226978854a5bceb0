#!/usr/bin/env bash
# Install Debian's chromium for the headless-browser test of the HTML report
# (tests/report/test_html_browser.py, which skips with a message when /usr/bin/chromium is missing).
#
# Idempotent: does nothing when chromium is already installed. Exits 0 with a message (and the test
# then skips) when apt-get is unavailable or the install cannot be done (not root, no sudo, a failing
# mirror): the browser test is an extra check, never a reason for CI to fail before testing.
set -uo pipefail

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}  # overridable, for testing this script

if [ -x "$CHROMIUM" ]; then
    echo "install_chromium: $("$CHROMIUM" --version 2>/dev/null || echo chromium) already installed at $CHROMIUM"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_chromium: apt-get not available; skipping (tests/report/test_html_browser.py will skip)"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "install_chromium: not root and no password-less sudo; skipping (the browser test will skip)"
        exit 0
    fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "install_chromium: apt-get update"
if ! $SUDO apt-get update -qq; then
    echo "install_chromium: apt-get update failed; skipping (the browser test will skip)"
    exit 0
fi
echo "install_chromium: apt-get install chromium fonts-dejavu-core"
if ! $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; then
    echo "install_chromium: apt-get install chromium failed; skipping (the browser test will skip)"
    exit 0
fi

if [ -x "$CHROMIUM" ]; then
    echo "install_chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium) at $CHROMIUM"
else
    echo "install_chromium: the chromium package installed no $CHROMIUM; the browser test will skip"
fi
exit 0
