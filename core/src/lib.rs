//! FieldCore: the offline engine a field engineer's phone runs for a whole service visit.
//!
//! Data flows one way: a [`Command`] is checked by the pure rules ([`warranty`],
//! [`deadlines`], [`lifecycle`], [`validate`]), written as one automerge change to the case's
//! document ([`document`]), and stored by the [`Store`] together with its query projection and
//! an outbox entry in one SQLite transaction. Screens read lists from the projection and a
//! case's detail as a [`CaseView`].

pub mod blobs;
mod checkpoint;
pub mod commands;
pub mod deadlines;
pub mod document;
pub mod error;
pub mod facts;
pub mod lifecycle;
pub mod migrations;
pub mod model;
pub mod photo;
pub mod photos;
pub mod policy;
pub mod projection;
pub mod query;
pub mod records;
pub mod store;
pub mod sync;
pub mod sync_client;
pub mod sync_protocol;
pub mod validate;
pub mod view;
pub mod warranty;

pub use commands::{Applied, Command, Context};
pub use error::{Error, Result};
pub use photos::{Collected, PhotoInfo, UploadState};
pub use policy::Policies;
pub use query::{ListQuery, ListRow, Page};
pub use store::Store;
pub use view::CaseView;
