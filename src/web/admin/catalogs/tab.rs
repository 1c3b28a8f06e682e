//! A catalog page's tabs.

use crate::routes;
use crate::web::admin::tabs::tabs;

tabs! {
    /// A catalog page's tabs.
    pub enum Tab {
        Overview = ("Overview", routes::ADMIN_CATALOGS.item),
        Resources = ("Resources", routes::ADMIN_CATALOG_RESOURCES),
        Packages = ("Access packages", routes::ADMIN_CATALOG_PACKAGES),
        Extensions = ("Custom extensions", routes::ADMIN_CATALOG_EXTENSIONS),
        Roles = ("Roles and administrators", routes::ADMIN_CATALOG_ROLES),
        Settings = ("Settings", routes::ADMIN_CATALOG_SETTINGS),
    }
}
