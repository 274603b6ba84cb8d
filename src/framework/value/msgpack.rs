//! cty's msgpack encoding (`cty/msgpack`), as used in `DynamicValue.msgpack`.
//!
//! Decoding is type-directed and streams over the input with a small hand-written reader
//! (so reserved markers, truncation and trailing bytes are all reported, and nothing is
//! preallocated from untrusted lengths). Encoding builds an `rmpv::Value` and lets rmpv pick
//! the compact representations.

use std::collections::BTreeMap;

use rmpv::Value as Mp;

use super::model::{mismatch, missing_attr, too_deep, tuple_len, unsupported_attr, unwrap_for};
use super::number::{Canon, float_to_i64};
use super::{MAX_DEPTH, Number, Path, Refinements, Type, Value, ValueError, quote};

/// Extension type code of a refined unknown value.
const REFINED_UNKNOWN_EXT: i8 = 0x0c;
/// Largest refinement payload accepted or produced.
const MAX_REFINEMENT_BYTES: usize = 1024;
/// Longest string prefix refinement produced.
const MAX_PREFIX_BYTES: usize = 256;

/// Decodes a cty msgpack value of type `ty`. An empty input decodes as `Null`.
pub fn decode_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    let mut rd = Reader { buf: bytes, pos: 0 };
    let mut path = Path::new();
    let v = decode_value(&mut rd, ty, &mut path, 0)?;
    if rd.pos != bytes.len() {
        return Err(ValueError::msg(format!(
            "{} unexpected trailing bytes after the msgpack value",
            bytes.len() - rd.pos
        )));
    }
    Ok(v)
}

/// Encodes `value` as cty msgpack of type `ty`. The value must conform to the type
/// (see [`Value::conforms_to`]).
pub fn encode_msgpack(value: &Value, ty: &Type) -> Result<Vec<u8>, ValueError> {
    let mp = encode_value(value, ty, &mut Path::new(), 0)?;
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &mp).map_err(|e| ValueError::msg(format!("msgpack write failed: {e}")))?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Reader

/// One msgpack item header. Strings, binaries and extensions carry their payload; arrays and
/// maps carry their length (the elements follow in the stream).
#[derive(Clone, Copy)]
enum Item<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    /// Unsigned integers above `i64::MAX`.
    BigUint(u64),
    F32(f32),
    F64(f64),
    Str(&'a [u8]),
    Bin(&'a [u8]),
    Array(usize),
    Map(usize),
    Ext(i8, &'a [u8]),
}

impl Item<'_> {
    fn describe(&self) -> &'static str {
        match self {
            Item::Nil => "nil",
            Item::Bool(_) => "bool",
            Item::Int(_) | Item::BigUint(_) => "integer",
            Item::F32(_) | Item::F64(_) => "float",
            Item::Str(_) => "string",
            Item::Bin(_) => "binary",
            Item::Array(_) => "array",
            Item::Map(_) => "map",
            Item::Ext(..) => "extension",
        }
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if n > self.remaining() {
            return Err(format!(
                "truncated msgpack input: {n} bytes needed at offset {}, {} available",
                self.pos,
                self.remaining()
            ));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn be<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn len8(&mut self) -> Result<usize, String> {
        Ok(usize::from(self.byte()?))
    }

    fn len16(&mut self) -> Result<usize, String> {
        Ok(usize::from(u16::from_be_bytes(self.be()?)))
    }

    fn len32(&mut self) -> Result<usize, String> {
        usize::try_from(u32::from_be_bytes(self.be()?)).map_err(|_| "length too large".to_string())
    }

    fn ext(&mut self, len: usize) -> Result<Item<'a>, String> {
        let code = i8::from_be_bytes(self.be()?);
        Ok(Item::Ext(code, self.take(len)?))
    }

    fn item(&mut self) -> Result<Item<'a>, String> {
        let m = self.byte()?;
        Ok(match m {
            0x00..=0x7f => Item::Int(i64::from(m)),
            0x80..=0x8f => Item::Map(usize::from(m & 0x0f)),
            0x90..=0x9f => Item::Array(usize::from(m & 0x0f)),
            0xa0..=0xbf => Item::Str(self.take(usize::from(m & 0x1f))?),
            0xc0 => Item::Nil,
            0xc1 => return Err("invalid msgpack marker 0xc1".into()),
            0xc2 => Item::Bool(false),
            0xc3 => Item::Bool(true),
            0xc4 => {
                let n = self.len8()?;
                Item::Bin(self.take(n)?)
            }
            0xc5 => {
                let n = self.len16()?;
                Item::Bin(self.take(n)?)
            }
            0xc6 => {
                let n = self.len32()?;
                Item::Bin(self.take(n)?)
            }
            0xc7 => {
                let n = self.len8()?;
                self.ext(n)?
            }
            0xc8 => {
                let n = self.len16()?;
                self.ext(n)?
            }
            0xc9 => {
                let n = self.len32()?;
                self.ext(n)?
            }
            0xca => Item::F32(f32::from_be_bytes(self.be()?)),
            0xcb => Item::F64(f64::from_be_bytes(self.be()?)),
            0xcc => Item::Int(i64::from(self.byte()?)),
            0xcd => Item::Int(i64::from(u16::from_be_bytes(self.be()?))),
            0xce => Item::Int(i64::from(u32::from_be_bytes(self.be()?))),
            0xcf => {
                let u = u64::from_be_bytes(self.be()?);
                match i64::try_from(u) {
                    Ok(i) => Item::Int(i),
                    Err(_) => Item::BigUint(u),
                }
            }
            0xd0 => Item::Int(i64::from(i8::from_be_bytes(self.be()?))),
            0xd1 => Item::Int(i64::from(i16::from_be_bytes(self.be()?))),
            0xd2 => Item::Int(i64::from(i32::from_be_bytes(self.be()?))),
            0xd3 => Item::Int(i64::from_be_bytes(self.be()?)),
            0xd4 => self.ext(1)?,
            0xd5 => self.ext(2)?,
            0xd6 => self.ext(4)?,
            0xd7 => self.ext(8)?,
            0xd8 => self.ext(16)?,
            0xd9 => {
                let n = self.len8()?;
                Item::Str(self.take(n)?)
            }
            0xda => {
                let n = self.len16()?;
                Item::Str(self.take(n)?)
            }
            0xdb => {
                let n = self.len32()?;
                Item::Str(self.take(n)?)
            }
            0xdc => Item::Array(self.len16()?),
            0xdd => Item::Array(self.len32()?),
            0xde => Item::Map(self.len16()?),
            0xdf => Item::Map(self.len32()?),
            0xe0..=0xff => Item::Int(i64::from(m as i8)),
        })
    }

    /// Skips one complete value (iteratively, so nesting cannot exhaust the stack).
    fn skip(&mut self) -> Result<(), String> {
        let mut pending: u64 = 1;
        while pending > 0 {
            pending -= 1;
            match self.item()? {
                Item::Array(n) => pending += n as u64,
                Item::Map(n) => pending += 2 * n as u64,
                _ => {}
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding

fn utf8<'a>(bytes: &'a [u8], path: &Path, what: &str) -> Result<&'a str, ValueError> {
    std::str::from_utf8(bytes).map_err(|e| path.err(format!("{what} is not valid UTF-8: {e}")))
}

fn decode_value(rd: &mut Reader<'_>, ty: &Type, path: &mut Path, depth: usize) -> Result<Value, ValueError> {
    if depth > MAX_DEPTH {
        return Err(too_deep(path));
    }
    let item = rd.item().map_err(|e| path.err(e))?;
    // Unknowns are recognised before looking at the type.
    if let Item::Ext(code, data) = item {
        return decode_unknown(code, data, ty, path);
    }
    if let Item::Nil = item {
        return Ok(Value::Null);
    }
    let wrong = |path: &Path| path.err(format!("{} is required, got msgpack {}", ty.friendly_name(), item.describe()));
    match ty {
        Type::Bool => match item {
            Item::Bool(b) => Ok(Value::Bool(b)),
            _ => Err(wrong(path)),
        },
        Type::Number => decode_number(&item, path).map(Value::Number),
        Type::String => match item {
            Item::Str(s) | Item::Bin(s) => Ok(Value::String(utf8(s, path, "string")?.to_string())),
            _ => Err(wrong(path)),
        },
        Type::List(et) | Type::Set(et) => {
            let Item::Array(n) = item else {
                return Err(wrong(path));
            };
            let mut items = Vec::with_capacity(n.min(rd.remaining()));
            for i in 0..n {
                let m = path.push_index(i);
                items.push(decode_value(rd, et, path, depth + 1)?);
                path.truncate(m);
            }
            Ok(if matches!(ty, Type::List(_)) { Value::List(items) } else { Value::Set(items) })
        }
        Type::Tuple(ets) => {
            let Item::Array(n) = item else {
                return Err(wrong(path));
            };
            if n != ets.len() {
                return Err(tuple_len(ets.len(), n, path));
            }
            let mut items = Vec::with_capacity(n);
            for (i, et) in ets.iter().enumerate() {
                let m = path.push_index(i);
                items.push(decode_value(rd, et, path, depth + 1)?);
                path.truncate(m);
            }
            Ok(Value::Tuple(items))
        }
        Type::Map(et) => {
            let Item::Map(n) = item else {
                return Err(wrong(path));
            };
            let mut out = BTreeMap::new();
            for _ in 0..n {
                let key = decode_key(rd, path)?;
                let m = path.push_key(&key);
                let v = decode_value(rd, et, path, depth + 1)?;
                path.truncate(m);
                if out.insert(key.clone(), v).is_some() {
                    return Err(path.err(format!("duplicate map key {}", quote(&key))));
                }
            }
            Ok(Value::Map(out))
        }
        Type::Object(attrs) => {
            let Item::Map(n) = item else {
                return Err(wrong(path));
            };
            let mut out = BTreeMap::new();
            for _ in 0..n {
                let key = decode_key(rd, path)?;
                let Some(at) = attrs.get(&key) else {
                    return Err(unsupported_attr(&key, path));
                };
                let m = path.push_attr(&key);
                let v = decode_value(rd, at, path, depth + 1)?;
                path.truncate(m);
                if out.insert(key.clone(), v).is_some() {
                    return Err(path.err(format!("duplicate attribute {}", quote(&key))));
                }
            }
            if let Some(name) = attrs.keys().find(|k| !out.contains_key(*k)) {
                return Err(missing_attr(name, path));
            }
            Ok(Value::Object(out))
        }
        Type::Dynamic => {
            let Item::Array(2) = item else {
                return Err(path.err(format!(
                    "a dynamic value must be a 2-element array [type, value], got msgpack {}",
                    match item {
                        Item::Array(_) => "array of another length",
                        _ => item.describe(),
                    }
                )));
            };
            let type_json = match rd.item().map_err(|e| path.err(e))? {
                Item::Bin(b) | Item::Str(b) => b,
                other => {
                    return Err(path.err(format!(
                        "dynamic value type must be JSON in a msgpack binary, got {}",
                        other.describe()
                    )));
                }
            };
            let t = Type::from_json_bytes(type_json).map_err(|e| path.err(e.message))?;
            let inner = decode_value(rd, &t, path, depth + 1)?;
            Ok(Value::Dynamic(t, Box::new(inner)))
        }
    }
}

fn decode_key(rd: &mut Reader<'_>, path: &Path) -> Result<String, ValueError> {
    match rd.item().map_err(|e| path.err(e))? {
        Item::Str(s) | Item::Bin(s) => Ok(utf8(s, path, "map key")?.to_string()),
        other => Err(path.err(format!("map keys must be strings, got msgpack {}", other.describe()))),
    }
}

fn decode_number(item: &Item<'_>, path: &Path) -> Result<Number, ValueError> {
    match *item {
        Item::Int(i) => Ok(Number::Int(i)),
        Item::BigUint(u) => Ok(Number::from(u)),
        Item::F32(f) => float_number(f64::from(f), path),
        Item::F64(f) => float_number(f, path),
        Item::Str(s) => {
            let s = utf8(s, path, "number")?;
            Number::parse(s).ok_or_else(|| path.err(format!("number is required, got string {}", quote(s))))
        }
        _ => Err(path.err(format!("number is required, got msgpack {}", item.describe()))),
    }
}

fn float_number(f: f64, path: &Path) -> Result<Number, ValueError> {
    if f.is_nan() { Err(path.err("NaN is not a valid number")) } else { Ok(Number::Float(f)) }
}

/// An unknown value from a msgpack extension (`cty/msgpack/unknown.go`): any extension of
/// length ≤ 1 is a plain unknown; longer ones must be type 12 carrying a refinement map.
fn decode_unknown(code: i8, data: &[u8], ty: &Type, path: &Path) -> Result<Value, ValueError> {
    if data.len() <= 1 {
        return Ok(Value::unknown());
    }
    if code != REFINED_UNKNOWN_EXT {
        return Err(path.err(format!("unsupported msgpack extension type {code:#04x} with length {}", data.len())));
    }
    if data.len() > MAX_REFINEMENT_BYTES {
        return Err(path.err("oversize unknown value refinement"));
    }
    let bad = |what: &str| path.err(format!("invalid unknown value refinement: {what}"));
    let mut rd = Reader { buf: data, pos: 0 };
    let Ok(Item::Map(n)) = rd.item() else {
        return Err(bad("not a map"));
    };
    if *ty == Type::Dynamic {
        // cty ignores refinements of dynamic-typed unknowns (and never produces them).
        return Ok(Value::unknown());
    }
    let mut r = Refinements::default();
    for _ in 0..n {
        let key = match rd.item() {
            Ok(Item::Int(k)) => k,
            Ok(Item::BigUint(_)) => i64::MAX,
            _ => return Err(bad("non-integer key")),
        };
        match key {
            1 => match rd.item() {
                // Nullness true ("definitely null") is not representable as an unknown.
                Ok(Item::Bool(is_null)) => r.not_null = !is_null,
                _ => return Err(bad("nullness is not a bool")),
            },
            2 => {
                if *ty != Type::String {
                    return Err(bad("string prefix for a non-string type"));
                }
                match rd.item() {
                    Ok(Item::Str(s)) => {
                        let s = std::str::from_utf8(s).map_err(|_| bad("prefix is not valid UTF-8"))?;
                        r.string_prefix = Some(s.to_string()).filter(|s| !s.is_empty());
                    }
                    _ => return Err(bad("string prefix is not a string")),
                }
            }
            3 | 4 => {
                if *ty != Type::Number {
                    return Err(bad("number bound for a non-number type"));
                }
                let Ok(Item::Array(2)) = rd.item() else {
                    return Err(bad("number bound must be a [number, bool] array"));
                };
                let bound = rd
                    .item()
                    .map_err(|_| bad("truncated number bound"))
                    .and_then(|it| decode_number(&it, path).map_err(|_| bad("number bound is not a number")))?;
                let Ok(Item::Bool(inclusive)) = rd.item() else {
                    return Err(bad("number bound inclusivity is not a bool"));
                };
                if key == 3 {
                    r.number_lower = Some((bound, inclusive));
                } else {
                    r.number_upper = Some((bound, inclusive));
                }
            }
            5 | 6 => {
                if !ty.is_collection() {
                    return Err(bad("length bound for a non-collection type"));
                }
                let len = match rd.item() {
                    Ok(Item::Int(i)) => u64::try_from(i).map_err(|_| bad("negative length bound"))?,
                    Ok(Item::BigUint(u)) => u,
                    _ => return Err(bad("length bound is not an integer")),
                };
                if key == 5 {
                    r.length_min = Some(len);
                } else {
                    r.length_max = Some(len);
                }
            }
            // Unknown keys are reserved for future refinements: skip their values.
            _ => rd.skip().map_err(|e| bad(&e))?,
        }
    }
    // Like cty, trailing bytes after the refinement map are ignored.
    Ok(Value::Unknown(r))
}

// ---------------------------------------------------------------------------------------------
// Encoding

fn encode_value(v: &Value, ty: &Type, path: &mut Path, depth: usize) -> Result<Mp, ValueError> {
    if depth > MAX_DEPTH {
        return Err(too_deep(path));
    }
    let v = unwrap_for(v, ty, path)?;
    match (ty, v) {
        (_, Value::Null) => Ok(Mp::Nil),
        (_, Value::Unknown(r)) => Ok(encode_unknown(&r.restricted_to(ty))),
        (Type::Dynamic, Value::Dynamic(t, inner)) => {
            Ok(Mp::Array(vec![Mp::Binary(t.to_json_bytes()), encode_value(inner, t, path, depth + 1)?]))
        }
        (Type::Bool, Value::Bool(b)) => Ok(Mp::Boolean(*b)),
        (Type::String, Value::String(s)) => Ok(Mp::from(s.as_str())),
        (Type::Number, Value::Number(n)) => encode_number(n, path),
        (Type::List(et), Value::List(items)) | (Type::Set(et), Value::Set(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let m = path.push_index(i);
                out.push(encode_value(item, et, path, depth + 1)?);
                path.truncate(m);
            }
            Ok(Mp::Array(out))
        }
        (Type::Tuple(ets), Value::Tuple(items)) => {
            if ets.len() != items.len() {
                return Err(tuple_len(ets.len(), items.len(), path));
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, (item, et)) in items.iter().zip(ets).enumerate() {
                let m = path.push_index(i);
                out.push(encode_value(item, et, path, depth + 1)?);
                path.truncate(m);
            }
            Ok(Mp::Array(out))
        }
        (Type::Map(et), Value::Map(entries)) => {
            let mut out = Vec::with_capacity(entries.len());
            for (k, item) in entries {
                let m = path.push_key(k);
                out.push((Mp::from(k.as_str()), encode_value(item, et, path, depth + 1)?));
                path.truncate(m);
            }
            Ok(Mp::Map(out))
        }
        (Type::Object(attrs), Value::Object(entries)) => {
            if let Some(extra) = entries.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(unsupported_attr(extra, path));
            }
            let mut out = Vec::with_capacity(attrs.len());
            for (name, at) in attrs {
                let Some(item) = entries.get(name) else {
                    return Err(missing_attr(name, path));
                };
                let m = path.push_attr(name);
                out.push((Mp::from(name.as_str()), encode_value(item, at, path, depth + 1)?));
                path.truncate(m);
            }
            Ok(Mp::Map(out))
        }
        _ => Err(mismatch(ty, v, path)),
    }
}

/// Numbers as cty writes them: an exact int64 as a compact int, else an exactly representable
/// float as float64, else the decimal string. Infinities are float64.
fn encode_number(n: &Number, path: &Path) -> Result<Mp, ValueError> {
    match n {
        Number::Int(i) => Ok(Mp::from(*i)),
        Number::Float(f) if f.is_nan() => Err(path.err("NaN cannot be encoded as a number")),
        Number::Float(f) => Ok(match float_to_i64(*f) {
            Some(i) => Mp::from(i),
            None => Mp::F64(*f),
        }),
        Number::Decimal(s) => match Canon::parse(s) {
            None => Err(path.err(format!("invalid number {}", quote(s)))),
            Some(Canon::Inf(neg)) => Ok(Mp::F64(if neg { f64::NEG_INFINITY } else { f64::INFINITY })),
            Some(c) => Ok(match c.to_i64() {
                Some(i) => Mp::from(i),
                None => match s.parse::<f64>() {
                    Ok(f) if f.is_finite() && Canon::from_f64(f).as_ref() == Some(&c) => Mp::F64(f),
                    _ => Mp::from(s.as_str()),
                },
            }),
        },
    }
}

fn encode_unknown(r: &Refinements) -> Mp {
    let payload = refinement_payload(r, true)
        .filter(|p| p.len() <= MAX_REFINEMENT_BYTES)
        // Very long decimal bounds could overflow the payload limit; dropping a refinement
        // only makes the unknown less precise, which is always valid.
        .or_else(|| refinement_payload(r, false).filter(|p| p.len() <= MAX_REFINEMENT_BYTES));
    match payload {
        Some(p) => Mp::Ext(REFINED_UNKNOWN_EXT, p),
        None => Mp::Ext(0, vec![0]),
    }
}

/// The msgpack refinement map, or `None` if it would be empty.
fn refinement_payload(r: &Refinements, with_bounds: bool) -> Option<Vec<u8>> {
    let mut entries: Vec<(Mp, Mp)> = Vec::new();
    if r.not_null {
        entries.push((Mp::from(1), Mp::Boolean(false)));
    }
    if let Some(prefix) = r.string_prefix.as_deref().filter(|p| !p.is_empty()) {
        entries.push((Mp::from(2), Mp::from(truncate_utf8(prefix, MAX_PREFIX_BYTES))));
    }
    if with_bounds {
        for (key, bound) in [(3, &r.number_lower), (4, &r.number_upper)] {
            if let Some((n, inclusive)) = bound {
                // An unencodable bound (NaN, malformed decimal) is dropped.
                if let Ok(n) = encode_number(n, &Path::new()) {
                    entries.push((Mp::from(key), Mp::Array(vec![n, Mp::Boolean(*inclusive)])));
                }
            }
        }
    }
    if let Some(n) = r.length_min {
        entries.push((Mp::from(5), Mp::from(n)));
    }
    if let Some(n) = r.length_max {
        entries.push((Mp::from(6), Mp::from(n)));
    }
    if entries.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &Mp::Map(entries)).ok()?;
    Some(out)
}

/// The longest prefix of `s` of at most `max` bytes ending on a char boundary.
fn truncate_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace().map(|b| u8::from_str_radix(b, 16).unwrap()).collect()
    }

    fn enc(v: &Value, t: &Type) -> Vec<u8> {
        encode_msgpack(v, t).unwrap()
    }

    fn obj(pairs: Vec<(&str, Value)>) -> Value {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    fn round_trip(v: &Value, t: &Type) {
        let bytes = enc(v, t);
        let back = decode_msgpack(&bytes, t).unwrap_or_else(|e| panic!("decode {v:?}: {e}"));
        assert_eq!(&back, v, "bytes {bytes:02x?}");
    }

    #[test]
    fn null_and_unknown_bytes() {
        for t in [Type::String, Type::Dynamic, Type::object([("a", Type::Bool)]), Type::list(Type::Number)] {
            assert_eq!(enc(&Value::Null, &t), hex("c0"));
            assert_eq!(enc(&Value::unknown(), &t), hex("d4 00 00"));
            assert_eq!(decode_msgpack(&hex("c0"), &t).unwrap(), Value::Null);
            assert_eq!(decode_msgpack(&hex("d4 00 00"), &t).unwrap(), Value::unknown());
            assert_eq!(decode_msgpack(&hex("c7 00 00"), &t).unwrap(), Value::unknown());
            assert_eq!(decode_msgpack(&hex("d4 05 07"), &t).unwrap(), Value::unknown());
        }
        assert_eq!(decode_msgpack(&[], &Type::String).unwrap(), Value::Null);
    }

    #[test]
    fn refined_unknowns() {
        let not_null = Value::Unknown(Refinements { not_null: true, ..Default::default() });
        assert_eq!(decode_msgpack(&hex("c7 03 0c 81 01 c2"), &Type::String).unwrap(), not_null);
        let bytes = enc(&not_null, &Type::String);
        assert_eq!(bytes, hex("c7 03 0c 81 01 c2"));
        // The payload decodes to the map {1: false}.
        let payload = rmpv::decode::read_value(&mut &bytes[3..]).unwrap();
        assert_eq!(payload, Mp::Map(vec![(Mp::from(1), Mp::Boolean(false))]));

        // Every refinement kind, on its type.
        let s =
            Value::Unknown(Refinements { not_null: true, string_prefix: Some("arn:".into()), ..Default::default() });
        round_trip(&s, &Type::String);
        let n = Value::Unknown(Refinements {
            number_lower: Some((Number::Int(0), true)),
            number_upper: Some((Number::Float(10.5), false)),
            ..Default::default()
        });
        round_trip(&n, &Type::Number);
        let l = Value::Unknown(Refinements { length_min: Some(1), length_max: Some(3), ..Default::default() });
        round_trip(&l, &Type::set(Type::String));

        // Refinements that cannot apply to the type are not written.
        assert_eq!(enc(&l, &Type::String), hex("d4 00 00"));
        assert_eq!(enc(&not_null, &Type::Dynamic), hex("d4 00 00"));
        // ...and are rejected when received.
        assert!(decode_msgpack(&enc(&l, &Type::list(Type::String)), &Type::String).is_err());
        assert!(decode_msgpack(&enc(&s, &Type::String), &Type::Number).is_err());
        assert!(decode_msgpack(&enc(&n, &Type::Number), &Type::String).is_err());
        // Refinements on dynamic are ignored.
        assert_eq!(decode_msgpack(&hex("c7 03 0c 81 01 c2"), &Type::Dynamic).unwrap(), Value::unknown());
        // An empty prefix is no refinement.
        let empty = Value::Unknown(Refinements { string_prefix: Some(String::new()), ..Default::default() });
        assert_eq!(enc(&empty, &Type::String), hex("d4 00 00"));
    }

    #[test]
    fn refinement_payload_edge_cases() {
        // Unknown keys are ignored (their values skipped), trailing bytes are ignored.
        let v = decode_msgpack(&hex("c7 0a 0c 82 07 92 01 81 a1 61 02 01 c2"), &Type::String);
        assert_eq!(v.unwrap(), Value::Unknown(Refinements { not_null: true, ..Default::default() }));
        let v = decode_msgpack(&hex("c7 04 0c 81 01 c2 ff"), &Type::String).unwrap();
        assert!(v.is_unknown());
        // Malformed payloads.
        for bad in [
            "c7 02 0c 01 02",       // not a map
            "c7 03 0c 81 a1 c2",    // truncated key
            "c7 03 0c 81 01 01",    // nullness not bool
            "c7 02 0c 81 01",       // truncated value
            "c7 04 0c 81 02 a1 ff", // prefix not UTF-8
            "c7 03 0c 81 c0 c2",    // nil key
            "c7 03 05 81 01 c2",    // long ext of another type
        ] {
            assert!(decode_msgpack(&hex(bad), &Type::String).is_err(), "{bad}");
        }
        assert!(decode_msgpack(&hex("c7 03 0c 81 03 01"), &Type::Number).is_err());
        assert!(decode_msgpack(&hex("c7 03 0c 81 05 ff"), &Type::list(Type::Bool)).is_err());
        // Oversize payload.
        let mut big = vec![0xc8, 0x04, 0x01, 0x0c, 0x81, 0x02, 0xda, 0x03, 0xfc];
        big.extend(std::iter::repeat_n(b'a', 0x3fc));
        assert!(decode_msgpack(&big, &Type::String).unwrap_err().message.contains("oversize"));
        // A long prefix is truncated on a char boundary, keeping the payload small.
        let long = Value::Unknown(Refinements { string_prefix: Some("é".repeat(300)), ..Default::default() });
        let bytes = enc(&long, &Type::String);
        let Value::Unknown(r) = decode_msgpack(&bytes, &Type::String).unwrap() else { panic!() };
        let p = r.string_prefix.unwrap();
        assert_eq!(p.len(), 256);
        assert!(bytes.len() < MAX_REFINEMENT_BYTES);
        // Huge decimal bounds are dropped rather than overflowing the payload.
        let huge = Value::Unknown(Refinements {
            not_null: true,
            number_lower: Some((Number::Decimal(format!("1.{}1", "0".repeat(2000))), true)),
            ..Default::default()
        });
        let bytes = enc(&huge, &Type::Number);
        assert_eq!(bytes, hex("c7 03 0c 81 01 c2"));
    }

    #[test]
    fn numbers() {
        let n = |v: Value| enc(&v, &Type::Number);
        assert_eq!(n(Value::from(0i64)), hex("00"));
        assert_eq!(n(Value::from(-1i64)), hex("ff"));
        assert_eq!(n(Value::from(300i64)), hex("cd 01 2c"));
        assert_eq!(n(Value::from(222_222_222_222i64)), hex("cf 00 00 00 33 bd 7a 03 8e"));
        assert_eq!(n(Value::from(-222_222_222_222i64)), hex("d3 ff ff ff cc 42 85 fc 72"));
        assert_eq!(n(Value::from(1.5)), hex("cb 3f f8 00 00 00 00 00 00"));
        assert_eq!(n(Value::from(3.0)), hex("03"));
        assert_eq!(n(Value::from(f64::INFINITY)), hex("cb 7f f0 00 00 00 00 00 00"));
        assert_eq!(n(Value::from(f64::NEG_INFINITY)), hex("cb ff f0 00 00 00 00 00 00"));
        assert!(encode_msgpack(&Value::from(f64::NAN), &Type::Number).is_err());
        assert_eq!(n(Value::Number(Number::Decimal("42".into()))), hex("2a"));
        assert_eq!(n(Value::Number(Number::Decimal("0.5".into()))), hex("cb 3f e0 00 00 00 00 00 00"));
        assert!(encode_msgpack(&Value::Number(Number::Decimal("4 2".into())), &Type::Number).is_err());

        for v in [222_222_222_222i64, -222_222_222_222, i64::MAX, i64::MIN, 0, 127, 128, -32, -33] {
            round_trip(&Value::from(v), &Type::Number);
        }
        let big = "123456789012345678901234567890";
        let mut bytes = vec![0xbe];
        bytes.extend_from_slice(big.as_bytes());
        let v = decode_msgpack(&bytes, &Type::Number).unwrap();
        assert!(matches!(&v, Value::Number(Number::Decimal(s)) if s == big));
        assert_eq!(enc(&v, &Type::Number), bytes);
        assert_eq!(n(Value::Number(Number::Decimal("0.1".into()))), hex("a3 30 2e 31"));

        // Every wire form decodes.
        let dec = |h: &str| decode_msgpack(&hex(h), &Type::Number).unwrap();
        assert_eq!(dec("cc ff"), Value::from(255i64));
        assert_eq!(dec("d0 80"), Value::from(-128i64));
        assert_eq!(dec("cf ff ff ff ff ff ff ff ff"), Value::from(u64::MAX));
        assert_eq!(dec("ca 3f c0 00 00"), Value::from(1.5));
        assert_eq!(dec("a2 31 30"), Value::from(10i64));
        assert_eq!(dec("a4 2d 31 65 31"), Value::from(-10i64));
        assert!(decode_msgpack(&hex("a3 61 62 63"), &Type::Number).is_err());
        assert!(decode_msgpack(&hex("cb 7f f8 00 00 00 00 00 00"), &Type::Number).is_err()); // NaN
        assert!(decode_msgpack(&hex("c3"), &Type::Number).is_err());
    }

    #[test]
    fn primitives_and_collections() {
        round_trip(&Value::from(true), &Type::Bool);
        round_trip(&Value::from("héllo"), &Type::String);
        round_trip(&Value::from(""), &Type::String);
        round_trip(&Value::from("x".repeat(70_000)), &Type::String);
        assert_eq!(enc(&Value::from("x"), &Type::String), hex("a1 78"));
        assert_eq!(enc(&Value::from(false), &Type::Bool), hex("c2"));
        let l = Value::List(vec!["a".into(), Value::Null, Value::unknown()]);
        round_trip(&l, &Type::list(Type::String));
        assert_eq!(enc(&l, &Type::list(Type::String)), hex("93 a1 61 c0 d4 00 00"));
        round_trip(&Value::Set(vec![1i64.into(), 2i64.into()]), &Type::set(Type::Number));
        round_trip(&Value::List(vec![]), &Type::list(Type::String));
        let m = Value::Map([("b".to_string(), Value::from(2i64)), ("a".to_string(), Value::from(1i64))].into());
        assert_eq!(enc(&m, &Type::map(Type::Number)), hex("82 a1 61 01 a1 62 02"));
        round_trip(&m, &Type::map(Type::Number));
        let tt = Type::Tuple(vec![Type::String, Type::Number]);
        round_trip(&Value::Tuple(vec!["x".into(), 1i64.into()]), &tt);
        assert!(decode_msgpack(&hex("91 a1 78"), &tt).is_err());
        assert!(encode_msgpack(&Value::Tuple(vec!["x".into()]), &tt).is_err());
        // Strings also accepted as bin; invalid UTF-8 rejected.
        assert_eq!(decode_msgpack(&hex("c4 01 78"), &Type::String).unwrap(), Value::from("x"));
        assert!(decode_msgpack(&hex("a2 c3 28"), &Type::String).unwrap_err().message.contains("UTF-8"));
        assert!(decode_msgpack(&hex("81 a1 ff 01"), &Type::map(Type::Number)).is_err());
        // Duplicate map keys rejected.
        assert!(decode_msgpack(&hex("82 a1 61 01 a1 61 02"), &Type::map(Type::Number)).is_err());
        assert!(decode_msgpack(&hex("81 01 01"), &Type::map(Type::Number)).is_err());
    }

    #[test]
    fn objects() {
        let t = Type::object([("a", Type::String), ("b", Type::Number)]);
        let v = obj(vec![("b", 1i64.into()), ("a", "x".into())]);
        assert_eq!(enc(&v, &t), hex("82 a1 61 a1 78 a1 62 01"));
        round_trip(&v, &t);
        round_trip(&obj(vec![("a", Value::Null), ("b", Value::unknown())]), &t);
        let e = decode_msgpack(&hex("81 a1 61 a1 78"), &t).unwrap_err();
        assert_eq!(e.message, "attribute \"b\" is required");
        let e = decode_msgpack(&hex("83 a1 61 a1 78 a1 62 01 a1 63 c0"), &t).unwrap_err();
        assert_eq!(e.message, "unsupported attribute \"c\"");
        let e = decode_msgpack(&hex("82 a1 61 a1 78 a1 61 a1 78"), &t).unwrap_err();
        assert!(e.message.contains("duplicate"));
        let e = encode_msgpack(&obj(vec![("a", "x".into())]), &t).unwrap_err();
        assert_eq!(e.message, "attribute \"b\" is required");
        let e = encode_msgpack(&obj(vec![("a", "x".into()), ("b", Value::Null), ("z", Value::Null)]), &t).unwrap_err();
        assert_eq!(e.message, "unsupported attribute \"z\"");
        // Errors name nested paths.
        let nested = Type::object([("assignment", Type::list(Type::object([("account_id", Type::String)])))]);
        let e = decode_msgpack(
            &hex("81 aa 61 73 73 69 67 6e 6d 65 6e 74 91 81 aa 61 63 63 6f 75 6e 74 5f 69 64 05"),
            &nested,
        )
        .unwrap_err();
        assert_eq!(e.path, ".assignment[0].account_id");
        round_trip(&Value::Object(BTreeMap::new()), &Type::object::<String>([]));
        assert_eq!(enc(&Value::Object(BTreeMap::new()), &Type::object::<String>([])), hex("80"));
    }

    #[test]
    fn dynamic_values() {
        let v = Value::Dynamic(Type::String, Box::new("x".into()));
        let bytes = hex("92 c4 08 22 73 74 72 69 6e 67 22 a1 78");
        assert_eq!(enc(&v, &Type::Dynamic), bytes);
        assert_eq!(decode_msgpack(&bytes, &Type::Dynamic).unwrap(), v);
        // Type JSON as str is accepted too.
        assert_eq!(decode_msgpack(&hex("92 a8 22 73 74 72 69 6e 67 22 a1 78"), &Type::Dynamic).unwrap(), v);
        // Null/unknown dynamic have no wrapper; typed null/unknown do.
        assert_eq!(enc(&Value::Null, &Type::Dynamic), hex("c0"));
        let typed_null = Value::Dynamic(Type::String, Box::new(Value::Null));
        assert_eq!(enc(&typed_null, &Type::Dynamic), hex("92 c4 08 22 73 74 72 69 6e 67 22 c0"));
        round_trip(&typed_null, &Type::Dynamic);
        let t = Type::object([("a", Type::list(Type::Number))]);
        let complex = Value::Dynamic(t.clone(), Box::new(obj(vec![("a", Value::List(vec![1i64.into()]))])));
        round_trip(&complex, &Type::Dynamic);
        let nested = Value::Dynamic(Type::Dynamic, Box::new(Value::Dynamic(Type::Bool, Box::new(true.into()))));
        round_trip(&nested, &Type::Dynamic);
        // A Dynamic value in a slot of its own concrete type is unwrapped.
        assert_eq!(enc(&v, &Type::String), hex("a1 78"));
        assert!(encode_msgpack(&v, &Type::Number).is_err());
        // A dynamic slot needs a Dynamic value.
        assert!(encode_msgpack(&Value::from("x"), &Type::Dynamic).is_err());
        // Malformed wrappers.
        for bad in [
            "a1 78",                               // not an array
            "91 c4 08 22 73 74 72 69 6e 67 22",    // wrong length
            "92 01 a1 78",                         // type not bytes
            "92 c4 03 22 78 22 a1 78",             // unknown type name
            "92 c4 08 22 73 74 72 69 6e 67 22 01", // value mismatches type
            "92 c4 08 22 73 74 72 69 6e 67 22",    // truncated
        ] {
            assert!(decode_msgpack(&hex(bad), &Type::Dynamic).is_err(), "{bad}");
        }
    }

    #[test]
    fn malformed_input_never_panics() {
        let t = Type::object([("a", Type::list(Type::String)), ("b", Type::Number)]);
        for bad in [
            "c1",
            "a5 61",
            "92 a1 61",
            "dc 00",
            "de ff ff",
            "cf 00 00",
            "cb 00",
            "d4 00",
            "c7 05 00 01",
            "db ff ff ff ff",
            "dd ff ff ff ff c0",
            "82 a1 61 90",
            "c0 c0",
            "00",
        ] {
            assert!(decode_msgpack(&hex(bad), &t).is_err(), "{bad}");
        }
        // Trailing bytes.
        assert!(decode_msgpack(&hex("c0 c0"), &Type::String).unwrap_err().message.contains("trailing"));
        // Deep nesting (10k arrays / maps) is refused without exhausting the stack.
        let mut deep = vec![0x91; 10_000];
        deep.push(0xc0);
        let mut ty = Type::String;
        for _ in 0..200 {
            ty = Type::list(ty);
        }
        assert!(decode_msgpack(&deep, &ty).unwrap_err().message.contains("deep"));
        assert!(decode_msgpack(&deep, &Type::list(Type::String)).is_err());
        assert!(decode_msgpack(&deep, &Type::Dynamic).is_err());
        let mut deep_dyn = Vec::new();
        for _ in 0..10_000 {
            deep_dyn.extend_from_slice(&hex("92 c4 09 22 64 79 6e 61 6d 69 63 22"));
        }
        deep_dyn.push(0xc0);
        assert!(decode_msgpack(&deep_dyn, &Type::Dynamic).unwrap_err().message.contains("deep"));
        // Depth exactly at the limit is fine.
        let mut ok = vec![0x91; MAX_DEPTH];
        ok.push(0xc0);
        let mut ty = Type::String;
        for _ in 0..MAX_DEPTH {
            ty = Type::list(ty);
        }
        assert!(decode_msgpack(&ok, &ty).is_ok());
        // Every truncation of a valid encoding fails cleanly.
        let v = obj(vec![
            ("a", Value::List(vec!["x".into(), Value::Unknown(Refinements { not_null: true, ..Default::default() })])),
            ("b", Value::from(222_222_222_222i64)),
        ]);
        let bytes = enc(&v, &t);
        for cut in 0..bytes.len() {
            assert!(decode_msgpack(&bytes[..cut], &t).is_err() || cut == 0);
        }
        // Random garbage never panics.
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let len = (rng.next() % 24) as usize;
            let junk: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let _ = decode_msgpack(&junk, &t);
            let _ = decode_msgpack(&junk, &Type::Dynamic);
        }
    }

    // --- property-style round trips over random types and values --------------------------

    pub(crate) struct XorShift(pub u64);

    impl XorShift {
        pub(crate) fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }

        pub(crate) fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    pub(crate) fn random_type(rng: &mut XorShift, depth: usize) -> Type {
        let leaf = depth >= 3 || rng.below(3) == 0;
        match if leaf { rng.below(4) } else { 4 + rng.below(5) } {
            0 => Type::Bool,
            1 => Type::Number,
            2 => Type::String,
            3 => Type::Dynamic,
            4 => Type::list(random_type(rng, depth + 1)),
            5 => Type::set(random_type(rng, depth + 1)),
            6 => Type::map(random_type(rng, depth + 1)),
            7 => Type::Object((0..rng.below(4)).map(|i| (format!("attr_{i}"), random_type(rng, depth + 1))).collect()),
            _ => Type::Tuple((0..rng.below(3)).map(|_| random_type(rng, depth + 1)).collect()),
        }
    }

    pub(crate) fn random_number(rng: &mut XorShift) -> Number {
        match rng.below(6) {
            0 => Number::Int(rng.next() as i64),
            1 => Number::Int(rng.below(200) as i64 - 100),
            2 => Number::Float((rng.next() as i64) as f64 / 1024.0),
            3 => Number::Float(f64::from_bits(rng.next() & !(0x7ff << 52) | (rng.below(0x7fe) + 1) << 52)),
            4 => Number::Decimal(format!("{}{:020}", rng.below(1000) + 1, rng.next())),
            _ => Number::Decimal(format!("0.{}1", rng.next())),
        }
    }

    pub(crate) fn random_value(rng: &mut XorShift, ty: &Type, allow_unknown: bool, depth: usize) -> Value {
        match rng.below(12) {
            0 => return Value::Null,
            1 if allow_unknown => {
                let mut r = Refinements { not_null: rng.below(2) == 0, ..Default::default() };
                match ty {
                    Type::String if rng.below(2) == 0 => r.string_prefix = Some(format!("p{}", rng.below(99))),
                    Type::Number => {
                        r.number_lower = Some((random_number(rng), rng.below(2) == 0));
                        if rng.below(2) == 0 {
                            r.number_upper = Some((random_number(rng), true));
                        }
                    }
                    t if t.is_collection() => {
                        r.length_min = Some(rng.below(5));
                        r.length_max = Some(5 + rng.below(5));
                    }
                    _ => {}
                }
                return Value::Unknown(r.restricted_to(ty));
            }
            _ => {}
        }
        let elems = |t: &Type, rng: &mut XorShift| {
            (0..rng.below(4)).map(|_| random_value(rng, t, allow_unknown, depth + 1)).collect::<Vec<_>>()
        };
        match ty {
            Type::Bool => Value::Bool(rng.below(2) == 0),
            Type::Number => Value::Number(random_number(rng)),
            Type::String => Value::String(
                (0..rng.below(6)).map(|_| ['a', 'é', '"', '\u{1F600}', '\\', '\0'][rng.below(6) as usize]).collect(),
            ),
            Type::Dynamic => {
                let t = random_type(rng, depth + 1);
                let inner = random_value(rng, &t, allow_unknown, depth + 1);
                Value::Dynamic(t, Box::new(inner))
            }
            Type::List(t) => Value::List(elems(t, rng)),
            Type::Set(t) => Value::Set(elems(t, rng)),
            Type::Map(t) => Value::Map(
                (0..rng.below(4)).map(|i| (format!("k{i}"), random_value(rng, t, allow_unknown, depth + 1))).collect(),
            ),
            Type::Object(attrs) => Value::Object(
                attrs.iter().map(|(k, t)| (k.clone(), random_value(rng, t, allow_unknown, depth + 1))).collect(),
            ),
            Type::Tuple(ts) => {
                Value::Tuple(ts.iter().map(|t| random_value(rng, t, allow_unknown, depth + 1)).collect())
            }
        }
    }

    #[test]
    fn property_round_trip() {
        let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
        for _ in 0..3_000 {
            let ty = random_type(&mut rng, 0);
            let v = random_value(&mut rng, &ty, true, 0);
            v.conforms_to(&ty).unwrap_or_else(|e| panic!("{v:?} vs {ty:?}: {e}"));
            let bytes = encode_msgpack(&v, &ty).unwrap_or_else(|e| panic!("encode {v:?}: {e}"));
            let back = decode_msgpack(&bytes, &ty).unwrap_or_else(|e| panic!("decode {v:?}: {e}"));
            assert_eq!(back, v, "type {ty:?}, bytes {bytes:02x?}");
            // Re-encoding is byte-identical.
            assert_eq!(encode_msgpack(&back, &ty).unwrap(), bytes);
        }
    }
}
