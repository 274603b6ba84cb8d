//! ZStack uuids: checking the ones a caller names, and making the `X-Job-UUID` of a submission.

use super::error::invalid;
use crate::clouds::error::CloudError;

/// Checks a ZStack uuid (32 hex digits, no dashes) and returns it in lower case.
pub fn normalize_uuid(action: &str, what: &str, value: &str) -> Result<String, CloudError> {
    if value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(value.to_ascii_lowercase());
    }
    let hint = if value.len() == 36 && value.contains('-') { " (ZStack uuids have no dashes)" } else { "" };
    Err(invalid(action, format!("{what} must be a ZStack uuid of 32 hexadecimal digits, got {value:?}{hint}")))
}

/// A fresh random (version 4) uuid without dashes, for `X-Job-UUID`.
pub fn new_job_uuid() -> String {
    let mut bits: u128 = rand::random();
    bits = (bits & !(0xf << 76)) | (0x4 << 76);
    bits = (bits & !(0x3 << 62)) | (0x2 << 62);
    format!("{bits:032x}")
}

pub(super) fn is_job_uuid(value: &str) -> bool {
    !value.is_empty() && value.len() <= 64 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clouds::error::ErrorKind;
    use crate::clouds::zstack::test_support::PROJECT;

    #[test]
    fn uuids_and_job_uuids() {
        assert_eq!(normalize_uuid("A", "project_uuid", "6A1F0C2B3D4E4F5A8B9C0D1E2F3A4B01").unwrap(), PROJECT);
        assert_eq!(normalize_uuid("A", "p", PROJECT).unwrap(), PROJECT);
        for bad in [
            "",
            "6a1f0c2b-3d4e-4f5a-8b9c-0d1e2f3a4b01",
            "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b0",
            "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b0g",
            " 6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01",
            "../../accounts/login/aaaaaaaaaaaaa",
        ] {
            let e = normalize_uuid("A", "project_uuid", bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Invalid, "{bad}");
            assert!(e.message.contains("project_uuid"), "{e}");
        }
        assert!(
            normalize_uuid("A", "p", "6a1f0c2b-3d4e-4f5a-8b9c-0d1e2f3a4b01").unwrap_err().message.contains("no dashes")
        );
        let a = new_job_uuid();
        let b = new_job_uuid();
        assert_ne!(a, b);
        for u in [&a, &b] {
            assert_eq!(u.len(), 32);
            assert!(u.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
            assert_eq!(&u[12..13], "4", "{u}");
            assert!(matches!(&u[16..17], "8" | "9" | "a" | "b"), "{u}");
        }
    }
}
