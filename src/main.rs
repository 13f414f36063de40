fn main() {
    workflow_chat::start();
}
