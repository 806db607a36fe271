#!/usr/bin/env bash
# Whole-process cost of `igw-monitoring render`: wall time (hyperfine, from Debian's packages)
# and peak memory (/usr/bin/time), for the default bundle and fleets of 1,000 and 10,000 targets.
#   scripts/bench-process.sh            (builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p igw-monitoring-cli
bin=target/release/igw-monitoring
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for n in 1000 10000; do
  {
    echo "targets:"
    for ((i = 0; i < n; i++)); do
      printf '  - name: t%d\n    namespace: ns%d\n    selector: {matchLabels: {app: epp-%d}}\n' "$i" $((i % 50)) "$i"
    done
  } > "$dir/fleet-$n.yaml"
done
command -v hyperfine > /dev/null || { echo "hyperfine missing: apt-get install hyperfine" >&2; exit 2; }
hyperfine -N --warmup 10 --runs 100 \
  "$bin render" "$bin render --config $dir/fleet-1000.yaml" "$bin render --config $dir/fleet-10000.yaml"
for args in "" "--config $dir/fleet-1000.yaml" "--config $dir/fleet-10000.yaml"; do
  # shellcheck disable=SC2086 # the arguments are meant to split
  /usr/bin/time -f "peak memory %M KiB: render $args" "$bin" render $args > /dev/null
done
