//! The app's shared state, provided to every component as context: the API
//! clients, who is signed in, the current route, the theme, the workflows.
//!
//! [`AppCtx`] is made of arena handles, so it is `Copy` and can be moved
//! into any view closure; the clients themselves (not `Send`) live in
//! local-storage signals.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::local;
use crate::chat::types::{Account, Workflow};
use crate::chat::{Api, ChatApi};
use crate::config::SupabaseConfig;
use crate::routes::Route;
use crate::supabase::auth::AccessToken;
use crate::supabase::realtime::{ConnectionState, Realtime, SocketOptions};
use crate::supabase::rpc::RpcError;
use crate::supabase::time::Millis;

/// The clients of a signed-in user.
#[derive(Clone)]
pub struct SignedIn {
    /// RPC calls with the user's token.
    pub chat: ChatApi,
    /// The Realtime socket, following the same token.
    pub realtime: Realtime,
    /// Who is signed in.
    pub account: Account,
}

/// The colour theme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    /// Follow the system (`prefers-color-scheme`).
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

impl Theme {
    /// Stored and `data-theme` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// Reads a stored value; anything unknown is [`Theme::System`].
    pub fn parse(value: &str) -> Theme {
        match value {
            "light" => Theme::Light,
            "dark" => Theme::Dark,
            _ => Theme::System,
        }
    }
}

/// What is kept in `localStorage` to stay signed in across reloads.
#[derive(Serialize, Deserialize)]
struct StoredAuth {
    token: String,
    account: Account,
}

/// The workflows of the signed-in user, as loaded.
#[derive(Clone, Debug, PartialEq)]
pub enum Workflows {
    /// Not loaded yet.
    Loading,
    /// Loaded.
    Ready(Vec<Workflow>),
    /// Loading failed.
    Failed(String),
}

/// Shared state; see the module documentation.
#[derive(Clone, Copy)]
pub struct AppCtx {
    api: StoredValue<Api, LocalStorage>,
    auth: RwSignal<Option<SignedIn>, LocalStorage>,
    signing_out: StoredValue<bool>,
    /// Whether the last session ended on its own (expiry, revocation):
    /// the sign-in form says so.
    pub expired: RwSignal<bool>,
    /// The current route.
    pub route: RwSignal<Route>,
    /// The chosen theme.
    pub theme: RwSignal<Theme>,
    /// The user's workflows.
    pub workflows: RwSignal<Workflows>,
    /// The latest read position the user reached: `(session, seq)`.
    pub read_mark: RwSignal<Option<(Uuid, i64)>>,
    /// Whether the browser says it is online.
    pub online: RwSignal<bool>,
}

impl AppCtx {
    /// Fresh state for a configured project.
    pub fn new(config: SupabaseConfig) -> AppCtx {
        let theme = Theme::parse(&local::get(local::THEME_KEY).unwrap_or_default());
        AppCtx {
            api: StoredValue::new_local(Api::new(config)),
            auth: RwSignal::new_local(None),
            signing_out: StoredValue::new(false),
            expired: RwSignal::new(false),
            route: RwSignal::new(Route::Home),
            theme: RwSignal::new(theme),
            workflows: RwSignal::new(Workflows::Loading),
            read_mark: RwSignal::new(None),
            online: RwSignal::new(web_sys::window().is_none_or(|w| w.navigator().on_line())),
        }
    }

    /// The signed-out API.
    pub fn api(&self) -> Api {
        self.api.get_value()
    }

    /// The signed-in clients (tracked: views re-render on sign-in and out).
    pub fn signed_in(&self) -> Option<SignedIn> {
        self.auth.get()
    }

    /// The signed-in clients, untracked.
    pub fn signed_in_untracked(&self) -> Option<SignedIn> {
        self.auth.get_untracked()
    }

    /// Whether someone is signed in (tracked).
    pub fn is_signed_in(&self) -> bool {
        self.auth.with(Option::is_some)
    }

    /// The signed-in account (tracked).
    pub fn account(&self) -> Option<Account> {
        self.auth.with(|a| a.as_ref().map(|s| s.account.clone()))
    }

    /// The signed-in account's id, untracked.
    pub fn me(&self) -> Option<Uuid> {
        self.auth
            .with_untracked(|a| a.as_ref().map(|s| s.account.id))
    }

    /// The Realtime connection state, when signed in (tracked).
    pub fn connection(&self) -> Option<ConnectionState> {
        self.auth
            .with(|a| a.as_ref().map(|s| s.realtime.connection_state()))
            .map(|signal| signal.get())
    }

    /// The caller's role in a workflow, once the workflows are loaded.
    pub fn workflow(&self, id: Uuid) -> Option<Workflow> {
        self.workflows.with(|w| match w {
            Workflows::Ready(list) => list.iter().find(|w| w.id == id).cloned(),
            _ => None,
        })
    }

    /// Signs in again with the token stored by an earlier visit, if it is
    /// still valid; an expired one leads to the sign-in form with the
    /// "session ended" notice (drafts are kept).
    pub fn restore(&self) {
        if let Some(token) = self.api().config().token().map(str::to_owned) {
            self.sign_in_with_host_token(&token);
            return;
        }
        let Some(stored) = local::get(local::AUTH_KEY)
            .and_then(|json| serde_json::from_str::<StoredAuth>(&json).ok())
        else {
            return;
        };
        let usable = AccessToken::parse(stored.token.as_str())
            .map(|t| !t.is_expired(Millis::now()))
            .unwrap_or(false);
        if !usable {
            local::remove(local::AUTH_KEY);
            self.expired.set(true);
            return;
        }
        let Ok(chat) = self.api().with_token(&stored.token) else {
            local::remove(local::AUTH_KEY);
            return;
        };
        self.start(chat.clone(), stored.account);
        // Check the token with the server and pick up profile changes.
        let ctx = *self;
        spawn_local(async move {
            match chat.me().await {
                Ok(account) => ctx.auth.update(|a| {
                    if let Some(s) = a.as_mut() {
                        s.account = account;
                    }
                }),
                Err(RpcError::Unauthenticated(_)) => chat.tokens().sign_out(),
                Err(_) => {}
            }
        });
    }

    /// Signs in with the token a host page handed over when it mounted the
    /// app (issued by its server with `wc_issue_token`). The account comes
    /// from the server, which also proves the token; a refused token leads to
    /// the sign-in form with the "session ended" notice.
    fn sign_in_with_host_token(&self, token: &str) {
        let Ok(chat) = self.api().with_token(token) else {
            self.expired.set(true);
            return;
        };
        let ctx = *self;
        spawn_local(async move {
            match chat.me().await {
                Ok(account) => ctx.start(chat, account),
                Err(_) => ctx.expired.set(true),
            }
        });
    }

    /// Starts the signed-in state with a fresh client (after sign-in,
    /// registration or [`AppCtx::restore`]).
    pub fn start(&self, chat: ChatApi, account: Account) {
        let config = chat.config().clone();
        let realtime = Realtime::new(SocketOptions::new(config.realtime_url()));
        realtime.bind_token(chat.tokens());
        if let Some(token) = chat.tokens().get() {
            persist(token.as_str(), &account);
        }
        let ctx = *self;
        let account_for_tokens = account.clone();
        chat.tokens().subscribe(move |token| match token {
            Some(token) => persist(token.as_str(), &account_for_tokens),
            None => ctx.ended(account_for_tokens.id),
        });
        spawn_local(chat.clone().keep_token_fresh());
        self.signing_out.set_value(false);
        self.expired.set(false);
        self.workflows.set(Workflows::Loading);
        self.auth.set(Some(SignedIn {
            chat,
            realtime,
            account,
        }));
        self.reload_workflows();
    }

    /// Signs out on the user's request: the server revokes the token, and
    /// the drafts of this account are forgotten.
    pub fn sign_out(&self) {
        let Some(signed) = self.signed_in_untracked() else {
            return;
        };
        self.signing_out.set_value(true);
        local::clear_drafts(signed.account.id);
        spawn_local(async move {
            // The token is forgotten whatever the server answers.
            let _ = signed.chat.sign_out().await;
        });
    }

    /// The token went away: by sign-out, or because it expired or was
    /// revoked.
    fn ended(&self, account: Uuid) {
        local::remove(local::AUTH_KEY);
        let on_purpose = self.signing_out.get_value();
        if on_purpose {
            local::clear_drafts(account);
        }
        self.expired.set(!on_purpose);
        self.signing_out.set_value(false);
        self.read_mark.set(None);
        self.auth.set(None);
        self.workflows.set(Workflows::Loading);
    }

    /// Fetches the workflow list again.
    pub fn reload_workflows(&self) {
        let Some(signed) = self.signed_in_untracked() else {
            return;
        };
        let ctx = *self;
        spawn_local(async move {
            let result = signed.chat.list_workflows().await;
            ctx.workflows.set(match result {
                Ok(list) => Workflows::Ready(list),
                Err(e) => Workflows::Failed(e.to_string()),
            });
        });
    }

    /// Switches the theme and remembers it.
    pub fn set_theme(&self, theme: Theme) {
        local::set(local::THEME_KEY, theme.as_str());
        self.theme.set(theme);
    }
}

fn persist(token: &str, account: &Account) {
    let stored = StoredAuth {
        token: token.to_owned(),
        account: account.clone(),
    };
    if let Ok(json) = serde_json::to_string(&stored) {
        local::set(local::AUTH_KEY, &json);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn themes_round_trip() {
        for t in [Theme::System, Theme::Light, Theme::Dark] {
            assert_eq!(Theme::parse(t.as_str()), t);
        }
        assert_eq!(Theme::parse("sepia"), Theme::System);
    }
}
