//! Request parameters: extraction (JSON body or GET query) and typed access with Tencent's
//! parameter errors (`MissingParameter`, `InvalidParameter`, `UnknownParameter`).
//!
//! Integers are accepted as JSON numbers or as numeric strings: Tencent's own documentation sends
//! `"MemberUin":"100000546922"`, and GET requests can only carry strings.

use serde_json::{Map, Value};

use super::error::{TcError, codes};

/// The API parameters of a request as a JSON object: the body of a POST, or for GET the query
/// string decoded and un-flattened the way the SDKs flatten it (`Ids.0=1&Ids.1=2` becomes
/// `{"Ids":["1","2"]}`).
pub fn from_request(method: &str, query: &str, body: &[u8]) -> Result<Value, TcError> {
    if method == "GET" {
        return from_query(query);
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(TcError::invalid("body", "the request body must be a JSON object")),
        Err(err) => Err(TcError::invalid("body", format_args!("the request body is not valid JSON ({err})"))),
    }
}

/// The decoded GET query as a flat object (`{"Ids.0":"1"}`), without un-flattening: what the
/// audit log shows for a request refused before its parameters were read (at authentication),
/// so an unauthenticated query costs memory in proportion to its length, never more. A repeated
/// name keeps its last value.
pub fn flat_query(query: &str) -> Value {
    let mut root = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()).take(MAX_QUERY_PARAMS) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        root.insert(percent_decode(key), Value::String(percent_decode(value)));
    }
    Value::Object(root)
}

fn from_query(query: &str) -> Result<Value, TcError> {
    let mut root = Map::new();
    let pairs = query.split('&').filter(|p| !p.is_empty());
    if pairs.clone().count() > MAX_QUERY_PARAMS {
        return Err(TcError::new(
            codes::REQUEST_SIZE_LIMIT_EXCEEDED,
            format!("The request has more than {MAX_QUERY_PARAMS} query parameters."),
        ));
    }
    // Padding list slots up to an index costs memory the query does not pay for: `A0.1000=&…`
    // made 16 KB of query into 45 MB of JSON nulls. Each request gets a budget.
    let mut slots = MAX_FLAT_SLOTS;
    for pair in pairs {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (key, value) = (percent_decode(key), percent_decode(value));
        let path: Vec<&str> = key.split('.').collect();
        if path.len() > MAX_FLAT_SEGMENTS {
            return Err(TcError::invalid(&key, "too deeply nested flattened parameter"));
        }
        let (head, rest) = path.split_first().unwrap_or((&"", &[]));
        let slot = root.entry((*head).to_owned()).or_insert(Value::Null);
        insert(slot, rest, Value::String(value), &mut slots).map_err(|refusal| match refusal {
            Refusal::Conflict => TcError::invalid(&key, "conflicting or out-of-range flattened parameter"),
            Refusal::TooLarge => TcError::new(
                codes::REQUEST_SIZE_LIMIT_EXCEEDED,
                format!("The flattened query parameters expand to more than {MAX_FLAT_SLOTS} list items (at `{key}`)."),
            ),
        })?;
    }
    Ok(Value::Object(root))
}

/// Largest list index accepted from a flattened GET parameter (guards against `A.99999999=x`).
const MAX_FLAT_INDEX: usize = 1000;
/// Most `.`-separated segments a flattened GET parameter name may have (the SDKs' deepest,
/// `Filters.0.Values.1`, has four). [`insert`] recurses once per segment: unbounded, one long
/// name (`GET /?a.....=1`, 20 KB, no credentials needed) overflowed the worker thread's stack
/// and aborted the emulator.
const MAX_FLAT_SEGMENTS: usize = 32;
/// Most list items (values and the nulls padding up to an index) one GET query may expand to.
/// The largest real call, a Bind with 5 sub-accounts, needs 5.
pub const MAX_FLAT_SLOTS: usize = 10_000;
/// Most parameters one GET query may have (the largest real call has 7).
pub const MAX_QUERY_PARAMS: usize = 1000;

enum Refusal {
    /// The same name twice, a list and an object at one name, or an index over the maximum.
    Conflict,
    /// Over [`MAX_FLAT_SLOTS`].
    TooLarge,
}

fn insert(slot: &mut Value, path: &[&str], value: Value, slots: &mut usize) -> Result<(), Refusal> {
    let Some((segment, rest)) = path.split_first() else {
        if !slot.is_null() {
            return Err(Refusal::Conflict); // the same key twice
        }
        *slot = value;
        return Ok(());
    };
    if let Ok(index) = segment.parse::<usize>() {
        if slot.is_null() {
            *slot = Value::Array(Vec::new());
        }
        let Value::Array(items) = slot else {
            return Err(Refusal::Conflict);
        };
        if index > MAX_FLAT_INDEX {
            return Err(Refusal::Conflict);
        }
        if items.len() <= index {
            let added = index + 1 - items.len();
            *slots = slots.checked_sub(added).ok_or(Refusal::TooLarge)?;
            items.resize(index + 1, Value::Null);
        }
        insert(&mut items[index], rest, value, slots)
    } else {
        if slot.is_null() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(map) = slot else {
            return Err(Refusal::Conflict);
        };
        insert(map.entry((*segment).to_owned()).or_insert(Value::Null), rest, value, slots)
    }
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() && hex_value(bytes[i + 1]).is_some() && hex_value(bytes[i + 2]).is_some() => {
                out.push(hex_value(bytes[i + 1]).unwrap_or(0) << 4 | hex_value(bytes[i + 2]).unwrap_or(0));
                i += 2;
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(digit: u8) -> Option<u8> {
    (digit as char).to_digit(16).map(|d| d as u8)
}

/// The parameters of one call, with typed accessors.
#[derive(Debug, Clone)]
pub struct Params(Map<String, Value>);

impl Params {
    pub fn new(value: Value) -> Result<Self, TcError> {
        match value {
            Value::Object(map) => Ok(Params(map)),
            _ => Err(TcError::invalid("body", "the request body must be a JSON object")),
        }
    }

    /// `UnknownParameter` for the first name not in `allowed`.
    pub fn allow_only(&self, allowed: &[&str]) -> Result<(), TcError> {
        match self.0.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(unknown) => Err(TcError::unknown(unknown)),
            None => Ok(()),
        }
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>, TcError> {
        self.get(name).map(|v| as_int(v).ok_or_else(|| TcError::invalid(name, "expected an integer"))).transpose()
    }

    pub fn required_int(&self, name: &str) -> Result<i64, TcError> {
        self.int(name)?.ok_or_else(|| TcError::missing(name))
    }

    pub fn required_int_list(&self, name: &str) -> Result<Vec<i64>, TcError> {
        let value = self.get(name).ok_or_else(|| TcError::missing(name))?;
        let Value::Array(items) = value else {
            return Err(TcError::invalid(name, "expected an array of integers"));
        };
        items
            .iter()
            .map(|item| as_int(item).ok_or_else(|| TcError::invalid(name, "expected an array of integers")))
            .collect()
    }

    pub fn string(&self, name: &str) -> Result<Option<String>, TcError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(TcError::invalid(name, "expected a string")),
        }
    }
}

fn as_int(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn get_queries_are_unflattened() {
        let value =
            from_request("GET", "MemberUin=1&OrgSubAccountUins.0=7&OrgSubAccountUins.1=8&SearchKey=a%20b+c", b"")
                .unwrap();
        assert_eq!(value, json!({"MemberUin": "1", "OrgSubAccountUins": ["7", "8"], "SearchKey": "a b c"}));
        assert!(from_request("GET", "A.0=1&A.x=2", b"").is_err());
        assert!(from_request("GET", "A=1&A=2", b"").is_err());
        assert!(from_request("GET", "A.5000=1", b"").is_err());
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn deeply_nested_names_are_refused() {
        // Found while writing fuzz/fuzz_targets/emulator_tencent_params.rs: this used to recurse
        // 32 000 levels deep and overflow the stack, killing the test (and the emulator).
        let deep = format!("a{}=1", ".b".repeat(32_000));
        assert_eq!(from_request("GET", &deep, b"").unwrap_err().code, "InvalidParameter");
        let deepest = format!("a{}=1", ".0".repeat(MAX_FLAT_SEGMENTS - 1));
        let mut expected = json!("1");
        for _ in 1..MAX_FLAT_SEGMENTS {
            expected = json!([expected]);
        }
        assert_eq!(from_request("GET", &deepest, b"").unwrap(), json!({ "a": expected }));
    }

    #[test]
    fn expansion_is_bounded() {
        // 16 KB of `aN.1000=` used to expand to ~1500 lists of 1001 nulls (45 MB).
        let query: Vec<String> = (0..1450).map(|i| format!("a{i}.1000=")).collect();
        let err = from_request("GET", &query.join("&"), b"").unwrap_err();
        assert_eq!(err.code, "RequestSizeLimitExceeded");
        // Up to the budget is fine: nine lists padded to index 1000.
        let query: Vec<String> = (0..9).map(|i| format!("a{i}.1000=x")).collect();
        assert!(from_request("GET", &query.join("&"), b"").is_ok());
        let many: Vec<String> = (0..=MAX_QUERY_PARAMS).map(|i| format!("a{i}=1")).collect();
        let err = from_request("GET", &many.join("&"), b"").unwrap_err();
        assert_eq!(err.code, "RequestSizeLimitExceeded");
        assert_eq!(flat_query("A.0=1&B=x%20y&A.0=2"), json!({"A.0": "2", "B": "x y"}));
    }

    #[test]
    fn post_bodies_must_be_objects() {
        assert_eq!(from_request("POST", "", b"").unwrap(), json!({}));
        assert!(from_request("POST", "", b"[1]").is_err());
        assert!(from_request("POST", "", b"{").is_err());
    }

    #[test]
    fn integers_from_numbers_or_strings() {
        let params =
            Params::new(json!({"A": 5, "B": "6", "C": "x", "D": 1.5, "E": [1, "2"], "F": [true], "G": null})).unwrap();
        assert_eq!(params.int("A").unwrap(), Some(5));
        assert_eq!(params.int("B").unwrap(), Some(6));
        assert_eq!(params.int("C").unwrap_err().code, "InvalidParameter");
        assert_eq!(params.int("D").unwrap_err().code, "InvalidParameter");
        assert_eq!(params.required_int_list("E").unwrap(), [1, 2]);
        assert_eq!(params.required_int_list("F").unwrap_err().code, "InvalidParameter");
        assert_eq!(params.required_int("G").unwrap_err().code, "MissingParameter");
        assert!(params.allow_only(&["A", "B", "C", "D", "E", "F"]).unwrap_err().message.contains("`G`"));
    }
}
