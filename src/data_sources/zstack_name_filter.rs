//! What the ZStack data sources that list one kind of object, optionally filtered by name on the
//! server (`name` exact, `name_like` LIKE), share: everything but the kind ([`NameFiltered`]).

use async_trait::async_trait;

use crate::clients::{Clients, OperationClients, ReportCloud};
use crate::clouds::CloudError;
use crate::clouds::zstack::{Condition, QueryOp, ZStackClient};
use crate::framework::{AttributePath, Ctx, DataSource, Diagnostic, Diagnostics, Outcome, Report, Schema, Value};

const NAME: &str = "name";
const NAME_LIKE: &str = "name_like";

/// One such data source: its schema has the optional string arguments `name` and `name_like`
/// and the computed list of what it found.
#[async_trait]
pub(crate) trait NameFiltered: Send + Sync {
    const TYPE_NAME: &'static str;
    /// The query API, which the filters must suit.
    const ACTION: &'static str;
    /// The summary of the error when the query fails.
    const QUERY_FAILED: &'static str;
    /// What the query finds.
    type Found: Send;

    fn schema() -> Schema;
    async fn query(client: &ZStackClient, conditions: &[Condition]) -> Result<Vec<Self::Found>, CloudError>;
    /// The state: the filters as configured and what they found.
    fn state(name: Option<String>, name_like: Option<String>, found: Vec<Self::Found>) -> Value;
}

#[async_trait]
impl<T: NameFiltered> DataSource<Clients> for T {
    fn type_name(&self) -> &'static str {
        T::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        T::schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Err(d) = conditions(config, T::ACTION) {
            diags.push(d);
        }
    }

    async fn read(&self, ctx: &Ctx<'_, Clients>, config: &Value, diags: &mut Diagnostics) -> Outcome<Value> {
        let client = ctx.zstack().report(diags)?;
        let conditions = conditions(config, T::ACTION).report(diags)?;
        let found = T::query(&client, &conditions).await.report_as(T::QUERY_FAILED, diags)?;
        let text = |name: &str| config.attr(name).and_then(Value::as_str).map(str::to_string);
        Ok(T::state(text(NAME), text(NAME_LIKE), found))
    }
}

/// The server-side conditions for the known filters: `name=<name>` and `name~=<name_like>`.
/// `Err` names the argument ZStack would misread.
fn conditions(config: &Value, action: &str) -> Result<Vec<Condition>, Diagnostic> {
    let mut conditions = Vec::new();
    for (argument, op) in [(NAME, QueryOp::Eq), (NAME_LIKE, QueryOp::Like)] {
        if let Some(value) = config.attr(argument).and_then(Value::as_str) {
            let condition = Condition::new("name", op, value);
            if let Err(e) = condition.validate(action) {
                return Err(Diagnostic::error(
                    format!("Invalid {argument}"),
                    format!("{argument} cannot be sent to ZStack as written: {}.", e.message),
                )
                .at(AttributePath::root(argument)));
            }
            conditions.push(condition);
        }
    }
    Ok(conditions)
}
