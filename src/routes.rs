//! The app's URLs: every view a user can link to, reload or reach with the
//! browser's back and forward buttons.
//!
//! | path | view |
//! |---|---|
//! | `/` | the workflows I belong to |
//! | `/signin`, `/register` | account forms |
//! | `/w/<workflow>` | a workflow's sessions |
//! | `/w/<workflow>/members` | its members |
//! | `/w/<workflow>/s/<session>` | a chat session |
//!
//! Parsing and formatting are pure, so they are tested natively:
//!
//! ```
//! use uuid::Uuid;
//! use workflow_chat::routes::Route;
//!
//! let (w, s) = (Uuid::from_u128(1), Uuid::from_u128(2));
//! let route = Route::Session { workflow: w, session: s };
//! assert_eq!(Route::parse(&route.path()), route);
//! assert_eq!(Route::parse("/nowhere"), Route::NotFound);
//! ```

use uuid::Uuid;

/// A place in the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Route {
    /// The list of my workflows.
    Home,
    /// The sign-in form.
    SignIn,
    /// The registration form.
    Register,
    /// A workflow's session list.
    Workflow {
        /// Which workflow.
        workflow: Uuid,
    },
    /// A workflow's members.
    Members {
        /// Which workflow.
        workflow: Uuid,
    },
    /// One chat session.
    Session {
        /// Its workflow.
        workflow: Uuid,
        /// The session.
        session: Uuid,
    },
    /// A path the app does not know.
    NotFound,
}

impl Route {
    /// Reads a URL path (query and fragment must already be removed). Extra
    /// or doubled slashes are tolerated; anything else unknown is
    /// [`Route::NotFound`].
    pub fn parse(path: &str) -> Route {
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        let id = |s: &str| Uuid::parse_str(s).ok();
        match parts.as_slice() {
            [] => Route::Home,
            ["signin"] => Route::SignIn,
            ["register"] => Route::Register,
            ["w", w] => id(w).map_or(Route::NotFound, |workflow| Route::Workflow { workflow }),
            ["w", w, "members"] => {
                id(w).map_or(Route::NotFound, |workflow| Route::Members { workflow })
            }
            ["w", w, "s", s] => match (id(w), id(s)) {
                (Some(workflow), Some(session)) => Route::Session { workflow, session },
                _ => Route::NotFound,
            },
            _ => Route::NotFound,
        }
    }

    /// The path of this route; [`Route::NotFound`] maps to `/`.
    pub fn path(&self) -> String {
        match self {
            Route::Home | Route::NotFound => "/".to_owned(),
            Route::SignIn => "/signin".to_owned(),
            Route::Register => "/register".to_owned(),
            Route::Workflow { workflow } => format!("/w/{workflow}"),
            Route::Members { workflow } => format!("/w/{workflow}/members"),
            Route::Session { workflow, session } => format!("/w/{workflow}/s/{session}"),
        }
    }

    /// The workflow this route is inside, if any.
    pub fn workflow(&self) -> Option<Uuid> {
        match self {
            Route::Workflow { workflow }
            | Route::Members { workflow }
            | Route::Session { workflow, .. } => Some(*workflow),
            _ => None,
        }
    }

    /// The chat session this route shows, if any.
    pub fn session(&self) -> Option<Uuid> {
        match self {
            Route::Session { session, .. } => Some(*session),
            _ => None,
        }
    }

    /// Whether the route is one of the account forms, reachable signed out.
    pub fn is_public(&self) -> bool {
        matches!(self, Route::SignIn | Route::Register)
    }

    /// Whether, on a narrow screen, the route shows a detail pane (a chat or
    /// the members) instead of the navigation lists.
    pub fn is_detail(&self) -> bool {
        matches!(self, Route::Session { .. } | Route::Members { .. })
    }

    /// Where "back" leads on a narrow screen, where only one pane shows.
    pub fn parent(&self) -> Route {
        match self {
            Route::Session { workflow, .. } | Route::Members { workflow } => Route::Workflow {
                workflow: *workflow,
            },
            _ => Route::Home,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> (Uuid, Uuid) {
        (Uuid::from_u128(0xa1), Uuid::from_u128(0xb2))
    }

    #[test]
    fn every_route_round_trips() {
        let (w, s) = ids();
        for route in [
            Route::Home,
            Route::SignIn,
            Route::Register,
            Route::Workflow { workflow: w },
            Route::Members { workflow: w },
            Route::Session {
                workflow: w,
                session: s,
            },
        ] {
            assert_eq!(Route::parse(&route.path()), route, "{}", route.path());
        }
    }

    #[test]
    fn tolerates_slashes_and_refuses_the_unknown() {
        let (w, s) = ids();
        assert_eq!(Route::parse(""), Route::Home);
        assert_eq!(Route::parse("//"), Route::Home);
        assert_eq!(
            Route::parse(&format!("/w/{w}/s/{s}/")),
            Route::Session {
                workflow: w,
                session: s
            }
        );
        for bad in [
            "/w",
            "/w/not-a-uuid",
            &format!("/w/{w}/s"),
            &format!("/w/{w}/s/nope"),
            &format!("/w/{w}/x/{s}"),
            &format!("/w/{w}/members/more"),
            "/signin/extra",
            "/admin",
        ] {
            assert_eq!(Route::parse(bad), Route::NotFound, "{bad}");
        }
        assert_eq!(Route::NotFound.path(), "/");
    }

    #[test]
    fn context_of_a_route() {
        let (w, s) = ids();
        let chat = Route::Session {
            workflow: w,
            session: s,
        };
        assert_eq!(chat.workflow(), Some(w));
        assert_eq!(chat.session(), Some(s));
        assert!(chat.is_detail() && !chat.is_public());
        assert_eq!(chat.parent(), Route::Workflow { workflow: w });
        assert_eq!(Route::Workflow { workflow: w }.parent(), Route::Home);
        assert_eq!(Route::Home.workflow(), None);
        assert!(Route::SignIn.is_public() && Route::Register.is_public());
        assert!(!Route::Members { workflow: w }.is_public());
    }
}
