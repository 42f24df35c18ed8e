//! Confinement of the files a config names: every path (a model, `k6_options`, `empirical`
//! samples, HPA manifests, AWS documents, a snapshot's `hpa_file`) must resolve inside a
//! root: the git work tree holding the file named on the command line (else that file's
//! folder), widened only by `--allow-path DIR`. Configs come from pull requests, so a path
//! is untrusted: absolute paths, `..` escapes and symlinks that leave the roots are refused.

use std::path::{Component, Path, PathBuf};

/// Where a config's relative paths resolve (`dir`) and the roots they must stay inside.
#[derive(Clone, Debug)]
pub struct Files {
    dir: PathBuf,
    roots: Vec<PathBuf>,
}

/// The folder holding `file`: empty for a bare file name, so that names joined to it read
/// as written (`modle.yaml`, not `./modle.yaml`) in messages.
pub fn dir_of(file: &Path) -> PathBuf {
    file.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Removes `.` and resolves `..` textually (for paths that do not exist, so cannot be
/// canonicalized); a `..` above the start is kept, so it never matches a root.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The canonical form of `path` when it exists, else its lexical form made absolute.
fn absolute(path: &Path) -> PathBuf {
    if let Ok(c) = std::fs::canonicalize(path) {
        return c;
    }
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    // Canonicalize the longest existing ancestor, so a symlinked folder resolves as it will
    // when the file appears, then append the rest.
    let abs = lexical(&abs);
    let mut head = abs.clone();
    let mut tail = Vec::new();
    while let Some(name) = head.file_name().map(|n| n.to_os_string()) {
        if let Ok(c) = std::fs::canonicalize(&head) {
            let mut out = c;
            for t in tail.iter().rev() {
                out.push(t);
            }
            return out;
        }
        tail.push(name);
        if !head.pop() {
            break;
        }
    }
    abs
}

/// The default root for a config file: the nearest folder at or above it holding `.git`
/// (the work tree), else the file's own folder.
pub fn default_root(file: &Path) -> PathBuf {
    let start = absolute(&dir_of(file));
    let mut at = start.as_path();
    loop {
        if at.join(".git").exists() {
            return at.to_path_buf();
        }
        match at.parent() {
            Some(p) => at = p,
            None => return start,
        }
    }
}

impl Files {
    /// The files named by `file` (given on the command line): relative to its folder,
    /// confined to its work tree (or folder) and to each of `allow`.
    pub fn for_file(file: &Path, allow: &[PathBuf]) -> Files {
        let mut roots = vec![default_root(file)];
        roots.extend(allow.iter().map(|a| absolute(a)));
        Files {
            dir: dir_of(file),
            roots,
        }
    }

    /// Files relative to `dir` and confined to `dir`'s work tree (or `dir` itself).
    pub fn for_dir(dir: &Path) -> Files {
        Files::for_file(&dir.join("x"), &[])
    }

    /// The same roots for a file this config names (the experiment's model): its paths
    /// resolve relative to that file's folder.
    pub fn beside(&self, file: &Path) -> Files {
        Files {
            dir: dir_of(file),
            roots: self.roots.clone(),
        }
    }

    /// The folder relative paths resolve against.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether `path` (after following symlinks) lies inside one of the roots.
    pub fn contains(&self, path: &Path) -> bool {
        let abs = absolute(path);
        self.roots.iter().any(|r| abs.starts_with(r))
    }

    /// Resolves `name` (as written in the config) against [`Files::dir`] and checks that it
    /// stays inside the roots; the error is the reason, for the caller's field message.
    pub fn resolve(&self, name: impl AsRef<Path>) -> Result<PathBuf, String> {
        let name = name.as_ref();
        let full = self.dir.join(name);
        if self.contains(&full) {
            return Ok(full);
        }
        let rule = if name.is_absolute() {
            "an absolute path outside the project"
        } else if name.components().any(|c| c == Component::ParentDir) {
            "a `..` path that leaves the project"
        } else {
            "a path that a symlink leads out of the project"
        };
        Err(format!(
            "`{}` is {rule}: capsim reads only files inside {} (the git work tree holding \
             the file named on the command line, else its folder), because a config may come \
             from an untrusted pull request; move the file inside, or widen the roots with \
             `--allow-path DIR`",
            sanitize(&name.display().to_string(), 200),
            self.roots_text()
        ))
    }

    fn roots_text(&self) -> String {
        self.roots
            .iter()
            .map(|r| r.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `text` with control characters removed and cut to `max` characters (with `...`): for
/// excerpts of a file's contents in messages.
pub fn sanitize(text: &str, max: usize) -> String {
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    if clean.chars().count() <= max {
        clean
    } else {
        let cut: String = clean.chars().take(max).collect();
        format!("{cut}...")
    }
}

/// A parser's message about a file's contents, bounded: control characters removed, each
/// quoted value (`"..."`, `` `...` ``, `'...'`) cut to 40 characters and the whole to 300, so
/// an error never reprints more than a short excerpt of what it read.
pub fn bound_message(message: &str) -> String {
    const QUOTED: usize = 40;
    let mut out = String::new();
    let mut quote: Option<char> = None;
    let mut inside = 0usize;
    for c in message.chars().filter(|c| !c.is_control()) {
        match quote {
            Some(q) if c == q => {
                quote = None;
                out.push(c);
            }
            Some(_) => {
                inside += 1;
                if inside <= QUOTED {
                    out.push(c);
                } else if inside == QUOTED + 1 {
                    out.push_str("...");
                }
            }
            None => {
                if matches!(c, '"' | '`' | '\'') {
                    quote = Some(c);
                    inside = 0;
                }
                out.push(c);
            }
        }
    }
    sanitize(&out, 300)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_bounded() {
        let long = "s".repeat(500);
        let m = bound_message(&format!(
            "invalid type: string \"{long}\", expected u64\u{1b}[2J"
        ));
        assert_eq!(
            m,
            format!(
                "invalid type: string \"{}...\", expected u64[2J",
                "s".repeat(40)
            )
        );
        assert!(bound_message(&"x".repeat(1000)).chars().count() <= 303);
    }

    #[test]
    fn lexical_keeps_escapes() {
        assert_eq!(lexical(Path::new("a/./b/../c")), PathBuf::from("a/c"));
        assert_eq!(lexical(Path::new("../x")), PathBuf::from("../x"));
    }

    #[test]
    fn refuses_absolute_and_escapes() {
        let files = Files::for_dir(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("models")
                .as_path(),
        );
        assert!(files.resolve("mm1.yaml").is_ok());
        assert!(files.resolve("../experiments/mm1.yaml").is_ok());
        let e = files.resolve("/etc/passwd").unwrap_err();
        assert!(
            e.contains("absolute path") && e.contains("--allow-path"),
            "{e}"
        );
        let e = files.resolve("../../../../../../etc/passwd").unwrap_err();
        assert!(e.contains("`..`"), "{e}");
    }

    #[test]
    fn sanitize_bounds() {
        assert_eq!(sanitize("a\u{1b}[31mb\nc", 10), "a[31mbc");
        assert_eq!(sanitize("abcdef", 3), "abc...");
    }
}
