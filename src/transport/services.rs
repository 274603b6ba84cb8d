//! go-plugin's own gRPC services, served beside the application service: the controller (so
//! Terraform can shut us down), stdio and broker (which Terraform opens at connect time; we carry
//! logs on stderr and never broker connections), and gRPC health for service "plugin".

use std::pin::Pin;

use futures_util::{Stream, StreamExt};
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tonic::{Request, Response, Status, Streaming};

pub mod proto {
    tonic::include_proto!("plugin");
}

use proto::grpc_broker_server::{GrpcBroker, GrpcBrokerServer};
use proto::grpc_controller_server::{GrpcController, GrpcControllerServer};
use proto::grpc_stdio_server::{GrpcStdio, GrpcStdioServer};

/// Cancelled when the plugin should exit (Terraform's Shutdown call, or a signal).
#[derive(Clone)]
pub struct ShutdownSignal(pub CancellationToken);

pub async fn plugin_routes(app: Routes, shutdown: ShutdownSignal) -> Routes {
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_service_status("plugin", tonic_health::ServingStatus::Serving).await;
    app.add_service(GrpcControllerServer::new(Controller(shutdown.clone())))
        .add_service(GrpcStdioServer::new(Stdio(shutdown.clone())))
        .add_service(GrpcBrokerServer::new(Broker(shutdown)))
        .add_service(health_service)
}

struct Controller(ShutdownSignal);

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _: Request<proto::Empty>) -> Result<Response<proto::Empty>, Status> {
        tracing::debug!("Terraform asked the provider to shut down");
        (self.0).0.cancel();
        Ok(Response::new(proto::Empty {}))
    }
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// A stream that yields nothing and ends when the plugin shuts down, so graceful shutdown is
/// not held up by streams Terraform keeps open.
fn idle_until_shutdown<T: Send + 'static>(shutdown: &ShutdownSignal) -> BoxStream<T> {
    let token = shutdown.0.clone();
    Box::pin(futures_util::stream::once(token.cancelled_owned()).filter_map(|()| std::future::ready(None)))
}

struct Stdio(ShutdownSignal);

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    async fn stream_stdio(&self, _: Request<()>) -> Result<Response<BoxStream<proto::StdioData>>, Status> {
        Ok(Response::new(idle_until_shutdown(&self.0)))
    }
}

struct Broker(ShutdownSignal);

#[tonic::async_trait]
impl GrpcBroker for Broker {
    async fn start_stream(
        &self,
        _: Request<Streaming<proto::ConnInfo>>,
    ) -> Result<Response<BoxStream<proto::ConnInfo>>, Status> {
        Ok(Response::new(idle_until_shutdown(&self.0)))
    }
}
