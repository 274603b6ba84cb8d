//! Test support shared by the cloud clients: a hand-written HTTP/1.1 server that records every
//! request and answers as the test's handler says.
//!
//! One request per connection (`Connection: close`). Each answer carries
//! `X-Request-Id: req-<index>`, `index` being the request's 0-based position in the log.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

use super::http::RetryPolicy;

/// What the server saw; header names lowercased.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HashMap<String, String>,
    pub raw_body: Vec<u8>,
    /// `raw_body` as JSON; `Null` when it is not JSON.
    pub body: Value,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// `"POST /v1/x"`.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// Decoded query pairs.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.query.as_deref().unwrap_or_default().as_bytes()).into_owned().collect()
    }

    pub fn query_param(&self, key: &str) -> Option<String> {
        self.query_pairs().into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

pub enum Reply {
    /// A status with a JSON body (`application/json`).
    Json(u16, Value),
    /// A status with a body that is not JSON (`text/plain`).
    Raw(u16, &'static str),
    /// Answer after a pause.
    Later(Duration, Box<Reply>),
    /// Close the connection after reading the request, without answering.
    HangUp,
    /// Keep the connection open and never answer.
    Stall,
}

pub fn ok(body: Value) -> Reply {
    Reply::Json(200, body)
}

/// What a handler may return: a [`Reply`], or a cloud's own shorthand that becomes one given
/// the request's index (e.g. to put `req-<index>` into a response envelope).
pub trait IntoReply {
    fn into_reply(self, index: usize) -> Reply;
}

impl IntoReply for Reply {
    fn into_reply(self, _index: usize) -> Reply {
        self
    }
}

type Handler = dyn Fn(&Seen, usize) -> Reply + Send + Sync;

pub struct Server {
    pub url: Url,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    /// Listens on a free loopback port; `handler` gets each request and its 0-based index.
    pub async fn start<R: IntoReply>(handler: impl Fn(&Seen, usize) -> R + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(move |req, index| handler(req, index).into_reply(index));
        let log = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                tokio::spawn(handle(sock, Arc::clone(&handler), Arc::clone(&log)));
            }
        });
        Self { url, seen }
    }

    /// Every request so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// [`Seen::line`] of every request so far.
    pub fn lines(&self) -> Vec<String> {
        self.seen().iter().map(Seen::line).collect()
    }

    /// The `Host` header clients send: `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.url.port().unwrap())
    }
}

async fn handle(mut sock: TcpStream, handler: Arc<Handler>, log: Arc<Mutex<Vec<Seen>>>) {
    let Some(req) = read_request(&mut sock).await else {
        return;
    };
    let index = {
        let mut log = log.lock().unwrap();
        log.push(req.clone());
        log.len() - 1
    };
    let mut reply = handler(&req, index);
    let (status, content_type, body) = loop {
        match reply {
            Reply::Json(status, value) => break (status, "application/json", value.to_string()),
            Reply::Raw(status, text) => break (status, "text/plain", text.to_owned()),
            Reply::Later(pause, next) => {
                tokio::time::sleep(pause).await;
                reply = *next;
            }
            Reply::HangUp => return,
            Reply::Stall => return std::future::pending().await,
        }
    };
    let response = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nX-Request-Id: req-{index}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = sock.write_all(response.as_bytes()).await;
    let _ = sock.shutdown().await;
}

/// Reads one request (head and `Content-Length` body); `None` if the peer goes away first.
async fn read_request(sock: &mut TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).into_owned();
    let mut lines = head.lines();
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let target = request_line.next().unwrap_or_default();
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (target.to_owned(), None),
    };
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    while buf.len() < header_end + len {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let raw_body = buf[header_end..header_end + len].to_vec();
    let body = serde_json::from_slice(&raw_body).unwrap_or(Value::Null);
    Some(Seen { method, path, query, headers, raw_body, body })
}

/// Retries fast enough for tests: two, 1–5 ms apart.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy { max_retries: 2, max_wait: Duration::from_millis(5), base: Duration::from_millis(1) }
}
