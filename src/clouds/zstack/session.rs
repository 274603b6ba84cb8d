//! Account login sessions: one lazy login shared by every clone of the client, a single
//! re-login after a refused session, and logout. With an AccessKey there is no session: every
//! request is signed instead.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde::Deserialize;

use super::auth::{AccessKeySigner, NoAuth, SessionSigner};
use super::client::header_safe;
use super::error::{CredentialKind, INVALID_SESSION_CODE, decode_error, invalid, is_invalid_session, unexpected};
use super::{ZStackClient, de};
use crate::clouds::Secret;
use crate::clouds::error::{Cloud, CloudError, ErrorKind};
use crate::clouds::http::{RequestSigner, SignableRequest};

pub const LOGIN_ACTION: &str = "LogInByAccount";
pub const LOGOUT_ACTION: &str = "LogOut";

#[derive(Default)]
struct SessionState {
    current: Option<Session>,
    /// Bumped by every successful login; tells a stale session from its replacement.
    generation: u64,
    /// A login refused for good (bad credentials): returned instead of logging in again.
    failure: Option<CloudError>,
}

#[derive(Clone)]
pub(super) struct Session {
    uuid: Secret,
    generation: u64,
}

#[derive(Default)]
pub(super) struct Sessions {
    state: tokio::sync::Mutex<SessionState>,
    logins: AtomicU64,
}

pub(super) enum Auth {
    Account {
        account_name: String,
        /// SHA-512 hex of the password.
        password: Secret,
        sessions: Sessions,
    },
    AccessKey(AccessKeySigner),
}

/// The credentials one attempt is signed with.
pub(super) enum Credentials<'a> {
    Session(Session),
    AccessKey(&'a AccessKeySigner),
}

impl Credentials<'_> {
    pub(super) fn kind(&self) -> CredentialKind {
        match self {
            Credentials::Session(_) => CredentialKind::Session,
            Credentials::AccessKey(_) => CredentialKind::AccessKey,
        }
    }

    pub(super) fn generation(&self) -> Option<u64> {
        match self {
            Credentials::Session(s) => Some(s.generation),
            Credentials::AccessKey(_) => None,
        }
    }
}

impl RequestSigner for Credentials<'_> {
    fn sign(&self, req: &mut SignableRequest) -> Result<(), CloudError> {
        match self {
            Credentials::Session(s) => SessionSigner { session: s.uuid.clone() }.sign(req),
            Credentials::AccessKey(signer) => signer.sign(req),
        }
    }
}

impl ZStackClient {
    /// How many times this client (and its clones) has logged in.
    pub fn login_count(&self) -> u64 {
        match &self.inner.auth {
            Auth::Account { sessions, .. } => sessions.logins.load(Ordering::SeqCst),
            Auth::AccessKey(_) => 0,
        }
    }

    /// Runs `attempt` with the client's credentials. With an account: when the attempt is
    /// refused for an invalid session and `relogin` is set, logs in again (once) and runs it
    /// once more; a second refusal (or a refusal with `relogin` unset) is final: an `Auth` error
    /// saying so.
    pub(super) async fn with_credentials<'s, T, F, Fut>(
        &'s self,
        action: &str,
        relogin: bool,
        mut attempt: F,
    ) -> Result<T, CloudError>
    where
        F: FnMut(Credentials<'s>) -> Fut,
        Fut: Future<Output = Result<T, CloudError>>,
    {
        if let Auth::AccessKey(signer) = &self.inner.auth {
            return attempt(Credentials::AccessKey(signer)).await;
        }
        // A login that fails (or is stopped) comes before the call itself, which then was
        // never sent: a write stopped there is not one whose outcome is unknown.
        let session = self.session().await.map_err(CloudError::never_sent)?;
        let generation = session.generation;
        match attempt(Credentials::Session(session)).await {
            Err(e) if relogin && is_invalid_session(&e) => {
                tracing::debug!(
                    cloud = %Cloud::ZStack,
                    action,
                    error = %e.message,
                    "session refused; logging in again"
                );
                self.invalidate(generation).await;
                // The refused attempt was not processed; a failed re-login sends nothing more.
                let session = self.session().await.map_err(CloudError::never_sent)?;
                attempt(Credentials::Session(session)).await.map_err(rejected_again)
            }
            // Already the second attempt (a resubmission after a refused job).
            Err(e) if !relogin => Err(rejected_again(e)),
            other => other,
        }
    }

    /// The current session, logging in first when there is none. Concurrent callers wait for
    /// one login.
    async fn session(&self) -> Result<Session, CloudError> {
        let Auth::Account { account_name, password, sessions } = &self.inner.auth else {
            return Err(invalid(LOGIN_ACTION, "AccessKey authentication has no session"));
        };
        let mut state = self.cancellable(LOGIN_ACTION, sessions.state.lock()).await?;
        if let Some(session) = &state.current {
            return Ok(session.clone());
        }
        if let Some(failure) = &state.failure {
            return Err(failure.clone());
        }
        sessions.logins.fetch_add(1, Ordering::SeqCst);
        match self.login(account_name, password).await {
            Ok(uuid) => {
                state.generation += 1;
                let session = Session { uuid, generation: state.generation };
                state.current = Some(session.clone());
                tracing::debug!(cloud = %Cloud::ZStack, account = %account_name, "logged in");
                Ok(session)
            }
            Err(e) => {
                // A redirect answers every login the same way: no point sending the password
                // digest to the endpoint again in this run.
                if matches!(e.kind, ErrorKind::Auth | ErrorKind::Invalid) || crate::clouds::http::is_redirect(&e) {
                    state.failure = Some(e.clone());
                }
                Err(e)
            }
        }
    }

    /// Forgets the session of `generation` (if it is still the current one), so the next call
    /// logs in again.
    pub(super) async fn invalidate(&self, generation: u64) {
        let Auth::Account { sessions, .. } = &self.inner.auth else {
            return;
        };
        let Ok(mut state) = self.cancellable(LOGIN_ACTION, sessions.state.lock()).await else {
            return;
        };
        if state.current.as_ref().is_some_and(|s| s.generation == generation) {
            state.current = None;
        }
    }

    /// `PUT /zstack/v1/accounts/login`; returns the session uuid.
    async fn login(&self, account_name: &str, password: &Secret) -> Result<Secret, CloudError> {
        #[derive(Deserialize)]
        struct Reply {
            #[serde(default)]
            inventory: Option<Inventory>,
        }
        #[derive(Deserialize)]
        struct Inventory {
            #[serde(default, deserialize_with = "de::string")]
            uuid: String,
        }
        let action = LOGIN_ACTION;
        let body = serde_json::json!({
            "logInByAccount": {"accountName": account_name, "password": password.expose()}
        });
        let mut req = SignableRequest::new(Method::PUT, self.url(&["accounts", "login"]));
        req.headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        req.body = body.to_string().into_bytes();
        let host = self.inner.host.as_str();
        // Retried on transient failures: a duplicate login only leaves an unused session behind.
        self.execute(action, true, &NoAuth, &req, |resp| {
            if !(200..300).contains(&resp.status) {
                let e = decode_error(action, host, resp.status, &resp.body, CredentialKind::None);
                if e.kind != ErrorKind::Auth {
                    return Err(e);
                }
                let detail = &e.message;
                let mut refused = CloudError::new(
                    ErrorKind::Auth,
                    Cloud::ZStack,
                    action,
                    format!(
                        "ZStack refused the login of account {account_name:?}: check the \
                         account name and password ({detail})"
                    ),
                )
                .with_http_status(resp.status);
                refused.code = e.code;
                return Err(refused);
            }
            let reply: Reply =
                serde_json::from_slice(&resp.body).map_err(|err| unexpected(action, host, &resp, &err.to_string()))?;
            match reply.inventory.map(|i| i.uuid) {
                Some(uuid) if !uuid.trim().is_empty() && header_safe(uuid.trim()) => Ok(Secret::new(uuid.trim())),
                _ => Err(unexpected(action, host, &resp, "no session uuid")),
            }
        })
        .await
    }

    /// Ends the login session (`DELETE /zstack/v1/accounts/sessions/{uuid}`), if there is one;
    /// the session is forgotten even if the request fails, and a later call logs in again.
    /// Nothing to do with an AccessKey.
    pub async fn logout(&self) -> Result<(), CloudError> {
        let Auth::Account { sessions, .. } = &self.inner.auth else {
            return Ok(());
        };
        let action = LOGOUT_ACTION;
        let mut state = self.cancellable(action, sessions.state.lock()).await?;
        let Some(session) = state.current.take() else {
            return Ok(());
        };
        let req = SignableRequest::new(Method::DELETE, self.url(&["accounts", "sessions", session.uuid.expose()]));
        let host = self.inner.host.as_str();
        let signer = SessionSigner { session: session.uuid.clone() };
        let result = self
            .execute(action, true, &signer, &req, |resp| {
                if (200..300).contains(&resp.status) {
                    return Ok(());
                }
                let e = decode_error(action, host, resp.status, &resp.body, CredentialKind::Session);
                // Already expired or deleted: that is what logging out wanted.
                if is_invalid_session(&e) || (resp.status == 404 && e.code.is_some()) {
                    return Ok(());
                }
                Err(e)
            })
            .await;
        drop(state);
        result
    }
}

/// The error for a call refused for an invalid session right after a fresh login.
pub(super) fn rejected_again(e: CloudError) -> CloudError {
    if !is_invalid_session(&e) {
        return e;
    }
    let mut out = CloudError::new(
        ErrorKind::Auth,
        Cloud::ZStack,
        e.action.clone(),
        format!("ZStack refused a fresh session right after logging in again; giving up ({})", e.message),
    )
    .with_code(INVALID_SESSION_CODE);
    out.request_id = e.request_id;
    out.http_status = e.http_status;
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::clouds::zstack::auth;
    use crate::clouds::zstack::error::AUTHENTICATION_ERROR_CODE;
    use crate::clouds::zstack::test_support::*;

    #[tokio::test]
    async fn login_is_lazy_hashed_and_single_flight() {
        let server = Server::start(|req, _| {
            if req.is_login() {
                // Slow, so that all the calls are waiting for it.
                return Reply::Later(Duration::from_millis(100), Box::new(session_reply("s1")));
            }
            assert_eq!(req.header("authorization"), Some("OAuth s1"));
            projects_reply()
        })
        .await;
        let client = account_client(&server.url);
        assert_eq!(client.login_count(), 0);
        assert!(server.seen().is_empty(), "no login before the first call");

        let calls: Vec<_> = (0..10)
            .map(|_| {
                let c = client.clone();
                tokio::spawn(async move { c.query_projects(&[]).await })
            })
            .collect();
        for call in calls {
            assert_eq!(call.await.unwrap().unwrap().len(), 1);
        }
        assert_eq!(client.login_count(), 1);
        assert_eq!(server.logins(), 1);
        let seen = server.seen();
        assert_eq!(seen.len(), 11);
        let login = &seen[0];
        assert!(login.is_login());
        assert_eq!(login.body, json!({"logInByAccount": {"accountName": ACCOUNT, "password": PASSWORD_SHA512}}));
        assert_eq!(login.header("authorization"), None);
        assert_eq!(login.header("content-type"), Some("application/json"));
    }

    #[tokio::test]
    async fn expired_session_logs_in_again_once() {
        let logins = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&logins);
        let server = Server::start(move |req, _| {
            if req.is_login() {
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                return session_reply(&format!("s{n}"));
            }
            if req.header("authorization") == Some("OAuth s1") {
                return zs_error(503, "ID.1001", "Session expired", "");
            }
            projects_reply()
        })
        .await;
        let client = account_client(&server.url);
        assert_eq!(client.query_projects(&[]).await.unwrap().len(), 1);
        assert_eq!(client.login_count(), 2);
        assert_eq!(
            server.seen().iter().map(|s| (s.line(), s.header("authorization").map(str::to_owned))).collect::<Vec<_>>(),
            vec![
                ("PUT /zstack/v1/accounts/login".to_owned(), None),
                ("GET /zstack/v1/iam2/projects".to_owned(), Some("OAuth s1".to_owned())),
                ("PUT /zstack/v1/accounts/login".to_owned(), None),
                ("GET /zstack/v1/iam2/projects".to_owned(), Some("OAuth s2".to_owned())),
            ]
        );
        // The new session is kept.
        client.query_projects(&[]).await.unwrap();
        assert_eq!(client.login_count(), 2);
    }

    #[tokio::test]
    async fn concurrent_refusals_share_one_relogin() {
        let logins = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&logins);
        let server = Server::start(move |req, _| {
            if req.is_login() {
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                return Reply::Later(Duration::from_millis(30), Box::new(session_reply(&format!("s{n}"))));
            }
            if req.header("authorization") == Some("OAuth s1") {
                return Reply::Later(
                    Duration::from_millis(20),
                    Box::new(zs_error(503, "ID.1001", "Session expired", "")),
                );
            }
            projects_reply()
        })
        .await;
        let client = account_client(&server.url);
        let calls: Vec<_> = (0..10)
            .map(|_| {
                let c = client.clone();
                tokio::spawn(async move { c.query_projects(&[]).await })
            })
            .collect();
        for call in calls {
            call.await.unwrap().unwrap();
        }
        assert_eq!(client.login_count(), 2);
        assert_eq!(server.logins(), 2);
    }

    #[tokio::test]
    async fn refused_twice_is_an_auth_error_without_a_loop() {
        let server = Server::start(|req, i| {
            if req.is_login() {
                return session_reply(&format!("s{i}"));
            }
            zs_error(503, "ID.1001", "Session expired", "")
        })
        .await;
        let client = account_client(&server.url);
        let e = client.query_projects(&[]).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Auth);
        assert_eq!(e.code.as_deref(), Some(INVALID_SESSION_CODE));
        assert!(e.message.contains("giving up"), "{e}");
        assert_eq!(client.login_count(), 2);
        assert_eq!(server.seen().len(), 4);
    }

    #[tokio::test]
    async fn wrong_password_is_reported_once_and_remembered() {
        let server = Server::start(|req, _| {
            assert!(req.is_login(), "{}", req.line());
            zs_error(503, "ID.1000", "Authentication error", "wrong account name or password")
        })
        .await;
        let client = account_client(&server.url);
        let e = client.query_projects(&[]).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Auth);
        assert_eq!(e.action, LOGIN_ACTION);
        assert_eq!(e.code.as_deref(), Some(AUTHENTICATION_ERROR_CODE));
        assert!(e.message.contains("\"admin\""), "{e}");
        assert!(e.message.contains("password"), "{e}");
        assert!(!e.to_string().contains(PASSWORD_SHA512), "{e}");
        let again = client.get_project(PROJECT).await.unwrap_err();
        assert_eq!(again, e);
        assert_eq!(client.login_count(), 1);
        assert_eq!(server.seen().len(), 1);
    }

    #[tokio::test]
    async fn transient_login_failures_are_retried_then_not_remembered() {
        let server = Server::start(|req, i| {
            assert!(req.is_login() || i >= 3, "{}", req.line());
            match i {
                0..=2 => Reply::Raw(502, "bad gateway"),
                3 => session_reply("s9"),
                _ => projects_reply(),
            }
        })
        .await;
        let client = account_client(&server.url);
        let e = client.query_projects(&[]).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Transient);
        assert_eq!(server.seen().len(), 3, "the login is retried per the policy");
        client.query_projects(&[]).await.unwrap();
        assert_eq!(client.login_count(), 2);
    }

    #[tokio::test]
    async fn logout_deletes_the_session_once() {
        let server = Server::start(|req, _| {
            if req.is_login() {
                return session_reply("0123456789abcdef0123456789abcdef");
            }
            if req.method == "DELETE" {
                return ok(json!({}));
            }
            projects_reply()
        })
        .await;
        let client = account_client(&server.url);
        // Nothing to log out of yet.
        client.logout().await.unwrap();
        assert!(server.seen().is_empty());
        client.query_projects(&[]).await.unwrap();
        client.logout().await.unwrap();
        client.logout().await.unwrap();
        let seen = server.seen();
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[2].line(), "DELETE /zstack/v1/accounts/sessions/0123456789abcdef0123456789abcdef");
        assert_eq!(seen[2].header("authorization"), Some("OAuth 0123456789abcdef0123456789abcdef"));
        // A later call logs in again.
        client.query_projects(&[]).await.unwrap();
        assert_eq!(client.login_count(), 2);

        // An already expired session counts as logged out; AccessKey has nothing to do.
        let server = Server::start(|req, _| {
            if req.is_login() {
                return session_reply("s");
            }
            if req.method == "DELETE" {
                return zs_error(503, "ID.1001", "Session expired", "");
            }
            projects_reply()
        })
        .await;
        let client = account_client(&server.url);
        client.query_projects(&[]).await.unwrap();
        client.logout().await.unwrap();
        let client = access_key_client(&server.url);
        client.logout().await.unwrap();
        assert_eq!(server.seen().len(), 3);
    }

    #[tokio::test]
    async fn access_key_requests_are_signed() {
        let server = Server::start(|req, _| {
            assert!(!req.is_login());
            projects_reply()
        })
        .await;
        let client = access_key_client(&server.url);
        client.query_projects(&[]).await.unwrap();
        let seen = server.seen();
        assert_eq!(seen.len(), 1);
        let date = seen[0].header("date").unwrap();
        assert!(date.ends_with(" GMT"), "{date}");
        let expected = auth::access_key_signature(AK_SECRET, &auth::string_to_sign("GET", date, "/v1/iam2/projects"));
        assert_eq!(seen[0].header("authorization").unwrap(), format!("ZStack {AK_ID}:{expected}"));
        assert_eq!(client.login_count(), 0);

        // A refusal names the AccessKey.
        let server = Server::start(|_, _| Reply::Raw(403, "wrong accessKey signature")).await;
        let e = access_key_client(&server.url).query_projects(&[]).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Auth);
        assert!(e.message.contains("AccessKey"), "{e}");
        assert!(!e.to_string().contains(AK_SECRET));
        assert_eq!(server.seen().len(), 1, "auth errors are not retried");
    }
}
