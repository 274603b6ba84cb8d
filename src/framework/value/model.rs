//! The cty value model.

use std::collections::BTreeMap;

use super::{MAX_DEPTH, Number, Path, Type, ValueError, quote};

/// What is known about an unknown value (cty "refinements"). The default is a plain unknown.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Refinements {
    /// The value will definitely not be null (wire key 1, nullness `false`).
    pub not_null: bool,
    /// A known prefix of an unknown string (key 2).
    pub string_prefix: Option<String>,
    /// Lower bound of an unknown number and whether it is inclusive (key 3).
    pub number_lower: Option<(Number, bool)>,
    /// Upper bound of an unknown number and whether it is inclusive (key 4).
    pub number_upper: Option<(Number, bool)>,
    /// Minimum length of an unknown list, set or map (key 5).
    pub length_min: Option<u64>,
    /// Maximum length of an unknown list, set or map (key 6).
    pub length_max: Option<u64>,
}

impl Refinements {
    /// Whether nothing is known (a plain unknown).
    pub fn is_empty(&self) -> bool {
        *self == Refinements::default()
    }

    /// The refinements that can apply to a value of `ty` (cty only allows a string prefix on
    /// strings, bounds on numbers and lengths on collections, and nothing on `dynamic`).
    pub fn restricted_to(&self, ty: &Type) -> Refinements {
        if *ty == Type::Dynamic {
            return Refinements::default();
        }
        Refinements {
            not_null: self.not_null,
            string_prefix: self.string_prefix.clone().filter(|p| *ty == Type::String && !p.is_empty()),
            number_lower: self.number_lower.clone().filter(|_| *ty == Type::Number),
            number_upper: self.number_upper.clone().filter(|_| *ty == Type::Number),
            length_min: self.length_min.filter(|_| ty.is_collection()),
            length_max: self.length_max.filter(|_| ty.is_collection()),
        }
    }
}

/// A cty value. The type is not stored: values are always interpreted against a [`Type`]
/// (the schema's), except inside `dynamic` slots where [`Value::Dynamic`] carries it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    /// An unknown value; `Refinements::default()` is a plain unknown.
    Unknown(Refinements),
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    /// Always holds every attribute of its object type (`Null` where absent).
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
    /// A value in a slot of type `dynamic`, with its concrete type.
    Dynamic(Type, Box<Value>),
}

impl Value {
    /// A plain unknown.
    pub fn unknown() -> Value {
        Value::Unknown(Refinements::default())
    }

    /// The value, looking through any `Dynamic` wrappers.
    pub fn inner(&self) -> &Value {
        let mut v = self;
        while let Value::Dynamic(_, inner) = v {
            v = inner;
        }
        v
    }

    fn inner_mut(&mut self) -> &mut Value {
        let mut v = self;
        while let Value::Dynamic(_, inner) = v {
            v = inner;
        }
        v
    }

    /// Whether the value is null (shallow; looks through `Dynamic`).
    pub fn is_null(&self) -> bool {
        matches!(self.inner(), Value::Null)
    }

    /// Whether the value itself is unknown (shallow; looks through `Dynamic`).
    pub fn is_unknown(&self) -> bool {
        matches!(self.inner(), Value::Unknown(_))
    }

    /// Whether the value itself is known (it may still contain unknowns).
    pub fn is_known(&self) -> bool {
        !self.is_unknown()
    }

    /// Whether no unknown appears anywhere in the value.
    pub fn is_wholly_known(&self) -> bool {
        let mut stack = vec![self];
        while let Some(v) = stack.pop() {
            match v {
                Value::Unknown(_) => return false,
                Value::List(items) | Value::Set(items) | Value::Tuple(items) => stack.extend(items),
                Value::Map(m) | Value::Object(m) => stack.extend(m.values()),
                Value::Dynamic(_, inner) => stack.push(inner),
                Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
            }
        }
        true
    }

    /// An object attribute (looks through `Dynamic`). `None` if not an object or no such
    /// attribute.
    pub fn attr(&self, name: &str) -> Option<&Value> {
        match self.inner() {
            Value::Object(m) => m.get(name),
            _ => None,
        }
    }

    pub fn attr_mut(&mut self, name: &str) -> Option<&mut Value> {
        match self.inner_mut() {
            Value::Object(m) => m.get_mut(name),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self.inner() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.inner() {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self.inner() {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The number as an `i64` when it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number()?.as_i64()
    }

    /// Elements of a list, set or tuple.
    pub fn elements(&self) -> Option<&[Value]> {
        match self.inner() {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => Some(v),
            _ => None,
        }
    }

    /// Entries of a map or object.
    pub fn entries(&self) -> Option<&BTreeMap<String, Value>> {
        match self.inner() {
            Value::Map(m) | Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// A null of the given type (values are untyped, so this is just `Null`).
    pub fn null_of(_ty: &Type) -> Value {
        Value::Null
    }

    /// An object with every attribute of `ty` null; `Null` for non-object types.
    pub fn empty_object(ty: &Type) -> Value {
        match ty {
            Type::Object(attrs) => Value::Object(attrs.keys().map(|k| (k.clone(), Value::Null)).collect()),
            _ => Value::Null,
        }
    }

    /// Checks that the value has the structure of `ty` (the check the encoders make).
    /// Null and unknown conform to every type; objects must have exactly the type's
    /// attributes; a `dynamic` slot needs a `Value::Dynamic` (or null/unknown).
    pub fn conforms_to(&self, ty: &Type) -> Result<(), ValueError> {
        conforms(self, ty, &mut Path::new(), 0)
    }
}

/// A short description of a value's kind, for error messages.
pub(crate) fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Unknown(_) => "unknown",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "list",
        Value::Set(_) => "set",
        Value::Map(_) => "map",
        Value::Object(_) => "object",
        Value::Tuple(_) => "tuple",
        Value::Dynamic(..) => "dynamic value",
    }
}

pub(crate) fn mismatch(ty: &Type, v: &Value, path: &Path) -> ValueError {
    path.err(format!("{} is required, got {}", ty.friendly_name(), kind_name(v)))
}

pub(crate) fn too_deep(path: &Path) -> ValueError {
    path.err(format!("value is nested more than {MAX_DEPTH} levels deep"))
}

pub(crate) fn missing_attr(name: &str, path: &Path) -> ValueError {
    path.err(format!("attribute {} is required", quote(name)))
}

pub(crate) fn unsupported_attr(name: &str, path: &Path) -> ValueError {
    path.err(format!("unsupported attribute {}", quote(name)))
}

pub(crate) fn tuple_len(want: usize, got: usize, path: &Path) -> ValueError {
    path.err(format!("a tuple of length {want} is required, got {got} elements"))
}

/// Resolves a value for a slot of type `ty`: a `Dynamic` wrapper around a concrete slot's own
/// type is looked through; a `dynamic` slot must hold `Dynamic`, `Null` or `Unknown`.
/// Returns the (possibly unwrapped) value, or an error.
pub(crate) fn unwrap_for<'v>(v: &'v Value, ty: &Type, path: &Path) -> Result<&'v Value, ValueError> {
    match (ty, v) {
        (Type::Dynamic, Value::Dynamic(..) | Value::Null | Value::Unknown(_)) => Ok(v),
        (Type::Dynamic, _) => {
            Err(path.err(format!("a dynamic slot needs Value::Dynamic (a value with its type), got {}", kind_name(v))))
        }
        (_, Value::Dynamic(t, inner)) if t == ty => Ok(inner),
        (_, Value::Dynamic(t, _)) => Err(path.err(format!(
            "{} is required, got a dynamic value of type {}",
            ty.friendly_name(),
            t.friendly_name()
        ))),
        _ => Ok(v),
    }
}

fn conforms(v: &Value, ty: &Type, path: &mut Path, depth: usize) -> Result<(), ValueError> {
    if depth > MAX_DEPTH {
        return Err(too_deep(path));
    }
    let v = unwrap_for(v, ty, path)?;
    match (ty, v) {
        (_, Value::Null | Value::Unknown(_)) => Ok(()),
        (Type::Dynamic, Value::Dynamic(t, inner)) => conforms(inner, t, path, depth + 1),
        (Type::Bool, Value::Bool(_)) | (Type::String, Value::String(_)) => Ok(()),
        (Type::Number, Value::Number(n)) => {
            if n.canonical().is_none() {
                Err(path.err(format!("invalid number {n}")))
            } else {
                Ok(())
            }
        }
        (Type::List(et), Value::List(items)) | (Type::Set(et), Value::Set(items)) => {
            for (i, item) in items.iter().enumerate() {
                let m = path.push_index(i);
                conforms(item, et, path, depth + 1)?;
                path.truncate(m);
            }
            Ok(())
        }
        (Type::Tuple(ets), Value::Tuple(items)) => {
            if ets.len() != items.len() {
                return Err(tuple_len(ets.len(), items.len(), path));
            }
            for (i, (item, et)) in items.iter().zip(ets).enumerate() {
                let m = path.push_index(i);
                conforms(item, et, path, depth + 1)?;
                path.truncate(m);
            }
            Ok(())
        }
        (Type::Map(et), Value::Map(m)) => {
            for (k, item) in m {
                let mark = path.push_key(k);
                conforms(item, et, path, depth + 1)?;
                path.truncate(mark);
            }
            Ok(())
        }
        (Type::Object(attrs), Value::Object(m)) => {
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(unsupported_attr(extra, path));
            }
            for (name, at) in attrs {
                let Some(item) = m.get(name) else {
                    return Err(missing_attr(name, path));
                };
                let mark = path.push_attr(name);
                conforms(item, at, path, depth + 1)?;
                path.truncate(mark);
            }
            Ok(())
        }
        _ => Err(mismatch(ty, v, path)),
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Number(Number::Int(n))
    }
}

impl From<i32> for Value {
    fn from(n: i32) -> Value {
        Value::Number(Number::Int(n.into()))
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Value {
        Value::Number(Number::from(n))
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Value {
        Value::Number(Number::Float(n))
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Value {
        Value::Number(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(pairs: Vec<(&str, Value)>) -> Value {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    #[test]
    fn accessors() {
        let v = obj(vec![
            ("name", "x".into()),
            ("n", 5i64.into()),
            ("ok", true.into()),
            ("l", Value::List(vec![1i64.into()])),
            ("d", Value::Dynamic(Type::object([("z", Type::String)]), Box::new(obj(vec![("z", "zz".into())])))),
        ]);
        assert_eq!(v.attr("name").and_then(Value::as_str), Some("x"));
        assert_eq!(v.attr("n").and_then(Value::as_i64), Some(5));
        assert_eq!(v.attr("ok").and_then(Value::as_bool), Some(true));
        assert_eq!(v.attr("l").and_then(Value::elements).map(<[Value]>::len), Some(1));
        assert_eq!(v.attr("d").and_then(|d| d.attr("z")).and_then(Value::as_str), Some("zz"));
        assert!(v.attr("missing").is_none());
        assert!(Value::from("s").attr("x").is_none());
        let mut v = v;
        *v.attr_mut("name").unwrap() = Value::Null;
        assert!(v.attr("name").unwrap().is_null());
        assert_eq!(Value::from(u64::MAX), Value::Number(Number::Decimal("18446744073709551615".into())));
        assert_eq!(Value::from(7u64), Value::Number(Number::Int(7)));
    }

    #[test]
    fn knownness() {
        assert!(Value::unknown().is_unknown());
        assert!(!Value::unknown().is_known());
        assert!(Value::Dynamic(Type::String, Box::new(Value::unknown())).is_unknown());
        assert!(Value::Dynamic(Type::String, Box::new(Value::Null)).is_null());
        let v = Value::List(vec![Value::Map([("a".to_string(), Value::unknown())].into())]);
        assert!(v.is_known());
        assert!(!v.is_wholly_known());
        assert!(Value::List(vec![Value::Null, 1i64.into()]).is_wholly_known());
    }

    #[test]
    fn empty_object() {
        let t = Type::object([("a", Type::String), ("b", Type::list(Type::Number))]);
        assert_eq!(Value::empty_object(&t), obj(vec![("a", Value::Null), ("b", Value::Null)]));
        assert_eq!(Value::empty_object(&Type::String), Value::Null);
        assert_eq!(Value::null_of(&t), Value::Null);
        assert!(Value::empty_object(&t).conforms_to(&t).is_ok());
    }

    #[test]
    fn conformance_errors_name_paths() {
        let t = Type::object([("assignment", Type::list(Type::object([("account_id", Type::String)])))]);
        let good = obj(vec![("assignment", Value::List(vec![obj(vec![("account_id", "1".into())])]))]);
        assert!(good.conforms_to(&t).is_ok());
        let bad = obj(vec![(
            "assignment",
            Value::List(vec![
                obj(vec![("account_id", "1".into())]),
                obj(vec![("account_id", "2".into())]),
                obj(vec![("account_id", 3i64.into())]),
            ]),
        )]);
        let e = bad.conforms_to(&t).unwrap_err();
        assert_eq!(e.path, ".assignment[2].account_id");
        assert_eq!(e.to_string(), "string is required, got number at .assignment[2].account_id");
        let missing = obj(vec![]);
        assert!(missing.conforms_to(&t).unwrap_err().message.contains("\"assignment\" is required"));
        let extra = obj(vec![("assignment", Value::Null), ("x", Value::Null)]);
        assert!(extra.conforms_to(&t).unwrap_err().message.contains("unsupported attribute \"x\""));
        let m = Value::Map([("k".to_string(), Value::from(1i64))].into());
        assert_eq!(m.conforms_to(&Type::map(Type::String)).unwrap_err().path, "[\"k\"]");
        assert!(Value::Set(vec![]).conforms_to(&Type::list(Type::String)).is_err());
        assert!(Value::Tuple(vec![Value::Null]).conforms_to(&Type::Tuple(vec![])).is_err());
        assert!(Value::Number(Number::Decimal("zz".into())).conforms_to(&Type::Number).is_err());
    }

    #[test]
    fn dynamic_conformance() {
        assert!(Value::from("x").conforms_to(&Type::Dynamic).is_err());
        assert!(Value::Null.conforms_to(&Type::Dynamic).is_ok());
        assert!(Value::unknown().conforms_to(&Type::Dynamic).is_ok());
        let d = Value::Dynamic(Type::String, Box::new("x".into()));
        assert!(d.conforms_to(&Type::Dynamic).is_ok());
        assert!(d.conforms_to(&Type::String).is_ok());
        assert!(d.conforms_to(&Type::Number).is_err());
        let bad = Value::Dynamic(Type::Number, Box::new("x".into()));
        assert!(bad.conforms_to(&Type::Dynamic).is_err());
    }

    #[test]
    fn refinement_restriction() {
        let r = Refinements {
            not_null: true,
            string_prefix: Some("ab".into()),
            number_lower: Some((Number::Int(1), true)),
            number_upper: None,
            length_min: Some(1),
            length_max: Some(3),
        };
        let s = r.restricted_to(&Type::String);
        assert_eq!(s.string_prefix.as_deref(), Some("ab"));
        assert!(s.number_lower.is_none() && s.length_min.is_none() && s.not_null);
        let l = r.restricted_to(&Type::list(Type::String));
        assert_eq!((l.length_min, l.length_max), (Some(1), Some(3)));
        assert!(l.string_prefix.is_none());
        assert!(r.restricted_to(&Type::Dynamic).is_empty());
        assert!(!r.restricted_to(&Type::Bool).is_empty());
    }
}
