//! Writing generated folders all-or-nothing, and comparing them with what would be written.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use igw_monitoring::kustomize::{self, GeneratedFile};

use crate::bounded::read_at_most;

/// What can go wrong writing or checking a folder.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The folder holds files this tool did not generate, and `--force` was not given.
    #[error(
        "--out {0:?}: the folder holds files igw-monitoring did not generate ({1}); pass --force to replace the folder with all it holds"
    )]
    Foreign(PathBuf, String),
    /// The path exists and is not a folder.
    #[error("--out {0:?}: exists and is not a folder")]
    NotAFolder(PathBuf),
    /// `--out` names no folder that could be replaced (`.`, `/`).
    #[error("--out {0:?}: names no folder to replace; give a path such as ./base")]
    Unnamed(PathBuf),
    /// Another igw-monitoring kept writing beside the folder for all of [`LOCK_WAIT`].
    #[error(
        "--out {path:?}: another igw-monitoring has been writing in {parent:?} for {}s (it holds the lock on that folder); nothing was written: run again when it is done",
        LOCK_WAIT.as_secs()
    )]
    Busy {
        /// The output folder.
        path: PathBuf,
        /// The folder whose lock is held.
        parent: PathBuf,
    },
    /// Reading or writing failed.
    #[error("{path:?}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_owned(),
        source,
    }
}

/// How a folder differs from what would be written; empty when up to date.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Drift {
    /// Files that would be written but are missing.
    pub missing: Vec<String>,
    /// Files whose contents differ.
    pub changed: Vec<String>,
    /// Files present that would not be written (and would be removed).
    pub extra: Vec<String>,
}

impl Drift {
    /// Whether the folder is exactly what would be written.
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.changed.is_empty() && self.extra.is_empty()
    }

    /// One line per differing file (`missing`, `changed`, `extra`), then a count.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for (what, files) in [
            ("missing", &self.missing),
            ("changed", &self.changed),
            ("extra  ", &self.extra),
        ] {
            for file in files {
                out.push_str(&format!("{what} {file}\n"));
            }
        }
        out.push_str(&format!(
            "{} missing, {} changed, {} extra\n",
            self.missing.len(),
            self.changed.len(),
            self.extra.len()
        ));
        out
    }
}

/// Compares `dir` (which may not exist) with `files`, waiting for a writer at work beside it.
pub fn check(dir: &Path, files: &[GeneratedFile]) -> Result<Drift, OutputError> {
    let dir = &follow_links(dir)?;
    let (parent, _) = parent_and_name(dir)?;
    // Nothing to read, so nothing to wait for, where the parent does not exist.
    let _lock = match is_folder(&parent) {
        Ok(true) => Some(FolderLock::take(dir, &parent, Access::Read)?),
        _ => None,
    };
    let present = list(dir, nested(files))?;
    let mut drift = Drift::default();
    for file in files {
        if !present.contains(&file.name) {
            drift.missing.push(file.name.clone());
        } else if !same_contents(&dir.join(&file.name), file.contents.as_bytes())? {
            drift.changed.push(file.name.clone());
        }
    }
    let wanted: BTreeSet<&str> = files.iter().map(|f| f.name.as_str()).collect();
    drift.extra = present
        .into_iter()
        .filter(|name| !wanted.contains(name.as_str()))
        .collect();
    Ok(drift)
}

/// How long a writer waits for another writer in the same folder to finish, and a `--check` for
/// a writer, before giving up with [`OutputError::Busy`].
pub const LOCK_WAIT: Duration = Duration::from_secs(5);

/// Replaces `dir` with exactly `files`, all or nothing: they are written into a staging folder
/// beside it, which then takes its place in one atomic exchange, so at every moment `dir` holds
/// the whole old base or the whole new one.
///
/// A linked `dir` is followed: the folder the link names is replaced, the link stays. Writers in
/// one parent folder take turns (a lock on the parent, waited for up to [`LOCK_WAIT`]); the one
/// holding it removes staging folders a killed writer left. A Ctrl-C, SIGTERM or SIGHUP ends the
/// process only once the staging folder is gone (see [`clean_up_on_signals`]).
pub fn write(dir: &Path, files: &[GeneratedFile], force: bool) -> Result<(), OutputError> {
    let dir = &follow_links(dir)?;
    let (parent, name) = parent_and_name(dir)?;
    fs::create_dir_all(&parent).map_err(io_error(&parent))?;
    let lock = FolderLock::take(dir, &parent, Access::Write)?;
    checkpoint();
    if lock.is_held() {
        remove_stale_staging(&parent, name)?;
    }
    // Even --force replaces only folders.
    let exists = is_folder(dir)?;
    if !force {
        let foreign = foreign_files(dir, nested(files))?;
        if !foreign.is_empty() {
            return Err(OutputError::Foreign(dir.to_owned(), foreign.join(", ")));
        }
    }
    let staging = Staging::create(&parent, name)?;
    checkpoint();
    staging.folders(files)?;
    for file in files {
        staging.write(file)?;
        checkpoint();
    }
    staging.swap_into(dir, exists)?;
    checkpoint();
    // The staging path now holds the old folder (or nothing): dropping the guard removes it.
    drop(staging);
    checkpoint();
    Ok(())
}

/// `dir`, or where the link at `dir` leads (through links to links), so that a linked output is
/// updated where it lives; a dangling link leads to the folder to create.
fn follow_links(dir: &Path) -> Result<PathBuf, OutputError> {
    // The operating system's own bound on a chain of links (ELOOP).
    const MAX_LINKS: usize = 40;
    let mut path = dir.to_owned();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&path).map_err(io_error(&path))?;
                path = parent_and_name(&path)?.0.join(target);
            }
            _ => return Ok(path),
        }
    }
    Err(OutputError::Io {
        path: dir.to_owned(),
        source: io::Error::other(format!("more than {MAX_LINKS} links in a chain")),
    })
}

/// The folder that holds `dir` and `dir`'s own name; `--out .` or `/` names none to replace.
fn parent_and_name(dir: &Path) -> Result<(PathBuf, &str), OutputError> {
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| OutputError::Unnamed(dir.to_owned()))?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name))
}

/// The prefix of the staging folders for the output folder `name` (dot-named, so hidden).
fn staging_prefix(name: &str) -> String {
    format!(".igw-monitoring-{name}.")
}

/// Removes the staging folders of `name` a killed writer left in `parent`; only called by the
/// holder of the parent's lock, so none of them belongs to a live writer.
fn remove_stale_staging(parent: &Path, name: &str) -> Result<(), OutputError> {
    let prefix = staging_prefix(name);
    for entry in fs::read_dir(parent).map_err(io_error(parent))? {
        let entry = entry.map_err(io_error(parent))?;
        let stale = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(&prefix))
            && entry.file_type().is_ok_and(|t| t.is_dir());
        if stale {
            let path = entry.path();
            fs::remove_dir_all(&path).map_err(io_error(&path))?;
        }
    }
    Ok(())
}

/// Folders a signal must remove before the process ends: a staging folder being filled, or the
/// old folder it was exchanged with. Every change to them is made holding this lock, so the
/// signal handler, once it holds it, finds them whole and no writer step can follow.
static DOOMED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn doomed() -> MutexGuard<'static, Vec<PathBuf>> {
    // A panic elsewhere leaves the list as it was; it is still the list to clean.
    DOOMED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Makes a Ctrl-C, SIGTERM or SIGHUP remove the writer's staging folder (and a swapped-out old
/// folder) before the process ends as the signal's default action would end it. Idempotent;
/// without a writer at work the signal ends the process as it always did.
pub fn clean_up_on_signals() -> Result<(), OutputError> {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        static STARTED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
        let started = STARTED.get_or_init(|| {
            let mut signals = signal_hook::iterator::Signals::new([SIGHUP, SIGINT, SIGTERM])
                .map_err(|e| e.to_string())?;
            std::thread::Builder::new()
                .name("signals".to_owned())
                .spawn(move || {
                    if let Some(signal) = signals.forever().next() {
                        // Held until the process ends: no writer step runs after the cleanup.
                        let mut doomed = doomed();
                        for path in doomed.drain(..) {
                            let _ = fs::remove_dir_all(path);
                        }
                        let _ = signal_hook::low_level::emulate_default_handler(signal);
                        std::process::exit(128 + signal);
                    }
                })
                .map(drop)
                .map_err(|e| e.to_string())
        });
        started.clone().map_err(|message| OutputError::Io {
            path: PathBuf::from("(signal handler)"),
            source: io::Error::other(message),
        })?;
    }
    Ok(())
}

/// A staging folder beside the output, removed (with whatever it holds then) when dropped.
struct Staging {
    path: PathBuf,
    /// Where the old folder is parked when the file system cannot exchange two folders.
    parked: PathBuf,
}

impl Staging {
    fn create(parent: &Path, name: &str) -> Result<Self, OutputError> {
        let mut doomed = doomed();
        let path = tempfile::Builder::new()
            .prefix(&staging_prefix(name))
            .tempdir_in(parent)
            .map_err(io_error(parent))?
            .keep();
        let mut parked = path.clone().into_os_string();
        parked.push(".old");
        let parked = PathBuf::from(parked);
        doomed.push(path.clone());
        doomed.push(parked.clone());
        Ok(Self { path, parked })
    }

    /// Makes the folders `files` are in (a tree's), each once.
    fn folders(&self, files: &[GeneratedFile]) -> Result<(), OutputError> {
        let folders: BTreeSet<&str> = files
            .iter()
            .filter_map(|f| f.name.rsplit_once('/').map(|(folder, _)| folder))
            .collect();
        let _doomed = doomed();
        for folder in folders {
            let path = self.path.join(folder);
            fs::create_dir_all(&path).map_err(io_error(&path))?;
        }
        Ok(())
    }

    fn write(&self, file: &GeneratedFile) -> Result<(), OutputError> {
        let _doomed = doomed();
        let path = self.path.join(&file.name);
        fs::write(&path, &file.contents).map_err(io_error(&path))
    }

    /// Puts the staging folder at `dir`. An existing `dir` is exchanged with it in one step
    /// (renameat2 `RENAME_EXCHANGE`); where the file system cannot, `dir` is parked and the
    /// staging folder renamed in, both under the signal lock (only SIGKILL can land between).
    fn swap_into(&self, dir: &Path, exists: bool) -> Result<(), OutputError> {
        let _doomed = doomed();
        if !exists {
            return fs::rename(&self.path, dir).map_err(io_error(dir));
        }
        match exchange(&self.path, dir) {
            Ok(()) => return Ok(()),
            Err(e) if !exchange_unsupported(&e) => return Err(io_error(dir)(e)),
            Err(_) => {}
        }
        fs::rename(dir, &self.parked).map_err(io_error(dir))?;
        if let Err(source) = fs::rename(&self.path, dir) {
            // Put the old folder back: the user keeps what they had.
            let _ = fs::rename(&self.parked, dir);
            return Err(OutputError::Io {
                path: dir.to_owned(),
                source,
            });
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let mut doomed = doomed();
        for path in [&self.path, &self.parked] {
            // Nothing there (renamed into place) is the common case.
            let _ = fs::remove_dir_all(path);
            doomed.retain(|p| p != path);
        }
    }
}

/// Swaps the folders at `a` and `b` atomically.
#[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    if cfg!(debug_assertions) && std::env::var_os(TEST_NO_EXCHANGE).is_some() {
        return Err(io::Error::from(io::ErrorKind::Unsupported));
    }
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

/// Elsewhere two folders cannot be swapped in one step.
#[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// Whether `error` says the system or file system has no exchange (an old kernel: ENOSYS; a
/// file system without it, such as some network ones: EINVAL), so that two renames must do.
fn exchange_unsupported(error: &io::Error) -> bool {
    #[cfg(unix)]
    {
        use rustix::io::Errno;
        let errno = error.raw_os_error().map(Errno::from_raw_os_error);
        if matches!(errno, Some(Errno::NOSYS | Errno::INVAL | Errno::NOTSUP)) {
            return true;
        }
    }
    error.kind() == io::ErrorKind::Unsupported
}

/// Whether a folder is being read or replaced.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    /// `--check`: any number at once, none while a writer is at work.
    Read,
    /// One writer at a time.
    Write,
}

/// The lock on the folder that holds the output (a flock on it, released when the process
/// ends however it ends); none where the file system has no locks.
struct FolderLock(Option<fs::File>);

impl FolderLock {
    fn take(dir: &Path, parent: &Path, access: Access) -> Result<Self, OutputError> {
        let folder = fs::File::open(parent).map_err(io_error(parent))?;
        let deadline = Instant::now() + LOCK_WAIT;
        loop {
            let tried = match access {
                Access::Read => folder.try_lock_shared(),
                Access::Write => folder.try_lock(),
            };
            match tried {
                Ok(()) => return Ok(Self(Some(folder))),
                Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(OutputError::Busy {
                        path: dir.to_owned(),
                        parent: parent.to_owned(),
                    });
                }
                Err(fs::TryLockError::Error(e)) if e.kind() == io::ErrorKind::Unsupported => {
                    return Ok(Self(None));
                }
                Err(fs::TryLockError::Error(e)) => return Err(io_error(parent)(e)),
            }
        }
    }

    fn is_held(&self) -> bool {
        self.0.is_some()
    }
}

/// Debug builds only: the environment variable naming a signal to raise at a step of a write,
/// as `SIGNAL:STEP` (`TERM:3`: SIGTERM at the third step), for the tests that kill writes.
#[cfg(all(unix, debug_assertions))]
const TEST_SIGNAL: &str = "IGW_MONITORING_TEST_SIGNAL_AT";

/// Debug builds only: set, the exchange is taken as unsupported (the two-rename fallback runs).
const TEST_NO_EXCHANGE: &str = "IGW_MONITORING_TEST_NO_EXCHANGE";

/// One step of a write done. In debug builds, [`TEST_SIGNAL`] may raise a signal here, and the
/// writer then waits for it to end the process, as a signal from outside would.
fn checkpoint() {
    #[cfg(all(unix, debug_assertions))]
    {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static STEPS: AtomicUsize = AtomicUsize::new(0);
        let step = STEPS.fetch_add(1, Ordering::SeqCst) + 1;
        let Some(wanted) = std::env::var(TEST_SIGNAL).ok() else {
            return;
        };
        let Some((signal, at)) = wanted.split_once(':') else {
            return;
        };
        if at.parse() != Ok(step) {
            return;
        }
        let signal = match signal {
            "HUP" => signal_hook::consts::SIGHUP,
            "INT" => signal_hook::consts::SIGINT,
            "TERM" => signal_hook::consts::SIGTERM,
            _ => signal_hook::consts::SIGKILL,
        };
        let _ = signal_hook::low_level::raise(signal);
        std::thread::sleep(Duration::from_secs(10));
    }
}

/// The regular file at `path`, opened; an error for anything else (a link is not followed), so
/// that nothing here opens a FIFO (which blocks) or a device (which may never end).
fn regular_file(path: &Path) -> io::Result<fs::File> {
    if fs::symlink_metadata(path)?.is_file() {
        fs::File::open(path)
    } else {
        Err(io::Error::other("not a regular file"))
    }
}

/// Whether `path` is a regular file holding exactly `contents`: anything else is drift, and no
/// more than one byte past `contents` is read.
fn same_contents(path: &Path, contents: &[u8]) -> Result<bool, OutputError> {
    match regular_file(path) {
        Err(_) => Ok(false),
        Ok(file) => {
            let bytes = read_at_most(file, contents.len() as u64 + 1).map_err(io_error(path))?;
            Ok(bytes == contents)
        }
    }
}

/// Whether `dir` exists (as a folder; anything else is an error).
fn is_folder(dir: &Path) -> Result<bool, OutputError> {
    match fs::metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_error(dir)(e)),
        Ok(meta) if !meta.is_dir() => Err(OutputError::NotAFolder(dir.to_owned())),
        Ok(_) => Ok(true),
    }
}

/// Whether `files` make a tree (a fleet's) rather than one flat folder (a base): then the
/// folders inside the output are the tool's too, and are compared and replaced file by file.
fn nested(files: &[GeneratedFile]) -> bool {
    files.iter().any(|f| f.name.contains('/'))
}

/// How deep a tree's folders are looked into: a fleet's are three deep.
const MAX_DEPTH: usize = 8;

/// The file names in `dir`, and with `nested` the files of the folders in it as
/// `folder/name` (links are not followed); none if it does not exist.
fn list(dir: &Path, nested: bool) -> Result<BTreeSet<String>, OutputError> {
    let mut names = BTreeSet::new();
    if is_folder(dir)? {
        list_into(dir, "", if nested { MAX_DEPTH } else { 0 }, &mut names)?;
    }
    Ok(names)
}

fn list_into(
    dir: &Path,
    prefix: &str,
    depth: usize,
    names: &mut BTreeSet<String>,
) -> Result<(), OutputError> {
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        let folder = entry.file_type().is_ok_and(|t| t.is_dir());
        if folder && depth > 0 {
            list_into(&entry.path(), &format!("{name}/"), depth - 1, names)?;
        } else {
            names.insert(name);
        }
    }
    Ok(())
}

/// Files in `dir` (with `nested`, in the folders inside it too) this tool would not have
/// written: without the generated-by header, unless a generated file beside it vouches for it.
fn foreign_files(dir: &Path, nested: bool) -> Result<Vec<String>, OutputError> {
    let mut foreign = Vec::new();
    let mut vouched = BTreeSet::new();
    for name in list(dir, nested)? {
        let path = dir.join(&name);
        // A folder, a link, a FIFO, a device or an unreadable entry is not ours; of a regular
        // file only the header's bytes are read.
        let generated = regular_file(&path)
            .and_then(|file| read_at_most(file, kustomize::HEADER_BYTES as u64))
            .is_ok_and(|head| kustomize::is_generated(&String::from_utf8_lossy(&head)));
        let (folder, file) = name.rsplit_once('/').unwrap_or(("", &name));
        if generated && [kustomize::KUSTOMIZATION, kustomize::README].contains(&file) {
            vouched.insert((folder.to_owned(), file.to_owned()));
        }
        if !generated {
            foreign.push(name);
        }
    }
    // JSON cannot carry the header: a generated kustomization vouches for the schema beside
    // it, a generated readme (a fleet's dashboards) for the JSON files beside it.
    foreign.retain(|name| {
        let (folder, file) = name.rsplit_once('/').unwrap_or(("", name));
        let by = |marker: &str| vouched.contains(&(folder.to_owned(), marker.to_owned()));
        !(file == kustomize::OPENAPI && by(kustomize::KUSTOMIZATION)
            || file.ends_with(".json") && by(kustomize::README))
    });
    Ok(foreign)
}
