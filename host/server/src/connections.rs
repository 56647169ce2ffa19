//! Connections: the `[[connection]]` tables of the configuration (read-only
//! here; their secrets come from the environment or files), and the ones
//! made through the API, stored in `connections.json` in the state
//! directory, owner-only (0600).
//!
//! Secret values are write-only: the API takes them and never gives them
//! back, not even masked by length; a view says only which secrets are set.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use connector_runtime::connection::Connection;
use connector_runtime::description::{Description, ParameterKind};
use connector_triggers::config::ConnectionConfig;

use crate::error::ApiError;
use crate::files;

/// The file of stored connections in the state directory.
pub const CONNECTIONS_FILE: &str = "connections.json";
/// Most connections the API stores (each is a few hundred bytes).
pub const MAX_CONNECTIONS: usize = 1000;
/// Longest value (plain or secret) accepted, in bytes.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

/// A connection made through the API.
#[derive(Clone, Serialize, Deserialize)]
struct Stored {
    name: String,
    connector: String,
    values: BTreeMap<String, String>,
    secrets: BTreeMap<String, String>,
}

#[derive(Serialize, Deserialize, Default)]
struct StoredFile {
    connections: Vec<Stored>,
}

/// What a create or update asks for (values may be strings, numbers or
/// booleans; a secret `null` in an update removes it).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionInput {
    pub name: Option<String>,
    pub connector: Option<String>,
    #[serde(default)]
    pub values: BTreeMap<String, Value>,
    #[serde(default)]
    pub secrets: BTreeMap<String, Option<Value>>,
}

/// A connection ready for a call, and every secret value it holds (for
/// redacting what the server sends back).
pub struct ForCall {
    pub connection: Connection,
    /// Secret values the connection holds (from the environment, files or
    /// the store); declared secrets are added by the caller.
    pub secrets: Vec<String>,
    /// The connector it belongs to.
    pub connector: String,
}

/// Every connection the server can call with.
pub struct Connections {
    path: PathBuf,
    configured: Vec<ConnectionConfig>,
    stored: Mutex<BTreeMap<String, Stored>>,
}

impl Connections {
    /// The configuration's connections and the ones stored in `state_dir`.
    pub fn open(state_dir: &Path, configured: Vec<ConnectionConfig>) -> anyhow::Result<Self> {
        let path = state_dir.join(CONNECTIONS_FILE);
        let mut stored = BTreeMap::new();
        if path.exists() {
            files::check_private(&path)?;
            let text = std::fs::read_to_string(&path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            let file: StoredFile = serde_json::from_str(&text).map_err(|e| {
                anyhow::anyhow!("{} is not a connections file: {e}", path.display())
            })?;
            for c in file.connections {
                stored.insert(c.name.clone(), c);
            }
        }
        Ok(Self {
            path,
            configured,
            stored: Mutex::new(stored),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Stored>> {
        // A panic while holding the lock leaves the map as it was (every
        // change is built aside and swapped in), so poisoning is harmless.
        self.stored.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every connection, as the API shows it. `describe` gives a
    /// connector's description when it is loaded (to tell secrets apart).
    pub fn list<'a>(&self, describe: impl Fn(&str) -> Option<&'a Description>) -> Vec<Value> {
        let mut out = Vec::new();
        for c in &self.configured {
            out.push(view_configured(c, describe(&c.connector)));
        }
        for s in self.lock().values() {
            out.push(view_stored(s));
        }
        out
    }

    /// One connection's view.
    pub fn get<'a>(
        &self,
        name: &str,
        describe: impl Fn(&str) -> Option<&'a Description>,
    ) -> Result<Value, ApiError> {
        if let Some(c) = self.configured.iter().find(|c| c.name == name) {
            return Ok(view_configured(c, describe(&c.connector)));
        }
        self.lock()
            .get(name)
            .map(view_stored)
            .ok_or_else(|| not_found(name))
    }

    /// Creates a connection for a connector described by `description`.
    pub fn create(
        &self,
        input: ConnectionInput,
        description: impl Fn(&str) -> Option<Description>,
    ) -> Result<Value, ApiError> {
        let name = input
            .name
            .clone()
            .ok_or_else(|| ApiError::bad_request("/name", "a connection needs a name"))?;
        check_name(&name)?;
        let connector = input
            .connector
            .clone()
            .ok_or_else(|| ApiError::bad_request("/connector", "a connection needs a connector"))?;
        let description = description(&connector).ok_or_else(|| {
            ApiError::bad_request(
                "/connector",
                format!("no loaded connector is named {connector:?}"),
            )
        })?;
        if self.configured.iter().any(|c| c.name == name) {
            return Err(ApiError::conflict(format!(
                "{name:?} is a connection of the configuration file; pick another name"
            )));
        }
        let mut stored = Stored {
            name: name.clone(),
            connector,
            values: BTreeMap::new(),
            secrets: BTreeMap::new(),
        };
        apply(&mut stored, input, &description)?;
        let mut map = self.lock();
        if map.contains_key(&name) {
            return Err(ApiError::conflict(format!(
                "a connection {name:?} exists; update it with PUT"
            )));
        }
        if map.len() >= MAX_CONNECTIONS {
            return Err(ApiError::conflict(format!(
                "at most {MAX_CONNECTIONS} connections can be stored"
            )));
        }
        let mut next = map.clone();
        next.insert(name.clone(), stored.clone());
        self.persist(&next)?;
        *map = next;
        Ok(view_stored(&stored))
    }

    /// Updates a stored connection: `values` replaces the plain values,
    /// each secret given replaces that secret (`null` removes it), secrets
    /// not named are kept.
    pub fn update(
        &self,
        name: &str,
        input: ConnectionInput,
        description: impl Fn(&str) -> Option<Description>,
    ) -> Result<Value, ApiError> {
        if self.configured.iter().any(|c| c.name == name) {
            return Err(ApiError::conflict(format!(
                "{name:?} comes from the configuration file; edit the file to change it"
            )));
        }
        if input.name.as_deref().is_some_and(|n| n != name) {
            return Err(ApiError::bad_request(
                "/name",
                "a connection cannot be renamed",
            ));
        }
        let mut map = self.lock();
        let mut stored = map.get(name).cloned().ok_or_else(|| not_found(name))?;
        if input
            .connector
            .as_deref()
            .is_some_and(|c| c != stored.connector)
        {
            return Err(ApiError::bad_request(
                "/connector",
                "a connection cannot change its connector",
            ));
        }
        let description = description(&stored.connector).ok_or_else(|| {
            ApiError::unavailable(format!(
                "the connector {:?} is not loaded",
                stored.connector
            ))
        })?;
        stored.values.clear();
        apply(&mut stored, input, &description)?;
        let mut next = map.clone();
        next.insert(name.to_string(), stored.clone());
        self.persist(&next)?;
        *map = next;
        Ok(view_stored(&stored))
    }

    /// Deletes a stored connection.
    pub fn delete(&self, name: &str) -> Result<(), ApiError> {
        if self.configured.iter().any(|c| c.name == name) {
            return Err(ApiError::conflict(format!(
                "{name:?} comes from the configuration file; edit the file to remove it"
            )));
        }
        let mut map = self.lock();
        if !map.contains_key(name) {
            return Err(not_found(name));
        }
        let mut next = map.clone();
        next.remove(name);
        self.persist(&next)?;
        *map = next;
        Ok(())
    }

    /// The connection `name` with its secrets, for a call.
    pub fn for_call(&self, name: &str) -> Result<ForCall, ApiError> {
        if let Some(c) = self.configured.iter().find(|c| c.name == name) {
            let resolved = c.resolve().map_err(|why| {
                // The reasons name variables and files, never values.
                ApiError::unavailable(format!(
                    "the connection {name:?} cannot be used: {}",
                    why.join("; ")
                ))
            })?;
            // Declared secrets given in `values` are added by the caller,
            // which knows the description (`Connection::redactor`).
            return Ok(ForCall {
                connection: resolved.connection,
                secrets: resolved.secret_values,
                connector: c.connector.clone(),
            });
        }
        let map = self.lock();
        let s = map.get(name).ok_or_else(|| not_found(name))?;
        let mut connection = Connection::new();
        for (k, v) in s.values.iter().chain(s.secrets.iter()) {
            connection.set(k.clone(), v.clone());
        }
        Ok(ForCall {
            connection,
            secrets: s.secrets.values().cloned().collect(),
            connector: s.connector.clone(),
        })
    }

    fn persist(&self, map: &BTreeMap<String, Stored>) -> Result<(), ApiError> {
        let file = StoredFile {
            connections: map.values().cloned().collect(),
        };
        let text =
            serde_json::to_vec_pretty(&file).map_err(|e| ApiError::internal(e.to_string()))?;
        files::write_private(&self.path, &text).map_err(|e| {
            tracing::error!("{e:#}");
            ApiError::internal("cannot store the connection (see the server's log)")
        })
    }
}

fn not_found(name: &str) -> ApiError {
    ApiError::not_found(format!("no connection is named {name:?}"))
}

fn check_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "/name",
            "a connection name is 1 to 64 letters, digits, `-`, `_` or `.`",
        ))
    }
}

/// Puts the input's values into `stored`, checking them against the
/// connector's parameters: each value in the right map (secrets only in
/// `secrets`), then the whole connection as a call would resolve it.
fn apply(
    stored: &mut Stored,
    input: ConnectionInput,
    description: &Description,
) -> Result<(), ApiError> {
    let kind = |name: &str| description.parameter(name).map(|p| p.kind);
    for (name, value) in input.values {
        match kind(&name) {
            Some(ParameterKind::Secret) => {
                return Err(ApiError::bad_request(
                    format!("/values/{name}"),
                    format!(
                        "{name:?} is a secret: send it in `secrets`, which are never shown again"
                    ),
                ));
            }
            None => return Err(unknown_parameter(description, "values", &name)),
            Some(_) => {}
        }
        stored
            .values
            .insert(name.clone(), text_of(&format!("/values/{name}"), value)?);
    }
    for (name, value) in input.secrets {
        match kind(&name) {
            Some(ParameterKind::Secret) => {}
            None => return Err(unknown_parameter(description, "secrets", &name)),
            Some(_) => {
                return Err(ApiError::bad_request(
                    format!("/secrets/{name}"),
                    format!("{name:?} is not a secret parameter: send it in `values`"),
                ));
            }
        }
        match value {
            None => {
                stored.secrets.remove(&name);
            }
            Some(v) => {
                let text = text_of(&format!("/secrets/{name}"), v)?;
                stored.secrets.insert(name, text);
            }
        }
    }
    let mut connection = Connection::new();
    for (k, v) in stored.values.iter().chain(stored.secrets.iter()) {
        connection.set(k.clone(), v.clone());
    }
    connection
        .resolve(description)
        .map_err(|e| ApiError::bad_request("/", format!("{e:#}")))?;
    Ok(())
}

fn unknown_parameter(description: &Description, map: &str, name: &str) -> ApiError {
    let known: Vec<&str> = description
        .service
        .connection_parameters
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    ApiError::bad_request(
        format!("/{map}/{name}"),
        format!(
            "{name:?} is not a connection parameter of {} (it has: {})",
            description.service.id,
            if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            }
        ),
    )
}

fn text_of(pointer: &str, value: Value) -> Result<String, ApiError> {
    let text = match value {
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => {
            return Err(ApiError::bad_request(
                pointer,
                "a value is a string, number or boolean",
            ));
        }
    };
    if text.len() > MAX_VALUE_BYTES {
        return Err(ApiError::bad_request(
            pointer,
            format!("a value is at most {MAX_VALUE_BYTES} bytes"),
        ));
    }
    Ok(text)
}

fn view_stored(s: &Stored) -> Value {
    json!({
        "name": s.name,
        "connector": s.connector,
        "source": "server",
        "editable": true,
        "values": s.values,
        "secrets": s.secrets.keys().collect::<Vec<_>>(),
    })
}

/// A configured connection: plain values of parameters the connector does
/// not declare secret (none at all when its connector is not loaded: a
/// secret misplaced in `values` must not show), and the names of secrets.
fn view_configured(c: &ConnectionConfig, description: Option<&Description>) -> Value {
    let mut values = BTreeMap::new();
    let mut secrets: Vec<&str> = c.secrets.keys().map(String::as_str).collect();
    if let Some(d) = description {
        for (k, v) in &c.values {
            match d.parameter(k).map(|p| p.kind) {
                Some(ParameterKind::Secret) => secrets.push(k),
                Some(_) => {
                    values.insert(k.as_str(), v.as_str());
                }
                None => {}
            }
        }
    }
    json!({
        "name": c.name,
        "connector": c.connector,
        "source": "config",
        "editable": false,
        "values": values,
        "secrets": secrets,
    })
}
