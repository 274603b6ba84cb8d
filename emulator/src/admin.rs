//! The unsigned admin API under `/_emulator/` (JSON in, JSON out):
//!
//! | method & path            | effect |
//! |--------------------------|--------|
//! | `GET calls[?cloud=&action=]` | the audit log, oldest first (the last 10 000 calls) |
//! | `GET calls/stats`        | how many calls are held, the capacity, and how many were dropped |
//! | `DELETE calls`           | empty the audit log |
//! | `GET state`              | the whole persisted world, credentials included |
//! | `POST reset`             | back to the seed fixture; clears calls, faults, rate-limit windows |
//! | `POST faults`            | add a fault (see [`crate::faults::FaultSpec`]); answers it with its id |
//! | `GET faults`             | list faults with remaining/fired counters |
//! | `DELETE faults[/{id}]`   | remove all faults, or one |
//!
//! The admin API is unauthenticated and can wipe the world or make every call fail, so it only
//! answers requests that cannot come from a web page (see [`guard`]): a `Host` naming the address
//! the emulator is bound to (a DNS-rebinding page sends its own host name), no foreign `Origin` or
//! `Sec-Fetch-Site: cross-site`, and for writes a JSON content type or no body at all (an HTML
//! form or a `text/plain` fetch is a "simple" cross-site request that needs no CORS preflight).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde_json::json;

use crate::Emulator;
use crate::faults::FaultSpec;

pub fn router() -> Router<Arc<Emulator>> {
    Router::new()
        .route("/calls", get(list_calls).delete(clear_calls))
        .route("/calls/stats", get(call_stats))
        .route("/state", get(show_state))
        .route("/reset", post(reset))
        .route("/faults", get(list_faults).post(add_fault).delete(clear_faults))
        .route("/faults/{id}", delete(remove_fault))
        .layer(middleware::from_fn(guard))
}

/// The address the server socket is bound to, put in every request's extensions by
/// [`crate::serve`]. Without it (the router driven in-process, e.g. with `tower::oneshot`) the
/// guard accepts loopback host names on any port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundAddr(pub SocketAddr);

/// Refuses admin requests a browser could have been made to send (see the module docs):
/// 421 for a foreign `Host`, 403 for a cross-site `Origin` / `Sec-Fetch-Site`, 415 for a write
/// with a body that is not `application/json`.
async fn guard(request: Request, next: Next) -> Response {
    let bound = request.extensions().get::<BoundAddr>().map(|b| b.0);
    if let Err((status, message)) = check_admin_request(request.method(), request.headers(), bound) {
        return admin_error(status, message);
    }
    next.run(request).await
}

fn check_admin_request(
    method: &Method,
    headers: &HeaderMap,
    bound: Option<SocketAddr>,
) -> Result<(), (StatusCode, String)> {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    if !host_allowed(host, bound) {
        return Err((
            StatusCode::MISDIRECTED_REQUEST,
            format!(
                "the admin API answers only requests for the address the emulator is bound to (Host {}), not Host {host:?}",
                bound.map_or("127.0.0.1:<port>".to_owned(), |b| b.to_string())
            ),
        ));
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        // An Origin is only sent by browsers; accept the emulator's own pages' (there are none,
        // but a developer may open the admin API from the address bar and use dev tools).
        let own = origin.to_str().ok().and_then(|o| o.strip_prefix("http://")).is_some_and(|o| host_allowed(o, bound));
        if !own {
            return Err((StatusCode::FORBIDDEN, "the admin API refuses cross-origin requests".to_owned()));
        }
    }
    if headers.get("sec-fetch-site").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site")) {
        return Err((StatusCode::FORBIDDEN, "the admin API refuses cross-site requests".to_owned()));
    }
    if !matches!(*method, Method::GET | Method::HEAD) {
        let content_type = headers.get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap_or("<not text>"));
        let has_body = headers.get(header::CONTENT_LENGTH).is_some_and(|len| len.as_bytes() != b"0")
            || headers.contains_key(header::TRANSFER_ENCODING);
        match content_type {
            Some(value) if is_json(value) => {}
            None if !has_body => {}
            other => {
                return Err((
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!(
                        "admin writes take Content-Type: application/json (or no body), not {}",
                        other.map_or("a body without Content-Type".to_owned(), |v| format!("{v:?}"))
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// `application/json`, with parameters (`; charset=utf-8`) allowed, case-insensitively.
fn is_json(content_type: &str) -> bool {
    content_type.split(';').next().is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// `localhost`, a loopback address or the bound address — an IP literal or `localhost`, never
/// another name, which is what a DNS-rebinding page would send — with the bound port.
fn host_allowed(host: &str, bound: Option<SocketAddr>) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        // `[::1]:8080`, `127.0.0.1:8080`, `localhost:8080`; an IPv6 literal needs brackets.
        Some((name, port)) if !name.is_empty() && !port.contains(']') => match port.parse::<u16>() {
            Ok(port) => (name, Some(port)),
            Err(_) => return false,
        },
        _ => (host, None),
    };
    let port = port.unwrap_or(80);
    if bound.is_some_and(|b| b.port() != port) {
        return false;
    }
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let Ok(ip) = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')).unwrap_or(name).parse::<IpAddr>() else {
        return false;
    };
    match bound.map(|b| b.ip()) {
        // Bound to all interfaces (`--allow-remote`): any address of this machine may be used.
        Some(bound_ip) if bound_ip.is_unspecified() => true,
        Some(bound_ip) => ip.is_loopback() || ip == bound_ip,
        None => ip.is_loopback(),
    }
}

#[derive(Debug, Deserialize)]
struct CallFilter {
    cloud: Option<String>,
    action: Option<String>,
}

async fn list_calls(State(emu): State<Arc<Emulator>>, Query(filter): Query<CallFilter>) -> Response {
    Json(emu.audit.list(filter.cloud.as_deref(), filter.action.as_deref())).into_response()
}

async fn call_stats(State(emu): State<Arc<Emulator>>) -> Response {
    Json(emu.audit.stats()).into_response()
}

async fn clear_calls(State(emu): State<Arc<Emulator>>) -> Response {
    Json(json!({ "deleted": emu.audit.clear() })).into_response()
}

async fn show_state(State(emu): State<Arc<Emulator>>) -> Response {
    emu.settle_jobs();
    let world = emu.world().clone();
    Json(world).into_response()
}

async fn reset(State(emu): State<Arc<Emulator>>) -> Response {
    match emu.reset() {
        Ok(()) => Json(json!({ "reset": true })).into_response(),
        Err(err) => {
            admin_error(StatusCode::INTERNAL_SERVER_ERROR, format!("reset applied but saving state failed: {err}"))
        }
    }
}

async fn add_fault(State(emu): State<Arc<Emulator>>, body: Bytes) -> Response {
    // Parsed by hand (not the Json extractor) so that every rejection is a JSON error body.
    let spec: FaultSpec = match serde_json::from_slice(&body) {
        Ok(spec) => spec,
        Err(err) => return admin_error(StatusCode::BAD_REQUEST, format!("invalid fault: {err}")),
    };
    match emu.faults.add(spec) {
        Ok(fault) => (StatusCode::CREATED, Json(fault)).into_response(),
        Err(message) => admin_error(StatusCode::BAD_REQUEST, format!("invalid fault: {message}")),
    }
}

async fn list_faults(State(emu): State<Arc<Emulator>>) -> Response {
    Json(emu.faults.list()).into_response()
}

async fn clear_faults(State(emu): State<Arc<Emulator>>) -> Response {
    Json(json!({ "deleted": emu.faults.clear() })).into_response()
}

async fn remove_fault(State(emu): State<Arc<Emulator>>, Path(id): Path<String>) -> Response {
    if emu.faults.remove(&id) {
        Json(json!({ "deleted": 1 })).into_response()
    } else {
        admin_error(StatusCode::NOT_FOUND, format!("no fault with id {id:?}"))
    }
}

/// Anything no cloud router claims: a JSON 404 that says so, to make a wrong endpoint obvious.
pub async fn not_emulated(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    admin_error(StatusCode::NOT_FOUND, format!("tether-emulator does not emulate {method} {}", uri.path()))
}

fn admin_error(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> Option<SocketAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn hosts() {
        let bound = addr("127.0.0.1:4000");
        for ok in ["127.0.0.1:4000", "localhost:4000", "LOCALHOST:4000", "[::1]:4000", "127.0.0.2:4000"] {
            assert!(host_allowed(ok, bound), "{ok}");
        }
        for bad in [
            "evil.example:4000",
            "127.0.0.1:4001",
            "127.0.0.1",
            "localhost",
            "",
            "127.0.0.1:x",
            "10.0.0.1:4000",
            "127.0.0.1.nip.io:4000",
        ] {
            assert!(!host_allowed(bad, bound), "{bad}");
        }
        assert!(host_allowed("127.0.0.1:1234", None));
        assert!(!host_allowed("evil.example:1234", None));
        let all = addr("0.0.0.0:4000");
        assert!(host_allowed("192.0.2.7:4000", all));
        assert!(!host_allowed("evil.example:4000", all));
        assert!(host_allowed("192.0.2.7:4000", addr("192.0.2.7:4000")));
        assert!(host_allowed("localhost:80", addr("127.0.0.1:80")));
    }

    #[test]
    fn content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/x-www-form-urlencoded"));
        assert!(!is_json("application/jsonp"));
    }
}
