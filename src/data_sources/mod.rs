//! The provider's data sources, one file each.

pub mod iam2_organizations;
pub mod iam2_projects;
pub mod identity_center_instances;
pub mod identity_center_principal_assignments;
pub mod member_auth_bindings;
pub mod member_policies;
pub mod organization;
pub mod rgc_managed_accounts;

use crate::clouds::zstack::{Condition, QueryOp};
use crate::framework::{AttributePath, Diagnostic, Value};

/// The ZStack name filters of a data source (`name` exact, `name_like` LIKE), as server-side
/// query conditions; a value ZStack would misread is reported on its argument.
pub(crate) fn zstack_name_filters(config: &Value, action: &str) -> Result<Vec<Condition>, Diagnostic> {
    let mut conditions = Vec::new();
    for (argument, op) in [("name", QueryOp::Eq), ("name_like", QueryOp::Like)] {
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
