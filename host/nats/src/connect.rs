//! Connecting to the NATS server of `[nats]` (or `[sink] url`): the credentials are read
//! from their source here, at connect time, handed to the client and to nothing else; an
//! error names the server and the source of a credential, never its value.

use async_nats::{Client, ConnectOptions};

use connector_triggers::config::{NatsAuth, NatsServer};

/// Connects to `server` as `name` (shown in the server's connection list). The first
/// connect must succeed within the server's `connect_timeout`; after that the client
/// reconnects by itself, without end, and the calls made while it is away fail or wait.
pub async fn connect(server: &NatsServer, name: &str) -> Result<Client, String> {
    let mut secret = None;
    let options = match &server.auth {
        NatsAuth::None => ConnectOptions::new(),
        NatsAuth::Token(source) => {
            let token = source
                .read()
                .map_err(|why| format!("[nats] token: {why}"))?;
            secret = Some(token.clone());
            ConnectOptions::with_token(token)
        }
        NatsAuth::UserPassword { user, password } => {
            let password = password
                .read()
                .map_err(|why| format!("[nats] password: {why}"))?;
            secret = Some(password.clone());
            ConnectOptions::with_user_and_password(user.clone(), password)
        }
        NatsAuth::Credentials(path) => ConnectOptions::with_credentials_file(path)
            .await
            .map_err(|e| format!("[nats] credentials: cannot read {}: {e}", path.display()))?,
    };
    let options = options
        .name(name)
        .connection_timeout(server.connect_timeout)
        .max_reconnects(None);
    options.connect(server.url.as_str()).await.map_err(|e| {
        let mut message = format!("cannot connect to NATS at {}: {e}", server.url);
        // The client's errors quote no credential; this keeps it so should one ever do.
        if let Some(secret) = secret.filter(|s| !s.is_empty()) {
            message = message.replace(&secret, "[redacted]");
        }
        message
    })
}
