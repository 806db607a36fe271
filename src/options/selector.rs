//! The options' [`LabelSelector`] as k8s-openapi's and back, and selectors matched as the API
//! server matches them, by kube-core's [`Selector`]: one conversion each way, one matcher.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
use kube_core::{Selector, SelectorExt};

use crate::options::{LabelSelector, SelectorOperator, SelectorRequirement};

impl From<&LabelSelector> for meta::LabelSelector {
    fn from(selector: &LabelSelector) -> Self {
        Self {
            match_labels: (!selector.match_labels.is_empty())
                .then(|| selector.match_labels.clone()),
            match_expressions: (!selector.match_expressions.is_empty()).then(|| {
                selector
                    .match_expressions
                    .iter()
                    .map(|r| meta::LabelSelectorRequirement {
                        key: r.key.clone(),
                        operator: r.operator.as_str().to_owned(),
                        values: (!r.values.is_empty()).then(|| r.values.clone()),
                    })
                    .collect()
            }),
        }
    }
}

/// A requirement whose operator Kubernetes does not know: the API server refuses the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownOperator {
    /// Its index in `matchExpressions`.
    pub index: usize,
    /// The operator given.
    pub operator: String,
}

impl TryFrom<&meta::LabelSelector> for LabelSelector {
    type Error = UnknownOperator;

    fn try_from(selector: &meta::LabelSelector) -> Result<Self, UnknownOperator> {
        let requirement = |(index, r): (usize, &meta::LabelSelectorRequirement)| {
            let operator = match r.operator.as_str() {
                "In" => SelectorOperator::In,
                "NotIn" => SelectorOperator::NotIn,
                "Exists" => SelectorOperator::Exists,
                "DoesNotExist" => SelectorOperator::DoesNotExist,
                other => {
                    return Err(UnknownOperator {
                        index,
                        operator: other.to_owned(),
                    });
                }
            };
            Ok(SelectorRequirement {
                key: r.key.clone(),
                operator,
                values: r.values.clone().unwrap_or_default(),
            })
        };
        Ok(Self {
            match_labels: selector.match_labels.clone().unwrap_or_default(),
            match_expressions: selector
                .match_expressions
                .iter()
                .flatten()
                .enumerate()
                .map(requirement)
                .collect::<Result<_, _>>()?,
        })
    }
}

/// A selector ready to match pods' labels, made once: kube-core's [`Selector`], or nothing
/// when kube-core cannot read it (`In` or `NotIn` without values, which the API server
/// refuses), which selects no pod.
#[derive(Clone, Debug)]
pub(crate) struct Matcher(Option<Selector>);

/// Labels of a pod that has none.
static NO_LABELS: BTreeMap<String, String> = BTreeMap::new();

impl Matcher {
    /// A pod selector (a monitoring's): an empty one selects every pod.
    pub(crate) fn of(selector: &LabelSelector) -> Self {
        Self(Selector::try_from(meta::LabelSelector::from(selector)).ok())
    }

    /// A Service's selector: an empty one selects no pod (a Service without a selector has no
    /// endpoints of its own).
    pub(crate) fn of_service(selector: &BTreeMap<String, String>) -> Self {
        Self((!selector.is_empty()).then(|| selector.clone().into_iter().collect()))
    }

    /// Whether it selects pods labelled `labels`.
    pub(crate) fn matches(&self, labels: Option<&BTreeMap<String, String>>) -> bool {
        self.0
            .as_ref()
            .is_some_and(|s| s.matches(labels.unwrap_or(&NO_LABELS)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_selector_goes_to_k8s_and_back_unchanged() {
        let selector = LabelSelector::default()
            .match_label("app", "epp")
            .match_expression(SelectorRequirement::is_in("tier", ["b", "a"]))
            .match_expression(SelectorRequirement::exists("pool"));
        let k8s = meta::LabelSelector::from(&selector);
        assert_eq!(k8s.match_expressions.as_ref().map(Vec::len), Some(2));
        assert_eq!(LabelSelector::try_from(&k8s), Ok(selector));
        assert_eq!(
            meta::LabelSelector::from(&LabelSelector::default()),
            meta::LabelSelector::default()
        );
    }

    #[test]
    fn an_operator_kubernetes_does_not_know_is_refused_with_its_index() {
        let k8s = meta::LabelSelector {
            match_expressions: Some(vec![
                meta::LabelSelectorRequirement {
                    key: "a".to_owned(),
                    operator: "Exists".to_owned(),
                    values: None,
                },
                meta::LabelSelectorRequirement {
                    key: "b".to_owned(),
                    operator: "Matches".to_owned(),
                    values: Some(vec!["x".to_owned()]),
                },
            ]),
            ..Default::default()
        };
        assert_eq!(
            LabelSelector::try_from(&k8s),
            Err(UnknownOperator {
                index: 1,
                operator: "Matches".to_owned()
            })
        );
    }

    #[test]
    fn pod_selectors_and_service_selectors_match_as_the_api_server_does() {
        let pod = labels(&[("app", "epp"), ("tier", "a")]);
        let all = Matcher::of(&LabelSelector::default());
        assert!(all.matches(Some(&pod)) && all.matches(None));
        let set = Matcher::of(
            &LabelSelector::default()
                .match_label("app", "epp")
                .match_expression(SelectorRequirement::not_in("tier", ["b"]))
                .match_expression(SelectorRequirement::does_not_exist("canary")),
        );
        assert!(set.matches(Some(&pod)));
        assert!(!set.matches(Some(&labels(&[("app", "epp"), ("tier", "b")]))));
        assert!(!set.matches(None));
        let service = Matcher::of_service(&labels(&[("app", "epp")]));
        assert!(service.matches(Some(&pod)) && !service.matches(None));
        assert!(!Matcher::of_service(&BTreeMap::new()).matches(Some(&pod)));
    }
}
