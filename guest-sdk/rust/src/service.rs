//! The service description, built with a few chained calls.

use crate::bindings::connector::provider::types as wit;

/// How a connection parameter's value is entered and treated.
pub use wit::ParameterKind;

/// The service a connector wraps: the contract's `service-description`.
///
/// `Service::new(id, display_name, version)` gives a description with
/// neutral defaults (a grey brand colour, no icon, no parameters, no
/// capabilities); chain the rest.
#[derive(Debug, Clone)]
pub struct Service {
    inner: wit::ServiceDescription,
}

impl Service {
    /// A service with a stable `id` (`a-z`, `0-9`, `-`, `_`, `.`), a name
    /// shown to people and a semver `version`.
    pub fn new(id: &str, display_name: &str, version: &str) -> Self {
        Self {
            inner: wit::ServiceDescription {
                id: id.into(),
                display_name: display_name.into(),
                description: String::new(),
                version: version.into(),
                brand_color: "#6b7280".into(),
                icon_uri: String::new(),
                connection_parameters: Vec::new(),
                capabilities: wit::Capabilities {
                    outbound_hosts: Vec::new(),
                    directories: Vec::new(),
                },
            },
        }
    }

    /// One or two sentences on what the connector does.
    pub fn description(mut self, text: &str) -> Self {
        self.inner.description = text.into();
        self
    }

    /// The brand colour, `#rrggbb`.
    pub fn brand_color(mut self, color: &str) -> Self {
        self.inner.brand_color = color.into();
        self
    }

    /// An icon as a URI; `data:` URIs need no network.
    pub fn icon_uri(mut self, uri: impl Into<String>) -> Self {
        self.inner.icon_uri = uri.into();
        self
    }

    /// A value that connections supply.
    pub fn parameter(mut self, parameter: Parameter) -> Self {
        self.inner.connection_parameters.push(parameter.inner);
        self
    }

    /// An outbound HTTP origin the connector calls, e.g.
    /// `https://api.example.com` or `https://{host}` (naming a parameter).
    pub fn outbound_host(mut self, pattern: &str) -> Self {
        self.inner.capabilities.outbound_hosts.push(pattern.into());
        self
    }

    /// A directory the connector opens at `guest_path` inside its sandbox;
    /// the operator grants it (`--dir HOST::GUEST`).
    pub fn directory(mut self, guest_path: &str, description: &str, writable: bool) -> Self {
        self.inner
            .capabilities
            .directories
            .push(wit::DirectoryNeed {
                guest_path: guest_path.into(),
                description: description.into(),
                writable,
            });
        self
    }

    pub(crate) fn into_wit(self) -> wit::ServiceDescription {
        self.inner
    }

    pub(crate) fn id(&self) -> &str {
        &self.inner.id
    }
}

/// A connection parameter: the contract's `connection-parameter`.
#[derive(Debug, Clone)]
pub struct Parameter {
    inner: wit::ConnectionParameter,
}

impl Parameter {
    fn new(kind: ParameterKind, name: &str, display_name: &str) -> Self {
        Self {
            inner: wit::ConnectionParameter {
                name: name.into(),
                display_name: display_name.into(),
                description: String::new(),
                kind,
                required: false,
                default_value: None,
            },
        }
    }

    /// Plain text, shown to people.
    pub fn text(name: &str, display_name: &str) -> Self {
        Self::new(ParameterKind::Text, name, display_name)
    }

    /// A secret: the host never shows, logs or stores it elsewhere.
    pub fn secret(name: &str, display_name: &str) -> Self {
        Self::new(ParameterKind::Secret, name, display_name)
    }

    /// A whole number, passed as its decimal text.
    pub fn integer(name: &str, display_name: &str) -> Self {
        Self::new(ParameterKind::Integer, name, display_name)
    }

    /// `true` or `false`, passed as that text.
    pub fn boolean(name: &str, display_name: &str) -> Self {
        Self::new(ParameterKind::Boolean, name, display_name)
    }

    /// What the value is and where to find it.
    pub fn description(mut self, text: &str) -> Self {
        self.inner.description = text.into();
        self
    }

    /// A connection without this value is rejected.
    pub fn required(mut self) -> Self {
        self.inner.required = true;
        self
    }

    /// The value used when a connection gives none (not for secrets).
    pub fn default_value(mut self, value: &str) -> Self {
        self.inner.default_value = Some(value.into());
        self
    }
}
