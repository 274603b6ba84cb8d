//! `tether_rgc_managed_account`: an account enrolled in Huawei Cloud RGC (Resource Governance
//! Center) under an organizational unit of the landing zone.
//!
//! create = EnrollAccount (`POST /v1/managed-organization/accounts/{id}/enroll`), then wait
//! update = UpdateManagedAccount (`…/managed-accounts/{id}/update`), then wait
//! read   = ShowManagedAccount
//! delete = UnEnrollAccount (`…/managed-accounts/{id}/un-enroll`, the detach API), then wait
//! list   = ListManagedAccountsForParent: the managed accounts directly under one OU

use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::clients::rgc::{self, LostAnswer, POLL, reconcile, settle_after_lost_answer, wait_failed};
use crate::clients::{Clients, OperationClients, ReportCloud, Service, already_exists, cloud_error, import_hint};
use crate::clouds::huawei::rgc::{
    ENROLL_ACCOUNT_ACTION, STATE_ENROLLED, STATE_ENROLLING, STATE_UPDATING, UPDATE_MANAGED_ACCOUNT_ACTION,
};
use crate::clouds::huawei::{AccountGoal, Blueprint, ManagedAccount};
use crate::clouds::waiter::WaitError;
use crate::clouds::{Cloud, CloudError, ErrorKind};
use crate::framework::identity::IdentityAttribute;
use crate::framework::model::Model;
use crate::framework::timeouts::{self, Defaults};
use crate::framework::{
    AttributePath, Ctx, DetachCall, Diagnostic, Diagnostics, Found, MoveSource, Moved, Outcome, Plan, Report, Reported,
    Resource, Schema, SourceState, Value,
};

use crate::clients::write_outcome::{UnknownWrite, known_or_null, stopped_wait, unconfirmed_create, wait_budget};

pub const TYPE_NAME: &str = "tether_rgc_managed_account";

const TIMEOUTS: Defaults = Defaults {
    create: Duration::from_secs(6 * 3600),
    update: Some(Duration::from_secs(6 * 3600)),
    delete: Duration::from_secs(6 * 3600),
};

pub struct RgcManagedAccount;

/// The state of a managed account: every attribute and block, declared once.
#[derive(Model)]
struct State {
    /// The managed account ID.
    #[tf(computed, import)]
    id: String,
    /// ID of the organization account to enroll.
    #[tf(required, force_new, identity)]
    managed_account_id: String,
    /// ID of the registered organizational unit to place the account under. Changing it moves the account (UpdateManagedAccount).
    #[tf(required)]
    parent_organizational_unit_id: String,
    /// Name of that organizational unit. Left out, it is read from RGC; RGC's UpdateManagedAccount requires it, so set it when moving the account to another OU.
    #[tf(optional, computed)]
    parent_organizational_unit_name: String,
    /// Name of the account.
    #[tf(computed)]
    account_name: String,
    /// Type of the account, as RGC reports it.
    #[tf(computed)]
    account_type: String,
    /// Who created the account: `CUSTOM` (enrolled) or `RGC` (created by RGC).
    #[tf(computed)]
    owner: String,
    /// Enrollment state, as RGC reports it.
    #[tf(computed)]
    state: String,
    /// RGC's message about the account's last operation, if any.
    #[tf(computed)]
    message: String,
    /// Version of the landing zone that governs the account.
    #[tf(computed)]
    landing_zone_version: String,
    /// ID of the RGC management account.
    #[tf(computed)]
    manage_account_id: String,
    /// Identity Center user created for the account, if any.
    #[tf(computed)]
    identity_store_user_name: String,
    /// Status of the blueprint deployment, as RGC reports it.
    #[tf(computed)]
    blueprint_status: String,
    /// When the account was enrolled.
    #[tf(computed)]
    created_at: String,
    /// When the account was last updated.
    #[tf(computed)]
    updated_at: String,
    /// A blueprint (landing-zone template product) to deploy to the account.
    #[tf(block)]
    blueprint: Option<BlueprintBlock>,
    #[tf(block = timeouts::block(TIMEOUTS))]
    timeouts: Value,
}

/// The `blueprint` block.
#[derive(Model)]
struct BlueprintBlock {
    /// ID of the blueprint product.
    #[tf(required)]
    blueprint_product_id: String,
    /// Version of the blueprint product.
    #[tf(required)]
    blueprint_product_version: String,
    /// Blueprint variables, as the JSON string RGC expects. Leave it out when the blueprint takes none.
    #[tf(optional)]
    variables: Option<String>,
    /// Whether the blueprint deploys resources across accounts. Left out, it is not sent and RGC's default applies.
    #[tf(optional)]
    is_blueprint_has_multi_account_resource: Option<bool>,
}

const MANAGED_ACCOUNT_ID: &str = State::MANAGED_ACCOUNT_ID;
const PARENT_OU_ID: &str = State::PARENT_ORGANIZATIONAL_UNIT_ID;

/// The arguments of a `list` block's `config`.
#[derive(Model)]
struct ListConfig {
    /// ID of the registered organizational unit whose managed accounts to list.
    #[tf(required)]
    parent_organizational_unit_id: String,
}
const PARENT_OU_NAME: &str = State::PARENT_ORGANIZATIONAL_UNIT_NAME;

fn blueprint_from(value: &Value) -> Option<Blueprint> {
    let block = value.attr(State::BLUEPRINT).filter(|b| !b.is_null())?;
    let text = |name: &str| block.attr(name).and_then(Value::as_str).map(str::to_string);
    Some(Blueprint {
        blueprint_product_id: text(BlueprintBlock::BLUEPRINT_PRODUCT_ID).unwrap_or_default(),
        blueprint_product_version: text(BlueprintBlock::BLUEPRINT_PRODUCT_VERSION).unwrap_or_default(),
        variables: text(BlueprintBlock::VARIABLES),
        is_blueprint_has_multi_account_resource: block
            .attr(BlueprintBlock::IS_BLUEPRINT_HAS_MULTI_ACCOUNT_RESOURCE)
            .and_then(Value::as_bool),
    })
}

/// The new state: what RGC reports, plus what only the configuration knows (timeouts, blueprint
/// variables). The blueprint block follows the cloud where it reports one.
fn state(account: &ManagedAccount, known: &Value) -> Value {
    let known_blueprint = known.attr(State::BLUEPRINT);
    let configured = |name: &str| known_blueprint.and_then(|b| b.attr(name));
    let blueprint = (!account.blueprint_product_id.is_empty()).then(|| BlueprintBlock {
        blueprint_product_id: account.blueprint_product_id.clone(),
        blueprint_product_version: account.blueprint_product_version.clone(),
        variables: configured(BlueprintBlock::VARIABLES).and_then(Value::as_str).map(str::to_string),
        is_blueprint_has_multi_account_resource: account
            .is_blueprint_has_multi_account_resource
            .or_else(|| configured(BlueprintBlock::IS_BLUEPRINT_HAS_MULTI_ACCOUNT_RESOURCE).and_then(Value::as_bool)),
    });
    State {
        id: account.account_id.clone(),
        managed_account_id: account.account_id.clone(),
        parent_organizational_unit_id: account.parent_organizational_unit_id.clone(),
        parent_organizational_unit_name: account.parent_organizational_unit_name.clone(),
        account_name: account.account_name.clone(),
        account_type: account.account_type.clone(),
        owner: account.owner.clone(),
        state: account.state.clone(),
        message: account.message.clone(),
        landing_zone_version: account.landing_zone_version.clone(),
        manage_account_id: account.manage_account_id.clone(),
        identity_store_user_name: account.identity_store_user_name.clone(),
        blueprint_status: account.blueprint_status.clone(),
        created_at: account.created_at.clone(),
        updated_at: account.updated_at.clone(),
        blueprint,
        timeouts: known.attr(State::TIMEOUTS).cloned().unwrap_or(Value::Null),
    }
    .to_value()
}

/// `moved` from the official provider's enrollment, whose destroy un-enrolls the account too.
const MOVE_SOURCES: &[MoveSource] = &[MoveSource {
    provider: "huaweicloud/huaweicloud",
    type_name: "huaweicloud_rgc_account_enroll",
    schema_version: 0,
    convert: from_official_enroll,
}];

/// The official enrollment's state as ours: `stage` is our `state`, its one-element `blueprint`
/// list our single block, and its `region` and `enable_force_new` have no counterpart (RGC is
/// global here, and no argument of ours forces a replacement that the cloud can update). Its
/// timeouts are taken from the state, where the SDK copies the configured ones (its private data
/// holds the same in nanoseconds, which cannot be written back as the text the user wrote).
fn from_official_enroll(source: &SourceState) -> Result<Moved, String> {
    let id = source.required_string(MANAGED_ACCOUNT_ID).or_else(|_| source.required_string("id"))?;
    let blueprint = source.single_block(State::BLUEPRINT)?;
    let text = |block: &Option<SourceState>, name: &str| match block {
        Some(block) => block.text(name),
        None => Ok(String::new()),
    };
    // The SDK stores an unset optional string as "" and an unset bool as false, and the
    // official create sends what it stores; ours sends what is set, so "" and false read as
    // unset (RGC's default is false), which is what a configuration that leaves them out plans.
    let known_blueprint = match &blueprint {
        Some(block) => BlueprintBlock {
            blueprint_product_id: block.text(BlueprintBlock::BLUEPRINT_PRODUCT_ID)?,
            blueprint_product_version: block.text(BlueprintBlock::BLUEPRINT_PRODUCT_VERSION)?,
            variables: block.optional_string(BlueprintBlock::VARIABLES)?,
            is_blueprint_has_multi_account_resource: block
                .bool(BlueprintBlock::IS_BLUEPRINT_HAS_MULTI_ACCOUNT_RESOURCE)?
                .filter(|multi| *multi),
        }
        .to_value(),
        None => Value::Null,
    };
    let account = ManagedAccount {
        account_id: id,
        parent_organizational_unit_id: source.required_string(PARENT_OU_ID)?,
        parent_organizational_unit_name: source.text(PARENT_OU_NAME)?,
        account_name: source.text(State::ACCOUNT_NAME)?,
        account_type: source.text(State::ACCOUNT_TYPE)?,
        owner: source.text(State::OWNER)?,
        state: source.text("stage")?,
        landing_zone_version: source.text(State::LANDING_ZONE_VERSION)?,
        manage_account_id: source.text(State::MANAGE_ACCOUNT_ID)?,
        blueprint_product_id: text(&blueprint, BlueprintBlock::BLUEPRINT_PRODUCT_ID)?,
        blueprint_product_version: text(&blueprint, BlueprintBlock::BLUEPRINT_PRODUCT_VERSION)?,
        created_at: source.text(State::CREATED_AT)?,
        updated_at: source.text(State::UPDATED_AT)?,
        ..ManagedAccount::default()
    };
    let known = Value::Object(
        [
            (State::BLUEPRINT.to_string(), known_blueprint),
            (State::TIMEOUTS.to_string(), source.timeouts(&["create", "update", "delete"])?),
        ]
        .into(),
    );
    Ok(Moved { state: state(&account, &known), detach_on_destroy: true })
}

fn text_attr<'a>(value: &'a Value, name: &str) -> &'a str {
    value.attr(name).and_then(Value::as_str).unwrap_or_default()
}

/// Why the read after a write could not tell what RGC has, for an unconfirmed create.
fn unread(error: &CloudError) -> String {
    match error.kind {
        ErrorKind::Cancelled => "reading the account afterwards did not finish in time".to_string(),
        _ => format!("reading the account afterwards failed ({error})"),
    }
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
impl Resource<Clients> for RgcManagedAccount {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn service(&self) -> Service {
        Service::HuaweiRgc
    }

    fn timeouts(&self) -> Option<Defaults> {
        Some(TIMEOUTS)
    }

    fn move_sources(&self) -> &'static [MoveSource] {
        MOVE_SOURCES
    }

    fn identity(&self) -> &'static [IdentityAttribute] {
        State::IDENTITY
    }

    fn schema(&self) -> Schema {
        State::schema(
            "An existing organization account enrolled in Huawei Cloud RGC (Resource Governance Center), governed by the landing zone under an organizational unit. Creating it calls **EnrollAccount** and waits for the operation; changing the OU or blueprint calls **UpdateManagedAccount** and waits. Destroying it calls **UnEnrollAccount** (`POST /v1/managed-organization/managed-accounts/{id}/un-enroll`) and waits: RGC stops governing the account (its landing-zone controls and baseline no longer apply), while the account itself stays in the organization — it is never closed.",
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        for (name, example) in
            [(MANAGED_ACCOUNT_ID, "1b6e2d3f0c8e4f5a9b7d2c3e4f5a6b71"), (PARENT_OU_ID, "ou-tether-workloads")]
        {
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

    async fn modify_plan(&self, _ctx: &Ctx<'_, Clients>, plan: &mut Plan, diags: &mut Diagnostics) -> Outcome<()> {
        if plan.is_create() || plan.is_replace() {
            if let Some(id) = plan.planned.attr(MANAGED_ACCOUNT_ID).filter(|v| v.is_known()).cloned() {
                if let Some(slot) = plan.planned.attr_mut(State::ID) {
                    *slot = id;
                }
            }
            return Ok(());
        }
        let moved = plan.prior.attr(PARENT_OU_ID) != plan.planned.attr(PARENT_OU_ID);
        let blueprint_changed = plan.prior.attr(State::BLUEPRINT) != plan.planned.attr(State::BLUEPRINT);
        if !(moved || blueprint_changed) {
            return Ok(());
        }
        let name_configured = plan.config.attr(PARENT_OU_NAME).is_some_and(|v| !v.is_null());
        // What an update changes on the cloud side.
        for name in [State::STATE, State::MESSAGE, State::UPDATED_AT, State::BLUEPRINT_STATUS] {
            plan.set_unknown(name);
        }
        if moved && !name_configured {
            return Err(Diagnostic::error(
                "parent_organizational_unit_name is needed to move the account",
                "RGC's UpdateManagedAccount requires the name of the new organizational unit. Set parent_organizational_unit_name to it.",
            )
            .at(AttributePath::root(PARENT_OU_NAME)))
            .report(diags);
        }
        Ok(())
    }

    async fn create(&self, ctx: &Ctx<'_, Clients>, planned: &Value, diags: &mut Diagnostics) -> Outcome<Value> {
        let client = ctx.huawei_rgc().report(diags)?;
        let id = text_attr(planned, MANAGED_ACCOUNT_ID);
        let ou = text_attr(planned, PARENT_OU_ID);
        let blueprint = blueprint_from(planned);
        // Read before the write. An account RGC already manages was not enrolled by this
        // resource, and adopting it would let a later destroy un-enroll something Terraform
        // never made; so it is refused with an import hint. Knowing it was not managed before
        // the EnrollAccount is also what makes adopting what RGC shows after a lost answer safe
        // (see below). One GET next to an operation that takes minutes.
        let existing = client
            .show_managed_account(id)
            .await
            .report_as("Could not check whether the account is already enrolled", diags)?;
        if let Some(existing) = existing {
            diags.error(
                "The account is already enrolled",
                format!(
                    "RGC already manages account {id} (state {}, organizational unit {}), so this configuration did not enroll it. {}",
                    existing.state,
                    existing.parent_organizational_unit_id,
                    import_hint(TYPE_NAME, id)
                ),
            );
            return Err(Reported);
        }
        let sent = SystemTime::now();
        let outcome = match client.enroll_account(id, ou, blueprint.as_ref()).await {
            Ok(operation) => client
                .wait_operation_of(ENROLL_ACCOUNT_ACTION, &operation, wait_budget(ctx), &POLL, Some(&ctx.stop))
                .await
                .map(|_| Some(operation)),
            Err(e) if e.kind == ErrorKind::Conflict || e.code.as_deref() == Some("RGC.1202") => {
                return Err(already_exists("The account is already enrolled", &e, TYPE_NAME, id)).report(diags);
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
                    Ok(LostAnswer::Settled(Some(account))) => return Ok(state(&account, planned)),
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
                        return Ok(known_or_null(planned));
                    }
                    Ok(LostAnswer::NotApplied | LostAnswer::Settled(None)) => {
                        return Err(e).report_as("Could not enroll the account", diags);
                    }
                    Err(read) => {
                        let recorded = format!("Account {id}");
                        unconfirmed_create(ctx, sent, &UnknownWrite::of(&e), &unread(&read), &recorded, diags);
                        return Ok(known_or_null(planned));
                    }
                }
            }
            Err(e) => return Err(e).report_as("Could not enroll the account", diags),
        };
        match outcome {
            // Read with the settle token: a stop that comes now must not lose an enrollment RGC
            // has finished.
            Ok(operation) => {
                match reconcile(ctx, id).await {
                    Ok(Some(account)) => Ok(state(&account, planned)),
                    Ok(None) => {
                        diags.error(
                        "Enrolled account not found",
                        format!("EnrollAccount operation {} succeeded, but ShowManagedAccount does not know account {id}.", operation.unwrap_or_default()),
                    );
                        Err(Reported)
                    }
                    Err(e) => {
                        diags.warning(
                        "Enrolled, but could not read the account",
                        format!("EnrollAccount operation {} succeeded, but reading the account failed: {e}. The state records the account; the next refresh reads the rest.", operation.unwrap_or_default()),
                    );
                        Ok(known_or_null(planned))
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
                        Ok(state(&account, planned))
                    }
                    Ok(None) => Err(stopped).report(diags),
                    Err(read) => {
                        let call = CloudError::cancelled(Cloud::Huawei, ENROLL_ACCOUNT_ACTION);
                        let found = format!("RGC accepted it, and the operation did not finish; {}", unread(&read));
                        let recorded = format!("Account {id}");
                        unconfirmed_create(ctx, sent, &UnknownWrite::of(&call), &found, &recorded, diags);
                        Ok(known_or_null(planned))
                    }
                }
            }
            Err(error) => {
                diags.push(wait_failed("Enrolling the account did not succeed", &error));
                // The state must say what the cloud has: a half-enrolled account is recorded
                // (and tainted, so the next apply replaces it); one RGC dropped is not.
                match reconcile(ctx, id).await {
                    Ok(Some(account)) => Ok(state(&account, planned)),
                    Ok(None) => Err(Reported),
                    Err(why) => {
                        diags.warning("Could not check the account after the failed enroll", why.to_string());
                        Err(Reported)
                    }
                }
            }
        }
    }

    async fn read(&self, ctx: &Ctx<'_, Clients>, current: &Value, diags: &mut Diagnostics) -> Outcome<Option<Value>> {
        let client = ctx.huawei_rgc().report(diags)?;
        let found = client
            .show_managed_account(text_attr(current, MANAGED_ACCOUNT_ID))
            .await
            .report_as("Could not read the managed account", diags)?;
        Ok(found.map(|account| state(&account, current)))
    }

    async fn update(
        &self,
        ctx: &Ctx<'_, Clients>,
        prior: &Value,
        planned: &Value,
        diags: &mut Diagnostics,
    ) -> Outcome<Value> {
        let client = ctx.huawei_rgc().report(diags)?;
        let id = text_attr(planned, MANAGED_ACCOUNT_ID);
        let moved = prior.attr(PARENT_OU_ID) != planned.attr(PARENT_OU_ID);
        let blueprint_changed = prior.attr(State::BLUEPRINT) != planned.attr(State::BLUEPRINT);
        let changed = moved || prior.attr(PARENT_OU_NAME) != planned.attr(PARENT_OU_NAME) || blueprint_changed;
        if changed {
            let target_ou = text_attr(planned, PARENT_OU_ID);
            let started = client
                .update_managed_account(
                    id,
                    target_ou,
                    text_attr(planned, PARENT_OU_NAME),
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
                    Ok(Some(account)) => Ok(state(&account, prior)),
                    _ => Err(Reported),
                };
            }
        }
        match reconcile(ctx, id).await.report_as("Could not read the managed account after the update", diags)? {
            Some(account) => Ok(state(&account, planned)),
            None => {
                diags.error(
                    "Managed account disappeared",
                    format!("After the update, RGC no longer lists account {id} as managed."),
                );
                Err(Reported)
            }
        }
    }

    async fn delete(&self, ctx: &Ctx<'_, Clients>, prior: &Value, diags: &mut Diagnostics) -> Outcome<()> {
        let client = ctx.huawei_rgc().report(diags)?;
        let id = text_attr(prior, MANAGED_ACCOUNT_ID);
        let keep = format!(
            "Account {id} may or may not still be enrolled, so it stays in the Terraform state. Run terraform destroy again: it reads RGC before calling UnEnrollAccount again."
        );
        rgc::un_enroll(ctx, &client, id, &keep, |_| {}, diags).await.map(drop)
    }

    fn detach_call(&self, state: &Value) -> Result<DetachCall, String> {
        let id = text_attr(state, MANAGED_ACCOUNT_ID);
        Ok(DetachCall {
            api: "Huawei Cloud UnEnrollAccount".into(),
            parameters: format!("(POST /v1/managed-organization/managed-accounts/{id}/un-enroll)"),
        })
    }

    async fn destroy_effect(&self, _ctx: &Ctx<'_, Clients>, prior: &Value) -> String {
        let id = text_attr(prior, MANAGED_ACCOUNT_ID);
        let name = text_attr(prior, State::ACCOUNT_NAME);
        let ou = text_attr(prior, PARENT_OU_NAME);
        format!(
            "RGC stops governing account {}{id}: the landing zone's controls and baseline no longer apply to it. The account stays in the organization{} and is not closed.",
            if name.is_empty() { String::new() } else { format!("{name} ") },
            if ou.is_empty() { String::new() } else { format!(" (OU {ou})") },
        )
    }

    fn list_schema(&self) -> Option<Schema> {
        Some(ListConfig::schema("Finds the accounts RGC governs directly under one organizational unit."))
    }

    fn validate_list(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(value) = config.attr(ListConfig::PARENT_ORGANIZATIONAL_UNIT_ID).and_then(Value::as_str) {
            if let Err(d) = check_id(value, ListConfig::PARENT_ORGANIZATIONAL_UNIT_ID, "ou-tether-workloads") {
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
        let client = ctx.huawei_rgc().report(diags)?;
        let ou = text_attr(config, ListConfig::PARENT_ORGANIZATIONAL_UNIT_ID);
        let accounts = client
            .list_managed_accounts_for_parent(ou)
            .await
            .report_as("Could not list the OU's managed accounts", diags)?;
        for account in accounts {
            let label = format!(
                "{} ({}) in {}, {}",
                account.account_name, account.account_id, account.parent_organizational_unit_name, account.state
            );
            if !found.push(label, state(&account, &Value::Null)).await {
                return Ok(());
            }
        }
        Ok(())
    }

    async fn import(&self, _ctx: &Ctx<'_, Clients>, id: &str, diags: &mut Diagnostics) -> Outcome<Value> {
        if check_id(id, MANAGED_ACCOUNT_ID, "1b6e2d3f0c8e4f5a9b7d2c3e4f5a6b71").is_err() {
            diags.error(
                "Invalid import ID",
                format!("{id:?} is not a managed account ID. Expected `<managed_account_id>`, the ID of the enrolled account (for example `1b6e2d3f0c8e4f5a9b7d2c3e4f5a6b71`)."),
            );
            return Err(Reported);
        }
        let account = ManagedAccount { account_id: id.to_string(), ..Default::default() };
        Ok(State::import_state_of(state(&account, &Value::Null)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::args::object;

    const ID: &str = "1b6e2d3f0c8e4f5a9b7d2c3e4f5a6b71";

    fn account(multi_account: Option<bool>) -> ManagedAccount {
        ManagedAccount {
            account_id: ID.into(),
            account_name: "workload".into(),
            state: STATE_ENROLLED.into(),
            parent_organizational_unit_id: "ou-tether-workloads".into(),
            parent_organizational_unit_name: "Workloads".into(),
            blueprint_product_id: "bp-1".into(),
            blueprint_product_version: "v1".into(),
            is_blueprint_has_multi_account_resource: multi_account,
            ..Default::default()
        }
    }

    #[test]
    fn states_fit_the_schema_and_keep_what_only_the_configuration_knows() {
        let ty = RgcManagedAccount.schema().implied_type();
        let configured = BlueprintBlock {
            blueprint_product_id: "bp-1".into(),
            blueprint_product_version: "v1".into(),
            variables: Some("{}".into()),
            is_blueprint_has_multi_account_resource: Some(true),
        };
        let known = object([
            (State::BLUEPRINT, configured.to_value()),
            (
                State::TIMEOUTS,
                object([("create", Value::from("1h")), ("update", Value::Null), ("delete", Value::Null)]),
            ),
        ]);
        let read = state(&account(None), &known);
        read.conforms_to(&ty).unwrap();
        assert_eq!(read.attr(State::ID), Some(&Value::from(ID)));
        assert_eq!(read.attr(State::BLUEPRINT), known.attr(State::BLUEPRINT));
        assert_eq!(read.attr(State::TIMEOUTS), known.attr(State::TIMEOUTS));
        // The cloud's word wins where it has one; a blueprint it no longer reports is gone.
        let reported = state(&account(Some(false)), &known);
        let multi_account = BlueprintBlock::IS_BLUEPRINT_HAS_MULTI_ACCOUNT_RESOURCE;
        assert_eq!(reported.attr(State::BLUEPRINT).and_then(|b| b.attr(multi_account)), Some(&Value::from(false)));
        let without = ManagedAccount { blueprint_product_id: String::new(), ..account(None) };
        assert_eq!(state(&without, &known).attr(State::BLUEPRINT), Some(&Value::Null));
        // Listed, nothing is configured.
        let listed = state(&account(None), &Value::Null);
        listed.conforms_to(&ty).unwrap();
        let variables = listed.attr(State::BLUEPRINT).and_then(|b| b.attr(BlueprintBlock::VARIABLES));
        assert_eq!(variables, Some(&Value::Null));
        assert_eq!(listed.attr(State::TIMEOUTS), Some(&Value::Null));
    }

    #[test]
    fn import_keeps_only_the_ids() {
        let imported = State::import_state_of(state(
            &ManagedAccount { account_id: ID.into(), ..Default::default() },
            &Value::Null,
        ));
        imported.conforms_to(&RgcManagedAccount.schema().implied_type()).unwrap();
        let Value::Object(fields) = &imported else { panic!("{imported:?}") };
        for (name, value) in fields {
            let kept = [State::ID, MANAGED_ACCOUNT_ID].contains(&name.as_str());
            assert_eq!(value.as_str() == Some(ID), kept, "{name}");
            assert_eq!(value.is_null(), !kept, "{name}");
        }
    }
}
