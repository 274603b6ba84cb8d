//! The emulator's request routers: `huawei::routes::route` and `zstack::routes::route` (method +
//! raw path → API and decoded path parameters), which run on every request before it is
//! authenticated.
//!
//! Properties: routing never panics; it only depends on the decoded path segments, so a path
//! whose segments are decoded and re-encoded routes the same way; path parameters are never
//! empty; a ZStack match is on the method the API allows, and a 405 names a method that does
//! match.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tether_emulator::huawei::routes as huawei;
use tether_emulator::huawei::sign::{percent_decode, uri_encode};
use tether_emulator::zstack::routes::{self as zstack, NoRoute};

const METHODS: [&str; 8] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "get"];

/// The path with each `/`-separated segment decoded and re-encoded (RFC 3986).
fn reencoded(path: &str) -> String {
    path.split('/').map(|segment| uri_encode(&percent_decode(segment, false))).collect::<Vec<_>>().join("/")
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let method = METHODS[usize::from(selector) % METHODS.len()];
    let path = String::from_utf8_lossy(rest);
    let normal = reencoded(&path);

    let route = huawei::route(method, &path);
    assert_eq!(huawei::route(method, &normal), route, "Huawei: {path:?} and {normal:?} route differently");
    if let Some(route) = &route {
        for (name, value) in &route.path_params {
            assert!(!value.is_empty(), "Huawei: empty path parameter {name} for {path:?}");
            assert_eq!(route.param(name), value);
        }
    }

    let route = zstack::route(method, &path);
    assert_eq!(zstack::route(method, &normal), route, "ZStack: {path:?} and {normal:?} route differently");
    match &route {
        Ok(route) => {
            for (name, value) in &route.path_params {
                assert!(!value.is_empty(), "ZStack: empty path parameter {name} for {path:?}");
                assert_eq!(route.param(name), Some(value.as_str()));
            }
            assert!(route.loggable_params().all(|(name, _)| *name != "sessionUuid"), "a session uuid would be logged");
        }
        Err(NoRoute::MethodNotAllowed { allowed }) => {
            assert_ne!(method, *allowed);
            assert!(
                zstack::route(allowed, &path).is_ok(),
                "ZStack: 405 for {path:?} names {allowed}, which does not match either"
            );
        }
        Err(NoRoute::NotFound) => {}
    }
});
