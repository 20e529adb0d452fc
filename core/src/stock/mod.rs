//! Warranty spare-part stock (三包配件): one replicated ledger document per holder per quarter
//! (ADR 0021, docs/stock-ledger.md), written offline on the holder's devices and at HQ.

pub(crate) mod commands;
pub(crate) mod document;
pub(crate) mod holder;
pub(crate) mod records;
pub(crate) mod view;
