//! The go-plugin environment contract and the handshake line Terraform reads from stdout.

use std::io::Write;

use base64::Engine;

use super::Address;

pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// go-plugin's core protocol version; Terraform refuses anything else.
const CORE_PROTOCOL_VERSION: u32 = 1;

/// What Terraform (go-plugin's client) told us through the environment.
#[derive(Debug, Clone, Default)]
pub struct PluginEnv {
    pub magic_cookie: Option<String>,
    pub protocol_versions: Option<String>,
    pub client_cert_pem: Option<String>,
    pub min_port: u16,
    pub max_port: u16,
    pub unix_socket_dir: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum HandshakeError {
    #[error("not started by Terraform (the {MAGIC_COOKIE_KEY} environment variable is missing or wrong)")]
    NotAPluginLaunch,
    #[error(
        "Terraform offered plugin protocol versions {offered:?}, but this provider speaks only version {wanted}; use Terraform 1.0 or later or OpenTofu 1.10 or later"
    )]
    NoCommonProtocol { offered: String, wanted: u32 },
}

impl PluginEnv {
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let port = |name: &str, default: u16| var(name).and_then(|v| v.parse().ok()).unwrap_or(default);
        PluginEnv {
            magic_cookie: var(MAGIC_COOKIE_KEY),
            protocol_versions: var("PLUGIN_PROTOCOL_VERSIONS"),
            client_cert_pem: var("PLUGIN_CLIENT_CERT"),
            min_port: port("PLUGIN_MIN_PORT", 10000),
            max_port: port("PLUGIN_MAX_PORT", 25000),
            unix_socket_dir: var("PLUGIN_UNIX_SOCKET_DIR"),
        }
    }

    pub fn check_magic_cookie(&self) -> Result<(), HandshakeError> {
        match self.magic_cookie.as_deref() {
            Some(MAGIC_COOKIE_VALUE) => Ok(()),
            _ => Err(HandshakeError::NotAPluginLaunch),
        }
    }

    /// Picks `wanted` if the client offers it (go-plugin negotiates the highest common version;
    /// we serve exactly one). No list at all means the client's default, which is ours.
    pub fn negotiate(&self, wanted: u32) -> Result<u32, HandshakeError> {
        let Some(offered) = self.protocol_versions.as_deref() else {
            return Ok(wanted);
        };
        let supported = offered.split(',').filter_map(|v| v.trim().parse::<u32>().ok()).any(|v| v == wanted);
        if supported {
            Ok(wanted)
        } else {
            Err(HandshakeError::NoCommonProtocol { offered: offered.to_string(), wanted })
        }
    }
}

/// `CORE|APP|NETWORK|ADDR|grpc|CERT`: six fields, the certificate as unpadded standard base64 DER
/// (go-plugin decodes with RawStdEncoding and rejects padding).
pub fn handshake_line(app_version: u32, address: &Address, cert_der: &[u8]) -> String {
    let cert = base64::engine::general_purpose::STANDARD_NO_PAD.encode(cert_der);
    format!("{CORE_PROTOCOL_VERSION}|{app_version}|{}|{}|grpc|{cert}", address.network, address.address)
}

/// Terraform reads only the first stdout line, so it must be written whole and flushed at once.
pub fn announce_line(line: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(format!("{line}\n").as_bytes())?;
    stdout.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_with_versions(v: Option<&str>) -> PluginEnv {
        PluginEnv { protocol_versions: v.map(str::to_string), ..Default::default() }
    }

    #[test]
    fn negotiates_version_six_in_any_order() {
        assert_eq!(env_with_versions(Some("5,6")).negotiate(6), Ok(6));
        assert_eq!(env_with_versions(Some("6,5")).negotiate(6), Ok(6));
        assert_eq!(env_with_versions(None).negotiate(6), Ok(6));
        assert!(matches!(env_with_versions(Some("4,5")).negotiate(6), Err(HandshakeError::NoCommonProtocol { .. })));
    }

    #[test]
    fn magic_cookie_must_match_exactly() {
        let mut env = PluginEnv::default();
        assert_eq!(env.check_magic_cookie(), Err(HandshakeError::NotAPluginLaunch));
        env.magic_cookie = Some("nope".into());
        assert_eq!(env.check_magic_cookie(), Err(HandshakeError::NotAPluginLaunch));
        env.magic_cookie = Some(MAGIC_COOKIE_VALUE.into());
        assert_eq!(env.check_magic_cookie(), Ok(()));
    }

    #[test]
    fn handshake_line_has_six_fields_and_unpadded_base64() {
        let address = Address { network: "unix", address: "/tmp/plugin1".into() };
        // 4 bytes encode to 6 base64 characters plus "==" padding with the padded alphabet.
        let line = handshake_line(6, &address, &[0xfb, 0xff, 0x00, 0x01]);
        assert_eq!(line, "1|6|unix|/tmp/plugin1|grpc|+/8AAQ");
        assert_eq!(line.split('|').count(), 6);
    }
}
