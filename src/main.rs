fn main() -> std::process::ExitCode {
    relaydesk::app::cli::main()
}
