#!/usr/bin/env bash
# Whole-process cost of `igw-monitoring fleet` on a fleet of CLUSTERS clusters with PICKERS
# endpoint pickers each (default 1,000 x 10), side by side in one run with what users do without
# it: one `helm template` of an equivalent chart (scripts/helm-peer) per cluster. Wall time by
# hyperfine, peak memory by /usr/bin/time (both Debian packages), beside the peak of one
# cluster's render of CLUSTERS x PICKERS targets (10,000 by default). Before timing, the script
# checks that the overlays of a sample of clusters, built by kubectl's Kustomize, hold the
# objects helm renders for them.
# With DISK=DIR, also the write onto DIR's file system, beside `cp -r` of the same tree there
# (the floor any writer of those files pays), same preparation, in one run.
#   [DISK=DIR] scripts/bench-fleet.sh [CLUSTERS [PICKERS]]
# helm: HELM, or PATH, or ../shared/tools/get-helm.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
clusters=${1:-1000}
pickers=${2:-10}
cargo build --release -q -p igw-monitoring-cli
bin=$PWD/target/release/igw-monitoring
command -v hyperfine > /dev/null || { echo "hyperfine missing: apt-get install hyperfine" >&2; exit 2; }
helm=${HELM:-$(command -v helm || ../shared/tools/get-helm.sh)}

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# The fleet file, and per cluster the helm values a user would keep instead.
python3 - "$dir" "$clusters" "$pickers" << 'PY'
import json, os, sys
root, clusters, pickers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(f"{root}/values")
fleet = {"clusters": []}
for c in range(clusters):
    targets = [
        {"name": f"t{p}", "namespace": f"ns{p}", "selector": {"matchLabels": {"app": f"epp-{c}-{p}"}}}
        for p in range(pickers)
    ]
    flavor = "autopilot" if c % 2 else "standard"
    fleet["clusters"].append({
        "name": f"c{c}", "project": "bench-project", "location": "us-central1",
        "flavor": flavor, "targets": targets,
    })
    values = {"targets": targets,
              "collectorNamespace": "gke-gmp-system" if c % 2 else "gmp-system"}
    json.dump(values, open(f"{root}/values/c{c}.yaml", "w"))
json.dump(fleet, open(f"{root}/fleet.yaml", "w"))
# One cluster's worth of targets at the scale of the whole fleet divided by 100.
single = {"targets": [
    {"name": f"t{i}", "namespace": f"ns{i % 50}", "selector": {"matchLabels": {"app": f"epp-{i}"}}}
    for i in range(clusters * pickers)
]}
json.dump(single, open(f"{root}/single.yaml", "w"))
PY
cat > "$dir/helm-loop.sh" << EOF
#!/bin/sh
set -e
mkdir -p "$dir/helm-out"
i=0
while [ \$i -lt $clusters ]; do
  "$helm" template x "$PWD/scripts/helm-peer" -f "$dir/values/c\$i.yaml" > "$dir/helm-out/c\$i.yaml"
  i=\$((i + 1))
done
EOF
chmod +x "$dir/helm-loop.sh"

"$bin" fleet --config "$dir/fleet.yaml" --out "$dir/tree"
"$dir/helm-loop.sh"
export KUBECONFIG=/dev/null
for c in 0 1 $((clusters - 1)); do
  kubectl kustomize "$dir/tree/clusters/c$c" > "$dir/built-c$c.yaml"
  python3 - "$dir/built-c$c.yaml" "$dir/helm-out/c$c.yaml" << 'PY'
import sys, yaml
def objects(path):
    docs = [d for d in yaml.safe_load_all(open(path)) if d and d["kind"] != "GlobalRules"]
    return sorted(docs, key=lambda d: (d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"]))
if objects(sys.argv[1]) != objects(sys.argv[2]):
    sys.exit(f"{sys.argv[2]}: not the objects of {sys.argv[1]}")
PY
done
echo "checked: clusters c0, c1 and c$((clusters - 1)) built from the tree equal helm's; helm $("$helm" version --short)"
echo "tree: $(find "$dir/tree" -type f | wc -l) files, $(du -sh "$dir/tree" | cut -f1)"

hyperfine -N --warmup 2 --runs 10 \
  -n "igw-monitoring fleet, $clusters clusters x $pickers pickers" \
  "$bin fleet --config $dir/fleet.yaml --out $dir/tree"
hyperfine -N --warmup 0 --runs 2 \
  -n "helm template once per cluster, $clusters clusters" "$dir/helm-loop.sh"
/usr/bin/time -f "peak memory %M KiB: fleet, $clusters x $pickers" \
  "$bin" fleet --config "$dir/fleet.yaml" --out "$dir/tree"
/usr/bin/time -f "peak memory %M KiB: render of one cluster, $((clusters * pickers)) targets" \
  "$bin" render --config "$dir/single.yaml" > /dev/null
if [ -n "${DISK:-}" ]; then
  disk=$(mktemp -d "$DISK/bench-fleet.XXXXXX")
  trap 'rm -rf "$dir" "$disk"' EXIT
  hyperfine --warmup 1 --runs 8 --prepare "rm -rf $disk/written $disk/copied; sync" \
    -n "igw-monitoring fleet onto $DISK" "$bin fleet --config $dir/fleet.yaml --out $disk/written" \
    -n "cp -r of the same tree onto $DISK" "cp -r $dir/tree $disk/copied"
fi
