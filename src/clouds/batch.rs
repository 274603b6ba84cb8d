//! Gathering concurrent lookups by key into one query.
//!
//! Where an API can look up many objects in one call (ZStack's `uuid?=a,b,c` queries), the reads
//! Terraform runs side by side (`-parallelism`, 10 by default) can share it: a lookup opens a
//! round, the lookups that arrive within [`KeyBatcher::window`] join it, and one query answers
//! them all. A round is never reused once its query was sent, so a lookup always gets a query
//! sent after it asked: never older than a write its caller made before.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use crate::clouds::error::{Cloud, CloudError, ErrorKind};
use crate::clouds::http::cancellable;

/// A round's answer: every found value by key, or the query's error (which every member gets).
type Answer<V> = Arc<Result<HashMap<String, V>, CloudError>>;

/// Lookups of values of type `V` by string key, gathered into shared queries.
#[derive(Debug)]
pub struct KeyBatcher<V> {
    window: Duration,
    max_keys: usize,
    open: Arc<Mutex<Option<Round<V>>>>,
}

#[derive(Debug)]
struct Round<V> {
    keys: Arc<Mutex<Vec<String>>>,
    full: Arc<Notify>,
    answer: watch::Receiver<Option<Answer<V>>>,
}

impl<V: Clone + Send + Sync + 'static> KeyBatcher<V> {
    /// Rounds gather for `window` and hold at most `max_keys` keys (at least 1).
    pub fn new(window: Duration, max_keys: usize) -> Self {
        Self { window, max_keys: max_keys.max(1), open: Arc::default() }
    }

    fn lock(open: &Mutex<Option<Round<V>>>) -> MutexGuard<'_, Option<Round<V>>> {
        // Nothing panics while holding the lock; recover rather than poison the client.
        open.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The value for `key` (`None`: the query did not return it), from a query shared with the
    /// lookups that arrive within the window. `fetch` runs the query for the round's keys; only
    /// the `fetch` of the lookup that opens a round is used, in a task of its own, so a caller
    /// cancelled by `cancel` stops waiting while the others still get their answer.
    pub async fn get<F, Fut>(
        &self,
        cloud: Cloud,
        action: &'static str,
        key: String,
        cancel: Option<&CancellationToken>,
        fetch: F,
    ) -> Result<Option<V>, CloudError>
    where
        F: FnOnce(Vec<String>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<HashMap<String, V>, CloudError>> + Send + 'static,
    {
        let mut answer = self.join(key.clone(), fetch);
        let wait = async { answer.wait_for(Option::is_some).await.ok().and_then(|a| a.clone()) };
        let answer = cancellable(cancel, wait)
            .await
            .ok_or_else(|| CloudError::cancelled(cloud, action))?
            .ok_or_else(|| CloudError::new(ErrorKind::Transient, cloud, action, "the shared query ended without an answer"))?;
        match &*answer {
            Ok(found) => Ok(found.get(&key).cloned()),
            Err(e) => Err(e.clone()),
        }
    }

    /// Adds `key` to the open round, or opens one and starts the task that sends its query once
    /// it is full or its window is over.
    fn join<F, Fut>(&self, key: String, fetch: F) -> watch::Receiver<Option<Answer<V>>>
    where
        F: FnOnce(Vec<String>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<HashMap<String, V>, CloudError>> + Send + 'static,
    {
        let mut open = Self::lock(&self.open);
        if let Some(round) = open.as_ref() {
            let mut keys = round.keys.lock().unwrap_or_else(|p| p.into_inner());
            if !keys.contains(&key) {
                keys.push(key);
            }
            let answer = round.answer.clone();
            if keys.len() >= self.max_keys {
                round.full.notify_one();
                drop(keys);
                *open = None;
            }
            return answer;
        }
        let keys = Arc::new(Mutex::new(vec![key]));
        let full = Arc::new(Notify::new());
        let (tx, answer) = watch::channel(None);
        if self.max_keys > 1 {
            *open = Some(Round { keys: Arc::clone(&keys), full: Arc::clone(&full), answer: answer.clone() });
        } else {
            full.notify_one();
        }
        let shared = Arc::clone(&self.open);
        let window = self.window;
        tokio::spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep(window) => {}
                _ = full.notified() => {}
            }
            {
                let mut open = Self::lock(&shared);
                if open.as_ref().is_some_and(|round| Arc::ptr_eq(&round.keys, &keys)) {
                    *open = None;
                }
            }
            // Closed: nobody adds to the list any more.
            let keys = keys.lock().unwrap_or_else(|p| p.into_inner()).clone();
            let _ = tx.send(Some(Arc::new(fetch(keys).await)));
        });
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fetch that records the keys of each query and answers every key but "missing".
    fn recording(queries: &Arc<Mutex<Vec<Vec<String>>>>) -> impl FnOnce(Vec<String>) -> std::future::Ready<Result<HashMap<String, String>, CloudError>> + Send + 'static {
        let queries = Arc::clone(queries);
        move |keys: Vec<String>| {
            queries.lock().unwrap().push(keys.clone());
            std::future::ready(Ok(keys.into_iter().filter(|k| k != "missing").map(|k| (k.clone(), k.to_uppercase())).collect()))
        }
    }

    #[tokio::test]
    async fn concurrent_lookups_share_one_query_and_each_gets_its_own_value() {
        let batcher = KeyBatcher::new(Duration::from_millis(20), 50);
        let queries = Arc::new(Mutex::new(Vec::new()));
        let lookups = ["a", "b", "a", "missing"].map(|key| batcher.get(Cloud::ZStack, "Query", key.into(), None, recording(&queries)));
        let answers = futures_util::future::join_all(lookups).await;
        let answers: Vec<Option<String>> = answers.into_iter().map(Result::unwrap).collect();
        assert_eq!(answers, [Some("A".into()), Some("B".into()), Some("A".into()), None]);
        assert_eq!(*queries.lock().unwrap(), [vec!["a".to_string(), "b".into(), "missing".into()]], "one query, each key once");
    }

    #[tokio::test]
    async fn a_full_round_goes_at_once_and_the_next_key_opens_another() {
        let batcher = KeyBatcher::new(Duration::from_secs(30), 2);
        let queries = Arc::new(Mutex::new(Vec::new()));
        let lookups = ["a", "b"].map(|key| batcher.get(Cloud::ZStack, "Query", key.into(), None, recording(&queries)));
        let started = std::time::Instant::now();
        let (ab, c) = tokio::join!(futures_util::future::join_all(lookups), async {
            // "c" is alone in its round: it waits out the window unless cancelled.
            let token = CancellationToken::new();
            token.cancel();
            batcher.get(Cloud::ZStack, "Query", "c".into(), Some(&token), recording(&queries)).await
        });
        assert!(ab.into_iter().all(|a| a.unwrap().is_some()));
        assert!(started.elapsed() < Duration::from_secs(5), "the full round did not wait for its window");
        assert_eq!(c.unwrap_err().kind, ErrorKind::Cancelled);
        assert_eq!(queries.lock().unwrap()[0], ["a", "b"]);
    }

    #[tokio::test]
    async fn a_lookup_after_a_round_was_sent_gets_a_new_query() {
        let batcher = KeyBatcher::new(Duration::from_millis(5), 50);
        let sent = Arc::new(AtomicUsize::new(0));
        for _ in 0..2 {
            let counter = Arc::clone(&sent);
            let value = batcher
                .get(Cloud::ZStack, "Query", "a".into(), None, move |_| {
                    let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                    std::future::ready(Ok(HashMap::from([("a".to_string(), n)])))
                })
                .await
                .unwrap();
            // Each lookup sees the query made after it asked, not the earlier one's answer.
            assert_eq!(value, Some(sent.load(Ordering::SeqCst)));
        }
        assert_eq!(sent.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_failed_query_reaches_every_member() {
        let batcher: KeyBatcher<String> = KeyBatcher::new(Duration::from_millis(20), 50);
        let failing = |_: Vec<String>| std::future::ready(Err(CloudError::new(ErrorKind::Transient, Cloud::ZStack, "Query", "503")));
        let (a, b) = tokio::join!(
            batcher.get(Cloud::ZStack, "Query", "a".into(), None, failing),
            batcher.get(Cloud::ZStack, "Query", "b".into(), None, failing),
        );
        assert_eq!(a.unwrap_err().kind, ErrorKind::Transient);
        assert_eq!(b.unwrap_err().kind, ErrorKind::Transient);
    }
}
