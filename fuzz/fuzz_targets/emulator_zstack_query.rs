//! The emulator's ZStack query language: a raw query string through `query_pairs`,
//! `zstack::query::Query::parse` and the three IAM2 query APIs on the fixture world; and the
//! SQL `LIKE` matcher behind `~=` / `!~=`.
//!
//! Properties: nothing panics; an answer never holds more than `limit` rows; `count=true`
//! counts exactly the rows the same conditions return without paging; `replyWithCount` reports
//! that count too; `fields=` keeps only the named fields. `like` agrees with a naive
//! backtracking matcher.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tether_emulator::huawei::sign::query_pairs;
use tether_emulator::zstack::iam2;
use tether_emulator::zstack::model::ZStackWorld;
use tether_emulator::zstack::query::{Query, like};
use tether_emulator::zstack::routes::Action;

fn world() -> &'static ZStackWorld {
    static WORLD: OnceLock<ZStackWorld> = OnceLock::new();
    WORLD.get_or_init(|| tether_emulator::fixtures::seed_at(0).zstack)
}

const QUERIES: [Action; 3] =
    [Action::QueryIAM2Project, Action::QueryIAM2Organization, Action::QueryIAM2OrganizationProjectRef];

fn check_query(raw: &str) {
    let Ok(query) = Query::parse(&query_pairs(raw)) else {
        return;
    };
    for action in QUERIES {
        let Ok(body) = iam2::query(action, &query, world()) else {
            continue;
        };
        let name = action.name();
        let all = Query { limit: usize::MAX, start: 0, count: false, reply_with_count: false, ..query.clone() };
        let selected = iam2::query(action, &all, world())
            .unwrap_or_else(|e| panic!("{name}: {raw:?} answers, but not without paging: {e:?}"))["inventories"]
            .as_array()
            .expect("inventories")
            .len();
        if query.count {
            assert_eq!(body, serde_json::json!({ "total": selected }), "{name}: count of {raw:?}");
            continue;
        }
        let rows = body["inventories"].as_array().unwrap_or_else(|| panic!("{name}: no inventories for {raw:?}"));
        assert!(rows.len() <= query.limit, "{name}: {raw:?} answered more than limit rows");
        assert_eq!(rows.len(), selected.saturating_sub(query.start).min(query.limit), "{name}: page size of {raw:?}");
        if query.reply_with_count {
            assert_eq!(body["total"], Value::from(selected), "{name}: total of {raw:?}");
        }
        if let Some(fields) = &query.fields {
            for row in rows {
                let row = row.as_object().expect("rows are objects");
                assert!(row.keys().all(|k| fields.contains(k)), "{name}: {raw:?} returned unrequested fields");
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Token {
    Any,
    One,
    Char(char),
}

/// LIKE by plain backtracking, as the spec reads: `%` any run, `_` one character, `\` escapes.
fn naive_like(text: &[char], pattern: &[Token]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((Token::Any, rest)) => (0..=text.len()).any(|i| naive_like(&text[i..], rest)),
        Some((Token::One, rest)) => !text.is_empty() && naive_like(&text[1..], rest),
        Some((Token::Char(c), rest)) => text.first() == Some(c) && naive_like(&text[1..], rest),
    }
}

fn tokens(pattern: &str) -> Vec<Token> {
    let mut chars = pattern.chars();
    let mut tokens = Vec::new();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '%' => Token::Any,
            '_' => Token::One,
            '\\' => Token::Char(chars.next().unwrap_or('\\')),
            c => Token::Char(c),
        });
    }
    tokens
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        check_query(&String::from_utf8_lossy(rest));
    } else {
        let mut fields = tether_fuzz::Fields::new(rest);
        let text = fields.text(0);
        let pattern = fields.text(0);
        let text_chars: Vec<char> = text.chars().collect();
        let pattern_tokens = tokens(&pattern);
        // The reference is exponential in the number of `%`: keep its inputs small.
        if text_chars.len() > 40 || pattern_tokens.iter().filter(|t| matches!(t, Token::Any)).count() > 6 {
            let _ = like(&text, &pattern);
            return;
        }
        assert_eq!(like(&text, &pattern), naive_like(&text_chars, &pattern_tokens), "like({text:?}, {pattern:?})");
    }
});
