//! The data folder holds every case (SQLite) and every photo: it is created readable by its
//! owner only (0700), and HQ refuses to use one that other users may write to, since whoever
//! can write there can replace the database or a photo under HQ.

use std::path::Path;

use crate::error::{Error, Result};

/// Creates the folder (and missing parents) as 0700, or checks an existing one: refused when
/// its group or others may write to it.
#[cfg(unix)]
pub fn prepare(folder: &Path) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    if !folder.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(folder)?;
    }
    let mode = std::fs::metadata(folder)?.permissions().mode() & 0o777;
    if mode & 0o022 != 0 {
        return Err(Error::UnsafeDataFolder(format!(
            "the data folder {} may be written by other users (mode {mode:o}); \
             run `chmod 700 {}` and start again",
            folder.display(),
            folder.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn prepare(folder: &Path) -> Result<()> {
    std::fs::create_dir_all(folder)?;
    Ok(())
}

/// Creates `folder` inside the data folder as 0700, or narrows an existing one to that.
#[cfg(unix)]
pub fn private_folder(folder: &Path) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(folder)?;
    let permissions = std::fs::metadata(folder)?.permissions();
    if permissions.mode() & 0o077 != 0 {
        std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn private_folder(folder: &Path) -> Result<()> {
    std::fs::create_dir_all(folder)?;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::expect_used)]

    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn a_new_folder_is_owner_only_and_a_shared_one_is_refused() {
        let base = tempfile::tempdir().expect("a temporary folder");
        let fresh = base.path().join("a/b");
        prepare(&fresh).expect("created");
        assert_eq!(mode(&fresh), 0o700);

        let shared = base.path().join("shared");
        std::fs::create_dir(&shared).expect("created");
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        let refused = prepare(&shared).expect_err("refused");
        assert!(matches!(refused, Error::UnsafeDataFolder(_)), "{refused}");
        assert!(refused.to_string().contains("chmod 700"), "{refused}");

        // Readable by others but not writable: allowed (an operator's choice).
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        prepare(&shared).expect("allowed");

        let inner = shared.join("blobs");
        std::fs::create_dir(&inner).expect("created");
        std::fs::set_permissions(&inner, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        private_folder(&inner).expect("narrowed");
        assert_eq!(mode(&inner), 0o700);
    }
}
