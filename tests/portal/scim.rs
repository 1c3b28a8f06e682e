//! Gatehouse as a SCIM 2.0 service provider: tokens made on the console,
//! users and groups pushed in the forms Entra ID and Okta send, the errors
//! a provider is told, and the real tools (scim2-cli, and the scim2-tester
//! compliance checker it runs) against it.

use gatehouse::routes;
use serde_json::{Value, json};

use crate::both;
use crate::correctness::demo;
use crate::helpers::*;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// Makes a token on Admin › API tokens; returns it (shown once).
async fn make_token(app: &TestApp, admin: &Browser, name: &str) -> String {
    let page = admin.get(&app.url(routes::ADMIN_TOKENS.as_str())).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let made = admin
        .post(
            &app.url(routes::ADMIN_TOKENS.as_str()),
            &[
                ("csrf_token", &page.csrf()),
                ("name", name),
                ("purpose", "scim"),
                ("expires", ""),
            ],
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.body);
    let needle = "id=\"made-token\" value=\"";
    let at = made.body.find(needle).expect("the token is shown") + needle.len();
    let token = made.body[at..at + made.body[at..].find('"').unwrap()].to_string();
    assert!(token.starts_with("ghs_"), "{token}");
    token
}

struct Scim {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Scim {
    fn new(app: &TestApp, token: &str) -> Scim {
        Scim {
            base: app.url(routes::SCIM),
            token: token.to_string(),
            // Idle connections are dropped before the server's keep-alive
            // (5 s) closes them under a request.
            http: reqwest::Client::builder()
                .pool_idle_timeout(std::time::Duration::from_secs(2))
                .build()
                .unwrap(),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            r = r
                .header("content-type", "application/scim+json")
                .body(b.to_string());
        }
        let res = r.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
        };
        (status, json)
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }
    async fn post(&self, path: &str, b: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(b)).await
    }
    async fn patch(&self, path: &str, b: Value) -> (u16, Value) {
        self.call(reqwest::Method::PATCH, path, Some(b)).await
    }
    async fn put(&self, path: &str, b: Value) -> (u16, Value) {
        self.call(reqwest::Method::PUT, path, Some(b)).await
    }
    async fn delete(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::DELETE, path, None).await
    }

    /// How many users a filter finds.
    async fn count(&self, filter: &str) -> i64 {
        let (s, b) = self
            .get(&format!("/Users?filter={}", urlencode(filter)))
            .await;
        assert_eq!(s, 200, "{filter}: {b}");
        b["totalResults"].as_i64().unwrap()
    }
}

fn patch_op(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

both!(
    identity_providers_push_people_and_groups,
    |backend| async move {
        let (app, admin, _clock) = demo(backend).await;

        // Nothing is open until a token is made.
        let anonymous = Scim::new(&app, "");
        let (s, b) = anonymous.get("/Users").await;
        assert_eq!(s, 401, "{b}");
        assert_eq!(
            b["schemas"][0],
            "urn:ietf:params:scim:api:messages:2.0:Error"
        );
        // Every endpoint is guarded, discovery too, and a refused call
        // changes nothing.
        assert_eq!(anonymous.get("/ServiceProviderConfig").await.0, 401);
        let (s, b) = anonymous
            .post("/Users", json!({"userName": "sneaky@example.test"}))
            .await;
        assert_eq!((s, b["status"].as_str()), (401, Some("401")));
        let token = make_token(&app, &admin, "Entra ID").await;
        let tokens = admin.get(&app.url(routes::ADMIN_TOKENS.as_str())).await;
        assert!(
            !tokens.has(&token) && tokens.has("Entra ID") && tokens.has("SCIM provisioning"),
            "the token is never shown again"
        );
        let scim = Scim::new(&app, &token);
        let (_, none) = scim
            .get("/Users?filter=userName%20eq%20%22sneaky@example.test%22")
            .await;
        assert_eq!(none["totalResults"], 0, "{none}");
        let (s, b) = Scim::new(&app, "ghs_wrong").get("/Users").await;
        assert_eq!((s, b["status"].as_str()), (401, Some("401")));

        // Discovery.
        let (s, spc) = scim.get("/ServiceProviderConfig").await;
        assert_eq!(s, 200);
        assert_eq!(spc["patch"]["supported"], true);
        let (_, types) = scim.get("/ResourceTypes").await;
        assert_eq!(types["totalResults"], 2);
        let (_, schemas) = scim.get("/Schemas").await;
        assert_eq!(schemas["totalResults"], 3);
        assert_eq!(scim.get("/ResourceTypes/Nope").await.0, 404);
        assert_eq!(scim.post("/ServiceProviderConfig", json!({})).await.0, 405);
        assert_eq!(scim.get("/Nowhere").await.0, 404);
        // A path whose id is no id names nothing, told in SCIM's words.
        for path in ["/Users/not-an-id", "/Groups/not-an-id"] {
            let (s, b) = scim.get(path).await;
            assert_eq!((s, b["status"].as_str()), (404, Some("404")), "{path}: {b}");
            let detail = b["detail"].as_str().unwrap_or_default();
            assert!(detail.ends_with("has the id not-an-id."), "{b}");
            assert_eq!(scim.delete(path).await.0, 404, "{path}");
            let rename = json!([{"op": "replace", "path": "displayName", "value": "X"}]);
            assert_eq!(scim.patch(path, patch_op(rename)).await.0, 404, "{path}");
        }

        // A user as Entra ID creates one.
        let (s, ann) = scim
            .post(
                "/Users",
                json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
                    "externalId": "ann",
                    "userName": "ann.lee@example.com",
                    "active": true,
                    "displayName": "Ann Lee",
                    "title": "Buyer",
                    "emails": [{"primary": true, "type": "work", "value": "ann.lee@example.com"}],
                    "name": {"formatted": "Ann Lee", "familyName": "Lee", "givenName": "Ann"},
                    "phoneNumbers": [{"type": "work", "value": "555"}],
                    ENTERPRISE: {"employeeNumber": "701", "department": "Purchasing"}
                }),
            )
            .await;
        assert_eq!(s, 201, "{ann}");
        let ann_id = ann["id"].as_str().unwrap().to_string();
        assert_eq!(
            ann["meta"]["location"],
            format!("{}/Users/{ann_id}", scim.base)
        );
        assert_eq!(ann[ENTERPRISE]["department"], "Purchasing");
        let users = admin
            .get(&app.url(format!("{}?q=ann", routes::ADMIN_USERS.list)))
            .await;
        assert!(users.has("Ann Lee"), "{}", users.body);
        // On the console she shows where she comes from, and what the
        // provider keeps cannot be changed there; her custom attributes can.
        let ann_page = admin
            .get(&app.url(routes::ADMIN_USERS.item.id(&ann_id)))
            .await;
        assert!(
            ann_page.has("Identity provider (SCIM)")
                && ann_page.has("external id <code>ann</code>"),
            "{}",
            ann_page.body
        );
        let edit = |name: &'static str, attrs: &'static str| {
            [
                ("user_type", "member"),
                ("display_name", name),
                ("given_name", "Ann"),
                ("surname", "Lee"),
                ("email", "ann.lee@example.com"),
                ("job_title", "Buyer"),
                ("department", "Purchasing"),
                ("manager_email", ""),
                ("state", "active"),
                ("custom_attributes", attrs),
            ]
        };
        let csrf = ann_page.csrf();
        let mut form = vec![("csrf_token", csrf.as_str())];
        form.extend(edit("Annie", ""));
        let refused = admin
            .post(&app.url(routes::ADMIN_USERS.item.id(&ann_id)), &form)
            .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(refused.has("Kept where this person comes from (the identity provider or directory): change it there."));
        let mut form = vec![("csrf_token", csrf.as_str())];
        form.extend(edit("Ann Lee", "costCenter=4711"));
        let saved = admin
            .post(&app.url(routes::ADMIN_USERS.item.id(&ann_id)), &form)
            .await;
        assert_eq!(saved.status, 303, "{}", saved.body);

        // Her manager, by id (Entra sends it bare).
        let (s, bob) = scim
            .post(
                "/Users",
                json!({"userName": "BOB", "emails": [{"value": "bob@example.com"}], "name": {"givenName": "Bob", "familyName": "Stone"},
                       ENTERPRISE: {"manager": ann_id}}),
            )
            .await;
        assert_eq!(s, 201, "{bob}");
        assert_eq!(bob[ENTERPRISE]["manager"]["value"], ann_id.as_str());
        assert_eq!(bob["displayName"], "Bob Stone");
        let bob_id = bob["id"].as_str().unwrap().to_string();

        // Uniqueness without regard to case; the wrong types; no change either way.
        let (s, b) = scim
            .post(
                "/Users",
                json!({"userName": "bob", "emails": [{"value": "other@example.com"}]}),
            )
            .await;
        assert_eq!(
            (s, b["scimType"].as_str()),
            (409, Some("uniqueness")),
            "{b}"
        );
        let (s, b) = scim
            .post(
                "/Users",
                json!({"userName": "carl", "emails": [{"value": "ANN.LEE@example.com"}]}),
            )
            .await;
        assert_eq!(
            (s, b["scimType"].as_str()),
            (409, Some("uniqueness")),
            "{b}"
        );
        let (s, b) = scim.post("/Users", json!({"userName": 7})).await;
        assert_eq!(
            (s, b["scimType"].as_str()),
            (400, Some("invalidValue")),
            "{b}"
        );
        let (s, b) = scim.post("/Users", json!({"userName": "no-mail"})).await;
        assert_eq!(
            (s, b["scimType"].as_str()),
            (400, Some("invalidValue")),
            "{b}"
        );
        let (s, b) = scim.post("/Users", json!({"userName": "x", "emails": [{"value": "x@example.com"}], ENTERPRISE: {"manager": "nobody"}})).await;
        assert_eq!(s, 400, "{b}");
        assert_eq!(scim.count("userName eq \"x\"").await, 0);
        // Too long to index, in bytes though not in characters (1,000 of
        // these are 3,000 bytes): refused, not a server error.
        let wide = "名".repeat(1000);
        let body = json!({"userName": wide, "emails": [{"value": "wide@example.com"}]});
        let (s, b) = scim.post("/Users", body).await;
        assert_eq!(
            (s, b["scimType"].as_str()),
            (400, Some("invalidValue")),
            "{b}"
        );
        assert!(b["detail"].as_str().unwrap().contains("1,024 bytes"), "{b}");
        let (s, b) = scim.call(reqwest::Method::POST, "/Users", None).await;
        assert_eq!((s, b["scimType"].as_str()), (400, Some("invalidSyntax")));
        // Refused before its body is read, so the server closes the
        // connection: a client of its own keeps it out of the shared pool.
        let big = "x".repeat(1_100_000);
        let (s, _) = Scim::new(&app, &token)
            .post("/Users", json!({"userName": big}))
            .await;
        assert_eq!(s, 413);

        // Filters.
        assert_eq!(scim.count("userName eq \"Ann.Lee@Example.com\"").await, 1);
        assert_eq!(
            scim.count("emails[type eq \"work\"].value eq \"bob@example.com\"")
                .await,
            1
        );
        // Every address is a work address: "work" orders after "v" and before "x".
        for (filter, found) in [
            ("lt \"x\"", 1),
            ("le \"work\"", 1),
            ("ge \"x\"", 0),
            ("gt \"v\"", 1),
        ] {
            let filter = format!("emails[type {filter}] and userName eq \"bob\"");
            assert_eq!(scim.count(&filter).await, found, "{filter}");
        }
        assert_eq!(scim.count("externalId eq \"ann\"").await, 1);
        assert_eq!(
            scim.count("externalId eq \"ANN\"").await,
            0,
            "externalId is case-exact"
        );
        assert_eq!(
            scim.count("userName sw \"ann\" or userName eq \"bob\"")
                .await,
            2
        );
        assert_eq!(
            scim.count("userName co \"nn.le\" and not (active eq false)")
                .await,
            1
        );
        assert_eq!(scim.count("title pr and displayName ew \"lee\"").await, 1);
        assert_eq!(
            scim.count(&format!("{ENTERPRISE}:employeeNumber eq \"701\""))
                .await,
            1
        );
        assert_eq!(
            scim.count("meta.lastModified gt \"2000-01-01T00:00:00Z\" and userName ne \"bob\"")
                .await,
            1 + scim
                .count("userName ne \"bob\" and userName ne \"ann.lee@example.com\"")
                .await
        );
        let (s, b) = scim
            .get(&format!("/Users?filter={}", urlencode("userName eq")))
            .await;
        assert_eq!(
            (s, b["scimType"].as_str()),
            (400, Some("invalidFilter")),
            "{b}"
        );
        let (s, b) = scim
            .get(&format!("/Users?filter={}", urlencode("shoeSize eq \"9\"")))
            .await;
        assert_eq!(
            (s, b["scimType"].as_str()),
            (400, Some("invalidFilter")),
            "{b}"
        );
        let (s, page) = scim.get("/Users?startIndex=2&count=1").await;
        assert_eq!(s, 200);
        assert_eq!(
            (page["startIndex"].as_i64(), page["itemsPerPage"].as_i64()),
            (Some(2), Some(1))
        );
        let (_, none) = scim.get("/Users?count=0").await;
        assert!(
            none["totalResults"].as_i64().unwrap() >= 2
                && none["Resources"].as_array().unwrap().is_empty()
        );

        // Bob is deactivated the way Entra ID does it: blocked at once, with
        // the attributes its default mappings send beside (parts of ones
        // Gatehouse keeps nothing of).
        let (s, b) = scim
            .patch(
                &format!("/Users/{bob_id}"),
                patch_op(json!([
                    {"op": "Replace", "path": "phoneNumbers[type eq \"work\"].value", "value": "555"},
                    {"op": "Add", "path": "addresses[type eq \"work\"].streetAddress", "value": "1 Main St"},
                    {"op": "Replace", "path": "active", "value": "False"}
                ])),
            )
            .await;
        assert_eq!((s, b["active"].as_bool()), (200, Some(false)), "{b}");
        let page = admin
            .get(&app.url(routes::ADMIN_USERS.item.id(&bob_id)))
            .await;
        assert!(
            page.has("<dt>Sign-in state</dt><dd>Blocked</dd>"),
            "{}",
            page.body
        );
        // Okta's form: no path.
        let (s, b) = scim
            .patch(&format!("/Users/{bob_id}"), patch_op(json!([{"op": "replace", "value": {"active": true, "name.givenName": "Robert"}}])))
            .await;
        assert_eq!(
            (s, b["active"].as_bool(), b["name"]["givenName"].as_str()),
            (200, Some(true), Some("Robert")),
            "{b}"
        );
        // A NUL in an id, a filter or a member is a SCIM error, not a server
        // error (PostgreSQL cannot store or compare it).
        // More members than one statement may bind are checked all the same.
        let many: Vec<Value> = (0..33_000)
            .map(|n| json!({"value": n.to_string()}))
            .collect();
        let (s, b) = scim
            .post("/Groups", json!({"displayName": "Crowd", "members": many}))
            .await;
        assert_eq!(
            (s, b["detail"].as_str()),
            (400, Some("No user has the id 0 (a member).")),
            "{b}"
        );
        let search = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                            "filter": "userName eq \"a\u{0}\""});
        let members = json!({"displayName": "Nul", "members": [{"value": "\u{0}"}]});
        for (answer, kind) in [
            (scim.get("/Users/a%00b").await, "invalidValue"),
            (scim.post("/.search", search).await, "invalidFilter"),
            (scim.post("/Groups", members).await, "invalidValue"),
        ] {
            let (s, b) = answer;
            assert_eq!((s, b["scimType"].as_str()), (400, Some(kind)), "{b}");
        }
        let (s, b) = scim
            .patch(
                &format!("/Users/{bob_id}"),
                patch_op(json!([{"op": "add", "path": "shoeSize", "value": 9}])),
            )
            .await;
        assert_eq!(
            (s, b["scimType"].as_str()),
            (400, Some("invalidPath")),
            "{b}"
        );
        // Okta's PUT: the whole user.
        let (s, b) = scim
            .put(&format!("/Users/{bob_id}"), json!({"userName": "bob", "emails": [{"value": "bob@example.com"}], "displayName": "Bob S.", "active": true}))
            .await;
        assert_eq!((s, b["displayName"].as_str()), (200, Some("Bob S.")), "{b}");

        // A group with members, changed in every form providers send.
        let (s, g) = scim
            .post("/Groups", json!({"displayName": "Buyers", "externalId": "g1", "members": [{"value": ann_id}]}))
            .await;
        assert_eq!(s, 201, "{g}");
        let gid = g["id"].as_str().unwrap().to_string();
        // A PATCH answers 204 (Entra's guide), or the attributes it names.
        let (s, g) = scim
            .patch(
                &format!("/Groups/{gid}"),
                patch_op(json!([
                    {"op": "Add", "path": "members", "value": [{"$ref": null, "value": bob_id}]},
                ])),
            )
            .await;
        assert_eq!((s, &g), (204, &Value::Null), "{g}");
        let (s, g) = scim
            .patch(
                &format!("/Groups/{gid}?attributes=members"),
                patch_op(json!([
                    {"op": "remove", "path": format!("members[value eq \"{ann_id}\"]")}
                ])),
            )
            .await;
        assert_eq!(s, 200, "{g}");
        assert!(g.get("displayName").is_none(), "only what was asked: {g}");
        let members: Vec<&str> = g["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["value"].as_str().unwrap())
            .collect();
        assert_eq!(members, vec![bob_id.as_str()]);

        // Eight creates of one userName at once (an IdP's retries racing):
        // one is created, every other is told the name is taken.
        let racers: Vec<_> = (0..8)
            .map(|n| {
                scim.post(
                    "/Users",
                    json!({"userName": "racer", "emails": [{"value": format!("racer{n}@example.com")}], "active": true}),
                )
            })
            .collect();
        let mut statuses: Vec<u16> = futures_util::future::join_all(racers)
            .await
            .into_iter()
            .map(|(s, b)| {
                assert!(s == 201 || b["scimType"] == json!("uniqueness"), "{s}: {b}");
                s
            })
            .collect();
        statuses.sort();
        assert_eq!(statuses, [201, 409, 409, 409, 409, 409, 409, 409]);

        // A search over both types pages over users, then groups, and counts
        // both whole.
        let (_, users) = scim.get("/Users?count=0").await;
        let (_, groups) = scim.get("/Groups?count=0").await;
        let (u, g) = (
            users["totalResults"].as_i64().unwrap(),
            groups["totalResults"].as_i64().unwrap(),
        );
        let search = |start: i64, count: i64| {
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                   "startIndex": start, "count": count})
        };
        let (s, b) = scim.post("/.search", search(u, 2)).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["totalResults"].as_i64(), Some(u + g), "{b}");
        let both = b["Resources"].as_array().unwrap();
        assert!(
            both.len() == 2 && both[0]["userName"].is_string() && both[1]["userName"].is_null(),
            "the last user, then the first group: {b}"
        );
        let (_, b) = scim.post("/.search", search(u + g, 5)).await;
        assert_eq!(b["Resources"].as_array().map(Vec::len), Some(1), "{b}");
        let group_page = admin
            .get(&app.url(routes::ADMIN_GROUPS.item.id(&gid)))
            .await;
        assert!(
            group_page.has("Bob S.") && !group_page.has("Ann Lee"),
            "{}",
            group_page.body
        );
        let (s, b) = scim.post("/Groups", json!({"displayName": "buyers"})).await;
        assert_eq!(
            (s, b["scimType"].as_str()),
            (409, Some("uniqueness")),
            "{b}"
        );
        let (s, b) = scim
            .post(
                "/Groups",
                json!({"displayName": "Ghosts", "members": [{"value": "nobody"}]}),
            )
            .await;
        assert_eq!(
            (s, b["scimType"].as_str()),
            (400, Some("invalidValue")),
            "{b}"
        );
        let (s, list) = scim
            .get(&format!(
                "/Groups?filter={}",
                urlencode("displayName eq \"BUYERS\"")
            ))
            .await;
        assert_eq!((s, list["totalResults"].as_i64()), (200, Some(1)), "{list}");
        let (_, list) = scim
            .get(&format!(
                "/Groups?filter={}&excludedAttributes=members",
                urlencode(&format!("members eq \"{bob_id}\""))
            ))
            .await;
        assert_eq!(list["totalResults"], 1);
        assert!(list["Resources"][0].get("members").is_none());
        // Members are shown unless excluded or left out of the attributes asked for.
        let (_, list) = scim
            .get(&format!(
                "/Groups?filter={}",
                urlencode(&format!("members eq \"{bob_id}\""))
            ))
            .await;
        assert_eq!(
            list["Resources"][0]["members"][0]["value"], bob_id,
            "{list}"
        );
        let (_, list) = scim.get("/Groups?attributes=displayName").await;
        let groups = list["Resources"].as_array().unwrap();
        assert!(
            groups
                .iter()
                .all(|g| g["displayName"].is_string() && g.get("members").is_none()),
            "{list}"
        );
        let (_, one) = scim.get(&format!("/Groups/{gid}")).await;
        assert_eq!(one["members"][0]["value"], bob_id, "{one}");
        let (_, one) = scim
            .get(&format!("/Groups/{gid}?excludedAttributes=members"))
            .await;
        assert!(
            one["displayName"].is_string() && one.get("members").is_none(),
            "{one}"
        );

        // Bob manages Ann, then is deleted at the source: gone from SCIM,
        // blocked in Gatehouse.
        let manager = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";
        let (s, b) = scim
            .patch(
                &format!("/Users/{ann_id}"),
                patch_op(json!([{"op": "replace", "path": manager, "value": bob_id}])),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(scim.delete(&format!("/Users/{bob_id}")).await.0, 204);
        let (s, b) = scim.get(&format!("/Users/{bob_id}")).await;
        assert_eq!((s, b["status"].as_str()), (404, Some("404")));
        let page = admin
            .get(&app.url(routes::ADMIN_USERS.item.id(&bob_id)))
            .await;
        assert!(
            page.has("<dt>Sign-in state</dt><dd>Blocked</dd>"),
            "{}",
            page.body
        );
        // What he leaves behind names nobody: his group and his report can
        // still be changed, and someone new can be created with his address.
        let (s, _) = scim
            .patch(
                &format!("/Groups/{gid}"),
                patch_op(json!([{"op": "Add", "path": "members", "value": [{"value": ann_id}]}])),
            )
            .await;
        assert_eq!(s, 204);
        let (_, g) = scim.get(&format!("/Groups/{gid}")).await;
        assert_eq!(
            (
                g["members"][0]["value"].as_str(),
                g["members"].as_array().map(Vec::len)
            ),
            (Some(ann_id.as_str()), Some(1)),
            "{g}"
        );
        let (s, b) = scim
            .patch(
                &format!("/Users/{ann_id}"),
                patch_op(json!([{"op": "Replace", "path": "active", "value": "False"}])),
            )
            .await;
        assert_eq!((s, b["active"].as_bool()), (200, Some(false)), "{b}");
        let (s, b) = scim
            .post(
                "/Users",
                json!({"userName": "bob", "emails": [{"value": "bob@example.com"}], "active": true}),
            )
            .await;
        assert_eq!((s, b["userName"].as_str()), (201, Some("bob")), "{b}");
        assert_ne!(b["id"].as_str(), Some(bob_id.as_str()), "someone new");
        assert_eq!(scim.count("userName eq \"bob\"").await, 1);
        assert_eq!(scim.delete(&format!("/Groups/{gid}")).await.0, 204);
        assert_eq!(scim.get(&format!("/Groups/{gid}")).await.0, 404);

        // The audit log names the token; a revoked token is refused.
        let audit = admin.get(&app.url(routes::ADMIN_AUDIT)).await;
        assert!(audit.has("SCIM: Entra ID"), "{}", audit.body);
        let tokens = admin.get(&app.url(routes::ADMIN_TOKENS.as_str())).await;
        let revoke = form_action(&tokens, "Entra ID", routes::ADMIN_TOKEN_REVOKE);
        let r = admin
            .post(&app.url(&revoke), &[("csrf_token", &tokens.csrf())])
            .await;
        assert_eq!(r.status, 303);
        assert_eq!(scim.get("/Users").await.0, 401);
        let tokens = admin.get(&app.url(routes::ADMIN_TOKENS.as_str())).await;
        assert!(
            tokens.has("Revoked") && tokens.has("Last used"),
            "{}",
            tokens.body
        );
    }
);

/// The real tools: scim2-cli creates, patches, deactivates and deletes a
/// user and pushes a group; its `test` command (scim2-tester) checks the
/// whole service provider.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_scim_tools_work_against_gatehouse() {
    let (app, admin, _clock) = demo(Backend::Sqlite).await;
    let token = make_token(&app, &admin, "scim2-cli").await;
    let cli = required_env("GATEHOUSE_TEST_SCIM_CLI");
    let base = app.url(routes::SCIM);
    let run = |args: &[&str]| {
        let out = std::process::Command::new(&cli)
            .env("SCIM_CLI_URL", &base)
            .env("SCIM_CLI_HEADERS", format!("Authorization: Bearer {token}"))
            .args(args)
            .output()
            .expect("scim2 runs");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (ok, out, err) = tokio::task::block_in_place(|| {
        run(&[
            "create",
            "user",
            "--user-name",
            "dora@example.com",
            "--display-name",
            "Dora Diaz",
            "--emails",
            r#"[{"value":"dora@example.com","type":"work"}]"#,
            "--active",
            "true",
            "--enterpriseuser",
            r#"{"employeeNumber":"42","department":"Legal"}"#,
        ])
    });
    assert!(ok, "{out}{err}");
    let dora: Value = serde_json::from_str(&out).unwrap();
    let id = dora["id"].as_str().unwrap().to_string();
    let (ok, out, err) = tokio::task::block_in_place(|| {
        run(&["modify", "user", &id, "replace", "title", "Counsel"])
    });
    assert!(ok && out.contains("Counsel"), "{out}{err}");
    let (ok, out, err) =
        tokio::task::block_in_place(|| run(&["modify", "user", &id, "replace", "active", "false"]));
    assert!(ok && out.contains("\"active\": false"), "{out}{err}");
    let (ok, out, err) = tokio::task::block_in_place(|| {
        run(&[
            "create",
            "group",
            "--display-name",
            "Legal",
            "--members",
            &format!(r#"[{{"value":"{id}","type":"User"}}]"#),
        ])
    });
    assert!(ok && out.contains(&id), "{out}{err}");
    let group_page = admin
        .get(&app.url(format!("{}?q=Legal", routes::ADMIN_GROUPS.list)))
        .await;
    assert!(group_page.has("Legal"), "{}", group_page.body);
    let (ok, out, err) = tokio::task::block_in_place(|| run(&["delete", "user", &id]));
    assert!(ok, "{out}{err}");
    let (ok, _, _) = tokio::task::block_in_place(|| run(&["query", "user", &id]));
    assert!(!ok, "a deleted user is gone");

    // The compliance checker: every result but the ones the README explains.
    let (_, out, err) = tokio::task::block_in_place(|| run(&["test"]));
    std::fs::create_dir_all("target/test-artifacts").ok();
    std::fs::write("target/test-artifacts/scim2-tester.txt", &out).ok();
    let failures: Vec<String> = out
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("ERROR ") || l.starts_with("CRITICAL "))
        .map(|(i, l)| format!("{l} / {}", out.lines().nth(i + 1).unwrap_or("").trim()))
        .collect();
    let explained = |f: &String| {
        f.starts_with("ERROR check_remove_attribute")
            && (f.contains("'displayName'") || f.contains("'active'"))
    };
    let unexplained: Vec<&String> = failures.iter().filter(|f| !explained(f)).collect();
    assert!(
        out.contains("SUCCESS object_creation") && unexplained.is_empty(),
        "scim2-tester found: {unexplained:#?}\n{out}{err}"
    );
}

both!(a_leaver_loses_access_at_once, |backend| async move {
    let (app, admin, _clock) = demo(backend).await;
    let token = make_token(&app, &admin, "Okta").await;
    let scim = Scim::new(&app, &token);
    let (s, lea) = scim
        .post(
            "/Users",
            json!({"userName": "lea@example.com", "name": {"givenName": "Lea", "familyName": "Leaver"}, "emails": [{"value": "lea@example.com"}]}),
        )
        .await;
    assert_eq!(s, 201, "{lea}");
    let id = lea["id"].as_str().unwrap().to_string();
    let lea_mail = "lea@example.com";

    // Lea holds the employees' package, and waits for approval of another.
    let employees = package_named(&app, "Marketing resources for employees").await;
    let initial = policy_named(&app, &employees, "Initial policy").await;
    let r =
        crate::correctness::assign_directly(&app, &admin, &employees, &initial, &[lea_mail], &[])
            .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let slack = package_named(&app, "Slack administration").await;
    let slack_policy = policy_named(&app, &slack, "Initial policy").await;
    let r = crate::correctness::assign_directly(
        &app,
        &admin,
        &slack,
        &slack_policy,
        &[lea_mail],
        &[("through_approval", "")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(has(
        &held_by(&app, lea_mail).await,
        "Group SG-Marketing-Department-InternalUsers member"
    ));
    let open = "SELECT COUNT(*) FROM assignment_requests WHERE target_email = 'lea@example.com' AND state = 'pendingApproval'";
    assert_eq!(count(&app, open).await, 1);

    // Okta deactivates her: no path, the value an object.
    let (s, b) = scim
        .patch(
            &format!("/Users/{id}"),
            patch_op(json!([{"op": "replace", "value": {"active": false}}])),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert!(
        !has(
            &held_by(&app, lea_mail).await,
            "Group SG-Marketing-Department-InternalUsers member"
        ),
        "her access is taken back as on removal"
    );
    assert_eq!(
        count(&app, open).await,
        0,
        "her waiting request is cancelled"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM access_package_assignments a JOIN users u ON u.id = a.target_id WHERE u.email = 'lea@example.com' AND a.end_reason = 'removedFromDirectory'").await,
        1
    );
    let tab = admin
        .get(&app.url(format!(
            "{}?state=removed",
            routes::ADMIN_PACKAGE_ASSIGNMENTS.id(&employees)
        )))
        .await;
    assert!(tab.has("Removed from the directory"), "{}", tab.body);
});

both!(
    approvals_waiting_on_a_leaver_go_to_the_fallback_approvers,
    |backend| async move {
        let (app, admin, _clock) = demo(backend).await;
        let token = make_token(&app, &admin, "Entra ID").await;
        let scim = Scim::new(&app, &token);
        let (s, lea) = scim
        .post("/Users", json!({"userName": "lea@example.com", "displayName": "Lea Lead", "emails": [{"value": "lea@example.com"}]}))
        .await;
        assert_eq!(s, 201, "{lea}");
        let lea_id = lea["id"].as_str().unwrap().to_string();

        // Lea becomes Eric's manager; Eric asks for the employees' package, whose
        // first stage is the requestor's manager (fallback: Ada).
        let eric = user_named(&app, "eric.employee@gatehouse.demo").await;
        let page = admin
            .get(&app.url(routes::ADMIN_USERS.item.id(&eric.id)))
            .await;
        let r = admin
            .post(
                &app.url(routes::ADMIN_USERS.item.id(&eric.id)),
                &[
                    ("csrf_token", &page.csrf()),
                    ("user_type", "member"),
                    ("display_name", "Eric Employee"),
                    ("email", "eric.employee@gatehouse.demo"),
                    ("manager_email", "lea@example.com"),
                    ("state", "active"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let employees = package_named(&app, "Marketing resources for employees").await;
        let who = Browser::new();
        app.demo_sign_in(&who, "eric.employee@gatehouse.demo").await;
        let r =
            crate::correctness::request(&app, &who, &employees, &[("justification", "Campaign")])
                .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let waiting = format!(
            "SELECT COUNT(*) FROM request_stage_approvers a JOIN assignment_requests r ON r.id = a.request_id WHERE a.user_id = '{lea_id}' AND r.state = 'pendingApproval'"
        );
        assert_eq!(count(&app, &waiting).await, 1, "Lea decides it");
        let ada_inbox = admin.get(&app.url(routes::APPROVALS.as_str())).await;
        assert!(!ada_inbox.has("Eric Employee"), "not Ada's yet");

        // Lea leaves: the stage goes to Ada, who is told.
        let (s, b) = scim
            .patch(
                &format!("/Users/{lea_id}"),
                patch_op(json!([{"op": "replace", "path": "active", "value": false}])),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(count(&app, &waiting).await, 0);
        let ada_inbox = admin.get(&app.url(routes::APPROVALS.as_str())).await;
        assert!(ada_inbox.has("Eric Employee"), "{}", ada_inbox.body);
        assert_eq!(
        count(&app, "SELECT COUNT(*) FROM mail_outbox WHERE to_address = 'ada.admin@gatehouse.demo' AND kind = 'approvalRequest'").await,
        1,
        "Ada gets the approval mail"
    );
    }
);

/// With `GATEHOUSE_OIDC_LINK_CLAIM=sub`, a person's first sign-in through the
/// home provider joins the account the provider pushed by SCIM (matched on
/// its externalId), whatever address the token carries.
#[tokio::test]
async fn a_first_sign_in_joins_the_account_the_provider_pushed() {
    let app = spawn(
        Options::new(Backend::Sqlite)
            .oidc()
            .admin("alice@example.test")
            .setting("GATEHOUSE_OIDC_LINK_CLAIM", "sub"),
    )
    .await;
    let admin = Browser::new();
    let callback = app.oidc_until_callback(&admin, "alice", "/").await;
    assert_eq!(admin.get(&callback).await.status, 303);
    let token = make_token(&app, &admin, "Keycloak").await;
    let scim = Scim::new(&app, &token);
    let (s, zoe) = scim
        .post(
            "/Users",
            json!({"userName": "zoe.w", "externalId": "zoe", "displayName": "Zoe Work", "emails": [{"value": "zoe.work@corp.test"}]}),
        )
        .await;
    assert_eq!(s, 201, "{zoe}");
    let users_before = app.user_count().await;

    let b = Browser::new();
    let callback = app.oidc_until_callback(&b, "zoe", "/").await;
    let done = b.get(&callback).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(app.user_count().await, users_before, "no second account");
    let mut c = app.store.read().await.unwrap();
    let found = gatehouse::store::users::find_by_identity(&mut c, &oidc_issuer(), "zoe")
        .await
        .unwrap()
        .expect("the sign-in is linked");
    assert_eq!(found.id.to_string(), zoe["id"].as_str().unwrap());
    assert_eq!(found.email, "zoe.work@corp.test");
}

// A mover: someone who leaves a group a policy's scope names stops being
// offered its package, and their request waiting for approval is refused
// when approved.
both!(
    a_mover_out_of_a_scope_group_is_checked_again,
    |backend| async move {
        use gatehouse::domain::catalog::OriginSystem;
        use gatehouse::domain::policy::{AllowedTargetScope, Approver, Expiration, SubjectSet};
        let (app, admin, clock) = demo(backend).await;
        let token = make_token(&app, &admin, "Entra ID").await;
        let scim = Scim::new(&app, &token);
        let eric = user_named(&app, "eric.employee@gatehouse.demo").await;
        let maria = user_named(&app, "maria.manager@gatehouse.demo").await;
        let (s, g) = scim
            .post(
                "/Groups",
                json!({"displayName": "Field sales", "members": [{"value": eric.id.to_string()}]}),
            )
            .await;
        assert_eq!(s, 201, "{g}");
        let gid = g["id"].as_str().unwrap().to_string();

        // A package for the members of Field sales, approved by Maria.
        let catalog = crate::correctness::catalog(
            &app,
            &clock,
            "Sales",
            false,
            &[(OriginSystem::AadGroup, "Marketing Team")],
        )
        .await;
        let mut policy = crate::correctness::member_policy(
            "Field sales only",
            vec![crate::correctness::stage(
                vec![Approver::SingleUser(maria.id.clone())],
                vec![],
            )],
            Expiration::AfterDays(30),
        );
        policy.allowed_target_scope = AllowedTargetScope::SpecificDirectoryUsers;
        policy.specific_allowed_targets = vec![SubjectSet::GroupMembers(
            gatehouse::domain::ids::GroupId::parse(&gid).unwrap(),
        )];
        let package = crate::correctness::package_with(
            &app,
            &clock,
            &catalog,
            "Sales kit",
            &[("Marketing Team", "member")],
            &policy,
        )
        .await;

        let who = Browser::new();
        app.demo_sign_in(&who, "eric.employee@gatehouse.demo").await;
        let r =
            crate::correctness::request(&app, &who, &package, &[("justification", "Road trip")])
                .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let request = request_id_for(&app, "eric.employee@gatehouse.demo").await;

        // Eric moves out of Field sales at the source.
        let (s, b) = scim
            .patch(
                &format!("/Groups/{gid}"),
                patch_op(
                    json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", eric.id)}]),
                ),
            )
            .await;
        assert_eq!(s, 204, "{b}");
        let page = who.get(&app.url(routes::PACKAGE.id(&package))).await;
        assert!(
            !page.has("name=\"policy\""),
            "no longer offered: {}",
            page.body
        );

        // Maria approves; delivery checks again and refuses, saying why.
        let done = approve_as(&app, "maria.manager@gatehouse.demo", &request).await;
        assert_eq!(done.status, 303, "{}", done.body);
        assert_eq!(
        count(&app, "SELECT COUNT(*) FROM access_package_assignments a JOIN access_packages p ON p.id = a.access_package_id WHERE p.display_name = 'Sales kit'").await,
        0,
        "nothing delivered"
    );
        let mine = who.get(&app.url(routes::REQUESTS.as_str())).await;
        assert!(
            mine.has("no longer among the people this package"),
            "{}",
            mine.body
        );
    }
);

/// What a manager asked for someone who reports to them stays theirs when
/// the manager leaves: the request waits on, for its approvers.
#[tokio::test]
async fn a_request_a_manager_made_outlives_the_manager() {
    use crate::my_access::{add_managers_policy, ask_for};
    let (app, admin, _clock) = demo(Backend::Sqlite).await;
    let employees = package_named(&app, "Marketing resources for employees").await;
    let made = add_managers_policy(&app, &admin, employees.as_str(), "allMemberUsers").await;
    assert_eq!(made.status, 303, "{}", made.body);
    let managers = policy_named(&app, &employees, "Managers ask").await;
    let maria = Browser::new();
    app.demo_sign_in(&maria, "maria.manager@gatehouse.demo")
        .await;
    let eric = user_named(&app, "eric.employee@gatehouse.demo").await.id;
    let sent = ask_for(
        &app,
        &maria,
        employees.as_str(),
        eric.as_str(),
        &managers,
        "",
    )
    .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let open = "SELECT COUNT(*) FROM assignment_requests \
                WHERE target_email = 'eric.employee@gatehouse.demo' AND state = 'pendingApproval'";
    assert_eq!(count(&app, open).await, 1);

    // The identity provider deactivates Maria.
    let token = make_token(&app, &admin, "Entra ID").await;
    let scim = Scim::new(&app, &token);
    let maria_id = user_named(&app, "maria.manager@gatehouse.demo").await.id;
    let (s, b) = scim
        .patch(
            &format!("/Users/{maria_id}"),
            patch_op(json!([{"op": "replace", "path": "active", "value": false}])),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM users WHERE email = 'maria.manager@gatehouse.demo' AND state = 'blocked'"
        )
        .await,
        1,
        "Maria has left"
    );
    assert_eq!(count(&app, open).await, 1, "Eric's request still waits");
}

/// Sends two PATCHes to `path` at once, queued in this order behind a row
/// lock the test holds (`lock`: a `SELECT … FOR UPDATE`) and then released,
/// on PostgreSQL; their answers.
async fn queued_patches(
    app: &TestApp,
    token: &str,
    path: &str,
    lock: &str,
    bodies: [Value; 2],
) -> Vec<(u16, Value)> {
    let mut hold = app.store.begin().await.unwrap();
    sqlx::query(lock).execute(&mut *hold).await.unwrap();
    let mut sent = vec![];
    for (n, body) in bodies.into_iter().enumerate() {
        let (scim, path) = (Scim::new(app, token), path.to_string());
        sent.push(tokio::spawn(async move {
            scim.patch(&path, patch_op(body)).await
        }));
        until_lock_waiters(app, n as i64 + 1).await;
    }
    hold.commit().await.unwrap();
    let mut answers = vec![];
    for s in sent {
        answers.push(s.await.unwrap());
    }
    answers
}

/// Two PATCHes of one user at once (on PostgreSQL): the deactivation and an ordinary
/// change. The second applies to the user as the first left them: she stays
/// deactivated (read before the lock, she was made active again).
#[tokio::test]
async fn two_patches_at_once_apply_one_after_the_other() {
    let (app, admin, _clock) = demo(Backend::Postgres).await;
    let token = make_token(&app, &admin, "Okta").await;
    let scim = Scim::new(&app, &token);
    let (s, nia) = scim
        .post(
            "/Users",
            json!({"userName": "nia@example.com", "name": {"givenName": "Nia", "familyName": "Race"}, "emails": [{"value": "nia@example.com"}]}),
        )
        .await;
    assert_eq!(s, 201, "{nia}");
    let path = format!("/Users/{}", nia["id"].as_str().unwrap());
    let answers = queued_patches(
        &app,
        &token,
        &path,
        "SELECT id FROM users WHERE email = 'nia@example.com' FOR UPDATE",
        [
            json!([{"op": "replace", "path": "active", "value": false}]),
            json!([{"op": "replace", "path": "title", "value": "Analyst"}]),
        ],
    )
    .await;
    assert!(answers.iter().all(|(s, _)| *s == 200), "{answers:?}");
    let (s, now) = scim.get(&path).await;
    assert_eq!(s, 200, "{now}");
    assert_eq!(now["active"], json!(false), "the deactivation stays: {now}");
    assert_eq!(
        now["title"],
        json!("Analyst"),
        "and the other change is kept: {now}"
    );

    // Two member additions at once: both members are in the group.
    let mut ids = vec![];
    for who in ["ann", "bob"] {
        let (s, u) = scim
            .post("/Users", json!({"userName": format!("{who}@example.com")}))
            .await;
        assert_eq!(s, 201, "{u}");
        ids.push(u["id"].as_str().unwrap().to_string());
    }
    let (s, group) = scim
        .post(
            "/Groups",
            json!({"displayName": "Racing team", "members": []}),
        )
        .await;
    assert_eq!(s, 201, "{group}");
    let gid = group["id"].as_str().unwrap().to_string();
    let add = |id: &str| json!([{"op": "add", "path": "members", "value": [{"value": id}]}]);
    let answers = queued_patches(
        &app,
        &token,
        &format!("/Groups/{gid}"),
        &format!("SELECT id FROM groups WHERE id = '{gid}' FOR UPDATE"),
        [add(&ids[0]), add(&ids[1])],
    )
    .await;
    assert!(answers.iter().all(|(s, _)| *s == 204), "{answers:?}");
    let (s, group) = scim.get(&format!("/Groups/{gid}")).await;
    assert_eq!(s, 200, "{group}");
    let mut members: Vec<&str> = group["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    members.sort();
    let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(members, expected, "neither addition is lost: {group}");
}

/// The identity provider takes Eric out of the Marketing Team, where it put
/// him, while Maria's approval delivers his seat, which grants the team, on
/// PostgreSQL (the delivery first, waiting for the audit log the test
/// holds): he stays, through the seat.
#[tokio::test]
async fn a_member_the_provider_takes_out_stays_when_a_package_grants_it_at_that_moment() {
    use crate::races::{SeatApproval, TEAM, in_turn, team_seat};
    let (app, admin, clock) = demo(Backend::Postgres).await;
    let scim = Scim::new(&app, &make_token(&app, &admin, "Raced").await);
    let seat = team_seat(&app, &clock).await;
    let group = format!("/Groups/{}", group_id(&app, "Marketing Team").await);
    let eric = user_named(&app, "eric.employee@gatehouse.demo").await.id;
    let add = json!([{"op": "add", "path": "members", "value": [{"value": eric}]}]);
    let (s, b) = scim.patch(&group, patch_op(add)).await;
    assert_eq!(s, 204, "{b}");
    assert!(has(
        &held_by(&app, "eric.employee@gatehouse.demo").await,
        TEAM
    ));
    let approval = SeatApproval::open(&app, &seat).await;
    let remove = json!([{"op": "remove", "path": format!("members[value eq \"{eric}\"]")}]);
    let take_out = scim.patch(&group, patch_op(remove));
    let (approved, (s, b)) = in_turn(&app, approval.approve(), take_out).await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    assert_eq!(s, 204, "{b}");
    let held = held_by(&app, "eric.employee@gatehouse.demo").await;
    assert!(has(&held, TEAM), "the seat grants it: {held:?}");
}

/// The provider deletes a manager while another change holds her report and
/// then her, in the order of their ids as every change holding several
/// people takes them, on PostgreSQL: the deletion waits for the report
/// before it holds the manager, so neither waits on the other in a circle
/// and the deletion is done (it was given up, 503, while it held the
/// manager first).
#[tokio::test]
async fn deleting_a_manager_waits_for_her_reports_in_the_order_others_take_them() {
    let (app, admin, _clock) = demo(Backend::Postgres).await;
    let scim = Scim::new(&app, &make_token(&app, &admin, "Leavers").await);
    let mut ids = vec![];
    for who in ["lena", "omar"] {
        let (s, u) = scim
            .post("/Users", json!({"userName": format!("{who}@example.com")}))
            .await;
        assert_eq!(s, 201, "{u}");
        ids.push(u["id"].as_str().unwrap().to_string());
    }
    ids.sort();
    let (report, manager) = (ids[0].clone(), ids[1].clone());
    let path = format!("{ENTERPRISE}:manager");
    let set = patch_op(json!([{"op": "replace", "path": path, "value": manager}]));
    let (s, b) = scim.patch(&format!("/Users/{report}"), set).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b[ENTERPRISE]["manager"]["value"], manager.as_str(), "{b}");

    let gone = format!("/Users/{manager}");
    let delete = scim.delete(&gone);
    let (s, b) = crate::races::held_in_turn(&app, [&report, &manager], delete).await;
    assert_eq!(s, 204, "{b}");
    let (s, gone) = scim.get(&gone).await;
    assert_eq!(s, 404, "{gone}");
    let (s, left) = scim.get(&format!("/Users/{report}")).await;
    assert_eq!(s, 200, "{left}");
    assert!(
        left[ENTERPRISE]["manager"].is_null(),
        "no manager left: {left}"
    );
}

/// The provider takes Eric and Emma out of a group while another change
/// holds them in the other order, on PostgreSQL, which gives the call up to
/// end the circle: the provider is asked to try again (503, as Entra ID and
/// Okta retry), the group keeps both, and the retry takes them out.
#[tokio::test]
async fn a_call_given_up_for_another_change_asks_to_retry_and_changes_nothing() {
    let (app, admin, _clock) = demo(Backend::Postgres).await;
    let scim = Scim::new(&app, &make_token(&app, &admin, "Contended").await);
    let people = [
        "eric.employee@gatehouse.demo",
        "emma.employee@gatehouse.demo",
    ];
    let mut members = vec![];
    for email in people {
        members.push(json!({"value": user_named(&app, email).await.id.to_string()}));
    }
    let (s, group) = scim
        .post(
            "/Groups",
            json!({"displayName": "Contended", "members": members}),
        )
        .await;
    assert_eq!(s, 201, "{group}");
    let path = format!("/Groups/{}", group["id"].as_str().unwrap());
    let remove = patch_op(json!([{"op": "remove", "path": "members"}]));
    let take_out = scim.patch(&path, remove.clone());
    let (s, b) = crate::races::in_circle(&app, &people, take_out).await;
    assert_eq!(s, 503, "{b}");
    let error = "urn:ietf:params:scim:api:messages:2.0:Error";
    assert_eq!(b["schemas"][0], error, "{b}");
    assert!(b["detail"].as_str().unwrap().contains("Try again"), "{b}");
    let (_, kept) = scim.get(&path).await;
    assert_eq!(kept["members"].as_array().map(Vec::len), Some(2), "{kept}");
    let (s, b) = scim.patch(&path, remove).await;
    assert_eq!(s, 204, "{b}");
    let (_, emptied) = scim.get(&path).await;
    let left = emptied["members"].as_array().map_or(0, Vec::len);
    assert_eq!(left, 0, "{emptied}");
}

both!(
    filters_fold_every_letter_not_only_ascii,
    |backend| async move {
        let (app, admin, _clock) = demo(backend).await;
        let scim = Scim::new(&app, &make_token(&app, &admin, "Entra ID").await);
        let (s, emile) = scim
            .post(
                "/Users",
                json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
                    "userName": "emile.astrom@example.com",
                    "displayName": "Émile Åström",
                    "title": "INGÉNIEUR",
                    "name": {"givenName": "Émile", "familyName": "ÅSTRÖM"},
                    ENTERPRISE: {"department": "Réseau"}
                }),
            )
            .await;
        assert_eq!(s, 201, "{emile}");
        // Compared without regard to case, as SCIM says, in any alphabet
        // (SQLite's lower() would leave É and Å as they are).
        for filter in [
            "name.givenName eq \"émile\"",
            "name.familyName eq \"åström\"",
            "title co \"génieur\"",
            &format!("{ENTERPRISE}:department eq \"RÉSEAU\""),
        ] {
            assert_eq!(scim.count(filter).await, 1, "{filter}");
        }
        // A change is folded as it is saved.
        let id = emile["id"].as_str().unwrap();
        let rename = json!([{"op": "replace", "path": "name.givenName", "value": "ÉLODIE"}]);
        let (s, b) = scim.patch(&format!("/Users/{id}"), patch_op(rename)).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(scim.count("name.givenName eq \"élodie\"").await, 1);
        assert_eq!(scim.count("name.givenName eq \"émile\"").await, 0);

        // A database migrated before: migration 0036 filled the folded
        // columns with the database's lower(), as written here by hand. The
        // next start folds them again, once.
        let mut tx = app.store.begin().await.unwrap();
        let old = [
            "UPDATE users SET given_name_lower = lower(given_name)",
            "DELETE FROM settings WHERE key = 'users_refolded_0036'",
        ];
        for sql in old {
            sqlx::query(sql).execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
        if matches!(backend, Backend::Sqlite) {
            // SQLite's lower() leaves É as it is.
            assert_eq!(scim.count("name.givenName eq \"élodie\"").await, 0);
        }
        gatehouse::store::Store::connect(&app.database)
            .await
            .unwrap();
        assert_eq!(scim.count("name.givenName eq \"élodie\"").await, 1);
    }
);
