//! `devstack`: a local Supabase-compatible stack for workflow-chat.

fn main() {
    eprintln!("devstack: not built yet");
    std::process::exit(2);
}
