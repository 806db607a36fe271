//! `Bundle::verify`: the steps to check a live setup carry the bundle's values, the script is
//! valid bash that quotes every value, and it runs (against stub `kubectl` and `curl`) to the
//! right verdict for each HTTP status.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::{TestResult, cases, fleet};
use igw_monitoring::{
    Bundle, ClusterFlavor, Error, LabelSelector, Options, Plan, SecretAccess, SelectorRequirement,
    VerifyFormat, VerifyOptions,
};
use igw_monitoring::{Given, MonitoringMode};

fn verify(
    bundle: &Bundle,
    cluster: Option<&str>,
    format: VerifyFormat,
) -> Result<String, igw_monitoring::Error> {
    bundle.plan().verify(&VerifyOptions {
        cluster: cluster.map(str::to_owned),
        format,
        ..Default::default()
    })
}

fn text(bundle: &Bundle) -> Result<String, igw_monitoring::Error> {
    verify(bundle, None, VerifyFormat::Text)
}

fn script(bundle: &Bundle) -> Result<String, igw_monitoring::Error> {
    verify(bundle, None, VerifyFormat::Script)
}

/// The token command of the seed document, with its double `-o jsonpath` fixed.
fn token_command(namespace: &str, secret: &str) -> String {
    format!(
        "kubectl get --namespace={namespace} --output=jsonpath='{{.data.token}}' -- secret {secret} | base64 --decode"
    )
}

fn can_i(verb: &str, namespace: &str, secret: &str, collector_namespace: &str) -> String {
    format!(
        "kubectl auth can-i --namespace={namespace} \
         --as=system:serviceaccount:{collector_namespace}:collector -- {verb} secret/{secret}"
    )
}

/// Every kubectl call the script made (one per line of the stub's log, as `$*`): each word
/// before `--` is a subcommand word (`get`, `auth`, `can-i`, `port-forward`) or a flag, and
/// every flag carries its value in the same word (`--namespace=NS`), so that no value from a
/// bundle or manifests stands where kubectl reads a flag.
fn assert_values_follow_flags_or_double_dash(dir: &Path) -> TestResult {
    let calls = std::fs::read_to_string(dir.join("kubectl.argv"))?;
    for call in calls.lines() {
        let words: Vec<&str> = call.split('\x1f').collect();
        let end = words.iter().position(|w| *w == "--");
        assert!(end.is_some(), "no -- in: kubectl {words:?}");
        for word in words.iter().take(end.unwrap_or(0)) {
            let subcommand = matches!(*word, "get" | "auth" | "can-i" | "port-forward");
            let one_word_flag = word.starts_with("--") && word.contains('=');
            assert!(
                subcommand || one_word_flag || *word == "-A",
                "{word:?} before -- in: kubectl {words:?}"
            );
        }
    }
    Ok(())
}

fn assert_contains(haystack: &str, needle: &str) {
    assert!(
        haystack.contains(needle),
        "missing {needle:?} in:\n{haystack}"
    );
}

/// `bash -n`: the script parses.
fn assert_bash_parses(script: &str) -> TestResult {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("verify.sh");
    std::fs::write(&file, script)?;
    let output = Command::new("bash").arg("-n").arg(&file).output()?;
    assert!(
        output.status.success(),
        "bash -n: {}\n{script}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

const SECRET: &str = "inference-gateway-sa-metrics-reader-secret";

#[test]
fn default_text_has_the_working_commands_and_the_seed_prefix() -> TestResult {
    let bundle = Options::default().build()?;
    let text = text(&bundle)?;
    assert_contains(&text, &token_command("default", SECRET));
    assert!(!text.contains("jsonpath='{.data.token}' -o"), "{text}");
    for verb in ["get", "list", "watch"] {
        assert_contains(&text, &can_i(verb, "default", SECRET, "gmp-system"));
    }
    assert_contains(
        &text,
        "kubectl get -A --selector='app=inference-gateway-ext-proc' --field-selector=status.phase=Running",
    );
    assert_contains(
        &text,
        "kubectl port-forward --namespace=\"$POD_NAMESPACE\" -- \"pod/$POD\" 9090:metrics",
    );
    assert_contains(
        &text,
        "curl -sS -o /dev/null -w '%{http_code}\\n' -H \"Authorization: Bearer $TOKEN\" \
         http://localhost:9090/metrics",
    );
    for named in [
        "ClusterRole inference-gateway-metrics-reader",
        "ClusterRoleBinding inference-gateway-sa-metrics-reader-role-binding",
        "ServiceAccount default/inference-gateway-sa-metrics-reader",
        "ClusterRole inference-gateway-sa-metrics-reader-secret-read",
        "ClusterRoleBinding gmp-system:collector:inference-gateway-sa-metrics-reader-secret-read",
        "This bundle has no such binding: render it again with --auth-delegation",
        "kubectl get --output=jsonpath='{.status.conditions}' -- clusterpodmonitoring inference-optimized-gateway-monitoring",
        "kubectl auth can-i --as=system:serviceaccount:default:inference-gateway-sa-metrics-reader -- get /metrics",
    ] {
        assert_contains(&text, named);
    }
    // No cluster given, namespace unknown for a ClusterPodMonitoring: no matcher at all.
    assert_contains(&text, "\n     inference_model_request_total\n");
    assert!(!text.contains("cluster=\""), "{text}");
    assert!(!text.contains("inference_objective_"), "{text}");
    Ok(())
}

#[test]
fn the_cluster_matcher_appears_only_when_given() -> TestResult {
    let bundle = Options::default().build()?;
    let text = verify(&bundle, Some("prod-1"), VerifyFormat::Text)?;
    assert_contains(&text, "inference_model_request_total{cluster=\"prod-1\"}");
    assert!(!text.contains("--cluster NAME"), "{text}");
    let script = verify(&bundle, Some("prod-1"), VerifyFormat::Script)?;
    assert_contains(&script, "cluster_matcher='cluster=\"prod-1\"'");
    assert_contains(&self::script(&bundle)?, "cluster_matcher=''");
    Ok(())
}

#[test]
fn autopilot_namespaced_grant_names_its_role_and_the_autopilot_collector() -> TestResult {
    let bundle = Options {
        namespace: "monitoring".to_owned(),
        flavor: ClusterFlavor::Autopilot,
        secret_access: SecretAccess::Namespaced,
        ..Options::default()
    }
    .build()?;
    let text = text(&bundle)?;
    assert_contains(&text, &token_command("monitoring", SECRET));
    for verb in ["get", "list", "watch"] {
        assert_contains(&text, &can_i(verb, "monitoring", SECRET, "gke-gmp-system"));
    }
    assert!(
        !text.contains("--as=system:serviceaccount:gmp-system:"),
        "{text}"
    );
    assert_contains(
        &text,
        "\n     Role inference-gateway-sa-metrics-reader-secret-read\n     \
         RoleBinding gke-gmp-system:collector:inference-gateway-sa-metrics-reader-secret-read\n",
    );
    assert_contains(&text, "--selector='app=inference-gateway-ext-proc'");
    assert_contains(&text, "inference_model_request_total");
    let script = script(&bundle)?;
    assert_bash_parses(&script)?;
    assert_contains(
        &script,
        "collector=system:serviceaccount:gke-gmp-system:collector\n",
    );
    assert_contains(&script, "secret_reader_role_kind=Role\n");
    Ok(())
}

#[test]
fn fleet_text_covers_every_target_with_the_1_1_prefix() -> TestResult {
    let selectors = [
        "'inferencepool=llama3-8b-epp'",
        "'app=qwen2-7b-epp'",
        "'llm-d-router-gateway=mistral-epp'",
    ];
    // ClusterPodMonitorings: one reader in `monitoring`, pods in each target's namespace.
    let bundle = fleet(MonitoringMode::Cluster).build()?;
    let text = text(&bundle)?;
    assert_eq!(text.matches("== Target ").count(), 3, "{text}");
    for (selector, namespace) in selectors.iter().zip(["team-a", "team-a", "team-b"]) {
        assert_contains(
            &text,
            &format!("POD=$(kubectl get --namespace={namespace} --selector={selector} "),
        );
    }
    assert_eq!(
        text.matches(&token_command("monitoring", SECRET)).count(),
        3
    );
    assert_contains(&text, &can_i("get", "monitoring", SECRET, "gmp-system"));
    assert_contains(
        &text,
        "\n     inference_objective_request_total{namespace=\"team-b\"}\n",
    );
    assert!(!text.contains("inference_model_"), "{text}");
    assert_contains(
        &text,
        "This bundle binds ServiceAccount team-a/llama3-8b-epp to it with\n          \
         ClusterRoleBinding monitoring-team-a:llama3-8b-epp:auth-delegator\n",
    );
    assert_contains(
        &text,
        "kubectl auth can-i --as=system:serviceaccount:team-a:llama3-8b-epp \
         -- create tokenreviews.authentication.k8s.io",
    );
    assert_bash_parses(&script(&bundle)?)?;

    // PodMonitorings: a reader per namespace, pods in the target's namespace.
    let bundle = fleet(MonitoringMode::Pod).build()?;
    let text = self::text(&bundle)?;
    for (selector, namespace) in selectors.iter().zip(["team-a", "team-a", "team-b"]) {
        assert_contains(
            &text,
            &format!("POD=$(kubectl get --namespace={namespace} --selector={selector} "),
        );
    }
    assert_contains(
        &text,
        "kubectl port-forward --namespace=team-a -- \"$POD\" 9090:metrics",
    );
    for namespace in ["team-a", "team-b"] {
        assert_contains(&text, &token_command(namespace, SECRET));
        assert_contains(&text, &can_i("watch", namespace, SECRET, "gmp-system"));
        assert_contains(
            &text,
            &format!("inference_objective_request_total{{namespace=\"{namespace}\"}}"),
        );
    }
    assert_contains(
        &text,
        "-- podmonitoring inference-optimized-gateway-monitoring-mistral",
    );
    let text = verify(&bundle, Some("prod"), VerifyFormat::Text)?;
    assert_contains(
        &text,
        "inference_objective_request_total{cluster=\"prod\", namespace=\"team-b\"}",
    );
    assert_bash_parses(&script(&bundle)?)?;
    Ok(())
}

#[test]
fn every_snapshot_case_gives_a_script_bash_parses() -> TestResult {
    for (name, options) in cases() {
        let bundle = options.build()?;
        for cluster in [None, Some("prod"), Some("it's \"$(rm -rf /)\" `x` \\ !")] {
            let script = verify(&bundle, cluster, VerifyFormat::Script)?;
            assert!(script.starts_with("#!/usr/bin/env bash\n"), "{name}");
            assert_contains(&script, "\nset -euo pipefail\n");
            assert!(script.ends_with("'\\nEvery check passed.\\n'\n"), "{name}");
            assert_bash_parses(&script)?;
        }
    }
    Ok(())
}

/// The values bash sees after the script's assignments of the first target.
fn first_target_values(script: &str, names: &[&str]) -> Result<Vec<String>, String> {
    let start = script.find("\nkind=").ok_or("no target")?;
    let end = start + script[start..].find("\ncheck_target\n").ok_or("no call")?;
    let header_end = script.find("\nfailures=0\n").ok_or("no header")?;
    let header = &script[..header_end];
    let printer: String = names.iter().map(|n| format!(" \"${n}\"")).collect();
    let program = format!(
        "{header}\n{}\nprintf '%s\\0'{printer}\n",
        &script[start..end]
    );
    let output = Command::new("bash")
        .args(["-c", &program])
        .output()
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    let stdout = String::from_utf8(output.stdout).map_err(|e| e.to_string())?;
    Ok(stdout.split_terminator('\0').map(str::to_owned).collect())
}

#[test]
fn hostile_values_reach_bash_unchanged() -> TestResult {
    let options = Options {
        namespace: "yes".to_owned(),
        selector: LabelSelector::default()
            .match_label("on", "0777")
            .match_expression(SelectorRequirement::is_in("release", ["1_000", "null"]))
            .match_expression(SelectorRequirement::does_not_exist("debug")),
        names: igw_monitoring::Names {
            token_secret: Some("0777".to_owned()),
            collector_binding: Some("- x: y #z $(touch pwned) `id`".to_owned()),
            ..Default::default()
        },
        ..Options::default()
    };
    let bundle = options.build()?;
    let cluster = "it's \"$(rm -rf /)\" `x` \\ !";
    let script = verify(&bundle, Some(cluster), VerifyFormat::Script)?;
    assert_bash_parses(&script)?;
    assert_contains(
        &script,
        "selector='on=0777,release in (1_000,null),!debug'\n",
    );
    let values = first_target_values(
        &script,
        &[
            "secret_namespace",
            "secret",
            "selector",
            "secret_reader_binding",
            "cluster_matcher",
            "token_jsonpath",
        ],
    )?;
    assert_eq!(
        values,
        [
            "yes",
            "0777",
            "on=0777,release in (1_000,null),!debug",
            "- x: y #z $(touch pwned) `id`",
            r#"cluster="it's \"$(rm -rf /)\" `x` \\ !""#,
            "{.data.token}",
        ]
    );
    // The text's commands quote the same way, so they can be copied as they stand.
    let text = verify(&bundle, Some(cluster), VerifyFormat::Text)?;
    assert_contains(&text, &token_command("yes", "0777"));
    assert_contains(&text, "--selector='on=0777,release in (1_000,null),!debug'");
    Ok(())
}

/// Stub `kubectl` and `curl` on PATH, answering like a cluster where everything is in place
/// except what the environment variables say.
fn stub_tools(dir: &Path) -> TestResult {
    let kubectl = r#"#!/usr/bin/env bash
printf '%s\n' "$*" >>"$STUB_DIR/kubectl.log"
# Each call's words apart (a unit separator between them), to judge them one by one.
(IFS=$'\x1f'; printf '%s\n' "$*") >>"$STUB_DIR/kubectl.argv"
case "$*" in
  *"auth can-i"*) echo "${STUB_CAN_I:-yes}"; [[ ${STUB_CAN_I:-yes} == yes ]] ;;
  *port-forward*) exec sleep 30 ;;
  *podIP*) printf '10.0.0.7' ;;
  *"get -A "*"-- pods") printf 'team-x epp-0\n' ;;
  *"-- pods") printf 'pod/epp-0\n' ;;
  *"-- secret "*) printf '%s' "$(printf token | base64)" ;;
  *containerPort*)
    [[ -z ${STUB_NO_PICKER:-} ]] || { echo 'Error from server (NotFound): deployments.apps "a" not found' >&2; exit 1; }
    printf '%s\n%s\n%s' "${STUB_PORTS:-9002 9090}" "${STUB_ARGS:---pool-name pool}" "${STUB_ACCOUNT:-a}" ;;
  *serviceAccountName*) printf 'epp' ;;
  *ConfigurationCreateSuccess*) printf 'True' ;;
  *"-- prometheuses.monitoring.coreos.com") printf '%b' "${STUB_PROMETHEUSES-monitoring\n}" ;;
  *) echo "unexpected: kubectl $*" >&2; exit 2 ;;
esac
"#;
    let curl = r#"#!/usr/bin/env bash
printf '%s\n' "$*" >>"$STUB_DIR/curl.log"
up='{"status":"success","data":{"activeTargets":[{"health":"up","lastError":""}]}}'
if [[ $* == */api/v1/targets* ]]; then
  # Reachable once the port-forward to Prometheus is up, as on a cluster.
  grep -q 'service/prometheus-operated' "$STUB_DIR/kubectl.log" || exit 7
  printf '%s' "${STUB_TARGETS:-$up}"
  exit 0
fi
for arg in "$@"; do
  if [[ $arg == -w ]]; then
    cat >"$STUB_DIR/curl.stdin"
    printf '%s' "${STUB_CODE:-200}"
    exit 0
  fi
done
"#;
    for (name, body) in [("kubectl", kubectl), ("curl", curl)] {
        let file = dir.join(name);
        std::fs::write(&file, body)?;
        Command::new("chmod").arg("+x").arg(&file).status()?;
    }
    Ok(())
}

fn run_script(script: &str, env: &[(&str, &str)]) -> Result<(Output, tempfile::TempDir), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    stub_tools(dir.path()).map_err(|e| e.to_string())?;
    let file = dir.path().join("verify.sh");
    std::fs::write(&file, script).map_err(|e| e.to_string())?;
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("bash")
        .arg(&file)
        .env("PATH", path)
        .env("STUB_DIR", dir.path())
        .envs(env.iter().copied())
        .output()
        .map_err(|e| e.to_string())?;
    Ok((output, dir))
}

#[test]
fn the_script_runs_and_names_what_to_fix() -> TestResult {
    let bundle = Options::default().build()?;
    let script = verify(&bundle, Some("prod"), VerifyFormat::Script)?;

    let (output, dir) = run_script(&script, &[])?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_contains(
        &stdout,
        "ok    pod team-x/epp-0 matches app=inference-gateway-ext-proc",
    );
    assert_contains(&stdout, "ok    http://localhost:9090/metrics answers 200");
    assert_contains(
        &stdout,
        "query inference_model_request_total{cluster=\"prod\", namespace=\"team-x\"}",
    );
    assert_contains(&stdout, "Every check passed.");
    // The token reached curl decoded, on stdin rather than in its arguments.
    let header = std::fs::read_to_string(dir.path().join("curl.stdin"))?;
    assert_eq!(header, "Authorization: Bearer token\n");
    let calls = std::fs::read_to_string(dir.path().join("kubectl.log"))?;
    // Values reach kubectl as `--flag=VALUE` words or after `--`, never as words of their own
    // it could read as flags.
    assert_contains(
        &calls,
        "port-forward --namespace=team-x -- pod/epp-0 9090:metrics",
    );
    assert_contains(
        &calls,
        &format!("get --namespace=default --output=jsonpath={{.data.token}} -- secret {SECRET}"),
    );
    assert_contains(
        &calls,
        &format!(
            "auth can-i --namespace=default --as=system:serviceaccount:gmp-system:collector \
             -- watch secret/{SECRET}"
        ),
    );
    assert_values_follow_flags_or_double_dash(dir.path())?;

    for (code, fix) in [
        (
            "401",
            format!("check Secret default/{SECRET} and ServiceAccount"),
        ),
        (
            "403",
            "check ClusterRole inference-gateway-metrics-reader and ClusterRoleBinding \
             inference-gateway-sa-metrics-reader-role-binding"
                .to_owned(),
        ),
        (
            "500",
            "this bundle has no such binding: render it again with --auth-delegation team-x/epp"
                .to_owned(),
        ),
    ] {
        let (output, _dir) = run_script(&script, &[("STUB_CODE", code)])?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(1), "{code}: {stdout}");
        assert_contains(
            &stdout,
            &format!("FAIL  {code} from http://localhost:9090/metrics"),
        );
        assert_contains(&stdout, &fix);
        assert_contains(&stdout, "1 check(s) failed.");
    }

    // The collector cannot read the Secret: every can-i fails, each naming the grant.
    let (output, _dir) = run_script(&script, &[("STUB_CAN_I", "no")])?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert_contains(
        &stdout,
        "check ClusterRole inference-gateway-sa-metrics-reader-secret-read and \
         ClusterRoleBinding gmp-system:collector:inference-gateway-sa-metrics-reader-secret-read",
    );
    assert_contains(&stdout, "4 check(s) failed.");
    Ok(())
}

#[test]
fn the_prometheus_operator_script_asks_prometheus_for_its_targets() -> TestResult {
    let bundle = crate::support::operator(Options::default()).build()?;
    let script = script(&bundle)?;
    assert_bash_parses(&script)?;
    let pool = "podMonitor/default/inference-optimized-gateway-monitoring/0";

    let (output, dir) = run_script(&script, &[])?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_contains(&stdout, "ok    http://localhost:9090/metrics answers 200");
    assert_contains(
        &stdout,
        &format!("ok    Prometheus in namespace monitoring scrapes 1 target(s) of {pool}, all up"),
    );
    assert_contains(
        &stdout,
        "query inference_model_request_total{job=\"default/inference-optimized-gateway-monitoring\"}",
    );
    let calls = std::fs::read_to_string(dir.path().join("kubectl.log"))?;
    assert_contains(
        &calls,
        "port-forward --namespace=monitoring -- service/prometheus-operated 9091:9090",
    );
    // No grant to the operator is asked about: it reads the Secret with its own rights.
    assert!(!calls.contains("gmp-system"), "{calls}");
    assert!(!calls.contains("secret/"), "{calls}");
    let asked = std::fs::read_to_string(dir.path().join("curl.log"))?;
    assert_contains(&asked, &format!("--data-urlencode scrapePool={pool}"));
    assert_values_follow_flags_or_double_dash(dir.path())?;

    for (env, said) in [
        (
            vec![(
                "STUB_TARGETS",
                r#"{"status":"success","data":{"activeTargets":[]}}"#,
            )],
            vec![
                "FAIL  Prometheus in namespace monitoring has no target of",
                "its podMonitorSelector must match the",
            ],
        ),
        (
            vec![(
                "STUB_TARGETS",
                r#"{"data":{"activeTargets":[{"health":"down","lastError":"server returned HTTP status 401 Unauthorized"}]}}"#,
            )],
            vec![
                "FAIL  1 target(s) of podMonitor/default/inference-optimized-gateway-monitoring/0 are down",
                r#""lastError":"server returned HTTP status 401 Unauthorized""#,
            ],
        ),
        (
            vec![("STUB_PROMETHEUSES", "monitoring\\nobservability\\n")],
            vec![
                "FAIL  Prometheus objects in several namespaces (monitoring observability)",
                "set PROMETHEUS_NAMESPACE",
            ],
        ),
        (
            vec![("STUB_PROMETHEUSES", "")],
            vec!["FAIL  no Prometheus object on the cluster"],
        ),
    ] {
        let (output, _dir) = run_script(&script, &env)?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(1), "{env:?}: {stdout}");
        for said in said {
            assert_contains(&stdout, said);
        }
        assert_contains(&stdout, "1 check(s) failed.");
    }
    // Told which namespace, the script asks no list of them.
    let (output, dir) = run_script(
        &script,
        &[
            ("STUB_PROMETHEUSES", "monitoring\\nobservability\\n"),
            ("PROMETHEUS_NAMESPACE", "observability"),
        ],
    )?;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let calls = std::fs::read_to_string(dir.path().join("kubectl.log"))?;
    assert!(!calls.contains("prometheuses"), "{calls}");
    assert_contains(
        &calls,
        "port-forward --namespace=observability -- service/prometheus-operated",
    );
    Ok(())
}

#[test]
fn a_service_monitor_script_asks_for_its_own_scrape_pool_and_names_its_selectors() -> TestResult {
    let bundle = crate::support::operator(Options {
        scrape_through: igw_monitoring::ScrapeThrough::Service,
        service_selector: Some(
            igw_monitoring::LabelSelector::default().match_label("app.kubernetes.io/name", "a-epp"),
        ),
        ..Options::default()
    })
    .build()?;
    let script = script(&bundle)?;
    assert_bash_parses(&script)?;
    let pool = "serviceMonitor/default/inference-optimized-gateway-monitoring/0";
    let (output, dir) = run_script(&script, &[])?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert_contains(
        &stdout,
        &format!("ok    Prometheus in namespace monitoring scrapes 1 target(s) of {pool}, all up"),
    );
    // The same job as a PodMonitor's: the ServiceMonitor relabels it so.
    assert_contains(
        &stdout,
        "query inference_model_request_total{job=\"default/inference-optimized-gateway-monitoring\"}",
    );
    let asked = std::fs::read_to_string(dir.path().join("curl.log"))?;
    assert_contains(&asked, &format!("--data-urlencode scrapePool={pool}"));
    let none = [(
        "STUB_TARGETS",
        r#"{"status":"success","data":{"activeTargets":[]}}"#,
    )];
    let (output, _dir) = run_script(&script, &none)?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert_contains(&stdout, "its serviceMonitorSelector must match the");
    assert_contains(&stdout, "serviceMonitorNamespaceSelector namespace default");
    let text = text(&bundle)?;
    assert_contains(&text, &format!("scrapePool={pool}"));
    assert_contains(
        &text,
        "Its serviceMonitorSelector must match the ServiceMonitor's labels",
    );
    Ok(())
}

#[test]
fn the_pod_monitoring_script_looks_in_each_targets_namespace() -> TestResult {
    let bundle = fleet(MonitoringMode::Pod).build()?;
    let (output, dir) = run_script(&script(&bundle)?, &[])?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stdout.matches("answers 200").count(), 3, "{stdout}");
    assert_contains(
        &stdout,
        "query inference_objective_request_total{namespace=\"team-b\"}",
    );
    let calls = std::fs::read_to_string(dir.path().join("kubectl.log"))?;
    assert_contains(
        &calls,
        "get --namespace=team-b --selector=llm-d-router-gateway=mistral-epp",
    );
    assert_contains(&calls, &format!("-- secret {SECRET}"));
    assert_contains(
        &calls,
        "-- podmonitoring inference-optimized-gateway-monitoring-mistral",
    );
    assert_values_follow_flags_or_double_dash(dir.path())?;
    Ok(())
}

#[test]
fn default_text_and_script_match_their_snapshots() -> TestResult {
    for (name, options) in [
        ("default", Options::default()),
        ("operator", crate::support::operator(Options::default())),
    ] {
        let bundle = options.build()?;
        let (text, script) = (self::text(&bundle)?, self::script(&bundle)?);
        insta::with_settings!({
            snapshot_path => "../../snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(format!("verify_{name}_text"), text);
            insta::assert_snapshot!(format!("verify_{name}_script"), script);
        });
    }
    Ok(())
}

#[test]
fn https_numbered_ports_and_custom_paths_are_filled_in() -> TestResult {
    let (_, options) = cases()
        .into_iter()
        .find(|(name, _)| *name == "every_option")
        .ok_or("no every_option case")?;
    let text = text(&options.build()?)?;
    assert_contains(
        &text,
        "port-forward --namespace=\"$POD_NAMESPACE\" -- \"pod/$POD\" 9090:9090\n",
    );
    assert_contains(
        &text,
        "curl -sS --cacert \"$TLS_DIR/ca.crt\" --resolve epp.inference.svc:9090:127.0.0.1 \
         --cert \"$TLS_DIR/tls.crt\" --key \"$TLS_DIR/tls.key\" -o /dev/null -w '%{http_code}\\n' \
         -H \"Authorization: Bearer $TOKEN\" https://epp.inference.svc:9090/epp/metrics\n",
    );
    assert_contains(&text, "-- get /epp/metrics\n");
    assert_contains(&text, "\n     inference_objective_request_total\n");
    Ok(())
}

/// RBAC names may hold control characters; the readable steps show them as escapes, the script
/// holds none raw, and bash still reads each value back exactly.
#[test]
fn control_characters_never_reach_the_terminal() -> TestResult {
    let retitle = "evil\u{1b}]0;pwned\u{7}\u{202e}x";
    let options = Options {
        names: igw_monitoring::Names {
            reader_cluster_role: Some(retitle.to_owned()),
            collector_binding: Some(format!("{retitle}'\\")),
            ..Default::default()
        },
        ..Options::default()
    };
    let bundle = options.build()?;
    let text = text(&bundle)?;
    let script = script(&bundle)?;
    for (what, out) in [("text", &text), ("script", &script)] {
        let raw: Vec<char> = out
            .chars()
            .filter(|&c| (c.is_control() && c != '\n') || c == '\u{202e}')
            .collect();
        assert!(raw.is_empty(), "{what} holds raw {raw:?}:\n{out}");
    }
    assert_contains(&text, "evil\\u{1b}]0;pwned\\u{7}\\u{202e}x");
    assert_bash_parses(&script)?;
    let start = script.find("\nreader_role=").ok_or("no reader_role")?;
    let assignment = &script[start + 1..start + script[start + 1..].find('\n').unwrap_or(0) + 1];
    let output = Command::new("bash")
        .args(["-c", &format!("{assignment}\nprintf '%s' \"$reader_role\"")])
        .output()?;
    assert_eq!(String::from_utf8(output.stdout)?, retitle, "{assignment}");
    Ok(())
}

/// With mTLS the script fetches each TLS Secret key for curl and checks that the collector may
/// read every TLS Secret; the text shows the curl call with the files and the server name.
#[test]
fn the_tls_script_fetches_the_secret_keys_and_checks_their_grants() -> TestResult {
    let options = crate::support::tls(
        igw_monitoring::MonitoringMode::Cluster,
        igw_monitoring::SecretAccess::Namespaced,
        true,
    );
    let bundle = options.build()?;
    let text = text(&bundle)?;
    assert_contains(
        &text,
        "kubectl get --namespace=monitoring --output=jsonpath=\"{.data.ca\\\\.crt}\" -- secret epp-metrics-ca | base64 --decode > \"$TLS_DIR/ca.crt\"",
    );
    assert_contains(
        &text,
        "curl -sS --cacert \"$TLS_DIR/ca.crt\" --resolve epp.team-a.svc:9090:127.0.0.1 \
         --cert \"$TLS_DIR/tls.crt\" --key \"$TLS_DIR/tls.key\"",
    );
    assert_contains(&text, "https://epp.team-a.svc:9090/metrics\n");
    assert_contains(&text, "-- watch secret/mistral-epp-client");
    let script = verify(&bundle, None, VerifyFormat::Script)?;
    let (output, dir) = run_script(&script, &[])?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_contains(
        &stdout,
        "ok    collector may watch TLS Secret monitoring/epp-metrics-client",
    );
    assert_contains(&stdout, "Every check passed.");
    let calls = std::fs::read_to_string(dir.path().join("kubectl.log"))?;
    for (secret, key) in [
        ("epp-metrics-ca", "ca\\.crt"),
        ("epp-metrics-client", "tls\\.crt"),
        ("epp-metrics-client", "tls\\.key"),
        ("mistral-epp-tls", "ca\\.crt"),
        ("mistral-epp-client", "tls\\.key"),
    ] {
        assert_contains(
            &calls,
            &format!(
                "get --namespace=monitoring --output=jsonpath={{.data.{key}}} -- secret {secret}"
            ),
        );
    }
    assert_values_follow_flags_or_double_dash(dir.path())?;
    Ok(())
}

/// Without a server name GMP checks the certificate against the pod's IP, and so does verify:
/// curl asks for that IP, sent to the port-forward with `--connect-to`.
#[test]
fn without_a_server_name_verify_checks_the_certificate_against_the_pod_ip() -> TestResult {
    let options = Options {
        scheme: igw_monitoring::Scheme::Https,
        tls: Some(
            igw_monitoring::TlsOptions::builder()
                .ca(igw_monitoring::SecretKeyRef::new("epp-ca", "ca.crt"))
                .build(),
        ),
        ..Options::default()
    };
    let bundle = options.build()?;
    let text = text(&bundle)?;
    assert_contains(
        &text,
        "POD_IP=$(kubectl get --namespace=\"$POD_NAMESPACE\" --output=jsonpath='{.status.podIP}' -- \"pod/$POD\")",
    );
    assert_contains(
        &text,
        "curl -sS --cacert \"$TLS_DIR/ca.crt\" --connect-to \"$POD_IP:9090:127.0.0.1:9090\" \
         -o /dev/null -w '%{http_code}\\n' -H \"Authorization: Bearer $TOKEN\" \"https://$POD_IP:9090\"/metrics\n",
    );
    let script = verify(&bundle, None, VerifyFormat::Script)?;
    let (output, dir) = run_script(&script, &[])?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let calls = std::fs::read_to_string(dir.path().join("curl.log"))?;
    assert_contains(&calls, "--connect-to 10.0.0.7:9090:127.0.0.1:9090");
    assert_contains(&calls, "https://10.0.0.7:9090/metrics");
    assert!(!calls.contains("--insecure -o /dev/null -w"), "{calls}");
    Ok(())
}

#[test]
fn with_manifests_the_script_first_checks_each_picker_as_they_describe_it() -> TestResult {
    let mut manifests = igw_monitoring::manifests::Manifests::new();
    manifests.add(
        "in",
        serde_json::json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "a", "namespace": "team-x"},
            "spec": {"selector": {"matchLabels": {"app": "a"}}, "template": {
                "metadata": {"labels": {"app": "a"}},
                "spec": {"serviceAccountName": "a", "containers": [{
                    "name": "epp",
                    "image": "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0",
                    "args": ["--pool-name", "pool"],
                    "ports": [{"name": "metrics", "containerPort": 9090}]}]}}}
        }),
    )?;
    let (options, _) = igw_monitoring::manifests::from_manifests(&manifests)?
        .apply(Options::default(), &Given::new())?;
    let plan = igw_monitoring::Plan::try_from(options)?;
    let check = plan.check(&manifests);
    assert!(check.is_clean(), "{:#?}", check.findings);
    let options = VerifyOptions {
        format: VerifyFormat::Script,
        preflight: check.pickers.clone(),
        ..Default::default()
    };
    let script = plan.verify(&options)?;
    assert_bash_parses(&script)?;
    let text = plan.verify(&VerifyOptions {
        format: VerifyFormat::Text,
        ..options.clone()
    })?;
    assert_contains(
        &text,
        "1. deployment team-x/a: container epp serves /metrics on port 9090 over plain HTTP, as ServiceAccount a.",
    );
    assert_contains(
        &text,
        "kubectl auth can-i --as=system:serviceaccount:team-x:a -- create tokenreviews.authentication.k8s.io",
    );
    // Without manifests, no preflight.
    assert!(
        !plan
            .verify(&VerifyOptions::default())?
            .contains("Before the targets")
    );

    let (output, dir) = run_script(&script, &[])?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_contains(
        &stdout,
        "== Preflight: deployment team-x/a, as the manifests describe it ==",
    );
    assert_contains(
        &stdout,
        "ok    container epp declares port 9090, the metrics port",
    );
    assert_contains(
        &stdout,
        "ok    it serves /metrics over plain HTTP, as the manifests say",
    );
    assert_contains(&stdout, "ok    team-x/a may create TokenReviews");
    let calls = std::fs::read_to_string(dir.path().join("kubectl.log"))?;
    assert_contains(
        &calls,
        "auth can-i --as=system:serviceaccount:team-x:a -- create subjectaccessreviews.authorization.k8s.io",
    );
    assert_contains(
        &calls,
        "get --namespace=team-x --output=jsonpath={.spec.template.spec.containers[?(@.name==\"epp\")].ports[*].containerPort}",
    );
    assert_contains(&calls, "-- deployment a\n");
    assert_values_follow_flags_or_double_dash(dir.path())?;

    for (env, expected) in [
        (
            ("STUB_PORTS", "9002 9091"),
            "FAIL  container epp declares no port 9090 (its ports: 9002 9091)",
        ),
        (
            ("STUB_ARGS", "--pool-name pool --metrics-cert-dir=/certs"),
            "FAIL  it serves /metrics over TLS (--metrics-cert-dir), which the manifests do not say",
        ),
        (
            ("STUB_ACCOUNT", "other"),
            "FAIL  it runs as ServiceAccount team-x/other, the manifests say a",
        ),
        (
            ("STUB_NO_PICKER", "1"),
            "FAIL  deployment team-x/a is not on the cluster: Error from server (NotFound)",
        ),
    ] {
        let (output, _dir) = run_script(&script, &[env])?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(1), "{env:?}: {stdout}");
        assert_contains(&stdout, expected);
    }
    let (output, _dir) = run_script(&script, &[("STUB_CAN_I", "no")])?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_contains(&stdout, "FAIL  team-x/a may create TokenReviews");
    assert_contains(&stdout, "without it every scrape gets 500");
    Ok(())
}

/// A preflight picker built by hand whose values the API server would refuse (a kubectl
/// flag as its name, a quote in its container name that would end the JSONPath filter) is
/// refused by verify, naming the field; a valid one is written after `--`.
#[test]
fn hand_made_preflight_pickers_are_held_to_the_api_servers_rules() -> TestResult {
    let plan = Plan::try_from(Options::default())?;
    let valid = igw_monitoring::check::Picker {
        workload: igw_monitoring::ObjectRef::new("Deployment", Some("team-x"), "a"),
        resource: "deployment".to_owned(),
        namespace: "team-x".to_owned(),
        name: "a".to_owned(),
        container: "epp".to_owned(),
        metrics_port: Some(9090),
        tls: false,
        auth: true,
        service_account: "a".to_owned(),
    };
    for format in [VerifyFormat::Text, VerifyFormat::Script] {
        let options = VerifyOptions {
            format,
            preflight: vec![valid.clone()],
            ..Default::default()
        };
        let text = plan.verify(&options)?;
        let positional = match format {
            VerifyFormat::Text => "-- deployment a",
            VerifyFormat::Script => "-- \"$picker_resource\" \"$picker_name\"",
        };
        assert!(text.contains(positional), "{text}");
    }
    type Spoil = fn(&mut igw_monitoring::check::Picker);
    let bad: [(&str, Spoil); 5] = [
        ("preflight[0].name", |p| {
            p.name = "--server=https://attacker:443".to_owned()
        }),
        ("preflight[0].namespace", |p| {
            p.namespace = "--context=other".to_owned()
        }),
        ("preflight[0].container", |p| {
            p.container = "epp\")]}{.x".to_owned()
        }),
        ("preflight[0].serviceAccount", |p| {
            p.service_account = "-n".to_owned()
        }),
        ("preflight[0].resource", |p| {
            p.resource = "--token=x".to_owned()
        }),
    ];
    for (field, spoil) in bad {
        let mut picker = valid.clone();
        spoil(&mut picker);
        for format in [VerifyFormat::Text, VerifyFormat::Script] {
            let options = VerifyOptions {
                format,
                preflight: vec![picker.clone()],
                ..Default::default()
            };
            match plan.verify(&options) {
                Err(Error::Invalid(problems)) => {
                    assert!(problems.mentions(field), "{field}: {problems}")
                }
                other => return Err(format!("{field}: {other:?}").into()),
            }
        }
    }
    Ok(())
}
