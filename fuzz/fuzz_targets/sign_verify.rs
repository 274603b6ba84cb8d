//! The provider's request signers against the emulator's verifiers, on arbitrary requests of the
//! shape each provider client sends: Tencent TC3 (`POST /`, any host, action, content type,
//! body, timestamp, permanent or temporary key), Huawei SDK-HMAC-SHA256 (any method, path
//! segments, query pairs, extra headers, body, date, permanent or temporary key) and ZStack
//! AccessKey signatures (any method, path under `/zstack`, date).
//!
//! Paths and queries are built the way the clients build them, through `url` (path segments
//! and query pairs are percent-encoded UTF-8), so the property is about what the provider can
//! really send.
//!
//! Property: whatever the provider signs, the emulator accepts, as the same credential.
#![no_main]

use std::sync::OnceLock;

use axum::http::{HeaderName, HeaderValue, Method};
use libfuzzer_sys::fuzz_target;
use tether::clouds::huawei::sign::SdkSigner;
use tether::clouds::tencent::sign::{SignedHeaders, Tc3Signer};
use tether::clouds::zstack::auth::AccessKeySigner;
use tether::clouds::{Secret, SignableRequest};
use tether_emulator::state::World;
use tether_emulator::{huawei, tencent, zstack};
use tether_fuzz::Fields;
use time::OffsetDateTime;
use url::Url;

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| tether_emulator::fixtures::seed_at(0))
}

/// 2024-01-15T02:00:00Z, the fixture's seed time.
const NOW: i64 = 1_705_284_000;
const METHODS: [Method; 5] = [Method::GET, Method::POST, Method::PUT, Method::DELETE, Method::PATCH];

/// `base` with the `/`-separated `segments` appended as path segments.
fn with_segments(base: &str, segments: &str) -> Option<Url> {
    let mut url = Url::parse(base).ok()?;
    if !segments.is_empty() {
        url.path_segments_mut().ok()?.extend(segments.split('/'));
    }
    Some(url)
}

/// `k=v&k=v` text as query pairs, encoded the way the clients encode them.
fn with_query(url: &mut Url, pairs: &str) {
    if pairs.is_empty() {
        return;
    }
    let mut query = url.query_pairs_mut();
    for pair in pairs.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        query.append_pair(key, value);
    }
}

fn tencent(fields: &mut Fields<'_>, flags: u8) {
    let world = world();
    let credential = &world.credentials.tencent[usize::from(flags >> 1) % world.credentials.tencent.len()];
    let host = fields.text(0);
    let action = fields.text(0);
    let content_type = fields.text(0);
    let timestamp = NOW + i64::from(fields.byte()) - 128;
    let Ok(url) = Url::parse(&format!("http://{host}/")) else {
        return;
    };
    if url.path() != "/" || url.query().is_some() || url.host_str().is_none() {
        return;
    }
    let (Ok(action), Ok(content_type)) = (HeaderValue::from_str(&action), HeaderValue::from_str(&content_type)) else {
        return;
    };
    let mut request = SignableRequest::new(Method::POST, url);
    request.headers.insert("x-tc-action", action);
    request.headers.insert("content-type", content_type);
    request.body = fields.rest().to_vec();
    let signer = Tc3Signer {
        secret_id: credential.secret_id.clone(),
        secret_key: Secret::new(credential.secret_key.clone()),
        security_token: credential.token.clone().map(Secret::new),
        service: tencent::organization::SERVICE.to_string(),
        signed_headers: if flags & 0x10 == 0 {
            SignedHeaders::ContentTypeHostAction
        } else {
            SignedHeaders::ContentTypeHost
        },
    };
    if signer.sign_at(&mut request, timestamp).is_err() {
        return;
    }
    let signed = tencent::auth::SignedRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &request.headers,
        body: &request.body,
    };
    let lookup = |id: &str| world.credentials.tencent.iter().find(|c| c.secret_id == id).cloned();
    match tencent::auth::verify(&signed, lookup, tencent::organization::SERVICE, timestamp) {
        Ok(verified) => assert_eq!(verified.secret_id, credential.secret_id),
        Err(e) => {
            panic!("the emulator refuses a TC3 request the provider signed: {e:?}\n{request:?}")
        }
    }
}

fn huawei(fields: &mut Fields<'_>, flags: u8) {
    let world = world();
    let credential = &world.credentials.huawei[usize::from(flags >> 1) % world.credentials.huawei.len()];
    let method = METHODS[usize::from(fields.byte()) % METHODS.len()].clone();
    let host = ["organizations.myhuaweicloud.com", "127.0.0.1:8080", "rgc.cn-north-4.myhuaweicloud.com"]
        [usize::from(flags >> 5) % 3];
    let Some(mut url) = with_segments(&format!("http://{host}/"), &fields.text(0)) else {
        return;
    };
    with_query(&mut url, &fields.text(0));
    let mut request = SignableRequest::new(method, url);
    for line in fields.text(0).split('\n') {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.trim().as_bytes()), HeaderValue::from_str(value))
        else {
            continue;
        };
        // The clients set this one only to ask for an unsigned payload.
        if name != "x-sdk-content-sha256" {
            request.headers.insert(name, value);
        }
    }
    if flags & 0x10 != 0 {
        request.headers.insert("x-sdk-content-sha256", HeaderValue::from_static("UNSIGNED-PAYLOAD"));
    }
    let at = NOW + i64::from(fields.byte()) - 128;
    request.body = fields.rest().to_vec();
    let signer = SdkSigner {
        access_key: credential.access_key.clone(),
        secret_key: Secret::new(credential.secret_key.clone()),
        security_token: credential.security_token.clone().map(Secret::new),
    };
    let Ok(at_time) = OffsetDateTime::from_unix_timestamp(at) else {
        return;
    };
    if signer.sign_at(&mut request, at_time).is_err() {
        return;
    }
    let signed = huawei::auth::SignedRequest {
        method: request.method.as_str(),
        path: request.url.path(),
        query: request.url.query().unwrap_or(""),
        headers: &request.headers,
        body: &request.body,
    };
    let lookup = |ak: &str| world.credentials.huawei.iter().find(|c| c.access_key == ak).cloned();
    match huawei::auth::verify(&signed, lookup, at) {
        Ok(verified) => assert_eq!(verified.access_key, credential.access_key),
        Err(e) => panic!("the emulator refuses an SDK-HMAC-SHA256 request the provider signed: {e:?}\n{request:?}"),
    }
}

fn zstack(fields: &mut Fields<'_>) {
    let world = world();
    let key = world.credentials.zstack.access_keys.iter().find(|k| k.is_enabled()).expect("an enabled key");
    let method = METHODS[usize::from(fields.byte()) % METHODS.len()].clone();
    // Any path: the provider signs the decoded path, which is what ZStack's RestServer verifies
    // (`getDecodedUrl`), as the emulator does.
    let segments = fields.text(0);
    let Some(mut url) = with_segments("http://127.0.0.1:8080/zstack", &segments) else {
        return;
    };
    with_query(&mut url, &fields.text(0));
    // Any instant from 1970 to 9999: the date header must parse back to it.
    let at = i64::from(u32::from_le_bytes([fields.byte(), fields.byte(), fields.byte(), fields.byte()])) * 59;
    let Ok(at_time) = OffsetDateTime::from_unix_timestamp(at) else {
        return;
    };
    let mut request = SignableRequest::new(method, url);
    let signer = AccessKeySigner::new(key.access_key_id.clone(), Secret::new(key.access_key_secret.clone()), "/zstack");
    if signer.sign_at(&mut request, at_time).is_err() {
        return;
    }
    let date = request.headers.get("date").and_then(|d| d.to_str().ok()).expect("a Date header");
    assert_eq!(zstack::auth::parse_date(date), Some(vec![at]), "the emulator reads {date:?} as another instant");
    // The emulator authenticates only requests it routes, which are all below `/zstack/`.
    let path = request.url.path();
    if !path.starts_with("/zstack/") {
        return;
    }
    let uri = huawei::sign::percent_decode_str(path.strip_prefix("/zstack").unwrap_or(path), false);
    let signed = zstack::auth::SignedRequest { method: request.method.as_str(), uri: &uri, headers: &request.headers };
    let lookup = |id: &str| world.credentials.zstack.access_keys.iter().find(|k| k.access_key_id == id).cloned();
    match zstack::auth::authenticate(&signed, lookup, at) {
        Ok(zstack::auth::AuthHeader::AccessKey { access_key_id, .. }) => {
            assert_eq!(access_key_id, key.access_key_id)
        }
        other => panic!("the emulator refuses a ZStack AccessKey request the provider signed: {other:?}\n{request:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut fields = Fields::new(data);
    let flags = fields.byte();
    match flags % 3 {
        0 => tencent(&mut fields, flags),
        1 => huawei(&mut fields, flags),
        _ => zstack(&mut fields),
    }
});
