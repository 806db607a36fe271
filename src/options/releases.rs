//! The endpoint-picker releases users run, as data: per install (GIE's raw manifests, GIE's Helm
//! charts `inferencepool` and `standalone`, llm-d-router's charts `llm-d-router-gateway` and
//! `llm-d-router-standalone`) and version range, the labels its pods carry, its metrics port,
//! whether `/metrics` asks for a token by default, the metrics TLS flags it has, and the metric
//! schema it emits; and per schema, the metric names every release of it emits.
//!
//! Presets ([`Preset`](crate::Preset)), the plan's schema ([`Plan::metrics_schema`](crate::Plan::metrics_schema)),
//! the alerts, the dashboard and verify all read these tables; nothing else in the crate spells a
//! pod label or a metric name.
//!
//! The facts were read from the upstream code at each tag (GIE v0.1.0..v1.6.0, llm-d-router
//! v0.8.0..v0.10.0 and `main`); a version here is the project's own: GIE's for GIE installs,
//! llm-d-router's for llm-d-router installs.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The ways the endpoint picker has been installed, each labelling its pods differently (the
/// release table, `releases::RELEASES`, has their labels by version).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PresetFlavor {
    /// GIE raw manifests v0.1-v0.2: `app: inference-gateway-ext-proc`.
    #[serde(rename = "raw-v0.1")]
    RawV01,
    /// GIE raw manifests v0.3-v1.5: `app: <release>-epp`.
    #[serde(rename = "raw-v0.3")]
    RawV03,
    /// GIE Helm chart `inferencepool` v0.3-v1.5: `inferencepool: <release>-epp`.
    #[serde(rename = "helm-inferencepool")]
    HelmInferencepool,
    /// GIE Helm chart `standalone` v1.4-v1.5: `inferencepool: <release>-epp`; without an
    /// InferencePool `epp: <release>-epp`.
    #[serde(rename = "helm-standalone")]
    HelmStandalone,
    /// llm-d-router chart `llm-d-router-gateway`: `llm-d-router-gateway: <release>-epp`; without
    /// an InferencePool `llm-d-router-standalone: <release>-epp`.
    #[serde(rename = "llm-d-router-gateway")]
    LlmDRouterGateway,
    /// llm-d-router chart `llm-d-router-standalone`: `llm-d-router-gateway: <release>-epp`;
    /// without an InferencePool `llm-d-router-standalone: <release>-epp`.
    #[serde(rename = "llm-d-router-standalone")]
    LlmDRouterStandalone,
}

impl PresetFlavor {
    /// Every flavor, in the order they appeared.
    pub const ALL: [Self; 6] = [
        Self::RawV01,
        Self::RawV03,
        Self::HelmInferencepool,
        Self::HelmStandalone,
        Self::LlmDRouterGateway,
        Self::LlmDRouterStandalone,
    ];

    /// The spelling of config files and flags.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RawV01 => "raw-v0.1",
            Self::RawV03 => "raw-v0.3",
            Self::HelmInferencepool => "helm-inferencepool",
            Self::HelmStandalone => "helm-standalone",
            Self::LlmDRouterGateway => "llm-d-router-gateway",
            Self::LlmDRouterStandalone => "llm-d-router-standalone",
        }
    }

    /// Whether the labels derive from a release name.
    pub fn needs_release(self) -> bool {
        self != Self::RawV01
    }
}

/// A command line takes the spellings of config files, [`PresetFlavor::as_str`].
#[cfg(feature = "clap")]
impl clap::ValueEnum for PresetFlavor {
    fn value_variants<'a>() -> &'a [Self] {
        &Self::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let help = match self {
            Self::RawV01 => "GIE raw manifests v0.1-v0.2",
            Self::RawV03 => "GIE raw manifests v0.3-v1.5",
            Self::HelmInferencepool => "GIE Helm chart inferencepool v0.3-v1.5",
            Self::HelmStandalone => "GIE Helm chart standalone v1.4-v1.5",
            Self::LlmDRouterGateway => "llm-d-router's gateway chart",
            Self::LlmDRouterStandalone => "llm-d-router's standalone chart",
        };
        Some(clap::builder::PossibleValue::new(self.as_str()).help(help))
    }
}

/// A `MAJOR.MINOR` version.
pub type Version = (u64, u64);

/// Which project shipped an install.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Project {
    /// kubernetes-sigs/gateway-api-inference-extension (GIE), through v1.5.
    Gie,
    /// llm-d/llm-d-router (LDR), where the endpoint picker lives since 2026-06.
    LlmDRouter,
}

/// The value of a pod label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelValue {
    /// The same in every install.
    Fixed(&'static str),
    /// `<release>-epp`, from the InferencePool or Helm release name.
    ReleaseEpp,
}

/// A label the endpoint picker's pods carry, which a selector can match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodLabel {
    /// The label key.
    pub key: &'static str,
    /// Its value.
    pub value: LabelValue,
}

impl PodLabel {
    /// The (key, value) for pods installed under `release`.
    pub fn for_release(&self, release: &str) -> (&'static str, String) {
        let value = match self.value {
            LabelValue::Fixed(value) => value.to_owned(),
            LabelValue::ReleaseEpp => format!("{release}-epp"),
        };
        (self.key, value)
    }
}

/// The container port the endpoint picker serves `/metrics` on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricsPort {
    /// The port's name in the `epp` container.
    pub name: &'static str,
    /// Its number (`--metrics-port`'s default).
    pub number: u16,
}

/// The metrics port of every release: `metrics`, 9090.
pub const METRICS_PORT: MetricsPort = MetricsPort {
    name: "metrics",
    number: 9090,
};

/// The endpoint picker's flags that serve `/metrics` over TLS (llm-d-router v0.10+).
pub const METRICS_TLS_FLAGS: &[&str] = &["--metrics-cert-dir", "--metrics-client-ca-file"];

/// One install of the endpoint picker over a range of versions, as its users find it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Release {
    /// The install, as the preset that selects its pods.
    pub install: PresetFlavor,
    /// The project whose versions `first` and `last` count.
    pub project: Project,
    /// The first version of the range.
    pub first: Version,
    /// The last version of the range, inclusive; `None`: up to today.
    pub last: Option<Version>,
    /// The label of the pods of a default install.
    pub pod_label: PodLabel,
    /// The label of the pods when the chart creates no InferencePool
    /// (`inferenceExtension.endpointsServer.createInferencePool: false`,
    /// `router.inferencePool.create: false`); `None` when the install has no such choice.
    pub pod_label_without_pool: Option<PodLabel>,
    /// The container port of `/metrics`.
    pub metrics_port: MetricsPort,
    /// Whether `/metrics` asks for a token (TokenReview + SubjectAccessReview) by default.
    pub auth_by_default: bool,
    /// The flags that serve `/metrics` over TLS or mTLS; empty: plain HTTP only.
    pub tls_flags: &'static [&'static str],
    /// The metric names it emits.
    pub schema: MetricsSchema,
    /// The older schema it also emits under the old names, during a rename.
    pub also_emits: Option<MetricsSchema>,
}

impl Release {
    /// Whether `version` (of [`Self::project`]) is in the range.
    pub fn contains(&self, version: Version) -> bool {
        version >= self.first && self.last.is_none_or(|last| version <= last)
    }
}

const fn label(key: &'static str, value: LabelValue) -> PodLabel {
    PodLabel { key, value }
}

#[allow(clippy::too_many_arguments)]
const fn release(
    install: PresetFlavor,
    project: Project,
    first: Version,
    last: Option<Version>,
    pod_label: PodLabel,
    pod_label_without_pool: Option<PodLabel>,
    auth_by_default: bool,
    tls_flags: &'static [&'static str],
    schema: MetricsSchema,
    also_emits: Option<MetricsSchema>,
) -> Release {
    Release {
        install,
        project,
        first,
        last,
        pod_label,
        pod_label_without_pool,
        metrics_port: METRICS_PORT,
        auth_by_default,
        tls_flags,
        schema,
        also_emits,
    }
}

use LabelValue::{Fixed, ReleaseEpp};
use MetricsSchema::{InferenceModel, InferenceObjective, LlmDEpp, LlmDEppMigration};
use PresetFlavor::{
    HelmInferencepool, HelmStandalone, LlmDRouterGateway, LlmDRouterStandalone, RawV01, RawV03,
};
use Project::{Gie, LlmDRouter};

const APP_SEED: PodLabel = label("app", Fixed("inference-gateway-ext-proc"));
const APP_POOL: PodLabel = label("app", ReleaseEpp);
const INFERENCEPOOL: PodLabel = label("inferencepool", ReleaseEpp);
const EPP: PodLabel = label("epp", ReleaseEpp);
const LDR_GATEWAY: PodLabel = label("llm-d-router-gateway", ReleaseEpp);
const LDR_STANDALONE: PodLabel = label("llm-d-router-standalone", ReleaseEpp);

/// Every install and version range, oldest first within an install. The GIE charts turned
/// auth off by default from v1.1 to v1.2 (they tied it to `monitoring.prometheus.enabled`);
/// llm-d-router v0.9 and v0.10 emit the `inference_objective_` / `inference_pool_` names beside
/// the `llm_d_epp_` ones, `main` (the charts' default image tag) only the new ones.
#[rustfmt::skip]
pub const RELEASES: &[Release] = &[
    release(RawV01, Gie, (0, 1), Some((0, 2)), APP_SEED, None, true, &[], InferenceModel, None),
    release(RawV03, Gie, (0, 3), Some((1, 0)), APP_POOL, None, true, &[], InferenceModel, None),
    release(RawV03, Gie, (1, 1), Some((1, 5)), APP_POOL, None, true, &[], InferenceObjective, None),
    release(HelmInferencepool, Gie, (0, 3), Some((1, 0)), INFERENCEPOOL, None, true, &[], InferenceModel, None),
    release(HelmInferencepool, Gie, (1, 1), Some((1, 2)), INFERENCEPOOL, None, false, &[], InferenceObjective, None),
    release(HelmInferencepool, Gie, (1, 3), Some((1, 5)), INFERENCEPOOL, None, true, &[], InferenceObjective, None),
    release(HelmStandalone, Gie, (1, 4), Some((1, 5)), INFERENCEPOOL, Some(EPP), true, &[], InferenceObjective, None),
    release(LlmDRouterGateway, LlmDRouter, (0, 9), Some((0, 9)), LDR_GATEWAY, Some(LDR_STANDALONE), true, &[], LlmDEpp, Some(InferenceObjective)),
    release(LlmDRouterGateway, LlmDRouter, (0, 10), Some((0, 10)), LDR_GATEWAY, Some(LDR_STANDALONE), true, METRICS_TLS_FLAGS, LlmDEpp, Some(InferenceObjective)),
    release(LlmDRouterGateway, LlmDRouter, (0, 11), None, LDR_GATEWAY, Some(LDR_STANDALONE), true, METRICS_TLS_FLAGS, LlmDEpp, None),
    release(LlmDRouterStandalone, LlmDRouter, (0, 9), Some((0, 9)), LDR_GATEWAY, Some(LDR_STANDALONE), true, &[], LlmDEpp, Some(InferenceObjective)),
    release(LlmDRouterStandalone, LlmDRouter, (0, 10), Some((0, 10)), LDR_GATEWAY, Some(LDR_STANDALONE), true, METRICS_TLS_FLAGS, LlmDEpp, Some(InferenceObjective)),
    release(LlmDRouterStandalone, LlmDRouter, (0, 11), None, LDR_GATEWAY, Some(LDR_STANDALONE), true, METRICS_TLS_FLAGS, LlmDEpp, None),
];

/// The releases of one install, oldest first.
pub fn releases_of(install: PresetFlavor) -> impl Iterator<Item = &'static Release> {
    RELEASES.iter().filter(move |r| r.install == install)
}

/// The project whose versions an install's `eppVersion` counts.
pub fn project_of(install: PresetFlavor) -> Project {
    match install {
        LlmDRouterGateway | LlmDRouterStandalone => LlmDRouter,
        _ => Gie,
    }
}

/// The schema a project's endpoint picker emits at `version`, whatever the install: GIE before
/// 1.1 `inference-model`, from 1.1 `inference-objective`; llm-d-router before 0.9 (which
/// embedded GIE's picker and had no charts) `inference-objective`, from 0.9 `llm-d-epp`.
pub fn schema_at(project: Project, version: Version) -> MetricsSchema {
    match project {
        Gie if version < (1, 1) => InferenceModel,
        Gie => InferenceObjective,
        LlmDRouter if version < (0, 9) => InferenceObjective,
        LlmDRouter => LlmDEpp,
    }
}

/// The schema pods of `install` emit: at `version` when given (the install's row, else
/// [`schema_at`]); without a version, the one schema every release of the install emits, if
/// they agree (`None` when the version decides).
pub fn schema_of(install: PresetFlavor, version: Option<Version>) -> Option<MetricsSchema> {
    match version {
        Some(version) => Some(
            releases_of(install)
                .find(|r| r.contains(version))
                .map_or_else(|| schema_at(project_of(install), version), |r| r.schema),
        ),
        None => {
            let mut schemas = releases_of(install).map(|r| r.schema);
            let first = schemas.next()?;
            schemas.all(|s| s == first).then_some(first)
        }
    }
}

/// A project's newest release, the one its unreleased tags (such as `main`) are closest to.
pub fn newest(project: Project) -> Option<&'static Release> {
    RELEASES
        .iter()
        .filter(|r| r.project == project)
        .max_by_key(|r| r.first)
}

/// An endpoint picker version as `eppVersion` spells it, `MAJOR.MINOR` (at most 9 digits each,
/// as `1.1`); `None` for anything else.
pub fn parse_version(text: &str) -> Option<Version> {
    let (major, minor) = text.split_once('.')?;
    let number = |n: &str| {
        (!n.is_empty() && n.len() <= 9 && n.bytes().all(|b| b.is_ascii_digit()))
            .then(|| n.parse().ok())
            .flatten()
    };
    Some((number(major)?, number(minor)?))
}

/// The plain schemas a project's endpoint picker emits at `version`: its row's schema and the
/// older one it dual-emits during a rename (see [`Release::also_emits`]), else [`schema_at`].
pub fn emitted_at(project: Project, version: Version) -> Vec<MetricsSchema> {
    RELEASES
        .iter()
        .find(|r| r.project == project && r.contains(version))
        .map_or_else(
            || vec![schema_at(project, version)],
            |r| std::iter::once(r.schema).chain(r.also_emits).collect(),
        )
}

/// The pod label of a preset's install: the chart's default shape, or the one without an
/// InferencePool; `None` when the install has no such shape.
pub fn pod_label(install: PresetFlavor, create_inference_pool: bool) -> Option<PodLabel> {
    // Every release of one install labels its pods alike: the last says it.
    let newest = releases_of(install).last()?;
    if create_inference_pool {
        Some(newest.pod_label)
    } else {
        newest.pod_label_without_pool
    }
}

/// The label of the Service in front of a preset's pickers, which a ServiceMonitor selects:
/// the charts' `app.kubernetes.io/name: <release>-epp` (as GIE v1.5's and llm-d-router v0.10's
/// render it); `None` for the raw manifests, whose Service has no labels and no metrics port.
pub fn service_label(install: PresetFlavor) -> Option<PodLabel> {
    match install {
        RawV01 | RawV03 => None,
        HelmInferencepool | HelmStandalone | LlmDRouterGateway | LlmDRouterStandalone => {
            Some(label("app.kubernetes.io/name", ReleaseEpp))
        }
    }
}

/// The metric names an endpoint picker emits, which changed twice: `inference_model_` became
/// `inference_objective_` in GIE v1.1, and llm-d-router v0.9 renamed everything to `llm_d_epp_`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MetricsSchema {
    /// GIE before v1.1: `inference_model_*`, `inference_pool_*`.
    InferenceModel,
    /// GIE v1.1 to v1.5, llm-d-router before v0.9: `inference_objective_*`, `inference_pool_*`.
    InferenceObjective,
    /// llm-d-router v0.9 and later: `llm_d_epp_*`.
    LlmDEpp,
    /// A fleet moving to llm-d-router: every query asks for the `llm_d_epp_` names, or (where a
    /// picker emits none) the `inference_objective_` ones; each query costs two.
    LlmDEppMigration,
}

/// What a metric is, which decides the series PromQL may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricType {
    /// A counter (its name already ends in `_total`).
    Counter,
    /// A gauge.
    Gauge,
    /// A histogram: `_bucket` (with `le`), `_sum` and `_count`.
    Histogram,
}

/// One metric family of a catalogue: its name, type and labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metric {
    /// The exported name.
    pub name: &'static str,
    /// Counter, gauge or histogram.
    pub kind: MetricType,
    /// Its labels (without `le` and the scrape's target labels).
    pub labels: &'static [&'static str],
}

/// The names alerts, dashboard and verify query, in one schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchemaMetrics {
    /// Requests, by model (counter).
    pub request_total: &'static str,
    /// Failed requests, by model and `error_code` (counter).
    pub request_error_total: &'static str,
    /// End-to-end request latency (histogram).
    pub request_duration_seconds: &'static str,
    /// Request body size (histogram).
    pub request_size: &'static str,
    /// Response body size (histogram).
    pub response_size: &'static str,
    /// Input tokens per request (histogram).
    pub input_tokens: &'static str,
    /// Output tokens per request (histogram).
    pub output_tokens: &'static str,
    /// Requests in flight, by model (gauge).
    pub running_requests: &'static str,
    /// Time per output token, normalized (histogram).
    pub normalized_time_per_output_token: &'static str,
    /// Average KV-cache utilization of the pool's endpoints (gauge, by `name`).
    pub pool_kv_cache_utilization: &'static str,
    /// Average queue size of the pool's endpoints (gauge, by `name`).
    pub pool_queue_size: &'static str,
    /// Ready endpoints of the pool (gauge, by `name`).
    pub pool_ready_endpoints: &'static str,
    /// Queue size of each endpoint (gauge, by `name` and [`Self::endpoint_label`]).
    pub endpoint_queue_size: &'static str,
    /// The label naming the endpoint in [`Self::endpoint_queue_size`].
    pub endpoint_label: &'static str,
    /// The scheduler's end-to-end latency (histogram).
    pub scheduler_e2e_duration_seconds: &'static str,
}

const M_T: &[&str] = &["model_name", "target_model_name"];
const M_T_E: &[&str] = &["model_name", "target_model_name", "error_code"];
const LFP: &[&str] = &["model_name", "target_model_name", "fairness_id", "priority"];
const LFP_E: &[&str] = &[
    "model_name",
    "target_model_name",
    "fairness_id",
    "priority",
    "error_code",
];
const POOL: &[&str] = &["name"];
const NONE: &[&str] = &[];
const PLUGIN: &[&str] = &["extension_point", "plugin_type", "plugin_name"];
const INFO: &[&str] = &["commit", "build_ref"];

const fn metric(name: &'static str, kind: MetricType, labels: &'static [&'static str]) -> Metric {
    Metric { name, kind, labels }
}

use MetricType::{Counter, Gauge, Histogram};

/// GIE v1.0.x: the last release of `inference-model` (older ones lack some: v0.1 had no error
/// counter and no pool gauges, the per-pod queue and the scheduler histogram came in v0.4).
const INFERENCE_MODEL: &[Metric] = &[
    metric("inference_model_request_total", Counter, M_T),
    metric("inference_model_request_error_total", Counter, M_T_E),
    metric("inference_model_request_duration_seconds", Histogram, M_T),
    metric("inference_model_request_sizes", Histogram, M_T),
    metric("inference_model_response_sizes", Histogram, M_T),
    metric("inference_model_input_tokens", Histogram, M_T),
    metric("inference_model_output_tokens", Histogram, M_T),
    metric("inference_model_running_requests", Gauge, &["model_name"]),
    metric(
        "inference_model_normalized_time_per_output_token_seconds",
        Histogram,
        M_T,
    ),
    metric("inference_pool_average_kv_cache_utilization", Gauge, POOL),
    metric("inference_pool_average_queue_size", Gauge, POOL),
    metric("inference_pool_ready_pods", Gauge, POOL),
    metric(
        "inference_pool_per_pod_queue_size",
        Gauge,
        &["name", "model_server_pod"],
    ),
    metric(
        "inference_extension_scheduler_e2e_duration_seconds",
        Histogram,
        NONE,
    ),
    metric(
        "inference_extension_plugin_duration_seconds",
        Histogram,
        PLUGIN,
    ),
    metric("inference_extension_info", Gauge, INFO),
];

/// GIE v1.1.0: what every release of `inference-objective` emits (later ones add to it; v1.5
/// adds `priority` to the request counter and `inference_pool_average_running_requests`).
const INFERENCE_OBJECTIVE: &[Metric] = &[
    metric("inference_objective_request_total", Counter, M_T),
    metric("inference_objective_request_error_total", Counter, M_T_E),
    metric(
        "inference_objective_request_duration_seconds",
        Histogram,
        M_T,
    ),
    metric("inference_objective_request_sizes", Histogram, M_T),
    metric("inference_objective_response_sizes", Histogram, M_T),
    metric("inference_objective_input_tokens", Histogram, M_T),
    metric("inference_objective_output_tokens", Histogram, M_T),
    metric(
        "inference_objective_running_requests",
        Gauge,
        &["model_name"],
    ),
    metric(
        "inference_objective_normalized_time_per_output_token_seconds",
        Histogram,
        M_T,
    ),
    metric("inference_pool_average_kv_cache_utilization", Gauge, POOL),
    metric("inference_pool_average_queue_size", Gauge, POOL),
    metric("inference_pool_ready_pods", Gauge, POOL),
    metric(
        "inference_pool_per_pod_queue_size",
        Gauge,
        &["name", "model_server_pod"],
    ),
    metric(
        "inference_extension_scheduler_e2e_duration_seconds",
        Histogram,
        NONE,
    ),
    metric(
        "inference_extension_plugin_duration_seconds",
        Histogram,
        PLUGIN,
    ),
    metric("inference_extension_info", Gauge, INFO),
];

/// llm-d-router v0.9.0's always-registered `llm_d_epp_` families: what every release of
/// `llm-d-epp` emits, including `main` after the old names were removed.
const LLM_D_EPP: &[Metric] = &[
    metric("llm_d_epp_request_total", Counter, LFP),
    metric("llm_d_epp_request_error_total", Counter, LFP_E),
    metric("llm_d_epp_request_duration_seconds", Histogram, LFP),
    metric("llm_d_epp_request_size_bytes", Histogram, LFP),
    metric("llm_d_epp_response_size_bytes", Histogram, LFP),
    metric("llm_d_epp_request_input_tokens", Histogram, LFP),
    metric("llm_d_epp_request_output_tokens", Histogram, LFP),
    metric("llm_d_epp_request_cached_tokens", Histogram, LFP),
    metric("llm_d_epp_request_running", Gauge, LFP),
    metric("llm_d_epp_request_ntpot_seconds", Histogram, LFP),
    metric("llm_d_epp_average_kv_cache_utilization", Gauge, POOL),
    metric("llm_d_epp_average_queue_size", Gauge, POOL),
    metric("llm_d_epp_average_running_requests", Gauge, POOL),
    metric("llm_d_epp_ready_endpoints", Gauge, POOL),
    metric(
        "llm_d_epp_per_endpoint_queue_size",
        Gauge,
        &["name", "model_server_endpoint"],
    ),
    metric("llm_d_epp_scheduler_e2e_duration_seconds", Histogram, NONE),
    metric("llm_d_epp_plugin_duration_seconds", Histogram, PLUGIN),
    metric("llm_d_epp_info", Gauge, INFO),
];

impl MetricsSchema {
    /// Every schema, oldest first, then the migration mode.
    pub const ALL: [Self; 4] = [
        InferenceModel,
        InferenceObjective,
        LlmDEpp,
        LlmDEppMigration,
    ];

    /// The spelling of config files and flags.
    pub fn as_str(self) -> &'static str {
        match self {
            InferenceModel => "inference-model",
            InferenceObjective => "inference-objective",
            LlmDEpp => "llm-d-epp",
            LlmDEppMigration => "llm-d-epp-migration",
        }
    }

    /// The schema whose names a query falls back on when the first has no series (the
    /// migration mode's `inference-objective`); `None` for a plain schema.
    pub fn fallback(self) -> Option<Self> {
        (self == LlmDEppMigration).then_some(InferenceObjective)
    }

    /// Whether the outputs' queries find series of a picker that emits `emits` (one of the
    /// plain schemas they query is among them).
    pub fn finds(self, emits: &[Self]) -> bool {
        self.schemas().iter().any(|s| emits.contains(s))
    }

    /// The plain schemas whose names the outputs query: this one, or the migration mode's two.
    pub fn schemas(self) -> &'static [Self] {
        match self {
            InferenceModel => &[InferenceModel],
            InferenceObjective => &[InferenceObjective],
            LlmDEpp => &[LlmDEpp],
            LlmDEppMigration => &[LlmDEpp, InferenceObjective],
        }
    }

    /// The metric families every release of this schema emits (its minimum catalogue; the
    /// migration mode's first, `llm-d-epp`: see [`Self::schemas`]).
    pub fn catalogue(self) -> &'static [Metric] {
        match self {
            InferenceModel => INFERENCE_MODEL,
            InferenceObjective => INFERENCE_OBJECTIVE,
            LlmDEpp | LlmDEppMigration => LLM_D_EPP,
        }
    }

    /// The names the outputs query (the migration mode's first; [`Self::fallback`] has the
    /// others).
    pub fn metrics(self) -> &'static SchemaMetrics {
        match self {
            InferenceModel => &SchemaMetrics {
                request_total: "inference_model_request_total",
                request_error_total: "inference_model_request_error_total",
                request_duration_seconds: "inference_model_request_duration_seconds",
                request_size: "inference_model_request_sizes",
                response_size: "inference_model_response_sizes",
                input_tokens: "inference_model_input_tokens",
                output_tokens: "inference_model_output_tokens",
                running_requests: "inference_model_running_requests",
                normalized_time_per_output_token: "inference_model_normalized_time_per_output_token_seconds",
                pool_kv_cache_utilization: "inference_pool_average_kv_cache_utilization",
                pool_queue_size: "inference_pool_average_queue_size",
                pool_ready_endpoints: "inference_pool_ready_pods",
                endpoint_queue_size: "inference_pool_per_pod_queue_size",
                endpoint_label: "model_server_pod",
                scheduler_e2e_duration_seconds: "inference_extension_scheduler_e2e_duration_seconds",
            },
            InferenceObjective => &SchemaMetrics {
                request_total: "inference_objective_request_total",
                request_error_total: "inference_objective_request_error_total",
                request_duration_seconds: "inference_objective_request_duration_seconds",
                request_size: "inference_objective_request_sizes",
                response_size: "inference_objective_response_sizes",
                input_tokens: "inference_objective_input_tokens",
                output_tokens: "inference_objective_output_tokens",
                running_requests: "inference_objective_running_requests",
                normalized_time_per_output_token: "inference_objective_normalized_time_per_output_token_seconds",
                pool_kv_cache_utilization: "inference_pool_average_kv_cache_utilization",
                pool_queue_size: "inference_pool_average_queue_size",
                pool_ready_endpoints: "inference_pool_ready_pods",
                endpoint_queue_size: "inference_pool_per_pod_queue_size",
                endpoint_label: "model_server_pod",
                scheduler_e2e_duration_seconds: "inference_extension_scheduler_e2e_duration_seconds",
            },
            LlmDEpp | LlmDEppMigration => &SchemaMetrics {
                request_total: "llm_d_epp_request_total",
                request_error_total: "llm_d_epp_request_error_total",
                request_duration_seconds: "llm_d_epp_request_duration_seconds",
                request_size: "llm_d_epp_request_size_bytes",
                response_size: "llm_d_epp_response_size_bytes",
                input_tokens: "llm_d_epp_request_input_tokens",
                output_tokens: "llm_d_epp_request_output_tokens",
                running_requests: "llm_d_epp_request_running",
                normalized_time_per_output_token: "llm_d_epp_request_ntpot_seconds",
                pool_kv_cache_utilization: "llm_d_epp_average_kv_cache_utilization",
                pool_queue_size: "llm_d_epp_average_queue_size",
                pool_ready_endpoints: "llm_d_epp_ready_endpoints",
                endpoint_queue_size: "llm_d_epp_per_endpoint_queue_size",
                endpoint_label: "model_server_endpoint",
                scheduler_e2e_duration_seconds: "llm_d_epp_scheduler_e2e_duration_seconds",
            },
        }
    }

    /// The catalogued family a series name belongs to, among the families this schema's
    /// queries may name (the migration mode's two schemas'): the family itself, or a
    /// histogram's `_bucket` (then `true`), `_sum` or `_count`.
    pub fn family(self, series: &str) -> Option<(&'static Metric, bool)> {
        self.schemas()
            .iter()
            .flat_map(|s| s.catalogue().iter())
            .find_map(|m| {
                if m.name == series {
                    return Some((m, false));
                }
                let suffix = series.strip_prefix(m.name)?;
                (m.kind == MetricType::Histogram && ["_bucket", "_sum", "_count"].contains(&suffix))
                    .then_some((m, suffix == "_bucket"))
            })
    }

    /// The dashboard's title: Cloud Monitoring's own for the two GIE schemas.
    pub fn dashboard_title(self) -> &'static str {
        match self {
            InferenceModel => "GKE Inference Gateway Prometheus Overview (< v1.1.0)",
            InferenceObjective => "GKE Inference Gateway Prometheus Overview",
            LlmDEpp => "GKE Inference Gateway Prometheus Overview (llm-d-router, llm_d_epp_)",
            LlmDEppMigration => {
                "GKE Inference Gateway Prometheus Overview (llm-d-router, llm_d_epp_ or inference_objective_)"
            }
        }
    }
}

impl std::fmt::Display for MetricsSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A command line takes the spellings of config files, [`MetricsSchema::as_str`].
#[cfg(feature = "clap")]
impl clap::ValueEnum for MetricsSchema {
    fn value_variants<'a>() -> &'a [Self] {
        &Self::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let help = match self {
            InferenceModel => "GIE < 1.1",
            InferenceObjective => "GIE 1.1+, llm-d-router < 0.9",
            LlmDEpp => "llm-d-router 0.9+",
            LlmDEppMigration => {
                "llm_d_epp_ names, else inference_objective_ ones: queries cost two"
            }
        };
        Some(clap::builder::PossibleValue::new(self.as_str()).help(help))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serde spells every flavor and schema as `as_str` does (config files, flags and messages
    /// agree), and reads that spelling back.
    #[test]
    fn serde_spells_as_as_str() {
        for flavor in PresetFlavor::ALL {
            let json = serde_json::to_value(flavor).unwrap();
            assert_eq!(json, flavor.as_str(), "{flavor:?}");
            assert_eq!(
                serde_json::from_value::<PresetFlavor>(json).unwrap(),
                flavor
            );
        }
        for schema in MetricsSchema::ALL {
            let json = serde_json::to_value(schema).unwrap();
            assert_eq!(json, schema.as_str(), "{schema:?}");
            assert_eq!(
                serde_json::from_value::<MetricsSchema>(json).unwrap(),
                schema
            );
        }
    }

    /// A command line takes exactly the spellings of `as_str`.
    #[cfg(feature = "clap")]
    #[test]
    fn clap_spells_as_as_str() {
        use clap::ValueEnum;
        for flavor in PresetFlavor::ALL {
            assert_eq!(PresetFlavor::from_str(flavor.as_str(), false), Ok(flavor));
        }
        for schema in MetricsSchema::ALL {
            assert_eq!(MetricsSchema::from_str(schema.as_str(), false), Ok(schema));
        }
    }

    /// The names the outputs query are all in their schema's catalogue.
    #[test]
    fn queried_names_are_catalogued() {
        for schema in MetricsSchema::ALL {
            let m = schema.metrics();
            let catalogue = schema.catalogue();
            for name in [
                m.request_total,
                m.request_error_total,
                m.request_duration_seconds,
                m.request_size,
                m.response_size,
                m.input_tokens,
                m.output_tokens,
                m.running_requests,
                m.normalized_time_per_output_token,
                m.pool_kv_cache_utilization,
                m.pool_queue_size,
                m.pool_ready_endpoints,
                m.endpoint_queue_size,
                m.scheduler_e2e_duration_seconds,
            ] {
                assert!(catalogue.iter().any(|c| c.name == name), "{schema}: {name}");
            }
        }
    }

    #[test]
    fn every_install_has_releases_and_agrees_on_labels() {
        for install in PresetFlavor::ALL {
            let rows: Vec<_> = releases_of(install).collect();
            assert!(!rows.is_empty(), "{install:?}");
            assert!(rows.iter().all(|r| r.pod_label == rows[0].pod_label
                && r.pod_label_without_pool == rows[0].pod_label_without_pool));
            assert!(
                rows.windows(2)
                    .all(|w| w[0].last.is_some_and(|l| l < w[1].first))
            );
        }
    }

    #[test]
    fn schema_follows_project_and_version() {
        assert_eq!(schema_of(LlmDRouterGateway, None), Some(LlmDEpp));
        assert_eq!(
            schema_of(LlmDRouterStandalone, Some((0, 8))),
            Some(InferenceObjective)
        );
        assert_eq!(schema_of(HelmStandalone, None), Some(InferenceObjective));
        assert_eq!(schema_of(HelmInferencepool, None), None);
        assert_eq!(
            schema_of(HelmInferencepool, Some((1, 0))),
            Some(InferenceModel)
        );
        assert_eq!(schema_of(RawV03, Some((1, 9))), Some(InferenceObjective));
        assert_eq!(schema_of(RawV01, None), Some(InferenceModel));
    }
}
