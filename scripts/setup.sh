#!/usr/bin/env bash
# Installs what workflow-chat needs to build, run and test, and skips what is
# already present, so a second run takes seconds. Debian (bookworm) as root.
#
#   bash scripts/setup.sh
#
# Nothing is downloaded outside the package registries (Debian, crates.io,
# npm): trunk is told never to fetch its own tools.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }
die() { printf '\033[1;31msetup:\033[0m %s\n' "$*" >&2; exit 1; }

# Versions. trunk 0.22 needs a newer rustc than the machine's; wasm-bindgen-cli
# must equal the wasm-bindgen crate in Cargo.lock or the built wasm is refused.
trunk_version="0.21.14"
wasm_bindgen_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock 2>/dev/null || true)"
wasm_bindgen_version="${wasm_bindgen_version:-0.2.130}"
pg_major=15

apt_packages=(
    "postgresql-$pg_major"                  # server, initdb, pgcrypto and the other contrib modules
    "postgresql-$pg_major-pgtap"            # SQL tests
    "libtap-parser-sourcehandler-pgtap-perl" # pg_prove
    "postgresql-$pg_major-plpgsql-check"    # static checks of every PL/pgSQL function
    chromium                                # browser for the wasm and end-to-end tests
    chromium-driver                         # WebDriver for wasm-bindgen-test-runner
    fonts-noto-color-emoji                  # emoji in reactions and messages, in tests and screenshots
    ca-certificates
)

# --- Debian packages -------------------------------------------------------

missing_apt=()
for pkg in "${apt_packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        missing_apt+=("$pkg")
    fi
done

if ((${#missing_apt[@]})); then
    if ! command -v apt-get >/dev/null; then
        die "no apt-get here; install these (or your system's equivalents) and rerun: ${missing_apt[*]}"
    fi
    [[ $(id -u) -eq 0 ]] || die "installing ${missing_apt[*]} needs root; rerun as root or install them yourself"
    say "installing Debian packages: ${missing_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing_apt[@]}" >/dev/null
fi

# Debian's binaryen ships wasm-opt 108, which silently produces broken wasm.
if dpkg-query -W -f='${Status}' binaryen 2>/dev/null | grep -q 'install ok installed'; then
    say "warning: Debian's binaryen is installed; its wasm-opt is never used (tests/node_modules/.bin comes first on PATH)"
fi

# --- Node.js ---------------------------------------------------------------

command -v node >/dev/null && command -v npm >/dev/null \
    || die "Node.js >= 20 with npm is required (Debian bookworm's nodejs is 18: install Node 20 or newer)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
((node_major >= 20)) || die "Node.js >= 20 is required, found $(node --version)"

# npm ci only when the lockfile changed since the last install.
lock_stamp="tests/node_modules/.lock-sha256"
lock_sum="$(sha256sum tests/package-lock.json | cut -d' ' -f1)"
if [[ ! -f $lock_stamp || $(cat "$lock_stamp") != "$lock_sum" ]]; then
    say "installing Node packages from tests/package-lock.json"
    npm ci --prefix tests --no-audit --no-fund --loglevel=error
    echo "$lock_sum" >"$lock_stamp"
fi

# --- Rust ------------------------------------------------------------------

command -v cargo >/dev/null && command -v rustup >/dev/null \
    || die "Rust with rustup is required (https://rustup.rs); then rerun this script"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi
for component in rustfmt clippy; do
    if ! rustup component list --installed | grep -q "^$component"; then
        say "adding rustup component $component"
        rustup component add "$component"
    fi
done

installed_version() { "$1" --version 2>/dev/null | awk '{ print $2 }'; }

if [[ $(installed_version trunk) != "$trunk_version" ]]; then
    say "installing trunk $trunk_version (several minutes on 2 cores)"
    cargo install trunk --version "$trunk_version" --locked --quiet
fi
if [[ $(installed_version wasm-bindgen) != "$wasm_bindgen_version" ]]; then
    # Without --locked: the CLI's own lockfile pins a crate the registry lacks.
    say "installing wasm-bindgen-cli $wasm_bindgen_version"
    cargo install wasm-bindgen-cli --version "$wasm_bindgen_version" --force --quiet
fi

say "ready"
