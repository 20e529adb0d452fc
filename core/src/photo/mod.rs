//! Evidence photos: the pure processing pipeline, and importing, listing, receiving and
//! collecting photos on cases (the blob files and rows themselves belong to the store).

pub(crate) mod colour;
pub(crate) mod decode;
pub(crate) mod import;
pub(crate) mod pipeline;
pub(crate) mod progressive;
pub(crate) mod reduced;
pub(crate) mod text;
