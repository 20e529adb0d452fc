//! The 三包 warranty question asked on its own, before or without a case: "would this be
//! covered?" on the registration screen, or a what-if while talking to the customer.

use fieldcore::Cause;
use fieldcore::{WarrantyInput, WarrantyPolicy};

use crate::convert::LocalDate;
use crate::error::Result;
use crate::model::ProofOfPurchase;
use crate::view::WarrantyDecision;

/// The facts the warranty rule needs.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct WarrantyQuestion {
    /// As named in the warranty policy: motor, generator, pump, ...
    pub category: String,
    /// The product model, for per-model periods.
    #[uniffi(default)]
    pub model: String,
    pub purchase_date: Option<LocalDate>,
    pub proof: ProofOfPurchase,
    /// The day the complaint was received (the customer's local date).
    pub received_date: LocalDate,
    pub cause: Cause,
}

/// Decides a warranty question under the default policy of the procedures (motors and
/// generators 12 months, pumps 6, counted from the proof of purchase, last day covered).
/// `FieldStore.check_warranty` uses the deployment's policy instead. Pure and fast: safe on
/// any thread.
#[uniffi::export]
pub fn check_warranty(question: WarrantyQuestion) -> Result<WarrantyDecision> {
    decide(&WarrantyPolicy::default(), question)
}

pub(crate) fn decide(policy: &WarrantyPolicy, q: WarrantyQuestion) -> Result<WarrantyDecision> {
    let proof = q.proof.into();
    Ok(fieldcore::decide_warranty(
        policy,
        &WarrantyInput {
            category: &q.category,
            model: &q.model,
            purchase_date: q.purchase_date,
            proof: &proof,
            received_date: q.received_date,
            cause: q.cause,
        },
    )?
    .into())
}
