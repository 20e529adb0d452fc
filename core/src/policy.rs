//! The policies a deployment configures, with DOMAIN's defaults. HQ owns them; the device
//! keeps the copy it last received and never edits it.

use serde::{Deserialize, Serialize};

use crate::deadlines::DeadlinePolicy;
use crate::warranty::WarrantyPolicy;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Policies {
    pub warranty: WarrantyPolicy,
    pub deadlines: DeadlinePolicy,
    /// How evidence photos are normalised; absent in policies written before photos existed.
    #[serde(default)]
    pub photos: crate::photo::PhotoPolicy,
}
