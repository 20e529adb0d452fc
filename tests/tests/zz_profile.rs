//! Temporary: where the device's time goes when applying pulls.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::time::Instant;
use automerge::{Automerge, Change, ReadDoc};
use fieldcore::sync_client::{CancelToken, HttpTransport, Transport};
use fieldcore::sync_protocol::{self, SyncResponse};
use fieldcore::{Command, Policies};
use fieldcore::model::FactsUpdate;
use fieldcore_e2e::{Device, TestHq};
use fieldhq::Role;

#[test]
#[ignore]
fn profile_apply() {
    let n: usize = std::env::var("N").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let hq = TestHq::start().unwrap();
    hq.user("wang", Role::Engineer, None).unwrap();
    hq.user("zhou", Role::HqStaff, None).unwrap();
    let mut phone = Device::enrolled(&hq, "wang").unwrap();
    let t = Instant::now();
    let mut ids = vec![];
    for i in 0..n { ids.push(phone.register(&format!("S{i}")).unwrap()); }
    eprintln!("fill {:.2}s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let (req, plan) = phone.store.prepare_sync(usize::MAX, 100_000).unwrap();
    eprintln!("prepare initial push {:.3}s ({} pushes)", t.elapsed().as_secs_f64(), req.pushes.len());
    let tr = HttpTransport::new(&phone.config).unwrap();
    let t = Instant::now();
    let body = sync_protocol::encode(&req).unwrap();
    let answer = tr.sync(body, &CancelToken::new(), &mut 0).unwrap();
    eprintln!("http+hq initial push {:.3}s", t.elapsed().as_secs_f64());
    let resp: SyncResponse = sync_protocol::decode(&answer).unwrap();
    let t = Instant::now();
    phone.store.apply_sync(&plan, &resp).unwrap();
    eprintln!("apply initial push response ({} pulls of number changes) {:.3}s", resp.pulls.len(), t.elapsed().as_secs_f64());
    for (k, id) in ids.iter().enumerate() {
        phone.store.execute(*id, &Command::UpdateFacts(FactsUpdate { customer_phone: Some(format!("+86 311 7777 {k:04}")), ..Default::default() })).unwrap();
    }
    phone.sync().unwrap();

    let mut desk = Device::enrolled(&hq, "zhou").unwrap();
    let (req, plan) = desk.store.prepare_sync(usize::MAX, 100_000).unwrap();
    let tr = HttpTransport::new(&desk.config).unwrap();
    let t = Instant::now();
    let answer = tr.sync(sync_protocol::encode(&req).unwrap(), &CancelToken::new(), &mut 0).unwrap();
    eprintln!("http+hq bootstrap {:.3}s, {} bytes", t.elapsed().as_secs_f64(), answer.len());
    let t = Instant::now();
    let resp: SyncResponse = sync_protocol::decode(&answer).unwrap();
    eprintln!("decode {:.3}s", t.elapsed().as_secs_f64());

    let policies = Policies::default();
    let t = Instant::now();
    let mut parsed = vec![];
    for p in &resp.pulls { parsed.push(p.changes.iter().map(|c| Change::from_bytes(c.to_vec()).unwrap()).collect::<Vec<_>>()); }
    let parse = t.elapsed();
    let t = Instant::now();
    let mut docs = vec![];
    for ch in parsed { let mut d = Automerge::new(); d.apply_changes(ch).unwrap(); assert!(d.get_missing_deps(&[]).is_empty()); docs.push(d); }
    let apply = t.elapsed();
    let t = Instant::now();
    for d in &docs { fieldcore::document::check_schema(d).unwrap(); fieldcore::document::case_id_of(d).unwrap(); }
    let check = t.elapsed();
    let t = Instant::now();
    let mut clones = vec![];
    for d in &docs { clones.push(d.clone()); }
    let clone = t.elapsed();
    let t = Instant::now();
    let mut views = vec![];
    for (d, p) in docs.iter().zip(&resp.pulls) { views.push(fieldcore::view::build(d, p.case_id, &policies).unwrap()); }
    let view = t.elapsed();
    let t = Instant::now();
    let mut saved = 0;
    for d in &docs { saved += d.save().len(); }
    let save = t.elapsed();
    let t = Instant::now();
    for d in &docs { std::hint::black_box(d.save_nocompress()); }
    let save_nc = t.elapsed();
    let t = Instant::now();
    for v in &views { std::hint::black_box(fieldcore::projection::row_of(v)); }
    let row = t.elapsed();
    eprintln!("components for {} cases: parse {:.3}s apply {:.3}s check {:.3}s clone {:.3}s view {:.3}s save {:.3}s ({} B) save_nocompress {:.3}s row_of {:.3}s",
        resp.pulls.len(), parse.as_secs_f64(), apply.as_secs_f64(), check.as_secs_f64(), clone.as_secs_f64(), view.as_secs_f64(), save.as_secs_f64(), saved, save_nc.as_secs_f64(), row.as_secs_f64());
    let t = Instant::now();
    for p in &resp.pulls { let bytes: Vec<u8> = p.changes.iter().flat_map(|c| c.to_vec()).collect(); std::hint::black_box(Automerge::load(&bytes).unwrap()); }
    eprintln!("load(concatenated chunks) {:.3}s", t.elapsed().as_secs_f64());
    let saves: Vec<Vec<u8>> = docs.iter().map(|d| d.save()).collect();
    let t = Instant::now();
    for b in &saves { std::hint::black_box(Automerge::load(b).unwrap()); }
    eprintln!("load(saved document) {:.3}s", t.elapsed().as_secs_f64());
    if std::env::var("VIEWONLY").is_ok() {
        let t = Instant::now();
        for _ in 0..30 { for (d, p) in docs.iter().zip(&resp.pulls) { std::hint::black_box(fieldcore::view::build(d, p.case_id, &policies).unwrap()); } }
        eprintln!("view x30 {:.3}s", t.elapsed().as_secs_f64());
        return;
    }
    if std::env::var("VIEWLOOP").is_ok() {
        let t = Instant::now();
        for _ in 0..5 { for (d, p) in docs.iter().zip(&resp.pulls) { std::hint::black_box(fieldcore::view::build(d, p.case_id, &policies).unwrap()); } }
        eprintln!("view x5 {:.3}s", t.elapsed().as_secs_f64());
        let t = Instant::now();
        for _ in 0..5 { for p in &resp.pulls { let ch: Vec<Change> = p.changes.iter().map(|c| Change::from_bytes(c.to_vec()).unwrap()).collect(); let mut d = Automerge::new(); d.apply_changes(ch).unwrap(); std::hint::black_box(d); } }
        eprintln!("apply x5 {:.3}s", t.elapsed().as_secs_f64());
    }
    let t = Instant::now();
    desk.store.apply_sync(&plan, &resp).unwrap();
    eprintln!("apply_sync bootstrap total {:.3}s", t.elapsed().as_secs_f64());
    let _ = docs.iter().map(|d| d.get_heads()).count();
}
