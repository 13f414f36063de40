//! The navigation column: my workflows, then the sessions of the open one.

use leptos::prelude::*;

use super::ctx::{AppCtx, Workflows};
use super::router::Link;
use super::sessions::SessionNav;
use crate::chat::types::Role;
use crate::i18n::{texts, Texts};
use crate::routes::Route;

/// A role's name.
pub fn role_name(t: &'static Texts, role: Role) -> &'static str {
    match role {
        Role::Owner => t.role_owner,
        Role::Admin => t.role_admin,
        Role::Member => t.role_member,
        Role::Viewer => t.role_viewer,
    }
}

/// Workflows and, inside one, its sessions.
#[component]
pub fn Navigation() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let t = texts();
    let workflow = Memo::new(move |_| ctx.route.get().workflow());
    let list = move || match ctx.workflows.get() {
        Workflows::Loading => view! { <p class="nav-status">{t.loading}</p> }.into_any(),
        Workflows::Failed(e) => view! {
            <div class="nav-status" role="alert">
                <p>{e}</p>
                <button type="button" on:click=move |_| ctx.reload_workflows()>{t.retry}</button>
            </div>
        }
        .into_any(),
        Workflows::Ready(list) if list.is_empty() => {
            view! { <p class="nav-status">{t.no_workflows}</p> }.into_any()
        }
        Workflows::Ready(list) => view! {
            <ul class="workflow-list">
                {list.into_iter().map(|w| {
                    let id = w.id;
                    let current = Signal::derive(move || workflow.get() == Some(id));
                    view! {
                        <li>
                            <Link to=Route::Workflow { workflow: id } class="workflow-link" current>
                                <span class="workflow-name">{w.name.clone()}</span>
                                <span class="role-badge">{role_name(t, w.my_role)}</span>
                            </Link>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any(),
    };
    view! {
        <div class="nav" data-level=move || if workflow.get().is_some() { "workflow" } else { "home" }>
            <section class="nav-workflows" aria-labelledby="nav-workflows-title">
                <h2 id="nav-workflows-title" class="nav-heading">{t.workflows}</h2>
                {list}
            </section>
            {move || workflow.get().map(|workflow| view! { <SessionNav workflow/> })}
        </div>
    }
}
