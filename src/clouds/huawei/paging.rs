//! Marker paging, as every Huawei list API pages.

use std::collections::HashSet;
use std::future::Future;

use serde::Deserialize;

use super::lenient;
use crate::clouds::error::{Cloud, CloudError, ErrorKind};

/// Page size for every paged list.
pub(crate) const PAGE_LIMIT: u32 = 100;
/// Upper bound on pages per list, against servers that never stop handing out markers.
pub(crate) const MAX_PAGES: usize = 1000;

/// `page_info` of a paged list.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct PageInfo {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub next_marker: Option<String>,
}

/// Reads pages, passing each page's `next_marker` to the next request, until a page has no
/// marker. A marker seen twice, or more than [`MAX_PAGES`] pages, ends the listing with an error
/// rather than a silently partial (or endless) result.
pub(crate) async fn collect_pages<T, F, Fut>(action: &str, mut fetch: F) -> Result<Vec<T>, CloudError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<PageInfo>), CloudError>>,
{
    let mut all = Vec::new();
    let mut seen = HashSet::new();
    let mut marker: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let (items, page_info) = fetch(marker.clone()).await?;
        all.extend(items);
        let next = page_info.and_then(|p| p.next_marker).filter(|m| !m.trim().is_empty());
        let Some(next) = next else {
            return Ok(all);
        };
        if !seen.insert(next.clone()) {
            return Err(CloudError::new(
                ErrorKind::Other,
                Cloud::Huawei,
                action,
                format!("paging loop: the API returned marker {next:?} twice"),
            ));
        }
        marker = Some(next);
    }
    Err(CloudError::new(
        ErrorKind::Other,
        Cloud::Huawei,
        action,
        format!("stopped paging after {MAX_PAGES} pages: the API kept returning a next_marker"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn paging_follows_markers_and_detects_loops() {
        let pages = |marker: Option<String>| async move {
            let (items, next) = match marker.as_deref() {
                None => (vec![1, 2], Some("m1")),
                Some("m1") => (vec![3], Some("m2")),
                Some("m2") => (vec![4], Some("")),
                other => panic!("{other:?}"),
            };
            Ok((items, Some(PageInfo { next_marker: next.map(str::to_owned) })))
        };
        assert_eq!(collect_pages("L", pages).await.unwrap(), vec![1, 2, 3, 4]);

        let looping = |marker: Option<String>| async move {
            let next = if marker.is_none() { "a" } else { "b" };
            Ok((vec![0], Some(PageInfo { next_marker: Some(next.into()) })))
        };
        let e = collect_pages("L", looping).await.unwrap_err();
        assert!(e.message.contains("paging loop"), "{}", e.message);

        let endless = |marker: Option<String>| async move {
            let n: usize = marker.map_or(0, |m| m.parse().unwrap());
            Ok((Vec::<u8>::new(), Some(PageInfo { next_marker: Some((n + 1).to_string()) })))
        };
        let e = collect_pages("L", endless).await.unwrap_err();
        assert!(e.message.contains("stopped paging"), "{}", e.message);

        let none = |_| async { Ok((vec![7], None)) };
        assert_eq!(collect_pages("L", none).await.unwrap(), vec![7]);
    }
}
