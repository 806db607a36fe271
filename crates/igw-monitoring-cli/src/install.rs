//! Inside an install: `post-render` (Helm 3's `--post-renderer` executable, Helm 4's plugin)
//! and `argocd-generate` (an Argo CD Config Management Plugin's `generate`: `helm template`
//! of the Application's chart with its parameters, then `post-render`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::process::{Command as Process, Stdio};

use clap::{CommandFactory, Parser};
use igw_monitoring::{Error, NoPicker, PostRenderError, printable};

use crate::args::{Cli, Command, OptionArgs};
use crate::bounded::read_at_most;
use crate::run::options_error;
use crate::run::{Failed, Outcome, check_text, configured, failure, invalid, one_line};
use crate::run::{print_warnings, write_out};

/// `post-render` of `input` (from `source`): the input, then the bundle, on `out`; nothing
/// on `out` when refused. The outcome and its message also go to `report`, replaced whole,
/// since Helm 4 never shows a post-renderer's stderr.
pub(crate) fn post_render(
    options: &OptionArgs,
    report: Option<&Path>,
    allow_no_picker: bool,
    source: &str,
    input: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, Failed> {
    let result = rendered(options, allow_no_picker, source, input);
    let told = match &result {
        Ok(done) => {
            let mut told: String = (done.warnings.iter())
                .map(|w| format!("warning: {w}\n"))
                .collect();
            told.push_str(&check_text(&done.check));
            told
        }
        Err(failed) => format!("error: {}\n", failed.message),
    };
    if let Some(path) = report {
        write_report(path, &told)?;
    }
    let done = result?;
    print_warnings(err, "", &done.warnings);
    write_out(out, &done.output)?;
    Ok(Outcome::Success)
}

/// The library's post-render over the options of `args` (config file, then flags), its
/// refusals as the command words them.
fn rendered(
    args: &OptionArgs,
    allow_no_picker: bool,
    source: &str,
    input: &str,
) -> Result<igw_monitoring::PostRendered, Failed> {
    if !args.from.is_empty() {
        return Err(invalid(
            "--from: post-render reads the chart's output on standard input, and only that",
        ));
    }
    let (options, given) = configured(args)?;
    let no_picker = if allow_no_picker {
        NoPicker::PassThrough
    } else {
        NoPicker::Refuse
    };
    igw_monitoring::post_render(source, input, options, &given, no_picker).map_err(|e| match e {
        PostRenderError::Manifests(problems) => invalid(format!("invalid manifests:\n{problems}")),
        PostRenderError::Options(problems) => options_error(args, Error::Invalid(problems)),
        PostRenderError::Emit(error) => options_error(args, error),
        PostRenderError::Broken(check) => {
            let first = check.findings.first().map(one_line).unwrap_or_default();
            // The first line alone says what broke: installers show one line.
            Failed {
                message: format!(
                    "the bundle would not scrape the endpoint pickers of the chart's output: {first}\n{}",
                    check_text(&check)
                ),
                outcome: Outcome::Failure,
            }
        }
    })
}

/// Replaces `path` with `text` whole (a file beside it, renamed over it): a reader never sees
/// half a report, even when the process is killed while writing.
fn write_report(path: &Path, text: &str) -> Result<(), Failed> {
    let fail = |e: std::io::Error| failure(format!("--report {}: {e}", path.display()));
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    file.write_all(printable(text).as_bytes()).map_err(fail)?;
    file.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// The Argo CD parameters this plugin takes (its `plugin.yaml` announces the same).
const PARAMETERS: [&str; 4] = ["values-files", "helm-parameters", "release-name", "args"];

/// The options file the plugin's `discover` looks for in the Application's folder.
const CONFIG_FILE: &str = "igw-monitoring.yaml";

/// Where `ARGOCD_ENV_` variables meant for the tool begin: `ARGOCD_ENV_IGW_NAMESPACE=ns` is
/// `--namespace=ns`.
const ENV_PREFIX: &str = "ARGOCD_ENV_IGW_";

/// One entry of `ARGOCD_APP_PARAMETERS`, as Argo CD writes it.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Parameter {
    name: String,
    string: Option<String>,
    array: Option<Vec<String>>,
    map: Option<BTreeMap<String, String>>,
}

/// What `argocd-generate` runs: `helm template` and the post-render options.
#[derive(Debug, PartialEq, Eq)]
struct Generate {
    /// `helm template`'s arguments after `template`.
    helm: Vec<String>,
    /// `post-render`'s flags.
    flags: Vec<String>,
}

/// `argocd-generate`: reads the Application from `env` (Argo CD's build variables, its
/// `ARGOCD_APP_PARAMETERS` and `ARGOCD_ENV_*`), runs `helm template` in the working directory
/// and post-renders its output.
pub(crate) fn argocd_generate(
    helm: &Path,
    env: &BTreeMap<String, String>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, Failed> {
    let mut generate = generate_args(env)?;
    // The folder's own options, as the plugin's discovery finds them, unless a flag names a
    // config file.
    let given = generate.flags.iter().any(|f| f.starts_with("--config"));
    if !given && Path::new(CONFIG_FILE).is_file() {
        generate.flags.push(format!("--config={CONFIG_FILE}"));
    }
    let argv = ["igw-monitoring", "post-render"]
        .into_iter()
        .map(str::to_owned)
        .chain(generate.flags);
    let cli = Cli::try_parse_from(argv).map_err(|e| {
        invalid(format!(
            "the post-render flags of parameter args and {ENV_PREFIX}*: {}",
            e.render().to_string().trim_end()
        ))
    })?;
    let Command::PostRender {
        options,
        report,
        allow_no_picker,
    } = &cli.command
    else {
        return Err(failure(
            "the post-render flags did not parse as post-render",
        ));
    };
    let input = helm_template(helm, &generate.helm)?;
    post_render(
        options,
        report.as_deref(),
        *allow_no_picker,
        "helm template",
        &input,
        out,
        err,
    )
}

/// Runs `helm template ARGS` (stdin closed; stdout read up to the manifest limit).
fn helm_template(helm: &Path, args: &[String]) -> Result<String, Failed> {
    let shown = format!("{} template {}", helm.display(), args.join(" "));
    let mut child = Process::new(helm)
        .arg("template")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failure(format!("{shown}: cannot run: {e}")))?;
    let limit = igw_monitoring::manifests::MAX_MANIFEST_BYTES;
    // stderr is read on its own thread, so a chatty helm never blocks on a full pipe.
    let stderr = child
        .stderr
        .take()
        .map(|pipe| std::thread::spawn(move || read_at_most(pipe, 64 * 1024).unwrap_or_default()));
    let stdout = match child.stdout.take() {
        Some(pipe) => read_at_most(pipe, limit + 1),
        None => Ok(Vec::new()),
    };
    let status = child.wait();
    let stderr = stderr
        .and_then(|t| t.join().ok())
        .map(|b| String::from_utf8_lossy(&b).trim_end().to_owned())
        .unwrap_or_default();
    let status = status.map_err(|e| failure(format!("{shown}: {e}")))?;
    if !status.success() {
        return Err(failure(format!("{shown}: {status}: {stderr}")));
    }
    let stdout = stdout.map_err(|e| failure(format!("{shown}: reading its output: {e}")))?;
    if stdout.len() as u64 > limit {
        return Err(invalid(format!(
            "{shown}: printed more than {} MiB, the most an input may have",
            limit / (1024 * 1024)
        )));
    }
    String::from_utf8(stdout).map_err(|_| invalid(format!("{shown}: printed no UTF-8 text")))
}

/// `helm template`'s arguments and the post-render flags for the Application in `env`; a bad
/// parameter or variable is refused, naming it.
fn generate_args(env: &BTreeMap<String, String>) -> Result<Generate, Failed> {
    let var = |name: &str| env.get(name).filter(|v| !v.is_empty());
    let mut release = var("ARGOCD_APP_NAME").cloned();
    let mut helm_tail = Vec::new();
    let mut args = Vec::new();
    let parameters: Vec<Parameter> = match var("ARGOCD_APP_PARAMETERS") {
        Some(json) => serde_json::from_str(json).map_err(|e| {
            invalid(format!(
                "ARGOCD_APP_PARAMETERS: not Argo CD's parameter list: {e}"
            ))
        })?,
        None => Vec::new(),
    };
    let mut problems = Vec::new();
    for parameter in parameters {
        let name = parameter.name.as_str();
        let kind = match (&parameter.string, &parameter.array, &parameter.map) {
            (Some(_), None, None) => "string",
            (None, Some(_), None) => "array",
            (None, None, Some(_)) => "map",
            _ => "",
        };
        let wanted = match name {
            "values-files" | "args" => "array",
            "helm-parameters" => "map",
            "release-name" => "string",
            _ => {
                problems.push(format!(
                    "parameter {name:?}: not one of this plugin's parameters ({})",
                    PARAMETERS.join(", ")
                ));
                continue;
            }
        };
        if kind != wanted {
            problems.push(format!("parameter {name:?}: must be one {wanted}"));
            continue;
        }
        match (name, parameter.string, parameter.array, parameter.map) {
            ("release-name", Some(value), ..) => release = Some(value),
            ("values-files", _, Some(files), _) => {
                for (i, file) in files.iter().enumerate() {
                    if inside(file) {
                        helm_tail.extend(["--values".to_owned(), file.clone()]);
                    } else {
                        problems.push(format!(
                            "parameter \"values-files\"[{i}]: {file:?} must be a relative path inside the Application's source"
                        ));
                    }
                }
            }
            ("helm-parameters", _, _, Some(map)) => {
                for (key, value) in map {
                    helm_tail.extend(["--set".to_owned(), format!("{key}={value}")]);
                }
            }
            ("args", _, Some(flags), _) => args.extend(flags),
            _ => {}
        }
    }
    let mut flags = env_flags(env, &mut problems);
    flags.extend(args);
    let Some(release) = release else {
        problems.push(
            "ARGOCD_APP_NAME: empty, and no parameter \"release-name\" names the release"
                .to_owned(),
        );
        return Err(invalid(problems.join("\n")));
    };
    if !problems.is_empty() {
        return Err(invalid(format!(
            "invalid plugin input:\n  {}",
            problems.join("\n  ")
        )));
    }
    let mut helm = vec![release, ".".to_owned()];
    if let Some(namespace) = var("ARGOCD_APP_NAMESPACE") {
        helm.extend(["--namespace".to_owned(), namespace.clone()]);
    }
    // As Argo CD's own Helm rendering: the destination's version and APIs, for charts that
    // ask `.Capabilities`.
    if let Some(version) = var("KUBE_VERSION") {
        helm.extend(["--kube-version".to_owned(), version.clone()]);
    }
    if let Some(apis) = var("KUBE_API_VERSIONS") {
        for api in apis.split(',').filter(|a| !a.is_empty()) {
            helm.extend(["--api-versions".to_owned(), api.to_owned()]);
        }
    }
    helm.extend(helm_tail);
    Ok(Generate { helm, flags })
}

/// Whether `path` is relative and stays inside the folder it is relative to.
fn inside(path: &str) -> bool {
    let path = PathBuf::from(path);
    !path.as_os_str().is_empty()
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// The post-render flags of `ARGOCD_ENV_IGW_*` (`ARGOCD_ENV_IGW_EPP_VERSION=1.1` is
/// `--epp-version=1.1`; a switch takes `true` or `false`), sorted by variable.
fn env_flags(env: &BTreeMap<String, String>, problems: &mut Vec<String>) -> Vec<String> {
    let command = Cli::command();
    let post_render = command.find_subcommand("post-render");
    let mut flags = Vec::new();
    for (key, value) in env.range(ENV_PREFIX.to_owned()..) {
        let Some(rest) = key.strip_prefix(ENV_PREFIX) else {
            break;
        };
        let long = rest.to_ascii_lowercase().replace('_', "-");
        let arg = post_render.and_then(|c| c.get_arguments().find(|a| a.get_long() == Some(&long)));
        let Some(arg) = arg else {
            problems.push(format!("{key}: post-render has no flag --{long}"));
            continue;
        };
        if arg.get_action().takes_values() {
            flags.push(format!("--{long}={value}"));
        } else {
            match value.as_str() {
                "true" => flags.push(format!("--{long}")),
                "false" => {}
                _ => problems.push(format!(
                    "{key}: --{long} is a switch, so the value must be true or false, not {value:?}"
                )),
            }
        }
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn an_application_gives_helm_its_release_namespace_values_and_parameters() {
        let got = generate_args(&env(&[
            ("ARGOCD_APP_NAME", "llama"),
            ("ARGOCD_APP_NAMESPACE", "inference"),
            ("KUBE_VERSION", "1.33"),
            ("KUBE_API_VERSIONS", "v1,apps/v1"),
            (
                "ARGOCD_APP_PARAMETERS",
                r#"[{"name":"values-files","array":["values-prod.yaml"]},
                    {"name":"helm-parameters","map":{"b":"2","a":"1"}},
                    {"name":"args","array":["--with-alerts"]}]"#,
            ),
            ("ARGOCD_ENV_IGW_NAMESPACE", "monitoring"),
            ("ARGOCD_ENV_IGW_AUTOPILOT", "true"),
            ("ARGOCD_ENV_OTHER", "not the tool's"),
        ]));
        let Ok(got) = got else {
            panic!(
                "refused: {}",
                got.err().map(|f| f.message).unwrap_or_default()
            );
        };
        assert_eq!(
            got.helm,
            [
                "llama",
                ".",
                "--namespace",
                "inference",
                "--kube-version",
                "1.33",
                "--api-versions",
                "v1",
                "--api-versions",
                "apps/v1",
                "--values",
                "values-prod.yaml",
                "--set",
                "a=1",
                "--set",
                "b=2"
            ]
        );
        assert_eq!(
            got.flags,
            [
                "--autopilot=true",
                "--namespace=monitoring",
                "--with-alerts"
            ]
        );
    }

    #[test]
    fn bad_parameters_and_variables_are_named_all_at_once() {
        let refused = generate_args(&env(&[
            ("ARGOCD_APP_NAME", "llama"),
            (
                "ARGOCD_APP_PARAMETERS",
                r#"[{"name":"bogus","string":"x"},
                    {"name":"release-name","array":["a"]},
                    {"name":"values-files","array":["../../etc/passwd"]}]"#,
            ),
            ("ARGOCD_ENV_IGW_NO_SUCH_FLAG", "1"),
            ("ARGOCD_ENV_IGW_PPROF", "yes"),
        ]));
        let message = refused.err().map(|f| f.message).unwrap_or_default();
        for named in [
            "parameter \"bogus\": not one of",
            "parameter \"release-name\": must be one string",
            "parameter \"values-files\"[0]: \"../../etc/passwd\"",
            "ARGOCD_ENV_IGW_NO_SUCH_FLAG: post-render has no flag --no-such-flag",
            "ARGOCD_ENV_IGW_PPROF: --pprof is a switch",
        ] {
            assert!(message.contains(named), "{named}: {message}");
        }
        let not_json = generate_args(&env(&[("ARGOCD_APP_PARAMETERS", "{")]));
        let message = not_json.err().map(|f| f.message).unwrap_or_default();
        assert!(message.starts_with("ARGOCD_APP_PARAMETERS: "), "{message}");
    }
}
