//! A fluent way to set [`Options`]: every setter is optional, `build()` judges them all at once.

use crate::bundle::Bundle;
use crate::error::Error;
use crate::options::{ClusterFlavor, LabelSelector, Names, Options, Port};
use gmp_types::Scheme;

/// Builds a [`Bundle`]; start with [`Bundle::builder`]. Unset options keep the seed's defaults.
///
/// ```
/// use igw_monitoring::{Bundle, ClusterFlavor, LabelSelector};
///
/// let bundle = Bundle::builder()
///     .namespace("monitoring")
///     .flavor(ClusterFlavor::Autopilot)
///     .selector(LabelSelector::default().match_label("inferencepool", "vllm-llama3-8b-epp"))
///     .maybe_timeout(Some("3s"))
///     .build()?;
/// assert_eq!(bundle.plan().identities()[0].namespace(), "monitoring");
/// # Ok::<(), igw_monitoring::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[must_use = "a builder does nothing until `build()` is called"]
pub struct BundleBuilder {
    options: Options,
}

impl From<Options> for BundleBuilder {
    fn from(options: Options) -> Self {
        Self { options }
    }
}

impl BundleBuilder {
    /// Namespace of the reader ServiceAccount and its token Secret. Default: `default`.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.options.namespace = namespace.into();
        self
    }

    /// Cluster flavor, which decides the collector's namespace. Default: Standard.
    pub fn flavor(mut self, flavor: ClusterFlavor) -> Self {
        self.options.flavor = flavor;
        self
    }

    /// The pods to scrape; replaces the default `app: inference-gateway-ext-proc`.
    pub fn selector(mut self, selector: LabelSelector) -> Self {
        self.options.selector = selector;
        self
    }

    /// Container port to scrape, by name or number. Default: `metrics`.
    pub fn port(mut self, port: impl Into<Port>) -> Self {
        self.options.port = port.into();
        self
    }

    /// Scrape protocol. Default: `http`.
    pub fn scheme(mut self, scheme: Scheme) -> Self {
        self.options.scheme = scheme;
        self
    }

    /// Prometheus duration between scrapes. Default: `5s`.
    pub fn interval(mut self, interval: impl Into<String>) -> Self {
        self.options.interval = interval.into();
        self
    }

    /// Prometheus duration a scrape may take, at most the interval. Default: none.
    pub fn timeout(self, timeout: impl Into<String>) -> Self {
        self.maybe_timeout(Some(timeout))
    }

    /// Sets or clears the scrape timeout. Default: none.
    pub fn maybe_timeout(mut self, timeout: Option<impl Into<String>>) -> Self {
        self.options.timeout = timeout.map(Into::into);
        self
    }

    /// HTTP path of the metrics endpoint. Default: `/metrics`.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.options.path = path.into();
        self
    }

    /// Object names; unset ones keep their defaults. Default: the seed's names.
    pub fn names(mut self, names: Names) -> Self {
        self.options.names = names;
        self
    }

    /// Prefix of every object name the bundle creates. Default: none.
    pub fn name_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.options.name_prefix = prefix.into();
        self
    }

    /// Labels of the ClusterPodMonitoring, replacing the seed's two.
    pub fn monitoring_labels<K: Into<String>, V: Into<String>>(
        mut self,
        labels: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.options.monitoring_labels = collect(labels);
        self
    }

    /// Adds a label to every object. Default: none.
    pub fn extra_label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.extra_labels.insert(key.into(), value.into());
        self
    }

    /// Adds an annotation to every object. Default: none.
    pub fn extra_annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options
            .extra_annotations
            .insert(key.into(), value.into());
        self
    }

    /// The options set so far.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Checks every option and builds the bundle, or returns every problem found.
    pub fn build(&self) -> Result<Bundle, Error> {
        self.options.build()
    }
}

fn collect<K: Into<String>, V: Into<String>>(
    pairs: impl IntoIterator<Item = (K, V)>,
) -> std::collections::BTreeMap<String, String> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect()
}
