//! View components mounted in headless Chromium: message text, avatars, and
//! the whole app signing in against the stack `devstack exec` provides
//! (its URL and key are read when the test is compiled).
#![cfg(target_arch = "wasm32")]

mod stack;

use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use workflow_chat::app::ConfiguredApp;
use workflow_chat::views::avatar::Avatar;
use workflow_chat::views::chat::message::RichText;

use stack::config;

wasm_bindgen_test_configure!(run_in_browser);

fn fresh_host() -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let host = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&host).unwrap();
    host.unchecked_into()
}

#[wasm_bindgen_test]
async fn message_text_shows_markup_as_typed_and_only_links_as_links() {
    let host = fresh_host();
    let text = "see <b>this</b> <img src=x onerror=alert(1)> at https://example.org/a?b=1.";
    let _mounted = leptos::mount::mount_to(host.clone(), move || {
        view! { <p><RichText text=text.to_owned()/></p> }
    });
    leptos::task::tick().await;
    assert_eq!(host.text_content().as_deref(), Some(text));
    let links = host.query_selector_all("a").unwrap();
    assert_eq!(links.length(), 1);
    let link: web_sys::Element = links.item(0).unwrap().unchecked_into();
    assert_eq!(
        link.get_attribute("href").as_deref(),
        Some("https://example.org/a?b=1")
    );
    assert!(link.get_attribute("rel").unwrap().contains("noopener"));
    assert_eq!(host.query_selector_all("b, img").unwrap().length(), 0);
}

#[wasm_bindgen_test]
async fn avatars_show_initials_on_a_stable_colour() {
    let host = fresh_host();
    let id = uuid::Uuid::from_u128(42);
    let _mounted = leptos::mount::mount_to(host.clone(), move || {
        view! { <Avatar id name="Ada Lovelace"/> <Avatar id name="Ada Lovelace" small=true/> }
    });
    leptos::task::tick().await;
    let avatars = host.query_selector_all(".avatar").unwrap();
    assert_eq!(avatars.length(), 2);
    let first: web_sys::Element = avatars.item(0).unwrap().unchecked_into();
    let second: web_sys::Element = avatars.item(1).unwrap().unchecked_into();
    assert_eq!(first.text_content().as_deref(), Some("AL"));
    assert_eq!(first.get_attribute("style"), second.get_attribute("style"));
    assert_eq!(first.get_attribute("aria-hidden").as_deref(), Some("true"));
}

/// The first demo login of the seed: `(email, password)`.
fn demo_login() -> (&'static str, &'static str) {
    include_str!("../sql/seed.sql")
        .lines()
        .find_map(|l| l.strip_prefix("-- demo-login: "))
        .map(|rest| {
            let mut parts = rest.split_whitespace();
            (parts.next().unwrap(), parts.next().unwrap())
        })
        .expect("sql/seed.sql declares demo logins")
}

async fn wait_for(host: &web_sys::HtmlElement, selector: &str) -> web_sys::Element {
    for _ in 0..200 {
        if let Ok(Some(found)) = host.query_selector(selector) {
            return found;
        }
        gloo_timers::future::sleep(Duration::from_millis(50)).await;
    }
    panic!("{selector} never appeared: {}", host.inner_html());
}

fn fill(host: &web_sys::HtmlElement, selector: &str, value: &str) {
    let input: web_sys::HtmlInputElement = host
        .query_selector(selector)
        .unwrap()
        .unwrap()
        .unchecked_into();
    input.set_value(value);
    input
        .dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
}

#[wasm_bindgen_test]
async fn the_app_signs_in_and_lists_the_users_workflows() {
    let host = fresh_host();
    let _mounted =
        leptos::mount::mount_to(host.clone(), || view! { <ConfiguredApp config=config()/> });
    wait_for(&host, "#signin-email").await;
    let (email, password) = demo_login();
    fill(&host, "#signin-email", email);
    fill(&host, "#signin-password", "not the password");
    let submit: web_sys::HtmlElement = host
        .query_selector(".auth-form button[type=submit]")
        .unwrap()
        .unwrap()
        .unchecked_into();
    submit.click();
    let error = wait_for(&host, ".form-error").await;
    assert_eq!(
        error.text_content().as_deref(),
        Some("Wrong email or password.")
    );
    fill(&host, "#signin-password", password);
    submit.click();
    let list = wait_for(&host, ".workflow-list").await;
    assert!(
        list.text_content().unwrap().contains("Support desk"),
        "{}",
        host.inner_html()
    );
    // Signed in: the token is kept for the next visit.
    let stored = web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .get_item("workflow-chat.auth")
        .unwrap();
    assert!(stored.is_some_and(|s| s.contains("access_token") || s.contains("token")));
    host.query_selector(".sign-out")
        .unwrap()
        .unwrap()
        .unchecked_into::<web_sys::HtmlElement>()
        .click();
    wait_for(&host, "#signin-email").await;
}
