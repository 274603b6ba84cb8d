//! Huawei Cloud router: Organizations (`/v1/organizations…`, `/v1/received-handshakes…`), RGC
//! (`/v1/managed-organization…`), IAM Identity Center (`/v1/instances…`) and the two IAM lookups
//! (`/v3/auth/domains`, `/v3/projects`), all on the emulator's one port.
//!
//! Pipeline for every request, each step answering in Huawei's error envelope
//! (`{"error_code","error_msg","request_id"}` with an HTTP status) when it refuses:
//! API match (`APIGW.0101`) → AK/SK authentication and scope headers (401 `APIGW.0301`) →
//! per-AK rate limit (429 `APIG.0308`) → injected faults → body → due jobs settled → the action.
//! Every request is recorded in the audit log, and every answer carries `X-Request-Id`.

pub mod auth;
pub mod error;
pub mod iam;
pub mod identitycenter;
pub mod jobs;
pub mod model;
pub mod organizations;
pub mod request;
pub mod rgc;
pub mod routes;
pub mod sign;

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Emulator;
use crate::audit::Call;
use crate::conn;
use crate::faults::{FaultKind, FaultOutcome};
use crate::timefmt;
use error::HwError;
use model::{HuaweiWorld, JobFault};
use request::{Ctx, Executed};
use routes::{Route, Service};

pub const CLOUD: &str = "huawei";

/// An injected `throttle` fault quotes this limit when the emulator runs without one.
pub const NOMINAL_RATE_LIMIT: u32 = 20;

/// What the pipeline decided for one request.
struct Outcome {
    result: Result<Executed, HwError>,
    /// Close the connection instead of answering (drop faults).
    drop_connection: bool,
    fault: Option<FaultKind>,
}

impl Outcome {
    fn error(err: HwError) -> Self {
        Outcome { result: Err(err), drop_connection: false, fault: None }
    }
}

/// The parsed parts of a request that every step needs.
struct Incoming<'a> {
    method: &'a Method,
    uri: &'a Uri,
    headers: &'a HeaderMap,
    body: &'a [u8],
    route: Option<&'a Route>,
    query: &'a [(String, String)],
    json: &'a Result<Map<String, Value>, String>,
}

pub async fn handle(
    State(emu): State<Arc<Emulator>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    crate::conn::finish_even_if_client_leaves("huawei", serve_call(emu, method, uri, headers, body), || {
        respond(
            Err(HwError::new(500, "APIGW.0201", "The emulator failed to process the request.")),
            &Uuid::new_v4().simple().to_string(),
        )
    })
    .await
}

async fn serve_call(emu: Arc<Emulator>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let request_id = Uuid::new_v4().simple().to_string();
    let route = routes::route(method.as_str(), uri.path());
    let query = sign::query_pairs(uri.query().unwrap_or(""));
    let json = parse_body(&body);
    let incoming = Incoming {
        method: &method,
        uri: &uri,
        headers: &headers,
        body: &body,
        route: route.as_ref(),
        query: &query,
        json: &json,
    };
    let outcome = process(&emu, &incoming).await;

    let error_code = match (&outcome.result, outcome.drop_connection) {
        (Err(err), _) => Some(err.code.clone()),
        // Never sent to the client; marks in the log that nothing was applied.
        (Ok(_), true) if outcome.fault == Some(FaultKind::DropBefore) => Some("ConnectionDropped".to_owned()),
        _ => None,
    };
    let action = route.as_ref().map(|r| r.action.name());
    tracing::info!(
        cloud = CLOUD,
        action = action.unwrap_or("-"),
        request_id,
        error = error_code.as_deref().unwrap_or("-"),
        "call"
    );
    emu.audit.record(Call {
        cloud: CLOUD,
        service: route.as_ref().map(|r| r.action.service().name()),
        action: action.map(str::to_owned),
        params: audit_params(route.as_ref(), &query, &json, &body),
        error_code,
        request_id: request_id.clone(),
        fault: outcome.fault.map(FaultKind::as_str),
    });

    if outcome.drop_connection {
        return conn::dropped_connection();
    }
    respond(outcome.result, &request_id)
}

async fn process(emu: &Emulator, incoming: &Incoming<'_>) -> Outcome {
    // Like the API gateway, an unknown API is reported before authentication.
    let Some(route) = incoming.route else {
        return Outcome::error(HwError::api_not_found());
    };
    let now = OffsetDateTime::now_utc();
    let signed = auth::SignedRequest {
        method: incoming.method.as_str(),
        path: incoming.uri.path(),
        query: incoming.uri.query().unwrap_or(""),
        headers: incoming.headers,
        body: incoming.body,
    };
    let lookup = |ak: &str| emu.world().credentials.huawei.iter().find(|c| c.access_key == ak).cloned();
    let credential = match auth::verify(&signed, lookup, now.unix_timestamp())
        .and_then(|c| auth::check_scope(incoming.headers, &c).map(|()| c))
    {
        Ok(credential) => credential,
        Err(err) => return Outcome::error(err),
    };

    if let Err(exceeded) = emu.huawei_limiter.check(&credential.access_key, Instant::now()) {
        return Outcome::error(HwError::throttled(exceeded.limit));
    }

    let action = route.action;
    let plan = emu.faults.plan(CLOUD, action.name(), action.starts_job());
    if !plan.delay.is_zero() {
        tokio::time::sleep(plan.delay).await;
    }
    let mut outcome = Outcome { result: Err(HwError::api_not_found()), drop_connection: false, fault: plan.fired };
    let mut job_fault = None;
    match plan.outcome {
        Some(FaultOutcome::Error { status, code, message }) => {
            outcome.result = Err(HwError::new(
                status.unwrap_or(500),
                code.unwrap_or_else(|| format!("{}.500", action.service().code_prefix())),
                message.unwrap_or_else(|| "An internal error occurred (injected by tether-emulator).".to_owned()),
            ));
            return outcome;
        }
        Some(FaultOutcome::Throttle { code, message }) => {
            let limit = match emu.huawei_limiter.limit() {
                0 => NOMINAL_RATE_LIMIT,
                limit => limit,
            };
            let mut err = HwError::throttled(limit);
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
        Some(FaultOutcome::AsyncFail { message, .. }) => {
            job_fault = Some(JobFault::Fail {
                message: message.unwrap_or_else(|| "The operation failed (injected by tether-emulator).".to_owned()),
            });
        }
        Some(FaultOutcome::AsyncHang) => job_fault = Some(JobFault::Hang),
        // Huawei calls carry no session, so session_expire never matches here.
        Some(FaultOutcome::SessionExpire) | None => {}
    }

    let body = match incoming.json {
        Ok(body) => body,
        Err(why) => {
            outcome.result = Err(HwError::new(
                400,
                format!("{}.400", action.service().code_prefix()),
                format!("Bad Request: {why}"),
            ));
            return outcome;
        }
    };
    let config = emu.config();
    let now_ms = timefmt::unix_ms(now);
    let Ok(result) = emu.mutate(|world| {
        let settled = jobs::settle(&mut world.huawei, now_ms);
        let ctx = Ctx {
            caller: &credential.account_id,
            route,
            query: incoming.query,
            body,
            now: now_ms,
            job_fault,
            operation_ms: config.huawei_operation_ms,
            assignment_ms: config.huawei_assignment_ms,
        };
        let result = execute(&ctx, &mut world.huawei);
        let mutated = settled || result.as_ref().is_ok_and(|done| done.mutated);
        Ok::<_, std::convert::Infallible>((result, mutated))
    });
    outcome.result = result;
    outcome
}

fn execute(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    match ctx.route.action.service() {
        Service::Organizations => organizations::execute(ctx, world),
        Service::Rgc => rgc::execute(ctx, world),
        Service::IdentityCenter => identitycenter::execute(ctx, world),
        Service::Iam => iam::execute(ctx, world),
    }
}

/// The JSON object body; an empty body is an empty object.
fn parse_body(body: &[u8]) -> Result<Map<String, Value>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("the request body must be a JSON object".into()),
        Err(err) => Err(format!("the request body is not valid JSON ({err})")),
    }
}

/// The call's API parameters for the audit log: path parameters, then the query (a repeated key
/// becomes a list), then the JSON body's fields. Never headers. A body that is not a JSON object
/// is logged as text under `body`.
fn audit_params(
    route: Option<&Route>,
    query: &[(String, String)],
    json: &Result<Map<String, Value>, String>,
    raw_body: &[u8],
) -> Value {
    let mut params = Map::new();
    for (name, value) in route.map(|r| r.path_params.as_slice()).unwrap_or_default() {
        params.insert((*name).to_owned(), Value::String(value.clone()));
    }
    for (key, value) in query {
        let value = Value::String(value.clone());
        match params.get_mut(key) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => *existing = json!([existing.take(), value]),
            None => {
                params.insert(key.clone(), value);
            }
        }
    }
    match json {
        Ok(body) => {
            for (key, value) in body {
                params.insert(key.clone(), value.clone());
            }
        }
        Err(_) => {
            let text = String::from_utf8_lossy(raw_body).into_owned();
            params.insert("body".into(), Value::String(text));
        }
    }
    Value::Object(params)
}

/// The answer: the action's status and JSON (or empty) body, or the error envelope; always with
/// `X-Request-Id`, which the SDKs read as the request id.
fn respond(result: Result<Executed, HwError>, request_id: &str) -> Response {
    let (status, body) = match result {
        Ok(done) => (done.status, done.body),
        Err(err) => (
            err.status,
            Some(json!({
                "error_code": err.code,
                "error_msg": err.message,
                "request_id": request_id,
            })),
        ),
    };
    let mut response = match body {
        Some(body) => {
            let mut response = Response::new(Body::from(body.to_string()));
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        None => Response::new(Body::empty()),
    };
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response.into_response()
}
