//! The sync protocol's messages (version 1), shared by the device and HQ. Bodies are postcard
//! (compact binary serde); document and change bytes travel as raw byte strings, never
//! base64. docs/sync-protocol.md is the specification; this file is its single definition.

use serde::{Deserialize, Serialize};
pub use serde_bytes::ByteBuf;
use uuid::Uuid;

/// Bumped on any change to the messages below; HQ refuses versions it does not speak.
pub const PROTOCOL_VERSION: u16 = 1;

/// The media type of request and response bodies.
pub const CONTENT_TYPE: &str = "application/vnd.fieldcore.sync.v1";

/// Largest request or response body either side accepts.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;
/// Largest payload (changes or a whole document) for one case in one message.
pub const MAX_CASE_BYTES: usize = 4 * 1024 * 1024;
/// Largest photo blob HQ accepts.
pub const MAX_BLOB_BYTES: usize = 16 * 1024 * 1024;
/// Most cases HQ puts in one response; the device asks again while `more` is set.
pub const MAX_PULL_CASES: u32 = 2_000;

/// `POST /v1/sync`: what the device sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    pub version: u16,
    /// The automerge actor id of this install; HQ binds it to the device on first sync and
    /// refuses changes by any other actor from this device.
    #[serde(with = "serde_bytes")]
    pub actor: Vec<u8>,
    /// The last HQ sequence number this device has fully received and stored (0: none).
    pub cursor: u64,
    /// The version of the reference data the device holds (0: none).
    pub reference_version: u64,
    /// Local work HQ has not acknowledged yet, at most one entry per case.
    pub pushes: Vec<CasePush>,
    /// Cases whose pulled changes could not be applied (a dependency was missing): HQ sends
    /// their whole history instead.
    pub want_full: Vec<Uuid>,
    /// Most cases the device wants in this response (HQ caps it at [`MAX_PULL_CASES`]).
    pub max_pull: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CasePush {
    pub case_id: Uuid,
    pub payload: Payload,
}

/// Automerge bytes for one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Payload {
    /// Changes in causal order, one automerge change chunk each
    /// (`automerge::Change::bytes`, compressed, or `raw_bytes`), so each can be parsed and
    /// checked on its own.
    Changes(Vec<ByteBuf>),
    /// A whole saved document (`Automerge::save`): the push repair path after `NeedFull`.
    Document(ByteBuf),
}

impl Payload {
    /// Bytes carried, for size limits.
    pub fn len(&self) -> usize {
        match self {
            Payload::Changes(chunks) => chunks.iter().map(|c| c.len()).sum(),
            Payload::Document(bytes) => bytes.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `POST /v1/sync`: what HQ answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    pub version: u16,
    /// Store this once everything in the response is applied, and send it next time.
    pub cursor: u64,
    /// More cases wait to be pulled: sync again at once.
    pub more: bool,
    /// One per pushed case, in request order (positional: the case ids are the request's,
    /// not repeated, which saves 16 bytes per pushed case).
    pub acks: Vec<AckOutcome>,
    /// Changes the device lacks for cases it may see, oldest first.
    pub pulls: Vec<CasePull>,
    /// Newer reference data, when the device's version is behind.
    pub reference: Option<ReferenceData>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AckOutcome {
    /// HQ holds every pushed change (some may have been there already: pushes are idempotent).
    Applied,
    /// HQ lacks a change the pushed ones depend on: push the whole document next time.
    NeedFull,
    /// This device's user may not write the case (any more: it was routed to another center
    /// or reassigned). Nothing of the push is applied. Refused per case, not per request, so
    /// that the device's work on its other cases still goes through.
    Forbidden,
    /// HQ refused what this push would do to the case, for the reason given; nothing of the
    /// push is applied, the rest of the request is. The device keeps its work and shows the
    /// reason; it does not push the case again until its user changes the case.
    Rejected {
        reason: RejectReason,
        /// What exactly, in English, for support: the field, the limit, the change.
        detail: String,
    },
    /// HQ did not get to this case in this request (the request asked for more work than HQ
    /// does at once); nothing of it is applied. Not an error: push it again, as in any later
    /// request.
    Later,
    /// HQ archived the case (it was closed long enough ago that HQ moved it out of its live
    /// database; its number stays reserved). Nothing of the push is applied. The device keeps
    /// its work and shows the case as archived; once HQ restores the case, its pull brings
    /// the case back and the work goes up again.
    Archived,
}

/// Why HQ refused a push for one case (the app shows a message for each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RejectReason {
    /// The pushed changes do not parse, are not this device's, reuse a change number of
    /// this device with other content, or create the case a second time.
    Malformed,
    /// With the changes applied, the case could not be read by the apps: a value of the wrong
    /// type, content this version does not know, a case without its registration.
    Unreadable,
    /// A change writes a field the user's role (or any device) may not write.
    NotPermitted,
    /// The case would grow past HQ's per-case size limit.
    TooLarge,
}

impl RejectReason {
    /// The reason's name as the protocol documentation and logs spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::Malformed => "malformed",
            RejectReason::Unreadable => "unreadable",
            RejectReason::NotPermitted => "not_permitted",
            RejectReason::TooLarge => "too_large",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CasePull {
    pub case_id: Uuid,
    /// Every change of the case when it is new to the device or was asked for in `want_full`
    /// (`whole` is then true); otherwise the changes after the device's cursor.
    pub changes: Vec<ByteBuf>,
    pub whole: bool,
    /// The official YYMM-NNNN number, once given (also inside the document).
    pub number: Option<String>,
}

/// Reference data only HQ writes: policies and catalogs, as JSON, with a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceData {
    pub version: u64,
    /// `fieldcore::Policies` as JSON.
    pub policies_json: String,
    /// Product and parts catalogs as JSON (kept by the device for pickers).
    pub catalogs_json: String,
}

/// The JSON body of every error response, with an HTTP status (see the spec).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A stable machine code: `unauthorized`, `forbidden`, `too_large`, `malformed`,
    /// `unsupported_version`, `internal`.
    pub error: String,
    /// A sentence for logs and support; never personal data.
    pub message: String,
}

/// Encodes a message body.
pub fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>, postcard::Error> {
    postcard::to_allocvec(message)
}

/// Decodes a message body, refusing one over [`MAX_MESSAGE_BYTES`] before parsing it.
pub fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, postcard::Error> {
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(postcard::Error::DeserializeUnexpectedEnd);
    }
    postcard::from_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_bytes_are_raw() {
        let request = SyncRequest {
            version: PROTOCOL_VERSION,
            actor: vec![7; 16],
            cursor: 42,
            reference_version: 3,
            pushes: vec![CasePush {
                case_id: Uuid::now_v7(),
                payload: Payload::Changes(vec![ByteBuf::from(vec![0xAB; 300])]),
            }],
            want_full: vec![],
            max_pull: 100,
        };
        let bytes = encode(&request).unwrap();
        assert_eq!(decode::<SyncRequest>(&bytes).unwrap(), request);
        // 300 payload bytes, 16 actor bytes, 16 case-id bytes, and only a few bytes of framing.
        assert!(bytes.len() < 300 + 16 + 16 + 16, "{} bytes", bytes.len());
    }

    #[test]
    fn an_empty_sync_is_a_handful_of_bytes() {
        let request = SyncRequest {
            version: PROTOCOL_VERSION,
            actor: vec![1; 16],
            cursor: 123_456,
            reference_version: 1,
            pushes: vec![],
            want_full: vec![],
            max_pull: MAX_PULL_CASES,
        };
        assert!(encode(&request).unwrap().len() < 32);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in [
            &[][..],
            &[0xff; 7][..],
            &[1, 0, 200, 200, 200, 200, 200][..],
        ] {
            assert!(decode::<SyncRequest>(bytes).is_err());
        }
    }
}
