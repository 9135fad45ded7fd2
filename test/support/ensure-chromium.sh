#!/usr/bin/env bash
# Before `npm test`: the browser tests drive Debian's Chromium (/usr/bin/chromium) with
# playwright-core, which downloads no browser. Installs the Debian package when it is missing and
# this is a Debian machine we may install on (root, apt-get); otherwise says what to do and
# lets the rest of the suite run.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Chromium not found: installing Debian's chromium package for the browser tests"
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  exit 0
fi
# Not ours to install: the other tests still run, and the browser test fails saying what is missing.
echo "Chromium not found: install it (Debian/Ubuntu: sudo apt-get install chromium); the browser tests will fail without it" >&2
exit 0
