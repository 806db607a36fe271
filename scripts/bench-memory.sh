#!/usr/bin/env bash
# Peak memory (and wall and user CPU time) of every subcommand and output format on a big fleet:
# render -o yaml/json/terraform, verify --format text/script, alerts, dashboard and kustomize
# --out, each a whole process under /usr/bin/time (Debian's `time` package), with its ratio to `render`.
#   scripts/bench-memory.sh [--targets N] [--runs R] [--before BIN]
# N: fleet size (default 100000). R: runs per command; the smallest peak and time are kept
# (default 1). BIN: another build of the command (say, of the commit before a change), measured
# beside this one in the same run, command by command; both must write byte-identical output.
# The release binary of this tree is built first (in $CARGO_TARGET_DIR, or target/).
set -euo pipefail
cd "$(dirname "$0")/.."
targets=100000
runs=1
before=
while (($#)); do
  case $1 in
    --targets) targets=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --before) before=$(realpath "$2"); shift 2 ;;
    *) echo "usage: $0 [--targets N] [--runs R] [--before BIN]" >&2; exit 2 ;;
  esac
done
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time missing: apt-get install time" >&2; exit 2; }
cargo build --release -q -p igw-monitoring-cli
after=${CARGO_TARGET_DIR:-$PWD/target}/release/igw-monitoring

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# The fleet of scripts/bench-process.sh, as YAML and as JSON (which the loader reads 4x faster,
# so that the config's share of the peak is the smaller one).
python3 - "$targets" "$dir/fleet.yaml" "$dir/fleet.json" << 'PY'
import json, sys
n, yaml_path, json_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
targets = [
    {"name": f"t{i}", "namespace": f"ns{i % 50}", "selector": {"matchLabels": {"app": f"epp-{i}"}}}
    for i in range(n)
]
with open(yaml_path, "w") as f:
    f.write("targets:\n")
    for i in range(n):
        f.write(f"  - name: t{i}\n    namespace: ns{i % 50}\n    selector: {{matchLabels: {{app: epp-{i}}}}}\n")
with open(json_path, "w") as f:
    json.dump({"targets": targets}, f)
PY

# name|arguments ("OUT" is replaced by the output folder of kustomize).
cases=(
  "render|render --config $dir/fleet.json"
  "render (YAML config)|render --config $dir/fleet.yaml"
  "render -o json|render -o json --config $dir/fleet.json"
  "render -o terraform|render -o terraform --config $dir/fleet.json"
  "verify|verify --config $dir/fleet.json"
  "verify --format script|verify --format script --config $dir/fleet.json"
  "alerts|alerts --config $dir/fleet.json"
  "dashboard|dashboard --config $dir/fleet.json"
  "kustomize --out|kustomize --out OUT --config $dir/fleet.json"
)

# The smaller of two decimal numbers.
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a < b) ? a : b }'; }

# Runs one case with one binary: prints "peak_kib wall_s user_s bytes" (each the smallest of
# the runs); the output is kept in $3 (a folder $3.d for kustomize).
measure() {
  local bin=$1 args=$2 out=$3 best_kib= best_s= best_u= kib s u
  local -a argv
  for ((r = 0; r < runs; r++)); do
    rm -rf "$out" "$out.d"
    # shellcheck disable=SC2206 # the arguments are meant to split
    argv=(${args//OUT/$out.d})
    /usr/bin/time -f "%M %e %U" -o "$dir/time" "$bin" "${argv[@]}" > "$out"
    read -r kib s u < "$dir/time"
    best_kib=$(min "$kib" "$best_kib")
    best_s=$(min "$s" "$best_s")
    best_u=$(min "$u" "$best_u")
  done
  local bytes
  if [[ -d $out.d ]]; then
    bytes=$(find "$out.d" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
  else
    bytes=$(stat -c %s "$out")
  fi
  echo "$best_kib $best_s $best_u $bytes"
}

# Byte-identical output of the two builds: a file, or a folder (kustomize).
same_output() {
  if [[ -d $1.d ]]; then diff -r -q "$1.d" "$2.d" > /dev/null; else cmp -s "$1" "$2"; fi
}

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
size() { awk -v b="$1" 'BEGIN { if (b >= 1048576) printf "%.1f MiB", b / 1048576; else printf "%.1f KiB", b / 1024 }'; }

echo "$targets targets, $runs run(s) per command, $(nproc) cores; after: $after${before:+; before: $before}"
if [[ -n $before ]]; then
  echo "| command | peak RSS before [MiB] | after [MiB] | after / render | wall before [s] | after [s] | user CPU before [s] | after [s] | output |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
else
  echo "| command | peak RSS [MiB] | / render | wall [s] | user CPU [s] | output |"
  echo "|---|---:|---:|---:|---:|---:|"
fi
render_kib=
for case in "${cases[@]}"; do
  name=${case%%|*}
  args=${case#*|}
  read -r kib s u bytes <<< "$(measure "$after" "$args" "$dir/after")"
  [[ $name == render ]] && render_kib=$kib
  ratio=$(awk -v a="$kib" -v r="${render_kib:-$kib}" 'BEGIN { printf "%.2f", a / r }')
  if [[ -n $before ]]; then
    read -r bkib bs bu _ <<< "$(measure "$before" "$args" "$dir/before")"
    same_output "$dir/before" "$dir/after" || { echo "$name: the two builds write different output" >&2; exit 1; }
    echo "| $name | $(mib "$bkib") | $(mib "$kib") | ${ratio}x | $bs | $s | $bu | $u | $(size "$bytes") |"
  else
    echo "| $name | $(mib "$kib") | ${ratio}x | $s | $u | $(size "$bytes") |"
  fi
  rm -rf "$dir/before" "$dir/before.d" "$dir/after" "$dir/after.d"
done
