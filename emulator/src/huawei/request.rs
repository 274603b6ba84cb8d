//! What an action handler gets (caller, path parameters, query, JSON body, clock, job settings)
//! and the small helpers they share: typed body fields, query flags and marker paging.

use serde_json::{Map, Value, json};

use super::error::HwError;
use super::model::JobFault;
use super::routes::{Route, Service};

/// One authenticated call, as the action handlers see it.
pub struct Ctx<'a> {
    /// The calling account (from the credential).
    pub caller: &'a str,
    pub route: &'a Route,
    /// Decoded query pairs, in their order.
    pub query: &'a [(String, String)],
    /// The JSON body (empty when there is none).
    pub body: &'a Map<String, Value>,
    /// Unix milliseconds.
    pub now: i64,
    /// How an injected asynchronous fault shapes the job this call starts.
    pub job_fault: Option<JobFault>,
    pub operation_ms: u64,
    pub assignment_ms: u64,
}

/// A successful answer: HTTP status, JSON body (`None`: empty body), and whether the world changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Executed {
    pub status: u16,
    pub body: Option<Value>,
    pub mutated: bool,
}

impl Executed {
    pub fn read(body: Value) -> Self {
        Executed { status: 200, body: Some(body), mutated: false }
    }

    pub fn changed(body: Value) -> Self {
        Executed { status: 200, body: Some(body), mutated: true }
    }

    /// HTTP 200 with an empty body.
    pub fn empty() -> Self {
        Executed { status: 200, body: None, mutated: true }
    }
}

impl Ctx<'_> {
    pub fn service(&self) -> Service {
        self.route.action.service()
    }

    pub fn path(&self, name: &str) -> &str {
        self.route.param(name)
    }

    /// The first value of query parameter `name`.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The service's 400 (`RGC.400`, `IdentityCenter.400`, `Organizations.400`).
    pub fn bad_request(&self, why: impl std::fmt::Display) -> HwError {
        HwError::new(400, format!("{}.400", self.service().code_prefix()), format!("Bad Request: {why}"))
    }

    /// A required non-empty query parameter.
    pub fn required_query(&self, name: &str) -> Result<&str, HwError> {
        match self.query(name) {
            Some(value) if !value.is_empty() => Ok(value),
            _ => Err(self.bad_request(format_args!("the query parameter {name} is required"))),
        }
    }

    /// An optional boolean query flag (`true`/`false`).
    pub fn query_flag(&self, name: &str) -> Result<bool, HwError> {
        match self.query(name) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(self.bad_request(format_args!("{name} must be true or false, got {other:?}"))),
        }
    }

    /// An optional string field of the body; another JSON type is a 400.
    pub fn body_str(&self, name: &str) -> Result<Option<&str>, HwError> {
        match self.body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.bad_request(format_args!("{name} must be a string"))),
        }
    }

    /// A required, non-empty string field of the body.
    pub fn required_str(&self, name: &str) -> Result<&str, HwError> {
        match self.body_str(name)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            _ => Err(self.bad_request(format_args!("{name} is required"))),
        }
    }

    /// A required string field that must be one of `allowed`.
    pub fn required_enum(&self, name: &str, allowed: &[&str]) -> Result<&str, HwError> {
        let value = self.required_str(name)?;
        if allowed.contains(&value) {
            Ok(value)
        } else {
            Err(self.bad_request(format_args!("{name} must be one of {}, got {value:?}", allowed.join("|"))))
        }
    }

    /// `limit` (1..=`max`, default `default`) and `marker` for a listing.
    pub fn page(&self, max: usize, default: usize) -> Result<Page, HwError> {
        let limit = match self.query("limit") {
            None => default,
            Some(text) => match text.parse::<usize>() {
                Ok(n) if (1..=max).contains(&n) => n,
                _ => {
                    return Err(
                        self.bad_request(format_args!("limit must be an integer from 1 to {max}, got {text:?}"))
                    );
                }
            },
        };
        let marker = match self.query("marker") {
            None => None,
            Some("") => return Err(self.bad_request("marker must not be empty")),
            Some(marker) => Some(marker.to_owned()),
        };
        Ok(Page { limit, marker })
    }
}

/// Marker paging: the items are in ascending order of a stable key; a page holds up to `limit`
/// items whose key is greater than the marker, and `next_marker` is the key of the last item on
/// the page when more follow. A marker never goes stale: items deleted between pages are simply
/// not there any more.
pub struct Page {
    pub limit: usize,
    pub marker: Option<String>,
}

impl Page {
    /// The page of `items` (sorted by `key`) and the `page_info` object.
    pub fn apply<T>(&self, items: Vec<T>, key: impl Fn(&T) -> String) -> (Vec<T>, Value) {
        let mut rest: Vec<T> =
            items.into_iter().filter(|item| self.marker.as_ref().is_none_or(|m| key(item) > *m)).collect();
        let more = rest.len() > self.limit;
        rest.truncate(self.limit);
        let next_marker = if more { rest.last().map(&key) } else { None };
        let page_info = json!({
            "next_marker": next_marker,
            "current_count": rest.len(),
        });
        (rest, page_info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_paging() {
        let page = Page { limit: 2, marker: None };
        let (items, info) = page.apply(vec!["a", "b", "c"], |s| s.to_string());
        assert_eq!(items, ["a", "b"]);
        assert_eq!(info, json!({"next_marker": "b", "current_count": 2}));
        let page = Page { limit: 2, marker: Some("b".into()) };
        let (items, info) = page.apply(vec!["a", "b", "c"], |s| s.to_string());
        assert_eq!(items, ["c"]);
        assert_eq!(info, json!({"next_marker": null, "current_count": 1}));
        // Exactly one full page: no next marker.
        let page = Page { limit: 3, marker: None };
        assert_eq!(page.apply(vec!["a", "b", "c"], |s| s.to_string()).1["next_marker"], Value::Null);
    }
}
