//! The one escaper: a string is written plain only when neither YAML 1.1 (kubectl) nor YAML 1.2
//! would read it as anything but that string. Judged against an independent oracle: the
//! resolver patterns of the YAML 1.1 type repository and of the YAML 1.2 core schema.

// A pattern that does not compile is a broken test: failing loudly is the report.
#![allow(clippy::expect_used)]

use igw_monitoring::emit::scalar;
use proptest::prelude::*;
use regex::Regex;

/// Implicit resolvers of yaml.org/type (YAML 1.1): bool, null, int, float, timestamp, merge,
/// value; then the YAML 1.2 core schema's.
const RESOLVERS: [&str; 11] = [
    r"y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF",
    r"~|null|Null|NULL|",
    r"[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+",
    r"[-+]?([0-9][0-9_]*)?\.[0-9.]*([eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)",
    r"[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?([Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](\.[0-9]*)?(([ \t]*)Z|[-+][0-9][0-9]?(:[0-9][0-9])?)?",
    r"<<",
    r"=",
    r"true|True|TRUE|false|False|FALSE",
    r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+",
    r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.nan|\.NaN|\.NAN",
    r"~|null|Null|NULL",
];

fn resolvers() -> Vec<Regex> {
    RESOLVERS
        .iter()
        .map(|p| Regex::new(&format!("^(?:{p})$")).expect("resolver patterns compile"))
        .collect()
}

/// What the oracle says a plain scalar `s` would be read as, other than a string.
fn non_string_reading(resolvers: &[Regex], s: &str) -> Option<usize> {
    resolvers.iter().position(|r| r.is_match(s))
}

/// Syntax a plain scalar cannot carry: indicators first, `: ` / ` #` inside, edges of blank,
/// and anything YAML only writes escaped.
fn needs_quotes_by_syntax(s: &str) -> bool {
    let first = s.chars().next();
    let starts_with_indicator = first.is_some_and(|c| "-?:,[]{}#&*!|>'\"%@`".contains(c));
    let indicator_alone = matches!(s, "-" | "?" | ":")
        || s.starts_with("- ")
        || s.starts_with("? ")
        || s.starts_with(": ");
    let plain_dash_ok = matches!(first, Some('-' | '?' | ':'))
        && s.chars().nth(1).is_some_and(|c| !matches!(c, ' ' | '\t'))
        && !indicator_alone;
    (starts_with_indicator && !plain_dash_ok)
        || s.contains(": ")
        || s.ends_with(':')
        || s.contains(" #")
        || s.starts_with([' ', '\t'])
        || s.ends_with([' ', '\t'])
        || ["---", "..."].iter().any(|marker| {
            s.strip_prefix(marker)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
        })
        || s.chars()
            .any(|c| c.is_control() || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}'))
}

#[test]
fn the_documented_troublemakers_are_quoted() {
    let resolvers = resolvers();
    for s in [
        "yes",
        "Yes",
        "on",
        "ON",
        "y",
        "N",
        "off",
        "no",
        "true",
        "False",
        "0777",
        "1_000",
        "1e3",
        "1.5",
        ".5",
        "+1",
        "-1",
        "0x1F",
        "0b101",
        "0o17",
        "12:30:45",
        "1:20",
        "~",
        "null",
        "NULL",
        "",
        "2001-12-14",
        "2001-12-14t21:59:43.10-05:00",
        ".inf",
        "-.Inf",
        ".NaN",
        "<<",
        "=",
        "- x",
        "? x",
        ": x",
        "a: b",
        "a #b",
        " lead",
        "trail ",
        "#x",
        "&a",
        "*a",
        "!t",
        "|",
        ">",
        "%x",
        "@x",
        "`x",
        "'x",
        "\"x",
        "{x",
        "[x",
        "]x",
        ",x",
        "---",
        "...",
        "a\nb",
        "\t",
        "\u{0}",
        "\u{7f}",
        "\u{85}",
        "\u{2028}",
        "\u{2029}",
        "\u{feff}x",
    ] {
        let written = scalar(s).expect("writes");
        assert!(written.starts_with('"'), "{s:?} written as {written}");
        assert!(
            non_string_reading(&resolvers, s).is_some() || needs_quotes_by_syntax(s),
            "the oracle does not know why {s:?} needs quotes"
        );
    }
    for s in [
        "metrics",
        "/metrics",
        "5s",
        "gmp-system:collector:x",
        "kubernetes.io/service-account.name",
        "inference-gateway-ext-proc",
        "a,b",
        "x...",
        "é",
        "a'b",
        "-x",
        "a\\b",
    ] {
        assert_eq!(scalar(s).expect("writes"), s, "{s:?} needlessly quoted");
    }
}

fn yaml_trouble() -> impl Strategy<Value = String> {
    let from_resolvers = RESOLVERS
        .iter()
        .map(|p| {
            proptest::string::string_regex(p)
                .expect("valid pattern")
                .boxed()
        })
        .collect::<Vec<_>>();
    prop_oneof![
        3 => proptest::strategy::Union::new(from_resolvers),
        1 => "[-?:,\\[\\]{}#&*!|>'\"%@` ~=<.]{0,3}[a-z0-9 :#.]{0,6}",
        // The shapes the escaper's shortcut writes without asking serde-saphyr: words and names
        // in any case, paths, durations, and their near misses (`1e5`, `0x1f`, `0o7`, `1h:30`).
        2 => "[a-zA-Z][a-zA-Z0-9._/-]{0,6}",
        1 => "/[a-zA-Z0-9._/*-]{0,6}",
        2 => "[0-9]{1,3}[hmsexob0-9a-f:._-]{0,4}",
        1 => any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// A plain scalar is never one the oracle reads as a non-string, nor one whose syntax needs
    /// quotes; every quoted one reads back (YAML 1.2, serde_yaml) as the same string.
    #[test]
    fn plain_only_when_every_reader_agrees(s in yaml_trouble()) {
        let resolvers = resolvers();
        let written = scalar(&s).expect("writes");
        if written == s {
            prop_assert_eq!(non_string_reading(&resolvers, &s), None, "{:?} left plain", s);
            prop_assert!(!needs_quotes_by_syntax(&s), "{:?} left plain", s);
        } else {
            prop_assert!(written.starts_with('"') && written.ends_with('"'), "{}", written);
        }
        prop_assert!(!written.contains('\n'), "{:?} spans lines: {}", s, written);
        let read: String = serde_yaml::from_str(&format!("key: {written}\n"))
            .map(|m: std::collections::BTreeMap<String, String>| m["key"].clone())
            .map_err(|e| TestCaseError::fail(format!("{s:?} as {written}: {e}")))?;
        prop_assert_eq!(read, s);
    }
}
