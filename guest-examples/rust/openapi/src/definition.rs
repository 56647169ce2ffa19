//! The normalized API definition: what `connector-host import` extracts from
//! an OpenAPI, Swagger, Power Platform or Postman definition, and all this
//! connector needs to run it. The host crate `connector-import` writes the
//! same format (`host/import/src/model.rs`); keep the two in step (the
//! import tests run every field through this component).

use serde::Deserialize;
use serde_json::Value;

/// A whole definition.
#[derive(Debug, Clone, Deserialize)]
pub struct Definition {
    /// The service description.
    pub service: ServiceInfo,
    /// The connection parameters.
    #[serde(default)]
    pub parameters: Vec<ParameterInfo>,
    /// Outbound host patterns, e.g. `https://{host}`.
    #[serde(default)]
    pub outbound_hosts: Vec<String>,
    /// Where the API is.
    pub base: Base,
    /// How calls authenticate.
    #[serde(default)]
    pub auth: Auth,
    /// Headers added to every request (`setheader` policies), values
    /// templated with `{parameter}`.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// Query parameters added to every request (`setqueryparameter`).
    #[serde(default)]
    pub query: Vec<(String, String)>,
    /// The operations.
    #[serde(default)]
    pub operations: Vec<Operation>,
    /// The operation `check-connection` calls, if any.
    #[serde(default)]
    pub check_operation: Option<String>,
}

/// The service's names.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceInfo {
    pub id: String,
    pub display_name: String,
    #[serde(default)]
    pub description: String,
    pub version: String,
    pub brand_color: String,
    #[serde(default)]
    pub icon_uri: String,
}

/// One connection parameter.
#[derive(Debug, Clone, Deserialize)]
pub struct ParameterInfo {
    pub name: String,
    pub display_name: String,
    #[serde(default)]
    pub description: String,
    /// `text`, `secret`, `integer` or `boolean`.
    pub kind: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub default: Option<String>,
}

/// The API's address: `http(s)://{host}{path}`, both templated with
/// `{parameter}`; the scheme is https unless the connection parameter
/// named by `tls_parameter` is `false`.
#[derive(Debug, Clone, Deserialize)]
pub struct Base {
    pub host: String,
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub tls_parameter: Option<String>,
}

/// How requests authenticate; each field names connection parameters.
#[derive(Debug, Clone, Default, Deserialize)]
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
        /// Put before the key (`Bearer `, for keys sent as bearer tokens).
        #[serde(default)]
        prefix: String,
    },
    /// HTTP basic authentication.
    Basic { user: String, password: String },
    /// A bearer token.
    Bearer { param: String },
    /// OAuth 2 client credentials: the token is fetched from `token_url`
    /// (templated) with the client id and secret.
    Oauth2ClientCredentials {
        token_url: String,
        client_id: String,
        client_secret: String,
        #[serde(default)]
        scopes: String,
    },
}

/// Whether an operation is an action, a polling trigger or a webhook
/// (push) trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Action,
    Polling,
    Webhook,
}

/// One operation: a path and a method.
#[derive(Debug, Clone, Deserialize)]
pub struct Operation {
    pub id: String,
    pub summary: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub visibility: String,
    pub kind: Kind,
    pub method: String,
    /// The path below the base, with `{name}` for path parameters.
    pub path: String,
    /// Where each input property goes.
    #[serde(default)]
    pub params: Vec<Param>,
    pub input_schema: Value,
    pub output_schema: Value,
    #[serde(default)]
    pub trigger: Option<Trigger>,
    /// A webhook trigger's subscription.
    #[serde(default)]
    pub webhook: Option<Webhook>,
    /// This operation's own authentication, instead of the definition's.
    #[serde(default)]
    pub auth: Option<Auth>,
    /// Headers this operation always sends, templated with `{parameter}`.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// Query parameters this operation always sends, templated likewise.
    #[serde(default)]
    pub query: Vec<(String, String)>,
}

impl Operation {
    /// The authentication of this operation's requests.
    pub fn auth<'a>(&'a self, def: &'a Definition) -> &'a Auth {
        self.auth.as_ref().unwrap_or(&def.auth)
    }
}

/// Where a webhook trigger's subscription request carries the host's
/// callback URL, and the operation that ends a subscription when the API
/// answered no `Location`.
#[derive(Debug, Clone, Deserialize)]
pub struct Webhook {
    /// `body` (a property of the JSON body), `query` or `header`.
    #[serde(rename = "in")]
    pub location: String,
    /// The property, parameter or header name.
    pub name: String,
    /// `(operation id, its path parameter for the subscription's id)`.
    #[serde(default)]
    pub delete: Option<(String, String)>,
}

/// An input property and where it goes in the request.
#[derive(Debug, Clone, Deserialize)]
pub struct Param {
    /// The input property.
    pub prop: String,
    /// The name on the wire (path template name, query or header name).
    pub name: String,
    /// `path`, `query`, `header`, `body` (the property is the whole JSON
    /// body), `form` (urlencoded) or `multipart` (a form-data text field).
    #[serde(rename = "in")]
    pub location: String,
    /// Sent even when the input leaves it out (a constant, `internal`).
    #[serde(default)]
    pub default: Option<Value>,
}

/// A polling trigger's settings.
#[derive(Debug, Clone, Deserialize)]
pub struct Trigger {
    pub recurrence_seconds: u32,
    /// `x-ms-trigger: single`: the whole answer is one item.
    #[serde(default)]
    pub single: bool,
    /// The property of a 200 answer holding the items (`value` by default).
    #[serde(default)]
    pub items: Option<String>,
}
