//! Warranty spare parts (三包配件): the `stock` commands that record movements, requisitions
//! and old-part shipments in a holder's ledger, and the balance and ledgers as text.

mod commands;
mod text;

pub use commands::run;
