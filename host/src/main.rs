fn main() -> std::process::ExitCode {
    connector_host::cli::main()
}
