//! The SCIM 2.0 service provider at `/scim/v2` (RFC 7644): identity
//! providers push people and groups with an API token made for SCIM
//! provisioning. Every answer, errors included, is a SCIM document
//! (`application/scim+json`); nothing here renders a page.

mod answer;
mod discovery;
mod resources;

use actix_web::web;

use self::answer::{not_allowed, unknown};
use self::discovery::{
    one_schema, resource_type, resource_types, schemas, service_provider_config,
};
use crate::routes;

pub use self::answer::BASE;
pub(crate) use self::answer::problem;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(BASE)
            .service(
                web::resource(routes::SCIM_SERVICE_PROVIDER_CONFIG.below(routes::SCIM))
                    .route(web::get().to(service_provider_config))
                    .default_service(web::to(not_allowed)),
            )
            .service(
                web::resource(routes::SCIM_RESOURCE_TYPES.below(routes::SCIM))
                    .route(web::get().to(resource_types))
                    .default_service(web::to(not_allowed)),
            )
            .service(
                web::resource(routes::SCIM_RESOURCE_TYPE.below(routes::SCIM))
                    .route(web::get().to(resource_type))
                    .default_service(web::to(not_allowed)),
            )
            .service(
                web::resource(routes::SCIM_SCHEMAS.below(routes::SCIM))
                    .route(web::get().to(schemas))
                    .default_service(web::to(not_allowed)),
            )
            .service(
                web::resource(routes::SCIM_SCHEMA.below(routes::SCIM))
                    .route(web::get().to(one_schema))
                    .default_service(web::to(not_allowed)),
            )
            .configure(resources::routes)
            .default_service(web::to(unknown)),
    );
}
