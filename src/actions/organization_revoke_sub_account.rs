//! `tether_organization_revoke_sub_account`: cancels every Tencent Cloud member auth binding of
//! one organization sub-account (a CAM sub-user of the management account) — on every member
//! account and access policy, or only on the chosen ones — as destroying each of its
//! `tether_member_auth_binding`s would: the offboarding of a person.
//!
//! plan   = DescribeOrganizationMembers (unless `member_uins` names the members), then each
//!          member's DescribeOrganizationMemberPolicies and each policy's
//!          DescribeOrganizationMemberAuthAccounts: the bindings that will go, or none
//! invoke = the same reads, then one CancelOrganizationMemberAuthAccount per binding, one after
//!          the other (read before any re-send), stopping at the first failure

use std::time::Duration;

use async_trait::async_trait;
use futures_util::stream::{self, StreamExt, TryStreamExt};

use crate::clients::{Clients, DetachEnd, OperationClients, ReportCloud, Service, report_action_detach};
use crate::clouds::reconcile::DetachError;
use crate::clouds::tencent::{MemberPolicy, TencentOrganizationClient};
use crate::clouds::{CloudError, ErrorKind};
use crate::framework::action::{self, Action, Progress};
use crate::framework::args::{positive_integer, require_positive_integer};
use crate::framework::diag::Severity;
use crate::framework::model::Model;
use crate::framework::operation::Limits;
use crate::framework::{AttributePath, Ctx, Diagnostic, Diagnostics, Outcome, Report, Schema, Value};

use super::MANAGED_ELSEWHERE;

pub const TYPE_NAME: &str = "tether_organization_revoke_sub_account";

const API: &str = "Tencent Cloud CancelOrganizationMemberAuthAccount";

/// The default of `timeout`, longer than the provider's `write_timeout` (20m) meant for one
/// write: finding the bindings reads every member's policies and every policy's bindings, paced
/// at Tencent's 20 calls per second per API (slower while other runs share the account's
/// limit), so an organization of 1 000 members with 5 policies each takes about 6 000 reads,
/// over four minutes at full pace, and the cancels follow at the same pace. An hour leaves room
/// for that under throttling while still ending a run that hangs.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// How many reads run at once. Every call is paced per API at 20 per second, so more in flight
/// would only queue behind the pacer; a few hide each call's round trip so the reads run near
/// that pace, and a failure leaves few calls behind it.
const PARALLEL_READS: usize = 4;

pub struct OrganizationRevokeSubAccount;

/// The arguments of the action's `config` block.
#[derive(Model)]
struct Config {
    /// UIN of the management account's sub-account (CAM sub-user) whose member auth bindings to cancel.
    #[tf(required)]
    org_sub_account_uin: u64,
    /// UINs of the member accounts to revoke its bindings on. Left out, every member account of the organization (listed with DescribeOrganizationMembers). A UIN that is not a member of the organization is an error, reported before anything is cancelled.
    #[tf(optional, set)]
    member_uins: Vec<u64>,
    /// IDs of the members' access policies to revoke its bindings to. Left out, every policy of each member (listed with DescribeOrganizationMemberPolicies). An ID that is not a policy of a member matches nothing on that member.
    #[tf(optional, set)]
    policy_ids: Vec<u64>,
}

/// What the configuration asks to revoke.
struct Scope {
    sub_account_uin: u64,
    /// `None`: every member of the organization.
    member_uins: Option<Vec<u64>>,
    /// `None`: every policy of each member.
    policy_ids: Option<Vec<u64>>,
}

impl Scope {
    fn from_config(config: &Value) -> Result<Scope, Diagnostic> {
        Ok(Scope {
            sub_account_uin: require_positive_integer(config, Config::ORG_SUB_ACCOUNT_UIN, "200000000001")?,
            member_uins: positive_integers(config, Config::MEMBER_UINS, "100000000101")?,
            policy_ids: positive_integers(config, Config::POLICY_IDS, "1001")?,
        })
    }

    /// Where the bindings were looked for, for the preview and the "nothing found" lines.
    fn described(&self, found: &Found) -> String {
        let members = match &self.member_uins {
            Some(uins) => format!("member {} {}", plural_word(uins.len(), "account"), joined(uins)),
            None => format!("every member account of the organization ({} listed)", found.members_listed),
        };
        let policies = match &self.policy_ids {
            Some(ids) => format!("{} {} of each", plural_word(ids.len(), "policy"), joined(ids)),
            None => "every access policy of each".to_string(),
        };
        format!("{members}, {policies}")
    }
}

/// A set argument of positive whole numbers, sorted; `None` when left out. An empty set is
/// refused: it would revoke nothing, and leaving the argument out means "all", the opposite.
fn positive_integers(config: &Value, name: &str, example: &str) -> Result<Option<Vec<u64>>, Diagnostic> {
    let Some(set) = config.attr(name).filter(|v| !v.is_null()) else { return Ok(None) };
    let invalid = |detail: String| Diagnostic::error(format!("Invalid {name}"), detail).at(AttributePath::root(name));
    let elements = set.elements().ok_or_else(|| invalid(format!("{name} must be a set of numbers.")))?;
    if elements.is_empty() {
        return Err(invalid(format!(
            "{name} is empty, which would revoke nothing. Leave it out to revoke on all of them, or list at least one, such as [{example}]."
        )));
    }
    let mut numbers = Vec::with_capacity(elements.len());
    for element in elements {
        let number = element.as_number().and_then(|n| n.as_u64()).filter(|&n| n > 0);
        let got = element.as_number().map_or_else(|| "a non-number".to_string(), ToString::to_string);
        numbers.push(number.ok_or_else(|| {
            invalid(format!("Every element of {name} must be a positive whole number, such as {example}; got {got}."))
        })?);
    }
    numbers.sort_unstable();
    numbers.dedup();
    Ok(Some(numbers))
}

/// One binding of the sub-account, as found.
#[derive(Debug, Clone)]
struct Binding {
    member_uin: u64,
    /// Empty when the member was named in `member_uins` (the members are then not listed).
    member_name: String,
    policy_id: u64,
    policy_name: String,
    /// As Tencent lists it: tells a binding made again after a lost Cancel from this one.
    create_time: String,
}

impl Binding {
    fn label(&self) -> String {
        format!(
            "member {}, policy {}",
            named(&self.member_name, self.member_uin),
            named(&self.policy_name, self.policy_id)
        )
    }
}

/// `name (id)`, or the bare ID when the name is unknown.
fn named(name: &str, id: u64) -> String {
    if name.is_empty() { id.to_string() } else { format!("{name} ({id})") }
}

fn plural_word(count: usize, word: &str) -> String {
    match (count, word) {
        (1, _) => word.to_string(),
        (_, "policy") => "policies".to_string(),
        _ => format!("{word}s"),
    }
}

fn counted(count: usize, word: &str) -> String {
    format!("{count} {}", plural_word(count, word))
}

fn joined(numbers: &[u64]) -> String {
    numbers.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

fn listed(bindings: &[&Binding]) -> String {
    bindings.iter().map(|b| format!("\n- {}", b.label())).collect()
}

/// What the reads found.
struct Found {
    /// Sorted by member UIN, then policy ID.
    bindings: Vec<Binding>,
    /// The sub-account's name as the bindings list it; empty when there are none.
    sub_account_name: String,
    /// How many members DescribeOrganizationMembers listed (0 when `member_uins` named them).
    members_listed: usize,
    /// IDs of `policy_ids` that are no policy of any member read.
    unmatched_policy_ids: Vec<u64>,
}

impl Found {
    fn sub_account(&self, uin: u64) -> String {
        format!("sub-account {}", named(&self.sub_account_name, uin))
    }

    fn member_count(&self) -> usize {
        let mut members: Vec<u64> = self.bindings.iter().map(|b| b.member_uin).collect();
        members.dedup();
        members.len()
    }

    fn unmatched(&self) -> String {
        match self.unmatched_policy_ids.as_slice() {
            [] => String::new(),
            ids => format!(
                " policy_ids {} {} no policy of these members.",
                joined(ids),
                if ids.len() == 1 { "is" } else { "are" }
            ),
        }
    }
}

/// A member's policies, or why there are none to read.
enum MemberPolicies {
    Listed(Vec<MemberPolicy>),
    /// DescribeOrganizationMemberPolicies says the member does not exist.
    Missing(CloudError),
}

/// Finds the sub-account's bindings in `scope`. Read failures are errors naming the API; a
/// member named in `member_uins` that does not exist is an error at that argument.
async fn discover(client: &TencentOrganizationClient, scope: &Scope, diags: &mut Diagnostics) -> Outcome<Found> {
    let (members, members_listed): (Vec<(u64, String)>, usize) = match &scope.member_uins {
        Some(uins) => (uins.iter().map(|&uin| (uin, String::new())).collect(), 0),
        None => {
            let mut members: Vec<(u64, String)> = client
                .list_organization_members()
                .await
                .report_as("Could not list the organization's member accounts", diags)?
                .into_iter()
                .filter(|m| m.member_uin > 0)
                .map(|m| (m.member_uin, m.name))
                .collect();
            members.sort_unstable_by_key(|(uin, _)| *uin);
            members.dedup_by_key(|(uin, _)| *uin);
            let count = members.len();
            (members, count)
        }
    };

    let policies: Vec<(u64, String, MemberPolicies)> = stream::iter(members)
        .map(|(uin, name)| async move {
            match client.list_member_policies(uin).await {
                Ok(policies) => Ok((uin, name, MemberPolicies::Listed(policies))),
                Err(e) if e.is_not_found() => Ok((uin, name, MemberPolicies::Missing(e))),
                Err(e) => Err((uin, e)),
            }
        })
        .buffered(PARALLEL_READS)
        .try_collect()
        .await
        .or_else(|(uin, e)| {
            Err(e).report_as(&format!("Could not list the access policies of member account {uin}"), diags)
        })?;

    // A member the configuration names must exist: a mistyped UIN must not read as "nothing to
    // revoke there". A listed member that is gone by now simply left the organization.
    if scope.member_uins.is_some() {
        let missing: Vec<(u64, &CloudError)> = policies
            .iter()
            .filter_map(|(uin, _, listed)| match listed {
                MemberPolicies::Missing(e) => Some((*uin, e)),
                MemberPolicies::Listed(_) => None,
            })
            .collect();
        if !missing.is_empty() {
            let uins: Vec<u64> = missing.iter().map(|(uin, _)| *uin).collect();
            let answers: String = missing.iter().map(|(_, e)| format!("\n- {e}")).collect();
            return Err(Diagnostic::error(
                format!("Not a member of the organization: {}", joined(&uins)),
                format!(
                    "member_uins names {} that Tencent Cloud does not know as a member of the organization:{answers}\nNothing was cancelled. Correct member_uins, or leave it out to revoke on every member.",
                    if uins.len() == 1 { "an account" } else { "accounts" },
                ),
            )
            .at(AttributePath::root(Config::MEMBER_UINS)))
            .report(diags);
        }
    }

    let wanted = |policy_id: u64| scope.policy_ids.as_ref().is_none_or(|ids| ids.binary_search(&policy_id).is_ok());
    let mut matched_policy_ids = Vec::new();
    let mut pairs = Vec::new();
    for (member_uin, member_name, listed) in &policies {
        let MemberPolicies::Listed(listed) = listed else { continue };
        for policy in listed.iter().filter(|p| wanted(p.policy_id)) {
            matched_policy_ids.push(policy.policy_id);
            pairs.push((*member_uin, member_name.clone(), policy.policy_id, policy.policy_name.clone()));
        }
    }
    let unmatched_policy_ids =
        scope.policy_ids.iter().flatten().copied().filter(|id| !matched_policy_ids.contains(id)).collect();

    // The shared read answers "not bound" only from a consistent view of the policy's pages
    // (see `clouds::tencent::coalesce`): paging a policy while others bind and cancel can skip
    // a row, and a skipped binding here is access the offboarding leaves in place.
    let sub_account_uin = scope.sub_account_uin;
    let bindings: Vec<Option<(Binding, String)>> = stream::iter(pairs)
        .map(|(member_uin, member_name, policy_id, policy_name)| async move {
            match client.find_member_auth_account_shared(member_uin, policy_id, sub_account_uin).await {
                Ok(Some(found)) => Ok(Some((
                    Binding {
                        member_uin,
                        member_name,
                        policy_id,
                        policy_name: if found.policy_name.is_empty() { policy_name } else { found.policy_name },
                        create_time: found.create_time,
                    },
                    found.org_sub_account_name,
                ))),
                Ok(None) => Ok(None),
                Err(e) if e.is_not_found() => Ok(None),
                Err(e) => Err((member_uin, policy_id, e)),
            }
        })
        .buffered(PARALLEL_READS)
        .try_collect()
        .await
        .or_else(|(member_uin, policy_id, e)| {
            Err(e).report_as(
                &format!("Could not read the auth bindings of policy {policy_id} of member account {member_uin}"),
                diags,
            )
        })?;

    let mut sub_account_name = String::new();
    let mut found: Vec<Binding> = bindings
        .into_iter()
        .flatten()
        .map(|(binding, name)| {
            if sub_account_name.is_empty() {
                sub_account_name = name;
            }
            binding
        })
        .collect();
    found.sort_by_key(|b| (b.member_uin, b.policy_id));
    Ok(Found { bindings: found, sub_account_name, members_listed, unmatched_policy_ids })
}

/// How the invocation's cancels went so far, for the error that stops it.
#[derive(Default)]
struct Ledger<'a> {
    /// Cancelled now, or found already gone.
    done: Vec<(&'a Binding, DetachEnd)>,
}

impl Ledger<'_> {
    /// What a stop at `failed` (the binding whose cancel failed) leaves: what was done, what
    /// was not, and how to finish.
    fn account(&self, failed: &Binding, unknown: bool, rest: &[Binding]) -> String {
        let total = self.done.len() + 1 + rest.len();
        let lines = |items: Vec<String>| -> String {
            if items.is_empty() { "\n- none".to_string() } else { items.iter().map(|i| format!("\n- {i}")).collect() }
        };
        let done = lines(
            self.done
                .iter()
                .map(|(b, end)| match end {
                    DetachEnd::Detached => b.label(),
                    DetachEnd::AlreadyDetached => format!("{} (already detached)", b.label()),
                    DetachEnd::LeftAlone => format!("{} (bound again after the cancel; left alone)", b.label()),
                })
                .collect(),
        );
        // An unknown outcome (a lost answer whose read failed too, or a call abandoned in
        // flight): that binding may or may not be cancelled.
        let (uncertain, not_done) = if unknown {
            (format!("\nOutcome unknown (1 of {total}):\n- {}", failed.label()), rest.iter().collect::<Vec<_>>())
        } else {
            (String::new(), std::iter::once(failed).chain(rest).collect())
        };
        format!(
            "\n\nCancelled before this failure ({} of {total}):{done}{uncertain}\nNot cancelled ({} of {total}):{}\nInvoke the action again to finish: it reads the cloud first and calls only what is still bound.",
            self.done.len(),
            not_done.len(),
            lines(not_done.iter().map(|b| b.label()).collect()),
        )
    }

    fn summary(&self, sub_account: &str) -> String {
        let count = |wanted: DetachEnd| self.done.iter().filter(|(_, end)| *end == wanted).count();
        let mut text = format!("Done: cancelled {} of {sub_account}", counted(count(DetachEnd::Detached), "binding"));
        let gone = count(DetachEnd::AlreadyDetached);
        if gone > 0 {
            text.push_str(&format!("; {gone} {} already detached", if gone == 1 { "was" } else { "were" }));
        }
        let again = count(DetachEnd::LeftAlone);
        if again > 0 {
            text.push_str(&format!("; {again} bound again after the cancel took effect, left alone"));
        }
        text.push('.');
        text
    }
}

#[async_trait]
impl Action<Clients> for OrganizationRevokeSubAccount {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn service(&self) -> Service {
        Service::TencentOrganization
    }

    fn default_timeout(&self, _limits: Limits) -> Duration {
        DEFAULT_TIMEOUT
    }

    fn schema(&self) -> Schema {
        action::with_timeout(
            Config::schema(
                "Removes **every** member auth binding of one Tencent Cloud organization sub-account — on every member account and access policy, or only on the chosen `member_uins` and `policy_ids` — with one **CancelOrganizationMemberAuthAccount** per binding: the offboarding of a person. The bindings are found with DescribeOrganizationMembers, DescribeOrganizationMemberPolicies and DescribeOrganizationMemberAuthAccounts. `terraform plan -invoke` lists every binding that will go, or says there is none; a binding already gone counts as done. The cancels go one at a time and stop at the first failure, whose error says which bindings were cancelled and which were not. Changes no Terraform state.",
            ),
            "`1h`: finding the bindings reads every member's policies and every policy's bindings, paced at Tencent Cloud's 20 calls per second per API",
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Err(d) = positive_integer(config, Config::ORG_SUB_ACCOUNT_UIN, "200000000001") {
            diags.push(d);
        }
        for (name, example) in [(Config::MEMBER_UINS, "100000000101"), (Config::POLICY_IDS, "1001")] {
            // Unknown until apply: checked when the action runs.
            if config.attr(name).is_some_and(Value::is_wholly_known) {
                if let Err(d) = positive_integers(config, name, example) {
                    diags.push(d);
                }
            }
        }
    }

    async fn plan(&self, ctx: &Ctx<'_, Clients>, config: &Value, diags: &mut Diagnostics) -> Outcome<()> {
        let scope = Scope::from_config(config).report(diags)?;
        let client = ctx.tencent().report(diags)?;
        let found = discover(&client, &scope, diags).await?;
        let sub_account = found.sub_account(scope.sub_account_uin);
        if found.bindings.is_empty() {
            diags.warning(
                format!("Nothing to revoke for {sub_account}"),
                format!(
                    "{} has no member auth binding on {}, so invoking the action calls nothing.{}",
                    capitalized(&sub_account),
                    scope.described(&found),
                    found.unmatched()
                ),
            );
            return Ok(());
        }
        let all: Vec<&Binding> = found.bindings.iter().collect();
        diags.warning(
            format!("Invoking calls {API} for {} of {sub_account}", counted(all.len(), "binding")),
            format!(
                "{API} once per binding below (OrgSubAccountUin {} with its MemberUin and PolicyId): cancels all {} of {sub_account} on {} (read from {}), so it can no longer log in to them with these policies:{}\n{}{MANAGED_ELSEWHERE}",
                scope.sub_account_uin,
                counted(all.len(), "auth binding"),
                counted(found.member_count(), "member account"),
                scope.described(&found),
                listed(&all),
                match found.unmatched() {
                    note if note.is_empty() => note,
                    note => format!("{}\n", note.trim_start()),
                },
            ),
        );
        Ok(())
    }

    async fn invoke(
        &self,
        ctx: &Ctx<'_, Clients>,
        config: &Value,
        progress: &Progress,
        diags: &mut Diagnostics,
    ) -> Outcome<()> {
        let scope = Scope::from_config(config).report(diags)?;
        let client = ctx.tencent().report(diags)?;
        let found = discover(&client, &scope, diags).await?;
        let sub_account = found.sub_account(scope.sub_account_uin);
        let total = found.bindings.len();
        if total == 0 {
            progress.send(format!(
                "Already detached: {sub_account} has no member auth binding on {}; nothing to call.",
                scope.described(&found)
            ));
            return Ok(());
        }
        progress.send(format!(
            "Found {} of {sub_account} on {}",
            counted(total, "binding"),
            counted(found.member_count(), "member")
        ));

        // One at a time: each outcome is known before the next call, so a failure stops with an
        // exact account of what was cancelled (the pacing would bound a parallel run anyway).
        let settle = ctx.settle();
        let mut ledger = Ledger::default();
        for (index, binding) in found.bindings.iter().enumerate() {
            let outcome = client
                .cancel_member_auth_account_reconciled(
                    binding.member_uin,
                    binding.policy_id,
                    scope.sub_account_uin,
                    Some(binding.create_time.as_str()),
                    Some(&settle),
                )
                .await;
            // Unknown: the answer was lost and the read failed too, or the call was abandoned
            // in flight (Ctrl-C, the timeout), when Tencent may still apply it.
            let unknown = match &outcome {
                Err(DetachError::Unknown { .. }) => true,
                Err(DetachError::Failed(e)) => e.kind == ErrorKind::Cancelled && !e.never_sent,
                Ok(_) => false,
            };
            let what = format!("the auth binding of {sub_account} on {}", binding.label());
            let mut call = Diagnostics::new();
            let ended = report_action_detach(
                outcome,
                &format!("Could not cancel the auth binding on {}", binding.label()),
                &what,
                &mut call,
            );
            let Ok(ended) = ended else {
                let account = ledger.account(binding, unknown, &found.bindings[index + 1..]);
                for diagnostic in &mut call.0 {
                    if diagnostic.severity == Severity::Error {
                        diagnostic.detail.push_str(&account);
                    }
                }
                diags.extend(call);
                return Err(crate::framework::Reported);
            };
            diags.extend(call);
            let step = format!("({}/{total})", index + 1);
            progress.send(match ended {
                DetachEnd::Detached => format!("Cancelled: {} {step}", binding.label()),
                DetachEnd::AlreadyDetached => {
                    format!("Already detached: {} was gone when the call reached it {step}", binding.label())
                }
                DetachEnd::LeftAlone => {
                    format!("Left alone: {} was bound again after the cancel took effect {step}", binding.label())
                }
            });
            ledger.done.push((binding, ended));
        }
        progress.send(ledger.summary(&sub_account));
        Ok(())
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::args::object;

    fn set(numbers: &[u64]) -> Value {
        Value::Set(numbers.iter().map(|&n| Value::from(n)).collect())
    }

    #[test]
    fn sets_are_read_sorted_and_empty_or_bad_ones_are_refused_at_their_argument() {
        let config = object([(Config::MEMBER_UINS, set(&[300, 100, 200])), (Config::POLICY_IDS, Value::Null)]);
        assert_eq!(positive_integers(&config, Config::MEMBER_UINS, "1").unwrap(), Some(vec![100, 200, 300]));
        assert_eq!(positive_integers(&config, Config::POLICY_IDS, "1").unwrap(), None);
        for bad in [set(&[]), set(&[0]), Value::Set(vec![Value::from("x")])] {
            let config = object([(Config::POLICY_IDS, bad)]);
            let refused = positive_integers(&config, Config::POLICY_IDS, "1001").unwrap_err();
            assert_eq!(refused.path.as_ref().map(ToString::to_string).as_deref(), Some("policy_ids"));
            assert!(refused.detail.contains("policy_ids"), "{}", refused.detail);
        }
    }

    fn binding(member_uin: u64, policy_id: u64) -> Binding {
        Binding {
            member_uin,
            member_name: if member_uin == 1 { "finance".into() } else { String::new() },
            policy_id,
            policy_name: "admin".into(),
            create_time: String::new(),
        }
    }

    #[test]
    fn a_stop_says_what_was_cancelled_and_what_was_not() {
        let bindings = [binding(1, 10), binding(2, 10), binding(3, 10), binding(4, 10)];
        let ledger =
            Ledger { done: vec![(&bindings[0], DetachEnd::Detached), (&bindings[1], DetachEnd::AlreadyDetached)] };
        let account = ledger.account(&bindings[2], false, &bindings[3..]);
        assert_eq!(
            account,
            "\n\nCancelled before this failure (2 of 4):\n- member finance (1), policy admin (10)\n- member 2, policy admin (10) (already detached)\nNot cancelled (2 of 4):\n- member 3, policy admin (10)\n- member 4, policy admin (10)\nInvoke the action again to finish: it reads the cloud first and calls only what is still bound."
        );
        let unknown = Ledger::default().account(&bindings[0], true, &[]);
        assert!(
            unknown.contains("(0 of 1):\n- none\nOutcome unknown (1 of 1):\n- member finance (1), policy admin (10)\nNot cancelled (0 of 1):\n- none"),
            "{unknown}"
        );
        assert_eq!(
            ledger.summary("sub-account x (9)"),
            "Done: cancelled 1 binding of sub-account x (9); 1 was already detached."
        );
    }
}
