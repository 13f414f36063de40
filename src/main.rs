fn main() {
    workflow_chat::mount_to_body();
}
