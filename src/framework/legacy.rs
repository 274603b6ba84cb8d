//! TEMPORARY (removed before this restructuring lands): the resource and data source traits as
//! they were, adapted to the new ones, so files can be converted one at a time.

use std::sync::Arc;

use async_trait::async_trait;

use super::detach::DetachCall;
use super::diag::{Diagnostics, Outcome, Reported};
use super::identity::IdentityAttribute;
use super::list::Found;
use super::resource::{Ctx, DataSource, Plan, ProviderData, Resource};
use super::schema::Schema;
use super::value::Value;

#[async_trait]
pub trait LegacyResource<D: ProviderData>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn service(&self) -> D::Service;
    fn identity(&self) -> &'static [IdentityAttribute] {
        &[]
    }
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    async fn modify_plan(&self, _ctx: &Ctx<'_, D>, _plan: &mut Plan, _diags: &mut Diagnostics) {}
    async fn create(&self, ctx: &Ctx<'_, D>, planned: &Value, diags: &mut Diagnostics) -> Option<Value>;
    async fn read(&self, ctx: &Ctx<'_, D>, current: &Value, diags: &mut Diagnostics) -> Option<Value>;
    async fn confirm(
        &self,
        ctx: &Ctx<'_, D>,
        current: &Value,
        _since: std::time::SystemTime,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        self.read(ctx, current, diags).await
    }
    fn timeouts(&self) -> Option<super::timeouts::Defaults> {
        None
    }
    async fn update(&self, _ctx: &Ctx<'_, D>, prior: &Value, _planned: &Value, _diags: &mut Diagnostics) -> Value {
        prior.clone()
    }
    async fn delete(&self, ctx: &Ctx<'_, D>, prior: &Value, diags: &mut Diagnostics);
    fn detach_call(&self, state: &Value) -> Result<DetachCall, String>;
    async fn destroy_effect(&self, ctx: &Ctx<'_, D>, prior: &Value) -> String;
    async fn already_exists(&self, ctx: &Ctx<'_, D>, planned: &Value) -> Option<bool> {
        let mut diags = Diagnostics::new();
        let found = self.read(ctx, planned, &mut diags).await;
        (!diags.has_errors()).then_some(found.is_some())
    }
    async fn import(&self, ctx: &Ctx<'_, D>, id: &str, diags: &mut Diagnostics) -> Option<Value>;
    fn list_schema(&self) -> Option<Schema> {
        None
    }
    fn validate_list(&self, _config: &Value, _diags: &mut Diagnostics) {}
    async fn list(&self, _ctx: &Ctx<'_, D>, _config: &Value, _found: &mut Found, _diags: &mut Diagnostics) {}
}

pub struct Legacy<T>(pub T);

pub fn resource<D: ProviderData, T: LegacyResource<D> + 'static>(t: T) -> Arc<dyn Resource<D>> {
    Arc::new(Legacy(t))
}

pub fn data_source<D: ProviderData, T: LegacyDataSource<D> + 'static>(t: T) -> Arc<dyn DataSource<D>> {
    Arc::new(Legacy(t))
}

fn kept(read: Option<Value>, current: &Value, diags: &Diagnostics) -> Outcome<Option<Value>> {
    let _ = current;
    if diags.has_errors() { Err(Reported) } else { Ok(read) }
}

#[async_trait]
impl<D: ProviderData, T: LegacyResource<D>> Resource<D> for Legacy<T> {
    fn type_name(&self) -> &'static str {
        self.0.type_name()
    }
    fn schema(&self) -> Schema {
        self.0.schema()
    }
    fn service(&self) -> D::Service {
        self.0.service()
    }
    fn identity(&self) -> &'static [IdentityAttribute] {
        self.0.identity()
    }
    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        self.0.validate(config, diags)
    }
    async fn modify_plan(&self, ctx: &Ctx<'_, D>, plan: &mut Plan, diags: &mut Diagnostics) -> Outcome<()> {
        self.0.modify_plan(ctx, plan, diags).await;
        Ok(())
    }
    async fn create(&self, ctx: &Ctx<'_, D>, planned: &Value, diags: &mut Diagnostics) -> Outcome<Value> {
        self.0.create(ctx, planned, diags).await.ok_or(Reported)
    }
    async fn read(&self, ctx: &Ctx<'_, D>, current: &Value, diags: &mut Diagnostics) -> Outcome<Option<Value>> {
        let read = self.0.read(ctx, current, diags).await;
        kept(read, current, diags)
    }
    async fn confirm(
        &self,
        ctx: &Ctx<'_, D>,
        current: &Value,
        since: std::time::SystemTime,
        diags: &mut Diagnostics,
    ) -> Outcome<Option<Value>> {
        let read = self.0.confirm(ctx, current, since, diags).await;
        kept(read, current, diags)
    }
    fn timeouts(&self) -> Option<super::timeouts::Defaults> {
        self.0.timeouts()
    }
    async fn update(
        &self,
        ctx: &Ctx<'_, D>,
        prior: &Value,
        planned: &Value,
        diags: &mut Diagnostics,
    ) -> Outcome<Value> {
        Ok(self.0.update(ctx, prior, planned, diags).await)
    }
    async fn delete(&self, ctx: &Ctx<'_, D>, prior: &Value, diags: &mut Diagnostics) -> Outcome<()> {
        self.0.delete(ctx, prior, diags).await;
        if diags.has_errors() { Err(Reported) } else { Ok(()) }
    }
    fn detach_call(&self, state: &Value) -> Result<DetachCall, String> {
        self.0.detach_call(state)
    }
    async fn destroy_effect(&self, ctx: &Ctx<'_, D>, prior: &Value) -> String {
        self.0.destroy_effect(ctx, prior).await
    }
    async fn already_exists(&self, ctx: &Ctx<'_, D>, planned: &Value) -> Option<bool> {
        self.0.already_exists(ctx, planned).await
    }
    async fn import(&self, ctx: &Ctx<'_, D>, id: &str, diags: &mut Diagnostics) -> Outcome<Value> {
        self.0.import(ctx, id, diags).await.ok_or(Reported)
    }
    fn list_schema(&self) -> Option<Schema> {
        self.0.list_schema()
    }
    fn validate_list(&self, config: &Value, diags: &mut Diagnostics) {
        self.0.validate_list(config, diags)
    }
    async fn list(&self, ctx: &Ctx<'_, D>, config: &Value, found: &mut Found, diags: &mut Diagnostics) -> Outcome<()> {
        self.0.list(ctx, config, found, diags).await;
        Ok(())
    }
}

#[async_trait]
pub trait LegacyDataSource<D>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    async fn read(&self, ctx: &Ctx<'_, D>, config: &Value, diags: &mut Diagnostics) -> Option<Value>;
}

#[async_trait]
impl<D: Send + Sync, T: LegacyDataSource<D>> DataSource<D> for Legacy<T> {
    fn type_name(&self) -> &'static str {
        self.0.type_name()
    }
    fn schema(&self) -> Schema {
        self.0.schema()
    }
    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        self.0.validate(config, diags)
    }
    async fn read(&self, ctx: &Ctx<'_, D>, config: &Value, diags: &mut Diagnostics) -> Outcome<Value> {
        self.0.read(ctx, config, diags).await.ok_or(Reported)
    }
}

/// The helpers of the old `resources/support.rs`, at their new homes.
pub mod support {
    pub use crate::clients::{already_exists, cloud_error, import_hint, report_detach};
    pub use crate::framework::args::{is_id, object, positive_integer, require_positive_integer, require_string};
}
