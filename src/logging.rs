//! Logs go to stderr, which go-plugin forwards into Terraform's log. The level follows
//! Terraform's own variables (TF_LOG_PROVIDER, then TF_LOG), so `TF_LOG_PROVIDER=DEBUG` works as
//! with any provider. Secrets are never logged anywhere in the provider.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let level = std::env::var("TF_LOG_PROVIDER")
        .or_else(|_| std::env::var("TF_LOG"))
        .unwrap_or_default();
    let directive = match level.trim().to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => "trace",
        "DEBUG" => "debug",
        "INFO" => "info",
        "WARN" => "warn",
        "ERROR" => "error",
        "OFF" => "off",
        _ => "warn",
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(format!("tether={directive},terraform_provider_tether={directive}")))
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .try_init();
}
