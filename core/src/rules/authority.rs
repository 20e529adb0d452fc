//! Who may write what in a case document: one table, read by HQ on every pushed change and by
//! the device before it writes. Today HQ owns the official number; approvals, RMA numbers and
//! assignments join this table as they come into the document.

/// Who writes a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// Only HQ, with its own actor.
    Hq,
    /// Any device whose user may write the case.
    Device,
}

/// The root keys of a case document that only HQ writes.
const HQ_ROOT_KEYS: &[&str] = &["number"];

/// Who may write the root key `key` of a case document.
pub fn root_key_writer(key: &str) -> Writer {
    if HQ_ROOT_KEYS.contains(&key) {
        Writer::Hq
    } else {
        Writer::Device
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hq_owns_the_number_and_devices_the_rest() {
        assert_eq!(root_key_writer("number"), Writer::Hq);
        for key in ["facts", "decisions", "notes", "photos", "schema", "case_id"] {
            assert_eq!(root_key_writer(key), Writer::Device, "{key}");
        }
    }
}
