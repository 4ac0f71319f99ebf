fn main() {
    std::process::exit(kafkagen::cli::run());
}
