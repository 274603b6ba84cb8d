//! The listening socket: a unix socket as go-plugin uses on Unix, TCP on 127.0.0.1 within
//! Terraform's port range where a unix socket cannot be had.

use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, UnixListener};
use tonic::transport::server::Connected;

use super::{Address, PluginEnv};

pub enum Listener {
    Unix { listener: UnixListener, path: PathBuf },
    Tcp(TcpListener),
}

impl Listener {
    pub async fn bind(env: &PluginEnv) -> std::io::Result<Listener> {
        match bind_unix(env) {
            Ok(listener) => Ok(listener),
            Err(error) => {
                tracing::debug!(%error, "unix socket unavailable; falling back to TCP");
                bind_tcp(env.min_port, env.max_port).await
            }
        }
    }

    pub fn address(&self) -> Address {
        match self {
            Listener::Unix { path, .. } => Address { network: "unix", address: path.display().to_string() },
            Listener::Tcp(listener) => {
                Address { network: "tcp", address: listener.local_addr().map(|a| a.to_string()).unwrap_or_default() }
            }
        }
    }

    pub async fn accept(&self) -> std::io::Result<PluginStream> {
        match self {
            Listener::Unix { listener, .. } => {
                let (stream, _) = listener.accept().await?;
                Ok(PluginStream::new(stream))
            }
            Listener::Tcp(listener) => {
                let (stream, _) = listener.accept().await?;
                // gRPC's small frames suffer from Nagle's algorithm.
                stream.set_nodelay(true)?;
                Ok(PluginStream::new(stream))
            }
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Unix { path, .. } = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn bind_unix(env: &PluginEnv) -> std::io::Result<Listener> {
    let dir = env.unix_socket_dir.as_deref().map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    // A fresh, unguessable name per launch, like go-plugin's CreateTemp("plugin*").
    let path = dir.join(format!("plugin{:016x}", rand::random::<u64>()));
    let listener = UnixListener::bind(&path)?;
    // Only this user may connect (TLS still decides who is served); the umask may allow more.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok(Listener::Unix { listener, path })
}

async fn bind_tcp(min_port: u16, max_port: u16) -> std::io::Result<Listener> {
    let (low, high) = if min_port <= max_port { (min_port, max_port) } else { (max_port, min_port) };
    let mut last_error = None;
    for port in low..=high {
        match TcpListener::bind(("127.0.0.1", port)).await {
            Ok(listener) => return Ok(Listener::Tcp(listener)),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error
        .unwrap_or_else(|| std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, "empty plugin port range")))
}

/// Any accepted connection, plain or TLS, unix or TCP, as one type for the gRPC server.
pub struct PluginStream(Pin<Box<dyn Io>>);

trait Io: AsyncRead + AsyncWrite + Send {}
impl<T: AsyncRead + AsyncWrite + Send> Io for T {}

impl PluginStream {
    pub fn new(io: impl AsyncRead + AsyncWrite + Send + 'static) -> Self {
        PluginStream(Box::pin(io))
    }
}

impl Connected for PluginStream {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for PluginStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        self.0.as_mut().poll_read(cx, buf)
    }
}

impl AsyncWrite for PluginStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.0.as_mut().poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.0.as_mut().poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.0.as_mut().poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        self.0.as_mut().poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn env(socket_dir: Option<&std::path::Path>) -> PluginEnv {
        PluginEnv {
            magic_cookie: None,
            protocol_versions: None,
            client_cert_pem: None,
            unix_socket_dir: socket_dir.map(|d| d.display().to_string()),
            min_port: 10000,
            max_port: 25000,
        }
    }

    #[tokio::test]
    async fn the_socket_is_private_to_this_user() {
        let dir = tempfile::tempdir().unwrap();
        let listener = Listener::bind(&env(Some(dir.path()))).await.unwrap();
        let Listener::Unix { path, .. } = &listener else { panic!("expected a unix socket") };
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "group and others have no access: {mode:o}");
        let path = path.clone();
        drop(listener);
        assert!(!path.exists(), "the socket file is removed on exit");
    }

    #[tokio::test]
    async fn the_tcp_fallback_listens_on_loopback_only() {
        let listener = Listener::bind(&env(Some(std::path::Path::new("/nonexistent/dir")))).await.unwrap();
        let address = listener.address();
        assert_eq!(address.network, "tcp");
        assert!(address.address.starts_with("127.0.0.1:"), "{}", address.address);
    }
}
