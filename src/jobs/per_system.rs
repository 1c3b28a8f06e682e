//! What a run over several connected systems keeps, as the scheduled and
//! the asked-for imports and reconciliations all run: each system is tried
//! whatever happened to the one before (a skipped one would wait for its
//! next turn), and the first error is returned once all were tried.

use crate::domain::ids::ConnectedSystemId;
use crate::service::ServiceError;

/// The outcome of a run over several systems so far.
#[derive(Default)]
pub(super) struct Tally {
    tried: usize,
    first_error: Option<ServiceError>,
}

impl Tally {
    /// Counts the step run for `system`, logging it as `what` ("the
    /// import") when it failed.
    pub(super) fn record(
        &mut self,
        system: &ConnectedSystemId,
        what: &str,
        done: Result<(), ServiceError>,
    ) {
        self.tried += 1;
        if let Err(e) = done {
            tracing::error!(system = %system, error = %e, "{what} failed");
            self.first_error.get_or_insert(e);
        }
    }

    /// How many systems were tried, or the first error.
    pub(super) fn finish(self) -> Result<usize, ServiceError> {
        self.first_error.map_or(Ok(self.tried), Err)
    }
}
