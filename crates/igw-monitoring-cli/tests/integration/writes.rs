//! Writing a Kustomize base under signals, concurrency and links: at every moment the output
//! path holds a whole base (the old one or the new one), a clean signal leaves no staging
//! folder, writers take turns, and a linked `--out` is updated where it points.
//!
//! The kills use the debug build's test hook: `IGW_MONITORING_TEST_SIGNAL_AT=SIGNAL:STEP` makes
//! the writer raise SIGNAL at its STEPth step (lock taken, staging folder made, each file
//! written, the swap, the cleanup) and wait for it, as a signal from outside would land there.

use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output};

use igw_monitoring::Options;

use crate::cli::assert_base;
use crate::support::{TestResult, igw, igw_in, staging_leftovers};

/// The hook's variable (see the module docs).
const SIGNAL_AT: &str = "IGW_MONITORING_TEST_SIGNAL_AT";

/// Makes the debug build act as on a file system without an atomic exchange.
const NO_EXCHANGE: &str = "IGW_MONITORING_TEST_NO_EXCHANGE";

/// The signals a write is killed with, by the hook's name and number (Linux numbering).
const SIGNALS: [(&str, i32); 4] = [("KILL", 9), ("TERM", 15), ("INT", 2), ("HUP", 1)];

/// The old base and the new one: different object files, so a mixture of the two shows.
fn old_and_new() -> [(Vec<&'static str>, Options); 2] {
    let new = Options {
        flavor: igw_monitoring::ClusterFlavor::Autopilot,
        ..Options::default()
    };
    [(vec![], Options::default()), (vec!["--autopilot"], new)]
}

/// Runs `kustomize --out out` with `flags` and extra environment variables.
fn write(out: &Path, flags: &[&str], env: &[(&str, String)]) -> std::io::Result<Output> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_igw-monitoring"));
    command.arg("kustomize").arg("--out").arg(out).args(flags);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output()
}

/// Which of `bases` the folder `dir` holds whole, if any.
fn whole_base(dir: &Path, bases: &[&Options]) -> Option<usize> {
    bases
        .iter()
        .position(|options| assert_base(dir, options).is_ok())
}

/// Kills a write at each of its steps with `signal`, over an existing base (`over_old`) or none,
/// and checks what each kill leaves. Returns how many steps the write has.
fn kill_at_every_step(signal: (&str, i32), over_old: bool, exchange: bool) -> TestResult<usize> {
    let [(_, old), (new_flags, new)] = old_and_new();
    for step in 1.. {
        let root = tempfile::tempdir()?;
        let out = root.path().join("base");
        if over_old {
            let first = write(&out, &[], &[])?;
            assert!(first.status.success(), "{first:?}");
        }
        let mut env = vec![(SIGNAL_AT, format!("{}:{step}", signal.0))];
        if !exchange {
            env.push((NO_EXCHANGE, "1".to_owned()));
        }
        let killed = write(&out, &new_flags, &env)?;
        let case = format!(
            "{} at step {step}, over_old {over_old}, exchange {exchange}",
            signal.0
        );
        if killed.status.success() {
            // Past the last step: the write finished untouched.
            assert_base(&out, &new)?;
            assert_eq!(
                staging_leftovers(root.path())?,
                Vec::<String>::new(),
                "{case}"
            );
            return Ok(step - 1);
        }
        assert_eq!(killed.status.signal(), Some(signal.1), "{case}: {killed:?}");
        // The path holds a whole base, old or new, or (before any base existed) nothing yet.
        let held = whole_base(&out, &[&old, &new]);
        let nothing = !over_old && !out.exists();
        assert!(
            held.is_some() || nothing,
            "{case}: the path holds no whole base: {:?}",
            fs::read_dir(&out).map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
        );
        if over_old {
            assert!(held.is_some(), "{case}: the old base is gone");
        }
        let leftovers = staging_leftovers(root.path())?;
        if signal.0 != "KILL" {
            assert_eq!(
                leftovers,
                Vec::<String>::new(),
                "{case}: staging left behind"
            );
        }
        // The next write (SIGKILL cannot be cleaned up after) removes what a killed one left.
        let next = write(&out, &new_flags, &[])?;
        assert!(next.status.success(), "{case}: {next:?}");
        assert_base(&out, &new)?;
        assert_eq!(
            staging_leftovers(root.path())?,
            Vec::<String>::new(),
            "{case}: after the next write"
        );
    }
    unreachable!("the loop returns")
}

#[test]
fn a_kill_at_any_step_leaves_a_whole_base_and_a_clean_signal_no_staging() -> TestResult {
    for signal in SIGNALS {
        for over_old in [true, false] {
            let steps = kill_at_every_step(signal, over_old, true)?;
            // The lock, the staging folder, ten files, the swap, the cleanup.
            assert!(steps >= 14, "{signal:?}: only {steps} steps were reached");
        }
    }
    Ok(())
}

/// Where the file system cannot exchange two folders, two renames do it under the signal lock:
/// a clean signal still cannot land between them.
#[test]
fn without_the_atomic_exchange_a_signal_still_leaves_a_whole_base() -> TestResult {
    for signal in SIGNALS {
        let steps = kill_at_every_step(signal, true, false)?;
        assert!(steps >= 14, "{signal:?}: only {steps} steps were reached");
    }
    Ok(())
}

/// Twelve writers at once into one folder, with two option sets, five times over: each
/// finishes (they take turns), none mistakes another's files for foreign ones or finds the
/// folder gone, and the folder ends whole.
#[test]
fn concurrent_writers_take_turns() -> TestResult {
    let [(old_flags, old), (new_flags, new)] = old_and_new();
    let root = tempfile::tempdir()?;
    let out = root.path().join("base");
    for round in 0..5 {
        let writers: Vec<_> = (0..12)
            .map(|i| {
                let flags = if i % 2 == 0 { &old_flags } else { &new_flags };
                Command::new(env!("CARGO_BIN_EXE_igw-monitoring"))
                    .arg("kustomize")
                    .arg("--out")
                    .arg(&out)
                    .args(flags)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
            })
            .collect::<Result<_, _>>()?;
        for writer in writers {
            let done = writer.wait_with_output()?;
            let stderr = String::from_utf8_lossy(&done.stderr);
            assert!(
                done.status.success(),
                "round {round}: {:?}: {stderr}",
                done.status
            );
        }
        assert!(
            whole_base(&out, &[&old, &new]).is_some(),
            "round {round}: not a whole base"
        );
        assert_eq!(
            staging_leftovers(root.path())?,
            Vec::<String>::new(),
            "round {round}"
        );
    }
    Ok(())
}

/// A writer that cannot take its turn within the wait says so and exits 1, writing nothing.
#[test]
fn a_writer_kept_waiting_exits_1_and_writes_nothing() -> TestResult {
    let root = tempfile::tempdir()?;
    let out = root.path().join("base");
    let first = write(&out, &[], &[])?;
    assert!(first.status.success(), "{first:?}");
    // The lock another writer would hold.
    let held = fs::File::open(root.path())?;
    held.lock()?;
    let blocked = write(&out, &["--autopilot"], &[])?;
    let stderr = String::from_utf8_lossy(&blocked.stderr);
    assert_eq!(blocked.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("another igw-monitoring"), "{stderr}");
    assert_base(&out, &Options::default())?;
    assert_eq!(staging_leftovers(root.path())?, Vec::<String>::new());
    held.unlock()?;
    let after = write(&out, &["--autopilot"], &[])?;
    assert!(after.status.success(), "{after:?}");
    Ok(())
}

/// A linked `--out` is replaced where it points, the link kept; a dangling link gets its folder.
#[test]
fn a_linked_out_is_updated_where_it_points() -> TestResult {
    let [(_, old), (new_flags, new)] = old_and_new();
    let root = tempfile::tempdir()?;
    let real = root.path().join("real");
    let link = root.path().join("out");
    let first = write(&real, &[], &[])?;
    assert!(first.status.success(), "{first:?}");
    std::os::unix::fs::symlink("real", &link)?;
    let through = write(&link, &new_flags, &[])?;
    assert!(through.status.success(), "{through:?}");
    assert!(
        fs::symlink_metadata(&link)?.file_type().is_symlink(),
        "the link was replaced"
    );
    assert_base(&real, &new)?;
    let check = igw([
        "kustomize".as_ref(),
        "--out".as_ref(),
        link.as_os_str(),
        "--check".as_ref(),
        "--autopilot".as_ref(),
    ])?;
    assert_eq!(check.code, Some(0), "{}", check.show());

    let dangling = root.path().join("later");
    std::os::unix::fs::symlink("made-later", &dangling)?;
    let created = write(&dangling, &[], &[])?;
    assert!(created.status.success(), "{created:?}");
    assert!(fs::symlink_metadata(&dangling)?.file_type().is_symlink());
    assert_base(&root.path().join("made-later"), &old)?;
    assert_eq!(staging_leftovers(root.path())?, Vec::<String>::new());
    Ok(())
}

/// `--out .` (or `/`) names no folder that a swap could replace: refused as input.
#[test]
fn an_out_without_a_folder_name_is_refused() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = igw_in(Some(root.path()), ["kustomize", "--out", "."])?;
    assert_eq!(run.code, Some(2), "{}", run.show());
    assert!(run.stderr.contains("names no folder"), "{}", run.show());
    assert_eq!(fs::read_dir(root.path())?.count(), 0);
    Ok(())
}
