//! Tencent Cloud Organization (API version 2021-03-31): the member auth-account actions, and the
//! member listing they are found from.
//!
//! Each action validates its parameters, checks the referenced member / policy / sub-accounts in
//! the order the service reports them, and either changes the world completely or not at all.

use serde_json::{Map, Value, json};

use super::error::{TcError, codes};
use super::model::{AuthBinding, Member, MemberPolicy, Organization};
use super::params::Params;

pub const VERSION: &str = "2021-03-31";
/// The TC3 service name in the credential scope.
pub const SERVICE: &str = "organization";

/// Tencent allows at most this many sub-accounts per Bind call.
const MAX_BIND_SUB_ACCOUNTS: usize = 5;
const MAX_LIMIT: i64 = 50;
const DEFAULT_LIMIT: i64 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    BindOrganizationMemberAuthAccount,
    CancelOrganizationMemberAuthAccount,
    DescribeOrganizationMemberAuthAccounts,
    DescribeOrganizationMemberPolicies,
    DescribeOrganizationMembers,
}

impl Action {
    pub const ALL: [Action; 5] = [
        Action::BindOrganizationMemberAuthAccount,
        Action::CancelOrganizationMemberAuthAccount,
        Action::DescribeOrganizationMemberAuthAccounts,
        Action::DescribeOrganizationMemberPolicies,
        Action::DescribeOrganizationMembers,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Action::BindOrganizationMemberAuthAccount => "BindOrganizationMemberAuthAccount",
            Action::CancelOrganizationMemberAuthAccount => "CancelOrganizationMemberAuthAccount",
            Action::DescribeOrganizationMemberAuthAccounts => "DescribeOrganizationMemberAuthAccounts",
            Action::DescribeOrganizationMemberPolicies => "DescribeOrganizationMemberPolicies",
            Action::DescribeOrganizationMembers => "DescribeOrganizationMembers",
        }
    }

    /// Action names are case-sensitive, as in the service.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// The action's answer (the fields of `Response` besides `RequestId`) and whether it changed the
/// world (so the caller knows to save the state file).
#[derive(Debug, Clone, PartialEq)]
pub struct Executed {
    pub response: Map<String, Value>,
    pub mutated: bool,
}

/// Runs `action`. `now` is the already formatted Tencent time for Create/UpdateTime.
pub fn execute(action: Action, params: &Params, org: &mut Organization, now: &str) -> Result<Executed, TcError> {
    match action {
        Action::BindOrganizationMemberAuthAccount => bind(params, org, now),
        Action::CancelOrganizationMemberAuthAccount => cancel(params, org),
        Action::DescribeOrganizationMemberAuthAccounts => describe_auth_accounts(params, org),
        Action::DescribeOrganizationMemberPolicies => describe_policies(params, org),
        Action::DescribeOrganizationMembers => describe_members(params, org),
    }
}

fn bind(params: &Params, org: &mut Organization, now: &str) -> Result<Executed, TcError> {
    params.allow_only(&["MemberUin", "PolicyId", "OrgSubAccountUins"])?;
    let member_uin = params.required_int("MemberUin")?;
    let policy_id = params.required_int("PolicyId")?;
    let sub_account_uins = params.required_int_list("OrgSubAccountUins")?;
    if sub_account_uins.is_empty() || sub_account_uins.len() > MAX_BIND_SUB_ACCOUNTS {
        return Err(TcError::invalid(
            "OrgSubAccountUins",
            format_args!("it must list 1 to {MAX_BIND_SUB_ACCOUNTS} sub-account UINs"),
        ));
    }
    for (i, uin) in sub_account_uins.iter().enumerate() {
        if sub_account_uins[..i].contains(uin) {
            return Err(TcError::invalid("OrgSubAccountUins", format_args!("{uin} is listed twice")));
        }
    }

    member_policy(org, member_uin, policy_id)?;
    for &uin in &sub_account_uins {
        if org.sub_account(uin).is_none() {
            return Err(sub_account_not_exist(uin));
        }
    }
    // All-or-nothing: any existing binding rejects the whole call before anything is recorded.
    for &uin in &sub_account_uins {
        if org.binding_index(member_uin, policy_id, uin).is_some() {
            return Err(TcError::new(
                codes::SUB_ACCOUNT_IDENTITY_EXIST,
                format!("The sub-account {uin} already has the identity of policy {policy_id} on member {member_uin}."),
            ));
        }
    }

    let seq = org.next_binding_seq;
    org.next_binding_seq += 1;
    org.bindings.extend(sub_account_uins.iter().map(|&sub_account_uin| AuthBinding {
        member_uin,
        policy_id,
        sub_account_uin,
        seq,
        create_time: now.to_owned(),
        update_time: now.to_owned(),
    }));
    Ok(Executed { response: Map::new(), mutated: true })
}

fn cancel(params: &Params, org: &mut Organization) -> Result<Executed, TcError> {
    params.allow_only(&["MemberUin", "PolicyId", "OrgSubAccountUin"])?;
    let member_uin = params.required_int("MemberUin")?;
    let policy_id = params.required_int("PolicyId")?;
    let sub_account_uin = params.required_int("OrgSubAccountUin")?;

    member_policy(org, member_uin, policy_id)?;
    if org.sub_account(sub_account_uin).is_none() {
        return Err(sub_account_not_exist(sub_account_uin));
    }
    // Whether the service errors on cancelling a binding that does not exist is unconfirmed; the
    // emulator reports it (README: "documented choices") so providers must treat it as "gone".
    let Some(index) = org.binding_index(member_uin, policy_id, sub_account_uin) else {
        return Err(TcError::new(
            codes::SUB_ACCOUNT_NOT_EXIST,
            format!("The sub-account {sub_account_uin} is not bound to policy {policy_id} of member {member_uin}."),
        ));
    };
    org.bindings.remove(index);
    Ok(Executed { response: Map::new(), mutated: true })
}

fn describe_auth_accounts(params: &Params, org: &mut Organization) -> Result<Executed, TcError> {
    params.allow_only(&["MemberUin", "PolicyId", "Offset", "Limit"])?;
    let member_uin = params.required_int("MemberUin")?;
    let policy_id = params.required_int("PolicyId")?;
    let page = Page::from_params(params)?;

    let (_, policy) = member_policy(org, member_uin, policy_id)?;
    let mut bindings: Vec<&AuthBinding> =
        org.bindings.iter().filter(|b| b.member_uin == member_uin && b.policy_id == policy_id).collect();
    bindings.sort_by_key(|b| (b.seq, b.sub_account_uin));
    let total = bindings.len();
    let items: Vec<Value> = page
        .slice(&bindings)
        .iter()
        .map(|b| {
            let name = org.sub_account(b.sub_account_uin).map(|s| s.name.as_str()).unwrap_or_default();
            json!({
                "OrgSubAccountUin": b.sub_account_uin,
                "PolicyId": policy.policy_id,
                "PolicyName": policy.policy_name,
                "IdentityId": policy.identity_id,
                "IdentityRoleName": policy.identity_role_name,
                "IdentityRoleAliasName": policy.identity_role_alias_name,
                "CreateTime": b.create_time,
                "UpdateTime": b.update_time,
                "OrgSubAccountName": name,
            })
        })
        .collect();
    Ok(listing(items, total))
}

fn describe_policies(params: &Params, org: &mut Organization) -> Result<Executed, TcError> {
    params.allow_only(&["MemberUin", "Offset", "Limit", "SearchKey"])?;
    let member_uin = params.required_int("MemberUin")?;
    let page = Page::from_params(params)?;
    let search = params.string("SearchKey")?.map(|s| s.to_lowercase()).filter(|s| !s.is_empty());

    let member = member(org, member_uin)?;
    // "SearchKey: 可用于策略名或描述搜索" — matched against the policy name or description.
    let policies: Vec<&MemberPolicy> = member
        .policies
        .iter()
        .filter(|p| {
            search.as_ref().is_none_or(|key| {
                p.policy_name.to_lowercase().contains(key) || p.description.to_lowercase().contains(key)
            })
        })
        .collect();
    let total = policies.len();
    let items: Vec<Value> = page
        .slice(&policies)
        .iter()
        .map(|p| {
            json!({
                "PolicyId": p.policy_id,
                "PolicyName": p.policy_name,
                "IdentityId": p.identity_id,
                "IdentityRoleName": p.identity_role_name,
                "IdentityRoleAliasName": p.identity_role_alias_name,
                "Description": p.description,
                "CreateTime": p.create_time,
                "UpdateTime": p.update_time,
            })
        })
        .collect();
    Ok(listing(items, total))
}

/// The organization's member accounts, in the order they joined (the fixture's order; Tencent
/// documents none). `SearchKey` ("search by member name or ID") matches the name
/// case-insensitively or the UIN's digits, as a substring. `Lang` only picks the site the caller
/// belongs to and changes nothing here. The other documented filters (`AuthName`, `Product`,
/// `Tags`, `NodeId`, `NodeName`) select by entity names, trusted services, tags and
/// organizational units, which the emulator does not model: it refuses them as unknown rather
/// than answer as if they matched everything.
fn describe_members(params: &Params, org: &mut Organization) -> Result<Executed, TcError> {
    params.allow_only(&["Offset", "Limit", "Lang", "SearchKey"])?;
    let page = Page::from_params(params)?;
    params.string("Lang")?;
    let search = params.string("SearchKey")?.map(|s| s.to_lowercase()).filter(|s| !s.is_empty());

    let members: Vec<&Member> = org
        .members
        .iter()
        .filter(|m| {
            search.as_ref().is_none_or(|key| m.name.to_lowercase().contains(key) || m.uin.to_string().contains(key))
        })
        .collect();
    let total = members.len();
    // OrgMember's fields the emulator knows; the others (relationship policy, permissions,
    // payer, units, ...) are documented as possibly null and left out.
    let items: Vec<Value> = page.slice(&members).iter().map(|m| json!({"MemberUin": m.uin, "Name": m.name})).collect();
    Ok(listing(items, total))
}

fn listing(items: Vec<Value>, total: usize) -> Executed {
    let mut response = Map::new();
    response.insert("Items".into(), Value::Array(items));
    response.insert("Total".into(), json!(total));
    Executed { response, mutated: false }
}

/// Offset/Limit as documented: Limit 1..=50 (default 10); Offset ≥ 0 and "a multiple of Limit"
/// (default 0). The multiple rule is enforced, as documented, so paging bugs surface here.
struct Page {
    offset: usize,
    limit: usize,
}

impl Page {
    fn from_params(params: &Params) -> Result<Page, TcError> {
        let limit = params.int("Limit")?.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(TcError::invalid("Limit", format_args!("it must be within 1..={MAX_LIMIT}, got {limit}")));
        }
        let offset = params.int("Offset")?.unwrap_or(0);
        if offset < 0 {
            return Err(TcError::invalid("Offset", format_args!("it must not be negative, got {offset}")));
        }
        if offset % limit != 0 {
            return Err(TcError::invalid(
                "Offset",
                format_args!("it must be a multiple of Limit ({limit}), got {offset}"),
            ));
        }
        let to_usize = |n: i64| usize::try_from(n).unwrap_or(usize::MAX);
        Ok(Page { offset: to_usize(offset), limit: to_usize(limit) })
    }

    fn slice<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let start = self.offset.min(items.len());
        let end = start.saturating_add(self.limit).min(items.len());
        &items[start..end]
    }
}

fn member(org: &Organization, member_uin: i64) -> Result<&Member, TcError> {
    org.member(member_uin).ok_or_else(|| {
        TcError::new(codes::MEMBER_NOT_EXIST, format!("The member {member_uin} does not exist in the organization."))
    })
}

fn member_policy(org: &Organization, member_uin: i64, policy_id: i64) -> Result<(&Member, &MemberPolicy), TcError> {
    let member = member(org, member_uin)?;
    let policy = member.policy(policy_id).ok_or_else(|| {
        TcError::new(
            codes::MEMBER_POLICY_NOT_EXIST,
            format!("The policy {policy_id} does not exist for member {member_uin}."),
        )
    })?;
    Ok((member, policy))
}

fn sub_account_not_exist(uin: i64) -> TcError {
    TcError::new(
        codes::SUB_ACCOUNT_NOT_EXIST,
        format!("The sub-account {uin} does not exist in the management account."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    const T: &str = "2025-01-01 08:00:00";

    fn org() -> Organization {
        fixtures::seed().tencent.organization
    }

    fn run(org: &mut Organization, action: Action, params: Value) -> Result<Executed, TcError> {
        execute(action, &Params::new(params).unwrap(), org, T)
    }

    fn bind(org: &mut Organization, uins: &[i64]) -> Result<Executed, TcError> {
        run(
            org,
            Action::BindOrganizationMemberAuthAccount,
            json!({"MemberUin": 100000000101_i64, "PolicyId": 1001, "OrgSubAccountUins": uins}),
        )
    }

    fn err(result: Result<Executed, TcError>) -> String {
        result.unwrap_err().code
    }

    #[test]
    fn bind_is_all_or_nothing() {
        let mut org = org();
        bind(&mut org, &[200000000002]).unwrap();
        let before = org.clone();
        assert_eq!(err(bind(&mut org, &[200000000001, 200000000002])), codes::SUB_ACCOUNT_IDENTITY_EXIST);
        assert_eq!(err(bind(&mut org, &[200000000001, 200000000999])), codes::SUB_ACCOUNT_NOT_EXIST);
        assert_eq!(org, before);
    }

    #[test]
    fn bind_validates_the_list() {
        let mut org = org();
        assert_eq!(err(bind(&mut org, &[])), codes::INVALID_PARAMETER);
        let six: Vec<i64> = (200000000001..=200000000006).collect();
        assert_eq!(err(bind(&mut org, &six)), codes::INVALID_PARAMETER);
        assert_eq!(err(bind(&mut org, &[200000000001, 200000000001])), codes::INVALID_PARAMETER);
        let five: Vec<i64> = (200000000001..=200000000005).collect();
        assert!(bind(&mut org, &five).unwrap().mutated);
    }

    #[test]
    fn listing_orders_by_creation_then_uin() {
        let mut org = org();
        bind(&mut org, &[200000000009, 200000000003]).unwrap();
        bind(&mut org, &[200000000001]).unwrap();
        let out = run(
            &mut org,
            Action::DescribeOrganizationMemberAuthAccounts,
            json!({"MemberUin": "100000000101", "PolicyId": "1001", "Offset": 0, "Limit": 10}),
        )
        .unwrap();
        let uins: Vec<i64> =
            out.response["Items"].as_array().unwrap().iter().map(|i| i["OrgSubAccountUin"].as_i64().unwrap()).collect();
        assert_eq!(uins, [200000000003, 200000000009, 200000000001]);
        assert_eq!(out.response["Total"], 3);
        assert!(!out.mutated);
    }

    #[test]
    fn paging_rules() {
        let mut org = org();
        let describe = |org: &mut Organization, offset: Value, limit: Value| {
            run(
                org,
                Action::DescribeOrganizationMemberPolicies,
                json!({"MemberUin": 100000000102_i64, "Offset": offset, "Limit": limit}),
            )
        };
        assert_eq!(err(describe(&mut org, json!(0), json!(0))), codes::INVALID_PARAMETER);
        assert_eq!(err(describe(&mut org, json!(0), json!(51))), codes::INVALID_PARAMETER);
        assert_eq!(err(describe(&mut org, json!(-2), json!(2))), codes::INVALID_PARAMETER);
        assert_eq!(err(describe(&mut org, json!(1), json!(2))), codes::INVALID_PARAMETER);
        assert_eq!(err(describe(&mut org, json!("x"), json!(2))), codes::INVALID_PARAMETER);
        let page2 = describe(&mut org, json!(2), json!(2)).unwrap();
        assert_eq!(page2.response["Total"], 3);
        assert_eq!(page2.response["Items"][0]["PolicyId"], 1003);
        let past_end = describe(&mut org, json!(50), json!(50)).unwrap();
        assert_eq!(past_end.response["Items"], json!([]));
    }

    fn members(org: &mut Organization, params: Value) -> Result<Executed, TcError> {
        run(org, Action::DescribeOrganizationMembers, params)
    }

    fn member_uins(out: &Executed) -> Vec<i64> {
        out.response["Items"].as_array().unwrap().iter().map(|i| i["MemberUin"].as_i64().unwrap()).collect()
    }

    #[test]
    fn members_are_listed_in_pages_with_their_total() {
        let mut org = org();
        let all = members(&mut org, json!({})).unwrap();
        assert_eq!(member_uins(&all), [100000000101, 100000000102, 100000000103], "default Limit 10, Offset 0");
        assert_eq!(all.response["Total"], 3);
        assert_eq!(all.response["Items"][0], json!({"MemberUin": 100000000101_i64, "Name": "finance-prod"}));
        assert!(!all.mutated);

        let second = members(&mut org, json!({"Offset": 2, "Limit": 2, "Lang": "en"})).unwrap();
        assert_eq!(member_uins(&second), [100000000103]);
        assert_eq!(second.response["Total"], 3, "Total counts every member, not the page");
        let past_end = members(&mut org, json!({"Offset": "50", "Limit": "50"})).unwrap();
        assert_eq!((past_end.response["Items"].clone(), past_end.response["Total"].clone()), (json!([]), json!(3)));

        for (offset, limit) in
            [(json!(0), json!(0)), (json!(0), json!(51)), (json!(-1), json!(1)), (json!(1), json!(2))]
        {
            assert_eq!(err(members(&mut org, json!({"Offset": offset, "Limit": limit}))), codes::INVALID_PARAMETER);
        }
        assert_eq!(err(members(&mut org, json!({"NodeId": 27}))), codes::UNKNOWN_PARAMETER);
        assert_eq!(err(members(&mut org, json!({"SearchKey": 5}))), codes::INVALID_PARAMETER);
    }

    #[test]
    fn members_search_key_matches_name_or_uin() {
        let mut org = org();
        let by_name = members(&mut org, json!({"SearchKey": "DATA"})).unwrap();
        assert_eq!(member_uins(&by_name), [100000000102]);
        assert_eq!(by_name.response["Total"], 1);
        let by_uin = members(&mut org, json!({"SearchKey": "100000000103"})).unwrap();
        assert_eq!(member_uins(&by_uin), [100000000103]);
        assert_eq!(members(&mut org, json!({"SearchKey": "nobody"})).unwrap().response["Total"], 0);
    }

    #[test]
    fn policies_search_key() {
        let mut org = org();
        let out = run(
            &mut org,
            Action::DescribeOrganizationMemberPolicies,
            json!({"MemberUin": 100000000102_i64, "SearchKey": "READ"}),
        )
        .unwrap();
        assert_eq!(out.response["Total"], 1);
        assert_eq!(out.response["Items"][0]["PolicyName"], "readonly-access");
    }

    #[test]
    fn cancel_of_an_unbound_sub_account_is_reported() {
        let mut org = org();
        let cancel = |org: &mut Organization| {
            run(
                org,
                Action::CancelOrganizationMemberAuthAccount,
                json!({"MemberUin": 100000000101_i64, "PolicyId": 1001, "OrgSubAccountUin": 200000000001_i64}),
            )
        };
        let err = cancel(&mut org).unwrap_err();
        assert_eq!(err.code, codes::SUB_ACCOUNT_NOT_EXIST);
        assert!(err.message.contains("not bound"));
        bind(&mut org, &[200000000001]).unwrap();
        assert!(cancel(&mut org).unwrap().mutated);
        assert!(org.bindings.is_empty());
    }

    #[test]
    fn parameter_errors() {
        let mut org = org();
        let r = run(&mut org, Action::CancelOrganizationMemberAuthAccount, json!({"MemberUin": 1, "PolicyId": 1}));
        assert_eq!(err(r), codes::MISSING_PARAMETER);
        let r = run(
            &mut org,
            Action::CancelOrganizationMemberAuthAccount,
            json!({"MemberUin": 1, "PolicyId": 1, "OrgSubAccountUin": 1, "Extra": 1}),
        );
        assert_eq!(err(r), codes::UNKNOWN_PARAMETER);
        let r = run(
            &mut org,
            Action::BindOrganizationMemberAuthAccount,
            json!({"MemberUin": 1, "PolicyId": 1, "OrgSubAccountUins": 5}),
        );
        assert_eq!(err(r), codes::INVALID_PARAMETER);
        let r = run(
            &mut org,
            Action::DescribeOrganizationMemberAuthAccounts,
            json!({"MemberUin": 100000000101_i64, "PolicyId": 1003}),
        );
        assert_eq!(err(r), codes::MEMBER_POLICY_NOT_EXIST);
        let r =
            run(&mut org, Action::DescribeOrganizationMemberAuthAccounts, json!({"MemberUin": 5, "PolicyId": 1001}));
        assert_eq!(err(r), codes::MEMBER_NOT_EXIST);
    }
}
