//! Pushing components to and pulling them from an OCI registry, in the CNCF
//! wasm artifact layout: a manifest whose config is
//! `application/vnd.wasm.config.v0+json` (the component's imports and
//! exports) and whose one layer is the `application/wasm` component. The
//! signature bundle is an artifact of its own tagged beside it,
//! `sha256-<component digest>.sig` (cosign's convention, which works on
//! every registry, including those without the referrers API), with the
//! component's manifest as its `subject`.
//!
//! Every digest is checked: the manifest's against a pinned digest (and a
//! pinned tag must still point at it), each blob's against its descriptor,
//! and a pulled bundle's statements against the component. Nothing is
//! written to the [`Store`] before its check passes.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::secrets::RegistryAuth;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::bundle::{BUNDLE_MEDIA_TYPE, Bundle, MAX_BUNDLE};
use crate::reference::OciReference;
use crate::statement::{is_sha256_digest, sha256_digest};
use crate::store::Store;
use crate::verify::{ComponentDigest, verify};

/// The media type of an OCI image manifest.
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// The config media type of a wasm artifact (CNCF TAG Runtime wasm OCI artifact).
pub const WASM_CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v0+json";
/// The layer media type of a wasm component.
pub const WASM_LAYER_MEDIA_TYPE: &str = "application/wasm";
/// OCI's empty config (`{}`), for the bundle artifact.
pub const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
/// Components larger than this are refused.
pub const MAX_COMPONENT: u64 = 512 * 1024 * 1024;
/// Manifests larger than this are refused.
pub const MAX_MANIFEST: usize = 4 * 1024 * 1024;

/// A registry operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum OciError {
    /// No answer (nothing listening, DNS, TLS, timeout).
    #[error("{reference}: the registry {registry} cannot be reached: {message}")]
    Unreachable {
        /// What was asked for.
        reference: String,
        /// `host:port`.
        registry: String,
        /// Why.
        message: String,
    },
    /// The registry answered, but not with what was asked for.
    #[error("{reference}: {message}")]
    Registry {
        /// What was asked for.
        reference: String,
        /// What it answered.
        message: String,
    },
    /// The registry has no such manifest or repository.
    #[error("{reference}: the registry has no such artifact: {message}")]
    NotFound {
        /// What was asked for.
        reference: String,
        /// What it answered.
        message: String,
    },
    /// Content whose digest or size is not what its reference says.
    #[error("{reference}: the {what} is {actual}, but it should be {expected}; refusing it")]
    DigestMismatch {
        /// What was asked for.
        reference: String,
        /// `manifest`, `component layer`, ...
        what: String,
        /// What it should be.
        expected: String,
        /// What it is.
        actual: String,
    },
    /// A pinned tag now points elsewhere.
    #[error(
        "{reference}: the tag `{tag}` moved: it now points to {now}, not to the pinned {pinned}; \
         refusing it (pin the new digest if the change is wanted)"
    )]
    TagMoved {
        /// What was asked for.
        reference: String,
        /// The tag.
        tag: String,
        /// The digest pinned.
        pinned: String,
        /// Where the tag points now.
        now: String,
    },
    /// The artifact is not a wasm component in the expected layout.
    #[error("{reference}: not a connector component artifact: {message}")]
    Layout {
        /// What was asked for.
        reference: String,
        /// What is wrong.
        message: String,
    },
    /// The signature bundle beside it does not verify.
    #[error("{reference}: its signature bundle does not verify: {message}; nothing was stored")]
    Bundle {
        /// What was asked for.
        reference: String,
        /// Why.
        message: String,
    },
    /// The pull cache could not be written.
    #[error("the pull cache {path}: {message}")]
    Store {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
}

/// The component's imports and exports, for the config blob.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ComponentWorld {
    /// Interfaces it imports.
    pub imports: Vec<String>,
    /// Interfaces it exports.
    pub exports: Vec<String>,
}

/// What a push wrote.
#[derive(Debug, Clone)]
pub struct Pushed {
    /// The component manifest's digest (pin it with `@`).
    pub manifest_digest: String,
    /// The component layer's digest.
    pub component_digest: String,
    /// The bundle artifact's tag, if a bundle was pushed.
    pub bundle_tag: Option<String>,
}

/// What a pull gave.
#[derive(Debug, Clone)]
pub struct Pulled {
    /// The component manifest's digest.
    pub manifest_digest: String,
    /// The component's digest and size.
    pub component: ComponentDigest,
    /// Where the component is in the store.
    pub component_path: std::path::PathBuf,
    /// Where its bundle is, if it has one.
    pub bundle_path: Option<std::path::PathBuf>,
    /// Whether it came from the store without asking the registry.
    pub offline: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    schema_version: u32,
    #[serde(default)]
    media_type: Option<String>,
    config: Descriptor,
    layers: Vec<Descriptor>,
}

#[derive(Deserialize, Serialize, Clone)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    media_type: String,
    digest: String,
    size: u64,
}

/// The tag of the bundle of the component `digest`.
pub fn bundle_tag(component_digest: &str) -> String {
    format!("{}.sig", component_digest.replacen(':', "-", 1))
}

/// A client of one registry. Blocking: each call runs on a small runtime of
/// its own, so callers need no async runtime.
pub struct RegistryClient {
    client: oci_client::Client,
    runtime: tokio::runtime::Runtime,
    auth: RegistryAuth,
    timeout: Duration,
}

impl RegistryClient {
    /// A client for the registry of `reference` (plain HTTP only on loopback).
    pub fn new(reference: &OciReference) -> Result<Self, OciError> {
        // reqwest is built without a default TLS provider: use ring, which
        // the host's own outbound HTTP already uses (no second crypto
        // library, no C toolchain for aws-lc).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let protocol = if reference.is_loopback() {
            ClientProtocol::HttpsExcept(vec![reference.registry.clone()])
        } else {
            ClientProtocol::Https
        };
        let client = oci_client::Client::new(ClientConfig {
            protocol,
            connect_timeout: Some(Duration::from_secs(5)),
            read_timeout: Some(Duration::from_secs(30)),
            platform_resolver: None,
            ..ClientConfig::default()
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| OciError::Registry {
                reference: reference.to_string(),
                message: format!("cannot start the async runtime: {e}"),
            })?;
        Ok(Self {
            client,
            runtime,
            auth: RegistryAuth::Anonymous,
            timeout: Duration::from_secs(600),
        })
    }

    fn run<T>(
        &self,
        reference: &OciReference,
        future: impl std::future::Future<Output = Result<T, OciDistributionError>>,
    ) -> Result<T, OciError> {
        let timeout = self.timeout;
        match self
            .runtime
            .block_on(async { tokio::time::timeout(timeout, future).await })
        {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(classify(reference, e)),
            Err(_) => Err(OciError::Unreachable {
                reference: reference.to_string(),
                registry: reference.registry.clone(),
                message: format!("no answer within {} s", timeout.as_secs()),
            }),
        }
    }

    /// Pushes `component` to `reference`'s tag, with `world` in its config
    /// and, when given, `bundle` (which must verify against it) beside it.
    pub fn push(
        &self,
        reference: &OciReference,
        component: &[u8],
        world: &ComponentWorld,
        annotations: serde_json::Map<String, serde_json::Value>,
        bundle: Option<&Bundle>,
    ) -> Result<Pushed, OciError> {
        let Some(tag) = &reference.tag else {
            return Err(OciError::Registry {
                reference: reference.to_string(),
                message: "push needs a tag (oci://host/repo:TAG); a digest is what a push makes"
                    .into(),
            });
        };
        let digest = ComponentDigest::of(component);
        if let Some(bundle) = bundle {
            verify(bundle, &digest, chrono::Utc::now()).map_err(|e| OciError::Bundle {
                reference: reference.to_string(),
                message: e.to_string(),
            })?;
        }
        let at_tag = reference.with_tag(tag).to_client();
        let config = serde_json::to_vec(&json!({
            "architecture": "wasm",
            "os": "wasip2",
            "layerDigests": [digest.digest],
            "component": {"imports": world.imports, "exports": world.exports, "target": null},
        }))
        .unwrap_or_default();
        let config_desc = self.push_blob(reference, &at_tag, config, WASM_CONFIG_MEDIA_TYPE)?;
        let layer = self.push_blob(
            reference,
            &at_tag,
            component.to_vec(),
            WASM_LAYER_MEDIA_TYPE,
        )?;
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST_MEDIA_TYPE,
            "config": config_desc,
            "layers": [layer],
            "annotations": annotations,
        }))
        .unwrap_or_default();
        let manifest_digest = sha256_digest(&manifest);
        let manifest_size = manifest.len();
        self.put_manifest(reference, &at_tag, manifest)?;
        let mut pushed = Pushed {
            manifest_digest: manifest_digest.clone(),
            component_digest: digest.digest.clone(),
            bundle_tag: None,
        };
        if let Some(bundle) = bundle {
            let subject = json!({"mediaType": MANIFEST_MEDIA_TYPE, "digest": manifest_digest, "size": manifest_size});
            pushed.bundle_tag = Some(self.push_bundle_with_subject(
                reference,
                &digest.digest,
                bundle,
                Some(subject),
            )?);
        }
        Ok(pushed)
    }

    /// Pushes (or replaces) the bundle of the component `component_digest`.
    pub fn push_bundle(
        &self,
        reference: &OciReference,
        component_digest: &str,
        bundle: &Bundle,
    ) -> Result<String, OciError> {
        self.push_bundle_with_subject(reference, component_digest, bundle, None)
    }

    fn push_bundle_with_subject(
        &self,
        reference: &OciReference,
        component_digest: &str,
        bundle: &Bundle,
        subject: Option<serde_json::Value>,
    ) -> Result<String, OciError> {
        let tag = bundle_tag(component_digest);
        let at_tag = reference.with_tag(&tag).to_client();
        let empty = self.push_blob(reference, &at_tag, b"{}".to_vec(), EMPTY_MEDIA_TYPE)?;
        let layer = self.push_blob(reference, &at_tag, bundle.to_bytes(), BUNDLE_MEDIA_TYPE)?;
        let mut manifest = json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST_MEDIA_TYPE,
            "artifactType": BUNDLE_MEDIA_TYPE,
            "config": empty,
            "layers": [layer],
            "annotations": {"dev.connector-host.component.digest": component_digest},
        });
        if let Some(subject) = subject {
            manifest["subject"] = subject;
        }
        self.put_manifest(
            reference,
            &at_tag,
            serde_json::to_vec(&manifest).unwrap_or_default(),
        )?;
        Ok(tag)
    }

    fn push_blob(
        &self,
        reference: &OciReference,
        at: &oci_client::Reference,
        bytes: Vec<u8>,
        media_type: &str,
    ) -> Result<serde_json::Value, OciError> {
        let digest = sha256_digest(&bytes);
        let size = bytes.len();
        let exists = self.run(reference, self.client.blob_exists(at, &digest))?;
        if !exists {
            self.run(reference, self.client.push_blob(at, bytes, &digest))?;
        }
        Ok(json!({"mediaType": media_type, "digest": digest, "size": size}))
    }

    fn put_manifest(
        &self,
        reference: &OciReference,
        at: &oci_client::Reference,
        manifest: Vec<u8>,
    ) -> Result<(), OciError> {
        let content_type = http::HeaderValue::from_static(MANIFEST_MEDIA_TYPE);
        self.run(reference, async {
            // Authentication first: push_manifest_raw does not do it itself.
            self.client
                .store_auth_if_needed(at.resolve_registry(), &self.auth)
                .await;
            self.client
                .push_manifest_raw(at, manifest, content_type)
                .await
        })?;
        Ok(())
    }

    /// Pulls the component of `reference` into `store` (and its bundle,
    /// verified), or finds it there: a reference pinned by digest alone is
    /// served from the store without asking the registry when `offline_ok`.
    pub fn pull(
        &self,
        reference: &OciReference,
        store: &Store,
        offline_ok: bool,
    ) -> Result<Pulled, OciError> {
        if let (true, None, Some(pinned)) = (offline_ok, &reference.tag, &reference.digest)
            && let Some(pulled) = from_store(reference, store, pinned)?
        {
            return Ok(pulled);
        }
        let (manifest_bytes, manifest_digest) = self.manifest(reference)?;
        let manifest = parse_manifest(reference, &manifest_bytes)?;
        if manifest.config.media_type != WASM_CONFIG_MEDIA_TYPE {
            return Err(layout(
                reference,
                format!(
                    "its config is {:?}, not {WASM_CONFIG_MEDIA_TYPE}",
                    manifest.config.media_type
                ),
            ));
        }
        let layer = single_layer(reference, &manifest, WASM_LAYER_MEDIA_TYPE, MAX_COMPONENT)?;
        let component = ComponentDigest {
            digest: layer.digest.clone(),
            size: layer.size,
        };
        let component_path = store.blob_path(&layer.digest);
        if store.read_checked(&component_path, &layer.digest).is_none() {
            let bytes = self.blob(reference, layer, "component layer")?;
            store_put(store, &component_path, &bytes)?;
        }
        let bundle_path = self.pull_bundle(reference, store, &component)?;
        let path = store.manifest_path(&manifest_digest);
        store_put(store, &path, &manifest_bytes)?;
        Ok(Pulled {
            manifest_digest,
            component,
            component_path,
            bundle_path,
            offline: false,
        })
    }

    /// Fetches the manifest and checks its digest against the pin.
    fn manifest(&self, reference: &OciReference) -> Result<(Vec<u8>, String), OciError> {
        // Ask by tag when there is one, so that a moved tag is seen.
        let ask = match &reference.tag {
            Some(tag) => reference.with_tag(tag),
            None => reference.clone(),
        };
        let (bytes, _) = self.run(
            reference,
            self.client
                .pull_manifest_raw(&ask.to_client(), &self.auth, &[MANIFEST_MEDIA_TYPE]),
        )?;
        if bytes.len() > MAX_MANIFEST {
            return Err(layout(
                reference,
                format!("a manifest of {} bytes", bytes.len()),
            ));
        }
        let digest = sha256_digest(&bytes);
        if let Some(pinned) = &reference.digest
            && *pinned != digest
        {
            return Err(match &reference.tag {
                Some(tag) => OciError::TagMoved {
                    reference: reference.to_string(),
                    tag: tag.clone(),
                    pinned: pinned.clone(),
                    now: digest,
                },
                None => OciError::DigestMismatch {
                    reference: reference.to_string(),
                    what: "manifest's digest".into(),
                    expected: pinned.clone(),
                    actual: digest,
                },
            });
        }
        Ok((bytes.to_vec(), digest))
    }

    fn blob(
        &self,
        reference: &OciReference,
        desc: &Descriptor,
        what: &str,
    ) -> Result<Vec<u8>, OciError> {
        let at = reference.with_digest(&desc.digest).to_client();
        let mut out = LimitedWriter {
            bytes: Vec::new(),
            limit: desc.size,
        };
        self.run(
            reference,
            self.client.pull_blob(&at, desc.digest.as_str(), &mut out),
        )
        .map_err(|e| match e {
            OciError::Registry { message, .. } if message.contains("Digest error") => {
                OciError::DigestMismatch {
                    reference: reference.to_string(),
                    what: format!("{what}'s digest"),
                    expected: desc.digest.clone(),
                    actual: message,
                }
            }
            other => other,
        })?;
        let bytes = out.bytes;
        // oci-client checked the digest; check it and the size again here,
        // where it is cheap, so the store's promise does not rest on it.
        let actual = ComponentDigest::of(&bytes);
        if actual.digest != desc.digest || actual.size != desc.size {
            return Err(OciError::DigestMismatch {
                reference: reference.to_string(),
                what: what.to_string(),
                expected: format!("{} ({} bytes)", desc.digest, desc.size),
                actual: format!("{} ({} bytes)", actual.digest, actual.size),
            });
        }
        Ok(bytes)
    }

    /// Pulls the bundle tagged beside the component, verifies it and stores
    /// it; `None` if there is none (a stored one is then removed: the
    /// registry is the authority on what is signed).
    fn pull_bundle(
        &self,
        reference: &OciReference,
        store: &Store,
        component: &ComponentDigest,
    ) -> Result<Option<std::path::PathBuf>, OciError> {
        let at = reference.with_tag(&bundle_tag(&component.digest));
        let path = store.bundle_path(&component.digest);
        let fetched = self.run(
            reference,
            self.client
                .pull_manifest_raw(&at.to_client(), &self.auth, &[MANIFEST_MEDIA_TYPE]),
        );
        let bytes = match fetched {
            Ok((bytes, _)) => bytes,
            Err(OciError::NotFound { .. }) => {
                let _ = std::fs::remove_file(&path);
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let manifest = parse_manifest(&at, &bytes)?;
        let layer = single_layer(&at, &manifest, BUNDLE_MEDIA_TYPE, MAX_BUNDLE)?;
        let bytes = self.blob(&at, layer, "signature bundle")?;
        let bundle = Bundle::parse(&bytes, &at.to_string()).map_err(|e| OciError::Bundle {
            reference: reference.to_string(),
            message: e.to_string(),
        })?;
        verify(&bundle, component, chrono::Utc::now()).map_err(|e| OciError::Bundle {
            reference: reference.to_string(),
            message: e.to_string(),
        })?;
        store_put(store, &path, &bundle.to_bytes())?;
        Ok(Some(path))
    }
}

/// A pinned component already in the store, all of it checked.
fn from_store(
    reference: &OciReference,
    store: &Store,
    pinned: &str,
) -> Result<Option<Pulled>, OciError> {
    let Some(manifest_bytes) = store.read_checked(&store.manifest_path(pinned), pinned) else {
        return Ok(None);
    };
    let manifest = parse_manifest(reference, &manifest_bytes)?;
    let layer = single_layer(reference, &manifest, WASM_LAYER_MEDIA_TYPE, MAX_COMPONENT)?;
    let component_path = store.blob_path(&layer.digest);
    if !component_path.exists() {
        return Ok(None);
    }
    let bundle_path = Some(store.bundle_path(&layer.digest)).filter(|p| p.exists());
    Ok(Some(Pulled {
        manifest_digest: pinned.to_string(),
        component: ComponentDigest {
            digest: layer.digest.clone(),
            size: layer.size,
        },
        component_path,
        bundle_path,
        offline: true,
    }))
}

fn parse_manifest(reference: &OciReference, bytes: &[u8]) -> Result<Manifest, OciError> {
    let manifest: Manifest = serde_json::from_slice(bytes).map_err(|e| {
        layout(
            reference,
            format!("its manifest is not an OCI image manifest: {e}"),
        )
    })?;
    if manifest.schema_version != 2 {
        return Err(layout(
            reference,
            format!("schema version {}", manifest.schema_version),
        ));
    }
    if let Some(mt) = &manifest.media_type
        && mt != MANIFEST_MEDIA_TYPE
    {
        return Err(layout(reference, format!("manifest media type {mt:?}")));
    }
    Ok(manifest)
}

fn single_layer<'m>(
    reference: &OciReference,
    manifest: &'m Manifest,
    media_type: &str,
    max: u64,
) -> Result<&'m Descriptor, OciError> {
    let [layer] = manifest.layers.as_slice() else {
        return Err(layout(
            reference,
            format!(
                "{} layers; expected one {media_type} layer",
                manifest.layers.len()
            ),
        ));
    };
    if layer.media_type != media_type {
        return Err(layout(
            reference,
            format!("its layer is {:?}, not {media_type}", layer.media_type),
        ));
    }
    if !is_sha256_digest(&layer.digest) {
        return Err(layout(
            reference,
            format!("layer digest {:?} is not sha256", layer.digest),
        ));
    }
    if layer.size > max {
        return Err(layout(
            reference,
            format!("a layer of {} bytes (at most {max})", layer.size),
        ));
    }
    Ok(layer)
}

fn layout(reference: &OciReference, message: String) -> OciError {
    OciError::Layout {
        reference: reference.to_string(),
        message,
    }
}

fn store_put(store: &Store, path: &std::path::Path, bytes: &[u8]) -> Result<(), OciError> {
    store.put(path, bytes).map_err(|e| OciError::Store {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

fn classify(reference: &OciReference, e: OciDistributionError) -> OciError {
    if let OciDistributionError::RequestError(inner) = &e
        && (inner.is_connect() || inner.is_timeout())
    {
        return OciError::Unreachable {
            reference: reference.to_string(),
            registry: reference.registry.clone(),
            message: error_chain(inner),
        };
    }
    let not_found = match &e {
        OciDistributionError::ImageManifestNotFoundError(_) => true,
        OciDistributionError::RegistryError { envelope, .. } => envelope.errors.iter().any(|err| {
            matches!(
                err.code,
                OciErrorCode::ManifestUnknown
                    | OciErrorCode::NameUnknown
                    | OciErrorCode::BlobUnknown
            )
        }),
        OciDistributionError::ServerError { code, .. } => *code == 404,
        _ => false,
    };
    if not_found {
        return OciError::NotFound {
            reference: reference.to_string(),
            message: e.to_string(),
        };
    }
    let message = match &e {
        OciDistributionError::RequestError(inner) => {
            format!(
                "the registry's answer is not usable HTTP: {}",
                error_chain(inner)
            )
        }
        _ => e.to_string(),
    };
    OciError::Registry {
        reference: reference.to_string(),
        message,
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    // Bounded: error chains are short, but a cycle must not hang us.
    for _ in 0..8 {
        let Some(s) = source else { break };
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// An `AsyncWrite` into memory that fails past `limit` bytes, so that a
/// registry cannot make the host hold more than the descriptor announced.
struct LimitedWriter {
    bytes: Vec<u8>,
    limit: u64,
}

impl tokio::io::AsyncWrite for LimitedWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.bytes.len() as u64 + buf.len() as u64 > self.limit {
            return Poll::Ready(Err(std::io::Error::other(format!(
                "the registry sent more than the {} bytes the manifest announced",
                self.limit
            ))));
        }
        self.bytes.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
