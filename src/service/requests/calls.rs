//! Which custom extension a policy calls at each stage of a request: used
//! by every use case that may start a call (submit, decide, deliver, the
//! lifecycle jobs), below both delivery and the extensions' own rules.

use crate::domain::custom_extension::Stage;
use crate::domain::ids::PolicyId;
use crate::domain::request::Binding;
use crate::store::snapshot::PackageInfo;

/// The extensions a policy calls, by stage.
#[derive(Clone, Debug, Default)]
pub(crate) struct Calls(Vec<(Stage, Binding)>);

impl Calls {
    pub(crate) fn at(&self, stage: Stage) -> Option<&Binding> {
        self.0.iter().find(|(s, _)| *s == stage).map(|(_, b)| b)
    }
}

/// What the policy calls, from the package as the request's transaction
/// read it (kept in memory with the package).
pub(crate) fn calls_of(info: &PackageInfo, policy: &PolicyId) -> Calls {
    Calls(info.calls_of(policy).map(|(s, b)| (s, b.clone())).collect())
}
