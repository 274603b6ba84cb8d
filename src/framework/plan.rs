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

    Plan { prior: prior.clone(), config: config.clone(), planned, requires_replace }
}
