//! ZStack router: everything under `/zstack/v1/…` (the management node's REST API with its
//! `/zstack` context path) — sessions, the IAM2 project↔organization APIs and their queries, and
//! `GET /zstack/v1/api-jobs/{uuid}` for asynchronous job results.
//!
//! Pipeline for every request, each step answering with an HTTP status and
//! `{"error":{code,description,details,…}}` when it refuses:
//! API match (404 / 405 `SYS.1008`) → credentials (`OAuth` session or AccessKey; 400 / 403) →
//! body and `X-Job-UUID` (400) → session validity (`ID.1001`) → injected faults → due jobs
//! settled → the action. Synchronous APIs answer 200 or 503 with the error; asynchronous ones
//! answer 202 `{"location"}` and their job ends 200 or 503. Every request is recorded in the audit
//! log (never with passwords, session uuids, keys or signatures).

pub mod auth;
pub mod error;
pub mod iam2;
pub mod identity;
pub mod jobs;
pub mod model;
pub mod query;
pub mod routes;

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Emulator;
use crate::audit::Call;
use crate::conn;
use crate::faults::{CallShape, FaultKind, FaultOutcome};
use crate::huawei::sign::{percent_decode_str, query_pairs};
use crate::timefmt;
use auth::{AuthHeader, SignedRequest};
use error::{ErrorObject, ZsError, codes};
use model::{Job, JobEnd, JobFault, JobKind, ZStackWorld};
use query::Query;
use routes::{Action, NoRoute, Route};

pub const CLOUD: &str = "zstack";
/// The context path every ZStack API lives under.
pub const CONTEXT_PATH: &str = "/zstack";
/// Header with which a client chooses the job uuid of an asynchronous call.
pub const JOB_UUID_HEADER: &str = "x-job-uuid";

/// A successful answer: HTTP status and JSON body.
#[derive(Debug, Clone, PartialEq)]
struct Answer {
    status: u16,
    body: Value,
}

impl Answer {
    fn ok(body: Value) -> Self {
        Answer { status: 200, body }
    }
}

/// What the pipeline decided for one request.
struct Outcome {
    result: Result<Answer, ZsError>,
    /// Close the connection instead of answering (drop faults).
    drop_connection: bool,
    fault: Option<FaultKind>,
    /// The job this call started (its uuid is the call's request id in the audit log).
    job_uuid: Option<String>,
    /// An error to log although the answer is a 202: the asynchronous call was refused for an
    /// invalid session, and its job failed at once.
    refused_with: Option<String>,
}

impl Outcome {
    fn new(result: Result<Answer, ZsError>) -> Self {
        Outcome { result, drop_connection: false, fault: None, job_uuid: None, refused_with: None }
    }
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Caller {
    /// An API that needs no credentials.
    Anonymous,
    /// A live session.
    Session(String),
    /// A session uuid that is unknown, logged out or expired.
    InvalidSession,
    AccessKey,
}

/// The parsed parts of a request that every step needs.
struct Incoming<'a> {
    method: &'a Method,
    /// The path after the context path, still URL-encoded.
    path: &'a str,
    headers: &'a HeaderMap,
    route: &'a Result<Route, NoRoute>,
    query: &'a [(String, String)],
    json: &'a Result<Map<String, Value>, String>,
    /// `host:port` for job locations.
    host: String,
}

pub async fn handle(
    State(emu): State<Arc<Emulator>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    crate::conn::finish_even_if_client_leaves("zstack", serve_call(emu, method, uri, headers, body), || {
        respond(Err(ZsError::new(500, codes::INTERNAL, "the emulator failed to process the request")))
    })
    .await
}

async fn serve_call(emu: Arc<Emulator>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = uri.path().strip_prefix(CONTEXT_PATH).unwrap_or(uri.path());
    let route = routes::route(method.as_str(), path);
    let query = query_pairs(uri.query().unwrap_or(""));
    let json = parse_body(&body);
    let incoming = Incoming {
        method: &method,
        path,
        headers: &headers,
        route: &route,
        query: &query,
        json: &json,
        host: host_of(&uri, &headers),
    };
    let outcome = process(&emu, &incoming).await;

    let error_code = match (&outcome.result, outcome.drop_connection) {
        (Err(err), _) => Some(err.code().to_owned()),
        // Never sent to the client; marks in the log that nothing was applied.
        (Ok(_), true) if outcome.fault == Some(FaultKind::DropBefore) => Some("ConnectionDropped".to_owned()),
        _ => outcome.refused_with.clone(),
    };
    let action = route.as_ref().ok().map(|r| r.action.name());
    // ZStack names an API message after the client's X-Job-UUID (`msg.setId(jobUuid)`), also
    // when the call is refused before any job starts; otherwise the id is the server's own.
    let client_job_uuid = route.as_ref().ok().and_then(|r| job_uuid_header(r.action, &headers).ok().flatten());
    let request_id =
        outcome.job_uuid.clone().or(client_job_uuid).unwrap_or_else(|| Uuid::new_v4().simple().to_string());
    tracing::info!(
        cloud = CLOUD,
        action = action.unwrap_or("-"),
        request_id,
        error = error_code.as_deref().unwrap_or("-"),
        "call"
    );
    emu.audit.record(Call {
        cloud: CLOUD,
        service: None,
        action: action.map(str::to_owned),
        params: audit_params(route.as_ref().ok(), &query, &json, &body),
        error_code,
        request_id,
        fault: outcome.fault.map(FaultKind::as_str),
    });

    if outcome.drop_connection {
        return conn::dropped_connection();
    }
    respond(outcome.result)
}

async fn process(emu: &Emulator, incoming: &Incoming<'_>) -> Outcome {
    let route = match incoming.route {
        Ok(route) => route,
        Err(NoRoute::NotFound) => {
            return Outcome::new(Err(ZsError::new(
                404,
                codes::UNKNOWN_MESSAGE,
                format!("no api mapping to {}", decoded(incoming.path)),
            )));
        }
        Err(NoRoute::MethodNotAllowed { allowed }) => {
            let details = if incoming.path.starts_with("/v1/api-jobs/") {
                "only GET method is allowed for querying job status".to_owned()
            } else {
                format!(
                    "The method[{}] is not allowed for the path[{}] (tether-emulator serves {allowed} there)",
                    incoming.method,
                    decoded(incoming.path)
                )
            };
            return Outcome::new(Err(ZsError::new(405, codes::UNKNOWN_MESSAGE, details)));
        }
    };
    let action = route.action;
    let now = OffsetDateTime::now_utc();
    let now_ms = timefmt::unix_ms(now);

    // Credentials, as the REST layer checks them.
    let credentials = if action.needs_credentials() {
        let uri = decoded(incoming.path);
        let signed = SignedRequest { method: incoming.method.as_str(), uri: &uri, headers: incoming.headers };
        let lookup =
            |id: &str| emu.world().credentials.zstack.access_keys.iter().find(|k| k.access_key_id == id).cloned();
        match auth::authenticate(&signed, lookup, now.unix_timestamp()) {
            Ok(credentials) => Some(credentials),
            Err(err) => return Outcome::new(Err(err)),
        }
    } else {
        None
    };

    // The body and the job uuid header (REST layer).
    let body = match parse_action_body(action, incoming.json) {
        Ok(body) => body,
        Err(err) => return Outcome::new(Err(err)),
    };
    let chosen_job_uuid = match job_uuid_header(action, incoming.headers) {
        Ok(uuid) => uuid,
        Err(err) => return Outcome::new(Err(err)),
    };

    // Whether the session is valid is decided by the API processor, after the REST layer has
    // accepted the call: a synchronous API answers 503 ID.1001, an asynchronous one 202 and a job
    // that has already failed with ID.1001.
    let caller = match credentials {
        None => Caller::Anonymous,
        Some(AuthHeader::AccessKey { .. }) => Caller::AccessKey,
        Some(AuthHeader::Session(uuid)) => {
            if identity::live_session(&emu.world().zstack, &uuid, now_ms).is_some() {
                Caller::Session(uuid)
            } else {
                Caller::InvalidSession
            }
        }
    };
    let job = JobRequest { route, chosen_uuid: chosen_job_uuid, host: &incoming.host };
    if caller == Caller::InvalidSession {
        return refuse_session(emu, &job, now_ms);
    }

    let shape = CallShape { starts_job: action.starts_job(), has_session: matches!(caller, Caller::Session(_)) };
    let plan = emu.faults.plan_call(CLOUD, action.name(), shape);
    if !plan.delay.is_zero() {
        tokio::time::sleep(plan.delay).await;
    }
    let mut drop_connection = false;
    let mut job_fault = None;
    let fired = plan.fired;
    let with_fault = |mut outcome: Outcome| {
        outcome.fault = fired;
        outcome
    };
    match plan.outcome {
        Some(FaultOutcome::Error { status, code, message }) => {
            return with_fault(Outcome::new(Err(ZsError {
                status: status.unwrap_or(503),
                error: ErrorObject::injected(
                    code.unwrap_or_else(|| codes::INTERNAL.to_owned()),
                    message.unwrap_or_else(|| "An internal error occurred (injected by tether-emulator).".to_owned()),
                ),
            })));
        }
        Some(FaultOutcome::Throttle { code, message }) => {
            let error = match (code, message) {
                (None, None) => ErrorObject::new(
                    codes::NOT_READY,
                    "the management node is busy: too many requests, retry later (injected by tether-emulator)",
                ),
                (code, message) => ErrorObject::injected(
                    code.unwrap_or_else(|| codes::NOT_READY.to_owned()),
                    message.unwrap_or_else(|| "the management node is busy: too many requests, retry later".to_owned()),
                ),
            };
            return with_fault(Outcome::new(Err(ZsError { status: 503, error })));
        }
        Some(FaultOutcome::DropBefore) => {
            let mut outcome = Outcome::new(Ok(Answer::ok(json!({}))));
            outcome.drop_connection = true;
            return with_fault(outcome);
        }
        Some(FaultOutcome::DropAfter) => drop_connection = true,
        Some(FaultOutcome::AsyncFail { code, message }) => {
            job_fault = Some(JobFault::Fail {
                code: code.unwrap_or_else(|| codes::OPERATION_ERROR.to_owned()),
                message: message.unwrap_or_else(|| "The operation failed (injected by tether-emulator).".to_owned()),
            });
        }
        Some(FaultOutcome::AsyncHang) => job_fault = Some(JobFault::Hang),
        Some(FaultOutcome::SessionExpire) => {
            if let Caller::Session(uuid) = &caller {
                let Ok(()) = emu.mutate(|world| {
                    let ended = identity::log_out(&mut world.zstack, uuid);
                    Ok::<_, std::convert::Infallible>(((), ended))
                });
            }
            return with_fault(refuse_session(emu, &job, now_ms));
        }
        None => {}
    }

    let config = emu.config();
    let (ttl_secs, job_ms) = (config.zstack_session_ttl_secs, config.zstack_job_ms);
    let mut job_uuid = None;
    let Ok(result) = emu.mutate(|world| {
        let settled = jobs::settle(&mut world.zstack, now_ms);
        let accounts = world.credentials.zstack.accounts.clone();
        let zstack = &mut world.zstack;
        let result = match action {
            Action::LogInByAccount => body
                .login
                .as_ref()
                .ok_or_else(|| ZsError::bad_request("no login parameters"))
                .and_then(|request| identity::log_in(zstack, &accounts, request, now_ms, ttl_secs))
                .map(|body| (Answer::ok(body), true)),
            Action::LogOut => {
                let ended = identity::log_out(zstack, route.param("sessionUuid").unwrap_or(""));
                Ok((Answer::ok(json!({})), ended))
            }
            Action::ValidateSession => {
                let uuid = route.param("sessionUuid").unwrap_or("");
                let valid = identity::live_session(zstack, uuid, now_ms).is_some();
                Ok((Answer::ok(json!({ "valid": valid })), false))
            }
            Action::PollApiJob => poll_job(zstack, route.param("jobUuid").unwrap_or("")).map(|a| (a, false)),
            Action::AttachIAM2ProjectToIAM2Organization | Action::DetachIAM2ProjectFromIAM2Organization => {
                start_job(zstack, &job, now_ms, job_ms, job_fault.clone(), None).map(|(uuid, answer)| {
                    job_uuid = Some(uuid);
                    (answer, true)
                })
            }
            Action::QueryIAM2OrganizationProjectRef | Action::QueryIAM2Project | Action::QueryIAM2Organization => {
                let query = match route.param("uuid") {
                    Some(uuid) => Ok(Query::by_uuid(uuid)),
                    None => Query::parse(incoming.query),
                };
                query.and_then(|query| iam2::query(action, &query, zstack)).map(|body| (Answer::ok(body), false))
            }
        };
        let mutated = settled || result.as_ref().is_ok_and(|(_, mutated)| *mutated);
        Ok::<_, std::convert::Infallible>((result.map(|(answer, _)| answer), mutated))
    });
    let mut outcome = with_fault(Outcome::new(result));
    outcome.drop_connection = drop_connection;
    outcome.job_uuid = job_uuid;
    outcome
}

/// The parts of a call an asynchronous job needs.
struct JobRequest<'a> {
    route: &'a Route,
    /// The valid `X-Job-UUID` the client sent, if any.
    chosen_uuid: Option<String>,
    host: &'a str,
}

/// Starts the job of an attach / detach: 202 `{"location": …}`. `refused` makes it a job that
/// has already failed with that error (an invalid session).
fn start_job(
    world: &mut ZStackWorld,
    request: &JobRequest<'_>,
    now: i64,
    duration_ms: u64,
    fault: Option<JobFault>,
    refused: Option<ErrorObject>,
) -> Result<(String, Answer), ZsError> {
    let uuid = match &request.chosen_uuid {
        Some(uuid) if world.job(uuid).is_some() => {
            return Err(ZsError::bad_request(format!("Duplicate job uuid[{uuid}]")));
        }
        Some(uuid) => uuid.clone(),
        None => Uuid::new_v4().simple().to_string(),
    };
    let route = request.route;
    let kind = match route.action {
        Action::AttachIAM2ProjectToIAM2Organization => JobKind::AttachIAM2ProjectToIAM2Organization,
        Action::DetachIAM2ProjectFromIAM2Organization => JobKind::DetachIAM2ProjectFromIAM2Organization,
        other => unreachable!("{} starts no job", other.name()),
    };
    let finished = refused.map(|error| JobEnd { at: now, result: None, error: Some(error) });
    world.jobs.push(Job {
        uuid: uuid.clone(),
        kind,
        project_uuid: route.param("projectUuid").unwrap_or_default().to_owned(),
        organization_uuid: route.param("organizationUuid").map(str::to_owned),
        started_at: now,
        duration_ms: if finished.is_some() { 0 } else { duration_ms },
        fault,
        finished,
    });
    let location = format!("http://{}{CONTEXT_PATH}/v1/api-jobs/{uuid}", request.host);
    Ok((uuid, Answer { status: 202, body: json!({ "location": location }) }))
}

/// The answer for a call whose session is invalid: 503 `ID.1001` for a synchronous API; for an
/// asynchronous one, 202 and a job that has already failed with `ID.1001` (logged as an error).
fn refuse_session(emu: &Emulator, request: &JobRequest<'_>, now: i64) -> Outcome {
    if !request.route.action.starts_job() {
        return Outcome::new(Err(ZsError::invalid_session()));
    }
    let refused = ZsError::invalid_session().error;
    let Ok(result) = emu.mutate(|world| {
        let started = start_job(&mut world.zstack, request, now, 0, None, Some(refused));
        let mutated = started.is_ok();
        Ok::<_, std::convert::Infallible>((started, mutated))
    });
    match result {
        Ok((uuid, answer)) => {
            let mut outcome = Outcome::new(Ok(answer));
            outcome.job_uuid = Some(uuid);
            outcome.refused_with = Some(codes::INVALID_SESSION.to_owned());
            outcome
        }
        Err(err) => Outcome::new(Err(err)),
    }
}

/// `GET /zstack/v1/api-jobs/{uuid}`: 202 `{}` while running, 200 with the result, 503 with the
/// error, 404 for a job the emulator never started.
fn poll_job(world: &ZStackWorld, uuid: &str) -> Result<Answer, ZsError> {
    let Some(job) = world.job(uuid) else {
        return Err(ZsError::new(404, codes::RESOURCE_NOT_FOUND, "the job has been expired"));
    };
    match job.view() {
        jobs::JobView::Running => Ok(Answer { status: 202, body: json!({}) }),
        jobs::JobView::Succeeded(result) => Ok(Answer::ok(result.clone())),
        jobs::JobView::Failed(error) => Err(ZsError { status: 503, error: error.clone() }),
    }
}

/// What an action takes from the body.
#[derive(Debug, Default)]
struct ActionBody {
    login: Option<identity::LoginRequest>,
}

/// Checks the body the action uses: the login parameters, or the attach body
/// (`{"params":{},"systemTags":[],"userTags":[]}`, all optional; tags are accepted and ignored).
/// Other actions ignore their body, as the REST server does for GET and DELETE.
fn parse_action_body(action: Action, json: &Result<Map<String, Value>, String>) -> Result<ActionBody, ZsError> {
    match action {
        Action::LogInByAccount => {
            let body = json.as_ref().map_err(|why| ZsError::bad_request(why.clone()))?;
            Ok(ActionBody { login: Some(identity::parse_login(body)?) })
        }
        Action::AttachIAM2ProjectToIAM2Organization => {
            let body = json.as_ref().map_err(|why| ZsError::bad_request(why.clone()))?;
            if let Some(params) = body.get("params") {
                if !(params.is_object() || params.is_null()) {
                    return Err(ZsError::bad_request("params must be a JSON object"));
                }
            }
            for tags in ["systemTags", "userTags"] {
                match body.get(tags) {
                    None | Some(Value::Null) => {}
                    Some(Value::Array(items)) if items.iter().all(Value::is_string) => {}
                    Some(_) => {
                        return Err(ZsError::bad_request(format!("{tags} must be a list of strings")));
                    }
                }
            }
            Ok(ActionBody::default())
        }
        _ => Ok(ActionBody::default()),
    }
}

/// `X-Job-UUID`: 32 hex digits (a UUID without dashes), or absent. Job polls do not read it.
fn job_uuid_header(action: Action, headers: &HeaderMap) -> Result<Option<String>, ZsError> {
    if action == Action::PollApiJob {
        return Ok(None);
    }
    let Some(value) = headers.get(JOB_UUID_HEADER) else {
        return Ok(None);
    };
    let value = String::from_utf8_lossy(value.as_bytes()).trim().to_owned();
    if value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(Some(value))
    } else {
        Err(ZsError::bad_request("Invalid header[X-Job-UUID], it must be a UUID with '-' stripped"))
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

/// The decoded path, as the management node matches and signs it.
fn decoded(path: &str) -> String {
    percent_decode_str(path, false)
}

/// `host[:port]` for job locations: the request's Host header (what the client called).
fn host_of(uri: &Uri, headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| uri.authority().map(|a| a.to_string()))
        .unwrap_or_else(|| "localhost".to_owned())
}

/// The call's API parameters for the audit log: path parameters (never session uuids), then the
/// query (a repeated key becomes a list), then the body's fields (the login's without the
/// password). Never headers.
fn audit_params(
    route: Option<&Route>,
    query: &[(String, String)],
    json: &Result<Map<String, Value>, String>,
    raw_body: &[u8],
) -> Value {
    let mut params = Map::new();
    if let Some(route) = route {
        for (name, value) in route.loggable_params() {
            params.insert((*name).to_owned(), Value::String(value.clone()));
        }
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
    let login = route.is_some_and(|r| r.action == Action::LogInByAccount);
    match json {
        Ok(body) if login => params.extend(identity::loggable_login(body)),
        Ok(body) => params.extend(body.iter().map(|(k, v)| (k.clone(), v.clone()))),
        // A login body that does not parse may still hold a password: never log it.
        Err(_) if login => {}
        Err(_) => {
            let text = String::from_utf8_lossy(raw_body).into_owned();
            params.insert("body".into(), Value::String(text));
        }
    }
    Value::Object(params)
}

/// The answer: status and JSON body, or the error object.
fn respond(result: Result<Answer, ZsError>) -> Response {
    let (status, body) = match result {
        Ok(answer) => (answer.status, answer.body),
        Err(err) => (err.status, err.error.body()),
    };
    let mut response = Response::new(Body::from(body.to_string()));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
}
