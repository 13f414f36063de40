#!/usr/bin/env bash
# Sets up what is missing, then runs every test layer. Exits non-zero on the
# first failing layer and prints the time each layer took.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bash scripts/setup.sh

# The official client against a fresh stack, once with today's keys
# (publishable and secret keys, ES256 user tokens) and once with the legacy
# JWT keys and HS256 tokens. Node 20 needs the flag for the global WebSocket
# that realtime-js expects; --test-force-exit ends the run when the tests
# are done instead of waiting out realtime-js's own timers.
conformance() {
    local keys
    for keys in current legacy; do
        bold "   keys: $keys"
        CONFORMANCE_KEYS=$keys devstack exec -- node --experimental-websocket \
            --disable-warning=ExperimentalWarning \
            --test --test-force-exit --test-concurrency=1 tests/conformance/*.mjs
    done
}

timings=()
layer() {
    local name="$1"; shift
    bold "== $name"
    local start=$SECONDS
    "$@"
    timings+=("$(printf '%4ds  %s' $((SECONDS - start)) "$name")")
}

layer "format"                 cargo fmt --all --check
layer "clippy (native)"        cargo clippy --workspace --all-targets --quiet -- -D warnings
layer "clippy (wasm)"          cargo clippy -p workflow-chat --target wasm32-unknown-unknown --all-targets --quiet -- -D warnings
layer "unit and integration"   cargo test --workspace --quiet
layer "SQL (pgTAP)"            devstack exec -- pg_prove --ext .sql tests/sql/
layer "supabase-js conformance" conformance
layer "wasm in Chromium"       devstack exec --seed -- cargo test -p workflow-chat --target wasm32-unknown-unknown --test 'web_*' --test 'client_*'
layer "app build"              build_app
layer "end to end in Chromium" devstack exec --seed -- node --test --test-concurrency=1 tests/e2e/

bold "== all layers passed"
printf '%s\n' "${timings[@]}"
