//! What terraform-plugin-sdk v2 (helper/schema, grpc_provider.go) does around a resource's CRUD
//! functions, for the handful of schema shapes the stand-ins have: primitive attributes, `MaxItems`
//! list blocks, `Default`s, `ForceNew`, `Timeouts`. The point is the *state* Terraform records, so
//! that what tests move from a stand-in is what the official provider would have written:
//!
//! - the schema gets the implicit `id` (string, optional + computed) and, for resources with
//!   `Timeouts`, a `timeouts` block (nesting single, one optional string per declared timeout);
//! - a state holds every attribute the resource `d.Set`, every configured value, and null for the
//!   rest; attributes of list-block elements that were left out read as their zero value (`""`,
//!   `false`, `0`); list blocks left out are `[]`; `timeouts` is the configured block (null when
//!   not configured), copied from the plan (apply) or the prior state (refresh);
//! - private data is Go's `json.Marshal` of the instance `Meta`: after an apply, `{TimeoutKey:
//!   {"create": <ns>, ...}}` (the declared defaults overridden by the configuration) or `null` for
//!   a resource without timeouts; after an import, also `"schema_version": "0"` (ResourceData's
//!   default meta, which apply never has). Refresh passes it through.
//! - plans: computed values left null are unknown on create; an update whose arguments are all
//!   "SDK-equivalent" to the prior state (null equals `""`, `false`, `0` and `[]`) plans the prior
//!   state itself, so a `timeouts`-only change plans nothing; `legacy_type_system` is set.
//!
//! Upstream: hashicorp/terraform-plugin-sdk v2.39.0 (huaweicloud's go.mod) and v2.40.1
//! (tencentcloud's), helper/schema/{grpc_provider.go, resource.go, resource_data.go,
//! resource_timeout.go, core_schema.go}; the two differ only in GenerateResourceConfig (new in
//! v2.40.0). TimeoutKey and the `.import_before_read` marker are terraform/state.go's.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde_json::{Map, Value as Json, json};
use tether::framework::schema::{Attribute, Block, NestedBlock, Nesting};
use tether::framework::value::{Type, Value, decode_json, decode_msgpack, encode_msgpack};
use tether::protocol::tfplugin6 as pb;
use tonic::{Request, Response, Status};

/// `schema.TimeoutKey`: where the SDK keeps a resource's timeouts in private data.
pub const TIMEOUT_KEY: &str = "e2bfb730-ecaa-11e6-8f88-34363bc7c4c0";
/// grpc_provider.go's `newExtraKey`, in every planned private.
const NEW_EXTRA_KEY: &str = "_new_extra_shim";
/// `terraform.ImportBeforeReadMetaKey`: set by import, dropped by the read that follows.
const IMPORT_BEFORE_READ_KEY: &str = ".import_before_read";
const TIMEOUTS: &str = "timeouts";
/// ResourceData.Timeout's fallback when neither the key nor `default` is declared.
const SDK_DEFAULT_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// `schema.ResourceTimeout`: the declared defaults, or (after ConfigDecode) the effective values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timeouts {
    pub create: Option<Duration>,
    pub read: Option<Duration>,
    pub update: Option<Duration>,
    pub delete: Option<Duration>,
    pub default: Option<Duration>,
}

impl Timeouts {
    fn slots(&self) -> [(&'static str, Option<Duration>); 5] {
        [
            ("create", self.create),
            ("read", self.read),
            ("update", self.update),
            ("delete", self.delete),
            ("default", self.default),
        ]
    }

    fn slot_mut(&mut self, key: &str) -> Option<&mut Option<Duration>> {
        match key {
            "create" => Some(&mut self.create),
            "read" => Some(&mut self.read),
            "update" => Some(&mut self.update),
            "delete" => Some(&mut self.delete),
            "default" => Some(&mut self.default),
            _ => None,
        }
    }

    fn is_declared(&self) -> bool {
        self.slots().iter().any(|(_, d)| d.is_some())
    }

    /// The `timeouts` block core_schema.go adds: one optional string per declared timeout.
    fn block(&self) -> NestedBlock {
        let mut block = Block::default();
        for (name, declared) in self.slots() {
            if declared.is_some() {
                block.attributes.push(Attribute::optional(name, Type::String));
            }
        }
        NestedBlock::single(TIMEOUTS, block)
    }

    /// `ResourceTimeout.ConfigDecode`: the declared values, overridden by the configured block.
    fn with_config(mut self, configured: Option<&Value>) -> Result<Timeouts, String> {
        let Some(Value::Object(fields)) = configured else { return Ok(self) };
        for (key, value) in fields {
            let Some(text) = value.as_str() else { continue };
            let duration =
                parse_go_duration(text).map_err(|e| format!("Error parsing {:?} timeout: {e}", key.as_str()))?;
            match self.slot_mut(key) {
                Some(slot) if slot.is_some() => *slot = Some(duration),
                _ => return Err(format!("Timeout Key ({key}) is not supported")),
            }
        }
        Ok(self)
    }

    /// `metaEncode`: nanoseconds per set key, every key filled from `default` when that is set.
    fn meta(&self) -> Option<Json> {
        let mut map = Map::new();
        for (name, value) in self.slots() {
            if let Some(value) = value.or(self.default) {
                map.insert(name.to_string(), json!(value.as_nanos() as i64));
            }
        }
        (!map.is_empty()).then_some(Json::Object(map))
    }

    /// `metaDecode` of private data (a missing or unreadable key gives no timeouts).
    fn from_private(private: &[u8]) -> Timeouts {
        let mut timeouts = Timeouts::default();
        let Ok(Json::Object(meta)) = serde_json::from_slice::<Json>(private) else { return timeouts };
        if let Some(Json::Object(values)) = meta.get(TIMEOUT_KEY) {
            for (key, value) in values {
                if let (Some(slot), Some(ns)) = (timeouts.slot_mut(key), value.as_f64()) {
                    *slot = Some(Duration::from_nanos(ns as u64));
                }
            }
        }
        timeouts
    }

    /// `ResourceData.Timeout(key)`.
    pub fn get(&self, key: &str) -> Duration {
        let slot = self.slots().into_iter().find(|(name, _)| *name == key).and_then(|(_, d)| d);
        slot.or(self.default).unwrap_or(SDK_DEFAULT_TIMEOUT)
    }
}

/// Go's `time.ParseDuration` (`1h30m`, `2.5s`, `300ms`, `0`), to the nanosecond.
pub fn parse_go_duration(text: &str) -> Result<Duration, String> {
    let invalid = || format!("time: invalid duration {text:?}");
    let rest = text.strip_prefix('+').unwrap_or(text);
    if rest.starts_with('-') {
        // Negative timeouts parse in Go but make no sense; refuse them like garbage.
        return Err(invalid());
    }
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    let mut chars = rest.char_indices().peekable();
    while chars.peek().is_some() {
        let mut int_part = String::new();
        let mut frac_part = String::new();
        let mut seen_dot = false;
        while let Some(&(_, c)) = chars.peek() {
            match c {
                '0'..='9' if seen_dot => frac_part.push(c),
                '0'..='9' => int_part.push(c),
                '.' if !seen_dot => seen_dot = true,
                _ => break,
            }
            chars.next();
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(invalid());
        }
        let unit_start = chars.peek().map(|(i, _)| *i).unwrap_or(rest.len());
        while chars.peek().is_some_and(|(_, c)| !c.is_ascii_digit() && *c != '.') {
            chars.next();
        }
        let unit_end = chars.peek().map(|(i, _)| *i).unwrap_or(rest.len());
        let unit = &rest[unit_start..unit_end];
        let nanos: u128 = match unit {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(format!("time: missing unit in duration {text:?}")),
            _ => return Err(format!("time: unknown unit {unit:?} in duration {text:?}")),
        };
        let whole: u128 = if int_part.is_empty() { 0 } else { int_part.parse().map_err(|_| invalid())? };
        let mut value = whole.checked_mul(nanos).ok_or_else(invalid)?;
        if !frac_part.is_empty() {
            let digits = frac_part.len().min(30) as u32;
            let frac: u128 = frac_part[..digits as usize].parse().map_err(|_| invalid())?;
            value += frac * nanos / 10u128.pow(digits);
        }
        total = total.checked_add(value).ok_or_else(invalid)?;
    }
    if total > i64::MAX as u128 {
        return Err(invalid());
    }
    Ok(Duration::from_nanos(total as u64))
}

/// An optional argument with a Go `Default`: still Optional only in the schema Terraform sees
/// (tether's `Attribute::default` would also make it computed, which the SDK does not).
pub fn with_default(mut attribute: Attribute, value: impl Into<Value>) -> Attribute {
    attribute.default = Some(value.into());
    attribute
}

/// A failure the way `diag.Errorf` / `diag.FromErr` reports it: the whole text is the summary.
pub type SdkError = String;

/// `schema.ResourceData`, as much of it as the stand-ins' CRUD functions use.
pub struct ResourceData {
    id: String,
    /// The plan (apply), the prior state (refresh), or an empty object (import).
    base: Value,
    set: BTreeMap<String, Value>,
    timeouts: Timeouts,
}

impl ResourceData {
    fn new(base: Value, timeouts: Timeouts) -> ResourceData {
        let id = base.attr("id").and_then(Value::as_str).unwrap_or_default().to_string();
        ResourceData { id, base, set: BTreeMap::new(), timeouts }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn set_id(&mut self, id: impl Into<String>) {
        self.id = id.into();
    }

    /// `d.Get`: the value set during this operation, else the plan's or the state's.
    pub fn get(&self, name: &str) -> &Value {
        static NULL: Value = Value::Null;
        self.set.get(name).or_else(|| self.base.attr(name)).unwrap_or(&NULL)
    }

    /// `d.Get(name).(string)`: `""` when unset.
    pub fn get_string(&self, name: &str) -> String {
        self.get(name).as_str().unwrap_or_default().to_string()
    }

    /// `d.Get(name).(bool)`: `false` when unset.
    pub fn get_bool(&self, name: &str) -> bool {
        self.get(name).as_bool().unwrap_or(false)
    }

    /// `d.Get(name).(int)` as the API's unsigned integer; 0 when unset.
    pub fn get_u64(&self, name: &str) -> u64 {
        self.get(name).as_number().and_then(|n| n.as_u64()).unwrap_or(0)
    }

    /// `d.GetOk(name)`: the value unless it is null or its type's zero value.
    pub fn get_ok(&self, name: &str) -> Option<&Value> {
        Some(self.get(name)).filter(|v| !is_zero(v))
    }

    pub fn set(&mut self, name: &str, value: impl Into<Value>) {
        self.set.insert(name.to_string(), value.into());
    }

    /// `d.Timeout(key)`: `create`, `read`, `update` or `delete`.
    pub fn timeout(&self, key: &str) -> Duration {
        self.timeouts.get(key)
    }

    /// `d.State()` in the shape Terraform stores it (see the module documentation); null when the
    /// resource has no id (it does not exist).
    fn state(&self, block: &Block) -> Value {
        if self.id.is_empty() {
            return Value::Null;
        }
        let mut fields = BTreeMap::new();
        for attribute in &block.attributes {
            let value = match self.set.get(&attribute.name) {
                Some(value) => value.clone(),
                // Unknown in the plan and never set: the SDK drops it, Terraform stores null.
                None => self.base.attr(&attribute.name).filter(|v| v.is_known()).cloned().unwrap_or(Value::Null),
            };
            fields.insert(attribute.name.clone(), value);
        }
        for nested in &block.blocks {
            let value = self.set.get(&nested.type_name).or_else(|| self.base.attr(&nested.type_name));
            let value = match nested.nesting {
                Nesting::List => {
                    let elements = value.and_then(Value::elements).unwrap_or_default();
                    Value::List(elements.iter().map(|e| zero_filled(&nested.block, e)).collect())
                }
                // `timeouts` is copied in afterwards (copyTimeoutValues).
                _ => Value::Null,
            };
            fields.insert(nested.type_name.clone(), value);
        }
        fields.insert("id".to_string(), Value::from(self.id.clone()));
        Value::Object(fields)
    }
}

/// A list-block element as the SDK writes it back: every attribute, unset ones at their zero
/// value (readObjectField's `ValueOrZero`).
fn zero_filled(block: &Block, element: &Value) -> Value {
    let mut fields = BTreeMap::new();
    for attribute in &block.attributes {
        let value = element.attr(&attribute.name).filter(|v| !v.is_null() && v.is_known()).cloned();
        fields.insert(attribute.name.clone(), value.unwrap_or_else(|| zero_of(&attribute.ty)));
    }
    for nested in &block.blocks {
        let elements = element.attr(&nested.type_name).and_then(Value::elements).unwrap_or_default();
        fields.insert(
            nested.type_name.clone(),
            Value::List(elements.iter().map(|e| zero_filled(&nested.block, e)).collect()),
        );
    }
    Value::Object(fields)
}

fn zero_of(ty: &Type) -> Value {
    match ty {
        Type::String => Value::from(""),
        Type::Bool => Value::Bool(false),
        Type::Number => Value::from(0i64),
        _ => Value::Null,
    }
}

/// Whether a value is null or its type's zero value (what the SDK's flatmap cannot tell apart).
fn is_zero(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_i64() == Some(0),
        Value::List(v) | Value::Set(v) => v.is_empty(),
        Value::Map(m) => m.is_empty(),
        _ => false,
    }
}

/// `hcl2shim.ValuesSDKEquivalent`, for the shapes here: equal, or both "empty".
fn sdk_equivalent(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    if !a.is_known() || !b.is_known() {
        return false;
    }
    match (a, b) {
        (Value::List(x), Value::List(y)) | (Value::Set(x), Value::Set(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| sdk_equivalent(x, y))
        }
        (Value::Object(x), Value::Object(y)) => x
            .keys()
            .chain(y.keys())
            .all(|k| sdk_equivalent(x.get(k).unwrap_or(&Value::Null), y.get(k).unwrap_or(&Value::Null))),
        _ => is_zero(a) && is_zero(b),
    }
}

/// What a provider's resources receive: its configured clients.
#[tonic::async_trait]
pub trait SdkResource<C: Send + Sync>: Send + Sync {
    fn type_name(&self) -> &'static str;
    /// The Go `Schema` map, without the `id` and `timeouts` the SDK adds.
    fn schema(&self) -> Block;
    /// The Go `Timeouts` declaration (none by default).
    fn timeouts(&self) -> Timeouts {
        Timeouts::default()
    }
    /// The `ValidateFunc`s.
    fn validate(&self, _config: &Value) -> Vec<SdkError> {
        Vec::new()
    }
    /// The `CustomizeDiff` of an update: attributes it forces to replace, or its error.
    fn customize_diff(&self, _prior: &Value, _planned: &Value) -> Result<Vec<String>, SdkError> {
        Ok(Vec::new())
    }
    async fn create(&self, clients: &C, d: &mut ResourceData) -> Result<(), SdkError>;
    async fn read(&self, clients: &C, d: &mut ResourceData) -> Result<(), SdkError>;
    /// `None` when the resource has no Update function.
    async fn update(&self, _clients: &C, _d: &mut ResourceData) -> Option<Result<(), SdkError>> {
        None
    }
    async fn delete(&self, clients: &C, d: &mut ResourceData) -> Result<(), SdkError>;
    /// The `Importer`; the default is `ImportStatePassthrough`.
    fn import(&self, _d: &mut ResourceData) -> Result<(), SdkError> {
        Ok(())
    }
}

/// One provider: what GetProviderSchema announces and how it configures its clients.
pub struct ProviderSpec<C> {
    pub schema: Block,
    /// The official provider's capabilities (its SDK's, or its mux server's).
    pub capabilities: pb::ServerCapabilities,
    pub configure: fn(&Value) -> Result<C, SdkError>,
    pub resources: Vec<Box<dyn SdkResource<C>>>,
}

struct Entry<C> {
    resource: Box<dyn SdkResource<C>>,
    /// The full schema: the resource's, `id`, and `timeouts` when declared.
    block: Block,
    ty: Type,
    timeouts: Timeouts,
}

impl<C: Send + Sync> Entry<C> {
    fn new(resource: Box<dyn SdkResource<C>>) -> Entry<C> {
        let timeouts = resource.timeouts();
        let mut block = resource.schema();
        if block.find_attribute("id").is_none() {
            block.attributes.push(Attribute::optional_computed("id", Type::String));
        }
        if timeouts.is_declared() {
            block.blocks.push(timeouts.block());
        }
        let ty = block.implied_type();
        Entry { resource, block, ty, timeouts }
    }
}

pub struct SdkProvider<C> {
    spec_schema: Block,
    capabilities: pb::ServerCapabilities,
    configure: fn(&Value) -> Result<C, SdkError>,
    resources: HashMap<&'static str, Entry<C>>,
    clients: RwLock<Option<Arc<C>>>,
}

fn error(summary: impl Into<String>) -> pb::Diagnostic {
    pb::Diagnostic {
        severity: pb::diagnostic::Severity::Error as i32,
        summary: summary.into(),
        detail: String::new(),
        attribute: None,
    }
}

fn error_detail(summary: &str, detail: String) -> pb::Diagnostic {
    pb::Diagnostic { detail, ..error(summary) }
}

fn decode(value: Option<&pb::DynamicValue>, ty: &Type) -> Result<Value, pb::Diagnostic> {
    let Some(value) = value else { return Ok(Value::Null) };
    let decoded = if value.msgpack.is_empty() && !value.json.is_empty() {
        decode_json(&value.json, ty)
    } else {
        decode_msgpack(&value.msgpack, ty)
    };
    decoded.map_err(|e| error(format!("unreadable value from Terraform: {e}")))
}

fn encode(value: &Value, ty: &Type) -> Result<pb::DynamicValue, pb::Diagnostic> {
    encode_msgpack(value, ty)
        .map(|msgpack| pb::DynamicValue { msgpack, json: Vec::new() })
        .map_err(|e| error(format!("cannot encode a value for Terraform: {e}")))
}

fn private_bytes(meta: &Json) -> Vec<u8> {
    serde_json::to_vec(meta).unwrap_or_default()
}

/// The private data of an applied object: `json.Marshal(state.Meta)`.
fn applied_private(timeouts: &Timeouts) -> Vec<u8> {
    match timeouts.meta() {
        Some(meta) => private_bytes(&json!({ TIMEOUT_KEY: meta })),
        None => b"null".to_vec(),
    }
}

/// `attr` of `value`, or null.
fn attr<'a>(value: &'a Value, name: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    value.attr(name).unwrap_or(&NULL)
}

/// `value` with attribute `name` (if its type has it) replaced by `new`.
fn with_attr(mut value: Value, name: &str, new: Value) -> Value {
    if let Some(slot) = value.attr_mut(name) {
        *slot = new;
    }
    value
}

/// The schema's `Default`s for attributes the configuration leaves null, in blocks too.
fn with_defaults(block: &Block, value: &Value) -> Value {
    let Value::Object(fields) = value else { return value.clone() };
    let mut fields = fields.clone();
    for attribute in &block.attributes {
        if let (Some(default), Some(slot)) = (&attribute.default, fields.get_mut(&attribute.name)) {
            if slot.is_null() {
                *slot = default.clone();
            }
        }
    }
    for nested in block.blocks.iter().filter(|b| b.nesting == Nesting::List) {
        if let Some(Value::List(elements)) = fields.get_mut(&nested.type_name) {
            for element in elements.iter_mut() {
                *element = with_defaults(&nested.block, element);
            }
        }
    }
    Value::Object(fields)
}

/// `SetUnknowns`: computed attributes that are null become unknown.
fn set_unknowns(block: &Block, value: Value) -> Value {
    let Value::Object(mut fields) = value else { return value };
    for attribute in block.attributes.iter().filter(|a| a.computed) {
        if let Some(slot) = fields.get_mut(&attribute.name) {
            if slot.is_null() {
                *slot = Value::unknown();
            }
        }
    }
    Value::Object(fields)
}

fn attribute_path(name: &str) -> pb::AttributePath {
    use pb::attribute_path::{Step, step::Selector};
    pb::AttributePath { steps: vec![Step { selector: Some(Selector::AttributeName(name.to_string())) }] }
}

/// The arguments (not computed-only attributes, and blocks other than `timeouts`) that differ.
fn changed_arguments(block: &Block, prior: &Value, planned: &Value) -> Vec<String> {
    let arguments = block.attributes.iter().filter(|a| a.required || a.optional).map(|a| a.name.as_str());
    let blocks = block.blocks.iter().filter(|b| b.type_name != TIMEOUTS).map(|b| b.type_name.as_str());
    arguments
        .chain(blocks)
        .filter(|name| !sdk_equivalent(attr(prior, name), attr(planned, name)))
        .map(str::to_string)
        .collect()
}

fn is_force_new(block: &Block, name: &str) -> bool {
    block.find_attribute(name).is_some_and(|a| a.force_new)
}

/// Removes JSON object members the schema does not have (grpc_provider.go's removeAttributes).
fn remove_unknown_attributes(json: &mut Json, ty: &Type) {
    match (json, ty) {
        (Json::Object(members), Type::Object(types)) => {
            members.retain(|name, _| types.contains_key(name));
            for (name, member) in members.iter_mut() {
                remove_unknown_attributes(member, &types[name]);
            }
        }
        (Json::Array(items), Type::List(element) | Type::Set(element)) => {
            items.iter_mut().for_each(|item| remove_unknown_attributes(item, element));
        }
        _ => {}
    }
}

/// `NormalizeObjectFromLegacySDK` for these schemas: a missing list block is an empty list.
fn normalize_blocks(block: &Block, value: Value) -> Value {
    let Value::Object(mut fields) = value else { return value };
    for nested in block.blocks.iter().filter(|b| b.nesting == Nesting::List) {
        let slot = fields.entry(nested.type_name.clone()).or_insert(Value::Null);
        if slot.is_null() {
            *slot = Value::List(Vec::new());
        }
    }
    Value::Object(fields)
}

fn pb_block(block: &Block) -> pb::schema::Block {
    use pb::schema::nested_block::NestingMode;
    pb::schema::Block {
        version: 0,
        attributes: block
            .attributes
            .iter()
            .map(|a| pb::schema::Attribute {
                name: a.name.clone(),
                r#type: a.ty.to_json_bytes(),
                nested_type: None,
                description: a.description.clone(),
                required: a.required,
                optional: a.optional,
                computed: a.computed,
                sensitive: a.sensitive,
                description_kind: pb::StringKind::Plain as i32,
                deprecated: false,
                write_only: false,
                deprecation_message: String::new(),
            })
            .collect(),
        block_types: block
            .blocks
            .iter()
            .map(|b| pb::schema::NestedBlock {
                type_name: b.type_name.clone(),
                block: Some(pb_block(&b.block)),
                nesting: match b.nesting {
                    Nesting::Single => NestingMode::Single,
                    Nesting::Group => NestingMode::Group,
                    Nesting::List => NestingMode::List,
                    Nesting::Set => NestingMode::Set,
                    Nesting::Map => NestingMode::Map,
                } as i32,
                min_items: b.min_items,
                max_items: b.max_items,
            })
            .collect(),
        description: block.description.clone(),
        description_kind: pb::StringKind::Plain as i32,
        deprecated: false,
        deprecation_message: String::new(),
    }
}

impl<C: Send + Sync + 'static> SdkProvider<C> {
    pub fn new(spec: ProviderSpec<C>) -> SdkProvider<C> {
        let resources = spec
            .resources
            .into_iter()
            .map(|r| {
                let name = r.type_name();
                (name, Entry::new(r))
            })
            .collect();
        SdkProvider {
            spec_schema: spec.schema,
            capabilities: spec.capabilities,
            configure: spec.configure,
            resources,
            clients: RwLock::new(None),
        }
    }

    pub fn grpc(self: &Arc<Self>, max_message_bytes: usize) -> pb::provider_server::ProviderServer<Self> {
        pb::provider_server::ProviderServer::from_arc(Arc::clone(self))
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes)
    }

    fn entry(&self, type_name: &str) -> Result<&Entry<C>, pb::Diagnostic> {
        self.resources.get(type_name).ok_or_else(|| error(format!("unknown resource type: {type_name}")))
    }

    fn clients(&self) -> Result<Arc<C>, pb::Diagnostic> {
        self.clients
            .read()
            .ok()
            .and_then(|c| c.clone())
            .ok_or_else(|| error("the provider was used before ConfigureProvider"))
    }

    fn plan(
        &self,
        request: &pb::plan_resource_change::Request,
    ) -> Result<pb::plan_resource_change::Response, pb::Diagnostic> {
        let entry = self.entry(&request.type_name)?;
        let prior = decode(request.prior_state.as_ref(), &entry.ty)?;
        let proposed = decode(request.proposed_new_state.as_ref(), &entry.ty)?;
        let config = decode(request.config.as_ref(), &entry.ty)?;
        let mut response = pb::plan_resource_change::Response { legacy_type_system: true, ..Default::default() };
        if proposed.is_null() {
            // A destroy (the mux answers it without asking the SDK server).
            response.planned_state = request.proposed_new_state.clone();
            response.planned_private = request.prior_private.clone();
            return Ok(response);
        }
        let planned = with_defaults(&entry.block, &proposed);
        let configured_timeouts = proposed.attr(TIMEOUTS).filter(|t| t.is_wholly_known());
        let timeouts = entry.timeouts.with_config(configured_timeouts).map_err(error)?;
        let mut private = Map::new();
        private.insert(NEW_EXTRA_KEY.to_string(), json!({}));
        if let Some(meta) = timeouts.meta() {
            private.insert(TIMEOUT_KEY.to_string(), meta);
        }

        let (planned, replace) = if prior.is_null() {
            (set_unknowns(&entry.block, planned), vec!["id".to_string()])
        } else {
            let changed = changed_arguments(&entry.block, &prior, &planned);
            if changed.is_empty() {
                // No diff: the prior state, private data and all (timeouts changes included).
                response.planned_state = request.prior_state.clone();
                response.planned_private = request.prior_private.clone();
                return Ok(response);
            }
            let forced = entry.resource.customize_diff(&prior, &planned).map_err(error)?;
            let mut replace: Vec<String> = changed
                .iter()
                .filter(|name| is_force_new(&entry.block, name) || forced.contains(name))
                .cloned()
                .collect();
            if replace.is_empty() {
                (planned, replace)
            } else {
                // A new object: every computed value not configured is unknown again.
                replace.push("id".to_string());
                let fresh = entry
                    .block
                    .attributes
                    .iter()
                    .filter(|a| a.computed && attr(&config, &a.name).is_null())
                    .fold(planned, |v, a| with_attr(v, &a.name, Value::unknown()));
                (fresh, replace)
            }
        };
        let planned = with_attr(planned, TIMEOUTS, attr(&proposed, TIMEOUTS).clone());
        response.planned_state = Some(encode(&planned, &entry.ty)?);
        response.planned_private = private_bytes(&Json::Object(private));
        response.requires_replace = replace.iter().map(|name| attribute_path(name)).collect();
        Ok(response)
    }

    async fn apply(&self, request: pb::apply_resource_change::Request) -> pb::apply_resource_change::Response {
        let mut response = pb::apply_resource_change::Response {
            new_state: request.prior_state.clone(),
            legacy_type_system: true,
            ..Default::default()
        };
        let outcome = async {
            let entry = self.entry(&request.type_name)?;
            let clients = self.clients()?;
            let prior = decode(request.prior_state.as_ref(), &entry.ty)?;
            let planned = decode(request.planned_state.as_ref(), &entry.ty)?;
            Ok::<_, pb::Diagnostic>((entry, clients, prior, planned))
        }
        .await;
        let (entry, clients, prior, planned) = match outcome {
            Ok(found) => found,
            Err(diagnostic) => {
                response.diagnostics.push(diagnostic);
                return response;
            }
        };
        // The planned private holds the effective timeouts (DiffDecode); a destroy plan's is the
        // prior private (StateDecode).
        let timeouts = Timeouts::from_private(&request.planned_private);

        if planned.is_null() {
            let mut d = ResourceData::new(prior.clone(), timeouts);
            match entry.resource.delete(&clients, &mut d).await {
                Ok(()) => response.new_state = encode(&Value::Null, &entry.ty).ok(),
                Err(e) => response.diagnostics.push(error(e)),
            }
            return response;
        }

        let mut d = ResourceData::new(planned.clone(), timeouts);
        let result = if prior.is_null() {
            d.set_id("");
            entry.resource.create(&clients, &mut d).await
        } else {
            match entry.resource.update(&clients, &mut d).await {
                Some(result) => result,
                None => Err("doesn't support update".to_string()),
            }
        };
        if let Err(e) = &result {
            response.diagnostics.push(error(e.clone()));
            if !prior.is_null() {
                return response;
            }
        }
        let state = with_attr(d.state(&entry.block), TIMEOUTS, attr(&planned, TIMEOUTS).clone());
        match encode(&state, &entry.ty) {
            Ok(encoded) => response.new_state = Some(encoded),
            Err(diagnostic) => response.diagnostics.push(diagnostic),
        }
        if !state.is_null() {
            response.private = applied_private(&timeouts);
        }
        response
    }

    async fn read(&self, request: pb::read_resource::Request) -> pb::read_resource::Response {
        let mut private = request.private.clone();
        if let Ok(Json::Object(mut meta)) = serde_json::from_slice::<Json>(&private) {
            if meta.remove(IMPORT_BEFORE_READ_KEY).is_some() {
                private = if meta.is_empty() { Vec::new() } else { private_bytes(&Json::Object(meta)) };
            }
        }
        let mut response = pb::read_resource::Response {
            new_state: request.current_state.clone(),
            private: private.clone(),
            ..Default::default()
        };
        let outcome = async {
            let entry = self.entry(&request.type_name)?;
            let clients = self.clients()?;
            let current = decode(request.current_state.as_ref(), &entry.ty)?;
            Ok::<_, pb::Diagnostic>((entry, clients, current))
        }
        .await;
        let (entry, clients, current) = match outcome {
            Ok(found) => found,
            Err(diagnostic) => {
                response.diagnostics.push(diagnostic);
                return response;
            }
        };
        if current.is_null() {
            return response;
        }
        let mut d = ResourceData::new(current.clone(), Timeouts::from_private(&private));
        if d.id().is_empty() {
            response.new_state = encode(&Value::Null, &entry.ty).ok();
            return response;
        }
        if let Err(e) = entry.resource.read(&clients, &mut d).await {
            response.diagnostics.push(error(e));
            return response;
        }
        let state = with_attr(d.state(&entry.block), TIMEOUTS, attr(&current, TIMEOUTS).clone());
        match encode(&state, &entry.ty) {
            Ok(encoded) => response.new_state = Some(encoded),
            Err(diagnostic) => response.diagnostics.push(diagnostic),
        }
        response
    }

    fn import(
        &self,
        request: &pb::import_resource_state::Request,
    ) -> Result<pb::import_resource_state::Response, pb::Diagnostic> {
        let entry = self.entry(&request.type_name)?;
        // Resource.Data(nil): the declared timeouts and the default schema_version meta.
        let mut d = ResourceData::new(entry.ty.null_object(), entry.timeouts);
        d.set_id(request.id.clone());
        entry.resource.import(&mut d).map_err(error)?;
        let state = normalize_blocks(&entry.block, d.state(&entry.block));
        let mut meta = Map::new();
        meta.insert(IMPORT_BEFORE_READ_KEY.to_string(), Json::Bool(true));
        if let Some(timeouts) = entry.timeouts.meta() {
            meta.insert(TIMEOUT_KEY.to_string(), timeouts);
        }
        meta.insert("schema_version".to_string(), json!("0"));
        Ok(pb::import_resource_state::Response {
            imported_resources: vec![pb::import_resource_state::ImportedResource {
                type_name: request.type_name.clone(),
                state: Some(encode(&state, &entry.ty)?),
                private: private_bytes(&Json::Object(meta)),
                identity: None,
            }],
            ..Default::default()
        })
    }

    fn upgrade(
        &self,
        request: &pb::upgrade_resource_state::Request,
    ) -> Result<pb::upgrade_resource_state::Response, pb::Diagnostic> {
        let entry = self.entry(&request.type_name)?;
        let raw = request.raw_state.clone().unwrap_or_default();
        if raw.json.is_empty() {
            return Ok(Default::default());
        }
        let mut json: Json = serde_json::from_slice(&raw.json).map_err(|e| error(e.to_string()))?;
        remove_unknown_attributes(&mut json, &entry.ty);
        let text = serde_json::to_vec(&json).map_err(|e| error(e.to_string()))?;
        let state = decode_json(&text, &entry.ty).map_err(|e| error(e.to_string()))?;
        let state = normalize_blocks(&entry.block, state);
        Ok(pb::upgrade_resource_state::Response {
            upgraded_state: Some(encode(&state, &entry.ty)?),
            diagnostics: vec![],
        })
    }

    /// grpc_provider.go's GenerateResourceConfig (SDK v2.40.0+): the state without read-only
    /// attributes, the implicit `id`, and `""` in optional strings.
    fn generate(
        &self,
        request: &pb::generate_resource_config::Request,
    ) -> Result<pb::generate_resource_config::Response, pb::Diagnostic> {
        fn strip(block: &Block, value: &Value, top: bool) -> Value {
            let Value::Object(fields) = value else { return value.clone() };
            let mut out = fields.clone();
            for a in &block.attributes {
                let Some(slot) = out.get_mut(&a.name) else { continue };
                let read_only = a.computed && !a.optional && a.default.is_none();
                let implicit_id = top && a.name == "id";
                let empty = a.optional && a.ty == Type::String && slot.as_str() == Some("");
                if read_only || implicit_id || empty {
                    *slot = Value::Null;
                }
            }
            for b in &block.blocks {
                if let Some(Value::List(elements)) = out.get_mut(&b.type_name) {
                    for element in elements.iter_mut() {
                        *element = strip(&b.block, element, false);
                    }
                }
            }
            Value::Object(out)
        }
        let entry = self.entry(&request.type_name)?;
        let state = decode(request.state.as_ref(), &entry.ty)?;
        if state.is_null() {
            return Err(error_detail(
                "Unexpected Generate Config Request",
                "An unexpected error was encountered when generating resource configuration. The current state was missing.".into(),
            ));
        }
        let config = strip(&entry.block, &state, true);
        Ok(pb::generate_resource_config::Response { config: Some(encode(&config, &entry.ty)?), diagnostics: vec![] })
    }
}

fn reply<T>(message: T) -> Result<Response<T>, Status> {
    Ok(Response::new(message))
}

#[tonic::async_trait]
impl<C: Send + Sync + 'static> pb::provider_server::Provider for SdkProvider<C> {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        reply(pb::get_metadata::Response {
            server_capabilities: Some(self.capabilities),
            resources: self
                .resources
                .keys()
                .map(|name| pb::get_metadata::ResourceMetadata { type_name: name.to_string() })
                .collect(),
            ..Default::default()
        })
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        reply(pb::get_provider_schema::Response {
            provider: Some(pb::Schema { version: 0, block: Some(pb_block(&self.spec_schema)) }),
            resource_schemas: self
                .resources
                .iter()
                .map(|(name, e)| (name.to_string(), pb::Schema { version: 0, block: Some(pb_block(&e.block)) }))
                .collect(),
            server_capabilities: Some(self.capabilities),
            ..Default::default()
        })
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        // No resource here declares an Identity.
        reply(Default::default())
    }

    async fn validate_provider_config(
        &self,
        _: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        reply(Default::default())
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let request = request.into_inner();
        let diagnostics = match self.entry(&request.type_name) {
            Ok(entry) => match decode(request.config.as_ref(), &entry.ty) {
                Ok(config) => entry.resource.validate(&config).into_iter().map(error).collect(),
                Err(diagnostic) => vec![diagnostic],
            },
            Err(diagnostic) => vec![diagnostic],
        };
        reply(pb::validate_resource_config::Response { diagnostics })
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let answer = self
            .upgrade(request.get_ref())
            .unwrap_or_else(|d| pb::upgrade_resource_state::Response { diagnostics: vec![d], ..Default::default() });
        reply(answer)
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let request = request.into_inner();
        let configured = decode(request.config.as_ref(), &self.spec_schema.implied_type())
            .and_then(|config| (self.configure)(&config).map_err(error));
        let diagnostics = match configured {
            Ok(clients) => {
                if let Ok(mut slot) = self.clients.write() {
                    *slot = Some(Arc::new(clients));
                }
                Vec::new()
            }
            Err(diagnostic) => vec![diagnostic],
        };
        reply(pb::configure_provider::Response { diagnostics })
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        reply(self.read(request.into_inner()).await)
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let answer = self.plan(request.get_ref()).unwrap_or_else(|d| pb::plan_resource_change::Response {
            diagnostics: vec![d],
            legacy_type_system: true,
            ..Default::default()
        });
        reply(answer)
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        reply(self.apply(request.into_inner()).await)
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let answer = self
            .import(request.get_ref())
            .unwrap_or_else(|d| pb::import_resource_state::Response { diagnostics: vec![d], ..Default::default() });
        reply(answer)
    }

    async fn move_resource_state(
        &self,
        request: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        // grpc_provider.go's MoveResourceState: SDK resources never accept a move.
        let target = &request.get_ref().target_type_name;
        let diagnostic = if self.resources.contains_key(target.as_str()) {
            error_detail(
                "Move Resource State Not Supported",
                format!("The {target:?} resource type does not support moving resource state across resource types."),
            )
        } else {
            error_detail(
                "Unknown Resource Type",
                format!("The {target:?} resource type is not supported by this provider."),
            )
        };
        reply(pb::move_resource_state::Response { diagnostics: vec![diagnostic], ..Default::default() })
    }

    async fn generate_resource_config(
        &self,
        request: Request<pb::generate_resource_config::Request>,
    ) -> Result<Response<pb::generate_resource_config::Response>, Status> {
        if !self.capabilities.generate_resource_config {
            return Err(Status::unimplemented("GenerateResourceConfig is not supported by this provider version"));
        }
        let answer = self
            .generate(request.get_ref())
            .unwrap_or_else(|d| pb::generate_resource_config::Response { diagnostics: vec![d], ..Default::default() });
        reply(answer)
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        reply(Default::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        let ns = |s: &str| parse_go_duration(s).map(|d| d.as_nanos());
        assert_eq!(ns("10m"), Ok(600_000_000_000));
        assert_eq!(ns("1h30m"), Ok(5_400_000_000_000));
        assert_eq!(ns("1.5h"), Ok(5_400_000_000_000));
        assert_eq!(ns("300ms"), Ok(300_000_000));
        assert_eq!(ns("0"), Ok(0));
        assert!(ns("10").unwrap_err().contains("missing unit"));
        assert!(ns("10d").unwrap_err().contains("unknown unit"));
        assert!(ns("").is_err());
        assert!(ns("m").is_err());
    }

    #[test]
    fn private_data_is_the_sdks() {
        let declared = Timeouts {
            create: Some(Duration::from_secs(6 * 3600)),
            delete: Some(Duration::from_secs(6 * 3600)),
            ..Default::default()
        };
        let configured = Value::Object(BTreeMap::from([
            ("create".to_string(), Value::from("10m")),
            ("delete".to_string(), Value::Null),
        ]));
        let effective = declared.with_config(Some(&configured)).unwrap();
        assert_eq!(
            String::from_utf8(applied_private(&effective)).unwrap(),
            r#"{"e2bfb730-ecaa-11e6-8f88-34363bc7c4c0":{"create":600000000000,"delete":21600000000000}}"#
        );
        assert_eq!(applied_private(&Timeouts::default()), b"null");
        assert_eq!(Timeouts::from_private(&applied_private(&effective)), effective);
        assert!(
            declared
                .with_config(Some(&Value::Object(BTreeMap::from([("update".to_string(), Value::from("1m"))]))))
                .is_err()
        );
    }

    #[test]
    fn sdk_equivalence() {
        assert!(sdk_equivalent(&Value::Null, &Value::from("")));
        assert!(sdk_equivalent(&Value::Null, &Value::Bool(false)));
        assert!(sdk_equivalent(&Value::Null, &Value::List(vec![])));
        assert!(!sdk_equivalent(&Value::Null, &Value::from("x")));
        assert!(!sdk_equivalent(&Value::Null, &Value::Bool(true)));
    }
}
