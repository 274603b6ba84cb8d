//! The persisted world: everything `--state FILE` saves and `GET /_emulator/state` shows.
//!
//! Each cloud owns the types of its own section (e.g. [`crate::tencent::model`]); this module only
//! assembles them and handles the file. Runtime-only things (call log, faults, rate-limit windows)
//! are deliberately not here: a restarted emulator starts with a clean log.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::huawei::model::{HuaweiCredential, HuaweiWorld};
use crate::tencent::model::{TencentCredential, TencentWorld};
use crate::zstack::model::{ZStackCredentials, ZStackWorld};

/// Bumped when the file layout changes incompatibly (2: the Huawei world; 3: the ZStack world).
pub const SCHEMA_VERSION: u32 = 3;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct World {
    pub schema: u32,
    /// The credentials each cloud accepts. Exposed on purpose (the emulator's keys are public
    /// fixtures), so tools can discover them from `GET /_emulator/state`.
    pub credentials: Credentials,
    pub tencent: TencentWorld,
    pub huawei: HuaweiWorld,
    pub zstack: ZStackWorld,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credentials {
    pub tencent: Vec<TencentCredential>,
    pub huawei: Vec<HuaweiCredential>,
    pub zstack: ZStackCredentials,
}

/// Reads a state file written by [`save`].
pub fn load(path: &Path) -> io::Result<World> {
    let text = fs::read_to_string(path)?;
    let world: World = serde_json::from_str(&text)
        .map_err(|err| io::Error::new(io::ErrorKind::InvalidData, format!("state file {}: {err}", path.display())))?;
    if world.schema != SCHEMA_VERSION {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "state file {} has schema {}, this emulator writes schema {SCHEMA_VERSION}; delete it to reseed",
                path.display(),
                world.schema
            ),
        ));
    }
    Ok(world)
}

/// Writes the world atomically: a temporary file in the same directory, synced, then renamed over
/// the target, so a crash never leaves a truncated state file behind.
///
/// The file holds credentials, so the temporary file is created by `tempfile`: a random name,
/// `O_EXCL` (a file or symlink planted at a predictable name cannot be followed or reused) and
/// mode 0600 from the start — the renamed state file keeps that mode, whatever the umask.
pub fn save(path: &Path, world: &World) -> io::Result<()> {
    let json = serde_json::to_vec_pretty(world).map_err(io::Error::other)?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(path.file_name().unwrap_or_default());
    prefix.push(".");
    let mut tmp = tempfile::Builder::new().prefix(&prefix).suffix(".tmp").tempfile_in(dir)?;
    #[cfg(unix)]
    {
        // tempfile creates 0600 already; say so explicitly, it is the point.
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    tmp.write_all(&json)?;
    tmp.write_all(b"\n")?;
    tmp.as_file().sync_all()?;
    // On failure the temporary file is removed when `tmp` drops.
    tmp.persist(path).map_err(|err| err.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_then_load_round_trips() {
        let dir = std::env::temp_dir().join(format!("tether-emulator-state-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.json");
        let world = crate::fixtures::seed();
        save(&path, &world).unwrap();
        assert_eq!(load(&path).unwrap(), world);
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn the_state_file_is_private_even_over_a_world_readable_one() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("tether-emulator-state-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.json");
        fs::write(&path, b"{}").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        save(&path, &crate::fixtures::seed()).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }
}
