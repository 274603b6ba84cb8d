//! cty's JSON encoding (`cty/json`), as used for raw state (`RawState.json`).
//!
//! Decoding uses a small hand-written JSON parser so numbers are taken from their exact
//! source text (serde_json without `arbitrary_precision` would round big integers), nesting is
//! bounded, and duplicate keys are caught.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::model::{mismatch, too_deep, tuple_len, unsupported_attr, unwrap_for};
use super::number::{Canon, float_to_i64};
use super::{MAX_DEPTH, Number, Path, Type, Value, ValueError, quote};

/// Raw JSON nesting allowed by the parser (values are limited to [`MAX_DEPTH`] separately;
/// dynamic wrappers and their type JSON add JSON levels beyond the value's own).
const JSON_MAX_DEPTH: usize = 2 * MAX_DEPTH + 8;

/// Decodes cty JSON of type `ty` (e.g. Terraform raw state). Empty input decodes as `Null`.
/// Object attributes missing from the JSON decode as `Null` (older state may predate an
/// attribute); attributes the type lacks are an error.
pub fn decode_json(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    let text = std::str::from_utf8(bytes).map_err(|e| ValueError::msg(format!("JSON is not valid UTF-8: {e}")))?;
    let mut p = Parser { text, bytes: text.as_bytes(), pos: 0 };
    p.ws();
    let j = p.value(0).map_err(ValueError::msg)?;
    p.ws();
    if p.pos != p.bytes.len() {
        return Err(ValueError::msg(format!("invalid JSON: unexpected data at byte {}", p.pos)));
    }
    convert(&j, ty, &mut Path::new(), 0)
}

/// Encodes a wholly known `value` as cty JSON of type `ty` (unknowns are an error).
///
/// Numbers that a JSON number from `serde_json` cannot carry exactly (decimals such as
/// `Decimal("0.1")` that no `f64` equals, integers beyond `u64`, and `f64`s whose shortest
/// form is not exact) are written as JSON strings holding the exact decimal, which cty's JSON
/// decoder accepts for numbers. Infinities cannot be encoded.
pub fn encode_json(value: &Value, ty: &Type) -> Result<Json, ValueError> {
    encode(value, ty, &mut Path::new(), 0)
}

// ---------------------------------------------------------------------------------------------
// Parser

enum J {
    Null,
    Bool(bool),
    /// The number's source text (already validated as a JSON number).
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl J {
    fn describe(&self) -> &'static str {
        match self {
            J::Null => "null",
            J::Bool(_) => "bool",
            J::Num(_) => "number",
            J::Str(_) => "string",
            J::Arr(_) => "array",
            J::Obj(_) => "object",
        }
    }

    fn to_serde(&self) -> Json {
        match self {
            J::Null => Json::Null,
            J::Bool(b) => Json::Bool(*b),
            J::Num(s) => serde_json::from_str(s).unwrap_or(Json::Null),
            J::Str(s) => Json::String(s.clone()),
            J::Arr(items) => Json::Array(items.iter().map(J::to_serde).collect()),
            J::Obj(entries) => Json::Object(entries.iter().map(|(k, v)| (k.clone(), v.to_serde())).collect()),
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, what: &str) -> String {
        format!("invalid JSON at byte {}: {what}", self.pos)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &str, v: J) -> Result<J, String> {
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word.as_bytes()) {
            self.pos += word.len();
            Ok(v)
        } else {
            Err(self.err("unexpected token"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<J, String> {
        if depth > JSON_MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        match self.peek() {
            None => Err(self.err("unexpected end of input")),
            Some(b'n') => self.literal("null", J::Null),
            Some(b't') => self.literal("true", J::Bool(true)),
            Some(b'f') => self.literal("false", J::Bool(false)),
            Some(b'"') => self.string().map(J::Str),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(J::Arr(items));
                }
                loop {
                    self.ws();
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(J::Arr(items));
                        }
                        _ => return Err(self.err("expected ',' or ']'")),
                    }
                }
            }
            Some(b'{') => {
                self.pos += 1;
                let mut entries = Vec::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(J::Obj(entries));
                }
                loop {
                    self.ws();
                    if self.peek() != Some(b'"') {
                        return Err(self.err("expected a string key"));
                    }
                    let key = self.string()?;
                    self.ws();
                    if self.peek() != Some(b':') {
                        return Err(self.err("expected ':'"));
                    }
                    self.pos += 1;
                    self.ws();
                    entries.push((key, self.value(depth + 1)?));
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(J::Obj(entries));
                        }
                        _ => return Err(self.err("expected ',' or '}'")),
                    }
                }
            }
            Some(_) => Err(self.err("unexpected character")),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<J, String> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
        }
        Ok(J::Num(self.text[start..self.pos].to_string()))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let Some(h) = self.bytes.get(self.pos..self.pos + 4) else {
            return Err(self.err("truncated \\u escape"));
        };
        let mut v = 0u32;
        for &c in h {
            let d = char::from(c).to_digit(16).ok_or_else(|| self.err("invalid \\u escape"))?;
            v = v * 16 + d;
        }
        self.pos += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, String> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            let start = self.pos;
            while let Some(c) = self.peek() {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // `start` and `pos` sit on ASCII bytes (or the ends), so this slice is valid UTF-8.
            out.push_str(&self.text[start..self.pos]);
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let Some(e) = self.peek() else {
                        return Err(self.err("unterminated string"));
                    };
                    self.pos += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let c = if (0xd800..0xdc00).contains(&hi)
                                && self.bytes.get(self.pos..self.pos + 2) == Some(b"\\u")
                            {
                                let save = self.pos;
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if (0xdc00..0xe000).contains(&lo) {
                                    char::from_u32(0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00))
                                } else {
                                    // Not a pair: the high surrogate alone is replaced and
                                    // the next escape is decoded on its own.
                                    self.pos = save;
                                    None
                                }
                            } else {
                                char::from_u32(hi)
                            };
                            // Lone surrogates become U+FFFD, as in Go's encoding/json.
                            out.push(c.unwrap_or('\u{fffd}'));
                        }
                        _ => return Err(self.err("invalid escape")),
                    }
                }
                Some(_) => return Err(self.err("control character in string")),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding

fn convert(j: &J, ty: &Type, path: &mut Path, depth: usize) -> Result<Value, ValueError> {
    if depth > MAX_DEPTH {
        return Err(too_deep(path));
    }
    if let J::Null = j {
        return Ok(Value::Null);
    }
    let wrong = |path: &Path| path.err(format!("{} is required, got JSON {}", ty.friendly_name(), j.describe()));
    match ty {
        Type::Bool => match j {
            J::Bool(b) => Ok(Value::Bool(*b)),
            J::Str(s) if s == "true" => Ok(Value::Bool(true)),
            J::Str(s) if s == "false" => Ok(Value::Bool(false)),
            _ => Err(wrong(path)),
        },
        Type::Number => match j {
            J::Num(s) | J::Str(s) => Number::parse(s)
                .map(Value::Number)
                .ok_or_else(|| path.err(format!("number is required, got {}", quote(s)))),
            _ => Err(wrong(path)),
        },
        Type::String => match j {
            J::Str(s) | J::Num(s) => Ok(Value::String(s.clone())),
            J::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err(wrong(path)),
        },
        Type::List(et) | Type::Set(et) => {
            let J::Arr(items) = j else {
                return Err(wrong(path));
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let m = path.push_index(i);
                out.push(convert(item, et, path, depth + 1)?);
                path.truncate(m);
            }
            Ok(if matches!(ty, Type::List(_)) { Value::List(out) } else { Value::Set(out) })
        }
        Type::Tuple(ets) => {
            let J::Arr(items) = j else {
                return Err(wrong(path));
            };
            if items.len() != ets.len() {
                return Err(tuple_len(ets.len(), items.len(), path));
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, (item, et)) in items.iter().zip(ets).enumerate() {
                let m = path.push_index(i);
                out.push(convert(item, et, path, depth + 1)?);
                path.truncate(m);
            }
            Ok(Value::Tuple(out))
        }
        Type::Map(et) => {
            let J::Obj(entries) = j else {
                return Err(wrong(path));
            };
            let mut out = BTreeMap::new();
            for (k, item) in entries {
                let m = path.push_key(k);
                let v = convert(item, et, path, depth + 1)?;
                path.truncate(m);
                if out.insert(k.clone(), v).is_some() {
                    return Err(path.err(format!("duplicate map key {}", quote(k))));
                }
            }
            Ok(Value::Map(out))
        }
        Type::Object(attrs) => {
            let J::Obj(entries) = j else {
                return Err(wrong(path));
            };
            let mut out = BTreeMap::new();
            for (k, item) in entries {
                let Some(at) = attrs.get(k) else {
                    return Err(unsupported_attr(k, path));
                };
                let m = path.push_attr(k);
                let v = convert(item, at, path, depth + 1)?;
                path.truncate(m);
                if out.insert(k.clone(), v).is_some() {
                    return Err(path.err(format!("duplicate attribute {}", quote(k))));
                }
            }
            for name in attrs.keys() {
                out.entry(name.clone()).or_insert(Value::Null);
            }
            Ok(Value::Object(out))
        }
        Type::Dynamic => {
            let J::Obj(entries) = j else {
                return Err(path.err(format!(
                    "a dynamic value must be a JSON object {{\"value\":..,\"type\":..}}, got JSON {}",
                    j.describe()
                )));
            };
            let (mut type_json, mut value_json) = (None, None);
            for (k, item) in entries {
                let slot = match k.as_str() {
                    "type" => &mut type_json,
                    "value" => &mut value_json,
                    other => {
                        return Err(path.err(format!("invalid key {} in dynamically-typed value", quote(other))));
                    }
                };
                if slot.replace(item).is_some() {
                    return Err(path.err(format!("duplicate key {} in dynamically-typed value", quote(k))));
                }
            }
            let Some(type_json) = type_json else {
                return Err(path.err("missing type in dynamically-typed value"));
            };
            let Some(value_json) = value_json else {
                return Err(path.err("missing value in dynamically-typed value"));
            };
            let t = Type::from_json(&type_json.to_serde()).map_err(|e| path.err(e.message))?;
            let inner = convert(value_json, &t, path, depth + 1)?;
            Ok(Value::Dynamic(t, Box::new(inner)))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding

fn encode(v: &Value, ty: &Type, path: &mut Path, depth: usize) -> Result<Json, ValueError> {
    if depth > MAX_DEPTH {
        return Err(too_deep(path));
    }
    let v = unwrap_for(v, ty, path)?;
    match (ty, v) {
        (_, Value::Null) => Ok(Json::Null),
        (_, Value::Unknown(_)) => Err(path.err("unknown values cannot be encoded as JSON")),
        (Type::Dynamic, Value::Dynamic(t, inner)) => {
            let mut m = serde_json::Map::new();
            m.insert("value".into(), encode(inner, t, path, depth + 1)?);
            m.insert("type".into(), t.to_json());
            Ok(Json::Object(m))
        }
        (Type::Bool, Value::Bool(b)) => Ok(Json::Bool(*b)),
        (Type::String, Value::String(s)) => Ok(Json::String(s.clone())),
        (Type::Number, Value::Number(n)) => encode_number(n, path),
        (Type::List(et), Value::List(items)) | (Type::Set(et), Value::Set(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let m = path.push_index(i);
                out.push(encode(item, et, path, depth + 1)?);
                path.truncate(m);
            }
            Ok(Json::Array(out))
        }
        (Type::Tuple(ets), Value::Tuple(items)) => {
            if ets.len() != items.len() {
                return Err(tuple_len(ets.len(), items.len(), path));
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, (item, et)) in items.iter().zip(ets).enumerate() {
                let m = path.push_index(i);
                out.push(encode(item, et, path, depth + 1)?);
                path.truncate(m);
            }
            Ok(Json::Array(out))
        }
        (Type::Map(et), Value::Map(entries)) => {
            let mut out = serde_json::Map::new();
            for (k, item) in entries {
                let m = path.push_key(k);
                out.insert(k.clone(), encode(item, et, path, depth + 1)?);
                path.truncate(m);
            }
            Ok(Json::Object(out))
        }
        (Type::Object(attrs), Value::Object(entries)) => {
            if let Some(extra) = entries.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(unsupported_attr(extra, path));
            }
            let mut out = serde_json::Map::new();
            for (name, at) in attrs {
                let Some(item) = entries.get(name) else {
                    return Err(super::model::missing_attr(name, path));
                };
                let m = path.push_attr(name);
                out.insert(name.clone(), encode(item, at, path, depth + 1)?);
                path.truncate(m);
            }
            Ok(Json::Object(out))
        }
        _ => Err(mismatch(ty, v, path)),
    }
}

/// `Some(json number)` when serde_json's shortest rendering of `f` is exactly `f`.
fn exact_json_float(f: f64) -> Option<Json> {
    let shortest = Canon::parse(&format!("{f:e}"))?;
    if Some(shortest) == Canon::from_f64(f) { serde_json::Number::from_f64(f).map(Json::Number) } else { None }
}

/// The exact decimal expansion of a finite `f64`, without exponent.
fn exact_decimal(f: f64) -> String {
    let s = format!("{f:.1100}");
    let s = s.trim_end_matches('0');
    s.strip_suffix('.').unwrap_or(s).to_string()
}

fn encode_number(n: &Number, path: &Path) -> Result<Json, ValueError> {
    match n {
        Number::Int(i) => Ok(Json::from(*i)),
        Number::Float(f) if !f.is_finite() => Err(path.err(format!("{f} cannot be encoded as JSON"))),
        Number::Float(f) => Ok(match float_to_i64(*f) {
            Some(i) => Json::from(i),
            None => exact_json_float(*f).unwrap_or_else(|| Json::String(exact_decimal(*f))),
        }),
        Number::Decimal(s) => match Canon::parse(s) {
            None => Err(path.err(format!("invalid number {}", quote(s)))),
            Some(Canon::Inf(_)) => Err(path.err(format!("{s} cannot be encoded as JSON"))),
            Some(c) => {
                if let Some(i) = c.to_i64() {
                    return Ok(Json::from(i));
                }
                if let Some(u) = c.to_u64() {
                    return Ok(Json::from(u));
                }
                Ok(match s.parse::<f64>() {
                    Ok(f) if f.is_finite() && Canon::from_f64(f).as_ref() == Some(&c) => {
                        exact_json_float(f).unwrap_or_else(|| Json::String(s.clone()))
                    }
                    _ => Json::String(s.clone()),
                })
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::value::msgpack::tests::{XorShift, random_type, random_value};
    use serde_json::json;

    fn obj(pairs: Vec<(&str, Value)>) -> Value {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    fn state_type() -> Type {
        Type::object([
            ("id", Type::String),
            ("count", Type::Number),
            ("enabled", Type::Bool),
            ("tags", Type::map(Type::String)),
            ("assignment", Type::list(Type::object([("account_id", Type::String), ("weight", Type::Number)]))),
            ("new_attr", Type::set(Type::String)),
        ])
    }

    #[test]
    fn raw_state_with_missing_attribute() {
        let raw = br#"{"id":"abc","count":3,"enabled":true,"tags":{"k":"v"},
            "assignment":[{"account_id":"100","weight":1.5},{"account_id":"200"}]}"#;
        let v = decode_json(raw, &state_type()).unwrap();
        assert_eq!(v.attr("id").and_then(Value::as_str), Some("abc"));
        assert_eq!(v.attr("count").and_then(Value::as_i64), Some(3));
        assert_eq!(v.attr("new_attr"), Some(&Value::Null));
        let second = &v.attr("assignment").and_then(Value::elements).unwrap()[1];
        assert_eq!(second.attr("weight"), Some(&Value::Null));
        assert!(v.conforms_to(&state_type()).is_ok());
        // Re-encoding writes every attribute.
        let back = encode_json(&v, &state_type()).unwrap();
        assert_eq!(back["new_attr"], Json::Null);
        assert_eq!(back["assignment"][0]["weight"], json!(1.5));
        assert_eq!(decode_json(&serde_json::to_vec(&back).unwrap(), &state_type()).unwrap(), v);
    }

    #[test]
    fn raw_state_with_extra_attribute() {
        let e = decode_json(br#"{"id":"a","gone":1}"#, &state_type()).unwrap_err();
        assert_eq!(e.message, "unsupported attribute \"gone\"");
        let e = decode_json(br#"{"assignment":[{"account_id":"1","x":null}]}"#, &state_type()).unwrap_err();
        assert_eq!(e.to_string(), "unsupported attribute \"x\" at .assignment[0]");
        let e = decode_json(br#"{"id":"a","id":"b"}"#, &state_type()).unwrap_err();
        assert!(e.message.contains("duplicate"));
    }

    #[test]
    fn exact_numbers() {
        let n = |s: &str| decode_json(s.as_bytes(), &Type::Number).unwrap();
        assert!(matches!(n("9223372036854775807"), Value::Number(Number::Int(i64::MAX))));
        assert!(matches!(n("-9223372036854775808"), Value::Number(Number::Int(i64::MIN))));
        assert!(matches!(n("9223372036854775808"), Value::Number(Number::Decimal(s)) if s == "9223372036854775808"));
        assert!(
            matches!(n("123456789012345678901234567890"), Value::Number(Number::Decimal(s)) if s == "123456789012345678901234567890")
        );
        assert!(matches!(n("1.5"), Value::Number(Number::Float(f)) if f == 1.5));
        assert!(matches!(n("2.0"), Value::Number(Number::Int(2))));
        assert!(matches!(n("0.1"), Value::Number(Number::Decimal(s)) if s == "0.1"));
        assert!(matches!(n("\"42\""), Value::Number(Number::Int(42))));
        assert!(decode_json(b"\"abc\"", &Type::Number).is_err());
        assert!(decode_json(b"true", &Type::Number).is_err());
        // Encoding.
        let e = |v: Number| encode_json(&Value::Number(v), &Type::Number).unwrap();
        assert_eq!(e(Number::Int(-5)), json!(-5));
        assert_eq!(e(Number::Float(3.0)), json!(3));
        assert_eq!(e(Number::Float(1.5)), json!(1.5));
        assert_eq!(e(Number::Float(0.1)), json!("0.1000000000000000055511151231257827021181583404541015625"));
        assert_eq!(e(Number::Decimal("18446744073709551615".into())), json!(18446744073709551615u64));
        assert_eq!(e(Number::Decimal("0.1".into())), json!("0.1"));
        assert_eq!(e(Number::Decimal("2.50".into())), json!(2.5));
        assert!(encode_json(&Value::from(f64::INFINITY), &Type::Number).is_err());
        assert!(encode_json(&Value::Number(Number::Decimal("x".into())), &Type::Number).is_err());
    }

    #[test]
    fn primitive_conversions_like_cty() {
        assert_eq!(decode_json(b"\"true\"", &Type::Bool).unwrap(), Value::from(true));
        assert!(decode_json(b"\"yes\"", &Type::Bool).is_err());
        assert_eq!(decode_json(b"12.50", &Type::String).unwrap(), Value::from("12.50"));
        assert_eq!(decode_json(b"false", &Type::String).unwrap(), Value::from("false"));
        assert!(decode_json(b"[]", &Type::String).is_err());
        assert_eq!(decode_json(b"null", &state_type()).unwrap(), Value::Null);
        assert_eq!(decode_json(b"", &state_type()).unwrap(), Value::Null);
        assert_eq!(
            decode_json(b" \"a\\u00e9\\ud83d\\ude00\\n\\\"\" ", &Type::String).unwrap(),
            Value::from("aé😀\n\"")
        );
        assert_eq!(decode_json(br#""\ud800x""#, &Type::String).unwrap(), Value::from("\u{fffd}x"));
        assert_eq!(decode_json(br#""\ud800\u0041""#, &Type::String).unwrap(), Value::from("\u{fffd}A"));
    }

    #[test]
    fn dynamic_json() {
        let v = Value::Dynamic(Type::list(Type::String), Box::new(Value::List(vec!["a".into()])));
        let j = encode_json(&v, &Type::Dynamic).unwrap();
        assert_eq!(j, json!({"value": ["a"], "type": ["list", "string"]}));
        assert_eq!(decode_json(&serde_json::to_vec(&j).unwrap(), &Type::Dynamic).unwrap(), v);
        assert_eq!(
            decode_json(br#"{"type":"string","value":"x"}"#, &Type::Dynamic).unwrap(),
            Value::Dynamic(Type::String, Box::new("x".into()))
        );
        for bad in [
            r#""x""#,
            r#"{"value":"x"}"#,
            r#"{"type":"string"}"#,
            r#"{"type":"string","value":"x","extra":1}"#,
            r#"{"type":"strung","value":"x"}"#,
            r#"{"type":"number","value":"x"}"#,
            r#"{"type":"string","type":"string","value":"x"}"#,
        ] {
            assert!(decode_json(bad.as_bytes(), &Type::Dynamic).is_err(), "{bad}");
        }
        assert_eq!(decode_json(b"null", &Type::Dynamic).unwrap(), Value::Null);
        assert!(encode_json(&Value::from("x"), &Type::Dynamic).is_err());
    }

    #[test]
    fn unknowns_are_rejected() {
        let t = Type::list(Type::String);
        let e = encode_json(&Value::List(vec![Value::unknown()]), &t).unwrap_err();
        assert_eq!(e.path, "[0]");
        assert!(encode_json(&Value::unknown(), &Type::String).is_err());
    }

    #[test]
    fn collections_and_tuples() {
        let t = Type::object([
            ("s", Type::set(Type::Number)),
            ("m", Type::map(Type::Bool)),
            ("t", Type::Tuple(vec![Type::String, Type::Number])),
        ]);
        let v = decode_json(br#"{"s":[1,2],"m":{"a":true},"t":["x",1]}"#, &t).unwrap();
        assert_eq!(
            v,
            obj(vec![
                ("s", Value::Set(vec![1i64.into(), 2i64.into()])),
                ("m", Value::Map([("a".to_string(), Value::from(true))].into())),
                ("t", Value::Tuple(vec!["x".into(), 1i64.into()])),
            ])
        );
        assert!(decode_json(br#"{"t":["x"]}"#, &t).is_err());
        assert!(decode_json(br#"{"m":{"a":true,"a":false}}"#, &t).is_err());
        assert_eq!(decode_json(br#"{"m":{"a":1}}"#, &t).unwrap_err().path, ".m[\"a\"]");
    }

    #[test]
    fn malformed_json_never_panics() {
        let t = state_type();
        for bad in [
            "{",
            "}",
            "[",
            "{\"id\"",
            "{\"id\":",
            "{\"id\":\"a\"",
            "{\"id\":\"a\",}",
            "{'id':1}",
            "nul",
            "tru",
            "01",
            "1.",
            "-",
            "1e",
            "+1",
            "\"\\x\"",
            "\"\\u12\"",
            "\"a",
            "\"\u{1}\"",
            "{} {}",
            "[1,]",
            "{\"id\" 1}",
            " ",
            "\"\\ud800\\u12\"",
        ] {
            assert!(decode_json(bad.as_bytes(), &t).is_err(), "{bad}");
            assert!(decode_json(bad.as_bytes(), &Type::Dynamic).is_err(), "{bad}");
        }
        assert!(decode_json(b"\"\xff\"", &Type::String).unwrap_err().message.contains("UTF-8"));
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(decode_json(deep.as_bytes(), &Type::list(Type::String)).is_err());
        let deep_obj = "{\"a\":".repeat(10_000) + "1" + &"}".repeat(10_000);
        assert!(decode_json(deep_obj.as_bytes(), &Type::Dynamic).is_err());
        let mut deep_ty = Type::String;
        for _ in 0..200 {
            deep_ty = Type::list(deep_ty);
        }
        let nested = "[".repeat(150) + &"]".repeat(150);
        assert!(decode_json(nested.as_bytes(), &deep_ty).unwrap_err().message.contains("deep"));
        let mut rng = XorShift(0xdead_beef_cafe_f00d);
        let alphabet = b"{}[]\":,0123456789.eE+-truefalsnl\\u \x01abc";
        for _ in 0..20_000 {
            let len = rng.below(20) as usize;
            let junk: Vec<u8> = (0..len).map(|_| alphabet[rng.below(alphabet.len() as u64) as usize]).collect();
            let _ = decode_json(&junk, &t);
            let _ = decode_json(&junk, &Type::Dynamic);
        }
    }

    #[test]
    fn property_round_trip() {
        let mut rng = XorShift(0x0123_4567_89ab_cdef);
        for _ in 0..3_000 {
            let ty = random_type(&mut rng, 0);
            let v = random_value(&mut rng, &ty, false, 0);
            let j = encode_json(&v, &ty).unwrap_or_else(|e| panic!("encode {v:?}: {e}"));
            let bytes = serde_json::to_vec(&j).unwrap();
            let back =
                decode_json(&bytes, &ty).unwrap_or_else(|e| panic!("decode {}: {e}", String::from_utf8_lossy(&bytes)));
            assert_eq!(back, v, "type {ty:?}, json {}", String::from_utf8_lossy(&bytes));
        }
    }
}
