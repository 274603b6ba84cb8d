//! ZStack's query API: the conditions of its query language (`?q=field<op>value`, ANDed) and
//! paging through every result with `limit` and `start`.

use std::fmt;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{ZStackClient, de, invalid};
use crate::clouds::error::{Cloud, CloudError, ErrorKind};

/// Page size for queries (ZStack's own default limit is 1000).
pub(crate) const PAGE_LIMIT: usize = 1000;
/// Upper bound on pages per query.
pub(crate) const MAX_PAGES: usize = 100;

/// An operator of ZStack's query language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueryOp {
    /// `=`
    Eq,
    /// `!=`
    NotEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `?=`: the value is a comma-separated list.
    In,
    /// `!?=`
    NotIn,
    /// `~=`: SQL LIKE, `%` and `_` are wildcards.
    Like,
    /// `!~=`
    NotLike,
    /// `is null` (no value)
    IsNull,
    /// `not null` (no value)
    NotNull,
}

impl QueryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            QueryOp::Eq => "=",
            QueryOp::NotEq => "!=",
            QueryOp::Gt => ">",
            QueryOp::GtEq => ">=",
            QueryOp::Lt => "<",
            QueryOp::LtEq => "<=",
            QueryOp::In => "?=",
            QueryOp::NotIn => "!?=",
            QueryOp::Like => "~=",
            QueryOp::NotLike => "!~=",
            QueryOp::IsNull => "is null",
            QueryOp::NotNull => "not null",
        }
    }

    fn takes_value(self) -> bool {
        !matches!(self, QueryOp::IsNull | QueryOp::NotNull)
    }
}

/// The operators in the order the management node tries them on a condition (an operator
/// contained in another comes after it); the first one the condition contains is the one used.
const SERVER_OP_ORDER: [QueryOp; 12] = [
    QueryOp::NotEq,
    QueryOp::GtEq,
    QueryOp::LtEq,
    QueryOp::NotIn,
    QueryOp::NotLike,
    QueryOp::Like,
    QueryOp::In,
    QueryOp::Eq,
    QueryOp::Gt,
    QueryOp::Lt,
    QueryOp::IsNull,
    QueryOp::NotNull,
];

/// One `q=<field><op><value>` condition; several are ANDed.
///
/// ```
/// use tether::clouds::zstack::Condition;
/// let c = Condition::eq("projectUuid", "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01");
/// assert_eq!(c.to_query_value(), "projectUuid=6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01");
/// assert_eq!(Condition::is_null("parentUuid").to_query_value(), "parentUuid is null");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Condition {
    field: String,
    op: QueryOp,
    value: String,
}

impl Condition {
    /// `value` is ignored for `IsNull` / `NotNull`.
    pub fn new(field: impl Into<String>, op: QueryOp, value: impl Into<String>) -> Self {
        let value = if op.takes_value() { value.into() } else { String::new() };
        Self { field: field.into(), op, value }
    }

    pub fn eq(field: impl Into<String>, value: impl Into<String>) -> Self {
        Self::new(field, QueryOp::Eq, value)
    }

    pub fn not_eq(field: impl Into<String>, value: impl Into<String>) -> Self {
        Self::new(field, QueryOp::NotEq, value)
    }

    /// SQL LIKE: `%` matches any run, `_` one character.
    pub fn like(field: impl Into<String>, pattern: impl Into<String>) -> Self {
        Self::new(field, QueryOp::Like, pattern)
    }

    pub fn not_like(field: impl Into<String>, pattern: impl Into<String>) -> Self {
        Self::new(field, QueryOp::NotLike, pattern)
    }

    /// The field is one of `values` (which must not contain commas).
    pub fn in_list<I, S>(field: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::new(field, QueryOp::In, join(values))
    }

    pub fn not_in_list<I, S>(field: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::new(field, QueryOp::NotIn, join(values))
    }

    pub fn is_null(field: impl Into<String>) -> Self {
        Self::new(field, QueryOp::IsNull, "")
    }

    pub fn not_null(field: impl Into<String>) -> Self {
        Self::new(field, QueryOp::NotNull, "")
    }

    pub fn field(&self) -> &str {
        &self.field
    }

    pub fn op(&self) -> QueryOp {
        self.op
    }

    pub fn value(&self) -> &str {
        &self.value
    }

    /// The value of the `q` parameter, unencoded: `projectUuid=<uuid>`, `parentUuid is null`.
    pub fn to_query_value(&self) -> String {
        if self.op.takes_value() {
            format!("{}{}{}", self.field, self.op.as_str(), self.value)
        } else {
            format!("{} {}", self.field, self.op.as_str())
        }
    }

    /// Checks that the management node will read this condition back as written: it takes the
    /// first operator (in its own order) the text contains and splits there, so a value holding
    /// another operator, a comma inside a list value, or an empty value would be misread.
    pub fn validate(&self, action: &str) -> Result<(), CloudError> {
        let bad = |why: &str| Err(invalid(action, format!("query condition {:?} {why}", self.to_query_value())));
        let field_ok =
            !self.field.is_empty() && self.field.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
        if !field_ok {
            return bad("needs a field name of letters, digits, '_' and '.'");
        }
        if !self.op.takes_value() {
            return Ok(());
        }
        if self.value.is_empty() {
            return bad("has no value");
        }
        if self.value.starts_with('=') {
            return bad("has a value starting with '='");
        }
        if matches!(self.op, QueryOp::In | QueryOp::NotIn) && self.value.split(',').any(|v| v.is_empty()) {
            return bad("has an empty list item");
        }
        let text = self.to_query_value();
        let parsed = SERVER_OP_ORDER
            .iter()
            .find_map(|op| text.split_once(op.as_str()).map(|(name, value)| (name.trim(), *op, value)));
        match parsed {
            Some((name, op, value)) if name == self.field && op == self.op && value == self.value => Ok(()),
            _ => bad("would be misread by ZStack: the value contains a query operator"),
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_query_value())
    }
}

fn join<I, S>(values: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    values.into_iter().map(|v| v.as_ref().to_owned()).collect::<Vec<_>>().join(",")
}

impl ZStackClient {
    /// Runs a query API over all pages: `q` conditions (ANDed), `limit` and `start`.
    pub(crate) async fn query_all<T: DeserializeOwned>(
        &self,
        action: &'static str,
        path: &[&str],
        conditions: &[Condition],
    ) -> Result<Vec<T>, CloudError> {
        for condition in conditions {
            condition.validate(action)?;
        }
        let mut all = Vec::new();
        let mut start = 0usize;
        for _ in 0..MAX_PAGES {
            let mut query: Vec<(&str, String)> = conditions.iter().map(|c| ("q", c.to_query_value())).collect();
            query.push(("limit", PAGE_LIMIT.to_string()));
            query.push(("start", start.to_string()));
            let page: Inventories<T> = self.get_json(action, path, &query).await?;
            let n = page.inventories.len();
            all.extend(page.inventories);
            // A short page is the last; a long one means the server ignored the paging.
            if n != PAGE_LIMIT {
                return Ok(all);
            }
            start += n;
        }
        Err(CloudError::new(
            ErrorKind::Other,
            Cloud::ZStack,
            action,
            format!("stopped after {MAX_PAGES} pages of {PAGE_LIMIT}"),
        ))
    }
}

/// `{"inventories": [...]}` of a query.
#[derive(Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
pub(crate) struct Inventories<T> {
    #[serde(default, deserialize_with = "de::vec")]
    pub inventories: Vec<T>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_render_and_validate() {
        let cases = [
            (Condition::eq("projectUuid", "abc"), "projectUuid=abc"),
            (Condition::not_eq("state", "Enabled"), "state!=Enabled"),
            (Condition::new("createDate", QueryOp::Gt, "1"), "createDate>1"),
            (Condition::new("createDate", QueryOp::GtEq, "1"), "createDate>=1"),
            (Condition::new("createDate", QueryOp::Lt, "1"), "createDate<1"),
            (Condition::new("createDate", QueryOp::LtEq, "1"), "createDate<=1"),
            (Condition::in_list("uuid", ["a", "b"]), "uuid?=a,b"),
            (Condition::not_in_list("uuid", vec!["a".to_owned()]), "uuid!?=a"),
            (Condition::like("name", "%pay_"), "name~=%pay_"),
            (Condition::not_like("name", "x%"), "name!~=x%"),
            (Condition::is_null("parentUuid"), "parentUuid is null"),
            (Condition::not_null("parentUuid"), "parentUuid not null"),
            (Condition::eq("organization.name", "Finance Dept"), "organization.name=Finance Dept"),
            (Condition::eq("name", "a<b"), "name=a<b"),
        ];
        for (condition, text) in cases {
            assert_eq!(condition.to_query_value(), text);
            assert_eq!(condition.to_string(), text);
            condition.validate("Q").unwrap_or_else(|e| panic!("{text}: {e}"));
        }
        assert_eq!(Condition::new("f", QueryOp::IsNull, "ignored").value(), "");
        let c = Condition::eq("projectUuid", "abc");
        assert_eq!((c.field(), c.op(), c.value()), ("projectUuid", QueryOp::Eq, "abc"));

        for bad in [
            Condition::eq("", "x"),
            Condition::eq("na me", "x"),
            Condition::eq("name", ""),
            Condition::eq("name", "=x"),
            Condition::eq("name", "a!=b"),
            Condition::eq("name", "a>=b"),
            Condition::like("name", "a!=b"),
            Condition::new("createDate", QueryOp::Gt, "=1"),
            Condition::in_list("uuid", ["a", ""]),
            Condition::in_list("uuid", Vec::<String>::new()),
            Condition::is_null("a=b"),
        ] {
            let e = bad.validate("Q").unwrap_err();
            assert_eq!(e.kind, ErrorKind::Invalid, "{bad}");
        }
    }
}
