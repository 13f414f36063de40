# Shared by the project's scripts: paths and the environment the tools need.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# binaryen 132 from npm must win over any other wasm-opt (Debian's 108 breaks the wasm).
export PATH="$root/tests/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"

bold() { printf '\033[1m%s\033[0m\n' "$*"; }

# The release build of the app into dist/.
build_app() { trunk build --release; }

# The devstack binary, built on demand.
devstack() {
    cargo build --quiet -p devstack
    "$root/target/debug/devstack" "$@"
}
