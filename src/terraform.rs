//! The bundle as Terraform: one `kubernetes_manifest` resource per object (the Terraform
//! Kubernetes provider's way to manage arbitrary objects), in the bundle's order.
//!
//! The HCL is built with hcl-rs's typed values and written by its formatter, so quoting and
//! escaping (quotes, backslashes, control characters, `${` and `%{` template markers) are the
//! library's. Every object key is written quoted, so keys such as `for` or `null` stay plain
//! strings. What is written is parsed back and compared with the objects before it is returned:
//! a value hcl-rs cannot escape faithfully is refused with [`Error::NotHcl`], never written.

use std::collections::BTreeSet;

use hcl::eval::{Context, Evaluate};
use serde_json::Value;

use crate::bundle::Bundle;
use crate::emit::HEADER;
use crate::error::Error;
use crate::object::Object;

/// The Terraform resource type every object becomes.
pub const RESOURCE_TYPE: &str = "kubernetes_manifest";

/// The attribute of a `kubernetes_manifest` resource that holds the object.
pub const MANIFEST: &str = "manifest";

/// Resource names are cut to this many characters (a de-duplicating suffix included).
pub const MAX_NAME_CHARS: usize = 100;

impl Bundle {
    /// The bundle as Terraform HCL: the generated-by header, then one `kubernetes_manifest`
    /// resource per object in [`Bundle::objects`] order, named by [`resource_names`].
    pub fn to_terraform(&self) -> Result<String, Error> {
        to_terraform(self.objects())
    }
}

/// Objects as Terraform HCL: the generated-by header, then one `kubernetes_manifest` resource
/// per object, in order.
pub fn to_terraform<'a>(
    objects: impl IntoIterator<Item = impl Into<Object<'a>>>,
) -> Result<String, Error> {
    let objects: Vec<Object<'a>> = objects.into_iter().map(Into::into).collect();
    let manifests = objects
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()?;
    let mut body = hcl::Body::builder();
    for (name, manifest) in resource_names(&objects).into_iter().zip(&manifests) {
        body = body.add_block(
            hcl::Block::builder("resource")
                .add_label(RESOURCE_TYPE)
                .add_label(name)
                .add_attribute((MANIFEST, hcl::to_expression(manifest)?))
                .build(),
        );
    }
    let hcl_text = hcl::format::to_string(&body.build())?;
    check_reads_back(&hcl_text, &objects, &manifests)?;
    Ok(format!("{HEADER}\n\n{hcl_text}"))
}

/// The Terraform resource name of each object, in order: `<kind>_<namespace>_<name>` (or
/// `<kind>_<name>` for a cluster-scoped object) with the kind in lowercase, every character outside
/// `[A-Za-z0-9_-]` replaced by `_`, cut to [`MAX_NAME_CHARS`], and made unique with a `_2`,
/// `_3`, ... suffix where an earlier object already took the name.
///
/// Names start with the kind, so they are valid identifiers; they depend only on the objects, so
/// they stay the same across renders (and so do Terraform's addresses).
pub fn resource_names(objects: &[Object<'_>]) -> Vec<String> {
    let mut taken = BTreeSet::new();
    objects
        .iter()
        .map(|object| {
            let meta = object.metadata();
            let kind = object.kind().as_str().to_ascii_lowercase();
            let name = meta.name.as_deref().unwrap_or_default();
            let wanted = match &meta.namespace {
                Some(namespace) => format!("{kind}_{namespace}_{name}"),
                None => format!("{kind}_{name}"),
            };
            let base: String = wanted
                .chars()
                .map(|c| match c {
                    'A'..='Z' | 'a'..='z' | '0'..='9' | '_' | '-' => c,
                    _ => '_',
                })
                .collect();
            let unique = (1..)
                .map(|n| {
                    let suffix = if n == 1 {
                        String::new()
                    } else {
                        format!("_{n}")
                    };
                    // All ASCII, so cutting at a byte index is cutting at a character.
                    let mut name = base.clone();
                    name.truncate(MAX_NAME_CHARS.saturating_sub(suffix.len()));
                    name + &suffix
                })
                .find(|candidate| !taken.contains(candidate))
                .unwrap_or_default();
            taken.insert(unique.clone());
            unique
        })
        .collect()
}

/// Parses the written HCL and checks that each resource's manifest evaluates to its object;
/// otherwise names the object, and the string in it that hcl-rs does not write faithfully.
fn check_reads_back(text: &str, objects: &[Object<'_>], manifests: &[Value]) -> Result<(), Error> {
    let read: Vec<Option<Value>> = match hcl::from_str::<hcl::Body>(text) {
        Ok(body) => body
            .blocks()
            .map(|block| {
                let attribute = block.body().attributes().find(|a| a.key() == MANIFEST)?;
                let value = attribute.expr().evaluate(&Context::new()).ok()?;
                serde_json::to_value(value).ok()
            })
            .collect(),
        // A value broke the text's syntax: every object is suspect, the culprit is found below.
        Err(_) => Vec::new(),
    };
    let differing: Vec<(&Object<'_>, &Value)> = objects
        .iter()
        .zip(manifests)
        .enumerate()
        .filter(|(i, (_, manifest))| read.get(*i).and_then(Option::as_ref) != Some(*manifest))
        .map(|(_, pair)| pair)
        .collect();
    let culprit = differing
        .iter()
        .find_map(|(object, manifest)| Some((*object, first_unfaithful_string(manifest)?)))
        .or_else(|| {
            let (object, manifest) = differing.first()?;
            Some((*object, manifest.to_string()))
        });
    match culprit {
        None => Ok(()),
        Some((object, value)) => {
            let meta = object.metadata();
            let namespace = meta.namespace.as_deref().map(|ns| format!("{ns}/"));
            Err(Error::NotHcl {
                object: format!(
                    "{}/{}{}",
                    object.kind(),
                    namespace.unwrap_or_default(),
                    meta.name.as_deref().unwrap_or_default()
                ),
                value,
            })
        }
    }
}

/// The first string (key or value) of `value` that does not read back as itself on its own.
fn first_unfaithful_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => (!string_reads_back(s)).then(|| s.clone()),
        Value::Array(items) => items.iter().find_map(first_unfaithful_string),
        Value::Object(map) => map.iter().find_map(|(key, value)| {
            (!string_reads_back(key))
                .then(|| key.clone())
                .or_else(|| first_unfaithful_string(value))
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => None,
    }
}

/// Whether hcl-rs writes `s` as a string that evaluates back to `s`.
fn string_reads_back(s: &str) -> bool {
    let body = hcl::Body::builder().add_attribute(("v", s)).build();
    hcl::format::to_string(&body)
        .ok()
        .and_then(|text| hcl::from_str::<hcl::Body>(&text).ok())
        .and_then(|body| {
            let attribute = body.attributes().next()?;
            attribute.expr().evaluate(&Context::new()).ok()
        })
        .is_some_and(|value| value.as_str() == Some(s))
}
