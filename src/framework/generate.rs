//! The configuration a person would write for an object (GenerateResourceConfig, Terraform
//! 1.14+), for `plan -generate-config-out` and `query -generate-config-out`. Without it Terraform
//! writes its own guess from the state, which includes every optional value the provider filled
//! in: `detach_on_destroy = true` and looked-up values such as `identity_store_id`.

use std::collections::BTreeMap;

use super::schema::{Attribute, Block, Nesting};
use super::value::Value;

/// `state` as configuration of `block`: the arguments, without what the provider supplies when
/// they are left out. Computed-only attributes go; an optional and computed attribute goes when
/// it holds its default, or, without a default, always (the provider looks it up when it is left
/// out, and the plan keeps the value in state); required and optional arguments stay as they are.
/// Nested blocks follow the same rules; a single block left with nothing set goes.
pub fn configuration(block: &Block, state: &Value) -> Value {
    let Value::Object(fields) = state else { return state.clone() };
    let mut config = BTreeMap::new();
    for (name, value) in fields {
        let kept = if let Some(attribute) = block.find_attribute(name) {
            argument(attribute, value)
        } else if let Some(nested) = block.find_block(name) {
            match (nested.nesting, value) {
                (_, Value::Null) => Value::Null,
                (Nesting::Single | Nesting::Group, object) => {
                    let inner = configuration(&nested.block, object);
                    if is_empty(&inner) && nested.nesting == Nesting::Single { Value::Null } else { inner }
                }
                (_, Value::List(items)) => Value::List(items.iter().map(|i| configuration(&nested.block, i)).collect()),
                (_, Value::Set(items)) => Value::Set(items.iter().map(|i| configuration(&nested.block, i)).collect()),
                (_, Value::Map(items)) => {
                    Value::Map(items.iter().map(|(k, v)| (k.clone(), configuration(&nested.block, v))).collect())
                }
                (_, other) => other.clone(),
            }
        } else {
            value.clone()
        };
        config.insert(name.clone(), kept);
    }
    Value::Object(config)
}

fn argument(attribute: &Attribute, value: &Value) -> Value {
    match (attribute.required, attribute.optional, attribute.computed) {
        (true, _, _) | (false, true, false) => value.clone(),
        (false, true, true) if attribute.default.as_ref().is_some_and(|default| default != value) => value.clone(),
        _ => Value::Null,
    }
}

/// An object whose every attribute is null (or an empty object itself).
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(fields) => fields.values().all(is_empty),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::{Attribute, NestedBlock};
    use crate::framework::value::Type;

    fn object(fields: &[(&str, Value)]) -> Value {
        Value::Object(fields.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
    }

    #[test]
    fn only_what_a_person_writes_is_kept() {
        let block = Block::new("test")
            .attribute(Attribute::computed("id", Type::String))
            .attribute(Attribute::required("key", Type::String))
            .attribute(Attribute::optional("note", Type::String))
            .attribute(Attribute::optional_computed("looked_up", Type::String))
            .attribute(Attribute::optional("detach", Type::Bool).default(Value::from(true)))
            .block(NestedBlock::single(
                "timeouts",
                Block::new("t").attribute(Attribute::optional("create", Type::String)),
            ))
            .block(NestedBlock::set(
                "rule",
                Block::new("r")
                    .attribute(Attribute::required("name", Type::String))
                    .attribute(Attribute::computed("status", Type::String)),
            ));
        let state = |detach: bool, create: Value| {
            object(&[
                ("id", Value::from("x")),
                ("key", Value::from("k")),
                ("note", Value::Null),
                ("looked_up", Value::from("found")),
                ("detach", Value::from(detach)),
                ("timeouts", object(&[("create", create)])),
                ("rule", Value::Set(vec![object(&[("name", Value::from("a")), ("status", Value::from("ok"))])])),
            ])
        };
        let config = configuration(&block, &state(true, Value::Null));
        config.conforms_to(&block.implied_type()).unwrap();
        assert_eq!(
            config,
            object(&[
                ("id", Value::Null),
                ("key", Value::from("k")),
                ("note", Value::Null),
                ("looked_up", Value::Null),
                ("detach", Value::Null),
                ("timeouts", Value::Null),
                ("rule", Value::Set(vec![object(&[("name", Value::from("a")), ("status", Value::Null)])])),
            ])
        );
        // Values that differ from the default, and a set timeout, are the person's choices.
        let config = configuration(&block, &state(false, Value::from("1h")));
        assert_eq!(config.attr("detach"), Some(&Value::from(false)));
        assert_eq!(config.attr("timeouts"), Some(&object(&[("create", Value::from("1h"))])));
    }
}
