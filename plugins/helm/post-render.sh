#!/bin/sh
# Helm 4 runs this with each --post-renderer-args value as one argument. The binary: the
# release tarball's bin/igw-monitoring beside this file, else $IGW_MONITORING, else the one on
# PATH. Helm 4 shows none of a plugin's stderr: give --report=FILE to read why it refused.
set -eu
bin="${HELM_PLUGIN_DIR:-$(dirname "$0")}/bin/igw-monitoring"
[ -x "$bin" ] || bin="${IGW_MONITORING:-igw-monitoring}"
exec "$bin" post-render "$@"
