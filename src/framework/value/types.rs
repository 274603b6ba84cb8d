//! cty types and their JSON syntax (`cty/json.go`): `"string"`, `["list","string"]`,
//! `["object",{"a":"number"}]`, `["tuple",["bool"]]`, `"dynamic"`.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value as Json;

use super::{MAX_DEPTH, ValueError, quote};

/// A cty type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    Bool,
    Number,
    String,
    /// `DynamicPseudoType`: the concrete type travels with the value.
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}

impl Type {
    /// An object of this type with every attribute null (what an absent block's arguments
    /// read as); null for any other type.
    pub fn null_object(&self) -> super::Value {
        match self {
            Type::Object(attributes) => {
                super::Value::Object(attributes.keys().map(|name| (name.clone(), super::Value::Null)).collect())
            }
            _ => super::Value::Null,
        }
    }

    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }

    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }

    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }

    /// An object type from `(name, type)` pairs.
    pub fn object<K: Into<String>>(attrs: impl IntoIterator<Item = (K, Type)>) -> Type {
        Type::Object(attrs.into_iter().map(|(k, t)| (k.into(), t)).collect())
    }

    /// List, set or map (the types that may carry length refinements).
    pub fn is_collection(&self) -> bool {
        matches!(self, Type::List(_) | Type::Set(_) | Type::Map(_))
    }

    /// The cty type JSON.
    pub fn to_json(&self) -> Json {
        match self {
            Type::Bool => Json::from("bool"),
            Type::Number => Json::from("number"),
            Type::String => Json::from("string"),
            Type::Dynamic => Json::from("dynamic"),
            Type::List(t) => Json::Array(vec![Json::from("list"), t.to_json()]),
            Type::Set(t) => Json::Array(vec![Json::from("set"), t.to_json()]),
            Type::Map(t) => Json::Array(vec![Json::from("map"), t.to_json()]),
            Type::Object(attrs) => {
                let map: serde_json::Map<String, Json> = attrs.iter().map(|(k, t)| (k.clone(), t.to_json())).collect();
                Json::Array(vec![Json::from("object"), Json::Object(map)])
            }
            Type::Tuple(elems) => {
                Json::Array(vec![Json::from("tuple"), Json::Array(elems.iter().map(Type::to_json).collect())])
            }
        }
    }

    /// The cty type JSON, serialized compactly (as used in schema `Attribute.type` and in
    /// dynamic value wrappers).
    pub fn to_json_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.to_json()).unwrap_or_default()
    }

    /// Parses cty type JSON. The optional third element of `["object", {...}, [names]]`
    /// (optional-attribute names, used in type constraints) is accepted and ignored.
    pub fn from_json(v: &Json) -> Result<Type, ValueError> {
        from_json_at(v, 0)
    }

    /// Parses serialized cty type JSON.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Type, ValueError> {
        let v: Json = serde_json::from_slice(bytes).map_err(|e| ValueError::msg(format!("invalid type JSON: {e}")))?;
        Type::from_json(&v)
    }

    /// A human-readable name, like cty's `FriendlyName` (`list of string`).
    pub fn friendly_name(&self) -> String {
        match self {
            Type::Bool => "bool".into(),
            Type::Number => "number".into(),
            Type::String => "string".into(),
            Type::Dynamic => "dynamic".into(),
            Type::List(t) => format!("list of {}", t.friendly_name()),
            Type::Set(t) => format!("set of {}", t.friendly_name()),
            Type::Map(t) => format!("map of {}", t.friendly_name()),
            Type::Object(_) => "object".into(),
            Type::Tuple(_) => "tuple".into(),
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.friendly_name())
    }
}

fn type_err(message: impl fmt::Display) -> ValueError {
    ValueError::msg(format!("invalid type specification: {message}"))
}

fn from_json_at(v: &Json, depth: usize) -> Result<Type, ValueError> {
    if depth > MAX_DEPTH {
        return Err(type_err(format!("nested more than {MAX_DEPTH} levels deep")));
    }
    match v {
        Json::String(s) => match s.as_str() {
            "bool" => Ok(Type::Bool),
            "number" => Ok(Type::Number),
            "string" => Ok(Type::String),
            "dynamic" => Ok(Type::Dynamic),
            other => Err(type_err(format!("unsupported primitive type {}", quote(other)))),
        },
        Json::Array(items) => {
            let Some(Json::String(kind)) = items.first() else {
                return Err(type_err("type kind must be a string"));
            };
            let arg = items.get(1);
            let check_len = |max: usize| {
                if items.len() < 2 || items.len() > max {
                    Err(type_err(format!("wrong number of elements for {}", quote(kind))))
                } else {
                    Ok(())
                }
            };
            match kind.as_str() {
                "list" | "set" | "map" => {
                    check_len(2)?;
                    let elem = Box::new(from_json_at(arg.unwrap_or(&Json::Null), depth + 1)?);
                    Ok(match kind.as_str() {
                        "list" => Type::List(elem),
                        "set" => Type::Set(elem),
                        _ => Type::Map(elem),
                    })
                }
                "object" => {
                    check_len(3)?;
                    let Some(Json::Object(attrs)) = arg else {
                        return Err(type_err("object attributes must be a JSON object"));
                    };
                    let mut out = BTreeMap::new();
                    for (name, t) in attrs {
                        out.insert(name.clone(), from_json_at(t, depth + 1)?);
                    }
                    if let Some(optional) = items.get(2) {
                        let Json::Array(names) = optional else {
                            return Err(type_err("optional attribute names must be an array"));
                        };
                        for name in names {
                            match name {
                                Json::String(n) if out.contains_key(n) => {}
                                Json::String(n) => {
                                    return Err(type_err(format!(
                                        "optional attribute {} is not an attribute",
                                        quote(n)
                                    )));
                                }
                                _ => {
                                    return Err(type_err("optional attribute names must be strings"));
                                }
                            }
                        }
                    }
                    Ok(Type::Object(out))
                }
                "tuple" => {
                    check_len(2)?;
                    let Some(Json::Array(elems)) = arg else {
                        return Err(type_err("tuple element types must be an array"));
                    };
                    let elems = elems.iter().map(|t| from_json_at(t, depth + 1)).collect::<Result<_, _>>()?;
                    Ok(Type::Tuple(elems))
                }
                other => Err(type_err(format!("unsupported type kind {}", quote(other)))),
            }
        }
        _ => Err(type_err("a type must be a string or an array")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Type {
        Type::object([
            ("id", Type::String),
            ("n", Type::Number),
            ("flag", Type::Bool),
            ("any", Type::Dynamic),
            ("tags", Type::map(Type::String)),
            ("ids", Type::set(Type::Number)),
            ("items", Type::list(Type::object([("a", Type::String)]))),
            ("pair", Type::Tuple(vec![Type::String, Type::Bool])),
            ("empty", Type::object::<String>([])),
        ])
    }

    #[test]
    fn json_round_trip() {
        let t = sample();
        assert_eq!(Type::from_json(&t.to_json()).unwrap(), t);
        assert_eq!(Type::from_json_bytes(&t.to_json_bytes()).unwrap(), t);
    }

    #[test]
    fn json_shapes() {
        assert_eq!(Type::String.to_json_bytes(), b"\"string\"");
        assert_eq!(Type::list(Type::String).to_json(), json!(["list", "string"]));
        assert_eq!(
            Type::object([("b", Type::Number), ("a", Type::set(Type::Bool))]).to_json_bytes(),
            br#"["object",{"a":["set","bool"],"b":"number"}]"#
        );
        assert_eq!(Type::Tuple(vec![Type::Dynamic, Type::String]).to_json(), json!(["tuple", ["dynamic", "string"]]));
        assert_eq!(Type::object([("x", Type::list(Type::String))]).to_string(), "object");
        assert_eq!(Type::map(Type::list(Type::String)).to_string(), "map of list of string");
    }

    #[test]
    fn accepts_optional_attribute_names() {
        let t = Type::from_json(&json!(["object", {"a": "string", "b": "number"}, ["b"]])).unwrap();
        assert_eq!(t, Type::object([("a", Type::String), ("b", Type::Number)]));
    }

    #[test]
    fn rejects_bad_types() {
        for bad in [
            json!("str"),
            json!(1),
            json!(null),
            json!([]),
            json!(["list"]),
            json!(["list", "string", "x"]),
            json!(["lust", "string"]),
            json!(["object", ["a"]]),
            json!(["object", {"a": "string"}, ["z"]]),
            json!(["object", {"a": "string"}, "a"]),
            json!(["tuple", "string"]),
            json!(["map", ["list"]]),
            json!([1, "string"]),
        ] {
            assert!(Type::from_json(&bad).is_err(), "{bad}");
        }
        assert!(Type::from_json_bytes(b"[\"list\"").is_err());
    }

    #[test]
    fn rejects_deep_types() {
        let mut v = json!("string");
        for _ in 0..(MAX_DEPTH + 5) {
            v = json!(["list", v]);
        }
        assert!(Type::from_json(&v).unwrap_err().message.contains("deep"));
        let mut ok = json!("string");
        for _ in 0..MAX_DEPTH {
            ok = json!(["list", ok]);
        }
        assert!(Type::from_json(&ok).is_ok());
    }
}
