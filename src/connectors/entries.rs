//! The people and groups a connector is given and finds in a target.

/// A person as Gatehouse knows them, to find or create in a target.
#[derive(Debug, Clone)]
pub struct Person {
    pub email: String,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    /// A guest: their address's local part says nothing of who they are in
    /// the target, where an employee may have it as their uid.
    pub guest: bool,
}

/// Who a person is in a target: `key` names their entry (a DN or a SCIM
/// User id), `member` is the value a group lists them by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub key: String,
    pub member: String,
}

/// A group found in a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundGroup {
    /// A DN, or a SCIM Group id.
    pub id: String,
    pub name: String,
}
