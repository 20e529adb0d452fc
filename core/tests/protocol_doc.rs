//! The docs a second implementation is written from, checked against the code:
//! docs/sync-protocol.md (the annotated hex of a request and a response, the enum indices, the
//! default policies, the size claims) and docs/case-document.md (every key and JSON field of a
//! case document, every enum value, the full example document).
//!
//! The examples are built from fixed inputs, so their bytes never change unless the encoding
//! does; the tests then fail and print the block to paste. `FIELDCORE_PRINT_DOC_EXAMPLES=1`
//! prints every generated block even when the docs agree.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, Change, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use chrono::{DateTime, Duration};
use fieldcore::{
    AckOutcome, ByteBuf, CasePull, CasePush, Cause, Channel, Charge, CloseRule, Command,
    ConfirmationInput, Context, CustomerRequest, DefectInput, ErrorBody, FactsCorrection,
    GpsPosition, Market, Measurement, Milestone, Outcome, PROTOCOL_VERSION, PartInput, Payload,
    PhotoAttachment, PhotoKind, Policies, ProofOfPurchase, ReferenceData, RejectReason, Status,
    SyncRequest, SyncResponse, Timestamp, WarrantyRule, decode_message, encode_message,
    execute_on_document, new_case_document,
};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Reading the docs

fn doc_text(name: &str) -> String {
    let path = format!("{}/../docs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The lines of the first fenced code block after the marker line `<!-- {marker} -->`.
fn marked_block(text: &str, marker: &str) -> Vec<String> {
    let tag = format!("<!-- {marker} -->");
    let at = text
        .find(&tag)
        .unwrap_or_else(|| panic!("the doc has no {tag} marker"));
    let mut lines = text[at + tag.len()..].lines();
    lines
        .by_ref()
        .find(|l| l.trim_start().starts_with("```"))
        .unwrap_or_else(|| panic!("no code block after {tag}"));
    lines
        .take_while(|l| !l.trim_start().starts_with("```"))
        .map(str::to_owned)
        .collect()
}

/// The bytes of an annotated hex block: on each line, the two-digit hex tokens before `#`.
fn hex_of_block(lines: &[String]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for line in lines {
        let data = line.split('#').next().unwrap_or("");
        for token in data.split_whitespace() {
            assert!(
                token.len() == 2,
                "not a byte in the hex block: {token:?} in {line:?}"
            );
            bytes.push(u8::from_str_radix(token, 16).expect("a hex byte"));
        }
    }
    bytes
}

/// The names in backquotes in the first cell of each table row between `<!-- {marker} -->`
/// and the next blank line after the table.
fn documented_names(text: &str, marker: &str) -> BTreeSet<String> {
    let tag = format!("<!-- {marker} -->");
    let at = text
        .find(&tag)
        .unwrap_or_else(|| panic!("the doc has no {tag} marker"));
    let mut names = BTreeSet::new();
    let mut in_table = false;
    for line in text[at + tag.len()..].lines() {
        let line = line.trim();
        if !line.starts_with('|') {
            if in_table {
                break;
            }
            continue;
        }
        in_table = true;
        let first_cell = line.trim_start_matches('|').split('|').next().unwrap_or("");
        let mut parts = first_cell.split('`');
        parts.next();
        while let Some(name) = parts.next() {
            names.insert(name.to_owned());
            parts.next();
        }
    }
    assert!(!names.is_empty(), "the table after {tag} names nothing");
    names
}

fn print_wanted() -> bool {
    std::env::var_os("FIELDCORE_PRINT_DOC_EXAMPLES").is_some()
}

// ---------------------------------------------------------------------------------------------
// The fixed inputs of the wire examples

/// The device's automerge actor (16 bytes, as a store makes it).
const DEVICE_ACTOR: &str = "5e1f0c2a9b7d4e3f8a6c1d2b3e4f5a6b";
/// HQ's actor for its number change (a real HQ makes a random one per process).
const HQ_ACTOR: &str = "9d3b7a51e2c84f06b1a5d7e3c9f20468";
/// The case of the examples (a UUIDv7, as a device makes it).
const CASE_ID: &str = "0195f1c2-7b2c-7abc-8def-000000000001";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn time(s: &str) -> Timestamp {
    DateTime::parse_from_rfc3339(s).unwrap()
}

/// The device's change (a one-operation stand-in for a case's first change, whose ~1 KB of
/// registration would drown the framing) and HQ's number change on top of it, written as HQ
/// writes it (`commit_options("number", …)` and `put_number`, by HQ's actor). Returns them as
/// the device pushes (`Change::bytes`) and as HQ stores and pulls (`Change::raw_bytes`).
fn example_changes() -> (Change, Change) {
    let mut doc = Automerge::new().with_actor(ActorId::from(unhex(DEVICE_ACTOR)));
    doc.transact_with::<_, _, automerge::AutomergeError, _>(
        |_| {
            CommitOptions::default()
                .with_message("example".to_owned())
                .with_time(time("2026-11-02T09:00:00+08:00").timestamp())
        },
        |tx| {
            tx.put(ROOT, "schema", 1u64)?;
            Ok(())
        },
    )
    .unwrap();
    let device = doc.get_last_local_change().unwrap();
    doc.set_actor(ActorId::from(unhex(HQ_ACTOR)));
    doc.transact_with(
        |_| fieldcore::commit_options("number", time("2026-11-02T09:05:00+08:00").timestamp()),
        |tx| fieldcore::put_number(tx, "2611-0042"),
    )
    .unwrap();
    let hq = doc.get_last_local_change().unwrap();
    (device, hq)
}

fn example_request() -> SyncRequest {
    let (mut device, _) = example_changes();
    SyncRequest {
        version: PROTOCOL_VERSION,
        actor: unhex(DEVICE_ACTOR),
        cursor: 300,
        reference_version: 1,
        pushes: vec![CasePush {
            case_id: CASE_ID.parse().unwrap(),
            payload: Payload::Changes(vec![ByteBuf::from(device.bytes().into_owned())]),
        }],
        want_full: vec![],
        max_pull: 2000,
    }
}

fn example_response() -> SyncResponse {
    let (_, hq) = example_changes();
    SyncResponse {
        version: PROTOCOL_VERSION,
        cursor: 302,
        more: false,
        acks: vec![AckOutcome::Applied],
        pulls: vec![CasePull {
            case_id: CASE_ID.parse().unwrap(),
            changes: vec![ByteBuf::from(hq.raw_bytes().to_vec())],
            whole: false,
            number: Some("2611-0042".into()),
        }],
        reference: None,
    }
}

// ---------------------------------------------------------------------------------------------
// Annotating bytes the way the doc shows them

/// Annotated bytes: each part is some bytes and what they are.
#[derive(Default)]
struct Annotated {
    parts: Vec<(Vec<u8>, String)>,
}

impl Annotated {
    fn add(&mut self, bytes: impl Into<Vec<u8>>, what: impl Into<String>) {
        self.parts.push((bytes.into(), what.into()));
    }

    /// A value encoded alone with postcard.
    fn value<T: serde::Serialize>(&mut self, value: &T, what: impl Into<String>) {
        self.add(postcard::to_allocvec(value).unwrap(), what);
    }

    fn bytes(&self) -> Vec<u8> {
        self.parts.iter().flat_map(|(b, _)| b.clone()).collect()
    }

    /// Up to 16 bytes a line, the comment on a part's first line.
    fn render(&self) -> String {
        let mut out = String::new();
        for (bytes, what) in &self.parts {
            for (i, line) in bytes.chunks(16).enumerate() {
                let data = hex(line);
                if i == 0 {
                    out.push_str(&format!("{data:<48}  # {what}\n"));
                } else {
                    out.push_str(&format!("{data}\n"));
                }
            }
        }
        out
    }
}

/// An unsigned LEB128 value at `at`: (value, length).
fn uleb(bytes: &[u8], at: usize) -> (u64, usize) {
    let (mut value, mut shift, mut i) = (0u64, 0, at);
    loop {
        let b = bytes[i];
        value |= u64::from(b & 0x7f) << shift;
        i += 1;
        if b & 0x80 == 0 {
            return (value, i - at);
        }
        shift += 7;
    }
}

/// A signed LEB128 value at `at`: (value, length).
fn sleb(bytes: &[u8], at: usize) -> (i64, usize) {
    let (mut value, mut shift, mut i) = (0i64, 0, at);
    loop {
        let b = bytes[i];
        value |= i64::from(b & 0x7f) << shift;
        shift += 7;
        i += 1;
        if b & 0x80 == 0 {
            if shift < 64 && b & 0x40 != 0 {
                value |= -1 << shift;
            }
            return (value, i - at);
        }
    }
}

/// The parts of an uncompressed automerge change chunk, each checked against what automerge
/// itself reads from the chunk.
fn annotate_change(out: &mut Annotated, chunk: &[u8], indent: &str) {
    let change = Change::from_bytes(chunk.to_vec()).unwrap();
    assert_eq!(&chunk[..4], &[0x85, 0x6f, 0x4a, 0x83], "automerge's magic");
    assert_eq!(
        &chunk[4..8],
        &change.hash().0[..4],
        "checksum: the hash's first 4 bytes"
    );
    assert_eq!(chunk[8], 1, "an uncompressed change chunk");
    out.add(&chunk[..4], format!("{indent}chunk magic 85 6f 4a 83"));
    out.add(
        &chunk[4..8],
        format!("{indent}checksum: first 4 bytes of the change hash (SHA-256)"),
    );
    out.add(
        &chunk[8..9],
        format!("{indent}chunk type 1: change (2: compressed change)"),
    );
    let (body_len, n) = uleb(chunk, 9);
    let mut at = 9 + n;
    assert_eq!(at + body_len as usize, chunk.len());
    out.add(
        &chunk[9..at],
        format!("{indent}body length: uLEB128 = {body_len}"),
    );
    let (deps, n) = uleb(chunk, at);
    assert_eq!(deps as usize, change.deps().len());
    out.add(&chunk[at..at + n], format!("{indent}dependencies: {deps}"));
    at += n;
    for dep in change.deps() {
        assert_eq!(&chunk[at..at + 32], &dep.0[..]);
        out.add(
            &chunk[at..at + 32],
            format!("{indent}dependency: hash of the change it builds on"),
        );
        at += 32;
    }
    let (actor_len, n) = uleb(chunk, at);
    let actor = &chunk[at + n..at + n + actor_len as usize];
    assert_eq!(actor, change.actor_id().to_bytes());
    out.add(
        &chunk[at..at + n],
        format!("{indent}actor: length {actor_len}"),
    );
    out.add(actor, format!("{indent}actor"));
    at += n + actor_len as usize;
    let (seq, n) = uleb(chunk, at);
    assert_eq!(seq, change.seq());
    out.add(&chunk[at..at + n], format!("{indent}seq = {seq}"));
    at += n;
    let (start_op, n) = uleb(chunk, at);
    assert_eq!(start_op, change.start_op().get());
    out.add(&chunk[at..at + n], format!("{indent}start op = {start_op}"));
    at += n;
    let (time, n) = sleb(chunk, at);
    assert_eq!(time, change.timestamp());
    out.add(
        &chunk[at..at + n],
        format!("{indent}time: sLEB128 = {time} (Unix seconds, as the core writes it)"),
    );
    at += n;
    let (message_len, n) = uleb(chunk, at);
    let message = &chunk[at + n..at + n + message_len as usize];
    assert_eq!(
        Some(std::str::from_utf8(message).unwrap()),
        change.message()
    );
    out.add(
        &chunk[at..at + n],
        format!("{indent}message: length {message_len}"),
    );
    out.add(
        message,
        format!(
            "{indent}message {:?}",
            std::str::from_utf8(message).unwrap()
        ),
    );
    at += n + message_len as usize;
    let (others, n) = uleb(chunk, at);
    assert_eq!(others, 0, "the examples have no other actors");
    out.add(&chunk[at..at + n], format!("{indent}other actors: 0"));
    at += n;
    out.add(
        &chunk[at..],
        format!("{indent}operation columns (automerge's columnar encoding, to the end)"),
    );
}

fn annotated_request(request: &SyncRequest) -> Annotated {
    let mut out = Annotated::default();
    out.value(&request.version, "SyncRequest.version: u16 varint = 1");
    out.value(
        &request.actor.len(),
        format!(
            "actor: byte string, length varint = {}",
            request.actor.len()
        ),
    );
    out.add(
        request.actor.clone(),
        "actor: the device's automerge actor id",
    );
    out.value(
        &request.cursor,
        format!("cursor: u64 varint = {}", request.cursor),
    );
    out.value(
        &request.reference_version,
        format!(
            "reference_version: u64 varint = {}",
            request.reference_version
        ),
    );
    out.value(
        &request.pushes.len(),
        format!("pushes: {} item(s)", request.pushes.len()),
    );
    for push in &request.pushes {
        out.add([16u8], "  CasePush.case_id: UUID = byte string, length 16");
        out.add(
            push.case_id.as_bytes().to_vec(),
            format!("  case_id {}", push.case_id),
        );
        let Payload::Changes(chunks) = &push.payload else {
            panic!("the example pushes changes");
        };
        out.add([0u8], "  payload: Payload variant 0 = Changes");
        out.value(
            &chunks.len(),
            format!("  Changes: {} chunk(s)", chunks.len()),
        );
        for chunk in chunks {
            out.value(
                &chunk.len(),
                format!("    chunk: byte string, length varint = {}", chunk.len()),
            );
            annotate_change(&mut out, chunk, "      ");
        }
    }
    out.value(
        &request.want_full.len(),
        format!("want_full: {} UUID(s)", request.want_full.len()),
    );
    out.value(
        &request.max_pull,
        format!("max_pull: u32 varint = {}", request.max_pull),
    );
    out
}

fn annotated_response(response: &SyncResponse) -> Annotated {
    let mut out = Annotated::default();
    out.value(&response.version, "SyncResponse.version: u16 varint = 1");
    out.value(
        &response.cursor,
        format!("cursor: u64 varint = {}", response.cursor),
    );
    out.value(&response.more, format!("more: bool = {}", response.more));
    out.value(
        &response.acks.len(),
        format!("acks: {} item(s)", response.acks.len()),
    );
    for ack in &response.acks {
        out.value(ack, format!("  AckOutcome variant = {ack:?}"));
    }
    out.value(
        &response.pulls.len(),
        format!("pulls: {} item(s)", response.pulls.len()),
    );
    for pull in &response.pulls {
        out.add([16u8], "  CasePull.case_id: UUID = byte string, length 16");
        out.add(
            pull.case_id.as_bytes().to_vec(),
            format!("  case_id {}", pull.case_id),
        );
        out.value(
            &pull.changes.len(),
            format!("  changes: {} chunk(s)", pull.changes.len()),
        );
        for chunk in &pull.changes {
            out.value(
                &chunk.len(),
                format!("    chunk: byte string, length varint = {}", chunk.len()),
            );
            annotate_change(&mut out, chunk, "      ");
        }
        out.value(&pull.whole, format!("  whole: bool = {}", pull.whole));
        let number = pull.number.as_deref().expect("the example is numbered");
        out.add([1u8], "  number: Option tag 1 = Some");
        out.value(
            &number.len(),
            format!("  number: string, length varint = {}", number.len()),
        );
        out.add(
            number.as_bytes().to_vec(),
            format!("  number {number:?} (UTF-8)"),
        );
    }
    assert!(response.reference.is_none());
    out.add([0u8], "reference: Option tag 0 = None");
    out
}

/// Compares the code's encoding of `value` with the doc's hex block and decodes the block back.
fn check_example<T>(marker: &str, value: &T, annotated: &Annotated)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let encoded = encode_message(value).unwrap();
    assert_eq!(
        annotated.bytes(),
        encoded,
        "the annotation's parts are not the encoding"
    );
    let block = format!("```text\n{}```", annotated.render());
    if print_wanted() {
        println!("<!-- {marker} -->\n{block}\n");
    }
    let documented = hex_of_block(&marked_block(&doc_text("sync-protocol.md"), marker));
    assert!(
        documented == encoded,
        "docs/sync-protocol.md's {marker} is not what the code encodes; paste this:\n\
         <!-- {marker} -->\n{block}"
    );
    let decoded: T = decode_message(&documented).unwrap();
    assert_eq!(&decoded, value);
}

// ---------------------------------------------------------------------------------------------
// The protocol doc

#[test]
fn the_documented_request_is_the_codes_encoding_and_decodes_back() {
    let request = example_request();
    check_example("hex: request", &request, &annotated_request(&request));
}

#[test]
fn the_documented_response_is_the_codes_encoding_and_decodes_back() {
    let response = example_response();
    check_example("hex: response", &response, &annotated_response(&response));
    // The pulled chunk applies on top of the pushed one, as on a device.
    let (device, _) = example_changes();
    let mut doc = Automerge::new();
    doc.apply_changes([device]).unwrap();
    let pulled = Change::from_bytes(response.pulls[0].changes[0].to_vec()).unwrap();
    doc.apply_changes([pulled]).unwrap();
    assert!(doc.get_missing_deps(&[]).is_empty());
    assert_eq!(fieldcore::number_of(&doc).as_deref(), Some("2611-0042"));
}

/// One value encoded alone.
fn enc<T: serde::Serialize>(value: &T) -> Vec<u8> {
    postcard::to_allocvec(value).unwrap()
}

#[test]
fn postcard_encodes_as_the_doc_says() {
    // Varints: LEB128, least significant group first; no zigzag is needed (no signed field).
    assert_eq!(enc(&1u16), [0x01]);
    assert_eq!(enc(&127u16), [0x7f]);
    assert_eq!(enc(&300u64), [0xac, 0x02]);
    assert_eq!(enc(&2000u32), [0xd0, 0x0f]);
    assert_eq!(enc(&u16::MAX), [0xff, 0xff, 0x03]);
    assert_eq!(enc(&u32::MAX), [0xff, 0xff, 0xff, 0xff, 0x0f]);
    assert_eq!(enc(&u64::MAX).len(), 10);
    // bool: one byte; Option: tag byte 0 or 1, then the value.
    assert_eq!(enc(&false), [0x00]);
    assert_eq!(enc(&true), [0x01]);
    assert_eq!(enc(&None::<String>), [0x00]);
    assert_eq!(enc(&Some("ab".to_owned())), [0x01, 0x02, b'a', b'b']);
    assert!(postcard::from_bytes::<Option<String>>(&[0x02]).is_err());
    assert!(postcard::from_bytes::<String>(&[0x01, 0xff]).is_err());
    // A UUID is a byte string of 16: length 16, then its 16 bytes in RFC 9562 order.
    let id: Uuid = CASE_ID.parse().unwrap();
    let mut want = vec![0x10];
    want.extend_from_slice(id.as_bytes());
    assert_eq!(enc(&id), want);
    assert_eq!(
        hex(&enc(&id)),
        "10 01 95 f1 c2 7b 2c 7a bc 8d ef 00 00 00 00 00 01"
    );
    // Byte strings (serde_bytes) and strings: varint length, then the bytes.
    assert_eq!(enc(&ByteBuf::from(vec![9u8; 200]))[..2], [0xc8, 0x01]);
    assert_eq!(
        enc(&"数据".to_owned()),
        [0x06, 0xe6, 0x95, 0xb0, 0xe6, 0x8d, 0xae]
    );
    // Enums: the variant index as a varint, then the variant's content.
    assert_eq!(
        enc(&Payload::Document(ByteBuf::from(vec![0xaa]))),
        [0x01, 0x01, 0xaa]
    );
    assert_eq!(enc(&Payload::Changes(vec![])), [0x00, 0x00]);
}

#[test]
fn the_enum_indices_in_the_doc_are_the_codes() {
    let text = doc_text("sync-protocol.md");
    let rows = |marker: &str| -> Vec<(u8, String)> {
        let tag = format!("<!-- {marker} -->");
        let at = text.find(&tag).unwrap_or_else(|| panic!("no {tag}"));
        text[at..]
            .lines()
            .skip(1)
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .filter_map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                let index = cells.get(1)?.parse().ok()?;
                Some((index, cells.get(2)?.trim_matches('`').to_owned()))
            })
            .collect()
    };
    let acks: Vec<(u8, String)> = [
        AckOutcome::Applied,
        AckOutcome::NeedFull,
        AckOutcome::Forbidden,
        AckOutcome::Rejected {
            reason: RejectReason::Malformed,
            detail: String::new(),
        },
        AckOutcome::Later,
        AckOutcome::Archived,
    ]
    .iter()
    .map(|a| {
        // Every variant is listed: adding one breaks this match.
        let name = match a {
            AckOutcome::Applied => "Applied",
            AckOutcome::NeedFull => "NeedFull",
            AckOutcome::Forbidden => "Forbidden",
            AckOutcome::Rejected { .. } => "Rejected",
            AckOutcome::Later => "Later",
            AckOutcome::Archived => "Archived",
        };
        (enc(a)[0], name.to_owned())
    })
    .collect();
    let reasons: Vec<(u8, String)> = [
        RejectReason::Malformed,
        RejectReason::Unreadable,
        RejectReason::NotPermitted,
        RejectReason::TooLarge,
    ]
    .iter()
    .map(|r| {
        match r {
            RejectReason::Malformed
            | RejectReason::Unreadable
            | RejectReason::NotPermitted
            | RejectReason::TooLarge => {}
        }
        (enc(r)[0], format!("{r:?}"))
    })
    .collect();
    assert_eq!(rows("enum: RejectReason"), reasons);
    // A rejection is its variant index, the reason's, then the detail as a string.
    assert_eq!(
        enc(&AckOutcome::Rejected {
            reason: RejectReason::TooLarge,
            detail: "ab".into()
        }),
        vec![3, 3, 2, b'a', b'b']
    );
    assert_eq!(rows("enum: AckOutcome"), acks);
    let payloads: Vec<(u8, String)> = [Payload::Changes(vec![]), Payload::Document(ByteBuf::new())]
        .iter()
        .map(|p| {
            let name = match p {
                Payload::Changes(_) => "Changes",
                Payload::Document(_) => "Document",
            };
            (enc(p)[0], name.to_owned())
        })
        .collect();
    assert_eq!(rows("enum: Payload"), payloads);
}

#[test]
fn decoding_is_as_strict_as_the_doc_says() {
    let request = example_request();
    let bytes = encode_message(&request).unwrap();
    // Trailing bytes after a whole message are ignored.
    let mut longer = bytes.clone();
    longer.extend_from_slice(&[0xff, 0xff]);
    assert_eq!(decode_message::<SyncRequest>(&longer).unwrap(), request);
    // A cut message, a bool other than 0 or 1, an unknown variant are errors.
    assert!(decode_message::<SyncRequest>(&bytes[..bytes.len() - 1]).is_err());
    let response = encode_message(&example_response()).unwrap();
    let mut bad_bool = response.clone();
    bad_bool[3] = 2; // `more`
    assert!(decode_message::<SyncResponse>(&bad_bool).is_err());
    let mut bad_ack = response.clone();
    bad_ack[5] = 3; // the first ack
    assert!(decode_message::<SyncResponse>(&bad_ack).is_err());
    // A UUID must be exactly 16 bytes: the push's case id cut to 15 is an error.
    assert_eq!(bytes[22], 0x10, "the case id's length byte");
    let mut short_uuid = bytes.clone();
    short_uuid[22] = 0x0f;
    short_uuid.remove(23);
    assert!(decode_message::<SyncRequest>(&short_uuid).is_err());
}

#[test]
fn an_unchanged_sync_is_as_small_as_the_doc_says() {
    let request = SyncRequest {
        version: PROTOCOL_VERSION,
        actor: vec![7; 16],
        cursor: 123_456,
        reference_version: 1,
        pushes: vec![],
        want_full: vec![],
        max_pull: 2000,
    };
    assert_eq!(encode_message(&request).unwrap().len(), 26);
    let response = SyncResponse {
        version: PROTOCOL_VERSION,
        cursor: 123_456,
        more: false,
        acks: vec![],
        pulls: vec![],
        reference: None,
    };
    assert_eq!(encode_message(&response).unwrap().len(), 8);
    let text = doc_text("sync-protocol.md");
    assert!(text.contains("26 bytes") && text.contains("8 bytes"));
    // A pushed case with nothing but an ack costs one byte in the response; a `want_full`
    // entry 17 in the request.
    assert_eq!(enc(&vec![AckOutcome::Forbidden]).len(), 2);
    assert_eq!(enc(&vec![Uuid::nil()]).len(), 1 + 17);
}

#[test]
fn the_documented_error_body_and_reference_data_are_the_codes() {
    let body = ErrorBody {
        error: "too_large".into(),
        message: "the body is over the limit".into(),
    };
    assert_eq!(
        serde_json::to_string(&body).unwrap(),
        r#"{"error":"too_large","message":"the body is over the limit"}"#
    );
    let text = doc_text("sync-protocol.md");
    assert!(text.contains(r#"{"error":"too_large","message":"the body is over the limit"}"#));
    // ReferenceData: version, then two strings.
    let reference = ReferenceData {
        version: 2,
        policies_json: "{}".into(),
        catalogs_json: "{}".into(),
    };
    assert_eq!(enc(&reference), [0x02, 0x02, b'{', b'}', 0x02, b'{', b'}']);
    // The limits the doc states.
    assert_eq!(fieldcore::MAX_MESSAGE_BYTES, 16 * 1024 * 1024);
    assert_eq!(fieldcore::MAX_CASE_BYTES, 4 * 1024 * 1024);
    assert_eq!(fieldcore::MAX_BLOB_BYTES, 16 * 1024 * 1024);
    assert_eq!(fieldcore::MAX_PULL_CASES, 2000);
    assert_eq!(fieldcore::CONTENT_TYPE, "application/vnd.fieldcore.sync.v1");
    assert_eq!(PROTOCOL_VERSION, 1);
}

#[test]
fn the_documented_default_policies_are_the_codes() {
    let json = serde_json::to_string_pretty(&Policies::default()).unwrap();
    if print_wanted() {
        println!("<!-- json: default-policies -->\n```json\n{json}\n```\n");
    }
    let documented =
        marked_block(&doc_text("sync-protocol.md"), "json: default-policies").join("\n");
    assert!(
        documented == json,
        "docs/sync-protocol.md's default policies differ; paste this:\n```json\n{json}\n```"
    );
    let parsed: Policies = serde_json::from_str(&documented).unwrap();
    assert_eq!(parsed, Policies::default());
    // The other close rule, as the doc shows it.
    assert_eq!(
        serde_json::to_string(&CloseRule::WorkingDays { days: 10 }).unwrap(),
        r#"{"kind":"working_days","days":10}"#
    );
    // `photos` may be left out (older policies) and so may any of its fields.
    let without_photos: Policies = serde_json::from_str(
        r#"{"warranty":{"category_months":{"motor":12},"model_months":{}},
            "deadlines":{"reply_hours":24,"remedy_hours":48,"report_days":3,
                         "close":{"kind":"working_days","days":10}}}"#,
    )
    .unwrap();
    assert_eq!(without_photos.photos, fieldcore::PhotoPolicy::default());
    // So may `deadlines.calendar`: the built-in schedules apply.
    assert_eq!(
        without_photos.deadlines.calendar,
        fieldcore::WorkingCalendar::default()
    );
}

// ---------------------------------------------------------------------------------------------
// The case document

const DEVICE_ID: &str = "0195f1c2-9a00-7c3e-8b21-5d4a3f2e1c0b";
const USER: &str = "Li Wei";

/// A case taken through a visit with every decision, every collection and a photo, by one
/// device on a fixed clock (a minute per command), then numbered by HQ.
fn example_case() -> (Uuid, Automerge) {
    let policies = Policies::default();
    let case_id: Uuid = CASE_ID.parse().unwrap();
    let actor = ActorId::from(unhex(DEVICE_ACTOR));
    let start = time("2026-11-02T10:00:00.250+08:00");
    let ctx = |minutes: i64| Context {
        by: USER,
        device: DEVICE_ID,
        at: start + Duration::minutes(minutes),
        policies: &policies,
        parts_catalog: None,
    };
    let mut doc = new_case_document(
        &actor,
        &ctx(0),
        case_id,
        &fieldcore::testing::registration(),
    )
    .unwrap();
    let photo = fieldcore::sha256_hex(b"example photo");
    let commands = [
        Command::Acknowledge {
            note: Some("Called back; visit this afternoon".into()),
        },
        Command::ArriveOnSite,
        Command::AttachPhoto(PhotoAttachment {
            hash: photo.clone(),
            kind: PhotoKind::Defect,
            caption: "Burnt winding, drive end".into(),
            taken_at: Some("2026-11-02T10:41:07+08:00".into()),
            size: 412_331,
            width: 2048,
            height: 1536,
            thumbnail_hash: fieldcore::sha256_hex(b"example thumbnail"),
            thumbnail_size: 18_204,
            gps: Some(GpsPosition {
                lat: 38.0428,
                lon: 114.5149,
            }),
        }),
        Command::ConfirmDefect(DefectInput {
            cause: Cause::CustomerMisuse,
            findings: "Supply voltage measured at 310 V on one phase".into(),
            measurements: vec![Measurement {
                name: "phase voltage".into(),
                value: 310.0,
                unit: "V".into(),
            }],
            major_incident: false,
            evidence_photos: vec![photo.clone()],
        }),
        Command::RecordReport {
            findings: "Stator winding burnt; supply at 310 V on one phase".into(),
            cause: "Overvoltage on the customer's supply".into(),
            handling: "Paid rewind; the customer fixes the supply".into(),
        },
        Command::CorrectFacts(FactsCorrection {
            purchase_date: Some("2026-05-28".parse().unwrap()),
            reason: "Date misread from the invoice".into(),
            ..FactsCorrection::default()
        }),
        Command::DecideWarranty {
            evidence_photos: vec![photo.clone()],
            charge: Some(Charge {
                amount_minor: 38_000,
                currency: "CNY".into(),
            }),
        },
        Command::ProposeRemedy {
            proposal: "Rewind the stator at production cost".into(),
        },
        Command::AgreeDeadline {
            date: fieldcore::testing::date("2026-11-06"),
            with_whom: "Zhao Min, station manager".into(),
        },
        Command::PassToQa {
            reason: "Third supply-side failure in Hebei this month".into(),
        },
        Command::RecordPart(PartInput {
            part_number: "BRG-6308".into(),
            specification: "Bearing 6308-2Z".into(),
            quantity: 2,
            new_serial: None,
            old_part_kept: true,
            old_part_serial: Some("B-55102".into()),
            off_catalog_reason: None,
        }),
        Command::Resolve {
            outcome: Outcome::PaidRepair,
            summary: "Rewound the stator; customer to fix the supply".into(),
        },
        Command::ConfirmCustomer(ConfirmationInput {
            customer_name: "Zhao Min".into(),
            accepted: false,
            reason: Some("Disputes the charge".into()),
            signature_hash: None,
        }),
        Command::SetCompensation(Charge {
            amount_minor: 50_000,
            currency: "CNY".into(),
        }),
    ];
    for (i, command) in commands.iter().enumerate() {
        execute_on_document(&mut doc, case_id, &ctx(i as i64 + 1), command)
            .unwrap_or_else(|e| panic!("{}: {e}", command.name()));
    }
    // An exchange requested, and the goods received offline on a tablet that has no record of
    // the RMA number typed yet (check A), with no defect tag (check G), then re-inspected.
    let minute = commands.len() as i64 + 1;
    let mut run = |offset: i64, command: Command| {
        execute_on_document(&mut doc, case_id, &ctx(minute + offset), &command)
            .unwrap_or_else(|e| panic!("{}: {e}", command.name()))
            .entry_id
            .expect("an entry")
    };
    run(
        0,
        Command::RequestReturn(fieldcore::ReturnRequestInput {
            kind: fieldcore::ReturnKind::Exchange,
            items: vec![fieldcore::ReturnItem {
                model: "YE3-132M-4".into(),
                serial: Some("M2406-118842".into()),
                quantity: 1,
                reason: "Second winding failure in five months".into(),
                fault: "Stator winding burnt".into(),
            }],
            freight: fieldcore::Freight::Company,
            why_not_on_site: "The customer asks for a new motor; a rewind needs the factory".into(),
            window_override: None,
        }),
    );
    let receipt = run(
        1,
        Command::ReceiveReturn(fieldcore::ReceiptInput {
            rma_number: Some("R2611-0007".into()),
            counted: vec![fieldcore::CountedItem {
                model: "YE3-132M-4".into(),
                serial: Some("M2406-118842".into()),
                quantity: 1,
            }],
            packing: fieldcore::Packing::AsRequired,
            labelled: true,
            sorted: true,
            defect_marked: false,
            photos: vec![photo.clone()],
            notes: vec![fieldcore::CheckNote {
                check: fieldcore::ReceivingCheck::G,
                note: "No defect tag on the motor".into(),
                photo: Some(photo.clone()),
            }],
            outcome: fieldcore::ReceiptOutcome::Accepted,
            refusal_reason: None,
        }),
    );
    run(
        2,
        Command::AmendReceipt(fieldcore::ReceiptAmendment {
            receipt: receipt.clone(),
            counted: vec![],
            notes: vec![fieldcore::CheckNote {
                check: fieldcore::ReceivingCheck::D,
                note: "Crate cracked at one corner".into(),
                photo: None,
            }],
            photos: vec![],
        }),
    );
    run(
        3,
        Command::InspectReturnUnit {
            receipt,
            unit: "M2406-118842".into(),
            result: fieldcore::InspectionResult::Bad {
                reason: "Stator insulation burnt through".into(),
                nonconformance: Some("NC-2611-07".into()),
            },
        },
    );
    // HQ's number, as HQ writes it.
    doc.set_actor(ActorId::from(unhex(HQ_ACTOR)));
    doc.transact_with(
        |_| fieldcore::commit_options("number", time("2026-11-02T11:00:00+08:00").timestamp()),
        |tx| {
            fieldcore::put_number(tx, "2611-0042")?;
            fieldcore::put_accepted(tx, time("2026-11-02T11:00:00+08:00"))
        },
    )
    .unwrap();
    fieldcore::check_schema(&doc).unwrap();
    (case_id, doc)
}

/// Containers whose string values hold JSON records, shown decoded in the example.
const JSON_CONTAINERS: [&str; 11] = [
    "decisions",
    "notes",
    "events",
    "parts",
    "visits",
    "confirmations",
    "rounds",
    "photos",
    "returns",
    "receipts",
    "inspections",
];

/// The document as JSON: maps as objects, strings as strings, except that the JSON records
/// under [`JSON_CONTAINERS`] are shown decoded. Panics on anything the schema does not have
/// (lists, Text, conflicting values, scalars other than strings and `schema`'s uint).
fn render(doc: &Automerge, obj: &ObjId, path: &str) -> Json {
    let mut out = Map::new();
    for key in doc.keys(obj) {
        let here = format!("{path}/{key}");
        assert_eq!(
            doc.get_all(obj, &key).unwrap().len(),
            1,
            "{here}: concurrent values"
        );
        let (value, id) = doc.get(obj, &key).unwrap().unwrap();
        let json = match value {
            Value::Object(ObjType::Map) => render(doc, &id, &here),
            Value::Object(other) => panic!("{here}: a {other:?} object"),
            Value::Scalar(s) => match s.as_ref() {
                ScalarValue::Str(text)
                    if JSON_CONTAINERS.contains(&path.trim_start_matches('/')) =>
                {
                    let parsed: Json = serde_json::from_str(text).unwrap();
                    assert!(parsed.is_object(), "{here}: not a JSON object");
                    parsed
                }
                ScalarValue::Str(text) => Json::String(text.to_string()),
                ScalarValue::Uint(n) if here == "/schema" => Json::from(*n),
                other => panic!("{here}: an automerge {other:?}"),
            },
        };
        out.insert(key, json);
    }
    Json::Object(out)
}

/// Replaces every UUID (whole string or key) by `<uuid-N>`, N its rank in sort order: the
/// example's random entry ids (UUIDv7, made in order) then compare equal run after run.
fn normalise_ids(value: &Json) -> Json {
    fn collect(value: &Json, ids: &mut BTreeSet<String>) {
        match value {
            Json::String(s) if Uuid::parse_str(s).is_ok() && s.len() == 36 => {
                ids.insert(s.clone());
            }
            Json::Array(items) => items.iter().for_each(|i| collect(i, ids)),
            Json::Object(map) => {
                for (k, v) in map {
                    if Uuid::parse_str(k).is_ok() && k.len() == 36 {
                        ids.insert(k.clone());
                    }
                    collect(v, ids);
                }
            }
            _ => {}
        }
    }
    fn replace(value: &Json, names: &BTreeMap<String, String>) -> Json {
        let name = |s: &String| names.get(s).cloned().unwrap_or_else(|| s.clone());
        match value {
            Json::String(s) => Json::String(name(s)),
            Json::Array(items) => Json::Array(items.iter().map(|i| replace(i, names)).collect()),
            Json::Object(map) => Json::Object(
                map.iter()
                    .map(|(k, v)| (name(k), replace(v, names)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    let mut ids = BTreeSet::new();
    collect(value, &mut ids);
    let names = ids
        .into_iter()
        .enumerate()
        .map(|(i, id)| (id, format!("<uuid-{i}>")))
        .collect();
    replace(value, &names)
}

fn example_json() -> Json {
    let (_, doc) = example_case();
    render(&doc, &ROOT, "")
}

#[test]
fn the_example_document_in_the_doc_is_what_the_code_writes() {
    let json = example_json();
    let pretty = serde_json::to_string_pretty(&json).unwrap();
    if print_wanted() {
        println!("<!-- json: example-case -->\n```json\n{pretty}\n```\n");
    }
    let documented: Json = serde_json::from_str(
        &marked_block(&doc_text("case-document.md"), "json: example-case").join("\n"),
    )
    .expect("the example in docs/case-document.md is JSON");
    assert!(
        normalise_ids(&documented) == normalise_ids(&json),
        "docs/case-document.md's example differs from the code's; paste this:\n```json\n{pretty}\n```"
    );
}

/// The JSON field names of every object in `values`.
fn field_names<'a>(values: impl IntoIterator<Item = &'a Json>) -> BTreeSet<String> {
    values
        .into_iter()
        .flat_map(|v| v.as_object().expect("an object").keys().cloned())
        .collect()
}

fn assert_documented(text: &str, marker: &str, found: &BTreeSet<String>) {
    let documented = documented_names(text, marker);
    let missing: Vec<&String> = found.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "docs/case-document.md's table <!-- {marker} --> lacks {missing:?}"
    );
}

#[test]
fn every_key_and_field_of_a_case_document_is_documented() {
    let text = doc_text("case-document.md");
    let json = example_json();
    let root = json.as_object().unwrap();
    let keys = |v: &Json| -> BTreeSet<String> { v.as_object().unwrap().keys().cloned().collect() };

    // The keys of the root, the facts and the decisions: exactly the documented ones.
    assert_eq!(keys(&json), documented_names(&text, "keys: root"));
    assert_eq!(keys(&root["facts"]), documented_names(&text, "keys: facts"));
    assert_eq!(
        keys(&root["decisions"]),
        documented_names(&text, "keys: decisions")
    );
    assert_eq!(
        root["schema"],
        Json::from(fieldcore::DOCUMENT_SCHEMA_VERSION)
    );

    // Decision records and their values.
    let decisions = root["decisions"].as_object().unwrap();
    assert_documented(&text, "fields: decided", &field_names(decisions.values()));
    for (field, marker) in [
        ("defect", "fields: defect"),
        ("warranty", "fields: warranty"),
        ("charge", "fields: charge"),
        ("compensation", "fields: charge"),
        ("resolution", "fields: resolution"),
        ("passed_to_qa", "fields: passed_to_qa"),
        ("remedy", "fields: remedy"),
        ("report", "fields: report"),
        ("agreed_deadline", "fields: agreed_deadline"),
    ] {
        let value = &decisions[field]["value"];
        assert_documented(&text, marker, &field_names([value]));
    }
    let decided_on = &decisions["warranty"]["value"]["decided_on"];
    assert_documented(&text, "fields: warranty_facts", &field_names([decided_on]));
    assert_documented(
        &text,
        "fields: warranty_grounds",
        &field_names([&decisions["warranty"]["value"]["grounds"]]),
    );
    let measurements = decisions["defect"]["value"]["measurements"]
        .as_array()
        .unwrap();
    assert_documented(&text, "fields: measurement", &field_names(measurements));

    // Entries: the common fields and each collection's own.
    let common = documented_names(&text, "fields: entry");
    for collection in [
        "notes",
        "events",
        "parts",
        "visits",
        "confirmations",
        "rounds",
        "returns",
        "receipts",
        "inspections",
    ] {
        let entries = root[collection].as_object().unwrap();
        assert!(!entries.is_empty(), "the example has no {collection}");
        for (id, entry) in entries {
            assert_eq!(
                entry["id"].as_str(),
                Some(id.as_str()),
                "an entry's key is its id"
            );
            Uuid::parse_str(id).unwrap();
        }
        let own: BTreeSet<String> = field_names(entries.values())
            .difference(&common)
            .cloned()
            .collect();
        assert_documented(&text, &format!("fields: {collection}"), &own);
    }

    // The records inside the return entries.
    let first = |collection: &str| {
        root[collection]
            .as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .clone()
    };
    let request = first("returns");
    let receipt = first("receipts");
    let inspection = first("inspections");
    assert_documented(
        &text,
        "fields: return_item",
        &field_names(request["items"].as_array().unwrap()),
    );
    assert_documented(&text, "fields: window", &field_names([&request["window"]]));
    assert_documented(
        &text,
        "fields: counted",
        &field_names(receipt["counted"].as_array().unwrap()),
    );
    assert_documented(
        &text,
        "fields: check_note",
        &field_names(receipt["notes"].as_array().unwrap()),
    );
    assert_documented(
        &text,
        "fields: inspection_result",
        &field_names([&inspection["result"]]),
    );

    // A correction's record inside its event, and the facts it changed.
    let corrections: Vec<&Json> = root["events"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|e| e.get("correction"))
        .collect();
    assert!(!corrections.is_empty(), "the example has no correction");
    assert_documented(
        &text,
        "fields: correction",
        &field_names(corrections.clone()),
    );
    let changes: Vec<&Json> = corrections
        .iter()
        .flat_map(|c| c["changes"].as_array().unwrap())
        .collect();
    assert_documented(&text, "fields: fact_change", &field_names(changes));

    // Photos, keyed by hash.
    let photos = root["photos"].as_object().unwrap();
    assert_documented(&text, "fields: photos", &field_names(photos.values()));
    let stamps: Vec<&Json> = photos.values().map(|p| &p["added_by"]).collect();
    assert_documented(&text, "fields: stamp", &field_names(stamps));
    let gps: Vec<&Json> = photos.values().map(|p| &p["gps"]).collect();
    assert_documented(&text, "fields: gps", &field_names(gps));
    for hash in photos.keys() {
        assert!(hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    // The registration's nested value.
    let proof: Json =
        serde_json::from_str(root["facts"]["proof_of_purchase"].as_str().unwrap()).unwrap();
    assert_documented(&text, "fields: proof_of_purchase", &field_names([&proof]));
}

/// The serde strings of every variant of an enum.
fn strings<T: serde::Serialize>(values: &[T]) -> BTreeSet<String> {
    values
        .iter()
        .map(|v| match serde_json::to_value(v).unwrap() {
            Json::String(s) => s,
            other => panic!("not a string: {other}"),
        })
        .collect()
}

#[test]
fn every_enum_value_is_documented() {
    let text = doc_text("case-document.md");
    let check = |marker: &str, values: BTreeSet<String>| {
        assert_eq!(
            documented_names(&text, marker),
            values,
            "docs/case-document.md's table <!-- {marker} -->"
        );
    };
    check("enum: status", strings(&Status::ALL));
    // Each list below is checked complete by the exhaustive match next to it.
    let causes = [
        Cause::DesignManufacturing,
        Cause::StorageTransport,
        Cause::CustomerMisuse,
    ];
    for c in causes {
        match c {
            Cause::DesignManufacturing | Cause::StorageTransport | Cause::CustomerMisuse => {}
        }
    }
    check("enum: cause", strings(&causes));
    let markets = [Market::Domestic, Market::Foreign];
    for m in markets {
        match m {
            Market::Domestic | Market::Foreign => {}
        }
    }
    check("enum: market", strings(&markets));
    let channels = [
        Channel::Phone,
        Channel::Email,
        Channel::Fax,
        Channel::Letter,
        Channel::Dealer,
        Channel::OnSite,
    ];
    for c in channels {
        match c {
            Channel::Phone
            | Channel::Email
            | Channel::Fax
            | Channel::Letter
            | Channel::Dealer
            | Channel::OnSite => {}
        }
    }
    check("enum: channel", strings(&channels));
    let requests = [
        CustomerRequest::Repair,
        CustomerRequest::Exchange,
        CustomerRequest::Return,
        CustomerRequest::Compensation,
    ];
    for r in requests {
        match r {
            CustomerRequest::Repair
            | CustomerRequest::Exchange
            | CustomerRequest::Return
            | CustomerRequest::Compensation => {}
        }
    }
    check("enum: customer_request", strings(&requests));
    let outcomes = [
        Outcome::RepairedOnSite,
        Outcome::PartsReplaced,
        Outcome::Exchanged,
        Outcome::Returned,
        Outcome::PaidRepair,
        Outcome::Rejected,
    ];
    for o in outcomes {
        match o {
            Outcome::RepairedOnSite
            | Outcome::PartsReplaced
            | Outcome::Exchanged
            | Outcome::Returned
            | Outcome::PaidRepair
            | Outcome::Rejected => {}
        }
    }
    check("enum: outcome", strings(&outcomes));
    check("enum: photo_kind", strings(&PhotoKind::ALL));
    check("enum: milestone", strings(&Milestone::ALL));
    let rules = [
        WarrantyRule::NoProofOfPurchase,
        WarrantyRule::NotInScope,
        WarrantyRule::OutOfPeriod,
        WarrantyRule::NonQualityFault,
        WarrantyRule::CoveredQualityFault,
    ];
    for r in rules {
        match r {
            WarrantyRule::NoProofOfPurchase
            | WarrantyRule::NotInScope
            | WarrantyRule::OutOfPeriod
            | WarrantyRule::NonQualityFault
            | WarrantyRule::CoveredQualityFault => {}
        }
    }
    check("enum: warranty_rule", strings(&rules));
    // The proof of purchase: adjacently tagged.
    let proofs = [
        ProofOfPurchase::Invoice("INV-1".into()),
        ProofOfPurchase::Voucher("V-1".into()),
        ProofOfPurchase::None,
    ];
    let kinds: BTreeSet<String> = proofs
        .iter()
        .map(|p| {
            match p {
                ProofOfPurchase::Invoice(_)
                | ProofOfPurchase::Voucher(_)
                | ProofOfPurchase::None => {}
            }
            serde_json::to_value(p).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    check("enum: proof_kind", kinds);
    assert_eq!(
        serde_json::to_string(&ProofOfPurchase::None).unwrap(),
        r#"{"kind":"none"}"#
    );
    // Every command's name, which is the change message and the event's action.
    let names: BTreeSet<String> = all_commands().iter().map(|c| c.name().to_owned()).collect();
    let mut with_register = names.clone();
    with_register.insert("register".into());
    check("enum: action", with_register.clone());
    // Every kind of history detail, by its `what`.
    let details: BTreeSet<String> = fieldcore::testing::summary_samples()
        .iter()
        .map(|(s, _)| s.detail().unwrap()["what"].as_str().unwrap().to_owned())
        .collect();
    check("enum: event_detail", details);
    check(
        "enum: receiving_check",
        strings(&fieldcore::ReceivingCheck::ALL),
    );
    check("enum: packing", strings(&fieldcore::Packing::ALL));
    for name in &with_register {
        assert_ne!(
            fieldcore::event_action_text(name, fieldcore::Locale::ZhCn),
            *name,
            "the history has no Chinese name for {name}"
        );
    }
}

/// One command of every kind (the match makes the list complete).
fn all_commands() -> Vec<Command> {
    let t = time("2026-11-02T09:00:00+08:00");
    let commands = vec![
        Command::Acknowledge { note: None },
        Command::ScheduleVisit { planned_for: t },
        Command::ArriveOnSite,
        Command::ConfirmDefect(DefectInput {
            cause: Cause::CustomerMisuse,
            findings: String::new(),
            measurements: vec![],
            major_incident: false,
            evidence_photos: vec![],
        }),
        Command::DecideWarranty {
            evidence_photos: vec![],
            charge: None,
        },
        Command::SetCharge(Charge {
            amount_minor: 0,
            currency: "CNY".into(),
        }),
        Command::SetCompensation(Charge {
            amount_minor: 0,
            currency: "CNY".into(),
        }),
        Command::Resolve {
            outcome: Outcome::Rejected,
            summary: String::new(),
        },
        Command::RecordPart(PartInput {
            part_number: String::new(),
            specification: String::new(),
            quantity: 1,
            new_serial: None,
            old_part_kept: false,
            old_part_serial: None,
            off_catalog_reason: None,
        }),
        Command::ReversePart {
            line_id: String::new(),
            reason: String::new(),
        },
        Command::ReturnOldPart {
            line_id: String::new(),
        },
        Command::KeepOldPart {
            line_id: String::new(),
            tag: String::new(),
        },
        Command::ShipOldPart {
            line_id: String::new(),
            shipment: String::new(),
            tag: String::new(),
        },
        Command::ReportOldPartLost {
            line_id: String::new(),
            reason: String::new(),
        },
        Command::AddNote {
            text: String::new(),
        },
        Command::ConfirmCustomer(ConfirmationInput {
            customer_name: String::new(),
            accepted: true,
            reason: None,
            signature_hash: None,
        }),
        Command::Close,
        Command::Reopen {
            reason: String::new(),
        },
        Command::UpdateFacts(Default::default()),
        Command::CorrectFacts(Default::default()),
        Command::AttachPhoto(PhotoAttachment {
            hash: String::new(),
            kind: PhotoKind::Other,
            caption: String::new(),
            taken_at: None,
            size: 0,
            width: 0,
            height: 0,
            thumbnail_hash: String::new(),
            thumbnail_size: 0,
            gps: None,
        }),
        Command::RemovePhoto {
            hash: String::new(),
            reason: String::new(),
        },
        Command::ResolveConflict {
            field: String::new(),
            choose: 0,
        },
        Command::PassToQa {
            reason: String::new(),
        },
        Command::ProposeRemedy {
            proposal: String::new(),
        },
        Command::RecordReport {
            findings: String::new(),
            cause: String::new(),
            handling: String::new(),
        },
        Command::AgreeDeadline {
            date: fieldcore::testing::date("2026-11-02"),
            with_whom: String::new(),
        },
        Command::RequestTrip {
            reason: String::new(),
            planned_for: None,
        },
        Command::EmergencyVisit {
            reason: String::new(),
        },
        Command::HandOverFirstResponder {
            to_id: 0,
            to: String::new(),
            reason: String::new(),
        },
        Command::RequestReturn(fieldcore::ReturnRequestInput {
            kind: fieldcore::ReturnKind::Return,
            items: Vec::new(),
            freight: fieldcore::Freight::Company,
            why_not_on_site: String::new(),
            window_override: None,
        }),
        Command::ReceiveReturn(fieldcore::ReceiptInput {
            rma_number: None,
            counted: Vec::new(),
            packing: fieldcore::Packing::AsRequired,
            labelled: true,
            sorted: true,
            defect_marked: true,
            photos: Vec::new(),
            notes: Vec::new(),
            outcome: fieldcore::ReceiptOutcome::Accepted,
            refusal_reason: None,
        }),
        Command::AmendReceipt(fieldcore::ReceiptAmendment {
            receipt: String::new(),
            counted: Vec::new(),
            notes: Vec::new(),
            photos: Vec::new(),
        }),
        Command::InspectReturnUnit {
            receipt: String::new(),
            unit: String::new(),
            result: fieldcore::InspectionResult::Good {
                restocked_to: String::new(),
            },
        },
        Command::RequestReplenishment {
            request: String::new(),
            note: String::new(),
        },
        Command::ConfirmReplacement {
            request: String::new(),
            note: String::new(),
        },
        Command::RecordReturnAnalysis {
            request: String::new(),
            cause: String::new(),
            actions: String::new(),
            photos: Vec::new(),
        },
    ];
    for c in &commands {
        match c {
            Command::Acknowledge { .. }
            | Command::ScheduleVisit { .. }
            | Command::ArriveOnSite
            | Command::ConfirmDefect(_)
            | Command::DecideWarranty { .. }
            | Command::SetCharge(_)
            | Command::SetCompensation(_)
            | Command::Resolve { .. }
            | Command::RecordPart(_)
            | Command::ReversePart { .. }
            | Command::ReturnOldPart { .. }
            | Command::KeepOldPart { .. }
            | Command::ShipOldPart { .. }
            | Command::ReportOldPartLost { .. }
            | Command::AddNote { .. }
            | Command::ConfirmCustomer(_)
            | Command::Close
            | Command::Reopen { .. }
            | Command::UpdateFacts(_)
            | Command::CorrectFacts(_)
            | Command::AttachPhoto(_)
            | Command::RemovePhoto { .. }
            | Command::ResolveConflict { .. }
            | Command::PassToQa { .. }
            | Command::ProposeRemedy { .. }
            | Command::RecordReport { .. }
            | Command::AgreeDeadline { .. }
            | Command::RequestTrip { .. }
            | Command::EmergencyVisit { .. }
            | Command::HandOverFirstResponder { .. }
            | Command::RequestReturn(_)
            | Command::ReceiveReturn(_)
            | Command::AmendReceipt(_)
            | Command::InspectReturnUnit { .. }
            | Command::RequestReplenishment { .. }
            | Command::ConfirmReplacement { .. }
            | Command::RecordReturnAnalysis { .. } => {}
        }
    }
    commands
}

#[test]
fn the_documented_authority_table_is_the_codes() {
    let text = doc_text("case-document.md");
    let tag = "<!-- table: authority -->";
    let at = text.find(tag).expect("the authority table's marker");
    let rows: Vec<(String, String)> = text[at + tag.len()..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let field = cells
                .get(1)?
                .strip_prefix('`')?
                .split('`')
                .next()?
                .to_owned();
            Some((field, cells.get(2)?.to_string()))
        })
        .collect();
    assert!(rows.len() >= 10, "{rows:?}");
    for (field, writers) in rows {
        let (root, key) = match field.split_once('.') {
            Some((root, key)) => (root, Some(key)),
            None => (field.as_str(), None),
        };
        let code = match fieldcore::writer_of(root, key) {
            fieldcore::Writer::Hq => "HQ only".to_owned(),
            fieldcore::Writer::Roles(roles) => roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            fieldcore::Writer::AnyDevice => "any user who may write the case".to_owned(),
        };
        assert!(
            writers.starts_with(&code),
            "{field}: the doc says {writers:?}, the code {code:?}"
        );
    }
    // Keys the table leaves to everyone.
    assert_eq!(
        fieldcore::writer_of("notes", Some("x")),
        fieldcore::Writer::AnyDevice
    );
}
