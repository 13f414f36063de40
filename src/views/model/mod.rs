//! The views' pure logic: everything that decides what to show, apart from
//! the DOM, so that it is tested natively with `cargo test`.

pub mod format;
pub mod grouping;
pub mod linkify;
pub mod receipts;
pub mod roles;
pub mod time;
pub mod window;
