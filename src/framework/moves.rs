//! Taking over another provider's objects with a `moved` block (MoveResourceState): the sources
//! a resource accepts, reading their raw state, and the mark that tells the plan carrying a move
//! from every later one.
//!
//! Terraform converts the state with an *unconfigured* provider instance, so a conversion reads
//! no cloud: it maps the source's attributes, and the refresh that follows in the same plan reads
//! the rest. A conversion must be complete (every identity attribute, every argument the user
//! writes), because a `moved` block offers no way to fill in what it missed; when the source
//! state lacks something, the move fails with a diagnostic rather than planning a replacement.

use serde_json::{Map, Value as Json};

use super::value::Value;

/// One resource type of another provider whose objects move into a tether resource type.
pub struct MoveSource {
    /// The source provider as `namespace/type`, e.g. `tencentcloudstack/tencentcloud`.
    pub provider: &'static str,
    pub type_name: &'static str,
    /// The newest source schema version the conversion reads (older ones read the same).
    pub schema_version: i64,
    pub convert: fn(&SourceState) -> Result<Moved, String>,
}

impl MoveSource {
    /// Whether a MoveResourceState request names this source. Addresses are matched leniently:
    /// any registry host (mirrors and private registries re-host providers), `namespace/type`,
    /// or the bare type name, which OpenTofu sent before 1.11.12 and 1.12.4.
    pub fn matches(&self, provider_address: &str, type_name: &str) -> bool {
        if type_name != self.type_name {
            return false;
        }
        let given: Vec<String> = provider_address.trim().split('/').map(str::to_ascii_lowercase).collect();
        let (namespace, provider) = self.provider.split_once('/').unwrap_or(("", self.provider));
        match given.as_slice() {
            [_, ns, ty] | [ns, ty] => ns == namespace && ty == provider,
            [ty] => ty == provider,
            _ => false,
        }
    }

    /// `namespace/type type_name`, as the diagnostics list it.
    pub fn describe(&self) -> String {
        format!("{} {}", self.provider, self.type_name)
    }
}

/// What a conversion produces.
#[derive(Debug, Clone, PartialEq)]
pub struct Moved {
    /// The object's state in the target type, without the detach guard attributes.
    pub state: Value,
    /// Whether destroying the moved object calls the detach API (`detach_on_destroy`): true
    /// only when the source's own destroy detached it, so a move never turns a destroy that
    /// left the object alone into one that detaches it.
    pub detach_on_destroy: bool,
}

/// A source object's raw state (SDKv2 JSON: every attribute present, `MaxItems: 1` blocks as
/// arrays, unset optional strings as `""`), with typed getters whose errors name the attribute.
pub struct SourceState<'a> {
    attributes: &'a Map<String, Json>,
    /// The source's private data (for SDKv2, its timeouts in nanoseconds and schema version).
    pub private: &'a [u8],
}

impl<'a> SourceState<'a> {
    pub fn new(attributes: &'a Map<String, Json>, private: &'a [u8]) -> SourceState<'a> {
        SourceState { attributes, private }
    }

    fn get(&self, name: &str) -> Option<&'a Json> {
        self.attributes.get(name).filter(|v| !v.is_null())
    }

    /// A string attribute; null or absent is `None`.
    pub fn string(&self, name: &str) -> Result<Option<String>, String> {
        match self.get(name) {
            None => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(format!("its `{name}` is {other}, not a string")),
        }
    }

    /// A string attribute, with null, absent and SDKv2's `""` for unset all read as `None`.
    pub fn optional_string(&self, name: &str) -> Result<Option<String>, String> {
        Ok(self.string(name)?.filter(|s| !s.is_empty()))
    }

    /// A string attribute, `""` when null or absent (computed attributes the refresh re-reads).
    pub fn text(&self, name: &str) -> Result<String, String> {
        Ok(self.string(name)?.unwrap_or_default())
    }

    /// A string attribute the move cannot do without.
    pub fn required_string(&self, name: &str) -> Result<String, String> {
        self.optional_string(name)?.ok_or_else(|| format!("its `{name}` is empty"))
    }

    /// A whole, non-negative number (SDKv2 `TypeInt`); a string of digits is read too (SDKv2
    /// states written through flatmap shims hold numbers as strings).
    pub fn integer(&self, name: &str) -> Result<Option<u64>, String> {
        match self.get(name) {
            None => Ok(None),
            Some(Json::Number(n)) => {
                n.as_u64().map(Some).ok_or_else(|| format!("its `{name}` is {n}, not a whole non-negative number"))
            }
            Some(Json::String(s)) if s.is_empty() => Ok(None),
            Some(Json::String(s)) => {
                s.parse().map(Some).map_err(|_| format!("its `{name}` is {s:?}, not a whole non-negative number"))
            }
            Some(other) => Err(format!("its `{name}` is {other}, not a number")),
        }
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, String> {
        match self.get(name) {
            None => Ok(None),
            Some(Json::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(format!("its `{name}` is {other}, not a bool")),
        }
    }

    /// A nested block holding at most one object (SDKv2's `MaxItems: 1` list, or a single
    /// block); `None` when empty or null.
    pub fn single_block(&self, name: &str) -> Result<Option<SourceState<'a>>, String> {
        let object = match self.get(name) {
            None => return Ok(None),
            Some(Json::Array(items)) => match items.as_slice() {
                [] => return Ok(None),
                [item] => item,
                _ => return Err(format!("its `{name}` holds {} blocks, where one is expected", items.len())),
            },
            Some(object) => object,
        };
        match object {
            Json::Object(attributes) => Ok(Some(SourceState { attributes, private: self.private })),
            Json::Null => Ok(None),
            other => Err(format!("its `{name}` is {other}, not a block")),
        }
    }

    /// The `timeouts` block's values as Terraform writes them into state (SDKv2 copies the
    /// configured ones there as well as into private data), keeping only `operations`: the
    /// target's `timeouts` block as an object value, or null when none is set.
    pub fn timeouts(&self, operations: &[&str]) -> Result<Value, String> {
        let Some(block) = self.single_block(super::timeouts::BLOCK)? else {
            return Ok(Value::Null);
        };
        let mut fields = std::collections::BTreeMap::new();
        for operation in operations {
            let value = block.optional_string(operation)?;
            fields.insert(operation.to_string(), value.map(Value::from).unwrap_or(Value::Null));
        }
        Ok(if fields.values().all(Value::is_null) { Value::Null } else { Value::Object(fields) })
    }
}

/// The private data a moved object carries until the second refresh after its move: the plan
/// that carries the move (the refresh right after the move, or `-refresh=false`) sees it, and
/// every later plan does not. A plan that changes nothing leaves the refreshed private data in
/// state, so the mark cannot rely on an apply to clear it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovedMark {
    /// The source resource type.
    pub from: String,
    /// Whether a refresh has seen the mark since the move.
    pub refreshed: bool,
}

const MOVED_PREFIX: &[u8] = b"tether-moved:";

impl MovedMark {
    pub fn fresh(from: &str) -> MovedMark {
        MovedMark { from: from.to_string(), refreshed: false }
    }

    pub fn encode(&self) -> Vec<u8> {
        [MOVED_PREFIX, if self.refreshed { b"2:" } else { b"1:" }, self.from.as_bytes()].concat()
    }

    /// Private data holding no mark (any other writer's, or none) reads as `None`.
    pub fn decode(private: &[u8]) -> Option<MovedMark> {
        let rest = private.strip_prefix(MOVED_PREFIX)?;
        let (refreshed, from) = match rest {
            [b'1', b':', from @ ..] => (false, from),
            [b'2', b':', from @ ..] => (true, from),
            _ => return None,
        };
        let from = std::str::from_utf8(from).ok().filter(|f| !f.is_empty())?;
        Some(MovedMark { from: from.to_string(), refreshed })
    }

    /// The private data a successful refresh returns for `private`: a fresh mark becomes a
    /// refreshed one, and a refreshed one goes. Anything else is returned as it was.
    pub fn after_refresh(private: &[u8]) -> Vec<u8> {
        match MovedMark::decode(private) {
            Some(MovedMark { from, refreshed: false }) => MovedMark { from, refreshed: true }.encode(),
            Some(MovedMark { refreshed: true, .. }) => Vec::new(),
            None => private.to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: MoveSource = MoveSource {
        provider: "tencentcloudstack/tencentcloud",
        type_name: "tencentcloud_organization_policy_sub_account_attachment",
        schema_version: 0,
        convert: |_| Err("unused".into()),
    };

    #[test]
    fn addresses_match_on_any_host_namespace_and_type_or_the_bare_type() {
        let ty = SOURCE.type_name;
        for address in [
            "registry.terraform.io/tencentcloudstack/tencentcloud",
            "registry.opentofu.org/tencentcloudstack/tencentcloud",
            "terraform.example.com/TencentCloudStack/TencentCloud",
            "tencentcloudstack/tencentcloud",
            "tencentcloud",
            " tencentcloud ",
        ] {
            assert!(SOURCE.matches(address, ty), "{address}");
        }
        for address in [
            "registry.terraform.io/hashicorp/tencentcloud",
            "registry.terraform.io/tencentcloudstack/tencentcloud-fork",
            "hashicorp/aws",
            "aws",
            "",
            "a/b/c/d",
        ] {
            assert!(!SOURCE.matches(address, ty), "{address}");
        }
        assert!(!SOURCE.matches("tencentcloudstack/tencentcloud", "tencentcloud_cam_user"));
    }

    #[test]
    fn sdkv2_state_reads_with_errors_naming_the_attribute() {
        let json: Json = serde_json::json!({
            "id": "1#2#3", "member_uin": 2, "as_text": "42", "empty": "", "flag": true,
            "blueprint": [{"blueprint_product_id": "bp", "variables": ""}],
            "two": [{}, {}], "none": [], "nothing": null,
            "timeouts": {"create": "30m", "delete": null}
        });
        let state = SourceState::new(json.as_object().unwrap(), b"");
        assert_eq!(state.integer("member_uin"), Ok(Some(2)));
        assert_eq!(state.integer("as_text"), Ok(Some(42)));
        assert_eq!(state.integer("nothing"), Ok(None));
        assert_eq!(state.integer("id"), Err("its `id` is \"1#2#3\", not a whole non-negative number".into()));
        assert_eq!(state.optional_string("empty"), Ok(None));
        assert_eq!(state.string("empty"), Ok(Some(String::new())));
        assert_eq!(state.required_string("missing"), Err("its `missing` is empty".into()));
        assert_eq!(state.text("missing"), Ok(String::new()));
        assert_eq!(state.bool("flag"), Ok(Some(true)));
        assert!(state.bool("id").is_err());
        let blueprint = state.single_block("blueprint").unwrap().unwrap();
        assert_eq!(blueprint.string("blueprint_product_id"), Ok(Some("bp".into())));
        assert_eq!(blueprint.optional_string("variables"), Ok(None));
        assert!(state.single_block("two").is_err());
        assert!(state.single_block("none").unwrap().is_none());
        assert!(state.single_block("nothing").unwrap().is_none());
        let timeouts = state.timeouts(&["create", "update", "delete"]).unwrap();
        assert_eq!(timeouts.attr("create").and_then(Value::as_str), Some("30m"));
        assert_eq!(timeouts.attr("update"), Some(&Value::Null));
        let unset = serde_json::json!({"timeouts": {"create": null, "delete": null}});
        assert_eq!(SourceState::new(unset.as_object().unwrap(), b"").timeouts(&["create"]), Ok(Value::Null));
    }

    #[test]
    fn the_moved_mark_lasts_until_the_second_refresh() {
        let fresh = MovedMark::fresh("huaweicloud_identitycenter_account_assignment").encode();
        let once = MovedMark::after_refresh(&fresh);
        assert_eq!(
            MovedMark::decode(&once),
            Some(MovedMark { from: "huaweicloud_identitycenter_account_assignment".into(), refreshed: true })
        );
        assert_eq!(MovedMark::after_refresh(&once), Vec::<u8>::new());
        // Other private data passes through untouched and is no mark.
        for other in [&b""[..], b"tether-plan:1:x", b"tether-unconfirmed:12", b"tether-moved:3:x", b"tether-moved:1:"] {
            assert_eq!(MovedMark::decode(other), None, "{other:?}");
            assert_eq!(MovedMark::after_refresh(other), other.to_vec());
        }
    }
}
