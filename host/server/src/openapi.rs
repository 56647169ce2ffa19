//! The OpenAPI 3.1 document of the API, written by hand beside the
//! routes (`openapi.json`); the server's tests walk it and call every
//! operation it names, so a route it lists must exist.

/// The document, as served at `/api/openapi.json`.
pub const DOCUMENT: &str = include_str!("openapi.json");

#[cfg(test)]
mod tests {
    #[test]
    fn is_json_with_paths() {
        let v: serde_json::Value = serde_json::from_str(super::DOCUMENT).unwrap();
        assert_eq!(v["openapi"], "3.1.0");
        assert!(v["paths"].as_object().unwrap().len() >= 10);
    }
}
