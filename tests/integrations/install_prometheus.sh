#!/usr/bin/env bash
# Puts Debian's Prometheus (prometheus + promtool) in a cache outside the checkout, for the
# metrics tests: `apt-get download` + `dpkg-deb -x`, never `apt-get install`, because the
# package's maintainer scripts start a service listening on :9090 on every interface.
# Idempotent (a re-run with it present takes milliseconds); prints the bin dir last.
# --check installs nothing: prints the bin dir, or what is missing and exits 1.
set -euo pipefail
CACHE=${LLMCOST_PROMETHEUS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llmcost-prometheus}
BIN="$CACHE/root/usr/bin"
ready() { "$BIN/promtool" --version >/dev/null 2>&1 && "$BIN/prometheus" --version >/dev/null 2>&1; }
if [ "${1:-}" = --check ]; then
  ready || { echo "not installed: prometheus/promtool ($CACHE; run $0)" >&2; exit 1; }
  echo "$BIN"; exit 0
fi
if ready; then echo "$BIN"; exit 0; fi
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
command -v flock >/dev/null && flock 9
if ! ready; then
  work=$(mktemp -d "$CACHE/dl.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  # apt-get download writes to the current dir; as root it warns that _apt cannot read it
  chmod 755 "$work"
  (cd "$work" && { apt-get download prometheus >&2 \
    || { apt-get update -qq >&2 && apt-get download prometheus >&2; }; })
  rm -rf "$CACHE/root"
  dpkg-deb -x "$work"/prometheus_*.deb "$CACHE/root"
  ready || { echo "prometheus extracted but does not run" >&2; exit 1; }
fi
echo "$BIN"
