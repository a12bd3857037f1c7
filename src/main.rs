fn main() -> std::process::ExitCode {
    relaydesk::cli::main()
}
