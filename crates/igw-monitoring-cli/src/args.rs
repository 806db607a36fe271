//! The command line, as clap reads it, and how flags land on [`Options`] over a config file.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use igw_monitoring::{
    ClusterFlavor, Collector, LabelSelector, Options, Port, Scheme, ScrapeThrough, SecretAccess,
    SelectorRequirement,
};
use igw_monitoring::{Given, SecretKeyRef, Source, TlsVersion, VerifyFormat};
use igw_monitoring::{MetricsSchema, MonitoringMode, Preset, PresetFlavor, RulesScope, Target};

/// Worked examples shown at the end of `--help`.
const EXAMPLES: &str = "\
Examples:
  # The seed document's bundle, ready for kubectl
  igw-monitoring render > bundle.yaml

  # GKE Autopilot, reader in namespace `monitoring`, pods of one InferencePool
  igw-monitoring render --autopilot --namespace monitoring --selector inferencepool=llama3-8b-epp

  # Set-based selector, slower scrapes, everything prefixed
  igw-monitoring render --selector-expression 'app in (llama3-8b-epp,qwen-7b-epp)' \\
      --interval 30s --timeout 10s --name-prefix team-a-

  # Options from a file, one flag on top, as a JSON List
  igw-monitoring render --config monitoring.yaml --namespace staging -o json

  # How to check the live setup, or a script that checks it
  igw-monitoring verify --autopilot --namespace monitoring --cluster prod-1
  igw-monitoring verify --config fleet.yaml --format script > check.sh && bash check.sh

  # Alerts as GMP Rules, and a Cloud Monitoring dashboard
  igw-monitoring alerts --epp-version 1.1 --namespace inference
  igw-monitoring dashboard --epp-version 1.1 --cluster prod-1 > dashboard.json
  gcloud monitoring dashboards create --config-from-file=dashboard.json

  # For kube-prometheus-stack: PodMonitors, PrometheusRules, a Grafana dashboard ConfigMap
  igw-monitoring render --collector prometheusOperator --prometheus-release kps --with-alerts
  igw-monitoring dashboard --collector prometheusOperator --config-map | kubectl apply -f -

  # A Kustomize base; overlays may set namespace:, namePrefix:, nameSuffix:
  igw-monitoring kustomize --out deploy/base --autopilot
  igw-monitoring kustomize --out deploy/base --autopilot --check   # exit 1 when stale

  # The bundle of your own manifests, and proof that it scrapes their endpoint pickers
  igw-monitoring render --from epp.yaml > bundle.yaml
  igw-monitoring check --against epp.yaml --bundle bundle.yaml

Exit codes: 0 success; 1 `--check` found the output stale, `check` found the bundle does not
scrape, or writing failed; 2 invalid input (flags, config file, options, manifests), nothing
written.";

/// Generates the Kubernetes objects that let Google Cloud Managed Service for Prometheus scrape
/// GKE Inference Gateway's endpoint picker.
#[derive(Debug, Parser)]
#[command(name = "igw-monitoring", version, after_long_help = EXAMPLES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the bundle: multi-document YAML, one JSON `List` with `-o json`, or Terraform HCL
    /// with `-o terraform`.
    #[command(after_long_help = EXAMPLES)]
    Render {
        /// The bundle's options.
        #[command(flatten)]
        options: OptionArgs,
        /// Output format.
        #[arg(short, long, value_enum, default_value_t = Format::Yaml)]
        output: Format,
    },
    /// Write the bundle as a Kustomize base that survives namespace and name overlays.
    #[command(after_long_help = EXAMPLES)]
    Kustomize {
        /// Where the base goes.
        #[command(flatten)]
        folder: FolderArgs,
        /// The bundle's options.
        #[command(flatten)]
        options: OptionArgs,
    },
    /// Write a fleet's tree: a Kustomize base of what every cluster shares, components per
    /// flavor, one overlay per cluster (clusters/NAME) and the GitOps engine's objects.
    #[command(after_long_help = FLEET_EXAMPLES)]
    Fleet {
        /// The fleet file (keys as in `igw-monitoring schema --fleet`).
        #[arg(long, value_name = "FLEET")]
        config: PathBuf,
        /// Where the tree goes.
        #[command(flatten)]
        folder: FolderArgs,
    },
    /// Print how to check a live setup step by step (or, with --format script, a script that
    /// checks it): token, curl and what 200/401/403/500 mean, collector RBAC, PromQL.
    #[command(after_long_help = EXAMPLES)]
    Verify {
        /// The bundle's options (the same as for render).
        #[command(flatten)]
        options: OptionArgs,
        /// The cluster's name as GMP labels it, for the PromQL query.
        #[arg(long, value_name = "NAME")]
        cluster: Option<String>,
        /// Steps to read, or a runnable `set -euo pipefail` shell script.
        #[arg(long, value_enum, default_value_t = VerifyFormat::Text)]
        format: VerifyFormat,
        /// Check the bundle against these manifests first, as `check --against` does (exit 1
        /// on a finding, nothing written); the steps then begin by checking that each endpoint
        /// picker runs on the cluster as the manifests describe it (repeatable, `-` for stdin).
        #[arg(long, value_name = "FILE")]
        against: Vec<PathBuf>,
    },
    /// Print the endpoint picker's alerts as GMP Rules (or ClusterRules with --rules-scope cluster).
    #[command(after_long_help = EXAMPLES)]
    Alerts {
        /// The bundle's options (the same as for render).
        #[command(flatten)]
        options: OptionArgs,
    },
    /// Print a dashboard of the endpoint pickers' metrics: for GMP, Cloud Monitoring's (JSON
    /// for `gcloud monitoring dashboards create --config-from-file`); for --collector
    /// prometheusOperator, Grafana's (JSON to import, or --config-map).
    #[command(after_long_help = EXAMPLES)]
    Dashboard {
        /// The bundle's options (targets, eppVersion, ...; the same as for render).
        #[command(flatten)]
        options: OptionArgs,
        /// Show only this cluster's metrics (Cloud Monitoring's dashboard).
        #[arg(long, value_name = "NAME")]
        cluster: Option<String>,
        /// The Grafana dashboard in a ConfigMap labelled grafana_dashboard: "1", which Grafana's
        /// dashboard sidecar loads (kube-prometheus-stack's), as YAML.
        #[arg(long)]
        config_map: bool,
    },
    /// Check that a bundle scrapes the endpoint pickers of your manifests: each monitoring
    /// selects picker pods and nothing else, on the port they serve /metrics on, with their
    /// scheme, TLS and token, their ServiceAccount may review tokens, the metric names match
    /// the image. Exit 0 clean, 1 findings, 2 invalid input.
    #[command(after_long_help = CHECK_EXAMPLES)]
    Check {
        /// The manifests to check against (YAML streams, or kubectl's JSON or YAML Lists; `-`
        /// for stdin; repeatable): `helm template ...`, or `kubectl get
        /// deploy,sts,svc,inferencepool,clusterrolebinding,clusterrole -A -o yaml`.
        #[arg(long, value_name = "FILE", required = true)]
        against: Vec<PathBuf>,
        /// Check this bundle (generated earlier or edited by hand; YAML or a JSON List)
        /// instead of the one the options make.
        #[arg(long, value_name = "BUNDLE", conflicts_with = "OptionArgs")]
        bundle: Option<PathBuf>,
        /// The bundle's options (the same as for render), when --bundle is not given.
        #[command(flatten)]
        options: OptionArgs,
        /// Output format.
        #[arg(short, long, value_enum, default_value_t = CheckFormat::Text)]
        output: CheckFormat,
    },
    /// Helm post-renderer: read a chart's output on stdin, print it unchanged, then the bundle
    /// for the endpoint pickers in it (as `render --from`, the options on top). Refused, with
    /// nothing printed, when the bundle would not scrape them (what `check --against` finds).
    #[command(after_long_help = POST_RENDER_EXAMPLES)]
    PostRender {
        /// The bundle's options (the same as for render, without --from).
        #[command(flatten)]
        options: OptionArgs,
        /// Also write the outcome (the check's findings, or that the bundle scrapes) to FILE,
        /// replaced whole: Helm 4 never shows a post-renderer's stderr.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// Pass a chart output that holds no endpoint picker through unchanged instead of
        /// refusing it.
        #[arg(long)]
        allow_no_picker: bool,
    },
    /// Argo CD Config Management Plugin's generate: `helm template` of the Application's chart
    /// (the working directory) with its parameters, through post-render. Parameters
    /// (ARGOCD_APP_PARAMETERS): values-files, helm-parameters, release-name (default: the
    /// Application's name), args (post-render flags); ARGOCD_ENV_IGW_NAMESPACE=ns sets
    /// --namespace=ns, and so for every flag.
    #[command(after_long_help = ARGOCD_EXAMPLES)]
    ArgocdGenerate {
        /// The helm binary.
        #[arg(long, value_name = "PATH", default_value = "helm")]
        helm: PathBuf,
    },
    /// Print the JSON Schema of the config file (for editor validation and completion).
    Schema {
        /// The fleet file's schema instead.
        #[arg(long)]
        fleet: bool,
    },
    /// Print the CustomResourceDefinitions derived from the GMP types.
    Crd,
    /// Print a shell completion script.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// A generated folder (`kustomize`'s base, `fleet`'s tree): where, and how it is replaced.
#[derive(Clone, Debug, Args)]
pub struct FolderArgs {
    /// The folder; replaced as a whole, or created.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace DIR even if this tool did not generate what is in it.
    #[arg(long)]
    pub force: bool,
    /// Write nothing; exit 1 if DIR differs from what would be written.
    #[arg(long, conflicts_with = "force")]
    pub check: bool,
}

/// How `render` prints the bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Multi-document YAML.
    Yaml,
    /// One Kubernetes `List` as JSON.
    Json,
    /// One Terraform `kubernetes_manifest` resource per object (HCL).
    Terraform,
}

/// How `check` prints what it found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// One line per finding and warning, then a summary.
    Text,
    /// One JSON object: findings, warnings, and what each monitoring selects.
    Json,
}

/// Worked examples shown at the end of `fleet --help`.
const FLEET_EXAMPLES: &str = "\
Examples:
  # One overlay per cluster of fleet.yaml, and the Argo CD ApplicationSet it names
  igw-monitoring fleet --config fleet.yaml --out monitoring
  KUBECONFIG=/dev/null kubectl kustomize monitoring/clusters/prod-us-central1

  # In CI: fail when the committed tree is not what fleet.yaml makes
  igw-monitoring fleet --config fleet.yaml --out monitoring --check

Exit codes: 0 written (or up to date); 1 --check found the tree stale, or writing failed;
2 invalid input (fleet file, options, manifests).";

/// Worked examples shown at the end of `post-render --help`.
const POST_RENDER_EXAMPLES: &str = "\
Examples:
  # Helm 4: the plugin of plugins/helm, its options after --post-renderer-args
  helm plugin install plugins/helm
  helm upgrade --install llama CHART -n inference --post-renderer igw-monitoring \\
      --post-renderer-args=--namespace=monitoring --post-renderer-args=--report=/tmp/igw.txt

  # Helm 3: the binary itself, post-render its first argument
  helm upgrade --install llama CHART -n inference --post-renderer igw-monitoring \\
      --post-renderer-args=post-render --post-renderer-args=--namespace=monitoring

Exit codes: 0 printed; 1 the bundle would not scrape the chart's pickers (the findings on
stderr and in --report), or writing failed; 2 invalid input (flags, config file, options,
manifests, no picker), nothing printed.";

/// Worked examples shown at the end of `argocd-generate --help`.
const ARGOCD_EXAMPLES: &str = "\
Examples:
  # As the sidecar of plugins/argocd runs it, in the Application's chart folder
  ARGOCD_APP_NAME=llama ARGOCD_APP_NAMESPACE=inference ARGOCD_ENV_IGW_NAMESPACE=monitoring \\
      ARGOCD_APP_PARAMETERS='[{\"name\":\"values-files\",\"array\":[\"values-prod.yaml\"]}]' \\
      igw-monitoring argocd-generate

Exit codes: as post-render's; helm failing is 1, with its error.";

/// Worked examples shown at the end of `check --help`.
const CHECK_EXAMPLES: &str = "\
Examples:
  # The bundle --from makes, checked against the same manifests
  helm template llm-d-router ... > epp.yaml
  igw-monitoring check --against epp.yaml --from epp.yaml

  # A bundle written earlier (or edited by hand), against what the cluster runs
  kubectl get deploy,sts,svc,inferencepool,clusterrolebinding,clusterrole -A -o yaml > live.yaml
  igw-monitoring check --against live.yaml --bundle bundle.yaml -o json

Exit codes: 0 every monitoring scrapes (warnings aside); 1 findings; 2 invalid input (flags,
config file, options, manifests or bundle).";

/// The bundle's options as flags; each one overrides the config file's value.
#[derive(Clone, Debug, Default, Args)]
pub struct OptionArgs {
    /// Read options from this YAML file (keys as in `igw-monitoring schema`); flags override it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Find the endpoint pickers in these manifests (YAML streams, or kubectl's JSON or YAML
    /// Lists; `-` for stdin; repeatable): targets, port, scheme, metric schema and auth
    /// delegation come from them, --config and the other flags apply on top.
    #[arg(long = "from", value_name = "FILE")]
    pub from: Vec<PathBuf>,
    /// Namespace of the reader ServiceAccount and its token Secret [default: default].
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,
    /// GKE Autopilot: GMP's collector runs in gke-gmp-system instead of gmp-system
    /// (`--autopilot=false` undoes a config file's `flavor: autopilot`).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub autopilot: Option<bool>,
    /// How GMP's collector may read the token Secret: a cluster-wide ClusterRole binding (the
    /// seed's form), or a Role binding in the Secret's namespace only [default: cluster].
    #[arg(long, value_enum, value_name = "SCOPE")]
    pub secret_access: Option<SecretAccess>,
    /// Scrape with ClusterPodMonitorings (reader in --namespace) or with PodMonitorings in each
    /// target's namespace, each with its own reader [default: cluster].
    #[arg(long, value_enum, value_name = "KIND")]
    pub monitoring: Option<MonitoringMode>,
    /// Which Prometheus scrapes: GMP, or a prometheus-operator Prometheus (PodMonitors,
    /// PrometheusRules, no collector grant) [default: gmp].
    #[arg(long, value_enum, value_name = "COLLECTOR")]
    pub collector: Option<Collector>,
    /// The kube-prometheus-stack release whose Prometheus scrapes: labels monitors and rules
    /// `release: NAME`, as its default selectors ask (--collector prometheusOperator).
    #[arg(long, value_name = "NAME")]
    pub prometheus_release: Option<String>,
    /// What the prometheus-operator monitor selects: the pickers' pods (a PodMonitor) or their
    /// Services (a ServiceMonitor) [default: pod].
    #[arg(long, value_enum, value_name = "WHAT")]
    pub scrape_through: Option<ScrapeThrough>,
    /// The pickers' Services, kubectl syntax, comma-separated (--scrape-through service)
    /// [default: the preset's, app.kubernetes.io/name=RELEASE-epp].
    #[arg(long, value_name = "SELECTOR", value_parser = selector)]
    pub service_selector: Option<LabelSelector>,
    /// The Services' port to scrape (--scrape-through service) [default: http-metrics].
    #[arg(long, value_name = "NAME")]
    pub service_port: Option<String>,
    /// Name of this installation, put into cluster-scoped names so bundles never collide.
    #[arg(long, value_name = "NAME")]
    pub instance: Option<String>,
    /// An endpoint picker to scrape, `NAME[:NAMESPACE]=SELECTOR` (SELECTOR in kubectl syntax,
    /// comma-separated); repeatable, replaces the selector and the config file's targets.
    #[arg(long = "target", value_name = "NAME[:NS]=SELECTOR", value_parser = target)]
    pub targets: Vec<Target>,
    /// Derive the selector from how the endpoint picker was installed.
    #[arg(
        long,
        value_enum,
        value_name = "FLAVOR",
        conflicts_with_all = ["selectors", "selector_expressions"]
    )]
    pub preset: Option<PresetFlavor>,
    /// The InferencePool or Helm release name the preset's labels derive from.
    #[arg(long, value_name = "NAME", requires = "preset")]
    pub release: Option<String>,
    /// Whether the chart created an InferencePool (helm-standalone's
    /// inferenceExtension.endpointsServer.createInferencePool, the llm-d-router charts'
    /// router.inferencePool.create): `--create-inference-pool=false` selects the pods of an
    /// install without one [default: true].
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", requires = "preset")]
    pub create_inference_pool: Option<bool>,
    /// Version of the endpoint picker, X.Y (llm-d-router's for the llm-d-router presets); picks
    /// the metric schema when --metrics-schema is not given.
    #[arg(long, value_name = "X.Y")]
    pub epp_version: Option<String>,
    /// The metric names alerts, dashboard and verify query [default: derived from the preset and
    /// --epp-version, else inference-model].
    #[arg(long, value_enum, value_name = "SCHEMA")]
    pub metrics_schema: Option<MetricsSchema>,
    /// The endpoint picker's ServiceAccount, NS/NAME: bind it to system:auth-delegator (fixes 500s).
    #[arg(long, value_name = "NS/NAME")]
    pub auth_delegation: Option<String>,
    /// Also grant the reader /debug/pprof/*.
    #[arg(long)]
    pub pprof: bool,
    /// Include the endpoint picker's alerts (Rules or ClusterRules) in the bundle.
    #[arg(long)]
    pub with_alerts: bool,
    /// Alerts as one Rules per target namespace, or one ClusterRules [default: namespaced].
    #[arg(long, value_enum, value_name = "SCOPE")]
    pub rules_scope: Option<RulesScope>,
    /// P99 latency in seconds above which the latency alert fires [default: 10].
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true)]
    pub alert_p99_latency: Option<f64>,
    /// Failed share of requests per model above which the error alert fires [default: 0.05].
    #[arg(long, value_name = "RATIO", allow_hyphen_values = true)]
    pub alert_error_ratio: Option<f64>,
    /// Average pool queue size above which the queue alert fires [default: 50].
    #[arg(long, value_name = "SIZE", allow_hyphen_values = true)]
    pub alert_queue_size: Option<f64>,
    /// Average pool KV-cache utilization above which the cache alert fires [default: 0.9].
    #[arg(long, value_name = "RATIO", allow_hyphen_values = true)]
    pub alert_kv_cache: Option<f64>,
    /// How long a condition must hold before its alert fires [default: 5m].
    #[arg(long, value_name = "DURATION")]
    pub alert_for: Option<String>,
    /// Select pods with this label (repeatable). Any selector flag replaces the whole selector of
    /// the config file or the default (app=inference-gateway-ext-proc).
    #[arg(long = "selector", value_name = "KEY=VALUE", value_parser = key_value)]
    pub selectors: Vec<(String, String)>,
    /// Set-based requirement, kubectl syntax: 'tier in (a,b)', 'tier notin (c)', 'tier', '!tier'
    /// (repeatable).
    #[arg(long = "selector-expression", value_name = "EXPR", value_parser = requirement)]
    pub selector_expressions: Vec<SelectorRequirement>,
    /// Time between scrapes, e.g. 30s or 1m30s [default: 5s].
    #[arg(long, value_name = "DURATION")]
    pub interval: Option<String>,
    /// Time a scrape may take, at most the interval [default: GMP's].
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Container port to scrape, by name or number [default: metrics].
    #[arg(long, value_name = "NAME|NUMBER", value_parser = port, allow_hyphen_values = true)]
    pub port: Option<Port>,
    /// HTTP path of the metrics endpoint [default: /metrics].
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,
    /// Scrape protocol [default: http].
    #[arg(long, value_enum, value_name = "SCHEME")]
    pub scheme: Option<Scheme>,
    /// Verify the endpoint picker's certificate with the CA in this key of a Secret beside the
    /// token Secret, SECRET:KEY (e.g. epp-metrics-ca:ca.crt) [default: the system roots].
    #[arg(long, value_name = "SECRET:KEY", value_parser = secret_key)]
    pub tls_ca_secret: Option<SecretKeyRef>,
    /// mTLS: the client certificate, SECRET:KEY (e.g. epp-metrics-client:tls.crt); needs
    /// --tls-key-secret [default: none].
    #[arg(long, value_name = "SECRET:KEY", value_parser = secret_key)]
    pub tls_cert_secret: Option<SecretKeyRef>,
    /// mTLS: the client certificate's private key, SECRET:KEY (e.g. epp-metrics-client:tls.key)
    /// [default: none].
    #[arg(long, value_name = "SECRET:KEY", value_parser = secret_key)]
    pub tls_key_secret: Option<SecretKeyRef>,
    /// Host name the endpoint picker's certificate is verified against [default: the pod IP].
    #[arg(long, value_name = "NAME")]
    pub tls_server_name: Option<String>,
    /// Do not verify the endpoint picker's certificate (contradicts --tls-ca-secret).
    #[arg(long)]
    pub tls_insecure_skip_verify: bool,
    /// Lowest TLS version accepted [default: TLS12, Go's].
    #[arg(long, value_enum, value_name = "VERSION")]
    pub tls_min_version: Option<TlsVersion>,
    /// Prefix of every object name the bundle creates (not of GMP's collector).
    #[arg(long, value_name = "PREFIX")]
    pub name_prefix: Option<String>,
    /// Add this label to every object (repeatable).
    #[arg(long = "label", value_name = "KEY=VALUE", value_parser = key_value)]
    pub labels: Vec<(String, String)>,
}

impl OptionArgs {
    /// Refuses flags that contradict each other or say nothing, which clap cannot see: a key
    /// given twice (only the last would count), an empty `--instance` (which would mean no
    /// instance, bringing back the name clashes the flag prevents).
    pub fn check(&self) -> Result<(), String> {
        for (flag, pairs) in [("--selector", &self.selectors), ("--label", &self.labels)] {
            let mut seen = std::collections::BTreeMap::new();
            for (key, value) in pairs {
                if let Some(first) = seen.insert(key.as_str(), value.as_str()) {
                    return Err(format!(
                        "{flag}: key {key:?} is given twice ({first:?} and {value:?}); give it once"
                    ));
                }
            }
        }
        if self.instance.as_deref() == Some("") {
            return Err(
                "--instance: must not be empty (leave the flag out for no instance name)"
                    .to_owned(),
            );
        }
        Ok(())
    }

    /// Lays the flags that were given over `options` (the config file's, or the defaults).
    pub fn apply(&self, mut options: Options) -> Options {
        let set = |target: &mut String, flag: &Option<String>| {
            if let Some(value) = flag {
                target.clone_from(value);
            }
        };
        set(&mut options.namespace, &self.namespace);
        if let Some(autopilot) = self.autopilot {
            options.flavor = if autopilot {
                ClusterFlavor::Autopilot
            } else {
                ClusterFlavor::Standard
            };
        }
        if let Some(access) = self.secret_access {
            options.secret_access = access;
        }
        if let Some(monitoring) = self.monitoring {
            options.monitoring = monitoring;
        }
        if let Some(collector) = self.collector {
            options.collector = collector;
        }
        if let Some(release) = &self.prometheus_release {
            options.prometheus_release = Some(release.clone());
        }
        if let Some(through) = self.scrape_through {
            options.scrape_through = through;
        }
        if let Some(selector) = &self.service_selector {
            options.service_selector = Some(selector.clone());
        }
        if let Some(port) = &self.service_port {
            options.service_port = Some(port.clone());
        }
        if let Some(instance) = &self.instance {
            options.instance = Some(instance.clone());
        }
        if !self.targets.is_empty() {
            options.targets = self.targets.clone();
        }
        if let Some(flavor) = self.preset {
            // The flag overrides the file's selector rather than conflicting with it.
            options.selector = Options::default().selector;
            options.preset = Some(Preset {
                flavor,
                release: self.release.clone().unwrap_or_default(),
                create_inference_pool: self.create_inference_pool.unwrap_or(true),
            });
        }
        if !self.selectors.is_empty() || !self.selector_expressions.is_empty() {
            options.preset = None;
            options.selector = LabelSelector {
                match_labels: self.selectors.iter().cloned().collect(),
                match_expressions: self.selector_expressions.clone(),
            };
        }
        if let Some(version) = &self.epp_version {
            options.epp_version = Some(version.clone());
        }
        if let Some(schema) = self.metrics_schema {
            options.metrics_schema = Some(schema);
        }
        if let Some(subject) = &self.auth_delegation {
            options.auth_delegation = Some(subject.clone());
        }
        options.pprof |= self.pprof;
        let alerts = &mut options.alerts;
        alerts.enabled |= self.with_alerts;
        if let Some(scope) = self.rules_scope {
            alerts.scope = scope;
        }
        for (target, flag) in [
            (&mut alerts.p99_latency_seconds, self.alert_p99_latency),
            (&mut alerts.error_ratio, self.alert_error_ratio),
            (&mut alerts.queue_size, self.alert_queue_size),
            (&mut alerts.kv_cache_utilization, self.alert_kv_cache),
        ] {
            if let Some(value) = flag {
                *target = value;
            }
        }
        set(&mut alerts.for_, &self.alert_for);
        set(&mut options.interval, &self.interval);
        if let Some(timeout) = &self.timeout {
            options.timeout = Some(timeout.clone());
        }
        if let Some(port) = &self.port {
            options.port = port.clone();
        }
        set(&mut options.path, &self.path);
        if let Some(scheme) = self.scheme {
            options.scheme = scheme;
        }
        if self.tls_given() {
            let tls = options.tls.get_or_insert_default();
            for (target, flag) in [
                (&mut tls.ca, &self.tls_ca_secret),
                (&mut tls.cert, &self.tls_cert_secret),
                (&mut tls.key, &self.tls_key_secret),
            ] {
                if let Some(value) = flag {
                    *target = Some(value.clone());
                }
            }
            if let Some(name) = &self.tls_server_name {
                tls.server_name = Some(name.clone());
            }
            tls.insecure_skip_verify |= self.tls_insecure_skip_verify;
            if let Some(version) = self.tls_min_version {
                tls.min_version = Some(version);
            }
        }
        set(&mut options.name_prefix, &self.name_prefix);
        options.extra_labels.extend(self.labels.iter().cloned());
        options
    }

    /// Whether any `--tls-*` flag was given.
    fn tls_given(&self) -> bool {
        self.flags()
            .iter()
            .any(|(_, path, given)| *given && path.starts_with("tls."))
    }

    /// Each flag that sets an option, the option's path as in the config file, and whether the
    /// flag was given: the one map between the two spellings.
    pub(crate) fn flags(&self) -> [(&'static str, &'static str, bool); 40] {
        [
            ("--namespace", "namespace", self.namespace.is_some()),
            ("--autopilot", "flavor", self.autopilot.is_some()),
            (
                "--secret-access",
                "secretAccess",
                self.secret_access.is_some(),
            ),
            ("--monitoring", "monitoring", self.monitoring.is_some()),
            ("--collector", "collector", self.collector.is_some()),
            (
                "--prometheus-release",
                "prometheusRelease",
                self.prometheus_release.is_some(),
            ),
            (
                "--scrape-through",
                "scrapeThrough",
                self.scrape_through.is_some(),
            ),
            (
                "--service-selector",
                "serviceSelector",
                self.service_selector.is_some(),
            ),
            ("--service-port", "servicePort", self.service_port.is_some()),
            ("--instance", "instance", self.instance.is_some()),
            ("--target", "targets", !self.targets.is_empty()),
            ("--preset", "preset", self.preset.is_some()),
            ("--release", "preset.release", self.release.is_some()),
            (
                "--create-inference-pool",
                "preset.createInferencePool",
                self.create_inference_pool.is_some(),
            ),
            ("--selector", "selector", !self.selectors.is_empty()),
            (
                "--selector-expression",
                "selector.matchExpressions",
                !self.selector_expressions.is_empty(),
            ),
            ("--epp-version", "eppVersion", self.epp_version.is_some()),
            (
                "--metrics-schema",
                "metricsSchema",
                self.metrics_schema.is_some(),
            ),
            (
                "--auth-delegation",
                "authDelegation",
                self.auth_delegation.is_some(),
            ),
            ("--pprof", "pprof", self.pprof),
            ("--with-alerts", "alerts.enabled", self.with_alerts),
            ("--rules-scope", "alerts.scope", self.rules_scope.is_some()),
            (
                "--alert-p99-latency",
                "alerts.p99LatencySeconds",
                self.alert_p99_latency.is_some(),
            ),
            (
                "--alert-error-ratio",
                "alerts.errorRatio",
                self.alert_error_ratio.is_some(),
            ),
            (
                "--alert-queue-size",
                "alerts.queueSize",
                self.alert_queue_size.is_some(),
            ),
            (
                "--alert-kv-cache",
                "alerts.kvCacheUtilization",
                self.alert_kv_cache.is_some(),
            ),
            ("--alert-for", "alerts.for", self.alert_for.is_some()),
            ("--interval", "interval", self.interval.is_some()),
            ("--timeout", "timeout", self.timeout.is_some()),
            ("--port", "port", self.port.is_some()),
            ("--path", "path", self.path.is_some()),
            ("--scheme", "scheme", self.scheme.is_some()),
            ("--tls-ca-secret", "tls.ca", self.tls_ca_secret.is_some()),
            (
                "--tls-cert-secret",
                "tls.cert",
                self.tls_cert_secret.is_some(),
            ),
            ("--tls-key-secret", "tls.key", self.tls_key_secret.is_some()),
            (
                "--tls-server-name",
                "tls.serverName",
                self.tls_server_name.is_some(),
            ),
            (
                "--tls-insecure-skip-verify",
                "tls.insecureSkipVerify",
                self.tls_insecure_skip_verify,
            ),
            (
                "--tls-min-version",
                "tls.minVersion",
                self.tls_min_version.is_some(),
            ),
            ("--name-prefix", "namePrefix", self.name_prefix.is_some()),
            ("--label", "extraLabels", !self.labels.is_empty()),
        ]
    }

    /// The options the flags gave, each with its flag.
    pub fn given(&self) -> Given {
        let mut given = Given::new();
        for (flag, path, set) in self.flags() {
            if set {
                given.set(path, Source::Flag(flag));
            }
        }
        given
    }

    /// The flag that sets the option at `field` (a problem's field path), if one was given.
    pub fn flag_for(&self, field: &str) -> Option<&'static str> {
        self.given().flag_for(field)
    }
}

/// `SECRET:KEY` (both judged by the library, with their rules).
fn secret_key(text: &str) -> Result<SecretKeyRef, String> {
    text.split_once(':')
        .map(|(secret, key)| SecretKeyRef::new(secret, key))
        .ok_or_else(|| format!("{text:?} is not SECRET:KEY (e.g. epp-metrics-ca:ca.crt)"))
}

fn key_value(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("{text:?} is not KEY=VALUE"))
}

fn requirement(text: &str) -> Result<SelectorRequirement, String> {
    text.parse().map_err(|e| format!("{e}"))
}

fn selector(text: &str) -> Result<LabelSelector, String> {
    text.parse().map_err(|e| format!("{e}"))
}

fn target(text: &str) -> Result<Target, String> {
    let (head, selector) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not NAME[:NAMESPACE]=SELECTOR"))?;
    let (name, namespace) = match head.split_once(':') {
        Some((name, namespace)) => (name, Some(namespace.to_owned())),
        None => (head, None),
    };
    Ok(Target {
        name: name.to_owned(),
        namespace,
        selector: Some(self::selector(selector)?),
        preset: None,
        service_selector: None,
        tls: None,
        auth_delegation: None,
        port: None,
        scheme: None,
    })
}

fn port(text: &str) -> Result<Port, String> {
    // Digits are a number (range checked by the library, with the rule); anything else a name.
    match text.parse::<i64>() {
        Ok(n) => i32::try_from(n).map(Port::Number).map_err(|_| {
            "is not a valid port number (must be between 1 and 65535, inclusive)".to_owned()
        }),
        Err(_) => Ok(Port::Name(text.to_owned())),
    }
}
