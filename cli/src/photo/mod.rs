//! Evidence photos on a case: the `photo` commands (attach, list, show and export, remove) and
//! photos as text, including the short forms the case view and the demo use.

mod commands;
mod text;

pub use commands::run;
pub use text::line;
#[cfg(feature = "demo")]
pub use text::{dimensions, short_hash, size};
