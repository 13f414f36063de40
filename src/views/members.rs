//! The members of a workflow; admins and owners manage them here.

use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::avatar::Avatar;
use super::ctx::AppCtx;
use super::model::roles::{assignable_roles, can_change_role, can_remove};
use super::nav::role_name;
use super::router::navigate;
use crate::chat::types::{Member, Role};
use crate::i18n::{fill, texts};
use crate::routes::Route;
use crate::supabase::rpc::RpcError;

/// What to tell the user about a refused member change.
fn member_error(e: &RpcError) -> String {
    let t = texts();
    let message = e.detail().map(|d| d.message.as_str()).unwrap_or("");
    match message {
        "account not found" => t.account_not_found.to_owned(),
        "already a member" => t.already_member.to_owned(),
        "last owner" => t.last_owner.to_owned(),
        "insufficient role" => t.insufficient_role.to_owned(),
        "invalid email" => t.invalid_email.to_owned(),
        _ => fill(t.error_with, &[("error", &e.to_string())]),
    }
}

fn role_value(role: Role) -> &'static str {
    match role {
        Role::Owner => "owner",
        Role::Admin => "admin",
        Role::Member => "member",
        Role::Viewer => "viewer",
    }
}

fn parse_role(value: &str) -> Option<Role> {
    match value {
        "owner" => Some(Role::Owner),
        "admin" => Some(Role::Admin),
        "member" => Some(Role::Member),
        "viewer" => Some(Role::Viewer),
        _ => None,
    }
}

/// The members panel of a workflow.
#[component]
pub fn MembersPanel(
    /// The workflow.
    workflow: Uuid,
) -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let t = texts();
    let members = RwSignal::new(None::<Result<Vec<Member>, String>>);
    let error = RwSignal::new(None::<String>);
    let me = ctx.me().unwrap_or_default();
    let my_role = Memo::new(move |_| ctx.workflow(workflow).map(|w| w.my_role));
    let name = Memo::new(move |_| ctx.workflow(workflow).map(|w| w.name));

    let reload = move || {
        let Some(signed) = ctx.signed_in_untracked() else {
            return;
        };
        spawn_local(async move {
            let result = signed.chat.list_members(workflow).await;
            members.try_set(Some(result.map_err(|e| match e {
                RpcError::NotFound(_) => texts().no_access.to_owned(),
                other => other.to_string(),
            })));
        });
    };
    reload();

    let set_role = move |account: Uuid, role: Role| {
        let Some(signed) = ctx.signed_in_untracked() else {
            return;
        };
        spawn_local(async move {
            match signed.chat.set_member_role(workflow, account, role).await {
                Ok(_) => {
                    error.set(None);
                    if account == me {
                        ctx.reload_workflows();
                    }
                }
                Err(e) => error.set(Some(member_error(&e))),
            }
            reload();
        });
    };
    let remove = move |account: Uuid| {
        let Some(signed) = ctx.signed_in_untracked() else {
            return;
        };
        spawn_local(async move {
            match signed.chat.remove_member(workflow, account).await {
                Ok(()) if account == me => {
                    ctx.reload_workflows();
                    navigate(ctx, Route::Home);
                }
                Ok(()) => {
                    error.set(None);
                    reload();
                }
                Err(e) => error.set(Some(member_error(&e))),
            }
        });
    };

    let rows = move || {
        let mine = my_role.get().unwrap_or(Role::Viewer);
        match members.get() {
            None => view! { <p class="placeholder">{t.loading}</p> }.into_any(),
            Some(Err(e)) => view! { <p class="placeholder" role="alert">{e}</p> }.into_any(),
            Some(Ok(list)) => view! {
                <ul class="member-list">
                    {list.into_iter().map(|m| {
                        let is_self = m.account_id == me;
                        let account = m.account_id;
                        let label = format!("{} {}", t.role, m.display_name);
                        let role_cell = if can_change_role(mine, m.role, is_self) {
                            let options = assignable_roles(mine);
                            let current = m.role;
                            view! {
                                <select class="member-role" aria-label=label
                                    on:change=move |ev| if let Some(r) = parse_role(&event_target_value(&ev)) {
                                        set_role(account, r)
                                    }>
                                    {options.into_iter().chain((!assignable_roles(mine).contains(&current)).then_some(current))
                                        .map(|r| view! {
                                            <option value=role_value(r) selected=r == current>{role_name(t, r)}</option>
                                        }).collect_view()}
                                </select>
                            }.into_any()
                        } else {
                            view! { <span class="role-badge">{role_name(t, m.role)}</span> }.into_any()
                        };
                        let remove_button = can_remove(mine, m.role, is_self).then(|| view! {
                            <button type="button" class="member-remove" on:click=move |_| remove(account)>
                                {if is_self { t.leave_workflow } else { t.remove }}
                            </button>
                        });
                        view! {
                            <li class="member">
                                <Avatar id=m.account_id name=m.display_name.clone() url=m.avatar_url.clone()/>
                                <span class="member-name">
                                    {m.display_name.clone()}
                                    {is_self.then(|| format!(" {}", t.you_suffix))}
                                </span>
                                {m.email.clone().map(|e| view! { <span class="member-email">{e}</span> })}
                                {role_cell}
                                {remove_button}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any(),
        }
    };

    view! {
        <section class="members-panel" aria-labelledby="members-title">
            <h2 id="members-title">
                {t.members} {move || name.get().map(|n| format!(" · {n}"))}
            </h2>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            {rows}
            {move || my_role.get().filter(|r| r.can_admin()).map(|mine| view! {
                <AddMember workflow mine on_added=move || reload() error/>
            })}
        </section>
    }
}

/// The add-member form.
#[component]
fn AddMember(
    workflow: Uuid,
    mine: Role,
    on_added: impl Fn() + Copy + 'static,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let t = texts();
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Member);
    let submit = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        let Some(signed) = ctx.signed_in_untracked() else {
            return;
        };
        let address = email.get_untracked().trim().to_owned();
        let chosen = role.get_untracked();
        spawn_local(async move {
            match signed.chat.add_member(workflow, &address, chosen).await {
                Ok(_) => {
                    email.set(String::new());
                    error.set(None);
                    on_added();
                }
                Err(e) => error.set(Some(member_error(&e))),
            }
        });
    };
    view! {
        <form class="add-member" on:submit=submit>
            <h3>{t.add_member}</h3>
            <label for="add-member-email">{t.email}</label>
            <input id="add-member-email" type="email" required
                prop:value=move || email.get()
                on:input=move |ev| email.set(event_target_value(&ev)) />
            <label for="add-member-role">{t.role}</label>
            <select id="add-member-role"
                on:change=move |ev| if let Some(r) = parse_role(&event_target_value(&ev)) { role.set(r) }>
                {assignable_roles(mine).into_iter().map(|r| view! {
                    <option value=role_value(r) selected=r == Role::Member>{role_name(t, r)}</option>
                }).collect_view()}
            </select>
            <button type="submit" class="primary">{t.add}</button>
        </form>
    }
}
