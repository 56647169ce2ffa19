fn main() -> std::process::ExitCode {
    connector_host::commands::main()
}
