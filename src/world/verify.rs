//! The steps that check a live setup of a bundle, with the bundle's values filled in: readable
//! text (`templates/verify.txt`) or a runnable bash script (`templates/verify.sh`).
//!
//! Pure like the rest of the crate: this only writes the text; running it is the user's. Every
//! value in a shell command passes through the `sh` filter, which quotes it with
//! [`shlex::try_quote`] whenever the shell would read it otherwise.

use std::io::{self, Write as _};

use askama::Template;

use crate::diagnostics::{Error, Problem, Problems};
use crate::kinds::ServiceAccountRef;
use crate::plan::validate::check_cluster;
use crate::plan::{Plan, TargetPlan};
use crate::world::check::Picker;

/// The local port the endpoint picker's metrics port is forwarded to.
pub const LOCAL_PORT: u16 = 9090;

/// The local port a prometheus-operator Prometheus's API is forwarded to (beside
/// [`LOCAL_PORT`], which the picker's takes).
pub const PROMETHEUS_LOCAL_PORT: u16 = 9091;

/// What `verify` needs besides the bundle.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The GKE cluster's name, for the PromQL `cluster` matcher; left out when `None`.
    pub cluster: Option<String>,
    /// Readable steps or a runnable script.
    pub format: VerifyFormat,
    /// The endpoint pickers the bundle scrapes, as the user's manifests describe them
    /// ([`crate::Check::pickers`]): checked on the live cluster first (the workload is there, its
    /// container declares the metrics port, serves TLS as said, runs as the ServiceAccount
    /// said, which may review tokens) [default: none, no preflight].
    pub preflight: Vec<Picker>,
}

/// How the verification steps are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum VerifyFormat {
    /// Numbered steps to read and copy from.
    #[default]
    Text,
    /// A bash script that runs the steps and says what to fix.
    Script,
}

impl Plan {
    /// The steps that check this plan's objects on a live cluster, every value filled in.
    pub fn verify(&self, options: &VerifyOptions) -> Result<String, Error> {
        let view = View::new(self, options)?;
        Ok(match options.format {
            VerifyFormat::Text => VerifyText { v: &view }.render()?,
            VerifyFormat::Script => VerifyScript { v: &view }.render()?,
        })
    }

    /// The text of [`Plan::verify`], written to `out` as it is made, so that a fleet's steps are
    /// never held at once (`out` is buffered here). The script is the exception: it is written
    /// when it is whole, so that one refused halfway (a name the shell cannot take) is never
    /// half-written where a `bash` reading a pipe would already run its first checks.
    pub fn write_verify(
        &self,
        options: &VerifyOptions,
        out: &mut dyn io::Write,
    ) -> Result<(), Error> {
        let view = View::new(self, options)?;
        let mut out = io::BufWriter::new(out);
        match options.format {
            VerifyFormat::Text => {
                let mut writer = FmtWriter {
                    out: &mut out,
                    failed: None,
                };
                let written = VerifyText { v: &view }.render_into(&mut writer);
                if let Some(e) = writer.failed {
                    return Err(Error::Output(e));
                }
                written?;
            }
            VerifyFormat::Script => {
                out.write_all(VerifyScript { v: &view }.render()?.as_bytes())?
            }
        }
        Ok(out.flush()?)
    }
}

/// A [`std::fmt::Write`] over an [`io::Write`] that keeps the I/O error (fmt's has none).
struct FmtWriter<'w, W: io::Write> {
    out: &'w mut W,
    failed: Option<io::Error>,
}

impl<W: io::Write> std::fmt::Write for FmtWriter<'_, W> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.out.write_all(s.as_bytes()).map_err(|e| {
            self.failed = Some(e);
            std::fmt::Error
        })
    }
}

/// The readable steps; every value passes [`Printable`] (askama.toml maps `.txt` to it).
#[derive(Template)]
#[template(path = "verify.txt")]
struct VerifyText<'a> {
    v: &'a View<'a>,
}

/// The runnable script.
#[derive(Template)]
#[template(path = "verify.sh", escape = "none")]
struct VerifyScript<'a> {
    v: &'a View<'a>,
}

/// Everything the templates show, taken from the plan; a target's part is made only when the
/// template comes to it ([`View::targets`]).
struct View<'p> {
    plan: &'p Plan,
    local_port: u16,
    /// Whether a prometheus-operator Prometheus scrapes (else GMP).
    operator: bool,
    /// [`PROMETHEUS_LOCAL_PORT`].
    prometheus_port: u16,
    /// `system:serviceaccount:<collector namespace>:collector`; empty under prometheus-operator.
    collector: String,
    collector_namespace: String,
    reader_role: String,
    reader_binding: String,
    /// The schema's request counter.
    metric: String,
    /// `cluster="<name>"`, when a cluster was given.
    cluster_matcher: Option<String>,
    target_count: usize,
    /// The pickers to check before the targets.
    pickers: Vec<PickerView>,
}

/// One endpoint picker of [`VerifyOptions::preflight`], as the steps show it.
struct PickerView {
    resource: String,
    namespace: String,
    name: String,
    container: String,
    /// The metrics port's number.
    port: String,
    tls: bool,
    auth: bool,
    service_account: String,
    /// `system:serviceaccount:<namespace>:<service account>`.
    subject: String,
    /// kubectl's JSONPath of the container's port numbers and args, and the ServiceAccount.
    jsonpath: String,
}

/// Refuses a preflight picker whose values the API server would refuse: they reach kubectl
/// commands and a JSONPath filter (the manifest reader refuses them already; a library caller
/// may build a [`Picker`] by hand).
fn check_pickers(pickers: &[Picker]) -> Result<(), Error> {
    use crate::rules;
    let mut problems = Vec::new();
    for (i, picker) in pickers.iter().enumerate() {
        let resource = match picker.resource.as_str() {
            "deployment" | "statefulset" => Ok(()),
            _ => Err("must be deployment or statefulset".to_owned()),
        };
        for (field, value, what, outcome) in [
            ("resource", &picker.resource, "workload resource", resource),
            (
                "namespace",
                &picker.namespace,
                "namespace",
                rules::dns1123_label(&picker.namespace),
            ),
            (
                "name",
                &picker.name,
                "object name",
                rules::dns1123_subdomain(&picker.name),
            ),
            (
                "container",
                &picker.container,
                "container name",
                rules::dns1123_label(&picker.container),
            ),
            (
                "serviceAccount",
                &picker.service_account,
                "ServiceAccount name",
                rules::dns1123_subdomain(&picker.service_account),
            ),
        ] {
            if let Err(reason) = outcome {
                problems.push(Problem {
                    field: format!("preflight[{i}].{field}"),
                    also: Vec::new(),
                    value: value.clone(),
                    rule: format!("is not a valid {what} ({reason})"),
                });
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(Problems(problems)))
    }
}

impl PickerView {
    fn new(picker: &Picker) -> Self {
        // Container names are RFC 1123 labels (check_pickers): nothing in one can end the
        // quoted filter.
        let container = format!(
            "{{.spec.template.spec.containers[?(@.name==\"{}\")]",
            picker.container
        );
        Self {
            resource: picker.resource.clone(),
            namespace: picker.namespace.clone(),
            name: picker.name.clone(),
            container: picker.container.clone(),
            port: picker
                .metrics_port
                .map(|p| p.to_string())
                .unwrap_or_default(),
            tls: picker.tls,
            auth: picker.auth,
            service_account: picker.service_account.clone(),
            subject: ServiceAccountRef::new(&picker.namespace, &picker.service_account).user(),
            jsonpath: format!(
                "{container}.ports[*].containerPort}}{{\"\\n\"}}{container}.command[*]}} {container}.args[*]}}{{\"\\n\"}}{{.spec.template.spec.serviceAccountName}}"
            ),
        }
    }
}

/// The bundle's binding of the endpoint picker's ServiceAccount to `system:auth-delegator`.
struct AuthDelegation {
    binding: String,
    namespace: String,
    service_account: String,
    /// `system:serviceaccount:<namespace>:<name>`.
    subject: String,
}

/// One scrape endpoint of one (Cluster)PodMonitoring, with the identity whose token it uses.
struct TargetView {
    kind: &'static str,
    /// The kind as `kubectl get` takes it.
    resource: String,
    name: String,
    /// The namespace of the pods, where known (always for a PodMonitoring).
    namespace: Option<String>,
    /// The monitoring object's own namespace; `None` for a ClusterPodMonitoring.
    object_namespace: Option<String>,
    /// The pods, in `kubectl get -l` syntax.
    selector: String,
    port: String,
    path: String,
    scheme: &'static str,
    url: String,
    secret_namespace: String,
    secret: String,
    /// `{.data.<key>}`: the token's key in the Secret.
    token_jsonpath: String,
    service_account: String,
    /// `system:serviceaccount:<namespace>:<reader>`.
    reader: String,
    secret_reader_role: (&'static str, String),
    secret_reader_binding: (&'static str, String),
    /// The PromQL query, with the namespace matcher when the namespace is known (under
    /// prometheus-operator, the `job` matcher).
    query: String,
    /// The `job` of the monitor's targets under prometheus-operator: `<namespace>/<name>`.
    job: String,
    /// The scrape pool prometheus-operator makes of the monitor's one endpoint.
    scrape_pool: String,
    /// The Prometheus fields that select the monitor and its namespace (under
    /// prometheus-operator).
    prometheus_selectors: (&'static str, &'static str),
    /// The endpoint's TLS settings, when it has a `tls` block.
    tls: Option<TlsView>,
    /// The bundle's binding of its picker's ServiceAccount to `system:auth-delegator`.
    auth_delegation: Option<AuthDelegation>,
    /// Where the scrape goes: `url`, or at the TLS server name that `resolve` points to
    /// localhost, so the certificate is checked against the name GMP checks it against.
    scrape_url: String,
    /// `--resolve` of curl: `<server name>:<local port>:127.0.0.1`.
    resolve: Option<String>,
    /// The TLS Secrets the collector must read too, each once.
    tls_secrets: Vec<String>,
}

/// What the endpoint's `tls` block means for a scrape from here.
struct TlsView {
    ca: Option<SecretFile>,
    cert: Option<SecretFile>,
    key: Option<SecretFile>,
    /// `tls.insecureSkipVerify`.
    insecure: bool,
    server_name: Option<String>,
    /// Whether curl checks the certificate against the server name, as GMP does.
    verifies: bool,
    /// Whether curl checks it against the pod's IP, as GMP does without a server name
    /// (`--connect-to` sends the request for that IP to the port-forward).
    verifies_pod_ip: bool,
}

/// One Secret key to fetch into a file for curl.
struct SecretFile {
    secret: String,
    /// `{.data.<key>}`, dots escaped as kubectl's JSONPath wants them.
    jsonpath: String,
}

impl<'p> View<'p> {
    fn new(plan: &'p Plan, options: &VerifyOptions) -> Result<Self, Error> {
        let cluster_matcher = options
            .cluster
            .as_deref()
            .map(|cluster| {
                check_cluster(cluster)?;
                // A JSON string is a valid PromQL string literal (Go's escapes).
                Ok::<_, Error>(format!("cluster={}", serde_json::to_string(cluster)?))
            })
            .transpose()?;
        let metric = plan.metrics_schema().metrics().request_total.to_owned();
        check_pickers(&options.preflight)?;
        let operator = plan.collector_kind() == crate::options::Collector::PrometheusOperator;
        if let (true, Some(cluster)) = (operator, &options.cluster) {
            return Err(Error::Invalid(Problems(vec![Problem {
                field: "cluster".to_owned(),
                also: Vec::new(),
                value: cluster.clone(),
                rule: "filters nothing under collector prometheusOperator: a Prometheus's own series carry no cluster label (its externalLabels are added on their way out); leave it out".to_owned(),
            }])));
        }
        let collector = plan.collector().map(|c| (c.user(), c.namespace.clone()));
        let (collector, collector_namespace) = collector.unwrap_or_default();
        Ok(Self {
            plan,
            local_port: LOCAL_PORT,
            operator,
            prometheus_port: PROMETHEUS_LOCAL_PORT,
            collector,
            collector_namespace,
            reader_role: plan.reader_role().name.clone(),
            reader_binding: plan.reader_binding().name.clone(),
            metric,
            cluster_matcher,
            target_count: plan.targets().len(),
            pickers: options.preflight.iter().map(PickerView::new).collect(),
        })
    }

    /// Who scrapes, as the steps name it: `GMP`, `Prometheus`.
    fn scraper(&self) -> &'static str {
        if self.operator { "Prometheus" } else { "GMP" }
    }

    /// Each target's part, made as the template reaches it: held all at once they took more
    /// memory than the whole plan.
    fn targets(&self) -> impl Iterator<Item = TargetView> + '_ {
        self.plan.targets().iter().map(|target| {
            TargetView::new(
                self.plan,
                target,
                &self.metric,
                self.cluster_matcher.as_deref(),
            )
        })
    }
}

impl TargetView {
    fn new(plan: &Plan, target: &TargetPlan, metric: &str, cluster_matcher: Option<&str>) -> Self {
        let endpoint = plan.endpoint();
        let identity = plan.identity_of(target);
        let monitoring = target.monitoring();
        let namespace = target.pods_namespace().map(str::to_owned);
        let job = target.operator_job();
        let mut matchers: Vec<String> = cluster_matcher.map(str::to_owned).into_iter().collect();
        if plan.collector().is_none() {
            // The Prometheus's own series carry no cluster label (externalLabels are added
            // only on their way out), and the job names the PodMonitor.
            matchers = vec![format!("job={}", crate::rules::promql_string(&job))];
        } else if let Some(ns) = &namespace {
            matchers.push(format!("namespace=\"{ns}\""));
        }
        let query = if matchers.is_empty() {
            metric.to_owned()
        } else {
            format!("{metric}{{{}}}", matchers.join(", "))
        };
        let scheme = plan.scheme_of(target);
        let path = endpoint.path().to_owned();
        // Under prometheus-operator there is no grant: the templates show none.
        let grant = |id: Option<&crate::plan::ObjectId>| {
            id.map(|id| (id.kind.as_str(), id.name.clone()))
                .unwrap_or_default()
        };
        let role = identity.secret_reader_role();
        let binding = identity.collector_binding();
        let url = format!("{scheme}://localhost:{LOCAL_PORT}{path}");
        let tls = plan.tls_of(target).map(|tls| {
            let file = |r: &Option<crate::options::tls::SecretKeyRef>| {
                r.as_ref().map(|r| SecretFile {
                    secret: r.secret.clone(),
                    jsonpath: format!("{{.data.{}}}", r.key.replace('.', "\\.")),
                })
            };
            TlsView {
                ca: file(&tls.ca),
                cert: file(&tls.cert),
                key: file(&tls.key),
                insecure: tls.insecure_skip_verify,
                server_name: tls.server_name.clone(),
                verifies: !tls.insecure_skip_verify && tls.server_name.is_some(),
                verifies_pod_ip: !tls.insecure_skip_verify && tls.server_name.is_none(),
            }
        });
        let host = tls
            .as_ref()
            .filter(|t| t.verifies)
            .and_then(|t| t.server_name.as_deref())
            .map(|name| match name.parse::<std::net::IpAddr>() {
                Ok(std::net::IpAddr::V6(_)) => format!("[{name}]"),
                _ => name.to_owned(),
            });
        let (scrape_url, resolve) = match &host {
            Some(host) => (
                format!("{scheme}://{host}:{LOCAL_PORT}{path}"),
                Some(format!("{host}:{LOCAL_PORT}:127.0.0.1")),
            ),
            None => (url.clone(), None),
        };
        let mut tls_secrets: Vec<String> = Vec::new();
        for (_, r) in plan
            .tls_of(target)
            .into_iter()
            .flat_map(|t| t.secret_refs())
        {
            if !tls_secrets.contains(&r.secret) {
                tls_secrets.push(r.secret.clone());
            }
        }
        let auth_delegation = plan.auth_delegation_of(target).map(|delegation| {
            let subject = delegation.subject();
            AuthDelegation {
                binding: delegation.binding().name.clone(),
                subject: subject.user(),
                namespace: subject.namespace.clone(),
                service_account: subject.name.clone(),
            }
        });
        Self {
            tls,
            auth_delegation,
            scrape_url,
            resolve,
            tls_secrets,
            kind: monitoring.kind.as_str(),
            resource: monitoring.kind.as_str().to_ascii_lowercase(),
            name: monitoring.name.clone(),
            object_namespace: monitoring.namespace.clone(),
            namespace,
            selector: target.selector().to_string(),
            port: plan.port_of(target).to_string(),
            scheme: scheme.as_str(),
            url,
            path,
            token_jsonpath: format!("{{.data.{}}}", endpoint.token_key()),
            reader: identity.service_account_ref().user(),
            secret: identity.token_secret().name.clone(),
            secret_namespace: identity.namespace().to_owned(),
            service_account: identity.service_account().name.clone(),
            secret_reader_role: grant(role),
            secret_reader_binding: grant(binding),
            query,
            scrape_pool: target.operator_scrape_pool(),
            prometheus_selectors: crate::world::selection::selector_fields(monitoring.kind)
                .unwrap_or_default(),
            job,
        }
    }
}

/// Characters a terminal acts on instead of showing: control characters (an ESC sequence can
/// retitle or rewrite the user's terminal) and the bidirectional overrides that reorder text.
/// RBAC names may legally hold them.
pub(crate) fn unprintable(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` as a terminal shows it: every control character but the line feed, and every
/// bidirectional override (U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069), written as its
/// `\u{…}` escape (the command passes its human-readable output and messages through this,
/// since object names from manifests may hold ESC sequences or bidirectional overrides).
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let hostile = |c: char| c != '\n' && unprintable(c);
    if !text.chars().any(hostile) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hostile(c) {
            shown.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            shown.push(c);
        }
    }
    std::borrow::Cow::Owned(shown)
}

/// The askama escaper of the readable steps: an [`unprintable`] character is written as its
/// `\u{…}` escape, everything else as it is.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Printable;

impl askama::filters::Escaper for Printable {
    fn write_escaped_str<W: std::fmt::Write>(&self, mut dest: W, string: &str) -> std::fmt::Result {
        for c in string.chars() {
            if unprintable(c) {
                write!(dest, "\\u{{{:x}}}", u32::from(c))?;
            } else {
                dest.write_char(c)?;
            }
        }
        Ok(())
    }
}

mod filters {
    use std::fmt::Write;

    use askama::filters::Safe;

    /// One shell word: the value as is when the shell reads it back unchanged, else quoted by
    /// shlex; with an [`unprintable`](super::unprintable) character, bash's `$'…'` quoting with
    /// each byte of it as `\xHH`, so the script shows no raw control character and bash still
    /// reads the value back exactly. Fails (rather than writing a broken script) on a NUL byte,
    /// which no word can hold.
    #[askama::filter_fn]
    pub fn sh(
        value: impl std::fmt::Display,
        _: &dyn askama::Values,
    ) -> askama::Result<Safe<String>> {
        let value = value.to_string();
        let quoted = shlex::try_quote(&value).map_err(|e| askama::Error::Custom(Box::new(e)))?;
        if !value.chars().any(super::unprintable) {
            return Ok(Safe(quoted.into_owned()));
        }
        let mut ansi_c = String::from("$'");
        for c in value.chars() {
            match c {
                '\\' | '\'' => {
                    ansi_c.push('\\');
                    ansi_c.push(c);
                }
                c if super::unprintable(c) => {
                    let mut bytes = [0; 4];
                    for byte in c.encode_utf8(&mut bytes).bytes() {
                        write!(ansi_c, "\\x{byte:02x}").map_err(askama::Error::from)?;
                    }
                }
                c => ansi_c.push(c),
            }
        }
        ansi_c.push('\'');
        Ok(Safe(ansi_c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value in the script template goes through the `sh` filter.
    #[test]
    fn every_script_value_is_shell_quoted() {
        let template = include_str!("../../templates/verify.sh");
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            let end = rest[start..]
                .find("}}")
                .map_or(rest.len(), |e| start + e + 2);
            let expression = &rest[start..end];
            assert!(
                expression
                    .trim_end_matches("}}")
                    .trim_end()
                    .ends_with("|sh"),
                "not shell-quoted: {expression}"
            );
            rest = &rest[end..];
        }
    }

    #[test]
    fn bad_cluster_names_are_refused_with_their_field() {
        for cluster in ["", "a\nb", "a\0b"] {
            let options = VerifyOptions {
                cluster: Some(cluster.to_owned()),
                format: VerifyFormat::Script,
                ..Default::default()
            };
            let result = crate::Bundle::builder()
                .build()
                .map(|b| b.plan().verify(&options));
            assert!(
                matches!(result, Ok(Err(Error::Invalid(ref p))) if p.mentions("cluster")),
                "{cluster:?}: {result:?}"
            );
        }
    }
}
