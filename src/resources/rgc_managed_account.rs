//! `tether_rgc_managed_account`: an account enrolled in Huawei Cloud RGC (Resource Governance
//! Center) under an organizational unit of the landing zone.
//!
//! create = EnrollAccount (`POST /v1/managed-organization/accounts/{id}/enroll`), then wait
//! update = UpdateManagedAccount (`…/managed-accounts/{id}/update`), then wait
//! read   = ShowManagedAccount
//! delete = UnEnrollAccount (`…/managed-accounts/{id}/un-enroll`, the detach API), then wait
//! list   = ListManagedAccountsForParent: the managed accounts directly under one OU

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::framework::legacy::LegacyResource as _;

use crate::clients::Clients;
use crate::clouds::huawei::rgc::{
    ENROLL_ACCOUNT_ACTION, STATE_ENROLLED, STATE_ENROLLING, STATE_UN_ENROLLING, STATE_UPDATING,
    UN_ENROLL_ACCOUNT_ACTION, UPDATE_MANAGED_ACCOUNT_ACTION,
};
use crate::clouds::huawei::{AccountGoal, Blueprint, ManagedAccount, RgcClient};
use crate::clouds::waiter::{PollPolicy, PollState, WaitError};
use crate::clouds::{CloudError, ErrorKind};
use crate::framework::identity::{IdentityAttribute, IdentityType};
use crate::framework::operation;
use crate::framework::timeouts::{self, Defaults};
use crate::framework::{
    Attribute, AttributePath, Block, Ctx, DetachCall, Diagnostic, Diagnostics, Found, NestedBlock, Plan, Resource,
    Schema, Type, Value,
};

use super::write_outcome::{UnknownWrite, known_or_null, stopped_wait, unconfirmed_create, wait_budget, wait_error};
use crate::framework::legacy::support::{already_exists, cloud_error, import_hint, object};

pub const TYPE_NAME: &str = "tether_rgc_managed_account";

const TIMEOUTS: Defaults = Defaults {
    create: Duration::from_secs(6 * 3600),
    update: Some(Duration::from_secs(6 * 3600)),
    delete: Duration::from_secs(6 * 3600),
};

/// RGC operations take minutes: poll after a second, then back off to every 30 s.
const POLL: PollPolicy = PollPolicy {
    initial_delay: Duration::from_secs(1),
    interval: Duration::from_millis(1500),
    max_interval: Duration::from_secs(30),
    multiplier: 1.5,
};

const COMPUTED: &[(&str, &str)] = &[
    ("account_name", "Name of the account."),
    ("account_type", "Type of the account, as RGC reports it."),
    ("owner", "Who created the account: `CUSTOM` (enrolled) or `RGC` (created by RGC)."),
    ("state", "Enrollment state, as RGC reports it."),
    ("message", "RGC's message about the account's last operation, if any."),
    ("landing_zone_version", "Version of the landing zone that governs the account."),
    ("manage_account_id", "ID of the RGC management account."),
    ("identity_store_user_name", "Identity Center user created for the account, if any."),
    ("blueprint_status", "Status of the blueprint deployment, as RGC reports it."),
    ("created_at", "When the account was enrolled."),
    ("updated_at", "When the account was last updated."),
];

pub struct RgcManagedAccount;

fn blueprint_from(value: &Value) -> Option<Blueprint> {
    let block = value.attr("blueprint").filter(|b| !b.is_null())?;
    let text = |name: &str| block.attr(name).and_then(Value::as_str).map(str::to_string);
    Some(Blueprint {
        blueprint_product_id: text("blueprint_product_id").unwrap_or_default(),
        blueprint_product_version: text("blueprint_product_version").unwrap_or_default(),
        variables: text("variables"),
        is_blueprint_has_multi_account_resource: block
            .attr("is_blueprint_has_multi_account_resource")
            .and_then(Value::as_bool),
    })
}

/// The new state: what RGC reports, plus what only the configuration knows (timeouts, blueprint
/// variables). The blueprint block follows the cloud where it reports one.
fn state(account: &ManagedAccount, known: &Value) -> Value {
    let mut fields = BTreeMap::new();
    fields.insert("id".to_string(), Value::from(account.account_id.as_str()));
    fields.insert("managed_account_id".to_string(), Value::from(account.account_id.as_str()));
    fields.insert(
        "parent_organizational_unit_id".to_string(),
        Value::from(account.parent_organizational_unit_id.as_str()),
    );
    fields.insert(
        "parent_organizational_unit_name".to_string(),
        Value::from(account.parent_organizational_unit_name.as_str()),
    );
    let text = |s: &str| Value::from(s);
    for (name, value) in [
        ("account_name", text(&account.account_name)),
        ("account_type", text(&account.account_type)),
        ("owner", text(&account.owner)),
        ("state", text(&account.state)),
        ("message", text(&account.message)),
        ("landing_zone_version", text(&account.landing_zone_version)),
        ("manage_account_id", text(&account.manage_account_id)),
        ("identity_store_user_name", text(&account.identity_store_user_name)),
        ("blueprint_status", text(&account.blueprint_status)),
        ("created_at", text(&account.created_at)),
        ("updated_at", text(&account.updated_at)),
    ] {
        fields.insert(name.to_string(), value);
    }
    let known_blueprint = known.attr("blueprint").cloned().unwrap_or(Value::Null);
    let blueprint = if account.blueprint_product_id.is_empty() {
        Value::Null
    } else {
        object([
            ("blueprint_product_id", Value::from(account.blueprint_product_id.as_str())),
            ("blueprint_product_version", Value::from(account.blueprint_product_version.as_str())),
            ("variables", known_blueprint.attr("variables").cloned().unwrap_or(Value::Null)),
            (
                "is_blueprint_has_multi_account_resource",
                account
                    .is_blueprint_has_multi_account_resource
                    .map(Value::from)
                    .or_else(|| known_blueprint.attr("is_blueprint_has_multi_account_resource").cloned())
                    .unwrap_or(Value::Null),
            ),
        ])
    };
    fields.insert("blueprint".to_string(), blueprint);
    fields.insert("timeouts".to_string(), known.attr(timeouts::BLOCK).cloned().unwrap_or(Value::Null));
    Value::Object(fields)
}

fn text_attr<'a>(value: &'a Value, name: &str) -> &'a str {
    value.attr(name).and_then(Value::as_str).unwrap_or_default()
}

fn client(ctx: &Ctx<'_, Clients>) -> Result<RgcClient, Diagnostic> {
    Ok(ctx.data.huawei_rgc()?.with_cancellation(ctx.stop.clone()))
}

/// After an operation did not succeed: what does the cloud have now? Read with the settle
/// token, so that an operation stopped by Ctrl-C still records the truth (the read may run for a
/// moment after it), while the read still ends at the operation's deadline.
async fn reconcile(ctx: &Ctx<'_, Clients>, id: &str) -> Result<Option<ManagedAccount>, CloudError> {
    let client = ctx
        .data
        .huawei_rgc()
        .map_err(|d| CloudError::new(ErrorKind::Other, crate::clouds::Cloud::Huawei, "ShowManagedAccount", d.detail))?;
    client.with_cancellation(ctx.settle()).show_managed_account(id).await
}

/// What the next run does about an RGC operation that did not finish.
const STILL_RUNNING: &str = "The operation may still finish in RGC; the next refresh records its outcome.";

fn wait_failed(summary: &str, error: &WaitError) -> Diagnostic {
    wait_error(summary, error, STILL_RUNNING)
}

/// Why the read after a write could not tell what RGC has, for an unconfirmed create.
fn unread(error: &CloudError) -> String {
    match error.kind {
        ErrorKind::Cancelled => "reading the account afterwards did not finish in time".to_string(),
        _ => format!("reading the account afterwards failed ({error})"),
    }
}

/// What RGC shows after a write whose answer was lost.
enum LostAnswer {
    /// No sign of the write: the original error stands.
    NotApplied,
    /// The write took effect and the account settled: the account (`None` once un-enrolled).
    Settled(Option<Box<ManagedAccount>>),
    /// The write is (or was) under way but did not settle as hoped.
    Unsettled(WaitError),
}

/// After a write whose answer was lost (so there is no operation id to follow): when
/// ShowManagedAccount shows the change (`under_way`), waits within the operation's wait budget
/// for the account to settle at `goal`. `Err` when RGC could not be asked.
async fn settle_after_lost_answer(
    ctx: &Ctx<'_, Clients>,
    client: &RgcClient,
    action: &str,
    id: &str,
    goal: AccountGoal,
    under_way: impl Fn(&ManagedAccount) -> bool,
) -> Result<LostAnswer, CloudError> {
    let seen = reconcile(ctx, id).await?;
    let account = match (goal, seen) {
        (AccountGoal::Unmanaged, None) => return Ok(LostAnswer::Settled(None)),
        (AccountGoal::Managed, None) => return Ok(LostAnswer::NotApplied),
        (_, Some(account)) if !under_way(&account) => return Ok(LostAnswer::NotApplied),
        (_, Some(account)) => account,
    };
    if let PollState::Done(settled) = goal.poll_state(Some(account)) {
        return Ok(LostAnswer::Settled(settled.map(Box::new)));
    }
    tracing::debug!(
        action,
        id,
        "the answer was lost, but RGC shows the change under way; waiting for the account to settle"
    );
    Ok(match client.wait_account_settled(action, id, goal, wait_budget(ctx), &POLL, Some(&ctx.stop)).await {
        Ok(settled) => LostAnswer::Settled(settled.map(Box::new)),
        Err(error) => LostAnswer::Unsettled(error),
    })
}

/// The error for an UnEnrollAccount (`call`) that may or may not have taken effect, the read
/// after it having failed (`read`). When the operation's stop abandoned the call, the stop (and
/// the limit that ran out) comes first.
fn unknown_un_enroll(id: &str, call: &CloudError, read: &CloudError) -> Diagnostic {
    let keep = format!(
        "Account {id} may or may not still be enrolled, so it stays in the Terraform state. Run terraform destroy again: it reads RGC before calling UnEnrollAccount again."
    );
    if call.kind == ErrorKind::Cancelled {
        let (summary, stopped) = operation::stopped_detail(&format!("{} {}", call.cloud, call.action));
        let read = if read.kind == ErrorKind::Cancelled {
            String::new()
        } else {
            format!(" Reading whether it took effect failed: {read}.")
        };
        return Diagnostic::error(
            summary,
            format!("{stopped} It was already sent, and its outcome is unknown.{read} {keep}"),
        );
    }
    Diagnostic::error(
        format!("Outcome of {} {} unknown", call.cloud, call.action),
        format!("Its answer was lost ({call}), and reading whether it took effect failed too ({read}). {keep}"),
    )
}

fn check_id(value: &str, name: &str, example: &str) -> Result<(), Diagnostic> {
    let valid = !value.is_empty()
        && value.len() <= 64
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(Diagnostic::error(
            format!("Invalid {name}"),
            format!(
                "{value:?} is not a valid {name}; expected an ID such as {example:?} (letters, digits, '-' and '_')."
            ),
        )
        .at(AttributePath::root(name)))
    }
}

#[async_trait]
impl crate::framework::legacy::LegacyResource<Clients> for RgcManagedAccount {
    fn service(&self) -> crate::clients::Service {
        crate::clients::Service::HuaweiRgc
    }

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn timeouts(&self) -> Option<Defaults> {
        Some(TIMEOUTS)
    }

    fn identity(&self) -> &'static [IdentityAttribute] {
        &[IdentityAttribute {
            name: "managed_account_id",
            ty: IdentityType::String,
            description: "ID of the managed account.",
        }]
    }

    fn schema(&self) -> Schema {
        let blueprint = Block::new("A blueprint (landing-zone template product) to deploy to the account.")
            .attribute(Attribute::required("blueprint_product_id", Type::String).description("ID of the blueprint product."))
            .attribute(Attribute::required("blueprint_product_version", Type::String).description("Version of the blueprint product."))
            .attribute(Attribute::optional("variables", Type::String).description("Blueprint variables, as the JSON string RGC expects. Leave it out when the blueprint takes none."))
            .attribute(Attribute::optional("is_blueprint_has_multi_account_resource", Type::Bool).description("Whether the blueprint deploys resources across accounts. Left out, it is not sent and RGC's default applies."));
        let block = COMPUTED.iter().fold(
            Block::new("An existing organization account enrolled in Huawei Cloud RGC (Resource Governance Center), governed by the landing zone under an organizational unit. Creating it calls **EnrollAccount** and waits for the operation; changing the OU or blueprint calls **UpdateManagedAccount** and waits. Destroying it calls **UnEnrollAccount** (`POST /v1/managed-organization/managed-accounts/{id}/un-enroll`) and waits: RGC stops governing the account (its landing-zone controls and baseline no longer apply), while the account itself stays in the organization — it is never closed.")
                .attribute(Attribute::computed("id", Type::String).description("The managed account ID."))
                .attribute(Attribute::required("managed_account_id", Type::String).force_new().description("ID of the organization account to enroll."))
                .attribute(Attribute::required("parent_organizational_unit_id", Type::String).description("ID of the registered organizational unit to place the account under. Changing it moves the account (UpdateManagedAccount)."))
                .attribute(Attribute::optional_computed("parent_organizational_unit_name", Type::String).description("Name of that organizational unit. Left out, it is read from RGC; RGC's UpdateManagedAccount requires it, so set it when moving the account to another OU.")),
            |block, (name, description)| block.attribute(Attribute::computed(name, Type::String).description(description)),
        );
        Schema::new(0, block.block(NestedBlock::single("blueprint", blueprint)).block(timeouts::block(TIMEOUTS)))
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        for (name, example) in [
            ("managed_account_id", "1b6e2d3f0c8e4f5a9b7d2c3e4f5a6b71"),
            ("parent_organizational_unit_id", "ou-tether-workloads"),
        ] {
            if let Some(value) = config.attr(name).and_then(Value::as_str) {
                if let Err(d) = check_id(value, name, example) {
                    diags.push(d);
                }
            }
        }
        for d in timeouts::validate(config) {
            diags.push(d);
        }
    }

    async fn modify_plan(&self, _ctx: &Ctx<'_, Clients>, plan: &mut Plan, diags: &mut Diagnostics) {
        if plan.is_create() || plan.is_replace() {
            if let Some(id) = plan.planned.attr("managed_account_id").filter(|v| v.is_known()).cloned() {
                if let Some(slot) = plan.planned.attr_mut("id") {
                    *slot = id;
                }
            }
            return;
        }
        let moved =
            plan.prior.attr("parent_organizational_unit_id") != plan.planned.attr("parent_organizational_unit_id");
        let blueprint_changed = plan.prior.attr("blueprint") != plan.planned.attr("blueprint");
        if !(moved || blueprint_changed) {
            return;
        }
        let name_configured = plan.config.attr("parent_organizational_unit_name").is_some_and(|v| !v.is_null());
        if moved && !name_configured {
            diags.push(
                Diagnostic::error(
                    "parent_organizational_unit_name is needed to move the account",
                    "RGC's UpdateManagedAccount requires the name of the new organizational unit. Set parent_organizational_unit_name to it.",
                )
                .at(AttributePath::root("parent_organizational_unit_name")),
            );
        }
        // What an update changes on the cloud side.
        for name in ["state", "message", "updated_at", "blueprint_status"] {
            plan.set_unknown(name);
        }
    }

    async fn create(&self, ctx: &Ctx<'_, Clients>, planned: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = match client(ctx) {
            Ok(client) => client,
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
        let id = text_attr(planned, "managed_account_id");
        let ou = text_attr(planned, "parent_organizational_unit_id");
        let blueprint = blueprint_from(planned);
        // Read before the write. An account RGC already manages was not enrolled by this
        // resource, and adopting it would let a later destroy un-enroll something Terraform
        // never made; so it is refused with an import hint. Knowing it was not managed before
        // the EnrollAccount is also what makes adopting what RGC shows after a lost answer safe
        // (see below). One GET next to an operation that takes minutes.
        match client.show_managed_account(id).await {
            Ok(None) => {}
            Ok(Some(existing)) => {
                diags.error(
                    "The account is already enrolled",
                    format!(
                        "RGC already manages account {id} (state {}, organizational unit {}), so this configuration did not enroll it. {}",
                        existing.state,
                        existing.parent_organizational_unit_id,
                        import_hint(TYPE_NAME, id)
                    ),
                );
                return None;
            }
            Err(e) => {
                diags.push(cloud_error("Could not check whether the account is already enrolled", &e));
                return None;
            }
        }
        let sent = SystemTime::now();
        let outcome = match client.enroll_account(id, ou, blueprint.as_ref()).await {
            Ok(operation) => client
                .wait_operation_of(ENROLL_ACCOUNT_ACTION, &operation, wait_budget(ctx), &POLL, Some(&ctx.stop))
                .await
                .map(|_| Some(operation)),
            Err(e) if e.kind == ErrorKind::Conflict || e.code.as_deref() == Some("RGC.1202") => {
                diags.push(already_exists("The account is already enrolled", &e, TYPE_NAME, id));
                return None;
            }
            Err(e) if e.is_ambiguous() => {
                // The enroll may have gone through before the answer was lost (or the operation
                // stopped it in flight); if RGC shows the account enrolling (or already enrolled
                // where this enroll puts it), follow it to its end instead of failing. It was not
                // managed before the call (read above), so what RGC shows now is this enroll's
                // doing (or a concurrent one's for the same account and OU, which leaves the same
                // enrollment).
                let enrolling = |a: &ManagedAccount| {
                    a.state == STATE_ENROLLING || (a.state == STATE_ENROLLED && a.parent_organizational_unit_id == ou)
                };
                match settle_after_lost_answer(ctx, &client, ENROLL_ACCOUNT_ACTION, id, AccountGoal::Managed, enrolling)
                    .await
                {
                    Ok(LostAnswer::Settled(Some(account))) => return Some(state(&account, planned)),
                    // Under way, and the operation stopped before it settled: the enrollment is
                    // this create's, so it is recorded (see below).
                    Ok(LostAnswer::Unsettled(wait)) if stopped_wait(&wait) => Err(wait),
                    Ok(LostAnswer::Unsettled(wait)) => {
                        diags.push(cloud_error("Could not enroll the account", &e));
                        Err(wait)
                    }
                    // Abandoned in flight, the enroll may still be on its way to RGC.
                    Ok(LostAnswer::NotApplied) if e.kind == ErrorKind::Cancelled => {
                        unconfirmed_create(
                            ctx,
                            sent,
                            &UnknownWrite::of(&e),
                            "RGC does not show the account enrolling yet",
                            &format!("Account {id}"),
                            diags,
                        );
                        return Some(known_or_null(planned));
                    }
                    Ok(LostAnswer::NotApplied | LostAnswer::Settled(None)) => {
                        diags.push(cloud_error("Could not enroll the account", &e));
                        return None;
                    }
                    Err(read) => {
                        unconfirmed_create(
                            ctx,
                            sent,
                            &UnknownWrite::of(&e),
                            &unread(&read),
                            &format!("Account {id}"),
                            diags,
                        );
                        return Some(known_or_null(planned));
                    }
                }
            }
            Err(e) => {
                diags.push(cloud_error("Could not enroll the account", &e));
                return None;
            }
        };
        match outcome {
            // Read with the settle token: a stop that comes now must not lose an enrollment RGC
            // has finished.
            Ok(operation) => {
                match reconcile(ctx, id).await {
                    Ok(Some(account)) => Some(state(&account, planned)),
                    Ok(None) => {
                        diags.error(
                        "Enrolled account not found",
                        format!("EnrollAccount operation {} succeeded, but ShowManagedAccount does not know account {id}.", operation.unwrap_or_default()),
                    );
                        None
                    }
                    Err(e) => {
                        diags.warning(
                        "Enrolled, but could not read the account",
                        format!("EnrollAccount operation {} succeeded, but reading the account failed: {e}. The state records the account; the next refresh reads the rest.", operation.unwrap_or_default()),
                    );
                        Some(known_or_null(planned))
                    }
                }
            }
            // RGC accepted the enroll, and the operation stopped before it finished. The state
            // must say what the cloud has: the account as RGC shows it (tainted only when the
            // deadline passed; after Ctrl-C it is kept as is, and the next refresh follows it).
            Err(error) if stopped_wait(&error) => {
                let stopped = wait_failed("Enrolling the account did not finish", &error);
                match reconcile(ctx, id).await {
                    Ok(Some(account)) => {
                        if ctx.interrupted() {
                            diags.warning(
                                stopped.summary,
                                format!(
                                    "{} The state records the account as RGC shows it now ({}).",
                                    stopped.detail, account.state
                                ),
                            );
                        } else {
                            diags.push(stopped);
                        }
                        Some(state(&account, planned))
                    }
                    Ok(None) => {
                        diags.push(stopped);
                        None
                    }
                    Err(read) => {
                        let call = CloudError::cancelled(crate::clouds::Cloud::Huawei, ENROLL_ACCOUNT_ACTION);
                        let found = format!("RGC accepted it, and the operation did not finish; {}", unread(&read));
                        unconfirmed_create(
                            ctx,
                            sent,
                            &UnknownWrite::of(&call),
                            &found,
                            &format!("Account {id}"),
                            diags,
                        );
                        Some(known_or_null(planned))
                    }
                }
            }
            Err(error) => {
                diags.push(wait_failed("Enrolling the account did not succeed", &error));
                // The state must say what the cloud has: a half-enrolled account is recorded
                // (and tainted, so the next apply replaces it); one RGC dropped is not.
                match reconcile(ctx, id).await {
                    Ok(Some(account)) => Some(state(&account, planned)),
                    Ok(None) => None,
                    Err(why) => {
                        diags.warning("Could not check the account after the failed enroll", why.to_string());
                        None
                    }
                }
            }
        }
    }

    async fn read(&self, ctx: &Ctx<'_, Clients>, current: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = match client(ctx) {
            Ok(client) => client,
            Err(d) => {
                diags.push(d);
                return Some(current.clone());
            }
        };
        match client.show_managed_account(text_attr(current, "managed_account_id")).await {
            Ok(Some(account)) => Some(state(&account, current)),
            Ok(None) => None,
            Err(e) => {
                diags.push(cloud_error("Could not read the managed account", &e));
                Some(current.clone())
            }
        }
    }

    async fn update(&self, ctx: &Ctx<'_, Clients>, prior: &Value, planned: &Value, diags: &mut Diagnostics) -> Value {
        let client = match client(ctx) {
            Ok(client) => client,
            Err(d) => {
                diags.push(d);
                return prior.clone();
            }
        };
        let id = text_attr(planned, "managed_account_id");
        let changed = prior.attr("parent_organizational_unit_id") != planned.attr("parent_organizational_unit_id")
            || prior.attr("parent_organizational_unit_name") != planned.attr("parent_organizational_unit_name")
            || prior.attr("blueprint") != planned.attr("blueprint");
        if changed {
            let target_ou = text_attr(planned, "parent_organizational_unit_id");
            let started = client
                .update_managed_account(
                    id,
                    target_ou,
                    text_attr(planned, "parent_organizational_unit_name"),
                    blueprint_from(planned).as_ref(),
                )
                .await;
            let outcome = match started {
                Ok(operation) => client
                    .wait_operation_of(
                        UPDATE_MANAGED_ACCOUNT_ACTION,
                        &operation,
                        wait_budget(ctx),
                        &POLL,
                        Some(&ctx.stop),
                    )
                    .await
                    .map(drop),
                Err(e) if e.is_ambiguous() => {
                    // The update may have started before the answer was lost: follow it if RGC
                    // shows it (UPDATING, or already moved to the new OU).
                    let moved =
                        prior.attr("parent_organizational_unit_id") != planned.attr("parent_organizational_unit_id");
                    let blueprint_changed = prior.attr("blueprint") != planned.attr("blueprint");
                    let under_way = |a: &ManagedAccount| {
                        a.state == STATE_UPDATING
                            || (moved && !blueprint_changed && a.parent_organizational_unit_id == target_ou)
                    };
                    match settle_after_lost_answer(
                        ctx,
                        &client,
                        UPDATE_MANAGED_ACCOUNT_ACTION,
                        id,
                        AccountGoal::Managed,
                        under_way,
                    )
                    .await
                    {
                        Ok(LostAnswer::Settled(Some(account)))
                            if !moved || account.parent_organizational_unit_id == target_ou =>
                        {
                            Ok(())
                        }
                        Ok(LostAnswer::Unsettled(wait)) => {
                            diags.push(cloud_error("Could not update the managed account", &e));
                            Err(wait)
                        }
                        _ => Err(WaitError::Cloud(e)),
                    }
                }
                Err(e) => Err(WaitError::Cloud(e)),
            };
            if let Err(error) = outcome {
                diags.push(wait_failed("Updating the managed account did not succeed", &error));
                return match reconcile(ctx, id).await {
                    Ok(Some(account)) => state(&account, prior),
                    _ => prior.clone(),
                };
            }
        }
        match reconcile(ctx, id).await {
            Ok(Some(account)) => state(&account, planned),
            Ok(None) => {
                diags.error(
                    "Managed account disappeared",
                    format!("After the update, RGC no longer lists account {id} as managed."),
                );
                prior.clone()
            }
            Err(why) => {
                diags.push(cloud_error("Could not read the managed account after the update", &why));
                prior.clone()
            }
        }
    }

    async fn delete(&self, ctx: &Ctx<'_, Clients>, prior: &Value, diags: &mut Diagnostics) {
        let client = match client(ctx) {
            Ok(client) => client,
            Err(d) => {
                diags.push(d);
                return;
            }
        };
        let id = text_attr(prior, "managed_account_id");
        let un_enrolling = |a: &ManagedAccount| a.state == STATE_UN_ENROLLING;
        let operation = match client.un_enroll_account(id).await {
            Ok(operation) => operation,
            // Not managed any more: the goal of destroy holds.
            Err(e) if e.kind == ErrorKind::NotFound => return,
            // The answer was lost, the service failed, the operation stopped the call in flight,
            // or RGC refuses it because an operation is running on the account (an un-enroll an
            // earlier, interrupted destroy started): if RGC no longer has the account, or is
            // un-enrolling it, follow that to its end.
            Err(e) if e.is_ambiguous() || e.kind == ErrorKind::Conflict => {
                match settle_after_lost_answer(
                    ctx,
                    &client,
                    UN_ENROLL_ACCOUNT_ACTION,
                    id,
                    AccountGoal::Unmanaged,
                    un_enrolling,
                )
                .await
                {
                    Ok(LostAnswer::Settled(None)) => {}
                    Ok(LostAnswer::Settled(Some(_)) | LostAnswer::NotApplied) => {
                        diags.push(cloud_error("Could not un-enroll the account", &e));
                    }
                    Ok(LostAnswer::Unsettled(wait)) => {
                        diags.push(wait_failed("Un-enrolling the account did not finish", &wait));
                    }
                    // Sent, and no read could tell what it did: the account stays in the state,
                    // and the next destroy reads it before sending anything.
                    Err(read) => diags.push(unknown_un_enroll(id, &e, &read)),
                }
                return;
            }
            Err(e) => {
                diags.push(cloud_error("Could not un-enroll the account", &e));
                return;
            }
        };
        if let Err(error) = client
            .wait_operation_of(UN_ENROLL_ACCOUNT_ACTION, &operation, wait_budget(ctx), &POLL, Some(&ctx.stop))
            .await
        {
            // If RGC let go of the account anyway, destroy succeeded.
            if let Ok(None) = reconcile(ctx, id).await {
                return;
            }
            diags.push(wait_failed("Un-enrolling the account did not succeed", &error));
        }
    }

    fn detach_call(&self, state: &Value) -> Result<DetachCall, String> {
        let id = text_attr(state, "managed_account_id");
        Ok(DetachCall {
            api: "Huawei Cloud UnEnrollAccount".into(),
            parameters: format!("(POST /v1/managed-organization/managed-accounts/{id}/un-enroll)"),
        })
    }

    async fn destroy_effect(&self, _ctx: &Ctx<'_, Clients>, prior: &Value) -> String {
        let id = text_attr(prior, "managed_account_id");
        let name = text_attr(prior, "account_name");
        let ou = text_attr(prior, "parent_organizational_unit_name");
        format!(
            "RGC stops governing account {}{id}: the landing zone's controls and baseline no longer apply to it. The account stays in the organization{} and is not closed.",
            if name.is_empty() { String::new() } else { format!("{name} ") },
            if ou.is_empty() { String::new() } else { format!(" (OU {ou})") },
        )
    }

    fn list_schema(&self) -> Option<Schema> {
        Some(Schema::new(
            0,
            Block::new("Finds the accounts RGC governs directly under one organizational unit.").attribute(
                Attribute::required("parent_organizational_unit_id", Type::String)
                    .description("ID of the registered organizational unit whose managed accounts to list."),
            ),
        ))
    }

    fn validate_list(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(value) = config.attr("parent_organizational_unit_id").and_then(Value::as_str) {
            if let Err(d) = check_id(value, "parent_organizational_unit_id", "ou-tether-workloads") {
                diags.push(d);
            }
        }
    }

    async fn list(&self, ctx: &Ctx<'_, Clients>, config: &Value, found: &mut Found, diags: &mut Diagnostics) {
        let client = match client(ctx) {
            Ok(client) => client,
            Err(d) => return diags.push(d),
        };
        let ou = text_attr(config, "parent_organizational_unit_id");
        let accounts = match client.list_managed_accounts_for_parent(ou).await {
            Ok(accounts) => accounts,
            Err(e) => return diags.push(cloud_error("Could not list the OU's managed accounts", &e)),
        };
        for account in accounts {
            let label = format!(
                "{} ({}) in {}, {}",
                account.account_name, account.account_id, account.parent_organizational_unit_name, account.state
            );
            if !found.push(label, state(&account, &Value::Null)).await {
                return;
            }
        }
    }

    async fn import(&self, _ctx: &Ctx<'_, Clients>, id: &str, diags: &mut Diagnostics) -> Option<Value> {
        if check_id(id, "managed_account_id", "1b6e2d3f0c8e4f5a9b7d2c3e4f5a6b71").is_err() {
            diags.error(
                "Invalid import ID",
                format!("{id:?} is not a managed account ID. Expected `<managed_account_id>`, the ID of the enrolled account (for example `1b6e2d3f0c8e4f5a9b7d2c3e4f5a6b71`)."),
            );
            return None;
        }
        let mut fields: BTreeMap<String, Value> =
            COMPUTED.iter().map(|(name, _)| (name.to_string(), Value::Null)).collect();
        fields.insert("id".into(), Value::from(id));
        fields.insert("managed_account_id".into(), Value::from(id));
        for name in ["parent_organizational_unit_id", "parent_organizational_unit_name", "blueprint", "timeouts"] {
            fields.insert(name.into(), Value::Null);
        }
        Some(Value::Object(fields))
    }
}
