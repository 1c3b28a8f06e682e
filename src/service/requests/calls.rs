//! Which custom extension a policy calls at each stage of a request: read
//! by every use case that may start a call (submit, decide, deliver, the
//! lifecycle jobs), below both delivery and the extensions' own rules.

use crate::domain::custom_extension::Stage;
use crate::domain::request::Binding;
use crate::service::ServiceError;
use crate::store::{Conn, custom_extensions};

/// The extensions a policy calls, by stage.
#[derive(Clone, Debug, Default)]
pub(crate) struct Calls(Vec<(Stage, Binding)>);

impl Calls {
    pub(crate) fn at(&self, stage: Stage) -> Option<&Binding> {
        self.0.iter().find(|(s, _)| *s == stage).map(|(_, b)| b)
    }
}

/// Reads what the policy calls (one statement).
#[tracing::instrument(skip_all)]
pub(crate) async fn calls_of(conn: &mut Conn, policy: &str) -> Result<Calls, ServiceError> {
    Ok(Calls(
        custom_extensions::of_policy(conn, policy)
            .await?
            .into_iter()
            .map(|(stage, e)| {
                let behavior = e.behavior();
                (
                    stage,
                    Binding {
                        extension: e.id,
                        name: e.display_name,
                        behavior,
                    },
                )
            })
            .collect(),
    ))
}
