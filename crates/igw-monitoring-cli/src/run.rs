//! Runs one parsed command line: everything the binary does, with its output streams passed in.

use igw_monitoring::Objects;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::CommandFactory;
use gmp_types::{
    ClusterPodMonitoring, ClusterRules, CustomResourceExt, GlobalRules, PodMonitoring, Rules,
};
use igw_monitoring::manifests::{self, Manifests};
use igw_monitoring::{
    Collector, Error, Given, Object, Options, Plan, Problems, SHOWN_PROBLEMS, VerifyOptions,
    Warning, printable,
};

use crate::args::{CheckFormat, Cli, Command, FolderArgs, Format, OptionArgs};
use crate::bounded::read_at_most;
use crate::config;
use crate::fleet_file;
use crate::output;

/// How the command ended, as its exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Done: exit 0.
    Success,
    /// `--check` found a stale folder, or writing failed: exit 1.
    Failure,
    /// Invalid input (flags, config file, options); nothing was written: exit 2.
    Invalid,
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> Self {
        ExitCode::from(match outcome {
            Outcome::Success => 0,
            Outcome::Failure => 1,
            Outcome::Invalid => 2,
        })
    }
}

/// Runs `cli`, writing results to `out` and messages to `err`.
pub fn run(cli: &Cli, out: &mut dyn Write, err: &mut dyn Write) -> Outcome {
    match execute(cli, out, err) {
        Ok(outcome) => outcome,
        Err(failure) => {
            // A closed stderr leaves nothing else to tell.
            let _ = writeln!(err, "error: {}", printable(&failure.message));
            failure.outcome
        }
    }
}

/// A message for stderr and the outcome it implies.
pub(crate) struct Failed {
    pub(crate) message: String,
    pub(crate) outcome: Outcome,
}

pub(crate) fn invalid(message: impl ToString) -> Failed {
    Failed {
        message: message.to_string(),
        outcome: Outcome::Invalid,
    }
}

pub(crate) fn failure(message: impl ToString) -> Failed {
    Failed {
        message: message.to_string(),
        outcome: Outcome::Failure,
    }
}

fn execute(cli: &Cli, out: &mut dyn Write, err: &mut dyn Write) -> Result<Outcome, Failed> {
    let text = match &cli.command {
        Command::Render { options, output } => {
            let plan = scrape_plan(options, err)?;
            // Streamed: a fleet's objects are never all held at once.
            let text = match output {
                Format::Yaml => plan.to_yaml(),
                Format::Json => plan.to_json_list(),
                Format::Terraform => plan.to_terraform(),
            };
            text.map_err(|e| options_error(options, e))?
        }
        Command::Kustomize { folder, options } => {
            let files = scrape_plan(options, err)?
                .kustomize_base()
                .map_err(failure)?;
            return write_folder(folder, &files, out);
        }
        Command::Verify {
            options,
            cluster,
            format,
            against,
        } => {
            let plan = scrape_plan(options, err)?;
            let mut preflight = Vec::new();
            if !against.is_empty() {
                let check = plan.check(&read_manifests(against, "--against")?);
                let report = check_text(&check);
                if !check.is_clean() {
                    // Nothing on stdout: a script piped to bash must not run on a bundle known
                    // not to scrape.
                    let _ = write!(
                        err,
                        "error: the bundle does not scrape the endpoint pickers of --against:\n{report}"
                    );
                    return Ok(Outcome::Failure);
                }
                for warning in &check.warnings {
                    let _ = writeln!(err, "warning: {}", printable(&warning.to_string()));
                }
                preflight = check.pickers;
            }
            let verify = VerifyOptions {
                cluster: cluster.clone(),
                format: *format,
                preflight,
            };
            // Written as it is made: a fleet's steps are larger than its bundle.
            plan.write_verify(&verify, out).map_err(cluster_error)?;
            String::new()
        }
        Command::Alerts { options } => {
            let mut with_alerts = options.clone();
            with_alerts.with_alerts = true;
            let alerts: Vec<_> = plan(&with_alerts)?.alert_objects().collect();
            alerts.to_yaml().map_err(failure)?
        }
        Command::Dashboard {
            options,
            cluster,
            config_map,
        } => dashboard(&plan(options)?, cluster.as_deref(), *config_map)?,
        Command::Check {
            against,
            bundle,
            options,
            output,
        } => return check(against, bundle.as_deref(), options, *output, out, err),
        Command::Fleet { config, folder } => {
            let files = fleet_tree(config, err)?;
            return write_folder(folder, &files, out);
        }
        Command::PostRender {
            options,
            report,
            allow_no_picker,
        } => {
            let (source, input) = read_input(Path::new("-"), "post-render")?;
            return crate::install::post_render(
                options,
                report.as_deref(),
                *allow_no_picker,
                &source,
                &input,
                out,
                err,
            );
        }
        Command::ArgocdGenerate { helm } => {
            let env = std::env::vars().collect();
            return crate::install::argocd_generate(helm, &env, out, err);
        }
        Command::Schema { fleet: false } => schema_json().map_err(failure)?,
        Command::Schema { fleet: true } => fleet_schema_json().map_err(failure)?,
        Command::Crd => crds_yaml().map_err(failure)?,
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "igw-monitoring", &mut script);
            String::from_utf8_lossy(&script).into_owned()
        }
    };
    write_out(out, &text)?;
    Ok(Outcome::Success)
}

/// Replaces the folder with `files` (all or nothing), or with `--check` compares them and
/// exits 1 on a difference, naming each file.
fn write_folder(
    folder: &FolderArgs,
    files: &[igw_monitoring::kustomize::GeneratedFile],
    out: &mut dyn Write,
) -> Result<Outcome, Failed> {
    let dir = &folder.out;
    if folder.check {
        let drift = output::check(dir, files).map_err(output_failure)?;
        if !drift.is_empty() {
            write_out(
                out,
                &format!("{}: stale\n{}", dir.display(), drift.summary()),
            )?;
            return Ok(Outcome::Failure);
        }
        write_out(out, &format!("{}: up to date\n", dir.display()))?;
    } else {
        output::clean_up_on_signals().map_err(output_failure)?;
        output::write(dir, files, folder.force).map_err(output_failure)?;
    }
    Ok(Outcome::Success)
}

/// The tree of the fleet file at `path`: each cluster's `from:` manifests discovered by
/// `render --from`'s rules, every problem of every cluster at once, each cluster's warnings
/// to `err` naming it.
fn fleet_tree(
    path: &Path,
    err: &mut dyn Write,
) -> Result<Vec<igw_monitoring::kustomize::GeneratedFile>, Failed> {
    let (entries, gitops) = fleet_file::load(path).map_err(invalid)?;
    let mut clusters = Vec::with_capacity(entries.len());
    let mut warnings = Vec::with_capacity(entries.len());
    // Every cluster's manifests are read before anything is refused, so one run names them all.
    let mut refused = Vec::new();
    for (i, entry) in entries.into_iter().enumerate() {
        let mut cluster = entry.cluster;
        let mut found = Vec::new();
        if !entry.from.is_empty() {
            let discovered = discover_from(
                &entry.from,
                "from",
                cluster.options.clone(),
                &entry.given,
                |problems| invalid(format!("invalid options:\n{problems}")),
            );
            match discovered {
                Ok((options, warnings)) => {
                    cluster.options = options;
                    found = warnings;
                }
                Err(failed) => refused.push(format!(
                    "cluster {:?} (clusters[{i}].from): {}",
                    cluster.name, failed.message
                )),
            }
        }
        clusters.push(cluster);
        warnings.push(found);
    }
    let fleet = igw_monitoring::Fleet { clusters, gitops };
    let plan = fleet.plan();
    if let Err(Error::Invalid(problems)) = &plan {
        refused.push(format!("invalid fleet:\n{problems}"));
    }
    if !refused.is_empty() {
        return Err(invalid(refused.join("\n")));
    }
    let plan = plan.map_err(failure)?;
    // As render prints them: the manifests' warnings, then the plan's.
    for (cluster, mut warnings) in plan.clusters().iter().zip(warnings) {
        warnings.extend_from_slice(cluster.plan.warnings());
        print_warnings(err, &format!("cluster {:?}: ", cluster.name), &warnings);
    }
    plan.tree().map_err(failure)
}

/// `check`: the bundle (`--bundle`, or the options') judged against the manifests of
/// `against`; findings exit 1.
fn check(
    against: &[std::path::PathBuf],
    bundle: Option<&Path>,
    options: &OptionArgs,
    format: CheckFormat,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, Failed> {
    let manifests = read_manifests(against, "--against")?;
    let check = match bundle {
        Some(path) => {
            let (source, text) = read_input(path, "--bundle")?;
            let objects = igw_monitoring::check::read_bundle(&source, &text)
                .map_err(|problems| invalid(format!("invalid bundle:\n{problems}")))?;
            igw_monitoring::check::check(&manifests, objects, None)
        }
        None => scrape_plan(options, err)?.check(&manifests),
    };
    let text = match format {
        CheckFormat::Json => {
            let mut text = serde_json::to_string_pretty(&check).map_err(failure)?;
            text.push('\n');
            text
        }
        CheckFormat::Text => check_text(&check),
    };
    write_out(out, &text)?;
    Ok(if check.is_clean() {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

/// A check's findings and warnings, a line each, then a summary line.
pub(crate) fn check_text(check: &igw_monitoring::Check) -> String {
    // Object names come from the bundle and the manifests: nothing in them may act on the
    // terminal or break a finding over two lines.
    let mut text = String::new();
    for (what, list) in [("finding", &check.findings), ("warning", &check.warnings)] {
        for finding in list {
            text.push_str(&format!(
                "{}\n",
                printable(&format!("{what}: {}", one_line(finding)))
            ));
        }
    }
    text.push_str(&format!(
        "{} finding{}, {} warning{}: {} monitoring{} selecting {} endpoint picker{}\n",
        check.findings.len(),
        plural(check.findings.len()),
        check.warnings.len(),
        plural(check.warnings.len()),
        check.monitorings.len(),
        plural(check.monitorings.len()),
        check.pickers.len(),
        plural(check.pickers.len()),
    ));
    text
}

/// `finding` on one line, for people: without the objects involved (`also`, for machines:
/// each rule names them already), a newline in it escaped.
pub(crate) fn one_line(finding: &igw_monitoring::Finding) -> String {
    let alone = igw_monitoring::Finding {
        also: Vec::new(),
        ..finding.clone()
    };
    alone.to_string().replace('\n', "\\n")
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The dashboard of the plan's collector: Cloud Monitoring's for GMP, else Grafana's (in a
/// ConfigMap with `config_map`). What the other collector's dashboard takes is refused.
fn dashboard(plan: &Plan, cluster: Option<&str>, config_map: bool) -> Result<String, Failed> {
    let refused = |flag: &str, rule: &str| invalid(format!("invalid options:\n  {flag}: {rule}"));
    match plan.collector_kind() {
        Collector::Gmp if config_map => Err(refused(
            "--config-map",
            "is the Grafana dashboard's, for --collector prometheusOperator; GMP's is Cloud Monitoring's JSON",
        )),
        Collector::Gmp => plan.dashboard(cluster).map_err(cluster_error),
        Collector::PrometheusOperator if cluster.is_some() => Err(refused(
            "--cluster",
            "filters nothing in the Grafana dashboard: a Prometheus's own series carry no cluster label",
        )),
        Collector::PrometheusOperator if config_map => {
            let map = plan.grafana_config_map().map_err(failure)?;
            [Object::from(map)].to_yaml().map_err(failure)
        }
        Collector::PrometheusOperator => plan.grafana_dashboard().map_err(failure),
    }
}

/// What `verify` and `dashboard` fail with once the plan is made: only `--cluster` can be
/// invalid then.
fn cluster_error(error: Error) -> Failed {
    match error {
        Error::Invalid(problems) => invalid(format!("invalid options:\n{problems}")),
        other => failure(other),
    }
}

/// A folder the user pointed at wrongly is invalid input; a failing disk is a failure.
fn output_failure(e: output::OutputError) -> Failed {
    match e {
        output::OutputError::Foreign(..)
        | output::OutputError::NotAFolder(_)
        | output::OutputError::Unnamed(_) => invalid(e),
        // Another writer at work is a failure to retry, not the user's input.
        output::OutputError::Busy { .. } | output::OutputError::Io { .. } => failure(e),
    }
}

pub(crate) fn write_out(out: &mut dyn Write, text: &str) -> Result<(), Failed> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| failure(format!("writing the output: {e}")))
}

/// The options from the config file (if any) with the flags over them, resolved into a plan.
fn plan(args: &OptionArgs) -> Result<Plan, Failed> {
    Ok(read_plan(args)?.0)
}

/// [`plan`], and what reading `--from` manifests warned about.
fn read_plan(args: &OptionArgs) -> Result<(Plan, Vec<Warning>), Failed> {
    let (options, warnings) = resolve(args)?;
    let plan = Plan::try_from(options).map_err(|e| options_error(args, e))?;
    Ok((plan, warnings))
}

/// [`plan`], for the subcommands whose output scrapes: its warnings (the manifests' first) go
/// to `err` (exit 0 still).
fn scrape_plan(args: &OptionArgs, err: &mut dyn Write) -> Result<Plan, Failed> {
    let (plan, mut warnings) = read_plan(args)?;
    warnings.extend_from_slice(plan.warnings());
    print_warnings(err, "", &warnings);
    Ok(plan)
}

/// `warnings` on `err`, each after `about` (`cluster "a": ` in a fleet): the first
/// [`SHOWN_PROBLEMS`], then a count.
pub(crate) fn print_warnings(err: &mut dyn Write, about: &str, warnings: &[Warning]) {
    for warning in warnings.iter().take(SHOWN_PROBLEMS) {
        // A closed stderr must not stop the output the warning was only about.
        let _ = writeln!(err, "warning: {about}{}", printable(&warning.to_string()));
    }
    if warnings.len() > SHOWN_PROBLEMS {
        let _ = writeln!(
            err,
            "warning: {about}... and {} more ({} warnings in all)",
            warnings.len() - SHOWN_PROBLEMS,
            warnings.len()
        );
    }
}

/// The options from the config file (if any) with the flags over them, over what `--from`'s
/// manifests say (with their warnings), not yet validated.
fn resolve(args: &OptionArgs) -> Result<(Options, Vec<Warning>), Failed> {
    let (options, given) = configured(args)?;
    if args.from.is_empty() {
        return Ok((options, Vec::new()));
    }
    discover_from(&args.from, "--from", options, &given, |problems| {
        options_error(args, Error::Invalid(problems))
    })
}

/// The options from the config file (if any) with the flags over them, and which of them the
/// user gave (the file's keys, then the flags).
pub(crate) fn configured(args: &OptionArgs) -> Result<(Options, Given), Failed> {
    args.check().map_err(invalid)?;
    let (base, mut given) = match &args.config {
        Some(path) => config::load(path).map_err(invalid)?,
        None => (Options::default(), Given::new()),
    };
    given.extend(args.given());
    Ok((args.apply(base), given))
}

/// `options` over what the manifests at `paths` (given by `flag`) say, as `render --from`
/// makes them; a given option they contradict goes to `refused`.
fn discover_from(
    paths: &[std::path::PathBuf],
    flag: &str,
    options: Options,
    given: &Given,
    refused: impl FnOnce(Problems) -> Failed,
) -> Result<(Options, Vec<Warning>), Failed> {
    let index = read_manifests(paths, flag)?;
    let discovery = manifests::discover(&index, options.monitoring)
        .map_err(|problems| invalid(format!("invalid manifests:\n{problems}")))?;
    discovery.apply(options, given).map_err(refused)
}

/// The manifests of every path of `flag` (`--from`, `--against`) in one index.
fn read_manifests(paths: &[std::path::PathBuf], flag: &str) -> Result<Manifests, Failed> {
    let mut index = Manifests::new();
    for path in paths {
        let (source, text) = read_input(path, flag)?;
        index
            .read(&source, &text)
            .map_err(|problems| invalid(format!("invalid manifests:\n{problems}")))?;
    }
    Ok(index)
}

/// One input of `flag` (`-`: stdin), read up to [`manifests::MAX_MANIFEST_BYTES`].
pub(crate) fn read_input(path: &Path, flag: &str) -> Result<(String, String), Failed> {
    let source = path.display().to_string();
    let limit = manifests::MAX_MANIFEST_BYTES;
    // One byte past the limit tells an input over it from one at it.
    let read = if path == Path::new("-") {
        read_at_most(std::io::stdin().lock(), limit + 1)
    } else {
        std::fs::File::open(path).and_then(|file| read_at_most(file, limit + 1))
    };
    let bytes = read.map_err(|e| invalid(format!("{flag} {source}: cannot read: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(invalid(format!(
            "{flag} {source}: larger than {} MiB, the most an input may have",
            limit / (1024 * 1024)
        )));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| invalid(format!("{flag} {source}: is not UTF-8 text")))?;
    Ok((source, text))
}

/// What building or rendering from `args` failed with: invalid options (every problem, each
/// naming the flag it came from where it did) and values HCL cannot carry are the user's to
/// change; anything else is a failure.
pub(crate) fn options_error(args: &OptionArgs, error: Error) -> Failed {
    match error {
        Error::Invalid(problems) => {
            let mut message = String::from("invalid options:");
            // A huge fleet's problems would flood the terminal: the first ones and a count.
            for problem in problems.iter().take(SHOWN_PROBLEMS) {
                message.push_str(&format!("\n  {problem}"));
                let mut flags: Vec<&str> = Vec::new();
                for flag in problem.fields().filter_map(|f| args.flag_for(f)) {
                    // A rule that names its source already says it.
                    let said = problem.rule.contains(&format!("(given by {flag})"));
                    if !said && !flags.contains(&flag) {
                        flags.push(flag);
                    }
                }
                if !flags.is_empty() {
                    message.push_str(&format!(" [from {}]", flags.join(", ")));
                }
            }
            if problems.len() > SHOWN_PROBLEMS {
                message.push_str(&format!(
                    "\n  ... and {} more ({} problems in all)",
                    problems.len() - SHOWN_PROBLEMS,
                    problems.len()
                ));
            }
            invalid(message)
        }
        Error::NotHcl { .. } => invalid(error),
        other => failure(other),
    }
}

/// The JSON Schema of the fleet file.
pub fn fleet_schema_json() -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(&schemars::schema_for!(fleet_file::FleetFile))?;
    text.push('\n');
    Ok(text)
}

/// The JSON Schema of the config file.
pub fn schema_json() -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(&schemars::schema_for!(Options))?;
    text.push('\n');
    Ok(text)
}

/// The CRDs derived from the GMP types, as multi-document YAML with sorted keys.
pub fn crds_yaml() -> Result<String, String> {
    let crds = [
        ClusterPodMonitoring::crd(),
        PodMonitoring::crd(),
        Rules::crd(),
        ClusterRules::crd(),
        GlobalRules::crd(),
    ]
    .iter()
    .map(serde_json::to_value)
    .collect::<Result<Vec<_>, _>>()
    .map_err(|e| e.to_string())?;
    let yaml = serde_saphyr::to_string_multiple(&crds).map_err(|e| e.to_string())?;
    Ok(format!("{}\n{yaml}", igw_monitoring::emit::HEADER))
}
