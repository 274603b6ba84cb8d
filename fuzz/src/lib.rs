//! Shared helpers of the fuzz targets in `fuzz_targets/`: the cty types the value targets decode
//! against, an unconfigured provider for the import targets, a poll-once executor, and a tiny
//! reader that splits fuzz input into fields.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Waker};

use tether::clients::Clients;
use tether::framework::identity::{self, IdentityAttribute};
use tether::framework::{Diagnostics, Provider, Resource, Type, Value, detach};
use tether::provider::TetherProvider;

/// Every cty type the provider really puts on the wire (the provider configuration, each
/// resource's state with its `detach_on_destroy` guard as the protocol layer adds it, each
/// data source, each `list` block config and each resource identity), plus `dynamic` and one
/// type made of every type constructor, for the structural cases the schemas do not use.
pub fn wire_types() -> &'static [(String, Type)] {
    static TYPES: OnceLock<Vec<(String, Type)>> = OnceLock::new();
    TYPES.get_or_init(|| {
        let provider = TetherProvider::new();
        let mut types = vec![("provider".to_string(), provider.schema().implied_type())];
        for resource in provider.resources() {
            let name = resource.type_name();
            types.push((name.to_string(), detach::guarded(resource.schema()).implied_type()));
            if let Some(list) = resource.list_schema() {
                types.push((format!("list {name}"), list.implied_type()));
            }
            if !resource.identity().is_empty() {
                types.push((format!("identity {name}"), identity::object_type(resource.identity())));
            }
        }
        for data_source in provider.data_sources() {
            types.push((format!("data {}", data_source.type_name()), data_source.schema().implied_type()));
        }
        types.push(("dynamic".to_string(), Type::Dynamic));
        types.push((
            "every constructor".to_string(),
            Type::object([
                ("b", Type::Bool),
                ("n", Type::Number),
                ("s", Type::String),
                ("d", Type::Dynamic),
                ("l", Type::list(Type::Number)),
                ("st", Type::set(Type::String)),
                ("so", Type::set(Type::object([("k", Type::String), ("v", Type::Dynamic)]))),
                ("m", Type::map(Type::list(Type::Bool))),
                ("t", Type::Tuple(vec![Type::String, Type::Number, Type::Dynamic])),
            ]),
        ));
        types
    })
}

/// Picks the type to decode against from the first input byte, and returns the rest: byte `k`
/// is `wire_types()[k % len]`, except `0xff`, which reads the type itself from the input
/// (`0xff <type JSON> 0x00 <value>`) and so also fuzzes `Type::from_json_bytes`.
pub fn choose_type(data: &[u8]) -> Option<(std::borrow::Cow<'static, Type>, &[u8])> {
    let (&selector, rest) = data.split_first()?;
    if selector != TYPE_FROM_INPUT {
        let types = wire_types();
        return Some((std::borrow::Cow::Borrowed(&types[usize::from(selector) % types.len()].1), rest));
    }
    let split = rest.iter().position(|&b| b == 0)?;
    let ty = Type::from_json_bytes(&rest[..split]).ok()?;
    Some((std::borrow::Cow::Owned(ty), &rest[split + 1..]))
}

/// The first byte of a value input that carries its own type (see [`choose_type`]).
pub const TYPE_FROM_INPUT: u8 = 0xff;

/// A value of type `ty` with every part present: attributes, one element per collection, a
/// string in each `dynamic` slot. The seed corpora are built from these.
pub fn sample(ty: &Type) -> Value {
    match ty {
        Type::Bool => Value::Bool(true),
        Type::Number => Value::from(42i64),
        Type::String => Value::from("x"),
        Type::Dynamic => Value::Dynamic(Type::String, Box::new(Value::from("d"))),
        Type::List(element) => Value::List(vec![sample(element)]),
        Type::Set(element) => Value::Set(vec![sample(element)]),
        Type::Map(element) => Value::Map(BTreeMap::from([("k".to_string(), sample(element))])),
        Type::Object(attributes) => {
            Value::Object(attributes.iter().map(|(name, ty)| (name.clone(), sample(ty))).collect())
        }
        Type::Tuple(elements) => Value::Tuple(elements.iter().map(sample).collect()),
    }
}

/// Runs a future that must complete without waiting (it is polled once, with a no-op waker).
/// The import paths fuzzed here must never reach the network, so a pending future is a bug.
pub fn ready<F: Future>(what: &str, future: F) -> F::Output {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("{what} did not complete at once: it waited on I/O"),
    }
}

/// A resource of the provider with the types the protocol layer encodes its state and identity
/// with.
pub struct ResourceEntry {
    pub resource: Arc<dyn Resource<Clients>>,
    pub state_type: Type,
    pub identity: &'static [IdentityAttribute],
    pub identity_type: Type,
}

/// The provider's resources, with their wire types.
pub fn resources() -> &'static [ResourceEntry] {
    static RESOURCES: OnceLock<Vec<ResourceEntry>> = OnceLock::new();
    RESOURCES.get_or_init(|| {
        TetherProvider::new()
            .resources()
            .into_iter()
            .map(|resource| ResourceEntry {
                state_type: detach::guarded(resource.schema()).implied_type(),
                identity: resource.identity(),
                identity_type: identity::object_type(resource.identity()),
                resource,
            })
            .collect()
    })
}

/// Configured provider data in which no cloud is usable: each cloud block is present but
/// invalid (an endpoint that is not a URL, a region that does not exist), so every client
/// accessor returns its diagnostic whatever `TENCENTCLOUD_*`, `HW_*` or `ZSTACK_*` variables
/// the environment holds. Resource code reached with it can validate input but never send a
/// request.
pub fn unconfigured_clients() -> &'static Clients {
    static CLIENTS: OnceLock<Clients> = OnceLock::new();
    CLIENTS.get_or_init(|| {
        let provider = TetherProvider::new();
        let Type::Object(attributes) = provider.schema().implied_type() else {
            panic!("the provider schema is an object");
        };
        let mut config: BTreeMap<String, Value> = BTreeMap::new();
        for (name, ty) in &attributes {
            config.insert(name.clone(), ty.null_object());
        }
        let mut set = |block: &str, attribute: &str, value: &str| {
            if let Some(Value::Object(fields)) = config.get_mut(block) {
                fields.insert(attribute.to_string(), Value::String(value.to_string()));
            }
        };
        set("tencentcloud", "secret_id", "fuzz");
        set("tencentcloud", "secret_key", "fuzz");
        set("tencentcloud", "endpoint", "not a url");
        set("huaweicloud", "access_key", "fuzz");
        set("huaweicloud", "secret_key", "fuzz");
        set("huaweicloud", "region", "not a region");
        set("zstack", "endpoint", "not a url");
        let mut diags = Diagnostics::new();
        let clients = ready("configure", provider.configure(&Value::Object(config), "fuzz", &mut diags))
            .expect("configure returns provider data");
        assert!(clients.tencent().is_err(), "the Tencent client must be unusable");
        assert!(clients.huawei_organizations().is_err(), "the Huawei clients must be unusable");
        assert!(clients.huawei_rgc().is_err(), "the Huawei clients must be unusable");
        assert!(clients.huawei_identitycenter().is_err(), "the Huawei clients must be unusable");
        assert!(clients.zstack().is_err(), "the ZStack client must be unusable");
        clients
    })
}

/// Reads fields off fuzz input: single bytes, and byte strings ended by a separator byte (or
/// by the end of the input).
pub struct Fields<'a> {
    data: &'a [u8],
}

impl<'a> Fields<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Fields { data }
    }

    /// The next byte, or 0 at the end.
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// Bytes up to the next `separator` (consumed, not returned) or the end.
    pub fn until(&mut self, separator: u8) -> &'a [u8] {
        match self.data.iter().position(|&b| b == separator) {
            Some(i) => {
                let field = &self.data[..i];
                self.data = &self.data[i + 1..];
                field
            }
            None => std::mem::take(&mut self.data),
        }
    }

    /// [`Fields::until`] as text (invalid UTF-8 replaced).
    pub fn text(&mut self, separator: u8) -> String {
        String::from_utf8_lossy(self.until(separator)).into_owned()
    }

    /// Whatever is left.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }
}

/// `name: value` lines as headers; lines that are not valid header syntax are skipped.
pub fn header_lines(text: &str) -> axum::http::HeaderMap {
    let mut headers = axum::http::HeaderMap::new();
    for line in text.split('\n') {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::from_bytes(name.trim().as_bytes()),
            axum::http::HeaderValue::from_str(value.trim_start()),
        ) else {
            continue;
        };
        headers.append(name, value);
    }
    headers
}
