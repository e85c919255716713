//! Deterministic ids: the same input gives the same ids, so a re-run or a resumed batch
//! never creates a second copy of anything in a receiving server.

use sha1::{Digest, Sha1};

/// A name-based UUID (RFC 4122 version 5 layout) from a namespace and parts.
pub fn uuid(namespace: &str, parts: &[&str]) -> String {
    let mut h = Sha1::new();
    h.update(b"chart2fhir\0");
    h.update(namespace.as_bytes());
    for p in parts {
        h.update(b"\0");
        h.update(p.as_bytes());
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = crate::ingest::hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_and_distinct() {
        let a = uuid("Condition", &["doc", "snomed|38341003"]);
        assert_eq!(a, uuid("Condition", &["doc", "snomed|38341003"]));
        assert_ne!(a, uuid("Condition", &["doc", "snomed|59621000"]));
        assert_ne!(a, uuid("AllergyIntolerance", &["doc", "snomed|38341003"]));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "5");
    }

    #[test]
    fn parts_do_not_run_together() {
        assert_ne!(uuid("x", &["ab", "c"]), uuid("x", &["a", "bc"]));
    }
}
