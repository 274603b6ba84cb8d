//! The emulator's authentication of client input: the `Authorization` parsers of Tencent
//! (TC3-HMAC-SHA256) and Huawei (SDK-HMAC-SHA256), the `X-Sdk-Date` and ZStack `Date` parsers,
//! and the three request verifiers (`tencent::auth::verify`, `huawei::auth::verify` +
//! `check_scope`, `zstack::auth::authenticate`) on arbitrary methods, paths, queries, headers
//! and bodies, against the fixture credentials.
//!
//! Input: `<mode> <method> 0 <path> 0 <query> 0 <header lines> 0 <body>`.
//!
//! Properties: nothing panics; a parsed Authorization header, written out again, parses to the
//! same thing; a parsed ZStack date names one instant, or two for the ambiguous `CST`.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tether_emulator::huawei::auth as huawei_auth;
use tether_emulator::huawei::sign as huawei_sign;
use tether_emulator::state::World;
use tether_emulator::tencent::auth as tencent_auth;
use tether_emulator::tencent::sign as tencent_sign;
use tether_emulator::zstack::auth as zstack_auth;

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| tether_emulator::fixtures::seed_at(0))
}

/// 2024-01-15T02:00:00Z, the fixture's seed time; seeds sign with it.
const NOW: i64 = 1_705_284_000;

fn check_parsers(text: &str) {
    if let Some(auth) = tencent_sign::parse_authorization(text) {
        let written = format!(
            "TC3-HMAC-SHA256 Credential={}/{}/{}/tc3_request, SignedHeaders={}, Signature={}",
            auth.secret_id, auth.date, auth.service, auth.signed_headers_raw, auth.signature
        );
        assert_eq!(tencent_sign::parse_authorization(&written).as_ref(), Some(&auth), "TC3 {text:?} -> {written:?}");
    }
    if let Some(auth) = huawei_sign::parse_authorization(text) {
        let written = format!(
            "SDK-HMAC-SHA256 Access={}, SignedHeaders={}, Signature={}",
            auth.access_key,
            auth.signed_headers_line(),
            auth.signature
        );
        assert_eq!(huawei_sign::parse_authorization(&written).as_ref(), Some(&auth), "SDK {text:?} -> {written:?}");
    }
    let _ = huawei_auth::parse_sdk_date(text.trim());
    if let Some(instants) = zstack_auth::parse_date(text) {
        assert!(matches!(instants.len(), 1 | 2), "{text:?} means {instants:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let mut fields = tether_fuzz::Fields::new(data);
    let mode = fields.byte();
    let method = fields.text(0);
    let path = fields.text(0);
    let query = fields.text(0);
    let header_text = fields.text(0);
    let body = fields.rest();

    for line in header_text.split('\n') {
        check_parsers(line.split_once(':').map_or(line, |(_, value)| value));
    }
    let headers = tether_fuzz::header_lines(&header_text);
    let now = if mode & 1 == 0 { NOW } else { NOW + i64::from(mode) * 7 - 900 };
    let world = world();

    let request = tencent_auth::SignedRequest { method: &method, path: &path, query: &query, headers: &headers, body };
    let lookup = |id: &str| world.credentials.tencent.iter().find(|c| c.secret_id == id).cloned();
    let _ = tencent_auth::verify(&request, lookup, "organization", now);

    let request = huawei_auth::SignedRequest { method: &method, path: &path, query: &query, headers: &headers, body };
    let lookup = |ak: &str| world.credentials.huawei.iter().find(|c| c.access_key == ak).cloned();
    if let Ok(credential) = huawei_auth::verify(&request, lookup, now) {
        let _ = huawei_auth::check_scope(&headers, &credential);
    }

    let uri = huawei_sign::percent_decode_str(&path, false);
    let request = zstack_auth::SignedRequest { method: &method, uri: &uri, headers: &headers };
    let lookup = |id: &str| world.credentials.zstack.access_keys.iter().find(|k| k.access_key_id == id).cloned();
    let _ = zstack_auth::authenticate(&request, lookup, now);
});
