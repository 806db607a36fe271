#!/usr/bin/env bash
# The Helm 4 plugin as a release tarball: igw-monitoring/{plugin.yaml, post-render.sh,
# bin/igw-monitoring}, byte-identical for the same binary (sorted entries, fixed times and
# owners, gzip without a name or time). Install: helm plugin install FILE --verify=false (or
# sign it: helm looks for FILE.prov beside it).
#   [BIN=path/to/igw-monitoring] scripts/helm-plugin-tarball.sh [OUT.tgz]
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^version: //p' plugins/helm/plugin.yaml)
out=${1:-target/igw-monitoring-helm-plugin-$version-$(uname -s | tr A-Z a-z)-$(uname -m).tgz}
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked -q -p igw-monitoring-cli
  BIN=target/release/igw-monitoring
fi
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/igw-monitoring/bin"
cp plugins/helm/plugin.yaml plugins/helm/post-render.sh "$stage/igw-monitoring/"
cp "$BIN" "$stage/igw-monitoring/bin/igw-monitoring"
chmod 0755 "$stage/igw-monitoring/post-render.sh" "$stage/igw-monitoring/bin/igw-monitoring"
chmod 0644 "$stage/igw-monitoring/plugin.yaml"
mkdir -p "$(dirname "$out")"
tar -C "$stage" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - igw-monitoring |
  gzip -n > "$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
