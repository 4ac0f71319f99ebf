//! Broker properties kafkagen sets, which `kafka.config` may not set too:
//! those of TLS and authentication per listener and the keys authorization
//! sets (validation refuses them in `kafka.config`; the model sets them),
//! and how a property reaches the images, as an environment variable.
//!
//! Kafka reads PEM since 2.7, with keys in PKCS#8 only. cert-manager
//! writes `tls-combined.pem` (the key, then the certificate chain) when a
//! Certificate asks for the `CombinedPEM` output format, which Kafka takes
//! as a PEM keystore file, and `ca.crt`, its truststore.

use crate::cluster::Authentication;
use crate::listeners::Listener;

/// Where brokers mount their certificate's Secret, and Jobs the CA.
pub const TLS_DIR: &str = "/opt/kafkagen/tls";
/// cert-manager's Secret keys.
pub const CA_FILE: &str = "ca.crt";
pub const COMBINED_FILE: &str = "tls-combined.pem";
pub const SCRAM: &str = "SCRAM-SHA-512";
pub const SCRAM_LOGIN: &str = "org.apache.kafka.common.security.scram.ScramLoginModule";
/// A certificate whose subject is only `CN=<name>` is the principal
/// `User:<name>`; any other subject keeps its whole DN.
const PRINCIPAL_RULES: &str = "RULE:^CN=([^,]+)$/$1/,DEFAULT";
/// The broker properties authorization sets.
pub const AUTHORIZER: &str = "authorizer.class.name";
pub const SUPER_USERS: &str = "super.users";

/// The broker properties TLS and authentication set, per listener;
/// `kafka.config` may not set them too.
pub fn security(listeners: &[Listener]) -> Vec<(String, String)> {
    let mut props: Vec<(String, String)> = Vec::new();
    let mut set = |k: String, v: String| props.push((k, v));
    if listeners.iter().any(|l| l.security.tls) {
        set("ssl.keystore.type".into(), "PEM".into());
        set(
            "ssl.keystore.location".into(),
            format!("{TLS_DIR}/{COMBINED_FILE}"),
        );
        set("ssl.truststore.type".into(), "PEM".into());
        set(
            "ssl.truststore.location".into(),
            format!("{TLS_DIR}/{CA_FILE}"),
        );
        set("ssl.principal.mapping.rules".into(), PRINCIPAL_RULES.into());
        // A broker rereads a renewed certificate (the reload CronJob) only
        // if its names may change: adding brokers adds external hosts.
        set("ssl.allow.san.changes".into(), "true".into());
    }
    for l in listeners {
        let prefix = format!("listener.name.{}.", l.name.to_lowercase());
        match l.security.authentication {
            Authentication::None => {}
            Authentication::Mtls => set(format!("{prefix}ssl.client.auth"), "required".into()),
            Authentication::ScramSha512 => {
                set(format!("{prefix}sasl.enabled.mechanisms"), SCRAM.into());
                set(
                    format!("{prefix}{}.sasl.jaas.config", SCRAM.to_lowercase()),
                    format!("{SCRAM_LOGIN} required;"),
                );
            }
        }
    }
    props
}

/// The environment name of a broker property for the Confluent images:
/// `KAFKA_` + upper case with `.` -> `_`, `_` -> `__`, `-` -> `___`.
pub fn property_env(key: &str) -> String {
    let mut out = String::from("KAFKA_");
    for ch in key.chars() {
        match ch {
            '.' => out.push('_'),
            '_' => out.push_str("__"),
            '-' => out.push_str("___"),
            c => out.push(c.to_ascii_uppercase()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::property_env;

    #[test]
    fn property_names_map_to_confluent_env_names() {
        assert_eq!(
            property_env("log.retention.hours"),
            "KAFKA_LOG_RETENTION_HOURS"
        );
        assert_eq!(property_env("a_b-c.d"), "KAFKA_A__B___C_D");
    }
}
