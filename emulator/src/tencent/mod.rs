//! Tencent Cloud API 3.0 router (`POST /` or `GET /`, action in `X-TC-Action`).
//!
//! Pipeline for every request, each step answering in Tencent's envelope when it refuses:
//! authentication → API version → action name → per-action rate limit → injected faults →
//! parameters and the action itself. Every request is recorded in the audit log.

pub mod auth;
pub mod error;
pub mod model;
pub mod organization;
pub mod params;
pub mod sign;

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Emulator;
use crate::audit::Call;
use crate::conn;
use crate::faults::{FaultKind, FaultOutcome};
use crate::timefmt;
use error::{TcError, codes};
use organization::Action;
use params::Params;

pub const CLOUD: &str = "tencent";

/// What the pipeline decided for one request.
struct Outcome {
    result: Result<Map<String, Value>, TcError>,
    /// Close the connection instead of answering (drop faults).
    drop_connection: bool,
    fault: Option<FaultKind>,
}

impl Outcome {
    fn error(err: TcError) -> Self {
        Outcome { result: Err(err), drop_connection: false, fault: None }
    }
}

pub async fn handle(
    State(emu): State<Arc<Emulator>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    crate::conn::finish_even_if_client_leaves("tencent", serve_call(emu, method, uri, headers, body), || {
        envelope(
            Err(TcError::new(codes::INTERNAL_ERROR, "The emulator failed to process the request.")),
            Uuid::new_v4().to_string(),
        )
    })
    .await
}

async fn serve_call(emu: Arc<Emulator>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let request_id = Uuid::new_v4().to_string();
    let action = headers.get("x-tc-action").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let now = OffsetDateTime::now_utc();
    let query = uri.query().unwrap_or("");
    // The signature covers the raw query and body, so authentication comes before the
    // parameters are read: un-flattening a GET query can cost far more memory than the query
    // itself (bounded anyway, see `params`), and an unauthenticated caller gets none of it — its
    // query is logged flat.
    let authenticated = authenticate(&emu, &method, &uri, &headers, &body, now);
    let params = match &authenticated {
        Err(_) if method == Method::GET => Ok(params::flat_query(query)),
        _ => params::from_request(method.as_str(), query, &body),
    };
    let outcome = match authenticated {
        Ok(()) => process(&emu, &headers, action.as_deref(), &params, now).await,
        Err(err) => Outcome::error(err),
    };

    let error_code = match (&outcome.result, outcome.drop_connection) {
        (Err(err), _) => Some(err.code.clone()),
        // Never sent to the client; marks in the log that nothing was applied.
        (Ok(_), true) if outcome.fault == Some(FaultKind::DropBefore) => Some("ConnectionDropped".to_owned()),
        _ => None,
    };
    tracing::info!(
        cloud = CLOUD,
        action = action.as_deref().unwrap_or("-"),
        request_id,
        error = error_code.as_deref().unwrap_or("-"),
        "call"
    );
    emu.audit.record(Call {
        cloud: CLOUD,
        service: None,
        action,
        // The API parameters only (never headers); an unparsable body is logged as its text.
        params: params.unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned())),
        error_code,
        request_id: request_id.clone(),
        fault: outcome.fault.map(FaultKind::as_str),
    });

    if outcome.drop_connection {
        return conn::dropped_connection();
    }
    envelope(outcome.result, request_id)
}

/// Step 1: TC3-HMAC-SHA256 over the raw request.
fn authenticate(
    emu: &Emulator,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    now: OffsetDateTime,
) -> Result<(), TcError> {
    let request = auth::SignedRequest {
        method: method.as_str(),
        path: uri.path(),
        query: uri.query().unwrap_or(""),
        headers,
        body,
    };
    let lookup = |secret_id: &str| emu.world().credentials.tencent.iter().find(|c| c.secret_id == secret_id).cloned();
    auth::verify(&request, lookup, organization::SERVICE, now.unix_timestamp()).map(|_| ())
}

/// The steps after authentication.
async fn process(
    emu: &Emulator,
    headers: &HeaderMap,
    action: Option<&str>,
    params: &Result<Value, TcError>,
    now: OffsetDateTime,
) -> Outcome {
    let version = headers.get("x-tc-version").and_then(|v| v.to_str().ok()).unwrap_or("");
    if version != organization::VERSION {
        return Outcome::error(TcError::new(
            codes::NO_SUCH_VERSION,
            format!(
                "The API version `{version}` does not exist for service `{}`; use `{}`.",
                organization::SERVICE,
                organization::VERSION
            ),
        ));
    }
    let Some(action_name) = action.filter(|a| !a.is_empty()) else {
        return Outcome::error(TcError::missing("X-TC-Action"));
    };
    let Some(action) = Action::from_name(action_name) else {
        return Outcome::error(TcError::new(
            codes::INVALID_ACTION,
            format!("The action `{action_name}` is not found in service `{}`.", organization::SERVICE),
        ));
    };

    if let Err(exceeded) = emu.tencent_limiter.check(action.name(), Instant::now()) {
        return Outcome::error(TcError::rate_limited(exceeded.attempted, exceeded.limit));
    }

    let plan = emu.faults.plan(CLOUD, action.name(), false);
    if !plan.delay.is_zero() {
        tokio::time::sleep(plan.delay).await;
    }
    let mut outcome = Outcome { result: Ok(Map::new()), drop_connection: false, fault: plan.fired };
    match plan.outcome {
        Some(FaultOutcome::Error { code, message, .. }) => {
            outcome.result = Err(TcError::new(
                code.unwrap_or_else(|| codes::INTERNAL_ERROR.to_owned()),
                message.unwrap_or_else(|| "An internal error occurred (injected by tether-emulator).".to_owned()),
            ));
            return outcome;
        }
        Some(FaultOutcome::Throttle { code, message }) => {
            // Phrase it like the real limit even when the emulator runs unlimited.
            let limit = match emu.tencent_limiter.limit() {
                0 => crate::DEFAULT_TENCENT_RATE_LIMIT,
                limit => limit,
            };
            let mut err = TcError::rate_limited(limit + 1, limit);
            if let Some(code) = code {
                err.code = code;
            }
            if let Some(message) = message {
                err.message = message;
            }
            outcome.result = Err(err);
            return outcome;
        }
        Some(FaultOutcome::DropBefore) => {
            outcome.drop_connection = true;
            return outcome;
        }
        Some(FaultOutcome::DropAfter) => outcome.drop_connection = true,
        // No Tencent action starts a job and no Tencent call has a session, so the asynchronous
        // kinds and session_expire never match here.
        Some(FaultOutcome::AsyncFail { .. } | FaultOutcome::AsyncHang | FaultOutcome::SessionExpire) | None => {}
    }

    let time = timefmt::tencent_datetime(now);
    outcome.result = params.clone().and_then(Params::new).and_then(|params| {
        emu.mutate(|world| {
            let executed = organization::execute(action, &params, &mut world.tencent.organization, &time)?;
            Ok((executed.response, executed.mutated))
        })
    });
    outcome
}

/// `{"Response": {...fields, "RequestId"}}` or `{"Response": {"Error": {...}, "RequestId"}}`,
/// always HTTP 200 with `Content-Type: application/json` (the SDK only parses errors from
/// exactly that content type).
fn envelope(result: Result<Map<String, Value>, TcError>, request_id: String) -> Response {
    let mut response = match result {
        Ok(fields) => fields,
        Err(err) => {
            let mut fields = Map::new();
            fields.insert("Error".into(), serde_json::json!({ "Code": err.code, "Message": err.message }));
            fields
        }
    };
    response.insert("RequestId".into(), Value::String(request_id));
    Json(serde_json::json!({ "Response": response })).into_response()
}
