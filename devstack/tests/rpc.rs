//! `/rest/v1/rpc` against a real stack: PostgREST's request forms, result
//! shapes, JWT handling, error statuses and CORS.

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::{sql, stack, token, Call};
use serde_json::json;

// ---------------------------------------------------------------- shapes

#[tokio::test]
async fn scalar_result_is_a_bare_json_value() {
    let r = Call::post("t_add", r#"{"a":1,"b":2}"#).send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text, "3");
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/json; charset=utf-8")
    );
    let r = Call::post("t_hello", r#"{"name":"Ada"}"#).send().await;
    assert_eq!(r.json(), json!("Hello, Ada"));
}

#[tokio::test]
async fn omitted_argument_takes_its_default() {
    let r = Call::post("t_add", r#"{"a":1}"#).send().await;
    assert_eq!((r.status, r.text.as_str()), (200, "11"));
}

#[tokio::test]
async fn null_scalar_is_json_null() {
    let r = Call::post("t_null", "{}").send().await;
    assert_eq!((r.status, r.text.as_str()), (200, "null"));
}

#[tokio::test]
async fn composite_result_is_an_object() {
    let r = Call::post("t_pair", "{}").send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"x": 1, "y": "one"}));
}

#[tokio::test]
async fn setof_composite_is_an_array_with_content_range() {
    let r = Call::post("t_pairs", r#"{"n":2}"#).send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!([{"x": 1, "y": "n1"}, {"x": 2, "y": "n2"}]));
    assert_eq!(r.header("content-range").as_deref(), Some("0-1/*"));
    let r = Call::post("t_pairs", r#"{"n":0}"#).send().await;
    assert_eq!(r.json(), json!([]));
    assert_eq!(r.header("content-range").as_deref(), Some("*/*"));
}

#[tokio::test]
async fn exact_count_is_reported_when_preferred() {
    let r = Call::post("t_numbers", r#"{"n":3}"#)
        .header("prefer", "count=exact")
        .send()
        .await;
    assert_eq!(r.header("content-range").as_deref(), Some("0-2/3"));
}

#[tokio::test]
async fn setof_scalar_is_an_array_of_values() {
    let r = Call::post("t_numbers", r#"{"n":3}"#).send().await;
    assert_eq!(r.json(), json!([1, 2, 3]));
}

#[tokio::test]
async fn returns_table_is_an_array_of_objects() {
    let r = Call::post("t_table", r#"{"n":1}"#).send().await;
    assert_eq!(r.json(), json!([{"id": 1, "label": "row 1"}]));
}

#[tokio::test]
async fn void_is_204_without_body_or_content_type() {
    let r = Call::post("t_void", "{}").send().await;
    assert_eq!(r.status, 204);
    assert_eq!(r.text, "");
    assert_eq!(r.header("content-type"), None);
}

#[tokio::test]
async fn single_unnamed_json_parameter_receives_the_whole_body() {
    let body = r#"{"x":4,"nested":{"y":[1,2]}}"#;
    let r = Call::post("t_json", body).send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"x": 4, "nested": {"y": [1, 2]}}));
    let r = Call::post("t_jsonb_type", "[1,2,3]").send().await;
    assert_eq!(r.json(), json!("array"));
}

#[tokio::test]
async fn json_arrays_become_sql_arrays() {
    let r = Call::post("t_sum", r#"{"vals":[1,2,3,4]}"#).send().await;
    assert_eq!(r.text, "10");
}

#[tokio::test]
async fn single_object_accept_header_unwraps_one_row() {
    let r = Call::post("t_pairs", r#"{"n":1}"#)
        .header("accept", "application/vnd.pgrst.object+json")
        .send()
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"x": 1, "y": "n1"}));
    let r = Call::post("t_pairs", r#"{"n":2}"#)
        .header("accept", "application/vnd.pgrst.object+json")
        .send()
        .await;
    assert_eq!(r.status, 406);
    assert_eq!(r.json()["code"], "PGRST116");
    assert_eq!(r.json()["details"], "The result contains 2 rows");
}

#[tokio::test]
async fn function_can_set_status_and_headers() {
    let r = Call::post("t_created", "{}").send().await;
    assert_eq!(r.status, 201);
    assert_eq!(r.header("x-devstack").as_deref(), Some("yes"));
    assert_eq!(r.json(), json!("created"));
}

// ------------------------------------------------------------ GET vs POST

#[tokio::test]
async fn get_passes_query_parameters_as_arguments() {
    let r = Call::get("t_add", "a=5&b=6").send().await;
    assert_eq!((r.status, r.text.as_str()), (200, "11"));
    let r = Call::get("t_sum", "vals=%7B1,2,3%7D").send().await;
    assert_eq!(r.text, "6");
    let r = Call::method(reqwest::Method::HEAD, "t_add", "a=1")
        .send()
        .await;
    assert_eq!((r.status, r.text.as_str()), (200, ""));
}

#[tokio::test]
async fn get_runs_read_only_so_writes_are_405() {
    let r = Call::get("t_insert", "id=900&name=x").send().await;
    assert_eq!(r.status, 405);
    assert_eq!(r.json()["code"], "25006");
    let count = sql("select count(*) from public.t_items where id = 900").await;
    assert_eq!(count[0].get::<_, i64>(0), 0);
}

#[tokio::test]
async fn post_to_a_volatile_function_writes_and_commits() {
    let r = Call::post("t_insert", r#"{"id":901,"name":"kept"}"#)
        .send()
        .await;
    assert_eq!((r.status, r.text.as_str()), (200, "901"));
    let rows = sql("select name from public.t_items where id = 901").await;
    assert_eq!(rows[0].get::<_, String>(0), "kept");
}

#[tokio::test]
async fn transaction_access_mode_follows_method_and_volatility() {
    let post_volatile = Call::post("t_write_whoami", "{}").send().await.json();
    assert_eq!(post_volatile["read_only"], "off");
    let post_stable = Call::post("t_whoami", "{}").send().await.json();
    assert_eq!(post_stable["read_only"], "on");
    let get_volatile = Call::get("t_write_whoami", "").send().await.json();
    assert_eq!(get_volatile["read_only"], "on");
}

#[tokio::test]
async fn form_urlencoded_body_passes_named_arguments() {
    let url = format!("{}/rest/v1/rpc/t_add", stack().url);
    let r = reqwest::Client::new()
        .post(url)
        .header("apikey", &stack().anon_key)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("a=2&b=3")
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "5");
}

// ------------------------------------------------------- request context

#[tokio::test]
async fn anonymous_request_context_matches_postgrest() {
    let r = Call::post("t_whoami", "{}")
        .header("x-custom", "Value")
        .header("cookie", "a=1; b=two")
        .send()
        .await
        .json();
    assert_eq!(r["current_user"], "anon");
    assert_eq!(r["claims"]["role"], "anon");
    assert_eq!(r["claims"]["iss"], "supabase-demo");
    assert_eq!(r["method"], "POST");
    assert_eq!(r["path"], "/rpc/t_whoami");
    assert_eq!(r["headers"]["x-custom"], "Value");
    assert_eq!(r["headers"]["apikey"], stack().anon_key.as_str());
    assert_eq!(r["cookies"], json!({"a": "1", "b": "two"}));
    assert_eq!(r["uid"], serde_json::Value::Null);
    assert_eq!(r["timeout"], "3s");
    assert!(r["search_path"].as_str().unwrap().starts_with("\"public\""));
}

#[tokio::test]
async fn user_token_switches_role_and_exposes_claims() {
    let user = "6f1e6a4e-3f5b-4a5c-9d8e-0a1b2c3d4e5f";
    let jwt = token(json!({
        "sub": user, "role": "authenticated", "aud": "authenticated",
        "exp": devstack::clock::unix_now() as i64 + 600,
    }));
    let r = Call::post("t_whoami", "{}")
        .bearer(&jwt)
        .send()
        .await
        .json();
    assert_eq!(r["current_user"], "authenticated");
    assert_eq!(r["uid"], user);
    assert_eq!(r["claims"]["sub"], user);
    assert_eq!(r["timeout"], "8s");
    let r = Call::get("t_whoami", "").bearer(&jwt).send().await.json();
    assert_eq!(r["method"], "GET");
}

#[tokio::test]
async fn service_role_key_as_bearer_runs_as_service_role() {
    let r = Call::post("t_secret", "{}")
        .bearer(&stack().service_role_key)
        .send()
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!("only for the service role"));
}

// ------------------------------------------------------------ JWT errors

fn assert_jwt_error(r: &common::Reply, code: &str, message: &str) {
    assert_eq!(r.status, 401, "{}", r.text);
    let body = r.json();
    assert_eq!(body["code"], code);
    assert_eq!(body["message"], message);
    let challenge = r.header("www-authenticate").expect("WWW-Authenticate");
    assert!(
        challenge.starts_with("Bearer error=\"invalid_token\""),
        "{challenge}"
    );
}

#[tokio::test]
async fn missing_authorization_uses_the_apikey_as_bearer() {
    let r = Call::post("t_whoami", "{}").send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["current_user"], "anon");
}

#[tokio::test]
async fn missing_apikey_is_refused_by_the_gateway() {
    let url = format!("{}/rest/v1/rpc/t_add", stack().url);
    let r = reqwest::Client::new()
        .post(url)
        .body(r#"{"a":1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let body: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(body, json!({"message": "No API key found in request"}));
}

#[tokio::test]
async fn apikey_in_the_query_string_is_accepted() {
    let url = format!(
        "{}/rest/v1/rpc/t_add?a=1&b=1&apikey={}",
        stack().url,
        stack().anon_key
    );
    let r = reqwest::get(url).await.unwrap();
    assert_eq!(r.text().await.unwrap(), "2");
}

#[tokio::test]
async fn empty_bearer_is_refused() {
    let r = Call::post("t_add", r#"{"a":1}"#)
        .header("authorization", "Bearer ")
        .send()
        .await;
    assert_jwt_error(&r, "PGRST301", "Empty JWT is sent in Authorization header");
}

#[tokio::test]
async fn malformed_token_is_refused() {
    let r = Call::post("t_add", r#"{"a":1}"#)
        .bearer("eyJhbGciOiJIUzI1NiJ9.e30")
        .send()
        .await;
    assert_jwt_error(&r, "PGRST301", "Expected 3 parts in JWT; got 2");
    let r = Call::post("t_add", r#"{"a":1}"#)
        .bearer("quifquirndsjagnrgniur.fonvoienqhhdj.iuqvnvhojah")
        .send()
        .await;
    assert_jwt_error(&r, "PGRST301", "JWT cryptographic operation failed");
}

#[tokio::test]
async fn token_signed_with_another_secret_is_refused() {
    let forged = devstack::jwt::HmacSecret::new("not-the-secret-of-this-stack-but-long-enough")
        .sign(&json!({"role": "service_role"}));
    let r = Call::post("t_secret", "{}").bearer(&forged).send().await;
    assert_jwt_error(&r, "PGRST301", "No suitable key or wrong key type");
    assert_eq!(
        r.json()["details"],
        "None of the keys was able to decode the JWT"
    );
}

#[tokio::test]
async fn alg_none_is_refused() {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let claims = URL_SAFE_NO_PAD.encode(r#"{"role":"service_role"}"#);
    let r = Call::post("t_secret", "{}")
        .bearer(&format!("{header}.{claims}."))
        .send()
        .await;
    assert_jwt_error(&r, "PGRST301", "Wrong or unsupported encoding algorithm");
    assert_eq!(
        r.json()["details"],
        "JWT is unsecured but expected 'alg' was not 'none'"
    );
}

#[tokio::test]
async fn expired_token_is_refused() {
    let now = devstack::clock::unix_now() as i64;
    let expired = token(json!({"role": "authenticated", "exp": now - 60}));
    let r = Call::post("t_add", r#"{"a":1}"#)
        .bearer(&expired)
        .send()
        .await;
    assert_jwt_error(&r, "PGRST303", "JWT expired");
    // Within the 30 s clock skew a token still passes.
    let fresh = token(json!({"role": "authenticated", "exp": now - 5}));
    let r = Call::post("t_add", r#"{"a":1}"#)
        .bearer(&fresh)
        .send()
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn token_without_role_runs_as_anon() {
    let no_role = token(json!({"sub": "6f1e6a4e-3f5b-4a5c-9d8e-0a1b2c3d4e5f"}));
    let r = Call::post("t_whoami", "{}").bearer(&no_role).send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["current_user"], "anon");
    assert_eq!(r.json()["claims"]["role"], "anon");
    let r = Call::post("t_secret", "{}").bearer(&no_role).send().await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn token_with_unknown_role_is_401() {
    let r = Call::post("t_add", r#"{"a":1}"#)
        .bearer(&token(json!({"role": "nobody"})))
        .send()
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.json()["code"], "22023");
    assert_eq!(r.json()["message"], "role \"nobody\" does not exist");
}

// ----------------------------------------------------------- error table

#[tokio::test]
async fn raised_sqlstates_map_to_postgrest_statuses() {
    let table = [
        ("08006", 503),
        ("09000", 500),
        ("0L000", 403),
        ("0P000", 403),
        ("21000", 500),
        ("22012", 400),
        ("22023", 400),
        ("22P02", 400),
        ("23502", 400),
        ("23503", 409),
        ("23505", 409),
        ("23514", 400),
        ("25006", 405),
        ("25P02", 500),
        ("28000", 403),
        ("2D000", 500),
        ("38000", 500),
        ("39000", 500),
        ("3B000", 500),
        ("40001", 500),
        ("42501", 401),
        ("42703", 400),
        ("42883", 404),
        ("42P01", 404),
        ("42P17", 500),
        ("53100", 503),
        ("53400", 500),
        ("54000", 500),
        ("55000", 500),
        ("57014", 500),
        ("57P01", 503),
        ("58000", 500),
        ("F0000", 500),
        ("HV000", 500),
        ("P0001", 400),
        ("P0002", 500),
        ("XX000", 500),
        ("PT402", 402),
        ("PT418", 418),
    ];
    for (code, status) in table {
        let body =
            json!({"code": code, "msg": format!("raised {code}"), "detail": "d", "hint": "h"});
        let r = Call::post("t_raise", &body.to_string()).send().await;
        assert_eq!(r.status, status, "SQLSTATE {code}: {}", r.text);
        assert_eq!(
            r.json(),
            json!({"code": code, "message": format!("raised {code}"), "details": "d", "hint": "h"}),
        );
        assert_eq!(
            r.header("proxy-status"),
            Some(format!("PostgREST; error={code}"))
        );
    }
}

#[tokio::test]
async fn messages_that_change_the_status() {
    let raise = |code: &str, msg: &str| {
        json!({"code": code, "msg": msg, "detail": "d", "hint": "h"}).to_string()
    };
    let r = Call::post("t_raise", &raise("21000", "UPDATE requires a WHERE clause"))
        .send()
        .await;
    assert_eq!(r.status, 400);
    let r = Call::post("t_raise", &raise("22023", "role \"x\" does not exist"))
        .send()
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn plain_raise_is_400_with_postgrest_body() {
    let r = Call::post("t_raise_plain", r#"{"msg":"I refuse!"}"#)
        .send()
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        json!({"code": "P0001", "message": "I refuse!", "details": null, "hint": null})
    );
}

#[tokio::test]
async fn raise_pgrst_controls_status_headers_and_body() {
    let r = Call::post("t_pgrst", "{}").send().await;
    assert_eq!(r.status, 402);
    assert_eq!(r.header("x-powered-by").as_deref(), Some("Nerd Rage"));
    assert_eq!(
        r.json(),
        json!({"code": "123", "message": "Payment Required", "details": "Quota exceeded", "hint": "Upgrade your plan"})
    );
}

#[tokio::test]
async fn unique_violation_is_409() {
    let r = Call::post("t_insert", r#"{"id":950,"name":"a"}"#)
        .send()
        .await;
    assert_eq!(r.status, 200);
    let r = Call::post("t_insert", r#"{"id":950,"name":"b"}"#)
        .send()
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["code"], "23505");
    assert!(r.json()["details"].as_str().unwrap().contains("(id)=(950)"));
}

#[tokio::test]
async fn not_null_violation_is_400() {
    let r = Call::post("t_insert", r#"{"id":951,"name":null}"#)
        .send()
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["code"], "23502");
}

#[tokio::test]
async fn bad_argument_value_is_400() {
    let r = Call::get("t_add", "a=notanumber").send().await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["code"], "22P02");
}

#[tokio::test]
async fn insufficient_privilege_is_401_for_anon_and_403_for_users() {
    let r = Call::post("t_secret", "{}").send().await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["code"], "42501");
    assert_eq!(r.header("www-authenticate").as_deref(), Some("Bearer"));
    let user =
        token(json!({"role": "authenticated", "sub": "6f1e6a4e-3f5b-4a5c-9d8e-0a1b2c3d4e5f"}));
    let r = Call::post("t_secret", "{}").bearer(&user).send().await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["code"], "42501");
}

#[tokio::test]
async fn statement_timeout_of_anon_cancels_long_calls() {
    let r = Call::post("t_sleep", r#"{"seconds":4}"#).send().await;
    assert_eq!(r.status, 500);
    assert_eq!(r.json()["code"], "57014");
}

#[tokio::test]
async fn invalid_json_body_is_400() {
    let r = Call::post("t_add", "{not json").send().await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["code"], "PGRST102");
    assert_eq!(r.json()["message"], "Empty or invalid json");
}

#[tokio::test]
async fn other_methods_are_405() {
    let r = Call::method(reqwest::Method::PUT, "t_add", "").send().await;
    assert_eq!(r.status, 405);
    assert_eq!(r.json()["code"], "PGRST101");
    assert_eq!(r.json()["message"], "Cannot use the PUT method on RPC");
}

// ---------------------------------------------------- function lookup

#[tokio::test]
async fn missing_function_is_404_pgrst202_with_a_hint() {
    let r = Call::post("t_hellp", r#"{"name":"x"}"#).send().await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json(),
        json!({
            "code": "PGRST202",
            "message": "Could not find the function public.t_hellp(name) in the schema cache",
            "details": "Searched for the function public.t_hellp with parameter name or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.",
            "hint": "Perhaps you meant to call the function public.t_hello",
        })
    );
}

#[tokio::test]
async fn unknown_argument_is_404() {
    let r = Call::post("t_add", r#"{"a":1,"c":2}"#).send().await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["code"], "PGRST202");
    assert_eq!(
        r.json()["hint"],
        "Perhaps you meant to call the function public.t_add(a, b)"
    );
}

#[tokio::test]
async fn ambiguous_overload_is_300() {
    let r = Call::post("t_over", r#"{"a":1}"#).send().await;
    assert_eq!(r.status, 300);
    assert_eq!(r.json()["code"], "PGRST203");
}

#[tokio::test]
async fn only_exposed_schemas_are_callable() {
    let r = Call::post("t_hidden", "{}")
        .header("content-profile", "t_private")
        .send()
        .await;
    assert_eq!(r.status, 406);
    assert_eq!(
        r.json(),
        json!({
            "code": "PGRST106",
            "message": "Invalid schema: t_private",
            "details": null,
            "hint": "Only the following schemas are exposed: public, graphql_public",
        })
    );
    let r = Call::get("t_hidden", "")
        .header("accept-profile", "t_private")
        .send()
        .await;
    assert_eq!(r.status, 406);
    let r = Call::post("t_add", r#"{"a":1}"#)
        .header("content-profile", "public")
        .send()
        .await;
    assert_eq!(r.status, 200);
}

// ------------------------------------------------------------------ CORS

#[tokio::test]
async fn preflight_allows_the_headers_supabase_js_sends() {
    let wanted = "apikey, authorization, x-client-info, content-type, content-profile, accept-profile, prefer, x-retry-count";
    let r = Call::method(reqwest::Method::OPTIONS, "t_add", "")
        .header("origin", "http://localhost:8080")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", wanted)
        .send()
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some("*")
    );
    let allowed = r
        .header("access-control-allow-headers")
        .unwrap()
        .to_lowercase();
    for h in wanted.split(", ") {
        assert!(allowed.contains(h), "{h} not in {allowed}");
    }
    assert!(r
        .header("access-control-allow-methods")
        .unwrap()
        .contains("POST"));
}

#[tokio::test]
async fn cross_origin_responses_carry_cors_headers() {
    let r = Call::post("t_numbers", r#"{"n":1}"#)
        .header("origin", "http://localhost:8080")
        .send()
        .await;
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some("*")
    );
    assert!(r
        .header("access-control-expose-headers")
        .unwrap()
        .contains("Content-Range"));
}

/// A plan cached for one caller must not let another run a function it may
/// not execute (regression: generic plans inline SQL functions).
#[tokio::test]
async fn cached_plans_do_not_leak_privileges_between_roles() {
    let no_role = token(json!({"sub": "6f1e6a4e-3f5b-4a5c-9d8e-0a1b2c3d4e5f"}));
    let mut tasks = Vec::new();
    for i in 0..100 {
        let no_role = no_role.clone();
        tasks.push(tokio::spawn(async move {
            if i % 2 == 0 {
                let r = Call::post("t_secret", "{}")
                    .bearer(&stack().service_role_key)
                    .send()
                    .await;
                (i, r.status, r.text)
            } else {
                let r = Call::post("t_secret", "{}").bearer(&no_role).send().await;
                (i, r.status, r.text)
            }
        }));
    }
    let mut bad = 0;
    for t in tasks {
        let (i, status, text) = t.await.unwrap();
        if (i % 2 == 0) != (status == 200) {
            bad += 1;
            eprintln!("call {i}: {status} {text}");
        }
    }
    assert_eq!(bad, 0);
}
