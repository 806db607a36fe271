//! What every test of the command shares: running the binary, reading what it prints, and
//! where `../shared` is.

use std::collections::BTreeSet;
use std::error::Error;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use serde_yaml::Value;

/// A test's result: any error fails it, with its message as the report.
pub(crate) type TestResult<T = ()> = Result<T, Box<dyn Error>>;

/// One finished run of the binary.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// Everything about the run, for assertion messages.
    pub(crate) fn show(&self) -> String {
        format!(
            "exit code {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `igw-monitoring` with `args` in `cwd` (or the test's own working directory).
pub(crate) fn igw_in<I, S>(cwd: Option<&Path>, args: I) -> std::io::Result<Run>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new(env!("CARGO_BIN_EXE_igw-monitoring"));
    command.args(args);
    if let Some(dir) = cwd {
        command.current_dir(dir);
    }
    let output = command.output()?;
    Ok(Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

/// Runs `igw-monitoring` with `args` in `cwd`, `stdin` written to its standard input.
pub(crate) fn igw_with_stdin(cwd: &Path, args: &[&str], stdin: &str) -> TestResult<Run> {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_igw-monitoring"))
        .args(args)
        .current_dir(cwd)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    // Dropped at once, so the command sees the input end.
    child
        .stdin
        .take()
        .ok_or("no stdin")?
        .write_all(stdin.as_bytes())?;
    let output = child.wait_with_output()?;
    Ok(Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

/// Runs `igw-monitoring` with `args`.
pub(crate) fn igw<I, S>(args: I) -> std::io::Result<Run>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    igw_in(None, args)
}

/// The documents of a YAML stream, empty ones left out.
pub(crate) fn documents(text: &str) -> Result<Vec<Value>, serde_yaml::Error> {
    let mut values = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        let value = Value::deserialize(document)?;
        if !value.is_null() {
            values.push(value);
        }
    }
    Ok(values)
}

/// The documents of `kind` named `name`, wherever they are in the stream.
pub(crate) fn named<'d>(docs: &'d [Value], kind: &str, name: &str) -> Vec<&'d Value> {
    docs.iter()
        .filter(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .collect()
}

/// The file names in `dir`, sorted.
pub(crate) fn names_in(dir: &Path) -> std::io::Result<BTreeSet<String>> {
    fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect()
}

/// Entries of `parent` that look like the writer's staging or parking folders.
pub(crate) fn staging_leftovers(parent: &Path) -> std::io::Result<Vec<String>> {
    Ok(names_in(parent)?
        .into_iter()
        .filter(|name| name.starts_with(".igw-monitoring-"))
        .collect())
}

/// `../shared`, beside the repository: the reference manifests and the validators.
pub(crate) fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}
