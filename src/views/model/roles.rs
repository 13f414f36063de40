//! What a role lets the user do in the views, mirroring the server's rules
//! (`docs/api.md`, "Conventions") so that the views only offer what will be
//! allowed. The server decides in the end.
//!
//! ```
//! use workflow_chat::chat::types::Role;
//! use workflow_chat::views::model::roles::assignable_roles;
//! assert_eq!(assignable_roles(Role::Admin), vec![Role::Viewer, Role::Member]);
//! ```

use uuid::Uuid;

use crate::chat::types::Role;

/// Roles the user may give to others.
pub fn assignable_roles(mine: Role) -> Vec<Role> {
    match mine {
        Role::Owner => vec![Role::Viewer, Role::Member, Role::Admin, Role::Owner],
        Role::Admin => vec![Role::Viewer, Role::Member],
        Role::Member | Role::Viewer => Vec::new(),
    }
}

/// Whether the user may change the role of a member who has `theirs`.
pub fn can_change_role(mine: Role, theirs: Role, is_self: bool) -> bool {
    match mine {
        Role::Owner => true,
        Role::Admin => !is_self && theirs <= Role::Member,
        _ => false,
    }
}

/// Whether the user may remove a member (anyone may leave).
pub fn can_remove(mine: Role, theirs: Role, is_self: bool) -> bool {
    is_self || can_change_role(mine, theirs, is_self)
}

/// Whether the user may rename or archive a session created by `creator`.
pub fn can_manage_session(mine: Role, me: Uuid, creator: Uuid) -> bool {
    mine.can_admin() || (mine.can_write() && me == creator)
}

/// Whether the user may delete a message written by `author`.
pub fn can_delete_message(mine: Role, me: Uuid, author: Uuid) -> bool {
    mine.can_admin() || (mine.can_write() && me == author)
}

/// Whether the user may edit a message written by `author`.
pub fn can_edit_message(mine: Role, me: Uuid, author: Uuid) -> bool {
    mine.can_write() && me == author
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_manages_whom() {
        use Role::*;
        assert_eq!(assignable_roles(Owner).len(), 4);
        assert!(assignable_roles(Member).is_empty() && assignable_roles(Viewer).is_empty());
        assert!(can_change_role(Owner, Owner, false));
        assert!(can_change_role(Owner, Owner, true), "owners may step down");
        assert!(can_change_role(Admin, Member, false));
        assert!(can_change_role(Admin, Viewer, false));
        assert!(!can_change_role(Admin, Admin, false));
        assert!(!can_change_role(Admin, Owner, false));
        assert!(!can_change_role(Admin, Admin, true));
        assert!(!can_change_role(Member, Viewer, false));
        assert!(can_remove(Viewer, Viewer, true), "anyone may leave");
        assert!(!can_remove(Member, Viewer, false));
        assert!(can_remove(Admin, Member, false));
        assert!(!can_remove(Admin, Owner, false));
    }

    #[test]
    fn sessions_and_messages() {
        use Role::*;
        let (me, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert!(can_manage_session(Member, me, me));
        assert!(!can_manage_session(Member, me, other));
        assert!(can_manage_session(Admin, me, other));
        assert!(!can_manage_session(Viewer, me, me));
        assert!(can_delete_message(Admin, me, other));
        assert!(can_delete_message(Member, me, me));
        assert!(!can_delete_message(Member, me, other));
        assert!(!can_delete_message(Viewer, me, me));
        assert!(can_edit_message(Member, me, me));
        assert!(
            !can_edit_message(Owner, me, other),
            "nobody edits others' words"
        );
    }
}
