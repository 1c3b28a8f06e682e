//! What every My Access page knows of who is asking, and its page frame.

use crate::domain::user::Person;
use crate::web::extract::context::Ctx;
use crate::web::extract::guard::Requester;
use crate::web::layout::Layout;

/// A My Access handler's context: anyone signed in, member or guest.
pub type Portal = Ctx<Requester>;

impl Ctx<Requester> {
    /// My Access's page frame, titled.
    pub fn layout(&self, title: impl Into<String>) -> Layout {
        Layout::for_requester(&self.state, &self.who, "my_access", title)
    }

    /// Who is asking: someone in the directory (member or guest), or someone
    /// known so far only by the identity they signed in with.
    pub fn person(&self) -> &Person {
        &self.who.person
    }
}
