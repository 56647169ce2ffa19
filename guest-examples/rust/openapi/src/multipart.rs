//! `multipart/form-data` bodies (RFC 7578) of text fields, for Postman's
//! `formdata` bodies.

/// The content type and body of a form of text fields. The boundary is
/// made from a hash of the fields and lengthened until no value holds it.
pub fn encode(fields: &[(String, String)]) -> (String, Vec<u8>) {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (name, value) in fields {
        for byte in name.bytes().chain(value.bytes()) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    let mut boundary = format!("connector-form-{hash:016x}");
    while fields
        .iter()
        .any(|(n, v)| n.contains(&boundary) || v.contains(&boundary))
    {
        boundary.push('x');
    }
    let mut body = String::new();
    for (name, value) in fields {
        // A quote or line break in a name would end the header early.
        let name = name.replace(['"', '\r', '\n'], "_");
        body.push_str(&format!(
            "--{boundary}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (
        format!("multipart/form-data; boundary={boundary}"),
        body.into_bytes(),
    )
}
