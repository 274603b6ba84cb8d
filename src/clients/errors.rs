//! Cloud errors as diagnostics: the one place a [`CloudError`] becomes what the user reads.

use crate::clouds::reconcile::{DetachError, Detached};
use crate::clouds::{CloudError, ErrorKind};
use crate::framework::operation;
use crate::framework::{Diagnostic, Diagnostics, Outcome, Report, Reported};

/// A cloud call's result reported with a summary of what failed:
/// `let found = client.find(key).await.report_as("Could not read the binding", diags)?;`
pub trait ReportCloud<T> {
    fn report_as(self, summary: &str, diags: &mut Diagnostics) -> Outcome<T>;
}

impl<T> ReportCloud<T> for Result<T, CloudError> {
    fn report_as(self, summary: &str, diags: &mut Diagnostics) -> Outcome<T> {
        self.map_err(|error| {
            diags.push(cloud_error(summary, &error));
            Reported
        })
    }
}

/// A cloud failure as a diagnostic: a plain summary, and the cloud's own words with the
/// RequestId in the detail so the user can follow up with the vendor.
pub fn cloud_error(summary: impl Into<String>, error: &CloudError) -> Diagnostic {
    if error.kind == ErrorKind::Cancelled {
        let (summary, detail) = operation::stopped_detail(&format!("{} {}", error.cloud, error.action));
        return Diagnostic::error(summary, detail);
    }
    Diagnostic::error(summary, error.to_string())
}

/// The error for a create that found its object already there: the cloud's words, and how to
/// adopt the object instead, in the error itself (a separate warning would be folded into the
/// first one by Terraform when several creates hit this). Terraform never tells a provider the
/// resource's address, but prints it with the error ("with <address>"), which the commands name.
pub fn already_exists(summary: &str, error: &CloudError, type_name: &str, id: &str) -> Diagnostic {
    let mut diagnostic = cloud_error(summary, error);
    if error.kind != ErrorKind::Cancelled {
        diagnostic.detail = format!(
            "{}\n\nIt exists in the cloud but not in this Terraform state. {}",
            diagnostic.detail,
            import_hint(type_name, id)
        );
    }
    diagnostic
}

/// How to adopt object `id` into the resource a diagnostic is about: the exact command and
/// `import` block, with the resource's name as Terraform prints it above the diagnostic. It also
/// covers the one case where the object is in the state after all: a create_before_destroy
/// replacement of the same object, whose create Terraform 1.15 does not tell apart from a plain
/// one.
pub fn import_hint(type_name: &str, id: &str) -> String {
    format!(
        "To manage it with Terraform, import it into the resource named above (\"with {type_name}.<name>\"):\n  terraform import {type_name}.<name> {id}\nor add an import block and apply again:\n  import {{\n    to = {type_name}.<name>\n    id = \"{id}\"\n  }}\nIf this create replaces that same object with create_before_destroy (-replace, or a tainted object), nothing was changed and Terraform keeps the current object: the same binding cannot be made before it is detached. Replace it without create_before_destroy, or `terraform untaint` it."
    )
}

/// What a destroy reports after a detach sent through [`crate::clouds::reconcile::detach`]:
/// nothing when it is done, a warning when the object was created again after the detach took
/// effect (and was left alone), an error otherwise (`failed` is the summary of a refusal). A
/// "not found" refusal counts as done: the goal of destroy holds. `what` names the object
/// ("the member auth binding 1/2/3").
///
/// An unknown outcome is an error, never success: Terraform then keeps the object in state, and
/// the next destroy reads the cloud again before sending anything.
pub fn report_detach(
    outcome: Result<Detached, DetachError>,
    failed: &str,
    what: &str,
    diags: &mut Diagnostics,
) -> Outcome<()> {
    let keep = |action: &str| {
        format!(
            "{} may or may not still be attached, so it stays in the Terraform state. Run terraform destroy again: it reads the cloud before calling {action} again.",
            capitalize(what)
        )
    };
    detach_ended(outcome, failed, what, keep, diags).map(drop)
}

/// How a detach an action made ended, for its progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetachEnd {
    /// The cloud detached it now.
    Detached,
    /// It was not attached (any more): the goal holds.
    AlreadyDetached,
    /// Its answer was lost, and it was found attached again since: left alone (with a warning).
    LeftAlone,
}

/// [`report_detach`] for an action: the same rules, with how it ended for the progress line;
/// an unknown outcome tells the user to run the action again (there is no state to keep).
pub fn report_action_detach(
    outcome: Result<Detached, DetachError>,
    failed: &str,
    what: &str,
    diags: &mut Diagnostics,
) -> Outcome<DetachEnd> {
    let keep = |action: &str| {
        format!(
            "{} may or may not still be attached. Run the action again: it reads the cloud before calling {action} again.",
            capitalize(what)
        )
    };
    detach_ended(outcome, failed, what, keep, diags)
}

fn detach_ended(
    outcome: Result<Detached, DetachError>,
    failed: &str,
    what: &str,
    keep: impl Fn(&str) -> String,
    diags: &mut Diagnostics,
) -> Outcome<DetachEnd> {
    match outcome {
        Ok(Detached::Answered) => Ok(DetachEnd::Detached),
        Ok(Detached::Confirmed) => Ok(DetachEnd::Detached),
        Ok(Detached::Replaced(seen)) => {
            diags.push(Diagnostic::warning(
                format!("Left alone: {what} was created again"),
                format!("The detach's answer was lost, but it took effect; reading afterwards found {seen}. That was made after the detach, by someone else or another run, so it was not detached again. It is not in this configuration's state; import it if Terraform should manage it."),
            ));
            Ok(DetachEnd::LeftAlone)
        }
        Err(DetachError::Failed(e)) if e.kind == ErrorKind::NotFound => {
            tracing::debug!(error = %e, "already detached");
            Ok(DetachEnd::AlreadyDetached)
        }
        Err(DetachError::Failed(e)) => Err(cloud_error(failed, &e)).report(diags),
        Err(unknown @ DetachError::Unknown { .. }) => {
            let call = unknown.call_error();
            let keep = keep(&call.action);
            // Abandoned in flight (Ctrl-C, or the deadline) with no read able to tell: the stop
            // is what the user must hear about first, with the limit that ran out.
            if call.kind == ErrorKind::Cancelled {
                let (summary, stopped) = operation::stopped_detail(&format!("{} {}", call.cloud, call.action));
                let read = match &unknown {
                    DetachError::Unknown { read, .. } if read.kind != ErrorKind::Cancelled => {
                        format!(" Reading whether it took effect failed: {read}.")
                    }
                    _ => String::new(),
                };
                return Err(Diagnostic::error(
                    summary,
                    format!("{stopped} It was already sent, and its outcome is unknown.{read} {keep}"),
                ))
                .report(diags);
            }
            Err(Diagnostic::error(
                format!("Outcome of {} {} unknown", call.cloud, call.action),
                format!("{unknown}. {keep}"),
            ))
            .report(diags)
        }
    }
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
