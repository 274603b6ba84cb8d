//! The traits a provider, its resources and its data sources implement. They see cty values and
//! diagnostics only; the protocol layer does all wire translation.

use std::sync::Arc;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use super::detach::DetachCall;
use super::diag::{AttributePath, Diagnostic, Diagnostics, Outcome};
use super::list::Found;
use super::operation::Operation;
use super::schema::Schema;
use super::value::Value;

/// What every resource operation gets: the configured provider data, and its bounds.
pub struct Ctx<'a, D> {
    pub data: &'a D,
    /// Cancelled when Terraform calls StopProvider (Ctrl-C) or when the operation's deadline
    /// passes ([`Operation::stop`]): every client and wait of the operation watches it.
    pub stop: CancellationToken,
    pub op: &'a Operation,
}

impl<'a, D> Ctx<'a, D> {
    pub fn new(data: &'a D, op: &'a Operation) -> Self {
        Ctx { data, stop: op.stop().clone(), op }
    }

    /// For reads that find out what an abandoned write did ([`Operation::settle`]).
    pub fn settle(&self) -> CancellationToken {
        self.op.settle().clone()
    }

    /// The time left before the operation's deadline.
    pub fn remaining(&self) -> std::time::Duration {
        self.op.remaining()
    }

    pub fn interrupted(&self) -> bool {
        self.op.interrupted()
    }
}

/// A planned change under construction. The framework has already applied the schema's rules
/// (defaults, unknown computed values on create, force-new replacement); a resource may refine it.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Null when the object is being created.
    pub prior: Value,
    pub config: Value,
    pub planned: Value,
    pub requires_replace: Vec<AttributePath>,
    /// The other provider's resource type the prior object was moved from, when this plan is
    /// the one carrying that `moved` block (see [`super::moves::MovedMark`]).
    pub moved_from: Option<String>,
}

impl Plan {
    pub fn is_create(&self) -> bool {
        self.prior.is_null()
    }
    pub fn is_replace(&self) -> bool {
        !self.requires_replace.is_empty()
    }
    /// Marks a top-level attribute "known after apply".
    pub fn set_unknown(&mut self, attribute: &str) {
        if let Some(slot) = self.planned.attr_mut(attribute) {
            *slot = Value::unknown();
        }
    }
}

/// What [`Provider::configure`] produces and every operation receives (for tether, the cloud
/// clients), and what it can tell about itself before an operation uses it.
pub trait ProviderData: Send + Sync + 'static {
    /// What a resource needs the configuration to provide (for tether, one cloud service).
    type Service: Copy + Send + Sync + 'static;

    /// Whether the configuration can serve `service`; the error says what to configure.
    fn ready(&self, service: Self::Service) -> Result<(), Diagnostic>;
}

/// Data that needs nothing configured (tests' providers).
impl ProviderData for () {
    type Service = ();
    fn ready(&self, _service: ()) -> Result<(), Diagnostic> {
        Ok(())
    }
}

/// A managed resource type. Each operation reports its failures into `diags` and returns
/// [`Outcome`], so bodies use `?` (see [`super::diag::Report`]).
#[async_trait]
pub trait Resource<D: ProviderData>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    /// The service this resource's operations call. A plan of the resource fails at once when
    /// the configuration cannot reach it, instead of its apply. There is no default: a new
    /// resource must say.
    fn service(&self) -> D::Service;

    /// The other providers' resource types whose objects move into this type with a `moved`
    /// block (MoveResourceState), each with its conversion.
    fn move_sources(&self) -> &'static [super::moves::MoveSource] {
        &[]
    }

    /// The identity attributes, in the order of the import ID's parts (see `identity`).
    fn identity(&self) -> &'static [super::identity::IdentityAttribute] {
        &[]
    }

    /// Static checks of a configuration, which may hold unknown values. Report problems with the
    /// attribute path and the expected form.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Refines a create/update plan after the framework's generic rules.
    async fn modify_plan(&self, _ctx: &Ctx<'_, D>, _plan: &mut Plan, _diags: &mut Diagnostics) -> Outcome<()> {
        Ok(())
    }

    /// Creates the object. Returns the new state; `Err` when nothing was created. Returning a
    /// state together with errors records the object (Terraform marks it tainted), which is what
    /// must happen when the cloud did create it.
    async fn create(&self, ctx: &Ctx<'_, D>, planned: &Value, diags: &mut Diagnostics) -> Outcome<Value>;

    /// Refreshes the object. `None` means it is gone, and Terraform drops it from state; `Err`
    /// keeps the current state (an error never drops an object).
    async fn read(&self, ctx: &Ctx<'_, D>, current: &Value, diags: &mut Diagnostics) -> Outcome<Option<Value>>;

    /// Refreshes an object whose create could not confirm that the cloud made it (see
    /// [`Operation::record_unconfirmed`]); its write was sent at `since`. Returns the state if
    /// the object exists *and* is the one that write made, `None` otherwise (Terraform then
    /// drops it and plans the create again). The default is [`read`](Self::read), for resources
    /// whose create checks beforehand that nothing is there; one whose create cannot (a Tencent
    /// binding) must also tell an object made before `since` apart.
    async fn confirm(
        &self,
        ctx: &Ctx<'_, D>,
        current: &Value,
        _since: std::time::SystemTime,
        diags: &mut Diagnostics,
    ) -> Outcome<Option<Value>> {
        self.read(ctx, current, diags).await
    }

    /// The resource's `timeouts` block defaults, if it has one: the framework bounds its create,
    /// update and delete by them (see [`super::operation`]).
    fn timeouts(&self) -> Option<super::timeouts::Defaults> {
        None
    }

    /// Updates in place, returning the new state; `Err` keeps the prior one. Resources whose
    /// every argument forces replacement never get here.
    async fn update(
        &self,
        _ctx: &Ctx<'_, D>,
        _prior: &Value,
        _planned: &Value,
        diags: &mut Diagnostics,
    ) -> Outcome<Value> {
        diags.error(
            "Update not supported",
            format!("{} cannot be updated in place; this is a provider bug.", self.type_name()),
        );
        Err(super::diag::Reported)
    }

    /// Destroys the object. An object that is already gone counts as destroyed.
    async fn delete(&self, ctx: &Ctx<'_, D>, prior: &Value, diags: &mut Diagnostics) -> Outcome<()>;

    /// The detach call `delete` makes for `state`, or why it makes none (the object is no longer
    /// the one Terraform made). It reads no cloud: it also fills every state's `detach_call`.
    fn detach_call(&self, state: &Value) -> Result<DetachCall, String>;

    /// The blast radius of detaching `prior`, in one plain sentence, for the plan's warning. It
    /// may read the cloud (for example to count what a bulk detach removes), but must not change
    /// it.
    async fn destroy_effect(&self, ctx: &Ctx<'_, D>, prior: &Value) -> String;

    /// Whether the object a create of `planned` would make is already in the cloud; `None` when
    /// that cannot be told. Terraform plans a tainted object's replacement as a plain create, so
    /// this is how a plan notices one (for `protect`). The default reads `planned` as if it were
    /// the state; a resource whose read finds something for objects that do not exist overrides
    /// it.
    async fn already_exists(&self, ctx: &Ctx<'_, D>, planned: &Value) -> Option<bool> {
        let mut diags = Diagnostics::new();
        let found = self.read(ctx, planned, &mut diags).await.ok()?;
        (!diags.has_errors()).then_some(found.is_some())
    }

    /// Turns an import ID into a state holding at least the identifying attributes; Terraform
    /// then refreshes it with `read`.
    async fn import(&self, ctx: &Ctx<'_, D>, id: &str, diags: &mut Diagnostics) -> Outcome<Value>;

    /// The arguments of the `config` block in this type's `list` blocks (`terraform query`), or
    /// `None` when the type cannot be listed.
    fn list_schema(&self) -> Option<Schema> {
        None
    }

    /// Static checks of a `list` block's `config`, reported like `validate`'s.
    fn validate_list(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Finds the existing objects `config` asks for and pushes each one's full state (exactly
    /// what `read` would return, so configuration generated from it plans no changes) into
    /// `found`, stopping as soon as `push` returns false.
    async fn list(
        &self,
        _ctx: &Ctx<'_, D>,
        _config: &Value,
        _found: &mut Found,
        _diags: &mut Diagnostics,
    ) -> Outcome<()> {
        Ok(())
    }
}

#[async_trait]
pub trait DataSource<D>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    async fn read(&self, ctx: &Ctx<'_, D>, config: &Value, diags: &mut Diagnostics) -> Outcome<Value>;
}

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// What `configure` produces and every resource operation receives (the cloud clients).
    type Data: ProviderData;

    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    async fn configure(&self, config: &Value, terraform_version: &str, diags: &mut Diagnostics) -> Option<Self::Data>;
    fn resources(&self) -> Vec<Arc<dyn Resource<Self::Data>>>;
    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Self::Data>>>;

    /// The action types (Terraform 1.14+).
    fn actions(&self) -> Vec<Arc<dyn super::action::Action<Self::Data>>> {
        Vec::new()
    }

    /// Refuses to plan or invoke the action `type_name` when the provider's configuration
    /// forbids it; the error must say how to lift that.
    fn check_action(&self, _data: &Self::Data, _type_name: &str) -> Result<(), super::diag::Diagnostic> {
        Ok(())
    }

    /// Refuses to plan the destroy of `type_name` when the provider's configuration protects it;
    /// the error must say how to lift the protection.
    fn check_destroy(&self, _data: &Self::Data, _type_name: &str) -> Result<(), super::diag::Diagnostic> {
        Ok(())
    }

    /// The provider-wide time limits (see [`super::operation`]).
    fn limits(&self, _data: &Self::Data) -> super::operation::Limits {
        super::operation::Limits::default()
    }

    /// Called once when Terraform shuts the provider down, to release what `configure` acquired
    /// (such as a login session).
    async fn close(&self, _data: &Self::Data) {}
}
