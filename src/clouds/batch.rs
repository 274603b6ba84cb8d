//! Gathering concurrent lookups by key into one query.
//!
//! Where an API can look up many objects in one call (ZStack's `uuid?=a,b,c` queries), the reads
//! Terraform runs side by side (`-parallelism`, 10 by default) can share it: a lookup opens a
//! round, the lookups that arrive within [`KeyBatcher::window`] join it, and one query answers
//! them all. A round is never reused once its query was sent, so a lookup always gets a query
//! sent after it asked: never older than a write its caller made before.
//!
//! Each lookup waits under its own caller's token (StopProvider or its operation's deadline),
//! while the shared query runs on a token of its own that fires once every lookup of the round
//! has given up: nobody is left to answer, so the query (its login, retries and backoffs
//! included) stops instead of running on in the background.

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
    /// The lookups still waiting for this round's answer, and the token its query runs on.
    waiting: Arc<Waiting>,
}

#[derive(Debug, Default)]
struct Waiting {
    count: Mutex<usize>,
    abandoned: CancellationToken,
}

/// One lookup's place in a round: dropped when it has its answer or gives up. The last one to
/// leave before the answer came stops the query.
struct Member<V> {
    waiting: Arc<Waiting>,
    keys: Arc<Mutex<Vec<String>>>,
    open: Arc<Mutex<Option<Round<V>>>>,
}

impl<V> Drop for Member<V> {
    fn drop(&mut self) {
        // Under the lock of the open round, so that nobody joins a round being abandoned.
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let mut count = self.waiting.count.lock().unwrap_or_else(|p| p.into_inner());
        *count = count.saturating_sub(1);
        if *count == 0 {
            if open.as_ref().is_some_and(|round| Arc::ptr_eq(&round.keys, &self.keys)) {
                *open = None;
            }
            self.waiting.abandoned.cancel();
        }
    }
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
    /// lookups that arrive within the window. `fetch` runs the query for the round's keys, and
    /// must stop when the token it is given fires (every lookup of the round has given up); only
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
        F: FnOnce(Vec<String>, CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = Result<HashMap<String, V>, CloudError>> + Send + 'static,
    {
        let (mut answer, member) = self.join(key.clone(), fetch);
        let wait = async { answer.wait_for(Option::is_some).await.ok().and_then(|a| a.clone()) };
        let answer = cancellable(cancel, wait).await;
        drop(member);
        let answer = answer.ok_or_else(|| CloudError::cancelled(cloud, action))?.ok_or_else(|| {
            CloudError::new(ErrorKind::Transient, cloud, action, "the shared query ended without an answer")
        })?;
        match &*answer {
            Ok(found) => Ok(found.get(&key).cloned()),
            Err(e) => Err(e.clone()),
        }
    }

    /// Adds `key` to the open round, or opens one and starts the task that sends its query once
    /// it is full or its window is over. The member keeps the round's query alive until dropped.
    fn join<F, Fut>(&self, key: String, fetch: F) -> (watch::Receiver<Option<Answer<V>>>, Member<V>)
    where
        F: FnOnce(Vec<String>, CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = Result<HashMap<String, V>, CloudError>> + Send + 'static,
    {
        let mut open = Self::lock(&self.open);
        let member = |round_keys: &Arc<Mutex<Vec<String>>>, waiting: &Arc<Waiting>| {
            *waiting.count.lock().unwrap_or_else(|p| p.into_inner()) += 1;
            Member { waiting: Arc::clone(waiting), keys: Arc::clone(round_keys), open: Arc::clone(&self.open) }
        };
        if let Some(round) = open.as_ref() {
            let joined = member(&round.keys, &round.waiting);
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
            return (answer, joined);
        }
        let keys = Arc::new(Mutex::new(vec![key]));
        let full = Arc::new(Notify::new());
        let (tx, answer) = watch::channel(None);
        let waiting = Arc::new(Waiting::default());
        let joined = member(&keys, &waiting);
        if self.max_keys > 1 {
            *open = Some(Round {
                keys: Arc::clone(&keys),
                full: Arc::clone(&full),
                answer: answer.clone(),
                waiting: Arc::clone(&waiting),
            });
        } else {
            full.notify_one();
        }
        let shared = Arc::clone(&self.open);
        let window = self.window;
        tokio::spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep(window) => {}
                _ = full.notified() => {}
                // Everyone left while the round was gathering: no query at all.
                _ = waiting.abandoned.cancelled() => return,
            }
            {
                let mut open = Self::lock(&shared);
                if open.as_ref().is_some_and(|round| Arc::ptr_eq(&round.keys, &keys)) {
                    *open = None;
                }
            }
            // Closed: nobody adds to the list any more.
            let keys = keys.lock().unwrap_or_else(|p| p.into_inner()).clone();
            let _ = tx.send(Some(Arc::new(fetch(keys, waiting.abandoned.clone()).await)));
        });
        (answer, joined)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fetch that records the keys of each query and answers every key but "missing".
    fn recording(
        queries: &Arc<Mutex<Vec<Vec<String>>>>,
    ) -> impl FnOnce(Vec<String>, CancellationToken) -> std::future::Ready<Result<HashMap<String, String>, CloudError>>
    + Send
    + 'static {
        let queries = Arc::clone(queries);
        move |keys: Vec<String>, _| {
            queries.lock().unwrap().push(keys.clone());
            std::future::ready(Ok(keys
                .into_iter()
                .filter(|k| k != "missing")
                .map(|k| (k.clone(), k.to_uppercase()))
                .collect()))
        }
    }

    #[tokio::test]
    async fn concurrent_lookups_share_one_query_and_each_gets_its_own_value() {
        let batcher = KeyBatcher::new(Duration::from_millis(20), 50);
        let queries = Arc::new(Mutex::new(Vec::new()));
        let lookups = ["a", "b", "a", "missing"]
            .map(|key| batcher.get(Cloud::ZStack, "Query", key.into(), None, recording(&queries)));
        let answers = futures_util::future::join_all(lookups).await;
        let answers: Vec<Option<String>> = answers.into_iter().map(Result::unwrap).collect();
        assert_eq!(answers, [Some("A".into()), Some("B".into()), Some("A".into()), None]);
        assert_eq!(
            *queries.lock().unwrap(),
            [vec!["a".to_string(), "b".into(), "missing".into()]],
            "one query, each key once"
        );
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
                .get(Cloud::ZStack, "Query", "a".into(), None, move |_, _| {
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
        let failing = |_: Vec<String>, _: CancellationToken| {
            std::future::ready(Err(CloudError::new(ErrorKind::Transient, Cloud::ZStack, "Query", "503")))
        };
        let (a, b) = tokio::join!(
            batcher.get(Cloud::ZStack, "Query", "a".into(), None, failing),
            batcher.get(Cloud::ZStack, "Query", "b".into(), None, failing),
        );
        assert_eq!(a.unwrap_err().kind, ErrorKind::Transient);
        assert_eq!(b.unwrap_err().kind, ErrorKind::Transient);
    }

    type Query = std::pin::Pin<Box<dyn Future<Output = Result<HashMap<String, String>, CloudError>> + Send>>;

    /// A query that runs until its token fires, noting that it was stopped.
    fn endless(stopped: &Arc<AtomicUsize>) -> impl FnOnce(Vec<String>, CancellationToken) -> Query + Send + 'static {
        let stopped = Arc::clone(stopped);
        move |_, token| {
            Box::pin(async move {
                token.cancelled().await;
                stopped.fetch_add(1, Ordering::SeqCst);
                Err(CloudError::cancelled(Cloud::ZStack, "Query"))
            })
        }
    }

    #[tokio::test]
    async fn the_query_stops_once_every_lookup_has_given_up_and_not_before() {
        let batcher: KeyBatcher<String> = KeyBatcher::new(Duration::from_millis(5), 50);
        let stopped = Arc::new(AtomicUsize::new(0));
        let (early, late) = (CancellationToken::new(), CancellationToken::new());
        let (a, b, ()) = tokio::join!(
            batcher.get(Cloud::ZStack, "Query", "a".into(), Some(&early), endless(&stopped)),
            batcher.get(Cloud::ZStack, "Query", "b".into(), Some(&late), endless(&stopped)),
            async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                early.cancel();
                tokio::time::sleep(Duration::from_millis(50)).await;
                // One lookup is still waiting: its query goes on.
                assert_eq!(stopped.load(Ordering::SeqCst), 0);
                late.cancel();
            },
        );
        assert_eq!((a.unwrap_err().kind, b.unwrap_err().kind), (ErrorKind::Cancelled, ErrorKind::Cancelled));
        tokio::time::timeout(Duration::from_secs(5), async {
            while stopped.load(Ordering::SeqCst) == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("the abandoned query stopped");

        // A lookup after that opens a new round with a query of its own.
        let queries = Arc::new(Mutex::new(Vec::new()));
        assert_eq!(
            batcher.get(Cloud::ZStack, "Query", "c".into(), None, recording(&queries)).await.unwrap(),
            Some("C".into())
        );
        assert_eq!(*queries.lock().unwrap(), [vec!["c".to_string()]]);
    }

    #[tokio::test]
    async fn a_round_abandoned_while_gathering_sends_no_query() {
        let batcher: KeyBatcher<String> = KeyBatcher::new(Duration::from_millis(200), 50);
        let queries = Arc::new(Mutex::new(Vec::new()));
        let token = CancellationToken::new();
        token.cancel();
        let e = batcher.get(Cloud::ZStack, "Query", "a".into(), Some(&token), recording(&queries)).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Cancelled);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(queries.lock().unwrap().is_empty());
    }
}
