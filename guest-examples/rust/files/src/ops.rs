//! The actions: `list-files`, `read-file`, `write-file` and `delete-file`.
//!
//! Each action takes its input as a struct that mirrors the input schema in
//! [`crate::manifest`] (the helper crate parses it, and answers
//! `invalid-input` `bad-input` for an input that does not fit), does its
//! work through `std::fs` (which the WASI sandbox confines to the granted
//! directory), and answers with a body that mirrors the output schema.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use connector_sdk::{Choice, Context, Error, ErrorKind, Reply, Result, Value, log};

use crate::error::{error, invalid_input, io_error, not_found};
use crate::paths::{RelPath, Root, modified_nanos, unix_seconds};

/// How file content travels in JSON.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// The content is text; the file's bytes must be UTF-8.
    #[default]
    Utf8,
    /// The content is the file's bytes in standard base64 (with padding).
    Base64,
}

fn default_folder() -> String {
    ".".into()
}

fn yes() -> bool {
    true
}

/// Input of `list-files`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListFilesInput {
    #[serde(default = "default_folder")]
    path: String,
    #[serde(default)]
    recursive: bool,
}

/// One entry of `list-files`' output.
#[derive(Debug, Serialize)]
pub(crate) struct FileEntry {
    /// Relative to the root, so that it can be passed to `read-file`.
    path: String,
    /// In bytes; 0 for directories.
    size: u64,
    /// Unix seconds.
    modified: i64,
    is_dir: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct ListFilesOutput {
    files: Vec<FileEntry>,
}

/// Lists a directory, or a whole tree when `recursive` is set. Entries are
/// sorted by path. Symbolic links are listed as they are, never followed, so
/// a link cannot make a recursive listing loop.
pub(crate) fn list_files(ctx: &Context, input: ListFilesInput) -> Result<ListFilesOutput> {
    let root = &Root::from_connection(ctx.connection());
    let folder = RelPath::parse(&input.path)?;
    require_directory(root, &folder)?;

    let mut files = Vec::new();
    // An explicit stack rather than recursion: a deep tree must not exhaust
    // the guest's small stack.
    let mut pending = vec![folder];
    while let Some(dir) = pending.pop() {
        let entries = fs::read_dir(root.join(&dir)).map_err(|e| io_error(e, "list", &dir))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_error(e, "list", &dir))?;
            let Ok(name) = entry.file_name().into_string() else {
                skip_non_utf8_name(&dir);
                continue;
            };
            let path = dir.child(&name);
            let meta = entry
                .metadata()
                .map_err(|e| io_error(e, "inspect", &path))?;
            let is_dir = meta.is_dir();
            files.push(FileEntry {
                path: path.to_string(),
                size: if is_dir { 0 } else { meta.len() },
                modified: unix_seconds(modified_nanos(&meta)),
                is_dir,
            });
            if is_dir && input.recursive {
                pending.push(path);
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(ListFilesOutput { files })
}

/// At most this many files are offered as choices of a `path`: a designer's
/// dropdown is no place for a whole disk, and the call must stay quick.
pub const MAX_CHOICES: usize = 500;

/// The dynamic values of `read-file`'s and `delete-file`'s `path`: the
/// regular files of the whole tree under the root, by path (each titled
/// with its size), at most [`MAX_CHOICES`] of them.
pub(crate) fn file_choices(ctx: &Context, _input: &Value) -> Result<Vec<Choice>> {
    let listing = list_files(
        ctx,
        ListFilesInput {
            path: default_folder(),
            recursive: true,
        },
    )?;
    Ok(listing
        .files
        .into_iter()
        .filter(|entry| !entry.is_dir)
        .take(MAX_CHOICES)
        .map(|entry| {
            let title = format!("{} ({} bytes)", entry.path, entry.size);
            Choice::new(entry.path, title)
        })
        .collect())
}

/// Input of `read-file`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReadFileInput {
    path: String,
    #[serde(default)]
    encoding: Encoding,
}

#[derive(Debug, Serialize)]
pub(crate) struct ReadFileOutput {
    path: String,
    content: String,
    size: u64,
}

/// Reads a whole file as text or as base64.
pub(crate) fn read_file(ctx: &Context, input: ReadFileInput) -> Result<ReadFileOutput> {
    let root = &Root::from_connection(ctx.connection());
    let path = RelPath::parse(&input.path)?;
    let bytes = fs::read(root.join(&path)).map_err(|e| io_error(e, "read", &path))?;
    let size = bytes.len() as u64;
    let content = match input.encoding {
        Encoding::Base64 => BASE64.encode(&bytes),
        Encoding::Utf8 => String::from_utf8(bytes).map_err(|e| {
            invalid_input(
                "not-utf8",
                format!(
                    "`{path}` is not UTF-8 text (invalid byte at offset {}); \
                     read it with encoding \"base64\"",
                    e.utf8_error().valid_up_to()
                ),
            )
        })?,
    };
    Ok(ReadFileOutput {
        path: path.to_string(),
        content,
        size,
    })
}

/// Input of `write-file`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WriteFileInput {
    path: String,
    content: String,
    #[serde(default)]
    encoding: Encoding,
    #[serde(default = "yes")]
    overwrite: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct WriteFileOutput {
    path: String,
    size: u64,
}

/// Writes a whole file, creating its parent directories. Answers 201 when it
/// created the file and 200 when it replaced one.
pub(crate) fn write_file(ctx: &Context, input: WriteFileInput) -> Result<Reply<WriteFileOutput>> {
    let root = &Root::from_connection(ctx.connection());
    let path = RelPath::parse(&input.path)?;
    if path.is_root() {
        return Err(invalid_input(
            "is-a-directory",
            "the path names the root directory, not a file",
        ));
    }
    let bytes = match input.encoding {
        Encoding::Utf8 => input.content.into_bytes(),
        Encoding::Base64 => BASE64.decode(input.content.as_bytes()).map_err(|e| {
            invalid_input(
                "bad-base64",
                format!("the content is not valid base64: {e}"),
            )
        })?,
    };

    let full = root.join(&path);
    let existed = match fs::symlink_metadata(&full) {
        Ok(meta) if meta.is_dir() => {
            return Err(invalid_input(
                "is-a-directory",
                format!("`{path}` is a directory"),
            ));
        }
        Ok(_) => true,
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(io_error(e, "inspect", &path)),
    };
    if existed && !input.overwrite {
        return Err(file_exists(&path));
    }
    if let Some(parent) = full.parent() {
        fs::create_dir_all(parent).map_err(|e| io_error(e, "create the folders of", &path))?;
    }

    let mut options = OpenOptions::new();
    options.write(true);
    if input.overwrite {
        options.create(true).truncate(true);
    } else {
        // `create_new` fails if the file appeared since the check above, so
        // a concurrent writer cannot be overwritten by accident.
        options.create_new(true);
    }
    let write = options
        .open(&full)
        .and_then(|mut file| file.write_all(&bytes));
    match write {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(file_exists(&path)),
        Err(e) => return Err(io_error(e, "write", &path)),
    }

    let size = bytes.len() as u64;
    log::info(
        if existed {
            "replaced a file"
        } else {
            "created a file"
        },
        &[("path", &path.to_string()), ("size", &size.to_string())],
    );
    let status = if existed { 200 } else { 201 };
    Ok(Reply::with_status(
        status,
        WriteFileOutput {
            path: path.to_string(),
            size,
        },
    ))
}

/// Input of `delete-file`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeleteFileInput {
    path: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct DeleteFileOutput {
    path: String,
    deleted: bool,
}

/// Deletes one file. Directories are refused: deleting a tree is a bigger
/// decision than this action should make.
pub(crate) fn delete_file(ctx: &Context, input: DeleteFileInput) -> Result<DeleteFileOutput> {
    let root = &Root::from_connection(ctx.connection());
    let path = RelPath::parse(&input.path)?;
    let full = root.join(&path);
    let meta = fs::symlink_metadata(&full).map_err(|e| io_error(e, "delete", &path))?;
    if meta.is_dir() {
        return Err(invalid_input(
            "is-a-directory",
            format!("`{path}` is a directory; delete-file deletes files only"),
        ));
    }
    fs::remove_file(&full).map_err(|e| io_error(e, "delete", &path))?;
    log::info("deleted a file", &[("path", &path.to_string())]);
    Ok(DeleteFileOutput {
        path: path.to_string(),
        deleted: true,
    })
}

/// Checks that `folder` exists and is a directory, with errors that name it
/// as a folder rather than a file.
pub fn require_directory(root: &Root, folder: &RelPath) -> Result<()> {
    match fs::metadata(root.join(folder)) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(invalid_input(
            "not-a-directory",
            format!("`{folder}` is a file, not a folder"),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(not_found(
            "folder-not-found",
            format!("the folder `{folder}` does not exist"),
        )),
        Err(e) => Err(io_error(e, "open", folder)),
    }
}

/// Logs that an entry was skipped because JSON cannot carry its name.
pub fn skip_non_utf8_name(dir: &RelPath) {
    log::warn(
        "skipped an entry whose name is not UTF-8",
        &[("folder", &dir.to_string())],
    );
}

fn file_exists(path: &RelPath) -> Error {
    error(
        ErrorKind::Conflict,
        "file-exists",
        format!("`{path}` already exists and overwrite is false"),
    )
}
