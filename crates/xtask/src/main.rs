//! `cargo xtask codegen [--check]`: writes the generated artifacts kept in the repository (the
//! example Kustomize bases, the config file's JSON Schema, the derived CRDs) with the same code
//! the command uses; `--check` writes nothing and fails when any of them is stale.

use igw_monitoring::Objects;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use igw_monitoring::kustomize::GeneratedFile;
use igw_monitoring::{ClusterFlavor, Options};
use igw_monitoring_cli::output;
use igw_monitoring_cli::run::{crds_yaml, fleet_schema_json, schema_json};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let check = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["codegen"] => false,
        ["codegen", "--check"] => true,
        _ => {
            eprintln!("usage: cargo xtask codegen [--check]");
            return ExitCode::from(2);
        }
    };
    match codegen(&root(), check) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("generated files are stale: run `cargo xtask codegen` and commit the result");
            ExitCode::FAILURE
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (this crate lives in `crates/xtask`).
fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.ancestors().nth(2).unwrap_or(manifest).to_owned()
}

/// Writes (or, with `check`, compares) every generated artifact; `Ok(false)` when stale.
fn codegen(root: &Path, check: bool) -> Result<bool, String> {
    let examples = root.join("examples");
    let mut up_to_date = true;
    for (name, flavor) in [
        ("standard", ClusterFlavor::Standard),
        ("autopilot", ClusterFlavor::Autopilot),
    ] {
        let options = Options {
            flavor,
            ..Options::default()
        };
        let bundle = options.build().map_err(|e| e.to_string())?;
        let files = bundle.kustomize_base().map_err(|e| e.to_string())?;
        let dir = examples.join("kustomize").join(name);
        up_to_date &= sync_dir(&dir, &files, check)?;
    }
    let schema = schema_json().map_err(|e| e.to_string())?;
    let fleet_schema = fleet_schema_json().map_err(|e| e.to_string())?;
    let crds = crds_yaml()?;
    for (file, contents) in [
        ("config.schema.json", schema),
        ("fleet.schema.json", fleet_schema),
        ("crds.yaml", crds),
    ] {
        let files = [GeneratedFile {
            name: file.to_owned(),
            contents,
        }];
        up_to_date &= sync_file(&examples, &files, check)?;
    }
    Ok(up_to_date)
}

fn sync_dir(dir: &Path, files: &[GeneratedFile], check: bool) -> Result<bool, String> {
    let drift = output::check(dir, files).map_err(|e| e.to_string())?;
    report(dir, &drift, check);
    if !check && !drift.is_empty() {
        output::write(dir, files, false).map_err(|e| e.to_string())?;
    }
    Ok(!check || drift.is_empty())
}

/// Single files beside others the generator does not own: compared and written one by one.
fn sync_file(dir: &Path, files: &[GeneratedFile], check: bool) -> Result<bool, String> {
    let mut drift = output::check(dir, files).map_err(|e| e.to_string())?;
    drift.extra.clear();
    report(dir, &drift, check);
    if !check {
        for file in files {
            let path = dir.join(&file.name);
            std::fs::write(&path, &file.contents)
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(!check || drift.is_empty())
}

fn report(dir: &Path, drift: &output::Drift, check: bool) {
    if !drift.is_empty() {
        let verb = if check { "stale" } else { "regenerated" };
        eprint!("{}: {verb}\n{}", dir.display(), drift.summary());
    }
}

#[cfg(test)]
mod tests {
    use super::{codegen, root};

    /// CI checks the generated files here, inside the one workspace test build: `cargo xtask`
    /// resolves features for this package alone, which rebuilds about a hundred crates.
    #[test]
    fn generated_files_in_the_repository_are_current() {
        assert_eq!(
            codegen(&root(), true),
            Ok(true),
            "run `cargo xtask codegen` and commit the result"
        );
    }
}
