//! Which documented API a Huawei request calls: method + path → [`Action`] and its path
//! parameters (each segment URL-decoded).

use super::sign::percent_decode_str;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Organizations,
    Rgc,
    IdentityCenter,
    Iam,
}

impl Service {
    /// As in the audit log's `service` field.
    pub fn name(self) -> &'static str {
        match self {
            Service::Organizations => "organizations",
            Service::Rgc => "rgc",
            Service::IdentityCenter => "identitycenter",
            Service::Iam => "iam",
        }
    }

    /// The prefix of the service's error codes (`RGC.400`).
    pub fn code_prefix(self) -> &'static str {
        match self {
            Service::Organizations => "Organizations",
            Service::Rgc => "RGC",
            Service::IdentityCenter => "IdentityCenter",
            Service::Iam => "IAM",
        }
    }
}

macro_rules! actions {
    ($($action:ident => $service:ident, $starts_job:literal;)*) => {
        /// The emulated Huawei APIs, named as in the official SDKs (and in the audit log).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Action {
            $($action,)*
        }

        impl Action {
            pub const ALL: &[Action] = &[$(Action::$action,)*];

            pub fn name(self) -> &'static str {
                match self {
                    $(Action::$action => stringify!($action),)*
                }
            }

            pub fn service(self) -> Service {
                match self {
                    $(Action::$action => Service::$service,)*
                }
            }

            /// Whether the action starts an asynchronous job (the `async_fail`/`async_hang` faults
            /// apply to these only).
            pub fn starts_job(self) -> bool {
                match self {
                    $(Action::$action => $starts_job,)*
                }
            }
        }
    };
}

actions! {
    ShowOrganization => Organizations, false;
    LeaveOrganization => Organizations, false;
    InviteAccount => Organizations, false;
    ListAccounts => Organizations, false;
    ShowAccount => Organizations, false;
    RemoveAccount => Organizations, false;
    ShowHandshake => Organizations, false;
    CancelHandshake => Organizations, false;
    ListReceivedHandshakes => Organizations, false;
    AcceptHandshake => Organizations, false;
    DeclineHandshake => Organizations, false;
    EnrollAccount => Rgc, true;
    UpdateManagedAccount => Rgc, true;
    UnEnrollAccount => Rgc, true;
    ShowManagedAccount => Rgc, false;
    ListManagedAccountsForParent => Rgc, false;
    ShowOperation => Rgc, false;
    ListOperation => Rgc, false;
    ListInstances => IdentityCenter, false;
    CreateAccountAssignment => IdentityCenter, true;
    DeleteAccountAssignment => IdentityCenter, true;
    DescribeAccountAssignmentCreationStatus => IdentityCenter, false;
    DescribeAccountAssignmentDeletionStatus => IdentityCenter, false;
    ListAccountAssignments => IdentityCenter, false;
    ListAccountAssignmentsForPrincipal => IdentityCenter, false;
    DisassociateProfile => IdentityCenter, false;
    KeystoneListAuthDomains => Iam, false;
    KeystoneListProjects => Iam, false;
}

/// A matched request: the action and its decoded path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub action: Action,
    pub path_params: Vec<(&'static str, String)>,
}

impl Route {
    pub fn param(&self, name: &str) -> &str {
        self.path_params.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str()).unwrap_or_default()
    }
}

/// RGC collections under `/v1/managed-organization/` that are not operation ids (other APIs,
/// not emulated).
const RGC_RESERVED: [&str; 5] =
    ["managed-accounts", "managed-organizational-units", "managed-core-accounts", "organizational-units", "accounts"];

/// Matches `method` and the raw `path`; `None` when the emulator does not serve that API.
pub fn route(method: &str, path: &str) -> Option<Route> {
    use Action::*;
    let raw: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    let segments: Vec<String> = raw.iter().map(|s| percent_decode_str(s, false)).collect();
    if segments.iter().any(String::is_empty) {
        return None;
    }
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let one =
        |action, name: &'static str, value: &str| Some(Route { action, path_params: vec![(name, value.to_owned())] });
    let none = |action| Some(Route { action, path_params: Vec::new() });
    match (method, s.as_slice()) {
        ("GET", ["v1", "organizations"]) => none(ShowOrganization),
        ("POST", ["v1", "organizations", "leave"]) => none(LeaveOrganization),
        ("POST", ["v1", "organizations", "accounts", "invite"]) => none(InviteAccount),
        ("GET", ["v1", "organizations", "accounts"]) => none(ListAccounts),
        ("GET", ["v1", "organizations", "accounts", id]) => one(ShowAccount, "account_id", id),
        ("POST", ["v1", "organizations", "accounts", id, "remove"]) => one(RemoveAccount, "account_id", id),
        ("GET", ["v1", "organizations", "handshakes", id]) => one(ShowHandshake, "handshake_id", id),
        ("POST", ["v1", "organizations", "handshakes", id, "cancel"]) => one(CancelHandshake, "handshake_id", id),
        ("GET", ["v1", "received-handshakes"]) => none(ListReceivedHandshakes),
        ("POST", ["v1", "received-handshakes", id, "accept"]) => one(AcceptHandshake, "handshake_id", id),
        ("POST", ["v1", "received-handshakes", id, "decline"]) => one(DeclineHandshake, "handshake_id", id),

        ("POST", ["v1", "managed-organization", "accounts", id, "enroll"]) => {
            one(EnrollAccount, "managed_account_id", id)
        }
        ("POST", ["v1", "managed-organization", "managed-accounts", id, "update"]) => {
            one(UpdateManagedAccount, "managed_account_id", id)
        }
        ("POST", ["v1", "managed-organization", "managed-accounts", id, "un-enroll"]) => {
            one(UnEnrollAccount, "managed_account_id", id)
        }
        ("GET", ["v1", "managed-organization", "managed-accounts", id]) => {
            one(ShowManagedAccount, "managed_account_id", id)
        }
        ("GET", ["v1", "managed-organization", "managed-organizational-units", ou, "managed-accounts"]) => {
            one(ListManagedAccountsForParent, "managed_organizational_unit_id", ou)
        }
        ("GET", ["v1", "managed-organization"]) => none(ListOperation),
        ("GET", ["v1", "managed-organization", id]) if !RGC_RESERVED.contains(id) => {
            one(ShowOperation, "operation_id", id)
        }

        ("GET", ["v1", "instances"]) => none(ListInstances),
        ("POST", ["v1", "instances", id, "account-assignments", "create"]) => {
            one(CreateAccountAssignment, "instance_id", id)
        }
        ("POST", ["v1", "instances", id, "account-assignments", "delete"]) => {
            one(DeleteAccountAssignment, "instance_id", id)
        }
        ("GET", ["v1", "instances", id, "account-assignments", "creation-status", request]) => Some(Route {
            action: DescribeAccountAssignmentCreationStatus,
            path_params: vec![("instance_id", (*id).to_owned()), ("request_id", (*request).to_owned())],
        }),
        ("GET", ["v1", "instances", id, "account-assignments", "deletion-status", request]) => Some(Route {
            action: DescribeAccountAssignmentDeletionStatus,
            path_params: vec![("instance_id", (*id).to_owned()), ("request_id", (*request).to_owned())],
        }),
        ("GET", ["v1", "instances", id, "account-assignments"]) => one(ListAccountAssignments, "instance_id", id),
        ("GET", ["v1", "instances", id, "account-assignments-for-principals"]) => {
            one(ListAccountAssignmentsForPrincipal, "instance_id", id)
        }
        ("POST", ["v1", "instances", id, "disassociate-profile"]) => one(DisassociateProfile, "instance_id", id),

        ("GET", ["v3", "auth", "domains"]) => none(KeystoneListAuthDomains),
        ("GET", ["v3", "projects"]) => none(KeystoneListProjects),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_the_documented_paths() {
        let r = route("POST", "/v1/organizations/leave").unwrap();
        assert_eq!((r.action, r.action.service()), (Action::LeaveOrganization, Service::Organizations));
        let r = route("POST", "/v1/managed-organization/accounts/abc/enroll").unwrap();
        assert_eq!(r.action, Action::EnrollAccount);
        assert_eq!(r.param("managed_account_id"), "abc");
        assert!(r.action.starts_job());
        let r = route("GET", "/v1/managed-organization/op%2D1").unwrap();
        assert_eq!((r.action, r.param("operation_id")), (Action::ShowOperation, "op-1"));
        let r = route("GET", "/v1/instances/ins-1/account-assignments/creation-status/req-9").unwrap();
        assert_eq!(r.action, Action::DescribeAccountAssignmentCreationStatus);
        assert_eq!((r.param("instance_id"), r.param("request_id")), ("ins-1", "req-9"));
        assert_eq!(route("GET", "/v3/auth/domains").unwrap().action.service(), Service::Iam);

        assert_eq!(route("GET", "/v1/organizations/leave"), None);
        assert_eq!(route("POST", "/v1/organizations"), None);
        assert_eq!(route("GET", "/v1/organizations/roots/x/y"), None);
        assert_eq!(route("GET", "/v1/managed-organization/managed-accounts"), None);
        assert_eq!(route("GET", "/v1/organizations/"), None);
        assert_eq!(route("GET", "/v1//organizations"), None);
        let names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
        assert!(names.contains(&"DisassociateProfile") && names.contains(&"UnEnrollAccount"));
    }
}
