//! Service cases: the `case` commands (register, work, show, list) and `warranty check`, and
//! cases as text.

mod commands;
mod text;

pub use commands::{run, warranty_check};
#[cfg(feature = "demo")]
pub use text::render;
