//! The generic planning rules every resource gets from its schema, so that plans are honest:
//! defaults are shown, values the cloud will choose are "known after apply", and a change to a
//! force-new argument is planned as a replacement with that argument named.

use super::diag::AttributePath;
use super::resource::Plan;
use super::schema::Schema;
use super::value::Value;

/// Plans a create or update from Terraform's proposed new state (config merged with prior
/// computed values). Destroys never come here.
pub fn plan_change(schema: &Schema, prior: &Value, proposed: &Value, config: &Value) -> Plan {
    let mut planned = proposed.clone();
    let creating = prior.is_null();

    for attribute in &schema.block.attributes {
        let config_null = config.attr(&attribute.name).is_none_or(Value::is_null);
        if !config_null {
            continue;
        }
        if let Some(default) = &attribute.default {
            if let Some(slot) = planned.attr_mut(&attribute.name) {
                *slot = default.clone();
            }
        } else if attribute.computed && creating {
            if let Some(slot) = planned.attr_mut(&attribute.name) {
                *slot = Value::unknown();
            }
        }
    }

    let mut requires_replace = Vec::new();
    if !creating {
        for attribute in schema.block.attributes.iter().filter(|a| a.force_new) {
            if prior.attr(&attribute.name) != planned.attr(&attribute.name) {
                requires_replace.push(AttributePath::root(&attribute.name));
            }
        }
        if !requires_replace.is_empty() {
            // The replacement object is new: whatever the cloud computes is not known yet.
            for attribute in &schema.block.attributes {
                let config_null = config.attr(&attribute.name).is_none_or(Value::is_null);
                if attribute.computed && config_null && attribute.default.is_none() {
                    if let Some(slot) = planned.attr_mut(&attribute.name) {
                        *slot = Value::unknown();
                    }
                }
            }
        }
    }

    Plan { prior: prior.clone(), config: config.clone(), planned, requires_replace, moved_from: None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::{Attribute, Block};
    use crate::framework::value::Type;
    use std::collections::BTreeMap;

    fn schema() -> Schema {
        Schema::new(
            0,
            Block::new("test")
                .attribute(Attribute::required("key", Type::String).force_new())
                .attribute(Attribute::optional("label", Type::String))
                .attribute(Attribute::computed("created", Type::String))
                .attribute(Attribute::optional("flag", Type::Bool).default(Value::from(true))),
        )
    }

    fn obj(key: Value, label: Value, created: Value, flag: Value) -> Value {
        Value::Object(BTreeMap::from([
            ("key".to_string(), key),
            ("label".to_string(), label),
            ("created".to_string(), created),
            ("flag".to_string(), flag),
        ]))
    }

    #[test]
    fn create_marks_computed_unknown_and_applies_defaults() {
        let config = obj("a".into(), Value::Null, Value::Null, Value::Null);
        let plan = plan_change(&schema(), &Value::Null, &config, &config);
        assert_eq!(plan.planned, obj("a".into(), Value::Null, Value::unknown(), true.into()));
        assert!(plan.requires_replace.is_empty());
        assert!(plan.is_create());
    }

    #[test]
    fn update_keeps_prior_computed_values() {
        let prior = obj("a".into(), Value::Null, "yesterday".into(), true.into());
        let config = obj("a".into(), "new".into(), Value::Null, Value::Null);
        let proposed = obj("a".into(), "new".into(), "yesterday".into(), true.into());
        let plan = plan_change(&schema(), &prior, &proposed, &config);
        assert_eq!(plan.planned, proposed);
        assert!(plan.requires_replace.is_empty());
    }

    #[test]
    fn force_new_change_requires_replace_and_recomputes() {
        let prior = obj("a".into(), Value::Null, "yesterday".into(), false.into());
        let config = obj("b".into(), Value::Null, Value::Null, false.into());
        let proposed = obj("b".into(), Value::Null, "yesterday".into(), false.into());
        let plan = plan_change(&schema(), &prior, &proposed, &config);
        assert_eq!(plan.requires_replace, vec![AttributePath::root("key")]);
        assert_eq!(plan.planned, obj("b".into(), Value::Null, Value::unknown(), false.into()));
    }
}
