//! The unsigned admin API under `/_emulator/` (JSON in, JSON out):
//!
//! | method & path            | effect |
//! |--------------------------|--------|
//! | `GET calls[?cloud=&action=]` | the audit log, oldest first |
//! | `DELETE calls`           | empty the audit log |
//! | `GET state`              | the whole persisted world, credentials included |
//! | `POST reset`             | back to the seed fixture; clears calls, faults, rate-limit windows |
//! | `POST faults`            | add a fault (see [`crate::faults::FaultSpec`]); answers it with its id |
//! | `GET faults`             | list faults with remaining/fired counters |
//! | `DELETE faults[/{id}]`   | remove all faults, or one |

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde_json::json;

use crate::Emulator;
use crate::faults::FaultSpec;

pub fn router() -> Router<Arc<Emulator>> {
    Router::new()
        .route("/calls", get(list_calls).delete(clear_calls))
        .route("/state", get(show_state))
        .route("/reset", post(reset))
        .route(
            "/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/faults/{id}", delete(remove_fault))
}

#[derive(Debug, Deserialize)]
struct CallFilter {
    cloud: Option<String>,
    action: Option<String>,
}

async fn list_calls(
    State(emu): State<Arc<Emulator>>,
    Query(filter): Query<CallFilter>,
) -> Response {
    Json(
        emu.audit
            .list(filter.cloud.as_deref(), filter.action.as_deref()),
    )
    .into_response()
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
        Err(err) => admin_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("reset applied but saving state failed: {err}"),
        ),
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
    admin_error(
        StatusCode::NOT_FOUND,
        format!("tether-emulator does not emulate {method} {}", uri.path()),
    )
}

fn admin_error(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}
