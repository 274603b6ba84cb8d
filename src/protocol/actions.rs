//! Actions (Terraform 1.14+): ValidateActionConfig, PlanAction and the InvokeAction stream
//! (progress lines, then one completion with the diagnostics). See `framework::action`.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;
use tonic::{Request, Response, Status};

use crate::framework::action::{self, Action, Progress};
use crate::framework::diag::Diagnostics;
use crate::framework::operation::{Limit, Operation};
use crate::framework::resource::{Ctx, Provider, ProviderData};
use crate::framework::value::Value;

use super::{Entry, ProviderService, bounded, convert, internal_error, pb, reply};

/// An action type's entry.
pub(super) type ActionEntry<D> = Entry<dyn Action<D>>;

pub(super) type EventStream = tonic::codegen::BoxStream<pb::invoke_action::Event>;

/// An action ready to plan or invoke: its entry, its decoded configuration, the provider data.
type Prepared<'a, D> = (&'a ActionEntry<D>, Value, Arc<D>);

impl<P: Provider> ProviderService<P> {
    fn action(&self, type_name: &str, diags: &mut Diagnostics) -> Option<&ActionEntry<P::Data>> {
        let entry = self.actions.get(type_name);
        if entry.is_none() {
            diags.error("Unknown action type", format!("This provider has no action type {type_name:?}."));
        }
        entry
    }

    /// The action, its decoded configuration, and the configured provider data, after the
    /// checks every plan and invocation makes: the configuration reaches the action's cloud,
    /// and does not forbid the action (`protect`).
    fn prepared(
        &self,
        type_name: &str,
        config: Option<&pb::DynamicValue>,
        diags: &mut Diagnostics,
    ) -> Option<Prepared<'_, P::Data>> {
        let entry = self.action(type_name, diags)?;
        let config = convert::decode(config, &entry.ty, "action configuration", diags)?;
        let data = self.data(diags)?;
        if let Err(mut d) = data.ready(entry.handler.service()) {
            d.path = None;
            diags.push(d);
            return None;
        }
        if let Err(d) = self.provider.check_action(&data, type_name) {
            diags.push(d);
            return None;
        }
        Some((entry, config, data))
    }

    pub(super) async fn handle_validate_action_config(
        &self,
        request: Request<pb::validate_action_config::Request>,
    ) -> Result<Response<pb::validate_action_config::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        if let Some(entry) = self.action(&request.type_name, &mut diags) {
            if let Some(config) =
                convert::decode(request.config.as_ref(), &entry.ty, "action configuration", &mut diags)
            {
                if let Some(d) = action::validate_timeout(&config) {
                    diags.push(d);
                }
                entry.handler.validate(&config, &mut diags);
            }
        }
        reply(pb::validate_action_config::Response { diagnostics: convert::diagnostics(&diags) })
    }

    /// `terraform plan -invoke` (and the plan of an `action_trigger`): the action reads the cloud
    /// and says what its invocation will detach. Bounded like every read.
    pub(super) async fn handle_plan_action(
        &self,
        request: Request<pb::plan_action::Request>,
    ) -> Result<Response<pb::plan_action::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        if let Some((entry, config, data)) = self.prepared(&request.action_type, request.config.as_ref(), &mut diags) {
            // A configuration not yet known (it names values of resources still to be created)
            // is planned again at apply; nothing can be read for it now.
            if config.is_wholly_known() {
                let op = self.operation(Limit::read(self.provider.limits(&data)));
                let ctx = Ctx::new(data.as_ref(), &op);
                let mut plan_diags = Diagnostics::new();
                bounded(&op, entry.handler.plan(&ctx, &config, &mut plan_diags), &mut diags).await;
                diags.extend(plan_diags);
            } else {
                diags.warning(
                    format!("{} cannot be previewed yet", request.action_type),
                    "Its configuration depends on values known only after apply, so this plan cannot read what the action would detach. It is checked again when the action runs.",
                );
            }
        }
        reply(pb::plan_action::Response { diagnostics: convert::diagnostics(&diags), deferred: None })
    }

    /// `terraform apply -invoke`: runs the action on its own task, streaming its progress lines,
    /// and ends the stream with one completion carrying its diagnostics. The invocation is one
    /// operation bounded by the action's `timeout` and by StopProvider (Ctrl-C).
    pub(super) async fn handle_invoke_action(
        &self,
        request: Request<pb::invoke_action::Request>,
    ) -> Result<Response<EventStream>, Status> {
        use pb::invoke_action::event::{Completed, Progress as ProgressEvent, Type};
        let request = request.into_inner();
        let (events, stream) = tokio::sync::mpsc::unbounded_channel();
        let stream: EventStream = Box::pin(tokio_stream::wrappers::UnboundedReceiverStream::new(stream));
        let completed = |diags: &Diagnostics| {
            Ok(pb::invoke_action::Event {
                r#type: Some(Type::Completed(Completed { diagnostics: convert::diagnostics(diags) })),
            })
        };
        let mut diags = Diagnostics::new();
        let Some((entry, config, data)) = self.prepared(&request.action_type, request.config.as_ref(), &mut diags)
        else {
            let _ = events.send(completed(&diags));
            return reply(stream);
        };
        let handler = Arc::clone(&entry.handler);
        let limit = action::limit(&config, handler.default_timeout(self.provider.limits(&data)));
        let stop = self.stop_token();
        tokio::spawn(async move {
            let (lines, mut received) = tokio::sync::mpsc::unbounded_channel::<String>();
            let run = async move {
                let op = Operation::start(limit, stop);
                let ctx = Ctx::new(data.as_ref(), &op);
                let progress = Progress::new(lines);
                let mut diags = Diagnostics::new();
                let outcome = AssertUnwindSafe(op.scope(handler.invoke(&ctx, &config, &progress, &mut diags)))
                    .catch_unwind()
                    .await;
                if let Err(panic) = outcome {
                    diags.push(internal_error(
                        "InvokeAction",
                        panic.as_ref(),
                        "The action stopped where it was; its progress lines say what it did.",
                    ));
                }
                // An action cut short by Ctrl-C or its timeout must not read as finished, and the
                // user must learn how to finish it.
                if op.stop().is_cancelled() {
                    let again = "Its progress lines say what it did. Invoke it again to finish: it reads the cloud first and calls only what is still attached.";
                    if diags.has_errors() {
                        diags.warning("The action did not finish", again);
                    } else {
                        let (summary, detail) = op.stopped_detail("the action");
                        diags.error(summary, format!("{detail} {again}"));
                    }
                }
                diags
            };
            let forward = async {
                while let Some(line) = received.recv().await {
                    let event =
                        pb::invoke_action::Event { r#type: Some(Type::Progress(ProgressEvent { message: line })) };
                    if events.send(Ok(event)).is_err() {
                        break;
                    }
                }
            };
            let (diags, ()) = tokio::join!(run, forward);
            let _ = events.send(completed(&diags));
        });
        reply(stream)
    }
}
