#!/usr/bin/env bash
# Install Debian packages a test needs (e.g. chromium for the report's browser test) when they
# are missing, the way a test starts what it needs. Needs root and apt; prints nothing on
# success; exits non-zero (and the test skips) when the packages cannot be had.
# Usage: scripts/ensure-apt.sh <command-to-check> <package...>
set -euo pipefail
check=$1; shift
command -v "$check" >/dev/null 2>&1 && exit 0
[ "$(id -u)" = 0 ] || { echo "ensure-apt: $check missing and not root" >&2; exit 3; }
command -v apt-get >/dev/null || { echo "ensure-apt: no apt-get" >&2; exit 4; }
export DEBIAN_FRONTEND=noninteractive
log=/tmp/refinery-apt-$check.log
(apt-get update -q -o DPkg::Lock::Timeout=600 && apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "$@") >"$log" 2>&1 \
  || { echo "ensure-apt: apt-get install $* failed (see $log)" >&2; exit 5; }
command -v "$check" >/dev/null 2>&1
