//! Returns and exchanges (退换货, RMA): the `rma` commands (request, receive, amend, inspect,
//! replenish, replacement, analysis, show) and a case's returns as text, which `case show`
//! prints too.

mod commands;
mod text;

pub use commands::{return_json, run};
pub use text::returns_text;
#[cfg(feature = "demo")]
pub use text::{receipt_text, return_line};
