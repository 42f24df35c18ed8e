//! Output folders replaced whole: a command writes every output into a fresh staging
//! folder beside `--out` and then swaps it in with two renames, so a reader (or a run
//! killed at any point) never sees a mix of two runs. Leftovers of a killed run (its
//! staging folder, the previous folder set aside mid-swap, `*.tmp-PID` files) are cleaned
//! up by the next command writing to the same place. A folder that capsim did not write is
//! never replaced. Output I/O failures are an [`OutputError`] (exit 3).

use anyhow::{Result, bail};
use std::path::{Path, PathBuf};

/// The marker file capsim writes into every output folder it makes.
pub const MARKER: &str = ".capsim";
const MARKER_TEXT: &str =
    "This folder was written by capsim; the next run with the same --out replaces it whole.\n";
/// Files that mark a folder as capsim's when it predates the marker.
const KNOWN: &[&str] = &[
    MARKER,
    "summary.json",
    "sweep.csv",
    "partial.yaml",
    "plan-report.json",
];
const STAGING: &str = "capsim-tmp-";
const OLD: &str = "capsim-old-";

/// An output could not be written (disk full, an unwritable or vanished folder): exit 3,
/// distinct from bad input (2).
#[derive(Debug, thiserror::Error)]
#[error("{}: cannot write output", path.display())]
pub struct OutputError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError {
        path: path.to_path_buf(),
        source,
    }
}

/// A folder being written: everything goes into [`OutDir::path`], and [`OutDir::commit`]
/// puts it in place of the target. Dropped without a commit, the staging folder is removed.
#[derive(Debug)]
pub struct OutDir {
    target: PathBuf,
    staging: PathBuf,
    old: PathBuf,
    committed: bool,
}

impl OutDir {
    /// Prepares to replace `target` whole: cleans up what killed runs left beside it,
    /// refuses a folder that capsim did not write, and creates the staging folder.
    pub fn begin(target: &Path) -> Result<OutDir> {
        let out = Self::prepare(target)?;
        std::fs::create_dir(&out.staging).map_err(io(&out.staging))?;
        out.mark()?;
        Ok(out)
    }

    /// Like [`OutDir::begin`], with the target's files copied into the staging folder
    /// first (`capsim plot` redraws a folder in place).
    pub fn begin_copy(target: &Path) -> Result<OutDir> {
        let out = Self::prepare(target)?;
        copy_tree(&out.target, &out.staging)?;
        out.mark()?;
        Ok(out)
    }

    fn prepare(target: &Path) -> Result<OutDir> {
        let target = if target.file_name().is_none() {
            target.canonicalize().map_err(io(target))?
        } else {
            target.to_path_buf()
        };
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        std::fs::create_dir_all(&parent).map_err(io(&parent))?;
        clean_leftovers(&parent, &name, &target);
        check_replaceable(&target)?;
        let pid = std::process::id();
        Ok(OutDir {
            staging: parent.join(format!(".{name}.{STAGING}{pid}")),
            old: parent.join(format!(".{name}.{OLD}{pid}")),
            target,
            committed: false,
        })
    }

    fn mark(&self) -> Result<()> {
        let marker = self.staging.join(MARKER);
        std::fs::write(&marker, MARKER_TEXT).map_err(io(&marker))?;
        Ok(())
    }

    /// Where to write the outputs until [`OutDir::commit`].
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// The folder the outputs end up in.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Swaps the staging folder in: the previous folder is renamed aside, the new one into
    /// its place, and the previous one removed. The renames are the only visible steps.
    pub fn commit(mut self) -> Result<(), OutputError> {
        sync_dir(&self.staging);
        let exists = self.target.symlink_metadata().is_ok();
        if exists {
            std::fs::rename(&self.target, &self.old).map_err(io(&self.target))?;
        }
        if let Err(e) = std::fs::rename(&self.staging, &self.target) {
            if exists {
                let _ = std::fs::rename(&self.old, &self.target);
            }
            return Err(io(&self.target)(e));
        }
        self.committed = true;
        if exists {
            let _ = remove(&self.old);
        }
        if let Some(parent) = self.target.parent() {
            sync_dir(parent);
        }
        Ok(())
    }
}

impl Drop for OutDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// Removes a folder, or the link that stands for one.
fn remove(path: &Path) -> std::io::Result<()> {
    match path.symlink_metadata() {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) => Err(e),
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

/// Whether process `pid` is running (Linux: /proc; elsewhere every leftover counts as dead).
pub(crate) fn alive(pid: u32) -> bool {
    pid == std::process::id()
        || (cfg!(target_os = "linux") && Path::new("/proc").join(pid.to_string()).exists())
}

/// The process id at the end of a leftover's name `PREFIX<pid>`, when it has one.
pub(crate) fn leftover_pid(file: &str, prefix: &str) -> Option<u32> {
    file.strip_prefix(prefix)?.parse().ok()
}

/// Removes the staging folders of killed runs writing `name` in `parent`; a previous
/// folder set aside by a run killed between its two renames is put back when the target
/// is missing, else removed.
fn clean_leftovers(parent: &Path, name: &str, target: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let mut old = Vec::new();
    let mut staging = Vec::new();
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let dead = |prefix: &str| {
            leftover_pid(&file, &format!(".{name}.{prefix}")).is_some_and(|pid| !alive(pid))
        };
        if dead(OLD) {
            old.push(entry.path());
        } else if dead(STAGING) {
            staging.push(entry.path());
        }
    }
    for path in old {
        if target.symlink_metadata().is_err() && std::fs::rename(&path, target).is_ok() {
            continue;
        }
        let _ = remove(&path);
    }
    for path in staging {
        let _ = remove(&path);
    }
}

/// Refuses to replace anything but a missing or empty folder or one capsim wrote.
fn check_replaceable(target: &Path) -> Result<()> {
    let Ok(meta) = std::fs::metadata(target) else {
        return Ok(());
    };
    if !meta.is_dir() {
        bail!(
            "{}: not a folder; capsim writes its outputs into a folder it replaces whole: \
             give --out a folder name",
            target.display()
        );
    }
    let mut first = None;
    for entry in std::fs::read_dir(target).map_err(io(target))?.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if KNOWN.contains(&file.as_str()) {
            return Ok(());
        }
        first.get_or_insert(file);
    }
    if let Some(file) = first {
        let shown: String = file.chars().filter(|c| !c.is_control()).take(40).collect();
        bail!(
            "{}: the folder holds files capsim did not write (e.g. `{shown}`), and capsim \
             replaces an output folder whole; give --out a new or empty folder, or one an \
             earlier capsim run wrote (it holds a `{MARKER}` marker)",
            target.display()
        );
    }
    Ok(())
}

/// Copies the folder `from` into the new folder `to` (files, folders and links), leaving
/// out the temporaries of killed writes (`.NAME.tmp-PID`).
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir(to).map_err(io(to))?;
    let entries = match std::fs::read_dir(from) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(from)(e).into()),
    };
    for entry in entries {
        let entry = entry.map_err(io(from))?;
        let file = entry.file_name().to_string_lossy().into_owned();
        if is_stale_tmp(&file) {
            continue;
        }
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let kind = entry.file_type().map_err(io(&src))?;
        if kind.is_dir() {
            copy_tree(&src, &dst)?;
        } else if kind.is_symlink() {
            #[cfg(unix)]
            {
                let link = std::fs::read_link(&src).map_err(io(&src))?;
                std::os::unix::fs::symlink(link, &dst).map_err(io(&dst))?;
            }
        } else {
            std::fs::copy(&src, &dst).map_err(io(&dst))?;
        }
    }
    Ok(())
}

/// A temporary of an atomic file write (`.NAME.tmp-PID`) whose writer is gone.
pub(crate) fn is_stale_tmp(file: &str) -> bool {
    file.starts_with('.')
        && file
            .rsplit_once(".tmp-")
            .and_then(|(_, pid)| pid.parse::<u32>().ok())
            .is_some_and(|pid| !alive(pid))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("capsim-outdir-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_folder_is_replaced_whole() {
        let d = scratch("whole");
        let out = d.join("out");
        let w = OutDir::begin(&out).unwrap();
        std::fs::write(w.path().join("summary.json"), "1").unwrap();
        std::fs::write(w.path().join("figure.png"), "old").unwrap();
        w.commit().unwrap();
        let w = OutDir::begin(&out).unwrap();
        std::fs::write(w.path().join("summary.json"), "2").unwrap();
        // Before the commit, the old folder is whole and untouched.
        assert_eq!(names(&out), [MARKER, "figure.png", "summary.json"]);
        w.commit().unwrap();
        assert_eq!(names(&out), [MARKER, "summary.json"]);
        assert_eq!(
            std::fs::read_to_string(out.join("summary.json")).unwrap(),
            "2"
        );
        assert_eq!(names(&d), ["out"]);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn an_abandoned_write_leaves_the_folder_as_it_was() {
        let d = scratch("abandon");
        let out = d.join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("summary.json"), "old").unwrap();
        {
            let w = OutDir::begin(&out).unwrap();
            std::fs::write(w.path().join("summary.json"), "new").unwrap();
        }
        assert_eq!(names(&d), ["out"]);
        assert_eq!(
            std::fs::read_to_string(out.join("summary.json")).unwrap(),
            "old"
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn leftovers_of_a_killed_run_are_cleaned_and_a_set_aside_folder_restored() {
        let d = scratch("leftovers");
        // A pid that is not running: above the kernel's pid_max (2^22).
        let dead = 4_999_999;
        std::fs::create_dir(d.join(format!(".out.capsim-tmp-{dead}"))).unwrap();
        std::fs::create_dir(d.join(format!(".out.capsim-old-{dead}"))).unwrap();
        std::fs::write(d.join(format!(".out.capsim-old-{dead}/summary.json")), "x").unwrap();
        std::fs::create_dir(d.join(format!(".other.capsim-tmp-{dead}"))).unwrap();
        let w = OutDir::begin(&d.join("out")).unwrap();
        // The set-aside folder was put back in place of the missing target.
        assert_eq!(
            std::fs::read_to_string(d.join("out/summary.json")).unwrap(),
            "x"
        );
        drop(w);
        assert_eq!(
            names(&d),
            [format!(".other.capsim-tmp-{dead}"), "out".into()]
        );
        assert!(is_stale_tmp(&format!(".latency.png.tmp-{dead}")));
        assert!(!is_stale_tmp(&format!(
            ".latency.png.tmp-{}",
            std::process::id()
        )));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_folder_capsim_did_not_write_is_refused() {
        let d = scratch("foreign");
        std::fs::write(d.join("notes.txt"), "mine").unwrap();
        let e = OutDir::begin(&d).unwrap_err().to_string();
        assert!(e.contains("files capsim did not write"), "{e}");
        assert!(e.contains("notes.txt"), "{e}");
        assert_eq!(names(&d), ["notes.txt"]);
        std::fs::write(d.join("file"), "x").unwrap();
        let e = OutDir::begin(&d.join("file")).unwrap_err().to_string();
        assert!(e.contains("not a folder"), "{e}");
        // An empty folder is fine.
        std::fs::create_dir(d.join("empty")).unwrap();
        OutDir::begin(&d.join("empty")).unwrap().commit().unwrap();
        assert_eq!(names(&d.join("empty")), [MARKER]);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn copy_keeps_the_files_and_drops_stale_temporaries() {
        let d = scratch("copy");
        let out = d.join("out");
        std::fs::create_dir_all(out.join("sub")).unwrap();
        std::fs::write(out.join("summary.json"), "s").unwrap();
        std::fs::write(out.join("sub/a"), "a").unwrap();
        std::fs::write(out.join(".latency.png.tmp-4999999"), "partial").unwrap();
        let w = OutDir::begin_copy(&out).unwrap();
        std::fs::write(w.path().join("figure.png"), "f").unwrap();
        w.commit().unwrap();
        assert_eq!(names(&out), [MARKER, "figure.png", "sub", "summary.json"]);
        assert_eq!(std::fs::read_to_string(out.join("sub/a")).unwrap(), "a");
        let _ = std::fs::remove_dir_all(&d);
    }
}
