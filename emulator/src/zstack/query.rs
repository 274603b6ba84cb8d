//! ZStack's query language for the `Query*` GET APIs: repeatable `q=<field><op><value>`
//! conditions (ANDed), `limit` (default 1000), `start`, `count=true`, `replyWithCount=true`,
//! `sort=+f|-f|f` and `fields=a,b`.
//!
//! Parsing mirrors the management node's `RestServer.handleQueryApi` (its 400s are REST-layer
//! errors); evaluation mirrors SQL: a condition on a NULL field is false except `is null`, and
//! `~=`/`!~=` are LIKE patterns with `%` and `_`. Comparisons are case-sensitive (a MySQL-backed
//! management node may compare case-insensitively; UNCONFIRMED). Conditions on date fields,
//! joined fields (`a.b`) and `groupBy` are not emulated.

use std::cmp::Ordering;

use serde_json::{Map, Value, json};

use super::error::{ZsError, codes};

/// Operators in the order the REST server looks for them: the first one *contained* in a
/// condition decides (so `!=` must come before `=`).
const OPERATORS: [(&str, Op); 12] = [
    ("!=", Op::NotEq),
    (">=", Op::Ge),
    ("<=", Op::Le),
    ("!?=", Op::NotIn),
    ("!~=", Op::NotLike),
    ("~=", Op::Like),
    ("?=", Op::In),
    ("=", Op::Eq),
    (">", Op::Gt),
    ("<", Op::Lt),
    ("is null", Op::IsNull),
    ("not null", Op::NotNull),
];

pub const DEFAULT_LIMIT: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    NotEq,
    Gt,
    Lt,
    Ge,
    Le,
    In,
    NotIn,
    Like,
    NotLike,
    IsNull,
    NotNull,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub name: String,
    pub op: Op,
    /// None for `is null` / `not null`.
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub conditions: Vec<Condition>,
    pub limit: usize,
    pub start: usize,
    pub count: bool,
    pub reply_with_count: bool,
    /// Field and ascending?
    pub sort: Option<(String, bool)>,
    pub fields: Option<Vec<String>>,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            conditions: Vec::new(),
            limit: DEFAULT_LIMIT,
            start: 0,
            count: false,
            reply_with_count: false,
            sort: None,
            fields: None,
        }
    }
}

impl Query {
    /// `GET …/{uuid}`: the one resource, whatever else the query string says.
    pub fn by_uuid(uuid: &str) -> Self {
        Query {
            conditions: vec![Condition { name: "uuid".into(), op: Op::Eq, value: Some(uuid.to_owned()) }],
            ..Query::default()
        }
    }

    /// Parses decoded query pairs. Like a servlet's parameter map, a repeated parameter counts
    /// with its first value, except `q`, which counts with every value.
    pub fn parse(pairs: &[(String, String)]) -> Result<Query, ZsError> {
        let mut query = Query::default();
        let first = |name: &str| pairs.iter().find(|(k, _)| k.trim() == name).map(|(_, v)| v.trim());
        if let Some(limit) = first("limit") {
            query.limit = non_negative("limit", limit)?;
        }
        if let Some(start) = first("start") {
            query.start = non_negative("start", start)?;
        }
        query.count = first("count").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        query.reply_with_count = first("replyWithCount").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if let Some(sort) = first("sort") {
            let (field, ascending) = match (sort.strip_prefix('+'), sort.strip_prefix('-')) {
                (Some(field), _) => (field, true),
                (_, Some(field)) => (field, false),
                _ => (sort, true),
            };
            query.sort = Some((field.to_owned(), ascending));
        }
        if let Some(fields) = first("fields") {
            let fields: Vec<String> =
                fields.split(',').map(|f| f.trim().to_owned()).filter(|f| !f.is_empty()).collect();
            if fields.is_empty() {
                return Err(ZsError::bad_request("Invalid query parameter. 'fields' contains zero field"));
            }
            query.fields = Some(fields);
        }
        for (_, condition) in pairs.iter().filter(|(k, _)| k.trim() == "q") {
            query.conditions.push(parse_condition(condition)?);
        }
        Ok(query)
    }
}

fn non_negative(name: &str, text: &str) -> Result<usize, ZsError> {
    match text.parse::<i64>() {
        Ok(n) => usize::try_from(n).map_err(|_| {
            ZsError::bad_request(format!("Invalid query parameter. '{name}' must be a non-negative integer"))
        }),
        Err(_) => Err(ZsError::bad_request(format!("Invalid query parameter. '{name}' must be an integer"))),
    }
}

fn parse_condition(condition: &str) -> Result<Condition, ZsError> {
    let Some((token, op)) = OPERATORS.iter().find(|(token, _)| condition.contains(token)) else {
        let valid: Vec<&str> = OPERATORS.iter().map(|(t, _)| *t).collect();
        return Err(ZsError::bad_request(format!(
            "Invalid query parameter. The '{condition}' in the parameter[q] doesn't contain any query operator. Valid query operators are [{}]",
            valid.join(", ")
        )));
    };
    let (name, value) = condition.split_once(token).expect("the operator is contained");
    let name = name.trim().to_owned();
    if matches!(op, Op::IsNull | Op::NotNull) {
        return Ok(Condition { name, op: *op, value: None });
    }
    // The value is not trimmed: a space is valid in some conditions.
    if name.is_empty() || value.is_empty() {
        return Err(ZsError::bad_request(format!(
            "Invalid query parameter. The '{condition}' in parameter[q] is not a key-value pair split by {token}"
        )));
    }
    Ok(Condition { name, op: *op, value: Some(value.to_owned()) })
}

/// The type of a queryable inventory field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// A string (uuid, name, state…), possibly null.
    Text,
    /// An integer (`id` of a ref).
    Number,
    /// A timestamp (sortable; conditions on it are not emulated).
    Time,
    /// A list of joined objects (`attributes`): selectable with `fields`, nothing else.
    List,
}

/// A field's value in one row, for conditions and sorting.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue<'a> {
    Text(Option<&'a str>),
    Number(i64),
    Time(i64),
    List,
}

/// A resource that can be queried.
pub trait Queryable {
    /// The inventory class named in error messages.
    const INVENTORY_CLASS: &'static str;
    /// Every field of the inventory and its type.
    const FIELDS: &'static [(&'static str, FieldType)];

    fn field(&self, name: &str) -> FieldValue<'_>;
    /// The inventory as JSON, with every field of [`Queryable::FIELDS`].
    fn inventory(&self) -> Map<String, Value>;

    /// The type of field `name`, or None when the inventory has no such field.
    fn field_type(name: &str) -> Option<FieldType> {
        Self::FIELDS.iter().find(|(field, _)| *field == name).map(|(_, kind)| *kind)
    }
}

/// Runs `query` over `rows` (in their natural order) and builds the reply body:
/// `{"inventories":[…]}` (+ `"total"` with `replyWithCount`), or `{"total":n}` with `count`.
pub fn run<T: Queryable>(query: &Query, rows: &[T]) -> Result<Value, ZsError> {
    for condition in &query.conditions {
        check_field::<T>(&condition.name, "condition name")?;
        if matches!(T::field_type(&condition.name), Some(FieldType::Time | FieldType::List)) {
            return Err(ZsError::failed(
                codes::UNIMPLEMENTED,
                format!("tether-emulator does not support query conditions on the field[{}]", condition.name),
            ));
        }
        if T::field_type(&condition.name) == Some(FieldType::Number) {
            for value in condition_values(condition) {
                if value.trim().parse::<i64>().is_err() {
                    return Err(ZsError::invalid_argument(format!(
                        "the value[{value}] of the condition[{}] is not a number",
                        condition.name
                    )));
                }
            }
        }
    }
    if let Some((field, _)) = &query.sort {
        check_field::<T>(field, "sort field")?;
        if T::field_type(field) == Some(FieldType::List) {
            return Err(ZsError::invalid_argument(format!("cannot sort by the field[{field}]")));
        }
    }
    if let Some(fields) = &query.fields {
        for field in fields {
            check_field::<T>(field, "field")?;
        }
    }

    let mut matched: Vec<&T> = rows.iter().filter(|row| query.conditions.iter().all(|c| matches(*row, c))).collect();
    let total = matched.len();
    if query.count {
        return Ok(json!({ "total": total }));
    }
    if let Some((field, ascending)) = &query.sort {
        matched.sort_by(|a, b| {
            let ordering = compare_for_sort(&a.field(field), &b.field(field));
            if *ascending { ordering } else { ordering.reverse() }
        });
    }
    let inventories: Vec<Value> = matched
        .into_iter()
        .skip(query.start)
        .take(query.limit)
        .map(|row| {
            let mut inventory = row.inventory();
            if let Some(fields) = &query.fields {
                inventory.retain(|key, _| fields.iter().any(|f| f == key));
            }
            Value::Object(inventory)
        })
        .collect();
    let mut body = json!({ "inventories": inventories });
    if query.reply_with_count {
        body["total"] = json!(total);
    }
    Ok(body)
}

fn check_field<T: Queryable>(name: &str, what: &str) -> Result<(), ZsError> {
    if T::field_type(name).is_some() {
        return Ok(());
    }
    if name.contains('.') {
        return Err(ZsError::failed(
            codes::UNIMPLEMENTED,
            format!("tether-emulator does not support queries on joined fields such as [{name}]"),
        ));
    }
    Err(ZsError::invalid_argument(format!(
        "{what}[{name}] is invalid, no such field on inventory class[{}]",
        T::INVENTORY_CLASS
    )))
}

fn condition_values(condition: &Condition) -> Vec<&str> {
    match (condition.op, condition.value.as_deref()) {
        (Op::In | Op::NotIn, Some(value)) => value.split(',').collect(),
        (_, Some(value)) => vec![value],
        (_, None) => Vec::new(),
    }
}

fn matches<T: Queryable>(row: &T, condition: &Condition) -> bool {
    let field = row.field(&condition.name);
    let present = match &field {
        FieldValue::Text(text) => text.is_some(),
        _ => true,
    };
    match condition.op {
        Op::IsNull => return !present,
        Op::NotNull => return present,
        _ if !present => return false, // SQL: a comparison with NULL is never true
        _ => {}
    }
    let values = condition_values(condition);
    let compare = |value: &str| -> Option<Ordering> {
        match &field {
            FieldValue::Text(Some(text)) => Some((*text).cmp(value)),
            FieldValue::Number(n) => value.trim().parse::<i64>().ok().map(|v| n.cmp(&v)),
            _ => None,
        }
    };
    let text = match &field {
        FieldValue::Text(Some(text)) => (*text).to_owned(),
        FieldValue::Number(n) => n.to_string(),
        _ => String::new(),
    };
    match condition.op {
        Op::Eq => compare(values[0]) == Some(Ordering::Equal),
        Op::NotEq => compare(values[0]).is_some_and(|o| o != Ordering::Equal),
        Op::Gt => compare(values[0]) == Some(Ordering::Greater),
        Op::Lt => compare(values[0]) == Some(Ordering::Less),
        Op::Ge => compare(values[0]).is_some_and(|o| o != Ordering::Less),
        Op::Le => compare(values[0]).is_some_and(|o| o != Ordering::Greater),
        Op::In => values.iter().any(|v| compare(v) == Some(Ordering::Equal)),
        Op::NotIn => values.iter().all(|v| compare(v).is_some_and(|o| o != Ordering::Equal)),
        Op::Like => like(&text, values[0]),
        Op::NotLike => !like(&text, values[0]),
        Op::IsNull | Op::NotNull => unreachable!("handled above"),
    }
}

/// NULLs first (MySQL's ascending order), then by value.
fn compare_for_sort(a: &FieldValue<'_>, b: &FieldValue<'_>) -> Ordering {
    match (a, b) {
        (FieldValue::Text(a), FieldValue::Text(b)) => a.cmp(b),
        (FieldValue::Number(a), FieldValue::Number(b)) | (FieldValue::Time(a), FieldValue::Time(b)) => a.cmp(b),
        _ => Ordering::Equal,
    }
}

/// SQL LIKE: `%` any run, `_` one character, `\` escapes the next character.
pub fn like(text: &str, pattern: &str) -> bool {
    #[derive(Clone, Copy)]
    enum Token {
        Any,
        One,
        Char(char),
    }
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '%' => Token::Any,
            '_' => Token::One,
            '\\' => Token::Char(chars.next().unwrap_or('\\')),
            c => Token::Char(c),
        });
    }
    let text: Vec<char> = text.chars().collect();
    // matched[j]: the first i text characters match the first j tokens (iterated over i).
    let mut matched = vec![false; tokens.len() + 1];
    matched[0] = true;
    for (j, token) in tokens.iter().enumerate() {
        matched[j + 1] = matches!(token, Token::Any) && matched[j];
    }
    for c in text {
        let mut next = vec![false; tokens.len() + 1];
        for (j, token) in tokens.iter().enumerate() {
            next[j + 1] = match token {
                Token::Any => next[j] || matched[j + 1],
                Token::One => matched[j],
                Token::Char(t) => matched[j] && *t == c,
            };
        }
        matched = next;
    }
    matched[tokens.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Row {
        uuid: &'static str,
        name: &'static str,
        parent: Option<&'static str>,
        id: i64,
    }

    impl Queryable for Row {
        const INVENTORY_CLASS: &'static str = "RowInventory";
        const FIELDS: &'static [(&'static str, FieldType)] = &[
            ("uuid", FieldType::Text),
            ("name", FieldType::Text),
            ("parentUuid", FieldType::Text),
            ("id", FieldType::Number),
            ("createDate", FieldType::Time),
        ];

        fn field(&self, name: &str) -> FieldValue<'_> {
            match name {
                "uuid" => FieldValue::Text(Some(self.uuid)),
                "name" => FieldValue::Text(Some(self.name)),
                "parentUuid" => FieldValue::Text(self.parent),
                "id" => FieldValue::Number(self.id),
                "createDate" => FieldValue::Time(self.id),
                _ => FieldValue::List,
            }
        }

        fn inventory(&self) -> Map<String, Value> {
            json!({"uuid": self.uuid, "name": self.name, "parentUuid": self.parent, "id": self.id})
                .as_object()
                .unwrap()
                .clone()
        }
    }

    fn rows() -> Vec<Row> {
        vec![
            Row { uuid: "a", name: "payments", parent: None, id: 1 },
            Row { uuid: "b", name: "analytics", parent: Some("a"), id: 2 },
            Row { uuid: "c", name: "sandbox", parent: Some("a"), id: 3 },
        ]
    }

    fn names(query: &str) -> Result<Vec<String>, ZsError> {
        let pairs = crate::huawei::sign::query_pairs(query);
        let body = run(&Query::parse(&pairs)?, &rows())?;
        Ok(body["inventories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap_or("-").to_owned())
            .collect())
    }

    #[test]
    fn operators() {
        assert_eq!(names("q=name=analytics").unwrap(), ["analytics"]);
        assert_eq!(names("q=name!=analytics").unwrap(), ["payments", "sandbox"]);
        assert_eq!(names("q=uuid?=a,c").unwrap(), ["payments", "sandbox"]);
        assert_eq!(names("q=uuid!?=a,c").unwrap(), ["analytics"]);
        assert_eq!(names("q=name~=%25an%25").unwrap(), ["analytics", "sandbox"]);
        assert_eq!(names("q=name~=_andbox").unwrap(), ["sandbox"]);
        assert_eq!(names("q=name!~=%25an%25").unwrap(), ["payments"]);
        assert_eq!(names("q=parentUuid%20is%20null").unwrap(), ["payments"]);
        assert_eq!(names("q=parentUuid+not+null").unwrap(), ["analytics", "sandbox"]);
        assert_eq!(names("q=parentUuid!=b").unwrap(), ["analytics", "sandbox"], "NULL never compares");
        assert_eq!(names("q=id>1&q=id<=3&q=name!=sandbox").unwrap(), ["analytics"]);
        assert_eq!(names("q=id>=2").unwrap(), ["analytics", "sandbox"]);
        assert_eq!(names("q=name<payments").unwrap(), ["analytics"]);
    }

    #[test]
    fn paging_sorting_counting_and_fields() {
        assert_eq!(names("sort=-name").unwrap(), ["sandbox", "payments", "analytics"]);
        assert_eq!(names("sort=name&limit=2").unwrap(), ["analytics", "payments"]);
        assert_eq!(names("sort=+name&start=1&limit=1").unwrap(), ["payments"]);
        assert_eq!(names("start=5").unwrap(), Vec::<String>::new());
        let pairs = crate::huawei::sign::query_pairs("count=true&q=parentUuid=a");
        assert_eq!(run(&Query::parse(&pairs).unwrap(), &rows()).unwrap(), json!({"total": 2}));
        let pairs = crate::huawei::sign::query_pairs("replyWithCount=true&limit=1&fields=uuid");
        assert_eq!(
            run(&Query::parse(&pairs).unwrap(), &rows()).unwrap(),
            json!({"inventories": [{"uuid": "a"}], "total": 3})
        );
        assert_eq!(names("sort=createDate").unwrap().len(), 3);
    }

    #[test]
    fn errors() {
        let status = |q: &str| names(q).map(|_| ()).unwrap_err();
        assert_eq!(status("q=name").status, 400, "no operator");
        assert_eq!(status("q=name=").status, 400, "no value");
        assert_eq!(status("limit=x").status, 400);
        assert_eq!(status("limit=-1").status, 400);
        assert_eq!(status("fields=,").status, 400);
        let unknown = status("q=colour=red");
        assert_eq!((unknown.status, unknown.code()), (503, "SYS.1007"));
        assert!(unknown.error.details.contains("RowInventory"), "{unknown}");
        assert_eq!(status("sort=colour").code(), "SYS.1007");
        assert_eq!(status("fields=uuid,colour").code(), "SYS.1007");
        assert_eq!(status("q=id=x").code(), "SYS.1007");
        assert_eq!(status("q=createDate>x").code(), "SYS.1014");
        assert_eq!(status("q=attributes.name=x").code(), "SYS.1014");
    }

    #[test]
    fn like_patterns() {
        assert!(like("payments", "pay%"));
        assert!(like("payments", "%"));
        assert!(like("", "%"));
        assert!(!like("payments", "pay"));
        assert!(like("a_b", "a\\_b"));
        assert!(!like("axb", "a\\_b"));
        assert!(like("legacy-erp", "%-e_p"));
    }
}
