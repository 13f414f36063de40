#!/usr/bin/env bash
# Sets up what is missing, builds the app and runs it on devstack with demo
# data. Arguments go to `devstack up` (e.g. --port 8080, --data-dir /tmp/wc).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bash scripts/setup.sh
bold "== building the app"
build_app
bold "== starting devstack"
devstack up "$@"
