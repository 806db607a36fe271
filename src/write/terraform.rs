//! The bundle as Terraform: one `kubernetes_manifest` resource per object (the Terraform
//! Kubernetes provider's way to manage arbitrary objects), in the bundle's order.
//!
//! The HCL is built with hcl-rs's typed values and written by its formatter, so quoting and
//! escaping (quotes, backslashes, control characters, `${` and `%{` template markers) are the
//! library's. Every object key is written quoted, so keys such as `for` or `null` stay plain
//! strings. Each resource is parsed back on its own and compared with its object before the text
//! is returned: a value hcl-rs cannot escape faithfully is refused with [`Error::NotHcl`], never
//! written.

use std::collections::BTreeSet;

use hcl::eval::{Context, Evaluate};
use hcl::format::{Format, Formatter};
use serde_json::Value;

use crate::diagnostics::Error;
use crate::kinds::Object;
use crate::objects::bundle::ObjectSink;
use crate::write::emit::HEADER;

/// The Terraform resource type every object becomes.
pub const RESOURCE_TYPE: &str = "kubernetes_manifest";

/// The attribute of a `kubernetes_manifest` resource that holds the object.
pub const MANIFEST: &str = "manifest";

/// Resource names are cut to this many characters (a de-duplicating suffix included).
pub const MAX_NAME_CHARS: usize = 100;

/// The HCL of the `count` objects `each` makes, each resource written as its object is made.
pub(crate) fn write(
    count: usize,
    each: impl FnOnce(ObjectSink<'_>) -> Result<(), Error>,
) -> Result<String, Error> {
    let mut writer = TerraformWriter::with_capacity(count);
    each(&mut |object| writer.push(&object))?;
    writer.finish()
}

/// About what one resource takes, to size the output once (as the YAML writer does).
const BYTES_PER_RESOURCE: usize = 1024;

/// HCL written one resource at a time: the only Terraform writer. Each block is formatted by
/// one formatter kept across blocks (so the text is the same as one body of all of them would
/// be) and parsed back on its own, so that only one object's HCL is held besides the output.
struct TerraformWriter {
    names: ResourceNames,
    formatter: Formatter<'static, Vec<u8>>,
    out: String,
    /// The first resource that read back differently without a string to blame: refused at
    /// the end unless a later one names the string.
    unexplained: Option<Error>,
}

impl TerraformWriter {
    fn with_capacity(objects: usize) -> Self {
        let mut out = String::with_capacity(HEADER.len() + 2 + BYTES_PER_RESOURCE * objects);
        out.push_str(HEADER);
        out.push_str("\n\n");
        Self {
            names: ResourceNames::default(),
            formatter: Formatter::default(),
            out,
            unexplained: None,
        }
    }

    fn push(&mut self, object: &Object<'_>) -> Result<(), Error> {
        let manifest = serde_json::to_value(object)?;
        let block = hcl::Block::builder("resource")
            .add_label(RESOURCE_TYPE)
            .add_label(self.names.next(object))
            .add_attribute((MANIFEST, hcl::to_expression(&manifest)?))
            .build();
        let text = block.format_string(&mut self.formatter)?;
        if reads_back(&text).as_ref() != Some(&manifest) {
            let culprit = first_unfaithful_string(&manifest);
            let refusal = |value| not_hcl(object, value);
            match culprit {
                // The first object with a string to blame is the one named, as when the whole
                // text was read back at once.
                Some(value) => return Err(refusal(value)),
                None => {
                    self.unexplained
                        .get_or_insert_with(|| refusal(manifest.to_string()));
                }
            }
        }
        self.out.push_str(&text);
        Ok(())
    }

    fn finish(self) -> Result<String, Error> {
        match self.unexplained {
            Some(refusal) => Err(refusal),
            None => Ok(self.out),
        }
    }
}

/// Makes each object's resource name in turn (see [`resource_names`]), remembering the names
/// taken so far.
#[derive(Default)]
struct ResourceNames {
    taken: BTreeSet<String>,
}

impl ResourceNames {
    fn next(&mut self, object: &Object<'_>) -> String {
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
            .find(|candidate| !self.taken.contains(candidate))
            .unwrap_or_default();
        self.taken.insert(unique.clone());
        unique
    }
}

/// The Terraform resource name of each object, in order: `<kind>_<namespace>_<name>` (or
/// `<kind>_<name>` for a cluster-scoped object) with the kind in lowercase, every character outside
/// `[A-Za-z0-9_-]` replaced by `_`, cut to [`MAX_NAME_CHARS`], and made unique with a `_2`,
/// `_3`, ... suffix where an earlier object already took the name.
///
/// Names start with the kind, so they are valid identifiers; they depend only on the objects, so
/// they stay the same across renders (and so do Terraform's addresses).
pub fn resource_names(objects: &[Object<'_>]) -> Vec<String> {
    let mut names = ResourceNames::default();
    objects.iter().map(|object| names.next(object)).collect()
}

/// The manifest of the one resource `text` holds, as JSON; `None` unless it parses as exactly
/// one block with a manifest that evaluates.
fn reads_back(text: &str) -> Option<Value> {
    let body = hcl::from_str::<hcl::Body>(text).ok()?;
    let mut blocks = body.blocks();
    let block = blocks.next()?;
    if blocks.next().is_some() || body.attributes().next().is_some() {
        return None;
    }
    let attribute = block.body().attributes().find(|a| a.key() == MANIFEST)?;
    let value = attribute.expr().evaluate(&Context::new()).ok()?;
    serde_json::to_value(value).ok()
}

/// The refusal of `object`, blaming `value`.
fn not_hcl(object: &Object<'_>, value: String) -> Error {
    let meta = object.metadata();
    let namespace = meta.namespace.as_deref().map(|ns| format!("{ns}/"));
    Error::NotHcl {
        object: format!(
            "{}/{}{}",
            object.kind(),
            namespace.unwrap_or_default(),
            meta.name.as_deref().unwrap_or_default()
        ),
        value,
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
