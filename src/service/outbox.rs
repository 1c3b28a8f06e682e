//! The mail outbox as administrators read it: every message queued, sent
//! or not.

use super::{ServiceError, read};
use crate::store::outbox::{self, MailRow};
use crate::store::{Page, PageAt, Store};

/// One page of the outbox, newest first.
#[tracing::instrument(skip_all)]
pub async fn list(store: &Store, at: PageAt) -> Result<Page<MailRow>, ServiceError> {
    read(store, async |c| Ok(outbox::list(c, at).await?)).await
}
