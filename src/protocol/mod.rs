//! The tfplugin6 `Provider` gRPC service. It decodes each request with the schema of the
//! resource it names, calls the framework, and encodes the answer; Terraform-visible failures
//! are always diagnostics, never gRPC errors or panics.

mod actions;
mod convert;
mod moves;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::framework::detach;
use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::identity;
use crate::framework::list::{Found, Listed};
use crate::framework::moves::MovedMark;
use crate::framework::operation::{Limit, Operation, StopCause, decode_unconfirmed, encode_unconfirmed};
use crate::framework::plan::plan_change;
use crate::framework::resource::{Ctx, DataSource, Plan, Provider, ProviderData, Resource};
use crate::framework::schema::Schema;
use crate::framework::value::{self, Type, Value};

pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

use tfplugin6 as pb;
pub use tfplugin6::provider_server::ProviderServer as ProviderGrpcServer;

/// A resource type's entry, as most handlers hold it.
type ResourceEntry<D> = Entry<dyn Resource<D>>;

/// A registered resource or data source with its schema and implied type, computed once.
struct Entry<T: ?Sized> {
    handler: Arc<T>,
    schema: Schema,
    ty: Type,
    /// The identity attributes and their object type, for resources that have an identity.
    identity: &'static [identity::IdentityAttribute],
    identity_ty: Type,
    /// The `list` block's config schema and its type, for resources `terraform query` can list.
    list: Option<(Schema, Type)>,
}

impl<T: ?Sized> Entry<T> {
    fn new(handler: Arc<T>, schema: Schema, identity: &'static [identity::IdentityAttribute]) -> Self {
        let ty = schema.implied_type();
        Entry { handler, schema, ty, identity, identity_ty: identity::object_type(identity), list: None }
    }

    fn listable(mut self, list_schema: Option<Schema>) -> Self {
        self.list = list_schema.map(|schema| {
            let ty = schema.implied_type();
            (schema, ty)
        });
        self
    }

    /// The identity of the object `state` describes, encoded for Terraform.
    fn identity_of(&self, state: &Value, diags: &mut Diagnostics) -> Option<pb::ResourceIdentityData> {
        encode_identity(self.identity, &self.identity_ty, state, diags)
    }
}

impl<D: ProviderData> Entry<dyn Resource<D>> {
    /// The object's import ID (its identity's parts joined), which names it in diagnostics.
    fn object_id(&self, state: &Value) -> String {
        identity::from_state(self.identity, state)
            .and_then(|identity| identity::import_id(self.identity, &identity).ok())
            .or_else(|| state.attr("id").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_else(|| "this object".to_string())
    }

    /// `state` with the guard carried over from `from` and `detach_call` filled in.
    fn finish(&self, state: Value, from: &Value) -> Value {
        detach::carry(state, from, |state| self.handler.detach_call(state))
    }
}

fn encode_identity(
    attributes: &[identity::IdentityAttribute],
    identity_ty: &Type,
    state: &Value,
    diags: &mut Diagnostics,
) -> Option<pb::ResourceIdentityData> {
    let identity = identity::from_state(attributes, state)?;
    convert::encode(&identity, identity_ty, "identity", diags)
        .map(|data| pb::ResourceIdentityData { identity_data: Some(data) })
}

/// How many listed objects may wait between the resource and Terraform: enough to keep the
/// cloud paging while Terraform decodes, small enough that a stop is noticed quickly.
const LIST_BUFFER: usize = 16;

pub struct ProviderService<P: Provider> {
    provider: P,
    provider_schema: Schema,
    provider_type: Type,
    resources: HashMap<&'static str, Entry<dyn Resource<P::Data>>>,
    data_sources: HashMap<&'static str, Entry<dyn DataSource<P::Data>>>,
    actions: HashMap<&'static str, actions::ActionEntry<P::Data>>,
    configured: RwLock<Option<Arc<P::Data>>>,
    /// Replaced after each StopProvider so the process stays usable.
    stop: Mutex<CancellationToken>,
    /// The objects (type, import ID) this process created. Terraform runs a whole apply through
    /// one provider process, so a destroy of an object created earlier in the same apply is the
    /// deposed half of a create_before_destroy replacement that kept the object's keys.
    created: Mutex<HashSet<(String, String)>>,
}

impl<P: Provider> ProviderService<P> {
    pub fn new(provider: P) -> Self {
        let provider_schema = provider.schema();
        let provider_type = provider_schema.implied_type();
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| {
                let entry = Entry::new(r.clone(), detach::guarded(r.schema()), r.identity()).listable(r.list_schema());
                (r.type_name(), entry)
            })
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| (d.type_name(), Entry::new(d.clone(), d.schema(), &[])))
            .collect();
        let actions =
            provider.actions().into_iter().map(|a| (a.type_name(), Entry::new(a.clone(), a.schema(), &[]))).collect();
        ProviderService {
            provider,
            provider_schema,
            provider_type,
            resources,
            data_sources,
            actions,
            configured: RwLock::new(None),
            stop: Mutex::new(CancellationToken::new()),
            created: Mutex::new(HashSet::new()),
        }
    }

    /// The gRPC service, sharing this provider so that [`close`](Self::close) can run after
    /// the server stops. `max_message_bytes` is the transport's per-message limit.
    pub fn grpc(self: &Arc<Self>, max_message_bytes: usize) -> ProviderGrpcServer<Self> {
        ProviderGrpcServer::from_arc(Arc::clone(self))
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes)
    }

    /// Releases what configuration acquired; called once the server has stopped.
    pub async fn close(&self) {
        let data = self.configured.write().ok().and_then(|mut slot| slot.take());
        if let Some(data) = data {
            self.provider.close(&data).await;
        }
    }

    fn record_created(&self, type_name: &str, id: &str) {
        if let Ok(mut created) = self.created.lock() {
            created.insert((type_name.to_string(), id.to_string()));
        }
    }

    fn created_here(&self, type_name: &str, id: &str) -> bool {
        self.created.lock().is_ok_and(|created| created.contains(&(type_name.to_string(), id.to_string())))
    }

    fn stop_token(&self) -> CancellationToken {
        self.stop.lock().map(|t| t.clone()).unwrap_or_default()
    }

    fn resource(&self, type_name: &str, diags: &mut Diagnostics) -> Option<&Entry<dyn Resource<P::Data>>> {
        let entry = self.resources.get(type_name);
        if entry.is_none() {
            diags.error("Unknown resource type", format!("This provider has no resource type {type_name:?}."));
        }
        entry
    }

    /// A listable resource and its list config type.
    fn list_entry(&self, type_name: &str, diags: &mut Diagnostics) -> Option<(&ResourceEntry<P::Data>, &Type)> {
        let found = self.resources.get(type_name).and_then(|e| e.list.as_ref().map(|(_, ty)| (e, ty)));
        if found.is_none() {
            diags.error("Unknown list resource type", format!("This provider cannot list {type_name:?}."));
        }
        found
    }

    /// Decodes and checks a `list` block's config. Terraform sends an object of nulls when the
    /// block is left out; a null is treated the same.
    fn list_config(
        &self,
        type_name: &str,
        config: Option<&pb::DynamicValue>,
        diags: &mut Diagnostics,
    ) -> Option<(&ResourceEntry<P::Data>, Value)> {
        let (entry, ty) = self.list_entry(type_name, diags)?;
        let config = convert::decode(config, ty, "list configuration", diags)?;
        let config = if config.is_null() { ty.null_object() } else { config };
        // Terraform places paths within the `list` block, whose arguments sit in `config`.
        let mut found = Diagnostics::new();
        entry.handler.validate_list(&config, &mut found);
        diags.extend(found.under("config"));
        Some((entry, config)).filter(|_| !diags.has_errors())
    }

    fn data(&self, diags: &mut Diagnostics) -> Option<Arc<P::Data>> {
        let data = self.configured.read().ok().and_then(|d| d.clone());
        if data.is_none() {
            diags.error(
                "Provider not configured",
                "Terraform called the provider before configuring it. This is a bug in Terraform or the provider.",
            );
        }
        data
    }

    /// The checks and the preview of a planned destroy: a protected type fails the plan; otherwise
    /// the plan carries a warning that names the object and its detach call (or says it will only
    /// forget it, or call nothing).
    async fn review_destroy(
        &self,
        type_name: &str,
        entry: &Entry<dyn Resource<P::Data>>,
        data: &P::Data,
        prior: &Value,
        replacing: bool,
        diags: &mut Diagnostics,
    ) {
        if let Err(d) = self.provider.check_destroy(data, type_name) {
            diags.push(d);
            return;
        }
        let call = entry.handler.detach_call(prior);
        let enabled = detach::enabled(prior);
        let effect = if call.is_ok() && enabled {
            let op = self.operation(Limit::read(self.provider.limits(data)));
            let ctx = Ctx::new(data, &op);
            let Some(effect) = bounded(&op, entry.handler.destroy_effect(&ctx, prior), diags).await else {
                return;
            };
            effect
        } else {
            String::new()
        };
        let preview = detach::DestroyPreview { object: entry.object_id(prior), call, effect, enabled };
        diags.push(detach::preview_warning(&preview, replacing));
    }

    /// Plans `detach_call` for a create or update: unknown for a new object (so that a
    /// replacement Terraform plans as a create, `-replace` or tainted, shows the old object's
    /// call changing), the call for the planned object otherwise.
    fn plan_detach_call(entry: &Entry<dyn Resource<P::Data>>, plan: &mut Plan) {
        let known = !plan.is_create()
            && !plan.is_replace()
            && entry.identity.iter().all(|a| plan.planned.attr(a.name).is_some_and(Value::is_wholly_known));
        let value = if known {
            Value::from(detach::describe(&entry.handler.detach_call(&plan.planned), detach::enabled(&plan.planned)))
        } else {
            Value::unknown()
        };
        if let Some(slot) = plan.planned.attr_mut(detach::CALL_ATTRIBUTE) {
            *slot = value;
        }
    }

    /// The create half of a replacement: `-replace` (or `replace_triggered_by`), whose first plan
    /// (with the prior object) could not know Terraform would replace it and so showed nothing, is refused here when the
    /// type is protected (Terraform shows this plan's errors, not its warnings). A create with no
    /// mark may be a tainted object's replacement, which Terraform never tells a provider about:
    /// for a protected type, an object already in the cloud under the configuration's keys fails
    /// the plan too (a plain create of it would fail at apply anyway).
    async fn review_create(
        &self,
        type_name: &str,
        entry: &Entry<dyn Resource<P::Data>>,
        data: &P::Data,
        plan: &Plan,
        mark: &detach::PlanMark,
        diags: &mut Diagnostics,
    ) {
        let Err(mut refusal) = self.provider.check_destroy(data, type_name) else {
            return;
        };
        match &mark.prior {
            Some(replaced) if !mark.previewed => {
                refusal.detail = format!(
                    "This plan replaces {replaced} because Terraform was asked to (-replace, or replace_triggered_by), which destroys it. {}",
                    refusal.detail
                );
                diags.push(refusal);
            }
            Some(_) => {}
            None => {
                if !entry.identity.iter().all(|a| plan.planned.attr(a.name).is_some_and(Value::is_wholly_known)) {
                    return;
                }
                let op = self.operation(Limit::read(self.provider.limits(data)));
                let ctx = Ctx::new(data, &op);
                let found = bounded(&op, entry.handler.already_exists(&ctx, &plan.planned), diags).await.flatten();
                if found == Some(true) {
                    let id = entry.object_id(&plan.planned);
                    refusal.detail = format!(
                        "{id} already exists in the cloud. If it is this resource's tainted object, replacing it would destroy it first; keep it with `terraform untaint <address>`. If it is not in the Terraform state, import it instead of creating it. {}",
                        refusal.detail
                    );
                    diags.push(refusal);
                }
            }
        }
    }

    /// Starts an operation bounded by `limit` and by StopProvider.
    fn operation(&self, limit: Limit) -> Operation {
        Operation::start(limit, self.stop_token())
    }
}

/// Runs read-only work so that StopProvider or the deadline abandons it at once: dropping it
/// loses nothing, as it changes nothing.
async fn bounded<T>(op: &Operation, work: impl Future<Output = T>, diags: &mut Diagnostics) -> Option<T> {
    tokio::select! {
        result = op.scope(work) => Some(result),
        () = op.stop().cancelled() => {
            let (summary, detail) = op.stopped_detail("the operation");
            diags.error(summary, detail);
            None
        }
    }
}

/// "nothing" where a kept object's detach would have been, naming the call it did not make.
fn describe_nothing(call: &Result<detach::DetachCall, String>) -> String {
    match call {
        Ok(call) => format!("nothing (not {})", call.api),
        Err(_) => "nothing".to_string(),
    }
}

fn reply<T>(message: T) -> Result<Response<T>, Status> {
    Ok(Response::new(message))
}

/// The RPC handlers. The gRPC service (below) runs each one behind [`guarded`].
impl<P: Provider> ProviderService<P> {
    async fn handle_get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        reply(pb::get_provider_schema::Response {
            provider: Some(convert::schema(&self.provider_schema)),
            resource_schemas: self
                .resources
                .iter()
                .map(|(name, e)| (name.to_string(), convert::schema(&e.schema)))
                .collect(),
            data_source_schemas: self
                .data_sources
                .iter()
                .map(|(name, e)| (name.to_string(), convert::schema(&e.schema)))
                .collect(),
            list_resource_schemas: self
                .resources
                .iter()
                .filter_map(|(name, e)| e.list.as_ref().map(|(schema, _)| (name.to_string(), convert::schema(schema))))
                .collect(),
            action_schemas: self
                .actions
                .iter()
                .map(|(name, e)| (name.to_string(), pb::ActionSchema { schema: Some(convert::schema(&e.schema)) }))
                .collect(),
            server_capabilities: Some(pb::ServerCapabilities {
                plan_destroy: true,
                // Every RPC works without a GetProviderSchema on the same process first (the
                // schemas are built when the service is), so Terraform may answer later provider
                // processes of a run from its cache instead of asking each one.
                get_provider_schema_optional: true,
                // `moved` blocks from the official providers' resource types (`framework::moves`):
                // Terraform refuses a cross-type move unless the target advertises this.
                move_resource_state: true,
                // `plan`/`query -generate-config-out` write the arguments a person would, not
                // Terraform's guess from the state (`framework::generate`).
                generate_resource_config: true,
            }),
            ..Default::default()
        })
    }

    async fn handle_validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        if let Some(config) =
            convert::decode(request.config.as_ref(), &self.provider_type, "provider configuration", &mut diags)
        {
            self.provider.validate(&config, &mut diags);
        }
        reply(pb::validate_provider_config::Response { diagnostics: convert::diagnostics(&diags) })
    }

    async fn handle_validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        if let Some(entry) = self.resource(&request.type_name, &mut diags) {
            if let Some(config) = convert::decode(request.config.as_ref(), &entry.ty, "configuration", &mut diags) {
                entry.schema.block.read_only_set(&config).into_iter().for_each(|d| diags.push(d));
                entry.handler.validate(&config, &mut diags);
            }
        }
        reply(pb::validate_resource_config::Response { diagnostics: convert::diagnostics(&diags) })
    }

    async fn handle_validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        match self.data_sources.get(request.type_name.as_str()) {
            Some(entry) => {
                if let Some(config) = convert::decode(request.config.as_ref(), &entry.ty, "configuration", &mut diags) {
                    entry.schema.block.read_only_set(&config).into_iter().for_each(|d| diags.push(d));
                    entry.handler.validate(&config, &mut diags);
                }
            }
            None => {
                diags.error("Unknown data source", format!("This provider has no data source {:?}.", request.type_name))
            }
        }
        reply(pb::validate_data_resource_config::Response { diagnostics: convert::diagnostics(&diags) })
    }

    async fn handle_upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut upgraded_state = None;
        if let Some(entry) = self.resource(&request.type_name, &mut diags) {
            let raw = request.raw_state.unwrap_or_default();
            if request.version > entry.schema.version {
                diags.error(
                    "State written by a newer provider",
                    format!(
                        "This {} was saved by a provider with schema version {}, newer than this provider's {}. Upgrade terraform-provider-tether.",
                        request.type_name, request.version, entry.schema.version
                    ),
                );
            } else if raw.json.is_empty() && !raw.flatmap.is_empty() {
                diags.error(
                    "Unsupported state format",
                    "This state is in the pre-0.12 flatmap format, which this provider never wrote.",
                );
            } else {
                match value::decode_json(&raw.json, &entry.ty) {
                    Ok(state) => {
                        // State from before the guard existed gets its default, not a diff.
                        let state = if state.is_null() { state } else { entry.finish(state.clone(), &state) };
                        upgraded_state = convert::encode(&state, &entry.ty, "upgraded state", &mut diags);
                    }
                    Err(error) => diags.error(
                        "Unreadable resource state",
                        format!("The stored state of this {} does not match its schema: {error}.", request.type_name),
                    ),
                }
            }
        }
        reply(pb::upgrade_resource_state::Response { upgraded_state, diagnostics: convert::diagnostics(&diags) })
    }

    async fn handle_get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        let identity_schemas = self
            .resources
            .iter()
            .filter(|(_, e)| !e.identity.is_empty())
            .map(|(name, e)| {
                let attributes = e
                    .identity
                    .iter()
                    .map(|a| pb::resource_identity_schema::IdentityAttribute {
                        name: a.name.to_string(),
                        r#type: a.ty.cty().to_json_bytes(),
                        required_for_import: true,
                        optional_for_import: false,
                        description: a.description.to_string(),
                    })
                    .collect();
                (name.to_string(), pb::ResourceIdentitySchema { version: 0, identity_attributes: attributes })
            })
            .collect();
        reply(pb::get_resource_identity_schemas::Response { identity_schemas, diagnostics: Vec::new() })
    }

    async fn handle_upgrade_resource_identity(
        &self,
        request: Request<pb::upgrade_resource_identity::Request>,
    ) -> Result<Response<pb::upgrade_resource_identity::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut upgraded_identity = None;
        if let Some(entry) = self.resource(&request.type_name, &mut diags) {
            let raw = request.raw_identity.unwrap_or_default();
            match value::decode_json(&raw.json, &entry.identity_ty) {
                Ok(identity) => {
                    upgraded_identity = convert::encode(&identity, &entry.identity_ty, "identity", &mut diags)
                        .map(|data| pb::ResourceIdentityData { identity_data: Some(data) });
                }
                Err(error) => diags.error(
                    "Unreadable resource identity",
                    format!(
                        "The stored identity of this {} does not match its identity schema: {error}.",
                        request.type_name
                    ),
                ),
            }
        }
        reply(pb::upgrade_resource_identity::Response { upgraded_identity, diagnostics: convert::diagnostics(&diags) })
    }

    async fn handle_configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        if let Some(config) =
            convert::decode(request.config.as_ref(), &self.provider_type, "provider configuration", &mut diags)
        {
            if let Some(data) = self.provider.configure(&config, &request.terraform_version, &mut diags).await {
                if let Ok(mut slot) = self.configured.write() {
                    *slot = Some(Arc::new(data));
                }
            }
        }
        reply(pb::configure_provider::Response { diagnostics: convert::diagnostics(&diags) })
    }

    async fn handle_read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut new_state = request.current_state.clone();
        let mut new_identity = request.current_identity.clone();
        let mut private = request.private.clone();
        if let Some(entry) = self.resource(&request.type_name, &mut diags) {
            if let (Some(current), Some(data)) = (
                convert::decode(request.current_state.as_ref(), &entry.ty, "current state", &mut diags),
                self.data(&mut diags),
            ) {
                if !current.is_null() {
                    let op = self.operation(Limit::read(self.provider.limits(&data)));
                    let ctx = Ctx::new(data.as_ref(), &op);
                    let mut read_diags = Diagnostics::new();
                    // A state whose create could not confirm the object is confirmed first (see
                    // `operation`); the mark stays until that succeeds.
                    let read = match decode_unconfirmed(&request.private) {
                        Some(since) => {
                            bounded(&op, entry.handler.confirm(&ctx, &current, since, &mut read_diags), &mut diags)
                                .await
                        }
                        None => bounded(&op, entry.handler.read(&ctx, &current, &mut read_diags), &mut diags).await,
                    }
                    .and_then(Result::ok);
                    diags.extend(read_diags);
                    // On failure keep the current state: an error must never drop an object.
                    if let Some(read) = read.filter(|_| !diags.has_errors()) {
                        let read = read.map(|state| entry.finish(state, &current)).unwrap_or(Value::Null);
                        new_identity = entry.identity_of(&read, &mut diags);
                        new_state = convert::encode(&read, &entry.ty, "state", &mut diags);
                        if decode_unconfirmed(&private).is_some() && !diags.has_errors() {
                            private.clear();
                        }
                        if !diags.has_errors() {
                            private = MovedMark::after_refresh(&private);
                        }
                    }
                }
            }
        }
        reply(pb::read_resource::Response {
            new_state,
            new_identity,
            diagnostics: convert::diagnostics(&diags),
            private,
            ..Default::default()
        })
    }

    async fn handle_plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut response = pb::plan_resource_change::Response::default();
        let Some(entry) = self.resource(&request.type_name, &mut diags) else {
            response.diagnostics = convert::diagnostics(&diags);
            return reply(response);
        };
        let ty = &entry.ty;
        let decoded = (
            convert::decode(request.prior_state.as_ref(), ty, "prior state", &mut diags),
            convert::decode(request.proposed_new_state.as_ref(), ty, "proposed new state", &mut diags),
            convert::decode(request.config.as_ref(), ty, "configuration", &mut diags),
        );
        if let (Some(prior), Some(proposed), Some(config)) = decoded {
            // A cloud the configuration cannot reach fails the plan, not the apply. The path
            // names a provider attribute, which is not in this resource's block.
            if let Some(data) = self.configured.read().ok().and_then(|d| d.clone()) {
                if let Err(mut d) = data.ready(entry.handler.service()) {
                    d.path = None;
                    diags.push(d);
                    response.diagnostics = convert::diagnostics(&diags);
                    return reply(response);
                }
            }
            let mark = detach::PlanMark::decode(&request.prior_private);
            if proposed.is_null() {
                // A destroy: the planned state must be null.
                response.planned_state = convert::encode(&Value::Null, ty, "planned state", &mut diags);
                if let Some(data) = self.data(&mut diags) {
                    self.review_destroy(&request.type_name, entry, &data, &prior, false, &mut diags).await;
                }
            } else if let Some(data) = self.data(&mut diags) {
                let mut plan = plan_change(&entry.schema, &prior, &proposed, &config);
                plan.moved_from = MovedMark::decode(&request.prior_private).map(|mark| mark.from);
                let op = self.operation(Limit::read(self.provider.limits(&data)));
                let ctx = Ctx::new(data.as_ref(), &op);
                let mut plan_diags = Diagnostics::new();
                bounded(&op, entry.handler.modify_plan(&ctx, &mut plan, &mut plan_diags), &mut diags).await;
                diags.extend(plan_diags);
                if plan.is_replace() {
                    self.review_destroy(&request.type_name, entry, &data, &prior, true, &mut diags).await;
                } else if let Some(from) = plan.moved_from.as_deref().filter(|_| !plan.is_create()) {
                    self.review_move(entry, &data, from, &plan, &mut diags).await;
                }
                if plan.is_create() {
                    self.review_create(&request.type_name, entry, &data, &plan, &mark, &mut diags).await;
                    // Terraform's second plan of a replacement carries the first one's mark
                    // here. (Terraform 1.15 plans a create again at apply with no private data,
                    // so the apply cannot rely on it.)
                    response.planned_private = request.prior_private.clone();
                } else {
                    let mark = detach::PlanMark { prior: Some(entry.object_id(&prior)), previewed: plan.is_replace() };
                    response.planned_private = mark.encode();
                }
                Self::plan_detach_call(entry, &mut plan);
                response.planned_identity = entry.identity_of(&plan.planned, &mut diags);
                response.planned_state = convert::encode(&plan.planned, ty, "planned state", &mut diags);
                response.requires_replace = plan.requires_replace.iter().map(convert::path).collect();
            }
        }
        response.diagnostics = convert::diagnostics(&diags);
        reply(response)
    }

    async fn handle_apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut response = pb::apply_resource_change::Response {
            // Until something succeeds, the object stays as it was. The plan's mark is for this
            // apply only; nothing goes into the state's private data.
            new_state: request.prior_state.clone(),
            ..Default::default()
        };
        let Some(entry) = self.resource(&request.type_name, &mut diags) else {
            response.diagnostics = convert::diagnostics(&diags);
            return reply(response);
        };
        let ty = &entry.ty;
        let decoded = (
            convert::decode(request.prior_state.as_ref(), ty, "prior state", &mut diags),
            convert::decode(request.planned_state.as_ref(), ty, "planned state", &mut diags),
            self.data(&mut diags),
        );
        if let (Some(prior), Some(planned), Some(data)) = decoded {
            // Writes are not abandoned from outside on StopProvider or at the deadline: what the
            // cloud did must reach the state. Every call and wait inside the resource watches
            // `ctx.stop`, which fires on both, and the resource decides what to record.
            let (operation, limited_by) = if planned.is_null() {
                ("delete", &prior)
            } else if prior.is_null() {
                ("create", &planned)
            } else {
                ("update", &planned)
            };
            let op = self.operation(Limit::write(
                self.provider.limits(&data),
                entry.handler.timeouts(),
                operation,
                limited_by,
            ));
            let ctx = Ctx::new(data.as_ref(), &op);
            let id = entry.object_id(if planned.is_null() { &prior } else { &planned });
            let new_state = if planned.is_null() {
                if let Err(d) = self.provider.check_destroy(&data, &request.type_name) {
                    diags.push(d);
                } else if self.created_here(&request.type_name, &id) {
                    // The deposed half of a create_before_destroy replacement whose new object
                    // is this same cloud object (-replace or a tainted object with unchanged
                    // keys): the replacement already holds it, so detaching would take away
                    // what the new object just recorded.
                    diags.warning(
                        format!("Kept {id}: the replacement holds it"),
                        format!(
                            "This apply replaced {id} with create_before_destroy, and the new object is the same {} in the cloud, so destroying the old one calls {}.",
                            request.type_name,
                            describe_nothing(&entry.handler.detach_call(&prior))
                        ),
                    );
                } else if detach::enabled(&prior) {
                    let deleted = op.scope(entry.handler.delete(&ctx, &prior, &mut diags)).await;
                    // A failed delete keeps the object in the state, which takes an error.
                    if deleted.is_err() && !diags.has_errors() {
                        diags.error("Destroy failed", format!("Destroying {id} failed without saying why; this is a provider bug. The object stays in the Terraform state."));
                    }
                } else {
                    let call = entry.handler.detach_call(&prior);
                    let preview =
                        detach::DestroyPreview { object: id.clone(), call, effect: String::new(), enabled: false };
                    diags.push(detach::preview_warning(&preview, false));
                }
                if diags.has_errors() { prior } else { Value::Null }
            } else if prior.is_null() {
                let created = op.scope(entry.handler.create(&ctx, &planned, &mut diags)).await;
                let created = created.map(|state| entry.finish(state, &planned)).unwrap_or(Value::Null);
                match op.unconfirmed() {
                    Some(since) if !created.is_null() => response.private = encode_unconfirmed(since),
                    _ if !created.is_null() && !diags.has_errors() => {
                        self.record_created(&request.type_name, &entry.object_id(&created))
                    }
                    _ => {}
                }
                created
            } else if let Some(state) = detach::settings_only_update(&prior, &planned) {
                // Only `detach_on_destroy` or `timeouts` changed: nothing to tell the cloud, and
                // resources without an update (every argument forces replacement) get here too.
                entry.finish(state, &planned)
            } else {
                let updated = op.scope(entry.handler.update(&ctx, &prior, &planned, &mut diags)).await;
                entry.finish(updated.unwrap_or_else(|_| prior.clone()), &planned)
            };
            if !new_state.is_wholly_known() {
                diags.error(
                    "Provider produced an incomplete state",
                    format!(
                        "The new state of this {} still has unknown values. This is a bug in the provider.",
                        request.type_name
                    ),
                );
            }
            response.new_identity = entry.identity_of(&new_state, &mut diags);
            if let Some(encoded) = convert::encode(&new_state, ty, "new state", &mut diags) {
                response.new_state = Some(encoded);
            }
        }
        response.diagnostics = convert::diagnostics(&diags);
        reply(response)
    }

    async fn handle_import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut imported_resources = Vec::new();
        if let (Some(entry), Some(data)) = (self.resource(&request.type_name, &mut diags), self.data(&mut diags)) {
            let op = self.operation(Limit::read(self.provider.limits(&data)));
            let ctx = Ctx::new(data.as_ref(), &op);
            // Import by identity (`import { identity = {...} }`): the identity is the import ID
            // in parts.
            let id = match request.identity.as_ref().and_then(|i| i.identity_data.as_ref()) {
                Some(data) if request.id.is_empty() => {
                    convert::decode(Some(data), &entry.identity_ty, "identity", &mut diags)
                        .and_then(|identity| match identity::import_id(entry.identity, &identity) {
                            Ok(id) => Some(id),
                            Err(why) => {
                                diags.error("Invalid import identity", format!("{why}."));
                                None
                            }
                        })
                        .unwrap_or_default()
                }
                _ => request.id.clone(),
            };
            let mut import_diags = Diagnostics::new();
            let state = if diags.has_errors() {
                None
            } else {
                bounded(&op, entry.handler.import(&ctx, &id, &mut import_diags), &mut diags).await.and_then(Result::ok)
            };
            diags.extend(import_diags);
            if let Some(state) = state.filter(|_| !diags.has_errors()) {
                let state = entry.finish(state, &Value::Null);
                let identity = entry.identity_of(&state, &mut diags);
                if let Some(encoded) = convert::encode(&state, &entry.ty, "imported state", &mut diags) {
                    imported_resources.push(pb::import_resource_state::ImportedResource {
                        type_name: request.type_name.clone(),
                        state: Some(encoded),
                        identity,
                        ..Default::default()
                    });
                }
            }
        }
        reply(pb::import_resource_state::Response {
            imported_resources,
            diagnostics: convert::diagnostics(&diags),
            deferred: None,
        })
    }

    async fn handle_read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut state = None;
        match self.data_sources.get(request.type_name.as_str()) {
            None => {
                diags.error("Unknown data source", format!("This provider has no data source {:?}.", request.type_name))
            }
            Some(entry) => {
                if let (Some(config), Some(data)) = (
                    convert::decode(request.config.as_ref(), &entry.ty, "configuration", &mut diags),
                    self.data(&mut diags),
                ) {
                    let op = self.operation(Limit::read(self.provider.limits(&data)));
                    let ctx = Ctx::new(data.as_ref(), &op);
                    let mut read_diags = Diagnostics::new();
                    let read = bounded(&op, entry.handler.read(&ctx, &config, &mut read_diags), &mut diags)
                        .await
                        .and_then(Result::ok);
                    diags.extend(read_diags);
                    if let Some(read) = read.filter(|_| !diags.has_errors()) {
                        state = convert::encode(&read, &entry.ty, "data source state", &mut diags);
                    }
                }
            }
        }
        reply(pb::read_data_source::Response { state, diagnostics: convert::diagnostics(&diags), deferred: None })
    }

    async fn handle_generate_resource_config(
        &self,
        request: Request<pb::generate_resource_config::Request>,
    ) -> Result<Response<pb::generate_resource_config::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut config = None;
        if let Some(entry) = self.resource(&request.type_name, &mut diags) {
            if let Some(state) = convert::decode(request.state.as_ref(), &entry.ty, "state", &mut diags) {
                let generated = crate::framework::generate::configuration(&entry.schema.block, &state);
                config = convert::encode(&generated, &entry.ty, "generated configuration", &mut diags);
            }
        }
        reply(pb::generate_resource_config::Response { config, diagnostics: convert::diagnostics(&diags) })
    }

    async fn handle_validate_list_resource_config(
        &self,
        request: Request<pb::validate_list_resource_config::Request>,
    ) -> Result<Response<pb::validate_list_resource_config::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        self.list_config(&request.type_name, request.config.as_ref(), &mut diags);
        reply(pb::validate_list_resource_config::Response { diagnostics: convert::diagnostics(&diags) })
    }

    /// Streams what the resource's `list` finds, each with its identity (and its state when
    /// Terraform asks for it, as `-generate-config-out` does). Problems arrive as a last event
    /// carrying only diagnostics.
    async fn handle_list_resource(
        &self,
        request: Request<pb::list_resource::Request>,
    ) -> Result<Response<tonic::codegen::BoxStream<pb::list_resource::Event>>, Status> {
        let request = request.into_inner();
        let (events, stream) = tokio::sync::mpsc::channel(LIST_BUFFER);
        let stream: tonic::codegen::BoxStream<pb::list_resource::Event> =
            Box::pin(tokio_stream::wrappers::ReceiverStream::new(stream));
        let mut diags = Diagnostics::new();
        let listing = self.list_config(&request.type_name, request.config.as_ref(), &mut diags);
        let data = if listing.is_some() { self.data(&mut diags) } else { None };
        let (Some((entry, config)), Some(data)) = (listing, data) else {
            let _ = events
                .send(Ok(pb::list_resource::Event { diagnostic: convert::diagnostics(&diags), ..Default::default() }))
                .await;
            return reply(stream);
        };
        let handler = Arc::clone(&entry.handler);
        let describer = Arc::clone(&entry.handler);
        let (ty, identity_ty, identity) = (entry.ty.clone(), entry.identity_ty.clone(), entry.identity);
        let stop = self.stop_token();
        let limits = self.provider.limits(&data);
        let limit = u64::try_from(request.limit).unwrap_or(0);
        let include_state = request.include_resource_object;
        tokio::spawn(async move {
            let (found_sender, mut found) = tokio::sync::mpsc::channel::<Listed>(LIST_BUFFER);
            let list = async move {
                let mut sink = Found::new(found_sender, limit);
                let op = Operation::start(Limit::read(limits), stop);
                let ctx = Ctx::new(data.as_ref(), &op);
                let mut diags = Diagnostics::new();
                // Caught here, not around the whole stream, so what was found before a panic
                // still reaches Terraform.
                let listed =
                    AssertUnwindSafe(op.scope(handler.list(&ctx, &config, &mut sink, &mut diags))).catch_unwind().await;
                let mut diags = diags.under("config");
                // A listing cut by its deadline must not look complete.
                if op.stop().is_cancelled() && op.cause() == StopCause::TimedOut && !diags.has_errors() {
                    let (summary, detail) = op.stopped_detail("the listing");
                    diags.error(summary, format!("{detail} What it found before is listed."));
                }
                if let Err(panic) = listed {
                    diags.push(internal_error(
                        "ListResource",
                        panic.as_ref(),
                        "The listing stopped early; what it found before is listed.",
                    ));
                }
                diags
            };
            let forward = async {
                let mut sent = 0u64;
                while let Some(listed) = found.recv().await {
                    let mut diags = Diagnostics::new();
                    sent += 1;
                    if sent == limit {
                        // Terraform stops reading at its limit and then says nothing, so a user
                        // could take the first 100 for all there is: the last result it reads
                        // carries the warning.
                        diags.warning(
                            format!("Listed {limit} results, the limit"),
                            format!("This list stopped at its limit of {limit} results, so there may be more. To list more, set a larger `limit` in the list block (for example `limit = {}`).", limit.saturating_mul(10)),
                        );
                    }
                    let state = detach::carry(listed.state, &Value::Null, |state| describer.detach_call(state));
                    let event = pb::list_resource::Event {
                        identity: encode_identity(identity, &identity_ty, &state, &mut diags),
                        display_name: listed.display_name,
                        resource_object: if include_state {
                            convert::encode(&state, &ty, "listed state", &mut diags)
                        } else {
                            None
                        },
                        diagnostic: convert::diagnostics(&diags),
                    };
                    // Terraform stopped reading (its limit, or Ctrl-C): dropping `found` tells
                    // the resource to stop paging.
                    if events.send(Ok(event)).await.is_err() {
                        break;
                    }
                }
                drop(found);
            };
            // The listing runs on its own task, outside the RPC's guard: a panic in it must
            // still end the stream with a diagnostic instead of silently.
            let diags = match AssertUnwindSafe(async { tokio::join!(list, forward).0 }).catch_unwind().await {
                Ok(diags) => diags,
                Err(panic) => internal_error("ListResource", panic.as_ref(), "The listing stopped early.").into(),
            };
            if !diags.is_empty() {
                let _ = events
                    .send(Ok(pb::list_resource::Event {
                        diagnostic: convert::diagnostics(&diags),
                        ..Default::default()
                    }))
                    .await;
            }
        });
        reply(stream)
    }

    async fn handle_stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        if let Ok(mut token) = self.stop.lock() {
            token.cancel();
            *token = CancellationToken::new();
        }
        reply(pb::stop_provider::Response { error: String::new() })
    }
}

/// Runs one RPC's handler, turning a panic into `on_panic`'s answer carrying an error
/// diagnostic. The provider serves every operation of a Terraform run from one process, so
/// a panic (a bug) must fail only its own RPC: the release profile unwinds (`panic = "unwind"`)
/// for this catch to work, and nothing else in flight, writes included, is lost.
async fn guarded<T>(
    rpc: &'static str,
    handler: impl Future<Output = Result<Response<T>, Status>>,
    kept: &'static str,
    on_panic: impl FnOnce(Vec<pb::Diagnostic>) -> T,
) -> Result<Response<T>, Status> {
    match AssertUnwindSafe(handler).catch_unwind().await {
        Ok(answer) => answer,
        Err(panic) => {
            reply(on_panic(convert::diagnostics(&Diagnostics::from(internal_error(rpc, panic.as_ref(), kept)))))
        }
    }
}

/// The diagnostic for a panic in `rpc`, logged as well.
fn internal_error(rpc: &str, panic: &(dyn std::any::Any + Send), kept: &str) -> Diagnostic {
    let message = panic
        .downcast_ref::<&str>()
        .map(|m| m.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string());
    tracing::error!(rpc, panic = %message, "internal error: the RPC panicked");
    Diagnostic::error(
        "The provider hit an internal error",
        format!(
            "terraform-provider-tether failed inside {rpc}: {message}. This is a bug; please report it with this message. Only this operation failed; the provider kept serving the others, so nothing else was affected. {kept}"
        )
        .trim_end(),
    )
}

/// The gRPC service: each RPC is its handler run behind [`guarded`]. What a failed RPC answers
/// besides the diagnostic is what Terraform needs to lose nothing: the state it sent, unchanged.
#[tonic::async_trait]
impl<P: Provider> pb::provider_server::Provider for ProviderService<P> {
    async fn get_provider_schema(
        &self,
        request: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        guarded("GetProviderSchema", self.handle_get_provider_schema(request), "", |diagnostics| {
            pb::get_provider_schema::Response { diagnostics, ..Default::default() }
        })
        .await
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        guarded("ValidateProviderConfig", self.handle_validate_provider_config(request), "", |diagnostics| {
            pb::validate_provider_config::Response { diagnostics }
        })
        .await
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        guarded("ValidateResourceConfig", self.handle_validate_resource_config(request), "", |diagnostics| {
            pb::validate_resource_config::Response { diagnostics }
        })
        .await
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        guarded("ValidateDataResourceConfig", self.handle_validate_data_resource_config(request), "", |diagnostics| {
            pb::validate_data_resource_config::Response { diagnostics }
        })
        .await
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        guarded("UpgradeResourceState", self.handle_upgrade_resource_state(request), "", |diagnostics| {
            pb::upgrade_resource_state::Response { diagnostics, ..Default::default() }
        })
        .await
    }

    async fn get_resource_identity_schemas(
        &self,
        request: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        guarded("GetResourceIdentitySchemas", self.handle_get_resource_identity_schemas(request), "", |diagnostics| {
            pb::get_resource_identity_schemas::Response { diagnostics, ..Default::default() }
        })
        .await
    }

    async fn upgrade_resource_identity(
        &self,
        request: Request<pb::upgrade_resource_identity::Request>,
    ) -> Result<Response<pb::upgrade_resource_identity::Response>, Status> {
        guarded("UpgradeResourceIdentity", self.handle_upgrade_resource_identity(request), "", |diagnostics| {
            pb::upgrade_resource_identity::Response { diagnostics, ..Default::default() }
        })
        .await
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        guarded("ConfigureProvider", self.handle_configure_provider(request), "", |diagnostics| {
            pb::configure_provider::Response { diagnostics }
        })
        .await
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let sent = request.get_ref();
        let kept = pb::read_resource::Response {
            new_state: sent.current_state.clone(),
            new_identity: sent.current_identity.clone(),
            private: sent.private.clone(),
            ..Default::default()
        };
        let note = "The object stays in the state as it was.";
        guarded("ReadResource", self.handle_read_resource(request), note, |diagnostics| pb::read_resource::Response {
            diagnostics,
            ..kept
        })
        .await
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        guarded("PlanResourceChange", self.handle_plan_resource_change(request), "", |diagnostics| {
            pb::plan_resource_change::Response { diagnostics, ..Default::default() }
        })
        .await
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        // The prior state goes back, as on any failed apply: the object is not dropped.
        let kept = pb::apply_resource_change::Response {
            new_state: request.get_ref().prior_state.clone(),
            ..Default::default()
        };
        let note = "The object stays in the state as it was before this apply; if the cloud changed before the failure, the next plan's refresh shows it.";
        guarded("ApplyResourceChange", self.handle_apply_resource_change(request), note, |diagnostics| {
            pb::apply_resource_change::Response { diagnostics, ..kept }
        })
        .await
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        guarded("ImportResourceState", self.handle_import_resource_state(request), "", |diagnostics| {
            pb::import_resource_state::Response { diagnostics, ..Default::default() }
        })
        .await
    }

    async fn generate_resource_config(
        &self,
        request: Request<pb::generate_resource_config::Request>,
    ) -> Result<Response<pb::generate_resource_config::Response>, Status> {
        guarded("GenerateResourceConfig", self.handle_generate_resource_config(request), "", |diagnostics| {
            pb::generate_resource_config::Response { diagnostics, ..Default::default() }
        })
        .await
    }

    async fn move_resource_state(
        &self,
        request: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        guarded("MoveResourceState", self.handle_move_resource_state(request), "", |diagnostics| {
            pb::move_resource_state::Response { diagnostics, ..Default::default() }
        })
        .await
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        guarded("ReadDataSource", self.handle_read_data_source(request), "", |diagnostics| {
            pb::read_data_source::Response { diagnostics, ..Default::default() }
        })
        .await
    }

    async fn validate_list_resource_config(
        &self,
        request: Request<pb::validate_list_resource_config::Request>,
    ) -> Result<Response<pb::validate_list_resource_config::Response>, Status> {
        guarded("ValidateListResourceConfig", self.handle_validate_list_resource_config(request), "", |diagnostics| {
            pb::validate_list_resource_config::Response { diagnostics }
        })
        .await
    }

    async fn list_resource(
        &self,
        request: Request<pb::list_resource::Request>,
    ) -> Result<Response<tonic::codegen::BoxStream<pb::list_resource::Event>>, Status> {
        let on_panic = |diagnostic| -> tonic::codegen::BoxStream<pb::list_resource::Event> {
            Box::pin(tokio_stream::once(Ok(pb::list_resource::Event { diagnostic, ..Default::default() })))
        };
        guarded("ListResource", self.handle_list_resource(request), "", on_panic).await
    }

    async fn validate_action_config(
        &self,
        request: Request<pb::validate_action_config::Request>,
    ) -> Result<Response<pb::validate_action_config::Response>, Status> {
        guarded("ValidateActionConfig", self.handle_validate_action_config(request), "", |diagnostics| {
            pb::validate_action_config::Response { diagnostics }
        })
        .await
    }

    async fn plan_action(
        &self,
        request: Request<pb::plan_action::Request>,
    ) -> Result<Response<pb::plan_action::Response>, Status> {
        guarded("PlanAction", self.handle_plan_action(request), "", |diagnostics| pb::plan_action::Response {
            diagnostics,
            deferred: None,
        })
        .await
    }

    async fn invoke_action(
        &self,
        request: Request<pb::invoke_action::Request>,
    ) -> Result<Response<actions::EventStream>, Status> {
        let on_panic = |diagnostics| -> actions::EventStream {
            use pb::invoke_action::event::{Completed, Type};
            Box::pin(tokio_stream::once(Ok(pb::invoke_action::Event {
                r#type: Some(Type::Completed(Completed { diagnostics })),
            })))
        };
        guarded("InvokeAction", self.handle_invoke_action(request), "", on_panic).await
    }

    async fn stop_provider(
        &self,
        request: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        guarded("StopProvider", self.handle_stop_provider(request), "", |diagnostics| pb::stop_provider::Response {
            error: diagnostics.into_iter().map(|d| d.detail).collect::<Vec<_>>().join("; "),
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pb::provider_server::Provider as _;

    #[tokio::test]
    async fn state_from_before_the_detach_guard_upgrades_to_its_default() {
        let service = ProviderService::new(crate::provider::TetherProvider::new());
        let json = br#"{"id":"1/2/3","member_uin":1,"policy_id":2,"org_sub_account_uin":3,"policy_name":"p","identity_id":1,"identity_role_name":"r","identity_role_alias_name":"a","org_sub_account_name":"s","create_time":"t","update_time":"t"}"#;
        let response = service
            .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
                type_name: "tether_member_auth_binding".into(),
                version: 0,
                raw_state: Some(pb::RawState { json: json.to_vec(), ..Default::default() }),
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(response.diagnostics.is_empty(), "{:?}", response.diagnostics);
        let entry = &service.resources["tether_member_auth_binding"];
        let state = value::decode_msgpack(&response.upgraded_state.unwrap().msgpack, &entry.ty).unwrap();
        assert_eq!(state.attr(detach::ATTRIBUTE), Some(&Value::Bool(true)));
        assert_eq!(state.attr("policy_name").and_then(Value::as_str), Some("p"));
    }

    #[tokio::test]
    async fn unknown_resource_types_and_garbage_get_diagnostics_not_panics() {
        let service = ProviderService::new(crate::provider::TetherProvider::new());
        let response = service
            .read_resource(Request::new(pb::read_resource::Request {
                type_name: "tether_member_auth_binding".into(),
                current_state: Some(pb::DynamicValue { msgpack: vec![0xc1, 0xff, 0x00], json: Vec::new() }),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(
            response.diagnostics.iter().any(|d| d.summary == "Invalid current state from Terraform"),
            "{:?}",
            response.diagnostics
        );
        // The object is not dropped: the state Terraform sent comes back unchanged.
        assert_eq!(response.new_state.unwrap().msgpack, vec![0xc1, 0xff, 0x00]);
        let response = service
            .plan_resource_change(Request::new(pb::plan_resource_change::Request {
                type_name: "tether_nope".into(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(response.diagnostics[0].summary, "Unknown resource type");
    }

    /// A provider whose one resource panics wherever it is asked to, to prove a panic fails
    /// only its own RPC. Test-only: nothing like it is in the shipped provider.
    mod panicky {
        use super::*;
        use crate::framework::Outcome;
        use crate::framework::detach::DetachCall;
        use crate::framework::schema::{Attribute, Block};

        pub struct PanickyProvider;
        pub struct Panicky;
        pub const TYPE: &str = "test_panicky";

        fn id(value: &Value) -> &str {
            value.attr("id").and_then(Value::as_str).unwrap_or_default()
        }

        #[async_trait::async_trait]
        impl Provider for PanickyProvider {
            type Data = ();
            fn schema(&self) -> Schema {
                Schema::new(0, Block::new("test"))
            }
            async fn configure(&self, _: &Value, _: &str, _: &mut Diagnostics) -> Option<()> {
                Some(())
            }
            fn resources(&self) -> Vec<Arc<dyn Resource<()>>> {
                vec![Arc::new(Panicky)]
            }
            fn data_sources(&self) -> Vec<Arc<dyn DataSource<()>>> {
                Vec::new()
            }
        }

        #[async_trait::async_trait]
        impl Resource<()> for Panicky {
            fn type_name(&self) -> &'static str {
                TYPE
            }
            fn schema(&self) -> Schema {
                Schema::new(0, Block::new("test").attribute(Attribute::required("id", Type::String)))
            }
            fn service(&self) {}
            fn validate(&self, config: &Value, _: &mut Diagnostics) {
                if id(config) == "boom" {
                    panic!("validate panicked");
                }
            }
            async fn create(&self, _: &Ctx<'_, ()>, planned: &Value, _: &mut Diagnostics) -> Outcome<Value> {
                if id(planned) == "boom" {
                    panic!("create panicked");
                }
                Ok(planned.clone())
            }
            async fn read(&self, _: &Ctx<'_, ()>, current: &Value, _: &mut Diagnostics) -> Outcome<Option<Value>> {
                if id(current) == "boom" {
                    panic!("read panicked on {}", id(current));
                }
                Ok(Some(current.clone()))
            }
            async fn update(&self, _: &Ctx<'_, ()>, _: &Value, _: &Value, _: &mut Diagnostics) -> Outcome<Value> {
                panic!("update panicked")
            }
            async fn delete(&self, _: &Ctx<'_, ()>, _: &Value, _: &mut Diagnostics) -> Outcome<()> {
                panic!("delete panicked")
            }
            fn detach_call(&self, _: &Value) -> Result<DetachCall, String> {
                Err("test".into())
            }
            async fn destroy_effect(&self, _: &Ctx<'_, ()>, _: &Value) -> String {
                String::new()
            }
            async fn import(&self, _: &Ctx<'_, ()>, _: &str, _: &mut Diagnostics) -> Outcome<Value> {
                Err(crate::framework::Reported)
            }
            fn list_schema(&self) -> Option<Schema> {
                Some(Schema::new(0, Block::new("test")))
            }
            async fn list(&self, _: &Ctx<'_, ()>, _: &Value, found: &mut Found, _: &mut Diagnostics) -> Outcome<()> {
                let mut state = Schema::new(0, Block::new("test").attribute(Attribute::required("id", Type::String)))
                    .implied_type()
                    .null_object();
                *state.attr_mut("id").unwrap() = Value::from("first");
                found.push("first", state).await;
                panic!("list panicked after one");
            }
        }
    }

    #[tokio::test]
    async fn a_panic_fails_only_its_own_rpc_and_keeps_the_state() {
        use tokio_stream::StreamExt;
        let service = ProviderService::new(panicky::PanickyProvider);
        let ty = service.resources[panicky::TYPE].ty.clone();
        let state = |id: &str| {
            let mut state = ty.null_object();
            *state.attr_mut("id").unwrap() = Value::from(id);
            *state.attr_mut(detach::ATTRIBUTE).unwrap() = Value::Bool(true);
            pb::DynamicValue { msgpack: value::encode_msgpack(&state, &ty).unwrap(), json: Vec::new() }
        };
        let internal = |diagnostics: &[pb::Diagnostic], what: &str| {
            assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
            let d = &diagnostics[0];
            assert_eq!(d.severity, pb::diagnostic::Severity::Error as i32);
            assert_eq!(d.summary, "The provider hit an internal error");
            assert!(d.detail.contains(what), "{}", d.detail);
            assert!(d.detail.contains("this is a bug") || d.detail.contains("This is a bug"), "{}", d.detail);
        };
        service.configure_provider(Request::new(Default::default())).await.unwrap();

        // A synchronous panic (validate).
        let response = service
            .validate_resource_config(Request::new(pb::validate_resource_config::Request {
                type_name: panicky::TYPE.into(),
                config: Some(state("boom")),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        internal(&response.diagnostics, "inside ValidateResourceConfig: validate panicked");

        // Read: the state Terraform sent comes back, so the object is not dropped.
        let response = service
            .read_resource(Request::new(pb::read_resource::Request {
                type_name: panicky::TYPE.into(),
                current_state: Some(state("boom")),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        internal(&response.diagnostics, "inside ReadResource: read panicked on boom");
        assert_eq!(response.new_state, Some(state("boom")));

        // Apply (update and delete): the prior state comes back.
        for planned in [Some(state("boom-2")), None] {
            let response = service
                .apply_resource_change(Request::new(pb::apply_resource_change::Request {
                    type_name: panicky::TYPE.into(),
                    prior_state: Some(state("boom")),
                    planned_state: planned.or_else(|| convert::encode(&Value::Null, &ty, "", &mut Diagnostics::new())),
                    ..Default::default()
                }))
                .await
                .unwrap()
                .into_inner();
            internal(&response.diagnostics, "panicked");
            assert_eq!(response.new_state, Some(state("boom")));
        }

        // A list that panics midway still ends its stream with the diagnostic, after what it found.
        let events: Vec<_> = service
            .list_resource(Request::new(pb::list_resource::Request {
                type_name: panicky::TYPE.into(),
                limit: 10,
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner()
            .collect()
            .await;
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!(events[0].as_ref().unwrap().display_name, "first");
        internal(&events[1].as_ref().unwrap().diagnostic, "inside ListResource: list panicked after one");

        // The service keeps answering, concurrently too.
        let (fine, boom) = tokio::join!(
            service.read_resource(Request::new(pb::read_resource::Request {
                type_name: panicky::TYPE.into(),
                current_state: Some(state("fine")),
                ..Default::default()
            })),
            service.read_resource(Request::new(pb::read_resource::Request {
                type_name: panicky::TYPE.into(),
                current_state: Some(state("boom")),
                ..Default::default()
            })),
        );
        let fine = fine.unwrap().into_inner();
        assert!(fine.diagnostics.is_empty(), "{:?}", fine.diagnostics);
        let read = value::decode_msgpack(&fine.new_state.unwrap().msgpack, &ty).unwrap();
        assert_eq!(read.attr("id").and_then(Value::as_str), Some("fine"));
        internal(&boom.unwrap().into_inner().diagnostics, "read panicked");
    }

    #[test]
    fn release_builds_unwind_so_panics_can_be_caught() {
        // `panic = "abort"` would make the catch in `guarded` dead code and a panic fatal.
        let manifest = include_str!("../../Cargo.toml");
        let release = manifest.split("[profile.release]").nth(1).expect("a release profile");
        let release = release.split("\n[").next().unwrap();
        assert!(release.lines().any(|l| l.trim() == "panic = \"unwind\""), "{release}");
    }

    #[tokio::test]
    async fn listing_an_unknown_type_or_before_configure_ends_with_a_diagnostic() {
        use tokio_stream::StreamExt;
        let service = ProviderService::new(crate::provider::TetherProvider::new());
        let schema = service.get_provider_schema(Request::new(Default::default())).await.unwrap().into_inner();
        let mut listable: Vec<_> = schema.list_resource_schemas.keys().cloned().collect();
        listable.sort();
        let mut resources: Vec<_> = schema.resource_schemas.keys().cloned().collect();
        resources.sort();
        assert_eq!(listable, resources, "every resource can be listed");

        for (type_name, summary) in [
            ("tether_nope", "Unknown list resource type"),
            ("tether_iam2_project_organization", "Provider not configured"),
        ] {
            let stream = service
                .list_resource(Request::new(pb::list_resource::Request {
                    type_name: type_name.into(),
                    limit: 10,
                    ..Default::default()
                }))
                .await
                .unwrap()
                .into_inner();
            let events: Vec<_> = stream.collect::<Vec<_>>().await;
            assert_eq!(events.len(), 1, "{type_name}");
            let event = events[0].as_ref().unwrap();
            assert!(event.identity.is_none());
            assert_eq!(event.diagnostic[0].summary, summary);
        }
    }
}
