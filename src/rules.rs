//! Validation predicates for Kubernetes names and Prometheus scrape settings.
//!
//! Each predicate judges a value the way the Kubernetes API server
//! (`k8s.io/apimachinery/pkg/util/validation`, and `.../api/validation/path`
//! for path segment names) or Prometheus and Google Managed Prometheus (GMP)
//! judge it, so that a configuration accepted here is not rejected later by
//! `kubectl apply` or by the GMP operator.
//!
//! The `Err` string is only the *rule* that was broken, worded like
//! apimachinery's messages (for example `must be no more than 63 characters`);
//! the caller prefixes the field path and the value. It never echoes the
//! value, so it is safe to print whatever the input was. Where apimachinery
//! reports several messages for one value, they are joined with `"; "` in the
//! order apimachinery lists them.
//!
//! The checks are hand-written over bytes (no regex engine), run in one or two
//! linear passes, and never panic: any Unicode, control characters and huge
//! inputs are simply rejected. Lengths are counted in bytes, as Go's `len`
//! does; every accepted name is ASCII, so bytes and characters agree there.

use std::time::Duration;

/// Maximum length of an RFC 1123 label (`metadata.namespace`, Service names): apimachinery's `DNS1123LabelMaxLength`.
pub(crate) const DNS1123_LABEL_MAX_LEN: usize = 63;

/// Maximum length of an RFC 1123 subdomain (most object names, key prefixes): apimachinery's `DNS1123SubdomainMaxLength`.
pub(crate) const DNS1123_SUBDOMAIN_MAX_LEN: usize = 253;

/// Maximum length of the name part of a qualified name (label and annotation keys): apimachinery's `qualifiedNameMaxLength`.
pub(crate) const QUALIFIED_NAME_MAX_LEN: usize = 63;

/// Maximum length of a label value: apimachinery's `LabelValueMaxLength`.
pub(crate) const LABEL_VALUE_MAX_LEN: usize = 63;

/// Maximum length of an IANA service name (container and Service port names), per RFC 6335.
pub(crate) const IANA_SVC_NAME_MAX_LEN: usize = 15;

/// Largest scrape duration accepted: whole milliseconds that still fit Go's `time.Duration` (`i64` nanoseconds).
#[cfg(test)]
pub(crate) const SCRAPE_DURATION_MAX: Duration = Duration::from_nanos(SCRAPE_DURATION_MAX_NANOS);

/// [`SCRAPE_DURATION_MAX`] in nanoseconds: `i64::MAX` rounded down to whole milliseconds.
const SCRAPE_DURATION_MAX_NANOS: u64 = i64::MAX as u64 / 1_000_000 * 1_000_000;

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_ERR: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_ERR: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_ERR: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_ERR: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

const DURATION_FMT: &str = "(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?";

/// apimachinery's `EmptyError`.
fn empty_error() -> String {
    "must be non-empty".to_owned()
}

/// apimachinery's `MaxLenError`.
fn max_len_error(max: usize) -> String {
    format!("must be no more than {max} characters")
}

/// apimachinery's `RegexError`, including its quirky `',  or '` separator.
fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{fmt}')");
    }
    let mut out = format!("{msg} (e.g. ");
    for (i, example) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push('\'');
        out.push_str(example);
        out.push_str("', ");
    }
    out.push_str("regex used for validation is '");
    out.push_str(fmt);
    out.push_str("')");
    out
}

/// Turns apimachinery's list of messages into this module's single `Result`.
fn finish(errs: Vec<String>) -> Result<(), String> {
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs.join("; "))
    }
}

fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// Whole-string match of `[a-z0-9]([-a-z0-9]*[a-z0-9])?`.
fn matches_dns1123_label(s: &[u8]) -> bool {
    match (s.first(), s.last()) {
        (Some(&first), Some(&last)) => {
            is_lower_alnum(first)
                && is_lower_alnum(last)
                && s.iter().all(|&b| is_lower_alnum(b) || b == b'-')
        }
        _ => false,
    }
}

/// Whole-string match of apimachinery's subdomain regex: labels joined by single dots. One
/// pass, because every name of a fleet's objects comes through here.
fn matches_dns1123_subdomain(s: &[u8]) -> bool {
    // Most names are one label: checked first without an early exit, which compiles to SIMD.
    let one_label = s.iter().fold(true, |ok, &b| {
        ok & (b.is_ascii_lowercase() | b.is_ascii_digit() | (b == b'-'))
    });
    if one_label {
        return matches!((s.first(), s.last()), (Some(&first), Some(&last))
            if is_lower_alnum(first) && is_lower_alnum(last));
    }
    // `prev` starts as a dot: a label (the first, or one after a dot) may not start with `-`
    // or `.`; a dot may only follow an alphanumeric, and so must the end.
    let mut prev = b'.';
    for &b in s {
        let ok = match b {
            b'-' => prev != b'.',
            b'.' => is_lower_alnum(prev),
            _ => is_lower_alnum(b),
        };
        if !ok {
            return false;
        }
        prev = b;
    }
    is_lower_alnum(prev)
}

/// Whole-string match of `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
fn matches_qualified_name(s: &[u8]) -> bool {
    match (s.first(), s.last()) {
        (Some(&first), Some(&last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && s.iter()
                    .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

/// Namespaces and other RFC 1123 label names: apimachinery's `IsDNS1123Label` (max 63, `[a-z0-9-]`, alphanumeric ends).
pub(crate) fn dns1123_label(s: &str) -> Result<(), String> {
    let mut errs = Vec::new();
    if s.len() > DNS1123_LABEL_MAX_LEN {
        errs.push(max_len_error(DNS1123_LABEL_MAX_LEN));
    }
    if !matches_dns1123_label(s.as_bytes()) {
        if matches_dns1123_subdomain(s.as_bytes()) {
            // A valid subdomain but not a label: the difference can only be dots.
            errs.push("must not contain dots".to_owned());
        } else {
            errs.push(regex_error(
                DNS1123_LABEL_ERR,
                DNS1123_LABEL_FMT,
                &["my-name", "123-abc"],
            ));
        }
    }
    finish(errs)
}

/// Most object names and key prefixes: apimachinery's `IsDNS1123Subdomain` (max 253, dot-separated RFC 1123 labels).
pub(crate) fn dns1123_subdomain(s: &str) -> Result<(), String> {
    finish(dns1123_subdomain_errors(s))
}

/// apimachinery's `IsDNS1123Subdomain` as its list of messages.
fn dns1123_subdomain_errors(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > DNS1123_SUBDOMAIN_MAX_LEN {
        errs.push(max_len_error(DNS1123_SUBDOMAIN_MAX_LEN));
    }
    if !matches_dns1123_subdomain(s.as_bytes()) {
        errs.push(regex_error(
            DNS1123_SUBDOMAIN_ERR,
            DNS1123_SUBDOMAIN_FMT,
            &["example.com"],
        ));
    }
    errs
}

/// Keys of a Secret's (or ConfigMap's) data: apimachinery's `IsConfigMapKey` (max 253, `[-._a-zA-Z0-9]+`, not `.` or `..`, not starting with `..`).
pub(crate) fn config_map_key(s: &str) -> Result<(), String> {
    let mut errs = Vec::new();
    if s.len() > DNS1123_SUBDOMAIN_MAX_LEN {
        errs.push(max_len_error(DNS1123_SUBDOMAIN_MAX_LEN));
    }
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        errs.push(regex_error(
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
            "[-._a-zA-Z0-9]+",
            &["key.name", "KEY_NAME", "key-name"],
        ));
    }
    if s == "." {
        errs.push("must not be '.'".to_owned());
    } else if s == ".." {
        errs.push("must not be '..'".to_owned());
    } else if s.starts_with("..") {
        errs.push("must not start with '..'".to_owned());
    }
    finish(errs)
}

/// RBAC object names (Role, ClusterRole, bindings): apimachinery's `IsValidPathSegmentName`, plus non-empty as `metadata.name` requires.
pub(crate) fn path_segment_name(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err(empty_error());
    }
    for illegal in [".", ".."] {
        if s == illegal {
            return Err(format!("may not be '{illegal}'"));
        }
    }
    let mut errs = Vec::new();
    for illegal in ['/', '%'] {
        if s.contains(illegal) {
            errs.push(format!("may not contain '{illegal}'"));
        }
    }
    finish(errs)
}

/// Label and annotation keys: apimachinery's `IsQualifiedName` (optional subdomain prefix and '/', name part of at most 63).
pub(crate) fn qualified_name(s: &str) -> Result<(), String> {
    let mut errs = Vec::new();
    let name = match s.split_once('/') {
        None => s,
        Some((_, rest)) if rest.contains('/') => {
            return Err(format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(
                    QUALIFIED_NAME_ERR,
                    QUALIFIED_NAME_FMT,
                    &["MyName", "my.name", "123-abc"],
                )
            ));
        }
        Some((prefix, name)) => {
            if prefix.is_empty() {
                errs.push(format!("prefix part {}", empty_error()));
            } else {
                // Each of the subdomain's messages gets the prefix, as apimachinery's `prefixEach` does.
                errs.extend(
                    dns1123_subdomain_errors(prefix)
                        .into_iter()
                        .map(|msg| format!("prefix part {msg}")),
                );
            }
            name
        }
    };
    if name.is_empty() {
        errs.push(format!("name part {}", empty_error()));
    } else if name.len() > QUALIFIED_NAME_MAX_LEN {
        errs.push(format!(
            "name part {}",
            max_len_error(QUALIFIED_NAME_MAX_LEN)
        ));
    }
    if !matches_qualified_name(name.as_bytes()) {
        errs.push(format!(
            "name part {}",
            regex_error(
                QUALIFIED_NAME_ERR,
                QUALIFIED_NAME_FMT,
                &["MyName", "my.name", "123-abc"],
            )
        ));
    }
    finish(errs)
}

/// Label values: apimachinery's `IsValidLabelValue` (empty allowed, at most 63, the name part's charset).
pub(crate) fn label_value(s: &str) -> Result<(), String> {
    let mut errs = Vec::new();
    if s.len() > LABEL_VALUE_MAX_LEN {
        errs.push(max_len_error(LABEL_VALUE_MAX_LEN));
    }
    if !s.is_empty() && !matches_qualified_name(s.as_bytes()) {
        errs.push(regex_error(
            LABEL_VALUE_ERR,
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    finish(errs)
}

/// Container and Service port names: apimachinery's `IsValidPortName`, an RFC 6335 IANA service name.
pub(crate) fn iana_svc_name(s: &str) -> Result<(), String> {
    let bytes = s.as_bytes();
    let mut errs = Vec::new();
    if bytes.len() > IANA_SVC_NAME_MAX_LEN {
        errs.push(max_len_error(IANA_SVC_NAME_MAX_LEN));
    }
    if bytes.is_empty()
        || !bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        errs.push(
            "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".to_owned(),
        );
    }
    if !bytes.iter().any(u8::is_ascii_lowercase) {
        errs.push("must contain at least one letter (a-z)".to_owned());
    }
    if s.contains("--") {
        errs.push("must not contain consecutive hyphens".to_owned());
    }
    if bytes.first() == Some(&b'-') || bytes.last() == Some(&b'-') {
        errs.push("must not begin or end with a hyphen".to_owned());
    }
    finish(errs)
}

/// Container, Service and scrape ports: apimachinery's `IsValidPortNum` (1 to 65535).
pub(crate) fn port_number(n: i64) -> Result<u16, String> {
    match u16::try_from(n) {
        Ok(port) if port >= 1 => Ok(port),
        _ => Err("must be between 1 and 65535, inclusive".to_owned()),
    }
}

/// Scrape intervals and timeouts: Prometheus' `model.ParseDuration` syntax, narrowed to h/m/s/ms and to positive values.
///
/// Prometheus also reads `y`, `w` and `d`, but not every reader of a GMP
/// `interval`/`timeout` does (CEL's `duration()`, like Go's
/// `time.ParseDuration`, stops at `h`), so those units are refused with a hint
/// to write hours: whole numbers of ms/s/m/h are read alike by Prometheus, the
/// API server's `format: duration` and CEL checks, and the GMP operator. The
/// total must fit Go's `time.Duration` (`i64` nanoseconds).
pub(crate) fn scrape_duration(s: &str) -> Result<Duration, String> {
    let syntax = || {
        regex_error(
            "must be a whole number followed by a unit, the units being h, m, s and ms, each at most once and in that order",
            DURATION_FMT,
            &["30s", "1m30s", "500ms"],
        )
    };
    let out_of_range = || {
        "must be no more than 2562047h47m16s854ms (the largest duration Go's time.Duration holds)"
            .to_owned()
    };
    if s.is_empty() {
        return Err(format!("must be non-empty: {}", syntax()));
    }
    if s == "0" {
        // Prometheus accepts a bare "0"; a zero interval or timeout is meaningless.
        return Err("must be greater than zero".to_owned());
    }

    let bytes = s.as_bytes();
    let mut total: u64 = 0;
    let mut last_unit_pos = 0u8;
    let mut i = 0;
    while i < bytes.len() {
        // Consume [0-9]+.
        let digits_start = i;
        let mut value: u64 = 0;
        while let Some(&b) = bytes.get(i).filter(|b| b.is_ascii_digit()) {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(b - b'0')))
                .ok_or_else(out_of_range)?;
            i += 1;
        }
        if i == digits_start {
            return Err(syntax());
        }
        // Consume the unit: every non-digit up to the next digit, as Prometheus does.
        let unit_start = i;
        while bytes.get(i).is_some_and(|b| !b.is_ascii_digit()) {
            i += 1;
        }
        let unit = bytes.get(unit_start..i).unwrap_or_default();
        let (pos, nanos_per_unit): (u8, u64) = match unit {
            b"h" => (4, 3_600_000_000_000),
            b"m" => (5, 60_000_000_000),
            b"s" => (6, 1_000_000_000),
            b"ms" => (7, 1_000_000),
            b"y" | b"w" | b"d" => {
                return Err(format!(
                    "must not use the unit '{}': not every reader of this field accepts years, weeks or days; write hours instead (e.g. '24h' for '1d')",
                    String::from_utf8_lossy(unit)
                ));
            }
            _ => return Err(syntax()),
        };
        if pos <= last_unit_pos {
            return Err(format!(
                "must give each unit at most once, largest first (h, then m, then s, then ms): {}",
                syntax()
            ));
        }
        last_unit_pos = pos;
        total = value
            .checked_mul(nanos_per_unit)
            .and_then(|n| total.checked_add(n))
            .filter(|&n| n <= SCRAPE_DURATION_MAX_NANOS)
            .ok_or_else(out_of_range)?;
    }
    if total == 0 {
        return Err("must be greater than zero".to_owned());
    }
    Ok(Duration::from_nanos(total))
}

/// Scrape `path`s: a URL path starting with '/', with no control characters, whitespace, '?' or '#'.
///
/// Prometheus puts `metrics_path` into the URL's path, so a '?' or '#' would
/// be escaped rather than start a query or fragment: query parameters belong
/// in `params`. Other characters (including '%' and non-ASCII) are left for
/// Go's URL encoding to escape.
pub(crate) fn metrics_path(s: &str) -> Result<(), String> {
    if !s.starts_with('/') {
        return Err("must start with '/' (e.g. '/metrics')".to_owned());
    }
    let (mut control, mut space, mut query, mut fragment) = (false, false, false, false);
    for c in s.chars() {
        control |= c.is_control();
        space |= c.is_whitespace() && !c.is_control();
        query |= c == '?';
        fragment |= c == '#';
    }
    let mut errs = Vec::new();
    if control {
        errs.push("must not contain control characters".to_owned());
    }
    if space {
        errs.push("must not contain whitespace".to_owned());
    }
    if query {
        errs.push(
            "must not contain '?': it is a URL path, and query parameters belong in `params`"
                .to_owned(),
        );
    }
    if fragment {
        errs.push("must not contain '#': it is a URL path, which has no fragment".to_owned());
    }
    finish(errs)
}

// PromQL literals: what a query quotes of the user's values.

/// `value` as a PromQL string literal (JSON's escaping is a subset of PromQL's).
pub(crate) fn promql_string(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// `value` matched literally inside a PromQL (RE2) regular expression.
pub(crate) fn regex_literal(value: &str) -> String {
    value
        .chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$".contains(c);
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    const NAME_PART_MSG: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

    fn check(f: fn(&str) -> Result<(), String>, valid: &[&str], invalid: &[&str]) {
        for v in valid {
            assert_eq!(f(v), Ok(()), "expected {v:?} to be valid");
        }
        for v in invalid {
            assert!(f(v).is_err(), "expected {v:?} to be invalid");
        }
    }

    #[test]
    fn dns1123_label_table() {
        let max = "a".repeat(63);
        check(
            dns1123_label,
            &["a", "0", "my-name", "123-abc", "a--b", "kube-system", &max],
            &[
                "", "-", "-a", "a-", "A", "aBc", "a_b", "a.b", "a/b", "é", "a b", " a", "a\n",
                "a\0", ".", "..",
            ],
        );
        assert_eq!(dns1123_label("My-Name"), Err(LABEL_MSG.to_owned()));
        assert_eq!(
            dns1123_label("a.b"),
            Err("must not contain dots".to_owned())
        );
        assert_eq!(
            dns1123_label(&"a".repeat(64)),
            Err("must be no more than 63 characters".to_owned())
        );
        assert_eq!(
            dns1123_label(&format!("-{}", "a".repeat(63))),
            Err(format!("must be no more than 63 characters; {LABEL_MSG}"))
        );
    }

    #[test]
    fn config_map_key_table() {
        let max = "k".repeat(253);
        check(
            config_map_key,
            &[
                "ca.crt", "tls.key", "KEY_NAME", "key-name", ".hidden", "a..b", "-", "_", &max,
            ],
            &[
                "",
                ".",
                "..",
                "..data",
                "a b",
                "a/b",
                "é",
                "a\n",
                &"k".repeat(254),
            ],
        );
        assert_eq!(config_map_key(".."), Err("must not be '..'".to_owned()));
        assert_eq!(
            config_map_key("..x"),
            Err("must not start with '..'".to_owned())
        );
    }

    #[test]
    fn dns1123_subdomain_table() {
        let label = "a".repeat(63);
        let max = format!("{label}.{label}.{label}.{}", "b".repeat(61));
        assert_eq!(max.len(), 253);
        let long_label = "a".repeat(200);
        check(
            dns1123_subdomain,
            &[
                "a",
                "example.com",
                "kubernetes.io",
                "a-b.c-d",
                "1.2.3.4",
                &max,
                &long_label,
            ],
            &[
                "", ".", "..", "a.", ".a", "a..b", "-a.b", "a-.b", "a.-b", "A.com", "a_b", "a/b",
                "é.com", "a b",
            ],
        );
        assert_eq!(
            dns1123_subdomain("Example.com"),
            Err(SUBDOMAIN_MSG.to_owned())
        );
        assert_eq!(
            dns1123_subdomain(&format!("{max}a")),
            Err("must be no more than 253 characters".to_owned())
        );
    }

    #[test]
    fn path_segment_name_table() {
        check(
            path_segment_name,
            &[
                "a",
                "My:Role",
                "system:controller:x",
                "a.b",
                "...",
                "ä",
                "a b",
            ],
            &["", ".", "..", "a/b", "/", "a%b", "%2F"],
        );
        assert_eq!(path_segment_name(".."), Err("may not be '..'".to_owned()));
        assert_eq!(
            path_segment_name("a/%"),
            Err("may not contain '/'; may not contain '%'".to_owned())
        );
        assert_eq!(path_segment_name(""), Err("must be non-empty".to_owned()));
    }

    #[test]
    fn qualified_name_table() {
        let name63 = "N".repeat(63);
        let prefixed = format!("example.com/{name63}");
        let prefix253 = format!(
            "{}.{}.{}.{}/x",
            "a".repeat(63),
            "a".repeat(63),
            "a".repeat(63),
            "a".repeat(61)
        );
        check(
            qualified_name,
            &[
                "a",
                "MyName",
                "my.name",
                "123-abc",
                "a_b",
                "kubernetes.io/x",
                "app.kubernetes.io/name",
                "example.com/MyName",
                &name63,
                &prefixed,
                &prefix253,
            ],
            &[
                "",
                "/x",
                "x/",
                "/",
                "a/b/c",
                "-x",
                "x-",
                "_x",
                ".x",
                "x.",
                "a b",
                "é",
                "Example.com/x",
                "-a.com/x",
                "a..com/x",
                "ex_ample.com/x",
            ],
        );
        assert_eq!(
            qualified_name(&"N".repeat(64)),
            Err("name part must be no more than 63 characters".to_owned())
        );
        assert_eq!(
            qualified_name("/x"),
            Err("prefix part must be non-empty".to_owned())
        );
        assert_eq!(
            qualified_name("x/"),
            Err(format!("name part must be non-empty; {NAME_PART_MSG}"))
        );
        assert_eq!(qualified_name("-x"), Err(NAME_PART_MSG.to_owned()));
        assert_eq!(
            qualified_name("Example.com/x"),
            Err(format!("prefix part {SUBDOMAIN_MSG}"))
        );
        assert_eq!(
            qualified_name(&format!("{}/x", "a".repeat(254))),
            Err("prefix part must be no more than 253 characters".to_owned())
        );
        assert!(
            qualified_name("a/b/c")
                .unwrap_err()
                .starts_with("a qualified name must consist")
        );
        assert!(qualified_name("a/b/c").unwrap_err().ends_with(
            "with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ));
    }

    #[test]
    fn label_value_table() {
        let max = "v".repeat(63);
        check(
            label_value,
            &[
                "", "a", "MyValue", "my_value", "12345", "a.b-c_d", "v1.2.3", &max,
            ],
            &[
                "-", "-a", "a-", "_a", "a.", ".", "..", "a/b", "a b", "é", "a\n",
            ],
        );
        assert_eq!(
            label_value(&"v".repeat(64)),
            Err("must be no more than 63 characters".to_owned())
        );
        assert_eq!(label_value("a/b"), Err(LABEL_VALUE_MSG.to_owned()));
    }

    #[test]
    fn iana_svc_name_table() {
        check(
            iana_svc_name,
            &[
                "http",
                "metrics",
                "a",
                "h2c",
                "http-metrics",
                "a1-b2",
                "12345678901234a",
                "abcdefghijklmno",
            ],
            &[
                "",
                "1234",
                "-",
                "-http",
                "http-",
                "ht--tp",
                "HTTP",
                "http_metrics",
                "http.x",
                "abcdefghijklmnop",
                "é",
                "a b",
            ],
        );
        assert_eq!(
            iana_svc_name("abcdefghijklmnop"),
            Err("must be no more than 15 characters".to_owned())
        );
        assert_eq!(
            iana_svc_name("1234"),
            Err("must contain at least one letter (a-z)".to_owned())
        );
        assert_eq!(
            iana_svc_name("-a--"),
            Err(
                "must not contain consecutive hyphens; must not begin or end with a hyphen"
                    .to_owned()
            )
        );
        assert_eq!(
            iana_svc_name(""),
            Err("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-); must contain at least one letter (a-z)".to_owned())
        );
    }

    #[test]
    fn port_number_table() {
        for (n, want) in [
            (1, Some(1)),
            (80, Some(80)),
            (9090, Some(9090)),
            (65535, Some(65535)),
        ] {
            assert_eq!(port_number(n).ok(), want);
        }
        for n in [0, -1, 65536, i64::MIN, i64::MAX, i64::from(u32::MAX) + 1] {
            assert_eq!(
                port_number(n),
                Err("must be between 1 and 65535, inclusive".to_owned())
            );
        }
    }

    #[test]
    fn scrape_duration_valid() {
        for (s, want) in [
            ("5s", Duration::from_secs(5)),
            ("1m30s", Duration::from_secs(90)),
            ("100ms", Duration::from_millis(100)),
            ("1h", Duration::from_secs(3600)),
            ("1h2m3s4ms", Duration::from_millis(3_723_004)),
            ("01s", Duration::from_secs(1)),
            ("0h5m", Duration::from_secs(300)),
            ("0s1ms", Duration::from_millis(1)),
            ("90s", Duration::from_secs(90)),
            ("1500ms", Duration::from_millis(1500)),
            ("2562047h47m16s854ms", SCRAPE_DURATION_MAX),
        ] {
            assert_eq!(scrape_duration(s), Ok(want), "{s:?}");
        }
        assert_eq!(SCRAPE_DURATION_MAX.as_nanos(), 9_223_372_036_854_000_000);
    }

    #[test]
    fn scrape_duration_invalid() {
        for s in [
            "",
            "0",
            "0s",
            "0h0m",
            "0ms",
            "00",
            "5",
            "s",
            "ms",
            "1s1m",
            "1s1s",
            "1ms1s",
            "1m1h",
            "1.5s",
            "1,5s",
            "-5s",
            "+5s",
            " 5s",
            "5s ",
            "5 s",
            "5S",
            "5M",
            "1H",
            "5sec",
            "5us",
            "5ns",
            "5µs",
            "1d",
            "1w",
            "1y",
            "1y1h",
            "1h1d",
            "1d1h",
            "5é",
            "5\0",
            "\u{0}",
            "2562047h47m16s855ms",
            "2562048h",
            "9223372037s",
            "18446744073709551616s",
            "99999999999999999999999999999h",
        ] {
            assert!(scrape_duration(s).is_err(), "expected {s:?} to be invalid");
        }
        assert_eq!(
            scrape_duration("0"),
            Err("must be greater than zero".to_owned())
        );
        assert_eq!(
            scrape_duration("0h0m"),
            Err("must be greater than zero".to_owned())
        );
        assert!(
            scrape_duration("1d")
                .unwrap_err()
                .contains("'24h' for '1d'")
        );
        assert!(
            scrape_duration("1w")
                .unwrap_err()
                .starts_with("must not use the unit 'w'")
        );
        assert!(
            scrape_duration("2562048h")
                .unwrap_err()
                .starts_with("must be no more than")
        );
        assert!(
            scrape_duration("1s1m")
                .unwrap_err()
                .contains("at most once")
        );
        assert!(
            scrape_duration("")
                .unwrap_err()
                .starts_with("must be non-empty")
        );
        assert!(
            scrape_duration("1.5s")
                .unwrap_err()
                .contains("whole number")
        );
    }

    #[test]
    fn metrics_path_table() {
        check(
            metrics_path,
            &[
                "/",
                "/metrics",
                "/a/b/c",
                "/metrics%2Fx",
                "/ä",
                "/a;b=c",
                "//x",
            ],
            &[
                "",
                "metrics",
                " /metrics",
                "/metrics ",
                "/a b",
                "/a\tb",
                "/a\nb",
                "/a\0b",
                "/a\u{7f}",
                "/a\u{85}",
                "/a\u{a0}",
                "/a\u{2028}",
                "/metrics?x=1",
                "/metrics#x",
            ],
        );
        assert_eq!(
            metrics_path("metrics"),
            Err("must start with '/' (e.g. '/metrics')".to_owned())
        );
        assert!(metrics_path("/m?a").unwrap_err().contains("`params`"));
        assert_eq!(
            metrics_path("/a\tb c"),
            Err("must not contain control characters; must not contain whitespace".to_owned())
        );
    }

    #[test]
    fn huge_inputs_are_linear_and_do_not_panic() {
        let big = "a".repeat(10_000_000);
        assert!(dns1123_label(&big).is_err());
        assert!(dns1123_subdomain(&big).is_err());
        assert!(qualified_name(&big).is_err());
        assert!(label_value(&big).is_err());
        assert!(iana_svc_name(&big).is_err());
        assert!(path_segment_name(&big).is_ok());
        let dots = ".".repeat(10_000_000);
        assert!(dns1123_subdomain(&dots).is_err());
        assert!(dns1123_label(&dots).is_err());
        let slashes = "/".repeat(10_000_000);
        assert!(qualified_name(&slashes).is_err());
        assert!(metrics_path(&slashes).is_ok());
        let zeros = format!("{}1s", "0".repeat(10_000_000));
        assert_eq!(scrape_duration(&zeros), Ok(Duration::from_secs(1)));
        let units = "1h".repeat(5_000_000);
        assert!(scrape_duration(&units).is_err());
        let nines = "9".repeat(10_000_000);
        assert!(scrape_duration(&nines).is_err());
    }

    /// Arbitrary strings mixed with strings built from the characters the rules care about.
    fn interesting() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[a-z0-9.-]{0,70}",
            "[a-zA-Z0-9_./-]{0,80}",
            "[a-z0-9.-]{240,260}",
            "[0-9hmsdwy.]{0,20}",
            "(/[a-z?#% \t]{0,8}){0,4}",
        ]
    }

    proptest! {
        #[test]
        fn never_panics(s in interesting(), n in any::<i64>()) {
            let _ = dns1123_label(&s);
            let _ = dns1123_subdomain(&s);
            let _ = path_segment_name(&s);
            let _ = qualified_name(&s);
            let _ = label_value(&s);
            let _ = iana_svc_name(&s);
            let _ = port_number(n);
            let _ = scrape_duration(&s);
            let _ = metrics_path(&s);
        }

        #[test]
        fn acceptance_implies_documented_limits(s in interesting()) {
            if dns1123_label(&s).is_ok() {
                prop_assert!(dns1123_subdomain(&s).is_ok());
                prop_assert!(s.len() <= DNS1123_LABEL_MAX_LEN);
            }
            if dns1123_subdomain(&s).is_ok() {
                prop_assert!(s.len() <= DNS1123_SUBDOMAIN_MAX_LEN);
                prop_assert!(path_segment_name(&s).is_ok());
            }
            if label_value(&s).is_ok() {
                prop_assert!(s.len() <= LABEL_VALUE_MAX_LEN);
                prop_assert!(s.is_empty() || qualified_name(&s).is_ok());
            }
            if qualified_name(&s).is_ok() {
                prop_assert!(s.is_ascii());
                prop_assert!(s.len() <= DNS1123_SUBDOMAIN_MAX_LEN + 1 + QUALIFIED_NAME_MAX_LEN);
            }
            if iana_svc_name(&s).is_ok() {
                prop_assert!(dns1123_label(&s).is_ok());
                prop_assert!(s.len() <= IANA_SVC_NAME_MAX_LEN);
            }
            if let Ok(d) = scrape_duration(&s) {
                prop_assert!(d > Duration::ZERO && d <= SCRAPE_DURATION_MAX);
            }
            if metrics_path(&s).is_ok() {
                prop_assert!(s.starts_with('/'));
            }
        }

        #[test]
        fn errors_never_echo_the_value(s in any::<String>()) {
            for err in [dns1123_label(&s), dns1123_subdomain(&s), qualified_name(&s),
                        label_value(&s), iana_svc_name(&s), metrics_path(&s)]
                .into_iter()
                .filter_map(Result::err)
            {
                prop_assert!(!err.chars().any(char::is_control));
            }
        }

        #[test]
        fn scrape_duration_round_trips(h in 0u64..1000, m in 0u64..60, sec in 0u64..60, ms in 0u64..1000,
                                       mask in 1u8..16) {
            let mut text = String::new();
            let mut want = Duration::ZERO;
            for (bit, value, unit, per) in [(1, h, "h", 3_600_000), (2, m, "m", 60_000),
                                            (4, sec, "s", 1000), (8, ms, "ms", 1)] {
                if mask & bit != 0 {
                    text.push_str(&format!("{value}{unit}"));
                    want += Duration::from_millis(value * per);
                }
            }
            let got = scrape_duration(&text);
            if want.is_zero() {
                prop_assert!(got.is_err());
            } else {
                prop_assert_eq!(got, Ok(want));
            }
        }
    }

    proptest! {
        /// The one-pass subdomain matcher is the regex's definition: labels joined by dots.
        #[test]
        fn subdomain_matcher_is_labels_joined_by_dots(
            name in prop_oneof!["[a-z0-9.-]{0,12}", "[a-z.]{0,3}-?[a-z0-9.]{0,3}", any::<String>()],
        ) {
            let bytes = name.as_bytes();
            let by_labels = bytes.split(|&b| b == b'.').all(matches_dns1123_label);
            prop_assert_eq!(matches_dns1123_subdomain(bytes), by_labels, "{:?}", name);
        }
    }
}
