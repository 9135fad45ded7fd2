#!/usr/bin/env bash
# Before `npm test`: the RADIUS tests use Debian's FreeRADIUS as the customer's password server
# (freeradius) and as the gateway (radclient, from freeradius-utils). Installs the packages when
# they are missing and this is a Debian machine we may install on (root, apt-get); otherwise says
# what to do and lets the rest of the suite run. The package's own service is not used: the tests
# start FreeRADIUS with a configuration of their own on free ports.
set -euo pipefail
if command -v freeradius >/dev/null 2>&1 && command -v radclient >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "FreeRADIUS not found: installing Debian's freeradius and freeradius-utils for the RADIUS tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq freeradius freeradius-utils >/dev/null
  exit 0
fi
echo "FreeRADIUS not found: install it (Debian/Ubuntu: sudo apt-get install freeradius freeradius-utils); the RADIUS tests will fail without it" >&2
exit 0
