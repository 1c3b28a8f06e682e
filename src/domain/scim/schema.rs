//! What the service provider says about itself (RFC 7643 §5–7): its
//! configuration, resource types and schemas. The schemas list exactly the
//! attributes Gatehouse keeps and returns as it was sent, so that a client
//! generating values from them (as compliance checkers do) gets them back.

use serde_json::{Value, json};

use super::protocol::{ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};

const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const CONFIG_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

/// One attribute's definition; `extra` adds or overrides keys.
fn attr(name: &str, kind: &str, extra: Value) -> Value {
    let mut a = json!({
        "name": name,
        "type": kind,
        "multiValued": false,
        "required": false,
        "caseExact": false,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": "none",
    });
    if let (Some(a), Some(extra)) = (a.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            a.insert(k.clone(), v.clone());
        }
    }
    a
}

fn schema(id: &str, name: &str, description: &str, attributes: Vec<Value>, base: &str) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attributes,
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")},
    })
}

/// The schemas, each with its `meta.location` under `base`.
pub fn schemas(base: &str) -> Vec<Value> {
    let string = |name: &str| attr(name, "string", json!({}));
    vec![
        schema(
            USER_SCHEMA,
            "User",
            "A person",
            vec![
                attr(
                    "userName",
                    "string",
                    json!({"required": true, "uniqueness": "server"}),
                ),
                attr(
                    "name",
                    "complex",
                    json!({"subAttributes": [string("givenName"), string("familyName")]}),
                ),
                string("displayName"),
                string("title"),
                attr("active", "boolean", json!({})),
                // Gatehouse needs an address for each person (mail goes there).
                attr(
                    "emails",
                    "complex",
                    json!({
                        "multiValued": true,
                        "required": true,
                        "subAttributes": [
                            attr("value", "string", json!({"required": true})),
                            attr("type", "string", json!({"canonicalValues": ["work"]})),
                        ],
                    }),
                ),
            ],
            base,
        ),
        schema(
            ENTERPRISE_SCHEMA,
            "EnterpriseUser",
            "Enterprise User",
            vec![
                // Compared exactly, as an identifier is.
                attr("employeeNumber", "string", json!({"caseExact": true})),
                string("department"),
                attr(
                    "manager",
                    "complex",
                    json!({"subAttributes": [
                        attr("value", "string", json!({"caseExact": true})),
                        attr("$ref", "reference", json!({"caseExact": true, "referenceTypes": ["User"]})),
                    ]}),
                ),
            ],
            base,
        ),
        schema(
            GROUP_SCHEMA,
            "Group",
            "A group of people",
            vec![
                attr(
                    "displayName",
                    "string",
                    json!({"required": true, "uniqueness": "server"}),
                ),
                attr(
                    "members",
                    "complex",
                    json!({
                        "multiValued": true,
                        "subAttributes": [
                            attr("value", "string", json!({"caseExact": true, "mutability": "immutable"})),
                            attr("$ref", "reference", json!({"caseExact": true, "mutability": "immutable", "referenceTypes": ["User"]})),
                            attr("type", "string", json!({"mutability": "immutable", "canonicalValues": ["User"]})),
                        ],
                    }),
                ),
            ],
            base,
        ),
    ]
}

pub fn resource_types(base: &str) -> Vec<Value> {
    vec![
        json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "User",
            "name": "User",
            "description": "People",
            "endpoint": "/Users",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{"schema": ENTERPRISE_SCHEMA, "required": false}],
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")},
        }),
        json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "Group",
            "name": "Group",
            "description": "Groups of people",
            "endpoint": "/Groups",
            "schema": GROUP_SCHEMA,
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group")},
        }),
    ]
}

pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [CONFIG_SCHEMA],
        "documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": super::protocol::MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "API token",
            "description": "An API token made under Admin › API tokens for SCIM provisioning, sent as a bearer token",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
    })
}
