//! devstack: a local Supabase-compatible stack for developing and testing
//! workflow-chat. The binary in `main.rs` is a thin command line over this
//! library, which tests also use to start throwaway stacks.
