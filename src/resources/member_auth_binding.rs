//! `tether_member_auth_binding`: binds one sub-account of the Tencent Cloud organization's
//! management account to a member account's access policy, so that sub-user can log in to the
//! member with that identity.
//!
//! create = BindOrganizationMemberAuthAccount, batched with concurrent creates under the same
//!          member and policy (up to five sub-accounts per call)
//! read   = DescribeOrganizationMemberAuthAccounts, paged, matched on all three keys; concurrent
//!          reads of one member and policy share a listing (see `clouds::tencent::coalesce`)
//! delete = CancelOrganizationMemberAuthAccount (the detach API)
//! list   = DescribeOrganizationMemberPolicies, then DescribeOrganizationMemberAuthAccounts per policy

use std::time::Duration;

use async_trait::async_trait;

use crate::clients::{Clients, OperationClients, ReportCloud, Service, already_exists, import_hint, report_detach};
use crate::clouds::tencent::{OrgMemberAuthAccount, TencentOrganizationClient};
use crate::clouds::{CloudError, ErrorKind};
use crate::framework::args::{positive_integer, require_positive_integer};
use crate::framework::identity::IdentityAttribute;
use crate::framework::model::Model;
use crate::framework::{
    Ctx, DetachCall, Diagnostic, Diagnostics, Found, MoveSource, Moved, Outcome, Plan, Report, Reported, Resource,
    Schema, SourceState, Value,
};

use crate::clients::write_outcome::{UnknownWrite, unconfirmed_create};

pub const TYPE_NAME: &str = "tether_member_auth_binding";

const IMPORT_FORMS: &str = "`<member_uin>/<policy_id>/<org_sub_account_uin>` (for example `100000000101/1001/200000000001`), or Tencent's own `<policy_id>#<member_uin>#<org_sub_account_uin>`";

/// Right after a Bind, Describe may not list the binding yet; re-read briefly before giving up.
const READ_AFTER_WRITE_ATTEMPTS: u32 = 5;
const READ_AFTER_WRITE_DELAY: Duration = Duration::from_millis(200);

pub struct MemberAuthBinding;

/// The state of a binding: every attribute, declared once.
#[derive(Model)]
struct State {
    /// `<member_uin>/<policy_id>/<org_sub_account_uin>`, also the import ID.
    #[tf(computed, import)]
    id: String,
    /// UIN of the member account.
    #[tf(required, force_new, identity)]
    member_uin: u64,
    /// ID of the member's access policy (see DescribeOrganizationMemberPolicies).
    #[tf(required, force_new, identity)]
    policy_id: u64,
    /// UIN of the management account's sub-account to bind.
    #[tf(required, force_new, identity)]
    org_sub_account_uin: u64,
    /// Name of the policy.
    #[tf(computed)]
    policy_name: String,
    /// ID of the identity the policy grants.
    #[tf(computed)]
    identity_id: Option<u64>,
    /// Role name of the identity.
    #[tf(computed)]
    identity_role_name: String,
    /// Role alias of the identity.
    #[tf(computed)]
    identity_role_alias_name: String,
    /// Name of the sub-account.
    #[tf(computed)]
    org_sub_account_name: String,
    /// When the binding was created, as Tencent Cloud reports it.
    #[tf(computed)]
    create_time: String,
    /// When the binding was last updated, as Tencent Cloud reports it.
    #[tf(computed)]
    update_time: String,
}

/// The arguments of a `list` block's `config`.
#[derive(Model)]
struct ListConfig {
    /// UIN of the member account whose bindings to list.
    #[tf(required)]
    member_uin: u64,
    /// Only bindings under this access policy. Leave it out to list the bindings of every policy of the member.
    #[tf(optional)]
    policy_id: Option<u64>,
}

const MEMBER_UIN: &str = State::MEMBER_UIN;
const POLICY_ID: &str = State::POLICY_ID;
const SUB_ACCOUNT_UIN: &str = State::ORG_SUB_ACCOUNT_UIN;

/// The three keys that identify a binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    member_uin: u64,
    policy_id: u64,
    sub_account_uin: u64,
}

impl Key {
    fn from_state(state: &Value) -> Result<Key, Diagnostic> {
        Ok(Key {
            member_uin: require_positive_integer(state, MEMBER_UIN, "100000000101")?,
            policy_id: require_positive_integer(state, POLICY_ID, "1001")?,
            sub_account_uin: require_positive_integer(state, SUB_ACCOUNT_UIN, "200000000001")?,
        })
    }

    fn id(&self) -> String {
        format!("{}/{}/{}", self.member_uin, self.policy_id, self.sub_account_uin)
    }

    /// Parses either import form; every part must be a positive integer.
    fn parse_import_id(id: &str) -> Result<Key, Diagnostic> {
        let invalid = |why: &str| {
            Diagnostic::error(
                "Invalid import ID",
                format!("{id:?} is not a member auth binding ID: {why}. Expected {IMPORT_FORMS}."),
            )
        };
        let (parts, tencent_order): (Vec<&str>, bool) =
            if id.contains('#') { (id.split('#').collect(), true) } else { (id.split('/').collect(), false) };
        if parts.len() != 3 {
            return Err(invalid("it must have exactly three parts"));
        }
        let mut numbers = [0u64; 3];
        for (slot, part) in numbers.iter_mut().zip(&parts) {
            *slot = match part.trim().parse::<u64>() {
                Ok(n) if n > 0 => n,
                _ => return Err(invalid(&format!("{part:?} is not a positive whole number"))),
            };
        }
        let [a, b, c] = numbers;
        Ok(if tencent_order {
            Key { policy_id: a, member_uin: b, sub_account_uin: c }
        } else {
            Key { member_uin: a, policy_id: b, sub_account_uin: c }
        })
    }
}

/// The state of the binding `key`, with what Tencent lists for it (`found`); without it, the
/// descriptive attributes are empty until the next refresh.
fn state(key: Key, found: Option<&OrgMemberAuthAccount>) -> Value {
    let text = |f: fn(&OrgMemberAuthAccount) -> &String| found.map(|a| f(a).clone()).unwrap_or_default();
    State {
        id: key.id(),
        member_uin: key.member_uin,
        policy_id: key.policy_id,
        org_sub_account_uin: key.sub_account_uin,
        policy_name: text(|a| &a.policy_name),
        identity_id: found.map(|a| a.identity_id),
        identity_role_name: text(|a| &a.identity_role_name),
        identity_role_alias_name: text(|a| &a.identity_role_alias_name),
        org_sub_account_name: text(|a| &a.org_sub_account_name),
        create_time: text(|a| &a.create_time),
        update_time: text(|a| &a.update_time),
    }
    .to_value()
}

/// The Tencent client (its calls abandoned on StopProvider) and the binding's keys.
fn client_and_key(ctx: &Ctx<'_, Clients>, state: &Value) -> Result<(TencentOrganizationClient, Key), Diagnostic> {
    Ok((ctx.tencent()?, Key::from_state(state)?))
}

/// Reads the binding, or `None` when the member, the policy or the binding itself is gone.
async fn find(client: &TencentOrganizationClient, key: Key) -> Result<Option<OrgMemberAuthAccount>, CloudError> {
    match client.find_member_auth_account_shared(key.member_uin, key.policy_id, key.sub_account_uin).await {
        Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
        other => other,
    }
}

/// Re-reads after a write until the binding shows up (or the attempts run out). `reader` carries
/// the operation's settle token (`Ctx::settle`): what the Bind did should reach the state even
/// when Terraform asks the provider to stop, but only for a few seconds, since Terraform waits
/// for the provider before it exits.
async fn find_after_write(
    reader: &TencentOrganizationClient,
    key: Key,
) -> Result<Option<OrgMemberAuthAccount>, CloudError> {
    for attempt in 1..=READ_AFTER_WRITE_ATTEMPTS {
        if let Some(found) = find(reader, key).await? {
            return Ok(Some(found));
        }
        if attempt < READ_AFTER_WRITE_ATTEMPTS {
            tokio::time::sleep(READ_AFTER_WRITE_DELAY).await;
        }
    }
    Ok(None)
}

/// `moved` from the official provider's attachment, which binds the same three keys.
const MOVE_SOURCES: &[MoveSource] = &[MoveSource {
    provider: "tencentcloudstack/tencentcloud",
    type_name: "tencentcloud_organization_policy_sub_account_attachment",
    schema_version: 0,
    convert: from_official_attachment,
}];

/// The official attachment's state as ours. Its ID (`<policy_id>#<member_uin>#<sub_uin>`, set
/// from the configuration at create) names the binding; its read looks the binding up by policy
/// and member only and keeps the first one listed, so when its key attributes disagree with the
/// ID they (and the names and times beside them) describe another sub-account's binding, and
/// only the ID is taken. The refresh that follows the move reads the rest.
fn from_official_attachment(source: &SourceState) -> Result<Moved, String> {
    let id = source.required_string("id")?;
    let key = Key::parse_import_id(&id).map_err(|d| {
        format!("its `id` {id:?} is not `<policy_id>#<member_uin>#<org_sub_account_uin>`: {}", d.detail)
    })?;
    let listed = Key {
        member_uin: source.integer(MEMBER_UIN)?.unwrap_or_default(),
        policy_id: source.integer(POLICY_ID)?.unwrap_or_default(),
        sub_account_uin: source.integer(SUB_ACCOUNT_UIN)?.unwrap_or_default(),
    };
    let found = if listed == key {
        Some(OrgMemberAuthAccount {
            org_sub_account_uin: key.sub_account_uin,
            org_sub_account_name: source.text(State::ORG_SUB_ACCOUNT_NAME)?,
            policy_id: key.policy_id,
            policy_name: source.text(State::POLICY_NAME)?,
            identity_id: source.integer(State::IDENTITY_ID)?.unwrap_or_default(),
            identity_role_name: source.text(State::IDENTITY_ROLE_NAME)?,
            identity_role_alias_name: source.text(State::IDENTITY_ROLE_ALIAS_NAME)?,
            create_time: source.text(State::CREATE_TIME)?,
            update_time: source.text(State::UPDATE_TIME)?,
        })
    } else {
        None
    };
    // Its destroy calls CancelOrganizationMemberAuthAccount, as ours does.
    Ok(Moved { state: state(key, found.as_ref()), detach_on_destroy: true })
}

#[async_trait]
impl Resource<Clients> for MemberAuthBinding {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn service(&self) -> Service {
        Service::TencentOrganization
    }

    fn move_sources(&self) -> &'static [MoveSource] {
        MOVE_SOURCES
    }

    fn identity(&self) -> &'static [IdentityAttribute] {
        State::IDENTITY
    }

    fn schema(&self) -> Schema {
        State::schema(
            "Binds a sub-account (CAM sub-user) of the Tencent Cloud organization's management account to an access policy (identity) of a member account, so that sub-user can log in to the member with that identity. Destroying it calls **CancelOrganizationMemberAuthAccount**, which removes that sub-account's access to the member under this policy. Every argument forces replacement.",
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        for (name, example) in [(MEMBER_UIN, "100000000101"), (POLICY_ID, "1001"), (SUB_ACCOUNT_UIN, "200000000001")] {
            if let Err(d) = positive_integer(config, name, example) {
                diags.push(d);
            }
        }
    }

    /// The ID follows from the keys, so the plan can show it instead of "known after apply".
    async fn modify_plan(&self, _ctx: &Ctx<'_, Clients>, plan: &mut Plan, _diags: &mut Diagnostics) -> Outcome<()> {
        if let Ok(key) = Key::from_state(&plan.planned) {
            if let Some(id) = plan.planned.attr_mut(State::ID) {
                *id = Value::from(key.id());
            }
        }
        Ok(())
    }

    async fn create(&self, ctx: &Ctx<'_, Clients>, planned: &Value, diags: &mut Diagnostics) -> Outcome<Value> {
        let (client, key) = client_and_key(ctx, planned).report(diags)?;
        let reader = client.with_cancellation(ctx.settle());
        // Taken before the call is even batched, so it is never later than the Bind went out.
        let sent = std::time::SystemTime::now();
        let bound = client.bind_member_auth_account_batched(key.member_uin, key.policy_id, key.sub_account_uin).await;
        match bound {
            Ok(_) => {}
            Err(e) if e.kind == ErrorKind::Conflict => {
                return Err(already_exists("Binding already exists", &e, TYPE_NAME, &key.id())).report(diags);
            }
            // A transport failure, or Ctrl-C while the call was in flight, may have come after
            // Tencent applied the Bind. Bind is not idempotent, so instead of retrying, look: if
            // the binding exists, it is ours and goes into the state — unless its CreateTime
            // shows it existed before this Bind (whose refusal, SubAccountIdentityExist, is what
            // was lost). Adopting that would let a later destroy cancel a binding Terraform never
            // made. There is no read before the Bind to tell: proving absence takes the policy's
            // whole listing, too dear per bind (see the destroy guide).
            Err(e) if e.is_ambiguous() => {
                return match find_after_write(&reader, key).await {
                    Ok(Some(found)) if found.existed_before(sent) => Err(Diagnostic::error(
                        "Binding already exists",
                        format!(
                            "The answer of BindOrganizationMemberAuthAccount for {} was lost ({e}), and the binding found afterwards was created at {} (Beijing time), before this Bind: it was not made by this configuration. {}",
                            key.id(),
                            found.create_time,
                            import_hint(TYPE_NAME, &key.id())
                        ),
                    ))
                    .report(diags),
                    Ok(Some(found)) => Ok(state(key, Some(&found))),
                    // Listed nowhere, after re-reading: the Bind did not take effect.
                    Ok(None) => Err(e).report_as("Could not bind the sub-account", diags),
                    // Neither the answer nor a read tells: recorded unconfirmed, for the next
                    // refresh to settle (`confirm`).
                    Err(read) => {
                        let found = format!("reading whether it took effect failed too ({read})");
                        let recorded = format!("The binding {}", key.id());
                        unconfirmed_create(ctx, sent, &UnknownWrite::of(&e), &found, &recorded, diags);
                        Ok(state(key, None))
                    }
                };
            }
            Err(e) => return Err(e).report_as("Could not bind the sub-account", diags),
        }
        match find_after_write(&reader, key).await {
            Ok(Some(found)) => Ok(state(key, Some(&found))),
            outcome => {
                let why = match outcome {
                    Err(e) => e.to_string(),
                    _ => "DescribeOrganizationMemberAuthAccounts does not list it yet".to_string(),
                };
                // Tencent answered the Bind: the binding is ours and goes into the state, and
                // only its descriptive attributes wait for the next refresh. A warning, not an
                // error, which would make Terraform taint it and the next apply replace (cancel
                // and bind again) a binding that is fine — after Ctrl-C this is the usual case.
                diags.warning(
                    "Bound, but could not read the binding back",
                    format!("BindOrganizationMemberAuthAccount succeeded for {}, but reading it back failed: {why}. It is recorded in the state; the next plan or apply reads its details.", key.id()),
                );
                Ok(state(key, None))
            }
        }
    }

    /// A binding whose Bind (sent at `since`) may not have taken effect: kept only if it exists
    /// and was not there before that Bind — one created earlier is someone else's, whose
    /// refusal (SubAccountIdentityExist) was the lost answer, and adopting it would let a
    /// destroy cancel it.
    async fn confirm(
        &self,
        ctx: &Ctx<'_, Clients>,
        current: &Value,
        since: std::time::SystemTime,
        diags: &mut Diagnostics,
    ) -> Outcome<Option<Value>> {
        let (client, key) = client_and_key(ctx, current).report(diags)?;
        match find(&client, key).await.report_as("Could not read the member auth binding", diags)? {
            Some(found) if found.existed_before(since) => {
                diags.warning(
                    format!("Not recording {}: it was not made by this configuration", key.id()),
                    format!(
                        "An interrupted apply recorded {} as unconfirmed. The binding found now was created at {} (Beijing time), before that apply's Bind, so it is someone else's and is dropped from the state (nothing is changed in the cloud). The next apply tries to bind it and reports it exists. {}",
                        key.id(),
                        found.create_time,
                        import_hint(TYPE_NAME, &key.id())
                    ),
                );
                Ok(None)
            }
            found => Ok(found.map(|found| state(key, Some(&found)))),
        }
    }

    async fn read(&self, ctx: &Ctx<'_, Clients>, current: &Value, diags: &mut Diagnostics) -> Outcome<Option<Value>> {
        let (client, key) = client_and_key(ctx, current).report(diags)?;
        let found = find(&client, key).await.report_as("Could not read the member auth binding", diags)?;
        Ok(found.map(|found| state(key, Some(&found))))
    }

    async fn delete(&self, ctx: &Ctx<'_, Clients>, prior: &Value, diags: &mut Diagnostics) -> Outcome<()> {
        let (client, key) = client_and_key(ctx, prior).report(diags)?;
        // Cancel is not repeated blindly: after a lost answer the binding is read first, and a
        // binding bound again since (another CreateTime than the one in state) is left alone.
        // Already detached (or its member or policy gone) counts as done.
        let created = prior.attr(State::CREATE_TIME).and_then(Value::as_str);
        let outcome = client
            .cancel_member_auth_account_reconciled(
                key.member_uin,
                key.policy_id,
                key.sub_account_uin,
                created,
                Some(&ctx.settle()),
            )
            .await;
        report_detach(
            outcome,
            "Could not cancel the member auth binding",
            &format!("the member auth binding {}", key.id()),
            diags,
        )
    }

    fn detach_call(&self, state: &Value) -> Result<DetachCall, String> {
        let number =
            |name: &str| state.attr(name).and_then(Value::as_number).map(|n| n.to_string()).unwrap_or_default();
        Ok(DetachCall {
            api: "Tencent Cloud CancelOrganizationMemberAuthAccount".into(),
            parameters: format!(
                "{{MemberUin: {}, PolicyId: {}, OrgSubAccountUin: {}}}",
                number(MEMBER_UIN),
                number(POLICY_ID),
                number(SUB_ACCOUNT_UIN)
            ),
        })
    }

    async fn destroy_effect(&self, _ctx: &Ctx<'_, Clients>, prior: &Value) -> String {
        let number =
            |name: &str| prior.attr(name).and_then(Value::as_number).map(|n| n.to_string()).unwrap_or_default();
        let named = |name: &str, id: String| match prior.attr(name).and_then(Value::as_str).filter(|s| !s.is_empty()) {
            Some(label) => format!("{label} ({id})"),
            None => id,
        };
        format!(
            "sub-account {} can no longer log in to member account {} with policy {}.",
            named(State::ORG_SUB_ACCOUNT_NAME, number(SUB_ACCOUNT_UIN)),
            number(MEMBER_UIN),
            named(State::POLICY_NAME, number(POLICY_ID)),
        )
    }

    async fn import(&self, _ctx: &Ctx<'_, Clients>, id: &str, diags: &mut Diagnostics) -> Outcome<Value> {
        let key = Key::parse_import_id(id).report(diags)?;
        Ok(State::import_state_of(state(key, None)))
    }

    fn list_schema(&self) -> Option<Schema> {
        Some(ListConfig::schema(
            "Finds the sub-account bindings of a member account: all of them, or those of one policy.",
        ))
    }

    fn validate_list(&self, config: &Value, diags: &mut Diagnostics) {
        for (name, example) in [(ListConfig::MEMBER_UIN, "100000000101"), (ListConfig::POLICY_ID, "1001")] {
            if let Err(d) = positive_integer(config, name, example) {
                diags.push(d);
            }
        }
    }

    async fn list(
        &self,
        ctx: &Ctx<'_, Clients>,
        config: &Value,
        found: &mut Found,
        diags: &mut Diagnostics,
    ) -> Outcome<()> {
        let client = ctx.tencent().report(diags)?;
        let (Ok(Some(member_uin)), Ok(policy_id)) =
            (positive_integer(config, ListConfig::MEMBER_UIN, ""), positive_integer(config, ListConfig::POLICY_ID, ""))
        else {
            diags.error("Invalid list configuration", "member_uin must be a known positive whole number.");
            return Err(Reported);
        };
        let policy_id_configured = policy_id;
        let policies = match policy_id {
            Some(policy_id) => vec![policy_id],
            None => {
                let policies = client
                    .list_member_policies(member_uin)
                    .await
                    .report_as("Could not list the member's policies", diags)?;
                policies.into_iter().map(|p| p.policy_id).collect()
            }
        };
        for policy_id in policies {
            let mut pages = client.member_auth_account_pages(member_uin, policy_id);
            loop {
                let page = match pages.next_page().await {
                    Ok(Some(page)) => page,
                    Ok(None) => break,
                    // A policy deleted while we list has no bindings left; a configured one that
                    // does not exist is the user's mistake, reported below.
                    Err(e) if e.kind == ErrorKind::NotFound && policy_id_configured.is_none() => break,
                    Err(e) => return Err(e).report_as("Could not list the member's auth bindings", diags),
                };
                for account in page {
                    let key = Key { member_uin, policy_id, sub_account_uin: account.org_sub_account_uin };
                    let label = format!(
                        "{} ({}) → member {member_uin}, policy {} ({policy_id})",
                        account.org_sub_account_name, key.sub_account_uin, account.policy_name
                    );
                    if !found.push(label, state(key, Some(&account))).await {
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::AttributePath;
    use crate::framework::args::object;

    #[test]
    fn import_ids_in_both_forms() {
        let key = Key { member_uin: 100000000101, policy_id: 1001, sub_account_uin: 200000000001 };
        assert_eq!(Key::parse_import_id("100000000101/1001/200000000001"), Ok(key));
        assert_eq!(Key::parse_import_id("1001#100000000101#200000000001"), Ok(key));
        assert_eq!(key.id(), "100000000101/1001/200000000001");
    }

    #[test]
    fn bad_import_ids_show_the_expected_form() {
        for bad in ["", "1/2", "1/2/3/4", "a/2/3", "0/2/3", "1#2", "-1/2/3", "1/2/ "] {
            let error = Key::parse_import_id(bad).unwrap_err();
            assert_eq!(error.summary, "Invalid import ID");
            assert!(error.detail.contains("<member_uin>/<policy_id>/<org_sub_account_uin>"), "{bad}: {}", error.detail);
        }
    }

    #[test]
    fn keys_force_replacement_and_import_keeps_only_them() {
        let schema = MemberAuthBinding.schema();
        for name in [MEMBER_UIN, POLICY_ID, SUB_ACCOUNT_UIN] {
            let attribute = schema.block.find_attribute(name).unwrap();
            assert!(attribute.required && attribute.force_new, "{name}");
        }
        let key = Key { member_uin: 1, policy_id: 2, sub_account_uin: 3 };
        let imported = State::import_state_of(state(key, None));
        imported.conforms_to(&schema.implied_type()).unwrap();
        assert_eq!(imported.attr("id"), Some(&Value::from("1/2/3")));
        assert_eq!(imported.attr(SUB_ACCOUNT_UIN), Some(&Value::from(3u64)));
        assert_eq!(imported.attr("policy_name"), Some(&Value::Null));
    }

    #[test]
    fn validation_names_the_attribute() {
        let config = object([
            (MEMBER_UIN, Value::from(-5i64)),
            (POLICY_ID, Value::unknown()),
            (SUB_ACCOUNT_UIN, Value::from(3u64)),
        ]);
        let mut diags = Diagnostics::new();
        MemberAuthBinding.validate(&config, &mut diags);
        assert_eq!(diags.0.len(), 1);
        assert_eq!(diags.0[0].path, Some(AttributePath::root(MEMBER_UIN)));
        assert!(diags.0[0].detail.contains("positive whole number"));
    }
}
