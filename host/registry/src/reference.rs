//! `oci://registry[:port]/repository[:tag][@sha256:digest]` references.
//!
//! Plain HTTP is used only for a registry on a loopback address
//! (`127.0.0.1`, `[::1]`, `localhost`); every other registry is HTTPS.

use std::fmt;

use crate::statement::is_sha256_digest;

/// The scheme of a component reference in a registry.
pub const SCHEME: &str = "oci://";

/// A parsed `oci://` reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciReference {
    /// `host[:port]`.
    pub registry: String,
    /// `path/of/repo`.
    pub repository: String,
    /// The tag, if any.
    pub tag: Option<String>,
    /// The manifest digest it is pinned to, if any.
    pub digest: Option<String>,
}

/// A reference that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{reference:?} is not an OCI reference (oci://host[:port]/repository[:tag][@sha256:...]): {message}"
)]
pub struct ReferenceError {
    /// The text.
    pub reference: String,
    /// Why.
    pub message: String,
}

/// Whether `text` names a component in a registry.
pub fn is_oci(text: &str) -> bool {
    text.starts_with(SCHEME)
}

impl OciReference {
    /// Parses `oci://...`.
    pub fn parse(text: &str) -> Result<Self, ReferenceError> {
        let err = |message: &str| ReferenceError {
            reference: text.to_string(),
            message: message.to_string(),
        };
        let rest = text
            .strip_prefix(SCHEME)
            .ok_or_else(|| err("does not start with oci://"))?;
        let (rest, digest) = match rest.split_once('@') {
            Some((rest, digest)) => {
                if !is_sha256_digest(digest) {
                    return Err(err("the digest is not sha256:<64 lower-case hex digits>"));
                }
                (rest, Some(digest.to_string()))
            }
            None => (rest, None),
        };
        let (registry, path) = rest
            .split_once('/')
            .ok_or_else(|| err("no repository after the registry"))?;
        if registry.is_empty()
            || !registry
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        {
            return Err(err("the registry is not host[:port]"));
        }
        let (repository, tag) = match path.rsplit_once(':') {
            Some((repo, tag)) => (repo, Some(tag.to_string())),
            None => (path, None),
        };
        let component_ok = |c: &str| {
            !c.is_empty()
                && c.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
                && c.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        };
        if !repository.split('/').all(component_ok) {
            return Err(err(
                "the repository is not lower-case path components of a-z, 0-9, '.', '_', '-'",
            ));
        }
        if let Some(tag) = &tag {
            let ok = tag.len() <= 128
                && tag
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
                && tag
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
            if !ok {
                return Err(err("the tag is not [A-Za-z0-9_][A-Za-z0-9._-]{0,127}"));
            }
        }
        if tag.is_none() && digest.is_none() {
            return Err(err("name a tag (:1.0) or a digest (@sha256:...)"));
        }
        Ok(Self {
            registry: registry.to_string(),
            repository: repository.to_string(),
            tag,
            digest,
        })
    }

    /// Whether the registry is on a loopback address (plain HTTP).
    pub fn is_loopback(&self) -> bool {
        let host = match self.registry.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
            _ => self.registry.as_str(),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// The same repository at another tag.
    pub fn with_tag(&self, tag: &str) -> Self {
        Self {
            registry: self.registry.clone(),
            repository: self.repository.clone(),
            tag: Some(tag.to_string()),
            digest: None,
        }
    }

    /// The same repository at a digest.
    pub fn with_digest(&self, digest: &str) -> Self {
        Self {
            registry: self.registry.clone(),
            repository: self.repository.clone(),
            tag: None,
            digest: Some(digest.to_string()),
        }
    }

    /// The reference in `oci-client`'s form.
    pub fn to_client(&self) -> oci_client::Reference {
        match (&self.tag, &self.digest) {
            (_, Some(digest)) => oci_client::Reference::with_digest(
                self.registry.clone(),
                self.repository.clone(),
                digest.clone(),
            ),
            (Some(tag), None) => oci_client::Reference::with_tag(
                self.registry.clone(),
                self.repository.clone(),
                tag.clone(),
            ),
            (None, None) => oci_client::Reference::with_tag(
                self.registry.clone(),
                self.repository.clone(),
                "latest".into(),
            ),
        }
    }
}

impl fmt::Display for OciReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME}{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_and_refuse() {
        let r = OciReference::parse("oci://127.0.0.1:5000/connectors/data:1.0").unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "connectors/data");
        assert_eq!(r.tag.as_deref(), Some("1.0"));
        assert!(r.is_loopback());
        let d = format!("sha256:{}", "a".repeat(64));
        let r = OciReference::parse(&format!("oci://reg.example.com/x:1@{d}")).unwrap();
        assert_eq!(r.digest.as_deref(), Some(d.as_str()));
        assert!(!r.is_loopback());
        assert_eq!(r.to_string(), format!("oci://reg.example.com/x:1@{d}"));
        for bad in [
            "http://x/y:1",
            "oci://x",
            "oci://x/Y:1",
            "oci://x/y",
            "oci://x/y@sha256:abc",
            "oci://x/y:-bad",
            "oci:///y:1",
        ] {
            assert!(OciReference::parse(bad).is_err(), "{bad}");
        }
    }
}
