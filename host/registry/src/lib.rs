//! connector-registry: signed connector packages, an OCI registry client,
//! and the trust policy of `connector-host`.
//!
//! - [`key`]: Ed25519 keys (secret keys PKCS#8 PEM created 0600, public keys
//!   SPKI PEM or a one-line id).
//! - [`statement`], [`envelope`], [`bundle`]: what a signer says about a
//!   component (its digest, connector id and version, contract, signer,
//!   time, expiry, and for a certification the conformance report), signed
//!   in a DSSE envelope and kept in a bundle beside the component.
//! - [`verify`]: every envelope of a bundle checked against the component.
//! - [`policy`]: the `[trust]` table of `host.toml` and its rules.
//! - [`reference`], [`oci`], [`store`]: `oci://` references, push and pull
//!   in the CNCF wasm artifact layout, the pull cache keyed by digest.
//! - [`admit`]: from a `component` setting to the verified file the runtime
//!   loads, refusing what the policy refuses before any of it runs.
//!
//! ```no_run
//! use connector_registry::{bundle::Bundle, verify::{ComponentDigest, verify}};
//! # fn main() -> anyhow::Result<()> {
//! let bytes = std::fs::read("example_data.wasm")?;
//! let bundle = Bundle::read("example_data.wasm.sig".as_ref())?.expect("signed");
//! let verified = verify(&bundle, &ComponentDigest::of(&bytes), chrono::Utc::now())?;
//! for s in &verified.signatures {
//!     println!("signed by {} at {}", s.key, s.statement.signed_at);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Dependencies: this crate -> `connector-runtime` (for a component's
//! imports and exports); it knows nothing of triggers or the conformance
//! kit (a certification's report arrives as JSON).

pub mod admit;
pub mod bundle;
pub mod envelope;
pub mod key;
pub mod oci;
pub mod policy;
pub mod reference;
pub mod sign;
pub mod statement;
pub mod store;
pub mod verify;
pub mod world;

pub use admit::{AdmitError, Admitted, admit};
pub use bundle::Bundle;
pub use key::{PublicKey, SecretKey};
pub use policy::{PolicyError, Rules, TrustPolicy};
pub use reference::OciReference;
pub use statement::{Statement, StatementKind};
pub use store::Store;
pub use verify::{ComponentDigest, Verification, VerifyError};
