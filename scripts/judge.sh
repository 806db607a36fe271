#!/usr/bin/env bash
# Judges bundles with ../shared/conformance/check.sh's validators and flags, each validator started
# once over every file instead of once per file: a Python validator spends most of its time
# starting (check.sh took 130 s of one core over CI's 111 bundles, measured 2026-12-07).
# When any of them refuses a file, check.sh itself runs over the files and its per-file report is
# the verdict, so this fast path can only ever be stricter than check.sh, never more lenient.
# Usage: scripts/judge.sh BUNDLE.yaml...   (IGW_CONFORMANCE_HOME as for check.sh)
set -uo pipefail
shared="$(cd "$(dirname "$0")/../.." && pwd)/shared"
conformance=$shared/conformance
home=${IGW_CONFORMANCE_HOME:-$HOME/.cache/igw-conformance}
venv=$home/venv
[ -x "$venv/bin/python" ] || { echo "validators missing: run $conformance/setup.sh first" >&2; exit 2; }
[ $# -ge 1 ] || { echo "usage: judge.sh BUNDLE.yaml..." >&2; exit 2; }

failed=()
refuse() { failed+=("$1"); echo "refused by $1:"; echo "$2"; }
for f in "$@"; do [ -s "$f" ] || refuse "check.sh's non-empty rule" "$f: empty or missing"; done
out=$("$venv/bin/yamllint" -s -c "$conformance/yamllint-k8s.yaml" "$@" 2>&1) || refuse yamllint "$out"
for k in 1.28.0 1.37.0; do
  out=$("$venv/bin/kubernetes-validate" --strict --quiet -k "$k" "$@" 2>&1)
  r=$?
  # check.sh's allowance: kinds without a built-in schema may be warned about only for these
  # API groups (their CRDs are checked below); any other warning refuses.
  unknown=$(echo "$out" | grep '^WARN' | grep -v -E 'kind (ClusterPodMonitoring|PodMonitoring|Rules|ClusterRules|GlobalRules) with api version monitoring.googleapis.com/|kind (PodMonitor|ServiceMonitor|PrometheusRule) with api version monitoring.coreos.com/|kind (Application|ApplicationSet) with api version argoproj.io/|kind (RootSync|RepoSync) with api version configsync.gke.io/|kind (Kustomization) with api version kustomize.toolkit.fluxcd.io/|kind (GitRepository) with api version source.toolkit.fluxcd.io/')
  [ $r -eq 0 ] && [ -z "$unknown" ] || refuse "kubernetes-validate $k" "$out"
done
out=$("$venv/bin/python" "$conformance/name_check.py" "$@" 2>&1) || refuse name_check.py "$out"
# check.sh adds the GitOps and prometheus-operator CRDs only for files that use their API groups.
plain=() gitops=()
for f in "$@"; do
  if grep -q -E 'apiVersion"?: *"?(argoproj\.io|configsync\.gke\.io|[a-z]+\.toolkit\.fluxcd\.io|monitoring\.coreos\.com)/' "$f"; then
    gitops+=("$f")
  else
    plain+=("$f")
  fi
done
# crds LABEL CRD... -- FILE...: crd_validate.py with check.sh's flags.
crds() {
  local label=$1
  shift
  out=$("$venv/bin/python" "$conformance/crd_validate.py" --strict --prom-duration "$@" 2>&1) ||
    refuse "$label" "$(echo "$out" | grep -v '^SKIP')"
}
gmp=("$conformance"/../reference/crds/*.yaml)
[ ${#plain[@]} -eq 0 ] || crds crd_validate.py "${gmp[@]}" -- "${plain[@]}"
[ ${#gitops[@]} -eq 0 ] || crds "crd_validate.py (with the GitOps CRDs)" "${gmp[@]}" \
  "$conformance"/../reference/gitops/*-crd.yaml -- "${gitops[@]}"
# kubectl's kustomize: each file alone, as check.sh builds it (one binary, no interpreter to start).
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
printf 'resources:\n- bundle.yaml\n' > "$scratch/kustomization.yaml"
for f in "$@"; do
  cp "$f" "$scratch/bundle.yaml"
  out=$(KUBECONFIG=/dev/null kubectl kustomize "$scratch" 2>&1 > /dev/null) || refuse "kubectl kustomize" "$f: $out"
done

verdict=0
if [ ${#failed[@]} -eq 0 ]; then
  # The line check.sh ends with, for its checks but checkov: yaml, two schemas, names, crd, kustomize.
  echo "$(($# * 6)) passed, 0 failed"
else
  echo "== check.sh's own report (without checkov, which runs once below)"
  # A conformance home with the validators but not checkov, so check.sh leaves checkov out.
  ln -s "$venv" "$scratch/venv"
  if IGW_CONFORMANCE_HOME=$scratch "$conformance/check.sh" "$@"; then
    echo "judge.sh refused (${failed[*]}) what check.sh accepts: scripts/judge.sh is out of step with check.sh"
  fi
  verdict=1
fi
if [ -x "$home/checkov/bin/checkov" ]; then
  # check.sh's own checkov flags (CKV_K8S_21: the default namespace is the seed's choice).
  if "$home/checkov/bin/checkov" -f "$@" --framework kubernetes --skip-download --compact --quiet \
    --skip-check CKV_K8S_21; then
    echo "checkov: passed over $# files"
  else
    verdict=1
  fi
fi
exit $verdict
