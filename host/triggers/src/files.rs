//! Files the host creates hold business data (events, trigger state) or, in the
//! compiled-component cache, native code it will run: they are created for the
//! owner only (0600 files, 0700 folders), whatever the umask. Files that
//! already exist keep the permissions the operator gave them.

use std::fs::OpenOptions;
use std::io;
use std::path::Path;

/// `OpenOptions` whose `create` makes an owner-only (0600) file.
pub fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Creates `path` empty and owner-only if it does not exist; leaves it alone if it does.
pub fn create_private_file(path: &Path) -> io::Result<()> {
    match private_options().write(true).create_new(true).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// `create_dir_all`, with every folder it creates owner-only (0700).
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn created_files_and_folders_are_owner_only_whatever_the_umask() {
        let dir = std::env::temp_dir().join(format!("connector-host-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let nested = dir.join("a/b");
        create_private_dir(&nested).unwrap();
        let file = nested.join("state.db");
        create_private_file(&file).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.join("a")), 0o700);
        assert_eq!(mode(&nested), 0o700);
        assert_eq!(mode(&file), 0o600);
        // An existing file keeps what the operator gave it.
        let shared = dir.join("shared.jsonl");
        std::fs::write(&shared, b"").unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o640)).unwrap();
        create_private_file(&shared).unwrap();
        assert_eq!(mode(&shared), 0o640);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
