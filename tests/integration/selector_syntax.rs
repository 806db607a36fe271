//! The kubectl selector syntax: what parses to what, where errors point, and that Display is the
//! parser's inverse.

// Helpers fail the test they serve when a valid text does not parse: the panic is the report.
#![allow(clippy::panic)]

use std::collections::BTreeMap;

use igw_monitoring::SyntaxError;
use igw_monitoring::{LabelSelector, SelectorOperator, SelectorRequirement};
use proptest::prelude::*;

fn labels(pairs: &[(&str, &str)]) -> LabelSelector {
    pairs
        .iter()
        .fold(LabelSelector::default(), |s, (k, v)| s.match_label(*k, *v))
}

fn exprs(requirements: Vec<SelectorRequirement>) -> LabelSelector {
    requirements
        .into_iter()
        .fold(LabelSelector::default(), LabelSelector::match_expression)
}

fn parse(input: &str) -> LabelSelector {
    input
        .parse()
        .unwrap_or_else(|e| panic!("{input:?} should parse: {e}"))
}

#[test]
fn valid_selectors() {
    use SelectorRequirement as R;
    let cases: Vec<(&str, LabelSelector)> = vec![
        ("", LabelSelector::default()),
        (" \t\r\n", LabelSelector::default()),
        ("app=x", labels(&[("app", "x")])),
        ("app==x", labels(&[("app", "x")])),
        ("  app = x  ", labels(&[("app", "x")])),
        ("app=", labels(&[("app", "")])),
        ("app==", labels(&[("app", "")])),
        (
            "app=,b",
            labels(&[("app", "")]).match_expression(R::exists("b")),
        ),
        (
            "app= ,b",
            labels(&[("app", "")]).match_expression(R::exists("b")),
        ),
        ("app!=x", exprs(vec![R::not_in("app", ["x"])])),
        ("app != x", exprs(vec![R::not_in("app", ["x"])])),
        ("app!=", exprs(vec![R::not_in("app", [""])])),
        ("tier in (a,b)", exprs(vec![R::is_in("tier", ["a", "b"])])),
        ("tier in (a, b)", exprs(vec![R::is_in("tier", ["a", "b"])])),
        ("tier in(a)", exprs(vec![R::is_in("tier", ["a"])])),
        ("tier notin(a)", exprs(vec![R::not_in("tier", ["a"])])),
        (
            "tier \t notin\n( a , b ) ",
            exprs(vec![R::not_in("tier", ["a", "b"])]),
        ),
        ("tier in ()", exprs(vec![R::is_in("tier", [""])])),
        ("tier in ( )", exprs(vec![R::is_in("tier", [""])])),
        ("tier in (a,)", exprs(vec![R::is_in("tier", ["a", ""])])),
        ("tier in (,a)", exprs(vec![R::is_in("tier", ["", "a"])])),
        ("tier in (,)", exprs(vec![R::is_in("tier", ["", ""])])),
        (
            "tier in (a,,b)",
            exprs(vec![R::is_in("tier", ["a", "", "b"])]),
        ),
        // A metav1.LabelSelector holds a list: order and duplicates are kept.
        (
            "tier in (b,a,b)",
            exprs(vec![R::is_in("tier", ["b", "a", "b"])]),
        ),
        ("tier", exprs(vec![R::exists("tier")])),
        ("!tier", exprs(vec![R::does_not_exist("tier")])),
        ("! tier", exprs(vec![R::does_not_exist("tier")])),
        // `in` / `notin` are keywords only where an operator is expected.
        ("in=x", labels(&[("in", "x")])),
        ("app=in", labels(&[("app", "in")])),
        ("app!=notin", exprs(vec![R::not_in("app", ["notin"])])),
        (
            "in in (notin,in)",
            exprs(vec![R::is_in("in", ["notin", "in"])]),
        ),
        ("in", exprs(vec![R::exists("in")])),
        ("!notin", exprs(vec![R::does_not_exist("notin")])),
        ("a,b", exprs(vec![R::exists("a"), R::exists("b")])),
        (
            " a , !b , c=d ",
            labels(&[("c", "d")])
                .match_expression(R::exists("a"))
                .match_expression(R::does_not_exist("b")),
        ),
        ("a=1,a=1", labels(&[("a", "1")])),
        (
            "a=1,a!=1",
            labels(&[("a", "1")]).match_expression(R::not_in("a", ["1"])),
        ),
        (
            "tier in (a),app=x,!debug",
            labels(&[("app", "x")])
                .match_expression(R::is_in("tier", ["a"]))
                .match_expression(R::does_not_exist("debug")),
        ),
        (
            "app.kubernetes.io/name=epp_1-x.y",
            labels(&[("app.kubernetes.io/name", "epp_1-x.y")]),
        ),
        // Only the structure is checked; label syntax is build()'s job.
        ("Ünï/cødé=値*", labels(&[("Ünï/cødé", "値*")])),
        ("a\u{a0}b", exprs(vec![R::exists("a\u{a0}b")])),
    ];
    for (input, expected) in cases {
        assert_eq!(parse(input), expected, "{input:?}");
    }
}

#[test]
fn invalid_selectors() {
    // (input, offset, part of the message)
    let cases: &[(&str, usize, &str)] = &[
        ("tier in", 7, "expected '(' to open the value list"),
        (
            "tier in (a",
            10,
            "expected ',' or ')' to close the value list",
        ),
        (
            "tier in (a b)",
            11,
            "expected ',' or ')' to close the value list",
        ),
        (
            "tier in (a=b)",
            10,
            "expected ',' or ')' to close the value list",
        ),
        (
            "tier in ((a))",
            9,
            "expected ',' or ')' to close the value list",
        ),
        ("tier in (a))", 11, "expected ',' or end of input"),
        ("tier in a", 8, "expected '(' to open the value list"),
        ("a in a", 5, "expected '(' to open the value list"),
        ("tier notin", 10, "expected '(' to open the value list"),
        ("in (a)", 3, "expected an operator"),
        ("a b", 2, "expected an operator"),
        ("a inx (b)", 2, "expected an operator"),
        ("a!b", 1, "expected an operator"),
        ("a)", 1, "expected an operator"),
        ("a<1", 1, "compare numerically"),
        ("a > 1", 2, "compare numerically"),
        ("=x", 0, "expected a label key or '!'"),
        ("==x", 0, "expected a label key or '!'"),
        ("(a)", 0, "expected a label key or '!'"),
        (")", 0, "expected a label key or '!'"),
        (",a", 0, "expected a label key or '!'"),
        ("  ,a", 2, "expected a label key or '!'"),
        ("a,,b", 2, "expected a label key or '!'"),
        ("a,", 2, "expected a label key or '!'"),
        ("a, ", 3, "expected a label key or '!'"),
        ("!", 1, "expected a label key after '!'"),
        ("! ", 2, "expected a label key after '!'"),
        ("!!a", 1, "expected a label key after '!'"),
        ("!=a", 1, "expected a label key after '!'"),
        ("!a=b", 2, "expected ',' or end of input"),
        ("!a in (b)", 3, "expected ',' or end of input"),
        ("a=b=c", 3, "expected ',' or end of input"),
        ("a=b c", 4, "expected ',' or end of input"),
        ("a=(b)", 2, "expected a value"),
        ("a===b", 3, "expected a value"),
        ("a=!b", 2, "expected a value"),
        ("a!= )", 4, "expected a value"),
        ("a=1,a=2", 4, "already required to equal \"1\""),
        ("b, a=1 , a=2", 9, "already required to equal \"1\""),
    ];
    for &(input, offset, message) in cases {
        let err = input
            .parse::<LabelSelector>()
            .expect_err(&format!("{input:?} should not parse"));
        assert_eq!(err.input(), input);
        assert_eq!(
            (err.offset(), err.message().contains(message)),
            (offset, true),
            "{input:?}: {err}"
        );
    }
}

#[test]
fn valid_requirements() {
    use SelectorRequirement as R;
    let cases: Vec<(&str, SelectorRequirement)> = vec![
        ("tier in (a,b)", R::is_in("tier", ["a", "b"])),
        ("tier notin (a)", R::not_in("tier", ["a"])),
        ("tier!=a", R::not_in("tier", ["a"])),
        ("tier", R::exists("tier")),
        (" !tier ", R::does_not_exist("tier")),
        ("in in ()", R::is_in("in", [""])),
    ];
    for (input, expected) in cases {
        let parsed: SelectorRequirement = input
            .parse()
            .unwrap_or_else(|e| panic!("{input:?} should parse: {e}"));
        assert_eq!(parsed, expected, "{input:?}");
    }
}

#[test]
fn invalid_requirements() {
    let cases: &[(&str, usize, &str)] = &[
        ("tier=a", 4, "matchLabels pair"),
        ("tier == a", 5, "matchLabels pair"),
        ("", 0, "expected a label key or '!'"),
        ("  ", 2, "expected a label key or '!'"),
        ("a,b", 1, "a SelectorRequirement is a single requirement"),
        (
            "a in (b) c",
            9,
            "a SelectorRequirement is a single requirement",
        ),
        (
            "tier in (a",
            10,
            "expected ',' or ')' to close the value list",
        ),
        ("!a=b", 2, "a SelectorRequirement is a single requirement"),
    ];
    for &(input, offset, message) in cases {
        let err = input
            .parse::<SelectorRequirement>()
            .expect_err(&format!("{input:?} should not parse"));
        assert_eq!(
            (err.offset(), err.message().contains(message)),
            (offset, true),
            "{input:?}: {err}"
        );
    }
}

#[test]
fn errors_display_input_offset_and_expectation() {
    let err = "tier in (a".parse::<LabelSelector>().unwrap_err();
    assert_eq!(
        err.to_string(),
        r#""tier in (a" at offset 10: expected ',' or ')' to close the value list"#
    );
    // Control characters and quotes stay readable.
    let err = "\"a\"\n=(".parse::<LabelSelector>().unwrap_err();
    assert_eq!(
        err.to_string(),
        r#""\"a\"\n=(" at offset 5: expected a value, ',' or end of input"#
    );
    let boxed: Box<dyn std::error::Error> = Box::new(err.clone());
    assert_eq!(boxed.to_string(), err.to_string());
}

#[test]
fn display_is_canonical() {
    use SelectorRequirement as R;
    let selector = labels(&[("tier", "web"), ("app", "x")])
        .match_expression(R::is_in("zone", ["b", "a"]))
        .match_expression(R::not_in("track", ["canary"]))
        .match_expression(R::exists("gpu"))
        .match_expression(R::does_not_exist("debug"));
    assert_eq!(
        selector.to_string(),
        "app=x,tier=web,zone in (b,a),track notin (canary),gpu,!debug"
    );
    assert_eq!(parse(&selector.to_string()), selector);
    assert_eq!(LabelSelector::default().to_string(), "");
    assert_eq!(labels(&[("app", "")]).to_string(), "app=");
    assert_eq!(R::is_in("tier", [""]).to_string(), "tier in ()");
    assert_eq!(R::is_in("tier", ["a", ""]).to_string(), "tier in (a,)");
    assert_eq!(R::not_in("tier", ["a"]).to_string(), "tier notin (a)");
    assert_eq!(
        R {
            key: "k".to_owned(),
            operator: SelectorOperator::DoesNotExist,
            values: Vec::new(),
        }
        .to_string(),
        "!k"
    );
}

#[test]
fn long_inputs_parse_in_linear_time() {
    let many: String = (0..50_000).map(|i| format!("k{i}=v{i},")).collect();
    let parsed = parse(&format!("{many}last in (a, b)"));
    assert_eq!(parsed.match_labels.len(), 50_000);
    assert_eq!(parsed.match_expressions.len(), 1);

    let values = vec!["v"; 100_000].join(" , ");
    assert_eq!(
        parse(&format!("k in ({values})")).match_expressions[0]
            .values
            .len(),
        100_000
    );

    let unclosed = "(".repeat(200_000);
    let err = format!("k in {unclosed}")
        .parse::<LabelSelector>()
        .unwrap_err();
    assert_eq!(err.offset(), 6);
}

/// A token as the round-trip property needs it; values may also be empty.
fn token(min: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[a-z0-9./_-]{{{min},10}}"))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn requirement() -> impl Strategy<Value = SelectorRequirement> {
    let values = || prop::collection::vec(token(0), 1..4);
    prop_oneof![
        (token(1), values()).prop_map(|(k, v)| SelectorRequirement::is_in(k, v)),
        (token(1), values()).prop_map(|(k, v)| SelectorRequirement::not_in(k, v)),
        token(1).prop_map(SelectorRequirement::exists),
        token(1).prop_map(SelectorRequirement::does_not_exist),
    ]
}

fn selector() -> impl Strategy<Value = LabelSelector> {
    (
        prop::collection::btree_map(token(1), token(0), 0..4),
        prop::collection::vec(requirement(), 0..4),
    )
        .prop_map(
            |(match_labels, match_expressions): (BTreeMap<_, _>, _)| LabelSelector {
                match_labels,
                match_expressions,
            },
        )
}

/// The parse must not panic; an error must point inside the input, and a success must print back
/// to itself.
fn check_total(input: &str) -> Result<(), TestCaseError> {
    let check_error = |err: SyntaxError| -> Result<(), TestCaseError> {
        prop_assert!(input.is_char_boundary(err.offset()), "{err}");
        prop_assert!(!err.message().is_empty());
        Ok(())
    };
    match input.parse::<LabelSelector>() {
        Ok(parsed) => prop_assert_eq!(parse(&parsed.to_string()), parsed),
        Err(err) => check_error(err)?,
    }
    match input.parse::<SelectorRequirement>() {
        Ok(parsed) => prop_assert_eq!(
            parsed.to_string().parse::<SelectorRequirement>(),
            Ok(parsed)
        ),
        Err(err) => check_error(err)?,
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn arbitrary_text_never_panics(input in any::<String>()) {
        check_total(&input)?;
    }

    #[test]
    fn near_miss_text_never_panics(input in "[ab ,=!()<>\t\u{e9}]{0,24}|(in|notin|[ab ,=!()])*") {
        check_total(&input)?;
    }

    #[test]
    fn selectors_round_trip(selector in selector()) {
        prop_assert_eq!(parse(&selector.to_string()), selector);
    }

    #[test]
    fn requirements_round_trip(requirement in requirement()) {
        prop_assert_eq!(requirement.to_string().parse::<SelectorRequirement>(), Ok(requirement));
    }
}
