//! The normalized definition: what every reader produces and the generic
//! connector (`guest-examples/rust/openapi`, its `definition.rs`) runs.
//! It is embedded in the component as JSON; keep the two in step.

use serde::Serialize;
use serde_json::Value;

/// A whole definition.
#[derive(Debug, Clone, Serialize)]
pub struct Definition {
    /// The service description.
    pub service: ServiceInfo,
    /// The connection parameters.
    pub parameters: Vec<ParameterInfo>,
    /// Outbound host patterns, e.g. `https://{host}`.
    pub outbound_hosts: Vec<String>,
    /// Where the API is.
    pub base: Base,
    /// How calls authenticate.
    pub auth: Auth,
    /// Headers added to every request, values templated with `{parameter}`.
    pub headers: Vec<(String, String)>,
    /// Query parameters added to every request.
    pub query: Vec<(String, String)>,
    /// The operations.
    pub operations: Vec<Operation>,
    /// The operation `check-connection` calls, if any.
    pub check_operation: Option<String>,
    /// Operations found but not imported (a Postman request to another
    /// origin), each reported as a warning; counted in the coverage.
    #[serde(skip)]
    pub not_imported: usize,
}

/// The service's names.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceInfo {
    /// Stable id.
    pub id: String,
    /// Name shown to people.
    pub display_name: String,
    /// What it does.
    pub description: String,
    /// Semver version.
    pub version: String,
    /// `#rrggbb`.
    pub brand_color: String,
    /// Icon URI, or empty.
    pub icon_uri: String,
}

/// One connection parameter.
#[derive(Debug, Clone, Serialize)]
pub struct ParameterInfo {
    /// Its name, an identifier.
    pub name: String,
    /// Name shown to people.
    pub display_name: String,
    /// What it is.
    pub description: String,
    /// `text`, `secret`, `integer` or `boolean`.
    pub kind: String,
    /// Whether a connection must give it.
    pub required: bool,
    /// Its default (never for secrets).
    pub default: Option<String>,
}

/// `http(s)://{host}{path}`, templated with `{parameter}`; https unless the
/// parameter `tls_parameter` is `false`.
#[derive(Debug, Clone, Serialize)]
pub struct Base {
    /// Host and optional port, templated.
    pub host: String,
    /// Base path, templated.
    pub path: String,
    /// The boolean parameter that chooses https.
    pub tls_parameter: Option<String>,
}

/// How requests authenticate; fields name connection parameters.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Auth {
    /// No credentials.
    #[default]
    None,
    /// An API key in a header or the query.
    ApiKey {
        /// `header` or `query`.
        #[serde(rename = "in")]
        location: String,
        /// The header or query parameter name.
        name: String,
        /// The connection parameter holding the key.
        param: String,
        /// Put before the key.
        prefix: String,
    },
    /// HTTP basic authentication.
    Basic {
        /// The user name parameter.
        user: String,
        /// The password parameter.
        password: String,
    },
    /// A bearer token.
    Bearer {
        /// The token parameter.
        param: String,
    },
    /// OAuth 2 client credentials.
    Oauth2ClientCredentials {
        /// The token endpoint, templated.
        token_url: String,
        /// The client id parameter.
        client_id: String,
        /// The client secret parameter.
        client_secret: String,
        /// Space-separated scopes.
        scopes: String,
    },
}

/// Action, polling trigger or webhook trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Called by a workflow step.
    Action,
    /// Polled for new items.
    Polling,
    /// A push trigger: the operation subscribes the host's callback URL
    /// (`x-ms-notification-url`) and the API POSTs events to it.
    Webhook,
}

/// One operation: a path and a method.
#[derive(Debug, Clone, Serialize)]
pub struct Operation {
    /// The operation id, an identifier.
    pub id: String,
    /// One line.
    pub summary: String,
    /// More.
    pub description: String,
    /// `important`, `advanced` or `internal`.
    pub visibility: String,
    /// Action or trigger.
    pub kind: Kind,
    /// HTTP method, upper case.
    pub method: String,
    /// Path below the base, with `{name}` placeholders.
    pub path: String,
    /// Where each input property goes.
    pub params: Vec<Param>,
    /// The input's JSON Schema.
    pub input_schema: Value,
    /// The success body's JSON Schema.
    pub output_schema: Value,
    /// Trigger settings for a polling or webhook trigger.
    pub trigger: Option<Trigger>,
    /// The subscription of a webhook trigger.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<Webhook>,
    /// This operation's own authentication, when it differs from the
    /// definition's (a Postman request or folder with its own `auth`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<Auth>,
    /// Headers this operation always sends, values templated with
    /// `{parameter}` (a Postman header naming `{{variables}}`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// Query parameters this operation always sends, templated likewise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub query: Vec<(String, String)>,
    /// The JSON pointer of the operation in its file (not embedded).
    #[serde(skip)]
    pub source: String,
}

/// An input property and where it goes.
#[derive(Debug, Clone, Serialize)]
pub struct Param {
    /// The input property.
    pub prop: String,
    /// The name on the wire.
    pub name: String,
    /// `path`, `query`, `header`, `body`, `form` (urlencoded) or
    /// `multipart` (a `multipart/form-data` text field).
    #[serde(rename = "in")]
    pub location: String,
    /// Sent when the input leaves it out (internal parameters).
    pub default: Option<Value>,
}

/// A polling trigger's settings.
#[derive(Debug, Clone, Serialize)]
pub struct Trigger {
    /// Default recurrence.
    pub recurrence_seconds: u32,
    /// `x-ms-trigger: single`.
    pub single: bool,
    /// The property holding the items of a batch answer.
    pub items: Option<String>,
}

/// Where a webhook trigger's subscription puts the host's callback URL,
/// and how it is ended.
#[derive(Debug, Clone, Serialize)]
pub struct Webhook {
    /// `body` (a property of the JSON body), `query` or `header`.
    #[serde(rename = "in")]
    pub location: String,
    /// The body property, query parameter or header name.
    pub name: String,
    /// The operation that ends a subscription when the API answers no
    /// `Location` (a `DELETE` on the subscription path and one more
    /// segment), with the path parameter its id goes in.
    pub delete: Option<(String, String)>,
}
