//! Each default is written once, in the library's `Options::default()`: what `--help` says
//! (`[default: …]`) and what README's options table states are both checked against it here.

use clap::CommandFactory;
use igw_monitoring::{AlertOptions, Objects, Options};
use serde_json::Value;
use std::collections::BTreeSet;

use crate::args::{Cli, OptionArgs};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const FALSE: Value = Value::Bool(false);
const HEADER: &str = "| option (`Options` field / builder method) | default | rule |";

/// The value at a dotted option path (`alerts.for`) of the options' JSON, if it has one.
fn at<'v>(json: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(json, |value, key| value.get(key))
}

/// Whether a stated default (help's `[default: TEXT]`, a README cell's span) is the JSON value:
/// strings and booleans as written, numbers by value (`10` is `10.0`), maps as YAML.
fn states(text: &str, value: &Value) -> bool {
    match value {
        Value::String(s) => s == text,
        Value::Bool(b) => b.to_string() == text,
        Value::Number(n) => n
            .as_f64()
            .is_some_and(|n| text.parse::<f64>().ok() == Some(n)),
        Value::Object(_) => serde_yaml::from_str::<Value>(text).is_ok_and(|v| &v == value),
        _ => false,
    }
}

/// The backticked spans of a table cell, in order.
fn backticked(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
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

/// Every `[default: …]` in `--help` that names a value is `Options::default()`'s: the
/// default is written once, in the library, and the help is held to it.
#[test]
fn help_defaults_are_the_librarys() {
    let defaults = serde_json::to_value(Options::default()).unwrap_or_default();
    let Some(mut render) = Cli::command()
        .get_subcommands()
        .find(|c| c.get_name() == "render")
        .cloned()
    else {
        unreachable!("the command has a render subcommand");
    };
    render.build();
    let mut compared = Vec::new();
    for (flag, path, _) in OptionArgs::default().flags() {
        let help = render
            .get_arguments()
            .find(|a| a.get_long().map(|l| format!("--{l}")).as_deref() == Some(flag))
            .and_then(|a| a.get_long_help().or(a.get_help()))
            .map(ToString::to_string)
            .unwrap_or_default();
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
        let stated = help
            .split_once("[default: ")
            .and_then(|(_, rest)| rest.split_once(']'))
            .map(|(text, _)| text.to_owned());
        let value =
            at(&defaults, path).filter(|v| v.is_string() || v.is_number() || v.is_boolean());
        if let (Some(stated), Some(value)) = (stated, value) {
            assert!(
                states(&stated, value),
                "{flag}: help says [default: {stated}], Options::default() has {path} = {value}"
            );
            compared.push(flag);
        }
    }
    // namespace, secretAccess, monitoring, scope, four thresholds, for, interval, port,
    // path, scheme: a help that lost its defaults must not pass by comparing nothing.
    assert!(compared.len() >= 13, "compared only {compared:?}");
}

/// Every row of README's options table states the default `Options::default()` has; a name's
/// default is checked against the objects the default plan makes.
#[test]
fn the_options_table_states_the_defaults_the_code_has() -> TestResult {
    let readme = include_str!("../../../README.md");
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
    let plan = with_alerts.plan()?;
    let list: Value = serde_json::from_str(&plan.to_json_list()?)?;
    let mut made: BTreeSet<&str> = list["items"]
        .as_array()
        .ok_or("a List has items")?
        .iter()
        .filter_map(|o| o["metadata"]["name"].as_str())
        .collect();
    // The Grafana dashboard's ConfigMap is written on its own (`dashboard --config-map`).
    made.insert(&plan.dashboard_id().name);

    // `<serviceAccount>` and the like in a default name: an earlier row's name, or the collector's.
    let mut names = vec![(
        "collector namespace".to_owned(),
        defaults.flavor.collector_namespace().to_owned(),
    )];
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
                    .all(|(field, stated)| parts.get(*field).is_some_and(|v| states(stated, v)))
        } else if is_none(value) {
            default.starts_with("none") || default.starts_with("derived")
        } else {
            // A map is stated as its entries, one span each (`key: value`, ...).
            let stated = match value {
                Some(Value::Object(_)) => Some(stated.join("\n")),
                _ => stated.first().map(|s| (*s).to_owned()),
            };
            stated.zip(value).is_some_and(|(s, v)| states(&s, v))
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
    }
    Ok(())
}
