//! `terraform query` support: a resource that can be listed pushes what it finds into a
//! [`Found`], one full state at a time. The protocol layer streams each to Terraform as it
//! arrives, with its identity, so a large account is neither held in memory nor waited for.

use tokio::sync::mpsc;

use super::value::Value;

/// One object a list found: the state `read` would return for it, and a label for people.
#[derive(Debug, Clone)]
pub struct Listed {
    pub display_name: String,
    pub state: Value,
}

/// Where a resource's `list` puts its results.
pub struct Found {
    sender: mpsc::Sender<Listed>,
    remaining: u64,
}

impl Found {
    /// A sink that accepts at most `limit` results (Terraform's `limit`, 100 unless configured).
    pub fn new(sender: mpsc::Sender<Listed>, limit: u64) -> Self {
        Found { sender, remaining: limit }
    }

    /// Hands one result to Terraform. Returns false once Terraform wants no more (the limit is
    /// reached or it stopped reading), so the caller stops paging the cloud.
    pub async fn push(&mut self, display_name: impl Into<String>, state: Value) -> bool {
        if self.remaining == 0 {
            return false;
        }
        if self.sender.send(Listed { display_name: display_name.into(), state }).await.is_err() {
            self.remaining = 0;
            return false;
        }
        self.remaining -= 1;
        self.remaining > 0
    }

    /// Whether Terraform still wants results.
    pub fn wants_more(&self) -> bool {
        self.remaining > 0 && !self.sender.is_closed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stops_at_the_limit_and_when_terraform_stops_reading() {
        let (sender, mut receiver) = mpsc::channel(8);
        let mut found = Found::new(sender, 2);
        assert!(found.push("a", Value::from("a")).await);
        assert!(!found.push("b", Value::from("b")).await, "the second of two is the last");
        assert!(!found.push("c", Value::from("c")).await, "nothing past the limit");
        assert!(!found.wants_more());
        assert_eq!(receiver.recv().await.unwrap().display_name, "a");
        assert_eq!(receiver.recv().await.unwrap().display_name, "b");
        drop(found);
        assert!(receiver.recv().await.is_none());

        let (sender, receiver) = mpsc::channel(8);
        let mut found = Found::new(sender, 10);
        drop(receiver);
        assert!(!found.push("a", Value::from("a")).await);
        assert!(!found.wants_more());
    }
}
