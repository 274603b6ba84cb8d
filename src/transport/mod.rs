//! The go-plugin transport: environment checks, the handshake line, AutoMTLS with a pinned client
//! certificate, and the plugin-level gRPC services (controller, stdio, broker, health).
//!
//! Nothing here knows about Terraform: the caller hands in the gRPC routes of the application
//! service and gets back a server that speaks go-plugin.

mod handshake;
mod listener;
mod services;
mod tls;

pub use handshake::{HandshakeError, MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, PluginEnv};
pub use services::ShutdownSignal;

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;

use listener::{Listener, PluginStream};

/// How the server is reached.
pub enum Mode {
    /// Launched by Terraform: mutual TLS, the client certificate pinned to `PLUGIN_CLIENT_CERT`.
    AutoMtls { client_cert_pem: String },
    /// `--debug`: plaintext on a unix socket; the caller prints `TF_REATTACH_PROVIDERS`.
    Debug,
}

/// Where the server listens, as announced in the handshake line or the reattach JSON.
#[derive(Debug, Clone)]
pub struct Address {
    pub network: &'static str,
    pub address: String,
}

/// Everything the transport needs to serve.
pub struct ServeConfig {
    pub env: PluginEnv,
    pub mode: Mode,
    pub app_protocol_version: u32,
}

/// A peer that connects and then stalls must not hold a task and a socket forever.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Per-message limits well above gRPC's 4 MiB default: schemas and large states can exceed it.
pub const MAX_MESSAGE_BYTES: usize = 256 << 20;

/// Binds, prints the handshake (or hands the address to `announce` in debug mode), and serves
/// `routes` plus the go-plugin services until Terraform calls Shutdown or `shutdown` is cancelled.
pub async fn serve(
    config: ServeConfig,
    routes: Routes,
    shutdown: CancellationToken,
    announce: impl FnOnce(&Address) -> std::io::Result<()>,
) -> Result<(), ServeError> {
    let listener = Listener::bind(&config.env).await.map_err(ServeError::Bind)?;
    let address = listener.address();

    let acceptor = match &config.mode {
        Mode::AutoMtls { client_cert_pem } => {
            let identity = tls::ServerIdentity::generate().map_err(ServeError::Tls)?;
            let acceptor = tls::acceptor(&identity, client_cert_pem).map_err(ServeError::Tls)?;
            let line = handshake::handshake_line(config.app_protocol_version, &address, &identity.cert_der);
            handshake::announce_line(&line).map_err(ServeError::Announce)?;
            Some(acceptor)
        }
        Mode::Debug => None,
    };
    announce(&address).map_err(ServeError::Announce)?;

    let routes = services::plugin_routes(routes, ShutdownSignal(shutdown.clone())).await;

    // Connections are accepted (and TLS-handshaked) on their own tasks, so a slow or hostile
    // client can never stall the accept loop.
    let (conn_tx, conn_rx) = mpsc::channel::<std::io::Result<PluginStream>>(16);
    let accept_shutdown = shutdown.clone();
    let accept_task = tokio::spawn(async move {
        loop {
            let raw = tokio::select! {
                _ = accept_shutdown.cancelled() => break,
                raw = listener.accept() => raw,
            };
            let raw = match raw {
                Ok(raw) => raw,
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed");
                    continue;
                }
            };
            let acceptor = acceptor.clone();
            let conn_tx = conn_tx.clone();
            tokio::spawn(async move {
                let stream = match acceptor {
                    Some(acceptor) => match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(raw)).await {
                        Ok(Ok(stream)) => PluginStream::new(stream),
                        Ok(Err(error)) => {
                            tracing::warn!(%error, "rejected a connection during the TLS handshake");
                            return;
                        }
                        Err(_) => {
                            tracing::warn!("dropped a connection that did not finish the TLS handshake");
                            return;
                        }
                    },
                    None => raw,
                };
                let _ = conn_tx.send(Ok(stream)).await;
            });
        }
    });

    let server = tonic::transport::Server::builder()
        .add_routes(routes)
        .serve_with_incoming_shutdown(ReceiverStream::new(conn_rx), shutdown.clone().cancelled_owned());

    // Graceful shutdown waits for open streams; Terraform expects the process gone within 2 s of
    // Shutdown, so give in-flight replies a moment and then leave regardless.
    let result = tokio::select! {
        result = server => result.map_err(ServeError::Serve),
        _ = async {
            shutdown.cancelled().await;
            tokio::time::sleep(Duration::from_millis(500)).await;
        } => Ok(()),
    };
    accept_task.abort();
    result
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("could not listen for Terraform: {0}")]
    Bind(std::io::Error),
    #[error("could not set up TLS: {0}")]
    Tls(String),
    #[error("could not write the plugin handshake: {0}")]
    Announce(std::io::Error),
    #[error("gRPC server failed: {0}")]
    Serve(tonic::transport::Error),
}
