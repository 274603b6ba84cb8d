//! Resource identity (Terraform 1.12+): the attributes that name an object in its cloud, so
//! `import { identity = {...} }` works and Terraform can track objects across refreshes.
//!
//! Every resource's identity is its import ID split into parts: the identity attributes are
//! state attributes, declared in the import ID's order, so joining their values with `/` gives
//! the import ID and one code path serves both kinds of import.

use std::collections::BTreeMap;

use super::value::{Type, Value};

/// One identity attribute: a state attribute of the same name.
#[derive(Debug, Clone, Copy)]
pub struct IdentityAttribute {
    pub name: &'static str,
    pub ty: IdentityType,
    pub description: &'static str,
}

/// Identity attributes are primitives (Terraform forbids collections and objects there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityType {
    String,
    Number,
}

impl IdentityType {
    pub fn cty(self) -> Type {
        match self {
            IdentityType::String => Type::String,
            IdentityType::Number => Type::Number,
        }
    }
}

/// The cty object type of an identity.
pub fn object_type(attributes: &[IdentityAttribute]) -> Type {
    Type::Object(attributes.iter().map(|a| (a.name.to_string(), a.ty.cty())).collect())
}

/// The identity of the object `state` describes, when every part is known and set.
pub fn from_state(attributes: &[IdentityAttribute], state: &Value) -> Option<Value> {
    if attributes.is_empty() || state.is_null() {
        return None;
    }
    let mut fields = BTreeMap::new();
    for attribute in attributes {
        let value = state.attr(attribute.name)?;
        if value.is_null() || !value.is_wholly_known() {
            return None;
        }
        fields.insert(attribute.name.to_string(), value.clone());
    }
    Some(Value::Object(fields))
}

/// The import ID an identity stands for: its parts joined with `/`, in declaration order.
pub fn import_id(attributes: &[IdentityAttribute], identity: &Value) -> Result<String, String> {
    let mut parts = Vec::with_capacity(attributes.len());
    for attribute in attributes {
        let value = identity.attr(attribute.name).filter(|v| !v.is_null() && v.is_known());
        let part = match value {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Number(number)) => number.to_string(),
            _ => return Err(format!("the identity has no value for {}", attribute.name)),
        };
        parts.push(part);
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ATTRIBUTES: &[IdentityAttribute] = &[
        IdentityAttribute { name: "member_uin", ty: IdentityType::Number, description: "" },
        IdentityAttribute { name: "policy_id", ty: IdentityType::Number, description: "" },
    ];

    #[test]
    fn identity_round_trips_to_the_import_id() {
        let state = Value::Object(BTreeMap::from([
            ("member_uin".to_string(), Value::from(100000000101u64)),
            ("policy_id".to_string(), Value::from(1001u64)),
            ("policy_name".to_string(), Value::from("admin")),
        ]));
        let identity = from_state(ATTRIBUTES, &state).unwrap();
        assert_eq!(import_id(ATTRIBUTES, &identity).unwrap(), "100000000101/1001");
        let partial = Value::Object(BTreeMap::from([("member_uin".to_string(), Value::unknown())]));
        assert_eq!(from_state(ATTRIBUTES, &partial), None);
    }
}
