//! The persisted world: everything `--state FILE` saves and `GET /_emulator/state` shows.
//!
//! Each cloud owns the types of its own section (e.g. [`crate::tencent::model`]); this module only
//! assembles them and handles the file. Runtime-only things (call log, faults, rate-limit windows)
//! are deliberately not here: a restarted emulator starts with a clean log.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

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
    let world: World = serde_json::from_str(&text).map_err(|err| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("state file {}: {err}", path.display()),
        )
    })?;
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
pub fn save(path: &Path, world: &World) -> io::Result<()> {
    let json = serde_json::to_vec_pretty(world).map_err(io::Error::other)?;
    let tmp = temp_path(path);
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(&json)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(format!(".tmp-{}", std::process::id()));
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_then_load_round_trips() {
        let dir =
            std::env::temp_dir().join(format!("tether-emulator-state-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.json");
        let world = crate::fixtures::seed();
        save(&path, &world).unwrap();
        assert_eq!(load(&path).unwrap(), world);
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }
}
