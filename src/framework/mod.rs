//! The provider framework: cty values, schemas, diagnostics and the `Resource` trait.
//! Resource code sees only these types, never msgpack or gRPC.

pub mod action;
pub mod args;
pub mod detach;
pub mod diag;
pub mod generate;
pub mod identity;
pub mod list;
pub mod model;
pub mod moves;
pub mod operation;
pub mod plan;
pub mod resource;
pub mod schema;
pub mod timeouts;
pub mod value;

pub use action::{Action, Progress};
pub use detach::DetachCall;
pub use diag::{AttributePath, Diagnostic, Diagnostics, Outcome, Report, Reported};
pub use list::Found;
pub use moves::{MoveSource, Moved, SourceState};
pub use resource::{Ctx, DataSource, Plan, Provider, ProviderData, Resource};
pub use schema::{Attribute, Block, NestedBlock, Schema};
pub use value::{Type, Value};
