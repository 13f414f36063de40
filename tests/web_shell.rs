//! The app shell mounted in a real browser (headless Chromium).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use workflow_chat::app::{App, PRODUCT_NAME};

wasm_bindgen_test_configure!(run_in_browser);

fn fresh_host() -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let host = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&host).unwrap();
    host.unchecked_into()
}

#[wasm_bindgen_test]
async fn shell_shows_the_product_name_and_a_main_landmark() {
    let host = fresh_host();
    let _mounted = leptos::mount::mount_to(host.clone(), App);
    leptos::task::tick().await;

    let title = host
        .query_selector("h1.app-title")
        .unwrap()
        .expect("title rendered");
    assert_eq!(title.text_content().as_deref(), Some(PRODUCT_NAME));
    let main = host.query_selector("main#main").unwrap();
    assert!(
        main.is_some(),
        "main landmark rendered: {}",
        host.inner_html()
    );
}
