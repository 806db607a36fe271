//! README's options table states each option's default; `Options::default()` is where defaults are
//! written. Every row is checked against it (names against the objects the default plan makes),
//! so the table cannot drift from the code.

use igw_monitoring::{AlertOptions, Objects, Options};
use serde_json::Value;
use std::collections::BTreeSet;

use crate::support::TestResult;

const FALSE: Value = Value::Bool(false);
const HEADER: &str = "| option (`Options` field / builder method) | default | rule |";

/// The backticked spans of a table cell, in order.
fn backticked(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

/// The value at a dotted option path (`names.alerts`) of the options' JSON.
fn at<'a>(json: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(json, |value, key| value.get(key))
}

/// Whether README's spelling of a default is the JSON value: strings and booleans as written,
/// numbers by value (`10` is `10.0`), objects as the YAML README shows.
fn same(readme: &str, value: &Value) -> bool {
    match value {
        Value::String(s) => s == readme,
        Value::Bool(b) => b.to_string() == readme,
        Value::Number(n) => readme.parse::<f64>().ok() == n.as_f64(),
        Value::Object(_) => serde_yaml::from_str::<Value>(readme).is_ok_and(|v| &v == value),
        _ => false,
    }
}

/// "None": absent, null, or an empty list or map.
fn is_none(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        Some(_) => false,
    }
}

#[test]
fn the_options_table_states_the_defaults_the_code_has() -> TestResult {
    let readme = include_str!("../../README.md");
    let rows: Vec<Vec<&str>> = readme
        .lines()
        .skip_while(|l| *l != HEADER)
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
        .collect();
    assert!(
        rows.len() >= 30,
        "README's options table: {} rows",
        rows.len()
    );

    let defaults = Options::default();
    let json = serde_json::to_value(&defaults)?;
    // The names the default plan gives its objects (alerts on, so that their object is made).
    let with_alerts = Options {
        alerts: AlertOptions {
            enabled: true,
            ..AlertOptions::default()
        },
        ..Options::default()
    };
    let list: Value = serde_json::from_str(&with_alerts.plan()?.to_json_list()?)?;
    let made: BTreeSet<&str> = list["items"]
        .as_array()
        .ok_or("a List has items")?
        .iter()
        .filter_map(|o| o["metadata"]["name"].as_str())
        .collect();

    // `<serviceAccount>` and the like in a default name: an earlier row's name, or the collector's.
    let mut names = vec![(
        "collector namespace".to_owned(),
        defaults.flavor.collector_namespace().to_owned(),
    )];
    let mut compared = 0;
    for row in &rows {
        let [option, default, _rule] = row.as_slice() else {
            return Err(format!(
                "README's options table: a row of {} cells: {row:?}",
                row.len()
            )
            .into());
        };
        let fields = backticked(option);
        let Some(&path) = fields.first() else {
            return Err(format!("README's options table: no option in {option:?}").into());
        };
        let stated = backticked(default);
        // A boolean serialized only when true (`skip_serializing_if = "Not::not"`) is false.
        let value = at(&json, path).or((stated.first() == Some(&"false")).then_some(&FALSE));
        let ok = if path.starts_with("targets[].") {
            // A target's own value, when not given, is the top level's.
            default.starts_with("the top-level")
        } else if let Some(name) = path.strip_prefix("names.") {
            let mut expected = stated.first().copied().unwrap_or_default().to_owned();
            for (key, name) in &names {
                expected = expected.replace(&format!("<{key}>"), name);
            }
            names.push((name.to_owned(), expected.clone()));
            is_none(value) && made.contains(expected.as_str())
        } else if let (Some(Value::Object(parts)), Some((whole, each))) =
            (value, default.split_once("; ").filter(|_| fields.len() > 2))
        {
            // `alerts` (`enabled`, `scope`, ...): "off" for the first, then one value each.
            let each = backticked(each);
            fields.len() - 2 == each.len()
                && (whole == "off") == (parts.get(fields[1]) == Some(&Value::Bool(false)))
                && fields[2..]
                    .iter()
                    .zip(&each)
                    .all(|(field, stated)| parts.get(*field).is_some_and(|v| same(stated, v)))
        } else if is_none(value) {
            default.starts_with("none") || default.starts_with("derived")
        } else {
            // A map is stated as its entries, one span each (`key: value`, ...).
            let stated = match value {
                Some(Value::Object(_)) => Some(stated.join("\n")),
                _ => stated.first().map(|s| (*s).to_owned()),
            };
            stated.zip(value).is_some_and(|(s, v)| same(&s, v))
        };
        assert!(
            ok,
            "README states the default of `{path}` as {default:?}; the code has {}",
            if path.starts_with("names.") {
                format!("objects named {made:?}")
            } else {
                value.map_or("nothing".to_owned(), Value::to_string)
            }
        );
        compared += 1;
    }
    assert_eq!(compared, rows.len());
    Ok(())
}
