//! Which ZStack API a request calls: method + path (after the `/zstack` context path) → [`Action`]
//! and its path parameters (each segment URL-decoded, as the management node decodes the URI).

use crate::huawei::sign::percent_decode_str;

/// The emulated ZStack APIs, named as in the ZStack API reference (and in the audit log), plus
/// `PollApiJob`, the emulator's own name for `GET /zstack/v1/api-jobs/{uuid}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    LogInByAccount,
    LogOut,
    ValidateSession,
    PollApiJob,
    AttachIAM2ProjectToIAM2Organization,
    DetachIAM2ProjectFromIAM2Organization,
    QueryIAM2OrganizationProjectRef,
    QueryIAM2Project,
    QueryIAM2Organization,
}

impl Action {
    pub const ALL: &[Action] = &[
        Action::LogInByAccount,
        Action::LogOut,
        Action::ValidateSession,
        Action::PollApiJob,
        Action::AttachIAM2ProjectToIAM2Organization,
        Action::DetachIAM2ProjectFromIAM2Organization,
        Action::QueryIAM2OrganizationProjectRef,
        Action::QueryIAM2Project,
        Action::QueryIAM2Organization,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Action::LogInByAccount => "LogInByAccount",
            Action::LogOut => "LogOut",
            Action::ValidateSession => "ValidateSession",
            Action::PollApiJob => "PollApiJob",
            Action::AttachIAM2ProjectToIAM2Organization => "AttachIAM2ProjectToIAM2Organization",
            Action::DetachIAM2ProjectFromIAM2Organization => "DetachIAM2ProjectFromIAM2Organization",
            Action::QueryIAM2OrganizationProjectRef => "QueryIAM2OrganizationProjectRef",
            Action::QueryIAM2Project => "QueryIAM2Project",
            Action::QueryIAM2Organization => "QueryIAM2Organization",
        }
    }

    /// Whether the action is asynchronous (202 + a job; `async_fail`/`async_hang` apply).
    pub fn starts_job(self) -> bool {
        matches!(self, Action::AttachIAM2ProjectToIAM2Organization | Action::DetachIAM2ProjectFromIAM2Organization)
    }

    /// Whether the call needs credentials. Login, logout and the session check are
    /// `@SuppressCredentialCheck` APIs, and the REST server answers job queries without
    /// authentication (the job uuid is the capability).
    pub fn needs_credentials(self) -> bool {
        !matches!(self, Action::LogInByAccount | Action::LogOut | Action::ValidateSession | Action::PollApiJob)
    }

    pub fn is_query(self) -> bool {
        matches!(
            self,
            Action::QueryIAM2OrganizationProjectRef | Action::QueryIAM2Project | Action::QueryIAM2Organization
        )
    }
}

/// A matched request: the action and its decoded path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub action: Action,
    pub path_params: Vec<(&'static str, String)>,
}

impl Route {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.path_params.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// Path parameters that may be logged (session uuids are bearer tokens and never are).
    pub fn loggable_params(&self) -> impl Iterator<Item = &(&'static str, String)> {
        self.path_params.iter().filter(|(n, _)| *n != "sessionUuid")
    }
}

/// Why no API matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoRoute {
    /// No API at this path (`no api mapping to …`, HTTP 404).
    NotFound,
    /// An API exists at this path, but not with this method (HTTP 405); `allowed` is what the
    /// emulator serves there.
    MethodNotAllowed { allowed: &'static str },
}

/// Matches `method` and the path after `/zstack` (e.g. `/v1/iam2/projects`).
pub fn route(method: &str, path: &str) -> Result<Route, NoRoute> {
    use Action::*;
    let Some(rest) = path.strip_prefix('/') else {
        return Err(NoRoute::NotFound);
    };
    let segments: Vec<String> = rest.split('/').map(|s| percent_decode_str(s, false)).collect();
    if segments.iter().any(String::is_empty) {
        return Err(NoRoute::NotFound);
    }
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let with = |action, params: &[(&'static str, &str)]| Route {
        action,
        path_params: params.iter().map(|(n, v)| (*n, (*v).to_owned())).collect(),
    };
    let (allowed, route) = match s.as_slice() {
        ["v1", "accounts", "login"] => ("PUT", with(LogInByAccount, &[])),
        ["v1", "accounts", "sessions", session] => ("DELETE", with(LogOut, &[("sessionUuid", session)])),
        ["v1", "accounts", "sessions", session, "valid"] => ("GET", with(ValidateSession, &[("sessionUuid", session)])),
        ["v1", "api-jobs", job] => ("GET", with(PollApiJob, &[("jobUuid", job)])),
        ["v1", "iam2", "projects"] => ("GET", with(QueryIAM2Project, &[])),
        ["v1", "iam2", "projects", "organizations", "refs"] => ("GET", with(QueryIAM2OrganizationProjectRef, &[])),
        ["v1", "iam2", "projects", uuid] => ("GET", with(QueryIAM2Project, &[("uuid", uuid)])),
        ["v1", "iam2", "projects", project, "iam2", "organizations", organization] => (
            "POST",
            with(AttachIAM2ProjectToIAM2Organization, &[("projectUuid", project), ("organizationUuid", organization)]),
        ),
        ["v1", "iam2", "projects", project, "iam2", "organizations"] => {
            ("DELETE", with(DetachIAM2ProjectFromIAM2Organization, &[("projectUuid", project)]))
        }
        ["v1", "iam2", "organizations"] => ("GET", with(QueryIAM2Organization, &[])),
        ["v1", "iam2", "organizations", uuid] => ("GET", with(QueryIAM2Organization, &[("uuid", uuid)])),
        _ => return Err(NoRoute::NotFound),
    };
    if method == allowed { Ok(route) } else { Err(NoRoute::MethodNotAllowed { allowed }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_the_documented_paths() {
        let r = route("POST", "/v1/iam2/projects/p1/iam2/organizations/o%2D1").unwrap();
        assert_eq!(r.action, Action::AttachIAM2ProjectToIAM2Organization);
        assert_eq!((r.param("projectUuid"), r.param("organizationUuid")), (Some("p1"), Some("o-1")));
        assert!(r.action.starts_job() && r.action.needs_credentials());
        let r = route("DELETE", "/v1/iam2/projects/p1/iam2/organizations").unwrap();
        assert_eq!(r.action, Action::DetachIAM2ProjectFromIAM2Organization);
        assert_eq!(
            route("GET", "/v1/iam2/projects/organizations/refs").unwrap().action,
            Action::QueryIAM2OrganizationProjectRef
        );
        let r = route("GET", "/v1/iam2/projects/abc").unwrap();
        assert_eq!((r.action, r.param("uuid")), (Action::QueryIAM2Project, Some("abc")));
        let r = route("DELETE", "/v1/accounts/sessions/s1").unwrap();
        assert_eq!(r.action, Action::LogOut);
        assert_eq!(r.loggable_params().count(), 0, "session uuids are never logged");
        assert!(!route("GET", "/v1/api-jobs/j").unwrap().action.needs_credentials());

        assert_eq!(route("GET", "/v1/accounts/login"), Err(NoRoute::MethodNotAllowed { allowed: "PUT" }));
        assert_eq!(
            route("POST", "/v1/iam2/projects/p1/iam2/organizations"),
            Err(NoRoute::MethodNotAllowed { allowed: "DELETE" })
        );
        assert_eq!(route("GET", "/v1/iam2/projects/"), Err(NoRoute::NotFound));
        assert_eq!(route("GET", "/v1/vm-instances"), Err(NoRoute::NotFound));
        assert_eq!(route("GET", "v1/iam2/projects"), Err(NoRoute::NotFound));
        assert_eq!(Action::ALL.len(), 9);
    }
}
