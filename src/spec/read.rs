//! Reads files from disk for the loaders: bounded in size, regular files only, UTF-8 text.
//! Every other layer receives text or bytes; nothing outside `spec/` opens a file.

use crate::error::{FieldError, LoadError};
use std::path::Path;

/// Files larger than this are refused before parsing: no real model or experiment is near it.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Reads a whole file, refusing directories, huge files and text that is not UTF-8.
pub fn read_text(path: &Path) -> Result<String, LoadError> {
    let io = |error| LoadError::Io {
        file: path.to_path_buf(),
        error,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(LoadError::invalid(
            path,
            FieldError::new(
                "",
                "this is a directory, not a file; name a YAML file such as models/mm1.yaml",
            ),
        ));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(LoadError::invalid(
            path,
            FieldError::new(
                "",
                format!(
                    "the file is {} bytes; capsim reads files of at most {MAX_FILE_BYTES} bytes (4 MiB). \
                     Is this the right file? Put sample data in a CSV file read by `empirical`",
                    meta.len()
                ),
            ),
        ));
    }
    if !meta.is_file() {
        // /dev/zero, /dev/stdin, a FIFO: no length to check, and reading may never end.
        return Err(LoadError::invalid(
            path,
            FieldError::new(
                "",
                "this is not a regular file (a device, socket or pipe); name a file such as models/mm1.yaml",
            ),
        ));
    }
    // Read at most one byte past the limit: the file may have grown since the check.
    let mut bytes = Vec::new();
    {
        use std::io::Read;
        std::fs::File::open(path)
            .map_err(io)?
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(LoadError::invalid(
            path,
            FieldError::new(
                "",
                format!("the file grew past {MAX_FILE_BYTES} bytes (4 MiB) while being read"),
            ),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(&e.as_bytes()[..at]);
        let line = text.matches('\n').count() + 1;
        let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        LoadError::Syntax {
            file: path.to_path_buf(),
            line,
            column,
            message: "the file is not UTF-8 text; save it as UTF-8".into(),
        }
    })
}

/// Sample files (`empirical`) are larger than models but still bounded.
pub const MAX_SAMPLE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a sample CSV file: a regular file of at most [`MAX_SAMPLE_BYTES`]. The error is
/// the reason alone, for the caller's message.
pub fn read_sample_file(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > MAX_SAMPLE_BYTES {
        return Err(format!(
            "{} bytes; sample files may have at most {MAX_SAMPLE_BYTES} bytes (64 MiB)",
            meta.len()
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_SAMPLE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_SAMPLE_BYTES {
        return Err(format!("more than {MAX_SAMPLE_BYTES} bytes (64 MiB)"));
    }
    Ok(bytes)
}
