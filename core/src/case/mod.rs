//! A service case as an automerge document: its schema, the registration facts, the records
//! its decisions and entries hold, the view screens read, and the commands that change it.

pub(crate) mod authority;
pub(crate) mod change;
pub(crate) mod check;
pub(crate) mod commands;
pub(crate) mod correction;
pub(crate) mod correction_text;
pub(crate) mod document;
pub(crate) mod facts;
mod plan;
pub(crate) mod plan_deadlines;
mod plan_returns;
pub(crate) mod records;
pub(crate) mod return_records;
pub(crate) mod returns;
pub(crate) mod summary;
pub(crate) mod text;
pub(crate) mod view;
