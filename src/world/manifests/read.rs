//! Reading manifests: YAML streams, JSON, kubectl's `List`s, within bounds of size, alias
//! expansion and nesting.

use serde_json::Value;

use crate::diagnostics::{Problem, Problems};

/// The most bytes one manifest input may have; the command does not read past it.
pub const MAX_MANIFEST_BYTES: u64 = 256 * 1024 * 1024;

/// The most a YAML text's aliases may add to it (see [`aliases_within`]).
pub const MAX_ALIAS_EXPANSION: u64 = 64 * 1024 * 1024;

/// How deeply `List`s may nest inside `List`s; kubectl prints one level.
const MAX_LIST_DEPTH: usize = 8;

/// The problem of an object of a known kind that does not read as that kind.
pub(crate) fn does_not_read(at: &str, kind: &str, error: &impl std::fmt::Display) -> Problem {
    Problem {
        field: at.to_owned(),
        also: Vec::new(),
        value: kind.to_owned(),
        rule: format!("does not read as a {kind}: {error}"),
    }
}

pub(super) fn into_result(problems: Vec<Problem>) -> Result<(), Problems> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Problems(problems))
    }
}

/// What [`walk`] hands every object to: where it is, its kind, the object.
pub(crate) type Visit<'v> = dyn FnMut(&str, &str, Value) -> Result<(), Vec<Problem>> + 'v;

/// Reads one input (a YAML stream or JSON, within [`MAX_MANIFEST_BYTES`] and
/// [`MAX_ALIAS_EXPANSION`]) and hands every object of it, `List`s opened, to `visit`; every
/// problem of the input comes at once.
pub(crate) fn read_objects(
    source: &str,
    text: &str,
    visit: &mut Visit<'_>,
) -> Result<(), Problems> {
    let mut problems = Vec::new();
    for (at, value) in documents(source, text)? {
        walk(&at, value, 0, &mut problems, visit);
    }
    into_result(problems)
}

/// Hands `value` to `visit` if it is an object, or each item if it is a `List` (`kind: List`
/// or any `*List` with `items`, nested at most [`MAX_LIST_DEPTH`] deep). `null`s are skipped;
/// anything else that is not an object, or has no kind, is a problem.
pub(super) fn walk(
    at: &str,
    value: Value,
    depth: usize,
    problems: &mut Vec<Problem>,
    visit: &mut Visit<'_>,
) {
    let problem = |value: &str, rule: &str| Problem {
        field: at.to_owned(),
        also: Vec::new(),
        value: value.to_owned(),
        rule: rule.to_owned(),
    };
    let Value::Object(mut map) = value else {
        if !value.is_null() {
            problems.push(problem(
                &shown(&value),
                "is not a Kubernetes object (a mapping with apiVersion and kind)",
            ));
        }
        return;
    };
    let Some(kind) = map.get("kind").and_then(Value::as_str).map(str::to_owned) else {
        problems.push(problem("", "has no kind: not a Kubernetes object"));
        return;
    };
    if kind.ends_with("List") && map.contains_key("items") {
        if depth >= MAX_LIST_DEPTH {
            problems.push(problem(&kind, "nests Lists too deeply"));
            return;
        }
        match map.remove("items") {
            Some(Value::Array(items)) => {
                for (i, item) in items.into_iter().enumerate() {
                    walk(
                        &format!("{at}.items[{i}]"),
                        item,
                        depth + 1,
                        problems,
                        visit,
                    );
                }
            }
            Some(Value::Null) | None => {}
            Some(other) => problems.push(problem(&shown(&other), "items is not a list")),
        }
        return;
    }
    if let Err(found) = visit(at, &kind, Value::Object(map)) {
        problems.extend(found);
    }
}

/// A value shortened for a problem: its JSON text.
fn shown(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 {
        format!("{}...", text.chars().take(80).collect::<String>())
    } else {
        text
    }
}

/// The documents of one input, each with where it is (`SOURCE[DOC]`).
fn documents(source: &str, text: &str) -> Result<Vec<(String, Value)>, Problems> {
    let refuse = |value: String, rule: String| {
        Problems(vec![Problem {
            field: source.to_owned(),
            also: Vec::new(),
            value,
            rule,
        }])
    };
    if text.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(refuse(
            format!("{} bytes", text.len()),
            format!(
                "is larger than {} MiB, the most a manifest input may have",
                MAX_MANIFEST_BYTES / (1024 * 1024)
            ),
        ));
    }
    // kubectl reads a UTF-8 byte-order mark before YAML or JSON as nothing.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // kubectl's `-o json` is JSON: serde_json reads it several times faster, and a stream of
    // concatenated objects (`{...}{...}`, as `kubectl get -o json` of several calls gives) too.
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let values: Result<Vec<Value>, _> = serde_json::Deserializer::from_str(text)
            .into_iter()
            .collect();
        if let Ok(values) = values {
            let one = values.len() == 1;
            return Ok(values
                .into_iter()
                .enumerate()
                .map(|(i, v)| {
                    (
                        if one {
                            source.to_owned()
                        } else {
                            format!("{source}[{i}]")
                        },
                        v,
                    )
                })
                .collect());
        }
    }
    if let Err(rule) = nesting_within(text, MAX_NESTING) {
        return Err(refuse(String::new(), rule));
    }
    if !aliases_within(text, MAX_ALIAS_EXPANSION) {
        return Err(refuse(
            String::new(),
            format!(
                "has aliases (`*name`) that repeat more than {} MiB of content, the most they may add",
                MAX_ALIAS_EXPANSION / (1024 * 1024)
            ),
        ));
    }
    // Merge keys (`<<: *common`) are YAML 1.1, which kubectl reads; serde_yaml applies them
    // only to its own values, so a text that may hold one takes that way.
    let merges = text.contains("<<");
    let mut documents = Vec::new();
    for (i, document) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let at = format!("{source}[{i}]");
        let invalid =
            |e: &dyn std::fmt::Display| refuse(String::new(), format!("is not valid YAML: {e}"));
        let value = if merges {
            let mut value: serde_yaml::Value =
                serde::Deserialize::deserialize(document).map_err(|e| invalid(&e))?;
            value.apply_merge().map_err(|e| invalid(&e))?;
            serde_json::to_value(value).map_err(|e| invalid(&e))?
        } else {
            serde::Deserialize::deserialize(document).map_err(|e: serde_yaml::Error| invalid(&e))?
        };
        documents.push((at, value));
    }
    Ok(documents)
}

/// How deeply collections may nest in one YAML document (serde_yaml's own limit); manifests
/// nest a dozen levels.
pub const MAX_NESTING: usize = 128;

/// Whether no collection of a YAML text nests deeper than `limit`, judged by a streaming
/// parser (serde-saphyr's budget check) that stops at the first one that does. libyaml, which
/// serde_yaml reads with, spends time quadratic in the depth of nested flow collections before
/// its own limit applies (300 KB of `{"a":` took 18 s), so every YAML reader asks this first.
/// `Err` is the rule broken, with where; a text this parser cannot read is refused too, so
/// that nothing it could not measure reaches libyaml.
pub fn nesting_within(text: &str, limit: usize) -> Result<(), String> {
    use serde_saphyr::budget::{BudgetBreach, EnforcingPolicy, check_yaml_budget};
    let mut budget = serde_saphyr::Budget::default();
    // Only depth is judged here; sizes and aliases have their own bounds (and kubectl none).
    budget.max_depth = limit;
    // The parser refuses flow openers past this as a syntax error of its own (below).
    budget.flow_nesting_limit = limit;
    budget.max_reader_input_bytes = None;
    budget.max_events = usize::MAX;
    budget.max_aliases = usize::MAX;
    budget.max_anchors = usize::MAX;
    budget.max_recorded_anchor_events = usize::MAX;
    budget.max_recorded_anchor_bytes = usize::MAX;
    budget.max_documents = usize::MAX;
    budget.max_nodes = usize::MAX;
    budget.max_total_scalar_bytes = usize::MAX;
    budget.max_total_comment_bytes = usize::MAX;
    budget.max_merge_keys = usize::MAX;
    budget.enforce_alias_anchor_ratio = false;
    budget.simple_key_max_lookahead = usize::MAX;
    let too_deep = || format!("nests collections more than {limit} deep, the most a document may");
    match check_yaml_budget(text, budget, EnforcingPolicy::PerDocument) {
        Ok(report) => match report.breached {
            None => Ok(()),
            Some(BudgetBreach::Depth { .. }) => Err(too_deep()),
            Some(other) => Err(format!("is refused before reading: {other:?}")),
        },
        Err(e) if e.to_string().contains("recursion limit") => Err(too_deep()),
        Err(e) => Err(format!("is not valid YAML: {e}")),
    }
}

/// Whether a YAML text's aliases add at most `limit` bytes when expanded (counting each
/// repeated scalar's bytes and one per repeated node), judged before anything is built from it.
/// A text without `*` has no alias and is not looked at again.
///
/// The same parser (serde_yaml replays an alias's events at each use) walks the text into
/// nothing but a running count: the scalars it sees are borrowed, so the walk allocates nothing
/// and stops at the limit. Without aliases the count stays below the text's length (every node
/// takes at least a byte of it), so the text's length plus the limit bounds what aliases add.
/// A text that is invalid YAML for another reason is within the limit: reading it reports that.
pub fn aliases_within(text: &str, limit: u64) -> bool {
    if !text.contains('*') {
        return true;
    }
    let budget = Budget {
        left: std::cell::Cell::new((text.len() as u64).saturating_add(limit)),
        exceeded: std::cell::Cell::new(false),
    };
    for document in serde_yaml::Deserializer::from_str(text) {
        let walked = serde::de::DeserializeSeed::deserialize(Measure(&budget), document);
        if walked.is_err() {
            break;
        }
    }
    !budget.exceeded.get()
}

/// What a text's expansion may still cost (see [`aliases_within`]).
struct Budget {
    left: std::cell::Cell<u64>,
    exceeded: std::cell::Cell<bool>,
}

/// Walks one YAML node, spending its cost from the budget.
#[derive(Clone, Copy)]
struct Measure<'b>(&'b Budget);

impl Measure<'_> {
    /// One node of `bytes` scalar bytes: an error once the budget is spent.
    fn spend<E: serde::de::Error>(self, bytes: usize) -> Result<(), E> {
        let cost = (bytes as u64).saturating_add(1);
        match self.0.left.get().checked_sub(cost) {
            Some(left) => {
                self.0.left.set(left);
                Ok(())
            }
            None => {
                self.0.exceeded.set(true);
                Err(E::custom("alias expansion limit"))
            }
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Measure<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Measure<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any YAML node")
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        self.spend(0)
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        self.spend(0)
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        self.spend(0)
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        self.spend(0)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        self.spend(v.len())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.spend(0)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        self.spend(0)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        serde::de::DeserializeSeed::deserialize(self, deserializer)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.spend(0)?;
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.spend(0)?;
        while map.next_key_seed(self)?.is_some() {
            map.next_value_seed(self)?;
        }
        Ok(())
    }

    /// A tagged node (`!tag value`): the tag, then the value.
    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        use serde::de::VariantAccess;
        let ((), variant) = data.variant_seed(self)?;
        variant.newtype_variant_seed(self)
    }
}
