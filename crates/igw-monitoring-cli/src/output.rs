//! Writing generated folders all-or-nothing, and comparing them with what would be written.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use igw_monitoring::kustomize::{self, GeneratedFile};

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

/// Compares `dir` (which may not exist) with `files`.
pub fn check(dir: &Path, files: &[GeneratedFile]) -> Result<Drift, OutputError> {
    let present = list(dir)?;
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

/// Replaces `dir` with exactly `files`: they are written into a fresh folder beside it, which
/// then takes its place, so a failure leaves `dir` as it was.
pub fn write(dir: &Path, files: &[GeneratedFile], force: bool) -> Result<(), OutputError> {
    // Even --force replaces only folders.
    list(dir)?;
    if !force {
        let foreign = foreign_files(dir)?;
        if !foreign.is_empty() {
            return Err(OutputError::Foreign(dir.to_owned(), foreign.join(", ")));
        }
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(io_error(&parent))?;
    let staging = tempfile::Builder::new()
        .prefix(".igw-monitoring-")
        .tempdir_in(&parent)
        .map_err(io_error(&parent))?;
    for file in files {
        let path = staging.path().join(&file.name);
        fs::write(&path, &file.contents).map_err(io_error(&path))?;
    }
    if dir.exists() {
        let old = tempfile::Builder::new()
            .prefix(".igw-monitoring-old-")
            .tempdir_in(&parent)
            .map_err(io_error(&parent))?;
        let parked = old.path().join("previous");
        fs::rename(dir, &parked).map_err(io_error(dir))?;
        if let Err(source) = fs::rename(staging.path(), dir) {
            // Put the old folder back: the user keeps what they had.
            let _ = fs::rename(&parked, dir);
            return Err(OutputError::Io {
                path: dir.to_owned(),
                source,
            });
        }
        // `old` (with the previous folder inside) is removed when dropped.
    } else {
        fs::rename(staging.path(), dir).map_err(io_error(dir))?;
    }
    // The staging folder was renamed away; its guard may find nothing left to remove.
    let _ = staging.keep();
    Ok(())
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

/// At most `limit` bytes of `file`.
fn read_at_most(file: fs::File, limit: usize) -> io::Result<Vec<u8>> {
    use io::Read;
    let mut bytes = Vec::new();
    file.take(limit as u64).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Whether `path` is a regular file holding exactly `contents`: anything else is drift, and no
/// more than one byte past `contents` is read.
fn same_contents(path: &Path, contents: &[u8]) -> Result<bool, OutputError> {
    match regular_file(path) {
        Err(_) => Ok(false),
        Ok(file) => {
            let bytes = read_at_most(file, contents.len() + 1).map_err(io_error(path))?;
            Ok(bytes == contents)
        }
    }
}

/// The file names in `dir`; none if it does not exist.
fn list(dir: &Path) -> Result<BTreeSet<String>, OutputError> {
    match fs::metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(BTreeSet::new()),
        Err(e) => return Err(io_error(dir)(e)),
        Ok(meta) if !meta.is_dir() => return Err(OutputError::NotAFolder(dir.to_owned())),
        Ok(_) => {}
    }
    fs::read_dir(dir)
        .map_err(io_error(dir))?
        .map(|entry| {
            entry
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .map_err(io_error(dir))
        })
        .collect()
}

/// Files in `dir` this tool would not have written: without the generated-by header, unless
/// the kustomization (which has it) vouches for the header-less schema beside it.
fn foreign_files(dir: &Path) -> Result<Vec<String>, OutputError> {
    let mut foreign = Vec::new();
    let mut ours = false;
    for name in list(dir)? {
        let path = dir.join(&name);
        // A folder, a link, a FIFO, a device or an unreadable entry is not ours; of a regular
        // file only the header's bytes are read.
        let generated = regular_file(&path)
            .and_then(|file| read_at_most(file, kustomize::HEADER_BYTES))
            .is_ok_and(|head| kustomize::is_generated(&String::from_utf8_lossy(&head)));
        ours |= generated && name == kustomize::KUSTOMIZATION;
        if !generated {
            foreign.push(name);
        }
    }
    if ours {
        foreign.retain(|name| name != kustomize::OPENAPI);
    }
    Ok(foreign)
}
