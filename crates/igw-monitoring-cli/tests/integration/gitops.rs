//! `igw-monitoring fleet`: a fleet file in, one tree out, replaced whole; `--check` names what
//! differs; bad fleet files are refused with every problem and nothing written; a cluster's
//! `from:` manifests are read as `render --from` reads them, its given values kept.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::support::{TestResult, documents, igw, shared_dir, staging_leftovers};

const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/gitops-fleet.yaml"
);

fn fleet(config: &Path, out: &Path, extra: &[&str]) -> std::io::Result<crate::support::Run> {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "fleet".as_ref(),
        "--config".as_ref(),
        config.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    igw(args)
}

#[test]
fn a_tree_is_written_checked_and_a_removed_clusters_overlay_goes() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("monitoring");
    let run = fleet(Path::new(EXAMPLE), &out, &[])?;
    assert_eq!(run.code, Some(0), "{}", run.show());
    for folder in [
        "base",
        "components/autopilot",
        "clusters/prod-us-central1",
        "clusters/prod-europe-west4",
        "clusters/staging",
        "argocd",
    ] {
        assert!(out.join(folder).is_dir(), "{folder}");
    }
    let run = fleet(Path::new(EXAMPLE), &out, &["--check"])?;
    assert_eq!(run.code, Some(0), "{}", run.show());
    assert!(run.stdout.ends_with("up to date\n"), "{}", run.show());

    let overlay = out.join("clusters/staging/kustomization.yaml");
    fs::write(&overlay, fs::read_to_string(&overlay)? + "# edited\n")?;
    fs::create_dir_all(out.join("clusters/gone"))?;
    fs::copy(&overlay, out.join("clusters/gone/kustomization.yaml"))?;
    let run = fleet(Path::new(EXAMPLE), &out, &["--check"])?;
    assert_eq!(run.code, Some(1), "{}", run.show());
    assert!(
        run.stdout
            .contains("changed clusters/staging/kustomization.yaml\n"),
        "{}",
        run.show()
    );
    assert!(
        run.stdout
            .contains("extra   clusters/gone/kustomization.yaml\n"),
        "{}",
        run.show()
    );

    // Without staging, its overlay (and the leftover one) leave the tree.
    let text = fs::read_to_string(EXAMPLE)?;
    let start = text.find("  - name: staging").ok_or("no staging")?;
    let end = text.find("gitops:").ok_or("no gitops")?;
    let smaller = dir.path().join("smaller.yaml");
    fs::write(&smaller, format!("{}{}", &text[..start], &text[end..]))?;
    let run = fleet(&smaller, &out, &[])?;
    assert_eq!(run.code, Some(0), "{}", run.show());
    assert!(!out.join("clusters/staging").exists());
    assert!(!out.join("clusters/gone").exists());
    let set = fs::read_to_string(out.join("argocd/applicationset.yaml"))?;
    assert!(!set.contains("staging"), "{set}");
    assert!(staging_leftovers(dir.path())?.is_empty());
    Ok(())
}

#[test]
fn a_file_the_tool_did_not_write_stops_the_replacement() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("monitoring");
    assert_eq!(fleet(Path::new(EXAMPLE), &out, &[])?.code, Some(0));
    fs::write(out.join("clusters/staging/NOTES.md"), "mine\n")?;
    let run = fleet(Path::new(EXAMPLE), &out, &[])?;
    assert_eq!(run.code, Some(2), "{}", run.show());
    assert!(
        run.stderr.contains("(clusters/staging/NOTES.md)"),
        "{}",
        run.show()
    );
    assert!(out.join("clusters/staging/NOTES.md").exists());
    let run = fleet(Path::new(EXAMPLE), &out, &["--force"])?;
    assert_eq!(run.code, Some(0), "{}", run.show());
    assert!(!out.join("clusters/staging/NOTES.md").exists());
    Ok(())
}

#[test]
fn bad_fleet_files_are_refused_with_every_problem_and_nothing_written() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("monitoring");
    let file = dir.path().join("fleet.yaml");
    fs::write(
        &file,
        "clusters:\n- name: a\n  projct: p\n  location: l\n  namespce: x\ngitopps: {}\n",
    )?;
    let run = fleet(&file, &out, &[])?;
    assert_eq!(run.code, Some(2), "{}", run.show());
    for said in [
        "unknown key \"clusters[0].projct\" (did you mean \"project\"?)",
        "unknown key \"clusters[0].namespce\" (did you mean \"namespace\"?)",
        "unknown key \"gitopps\" (did you mean \"gitops\"?)",
    ] {
        assert!(run.stderr.contains(said), "{said}\n{}", run.show());
    }
    fs::write(
        &file,
        "defaults: {namespace: monitoring}\n\
         clusters:\n\
         - {name: prod, project: example-prod, location: us-central1, fleetRules: true}\n\
         - {name: prod, project: example-prod, location: us-east1}\n\
         - {name: Dev_1, project: x, location: us-east1, fleetRules: true, namespace: Bad}\n\
         gitops: {engine: flux}\n",
    )?;
    let run = fleet(&file, &out, &[])?;
    assert_eq!(run.code, Some(2), "{}", run.show());
    for field in [
        "clusters[1].name + clusters[0].name: \"prod\" names two clusters",
        "clusters[2].name: \"Dev_1\"",
        "clusters[2].project: \"x\"",
        "clusters[2].fleetRules + clusters[0].fleetRules: \"true\" one cluster carries",
        "clusters[2].namespace: \"Bad\" is not a valid namespace",
        "gitops.repository",
    ] {
        assert!(run.stderr.contains(field), "{field}\n{}", run.show());
    }
    assert!(!out.exists());

    // Manifests without a picker, and missing ones: each cluster named, in one run.
    fs::write(
        dir.path().join("empty.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    )?;
    fs::write(
        &file,
        "clusters:\n\
         - {name: a, project: example-prod, location: us-central1, from: [empty.yaml]}\n\
         - {name: b, project: example-prod, location: us-central1, from: [missing.yaml]}\n",
    )?;
    let run = fleet(&file, &out, &[])?;
    assert_eq!(run.code, Some(2), "{}", run.show());
    let empty = dir.path().join("empty.yaml");
    for said in [
        "cluster \"a\" (clusters[0].from): invalid manifests:".to_owned(),
        format!("{:?} hold no endpoint picker", empty.display().to_string()),
        "cluster \"b\" (clusters[1].from): from ".to_owned(),
    ] {
        assert!(run.stderr.contains(&said), "{said}\n{}", run.show());
    }
    assert!(!out.exists());
    Ok(())
}

/// What `render` warns about a cluster's options, `fleet` warns naming the cluster (exit 0).
#[test]
fn a_clusters_warnings_name_it() -> TestResult {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("fleet.yaml");
    fs::write(
        &file,
        "clusters:\n- {name: a, project: example-prod, location: us-central1, scheme: https}\n",
    )?;
    let run = fleet(&file, &dir.path().join("tree"), &[])?;
    assert_eq!(run.code, Some(0), "{}", run.show());
    assert!(
        run.stderr
            .starts_with("warning: cluster \"a\": scheme: https without a CA"),
        "{}",
        run.show()
    );
    Ok(())
}

#[test]
fn the_fleet_schema_describes_the_file() -> TestResult {
    let run = igw(["schema", "--fleet"])?;
    assert_eq!(run.code, Some(0), "{}", run.show());
    let schema: serde_json::Value = serde_json::from_str(&run.stdout)?;
    assert_eq!(schema["required"], serde_json::json!(["clusters"]));
    let cluster = &schema["$defs"]["ClusterEntry"];
    assert_eq!(cluster["additionalProperties"], false);
    for key in [
        "name",
        "project",
        "fleetRules",
        "from",
        "namespace",
        "targets",
    ] {
        assert!(cluster["properties"].get(key).is_some(), "{key}");
    }
    Ok(())
}

fn kustomize(dir: &Path) -> Result<String, Box<dyn std::error::Error>> {
    let output = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .env("KUBECONFIG", "/dev/null")
        .output()?;
    assert!(output.status.success(), "{:?}", output);
    Ok(String::from_utf8(output.stdout)?)
}

fn sorted(yaml: &str) -> Result<Vec<String>, serde_yaml::Error> {
    let mut all: Vec<String> = documents(yaml)?
        .iter()
        .map(|d| serde_json::to_string(d).unwrap_or_default())
        .collect();
    all.sort();
    Ok(all)
}

/// A cluster's `from:` manifests (relative to the fleet file) give its overlay exactly what
/// `render --from` gives; a value the cluster gives that they contradict is refused naming
/// the fleet file's key.
#[test]
#[ignore = "needs ../shared and kubectl"]
fn from_manifests_give_what_render_from_gives() -> TestResult {
    let dir = tempfile::tempdir()?;
    let manifests = shared_dir().join("reference/epp/gie-v1.5.0-inferencepool-chart-gke.yaml");
    fs::copy(&manifests, dir.path().join("epp.yaml"))?;
    let file = dir.path().join("fleet.yaml");
    fs::write(
        &file,
        "defaults: {namespace: monitoring}\n\
         clusters:\n\
         - {name: a, project: example-prod, location: us-central1, from: [epp.yaml]}\n\
         - {name: b, project: example-prod, location: us-east1, flavor: autopilot, from: [epp.yaml]}\n",
    )?;
    let out = dir.path().join("tree");
    let run = fleet(&file, &out, &[])?;
    assert_eq!(run.code, Some(0), "{}", run.show());
    for (cluster, extra) in [("a", None), ("b", Some("--autopilot"))] {
        let mut args = vec!["render", "--namespace", "monitoring", "--from"];
        let path = manifests.to_string_lossy().into_owned();
        args.push(&path);
        args.extend(extra);
        let render = igw(args)?;
        assert_eq!(render.code, Some(0), "{}", render.show());
        let mut built = sorted(&kustomize(&out.join("clusters").join(cluster))?)?;
        // The first cluster carries the fleet-wide rules, beside its bundle.
        let global = built
            .iter()
            .position(|o| o.contains("\"kind\":\"GlobalRules\""));
        assert_eq!(global.is_some(), cluster == "a", "{cluster}");
        if let Some(at) = global {
            built.remove(at);
        }
        assert_eq!(built, sorted(&render.stdout)?, "{cluster}");
    }
    fs::write(
        &file,
        "clusters:\n\
         - {name: a, project: example-prod, location: us-central1, from: [epp.yaml], scheme: https}\n",
    )?;
    let run = fleet(&file, &out, &[])?;
    assert_eq!(run.code, Some(2), "{}", run.show());
    assert!(run.stderr.contains("clusters[0].scheme"), "{}", run.show());
    Ok(())
}

/// A fleet's tree under signals, as a base's (writes.rs): killed at any step of replacing the
/// tree (the debug build's hook, `IGW_MONITORING_TEST_SIGNAL_AT=SIGNAL:STEP`), the folder
/// holds the whole old tree or the whole new one (each judged by `fleet --check`), and the
/// next write finishes it.
#[test]
fn a_kill_at_any_step_leaves_the_whole_old_tree_or_the_whole_new_one() -> TestResult {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir()?;
    let text = fs::read_to_string(EXAMPLE)?;
    let start = text.find("  - name: staging").ok_or("no staging")?;
    let end = text.find("gitops:").ok_or("no gitops")?;
    let new = dir.path().join("new.yaml");
    fs::write(&new, format!("{}{}", &text[..start], &text[end..]))?;
    let old = Path::new(EXAMPLE);
    let holds = |config: &Path, out: &Path| -> TestResult<bool> {
        Ok(fleet(config, out, &["--check"])?.code == Some(0))
    };
    for (signal, number) in [("TERM", 15), ("KILL", 9)] {
        for step in 1.. {
            let root = tempfile::tempdir()?;
            let out = root.path().join("tree");
            assert_eq!(fleet(old, &out, &[])?.code, Some(0));
            let killed = Command::new(env!("CARGO_BIN_EXE_igw-monitoring"))
                .args(["fleet", "--config"])
                .arg(&new)
                .arg("--out")
                .arg(&out)
                .env("IGW_MONITORING_TEST_SIGNAL_AT", format!("{signal}:{step}"))
                .output()?;
            if killed.status.success() {
                assert!(holds(&new, &out)?);
                // The lock, the staging folder, every file, the swap, the cleanup.
                assert!(step > 20, "only {step} steps");
                break;
            }
            assert_eq!(killed.status.signal(), Some(number), "{signal} at {step}");
            assert!(
                holds(old, &out)? || holds(&new, &out)?,
                "{signal} at step {step}: neither tree is whole"
            );
            if signal == "TERM" {
                assert!(
                    staging_leftovers(root.path())?.is_empty(),
                    "{signal} at {step}"
                );
            }
            assert_eq!(fleet(&new, &out, &[])?.code, Some(0));
            assert!(holds(&new, &out)?);
            assert!(staging_leftovers(root.path())?.is_empty());
        }
    }
    Ok(())
}

/// The README's fleet section, as written: its YAML is the example file (comments left out),
/// and for each engine of its table, its commands run on the example with that engine, every
/// file the table says is written or applied exists for every cluster, and the overlay the
/// commands build is that cluster's `render`.
#[test]
#[ignore = "needs kubectl"]
fn the_readme_fleet_quick_start_works_for_every_engine() -> TestResult {
    let readme = include_str!("../../../../README.md");
    let section = readme
        .split("## Many clusters: a fleet through GitOps")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .ok_or("the README's fleet section")?;
    let block = |fence: &str| -> TestResult<&str> {
        let start = section.find(fence).ok_or(fence.to_owned())? + fence.len();
        let len = section[start..].find("```\n").ok_or("an unclosed block")?;
        Ok(&section[start..start + len])
    };
    let shown = block("```yaml\n# examples/gitops-fleet.yaml, without its comments\n")?;
    let example = fs::read_to_string(EXAMPLE)?;
    let uncommented: String = example
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(shown, uncommented, "the README's YAML is not the example");
    let commands: Vec<Vec<&str>> = block("```sh\n")?
        .lines()
        .map(|l| {
            l.split('#')
                .next()
                .unwrap_or_default()
                .split_whitespace()
                .collect()
        })
        .collect();
    let clusters = ["prod-us-central1", "prod-europe-west4", "staging"];

    let rows: Vec<&str> = section.lines().filter(|l| l.starts_with("| `")).collect();
    assert_eq!(rows.len(), 4, "one table row per engine");
    for row in rows {
        let engine = row[3..].split('`').next().ok_or("a row's engine")?;
        let dir = tempfile::tempdir()?;
        fs::create_dir(dir.path().join("examples"))?;
        fs::write(
            dir.path().join("examples/gitops-fleet.yaml"),
            example.replace("  engine: argocd\n", &format!("  engine: {engine}\n")),
        )?;
        let mut built = None;
        for words in &commands {
            let (env, argv): (Vec<&str>, Vec<&str>) = words.iter().partition(|w| w.contains('='));
            let (program, args) = argv.split_first().ok_or("an empty command")?;
            let program = match *program {
                "igw-monitoring" => env!("CARGO_BIN_EXE_igw-monitoring"),
                other => other,
            };
            let mut command = Command::new(program);
            command.args(args).current_dir(dir.path());
            for pair in env {
                let (key, value) = pair.split_once('=').ok_or("an assignment")?;
                command.env(key, value);
            }
            let output = command.output()?;
            assert!(output.status.success(), "{engine}: {words:?}: {output:?}");
            if args.first() == Some(&"kustomize") {
                built = Some((args[1].to_owned(), String::from_utf8(output.stdout)?));
            }
        }
        // Every `monitoring/…` or tree-relative `…/….yaml` path the row names.
        let named: Vec<String> = row
            .split('`')
            .skip(3)
            .step_by(2)
            .flat_map(|code| code.split_whitespace())
            .filter(|w| w.ends_with(".yaml"))
            .map(|w| w.strip_prefix("monitoring/").unwrap_or(w).to_owned())
            .collect();
        assert_eq!(named.is_empty(), engine == "none", "{engine}: {row}");
        for path in named {
            for cluster in clusters {
                let file = dir
                    .path()
                    .join("monitoring")
                    .join(path.replace("NAME", cluster));
                assert!(
                    file.is_file(),
                    "{engine}: {} is not written",
                    file.display()
                );
            }
        }
        let (overlay, objects) = built.ok_or("the README builds no overlay")?;
        let cluster = overlay.rsplit('/').next().ok_or("an overlay path")?;
        assert_ne!(
            cluster, clusters[0],
            "the rules cluster's overlay has the GlobalRules too"
        );
        let render = render_of_example_cluster(&example, cluster, dir.path())?;
        assert_eq!(sorted(&objects)?, sorted(&render)?, "{engine}: {overlay}");
    }
    Ok(())
}

/// `render` of one cluster of the example fleet: its `defaults` under its own keys, as a
/// config file.
fn render_of_example_cluster(example: &str, name: &str, dir: &Path) -> TestResult<String> {
    let fleet: serde_yaml::Mapping = serde_yaml::from_str(example)?;
    let mut config = fleet
        .get("defaults")
        .and_then(|d| d.as_mapping())
        .cloned()
        .unwrap_or_default();
    let clusters = fleet
        .get("clusters")
        .and_then(|c| c.as_sequence())
        .ok_or("clusters")?;
    let cluster = clusters
        .iter()
        .filter_map(|c| c.as_mapping())
        .find(|c| c.get("name").and_then(|n| n.as_str()) == Some(name))
        .ok_or("the cluster")?;
    let mut autopilot = false;
    for (key, value) in cluster {
        match key.as_str() {
            Some("name" | "project" | "location" | "fleetRules") => {}
            Some("flavor") => autopilot = value.as_str() == Some("autopilot"),
            _ => {
                config.insert(key.clone(), value.clone());
            }
        }
    }
    let file = dir.join(format!("{name}.yaml"));
    fs::write(&file, serde_yaml::to_string(&config)?)?;
    let path = file.to_string_lossy().into_owned();
    let mut args = vec!["render", "--config", &path];
    if autopilot {
        args.push("--autopilot");
    }
    let run = igw(args)?;
    assert_eq!(run.code, Some(0), "{}", run.show());
    Ok(run.stdout)
}
