//! Refusing symlinks whose target could leave a granted directory.
//!
//! wasmtime-wasi resolves every path the guest opens inside its grant, so a
//! symlink pointing out (`link -> ../../etc/passwd`) is never followed by
//! the guest. But the link itself stays in the operator's directory, where
//! another program (a backup, a web server, the next workflow step) may
//! follow it. So `symlink-at` is replaced: a target that is absolute or has
//! a `..` component is refused with `not-permitted` before anything is
//! created; any other target names a place below the link, inside the grant.

use std::path::{Component, Path};

use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::filesystem::WasiFilesystemView;
use wasmtime_wasi::p2::bindings::sync::filesystem::types::{
    Descriptor, ErrorCode, Host as Types, HostDescriptor,
};

use crate::state::HostState;

/// The filesystem interface whose `symlink-at` is replaced.
const FILESYSTEM_TYPES: &str = "wasi:filesystem/types@0.2.12";

/// Whether a symlink to `target` stays inside the directory it is made in.
pub fn target_stays_inside(target: &str) -> bool {
    !target.is_empty()
        && Path::new(target)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// Replaces `symlink-at` with one that refuses targets outside the grant.
/// Call after the WASI interfaces are linked.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let mut types = linker.instance(FILESYSTEM_TYPES)?;
    types.func_wrap(
        "[method]descriptor.symlink-at",
        |mut store: StoreContextMut<'_, HostState>,
         (fd, target, link): (Resource<Descriptor>, String, String)|
         -> wasmtime::Result<(Result<(), ErrorCode>,)> {
            if !target_stays_inside(&target) {
                tracing::warn!(
                    connector = %store.data().connector,
                    "refused a symlink whose target leaves the granted directory"
                );
                return Ok((Err(ErrorCode::NotPermitted),));
            }
            let mut fs = store.data_mut().filesystem();
            match HostDescriptor::symlink_at(&mut fs, fd, target, link) {
                Ok(()) => Ok((Ok(()),)),
                Err(e) => Ok((Err(Types::convert_error_code(&mut fs, e)?),)),
            }
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::target_stays_inside;

    #[test]
    fn targets_that_climb_or_are_absolute_are_refused() {
        assert!(target_stays_inside("file.txt"));
        assert!(target_stays_inside("sub/./file.txt"));
        for bad in ["..", "../x", "a/../../b", "/etc/passwd", ""] {
            assert!(!target_stays_inside(bad), "{bad}");
        }
    }
}
