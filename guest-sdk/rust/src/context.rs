//! What a handler knows about the call: the connection's values and the
//! operation it runs.

/// A connection's values, as `(parameter name, value)` pairs. The host has
/// checked them against the declared parameters and filled in defaults.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Connection {
    values: Vec<(String, String)>,
}

// Values may be secrets: debug output shows the names only.
impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set()
            .entries(self.values.iter().map(|(name, _)| name))
            .finish()
    }
}

impl Connection {
    /// A connection with these values.
    pub fn new(values: Vec<(String, String)>) -> Self {
        Self { values }
    }

    /// The value of the parameter `name`, if the connection gives one.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every value, as the host passed them.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.values
    }
}

/// The call a handler runs in.
#[derive(Debug, Clone)]
pub struct Context {
    operation: String,
    connection: Connection,
}

impl Context {
    pub(crate) fn new(operation: &str, connection: Connection) -> Self {
        Self {
            operation: operation.to_string(),
            connection,
        }
    }

    /// The id of the operation being run.
    pub fn operation(&self) -> &str {
        &self.operation
    }

    /// The connection's values.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }
}
