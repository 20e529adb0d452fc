//! Input checks for every command, pure: each failure names the field so a form can point at
//! it, and nothing is written when one fails.

use chrono::Duration;

use crate::error::{Error, Invalid, Result};
use crate::model::{
    Charge, ConfirmationInput, DefectInput, PartInput, ProofOfPurchase, Registration, Timestamp,
};

pub(crate) const SHORT_TEXT: usize = 200;
const LONG_TEXT: usize = 10_000;
/// Device clocks drift; a received time a little ahead of the device clock is accepted.
const CLOCK_SKEW_HOURS: i64 = 24;

pub fn registration(r: &Registration, now: Timestamp) -> Result<()> {
    required("customer_name", &r.customer_name, SHORT_TEXT)?;
    phone(&r.customer_phone)?;
    required("customer_address", &r.customer_address, LONG_TEXT)?;
    required("region", &r.region, SHORT_TEXT)?;
    required("product_model", &r.product_model, SHORT_TEXT)?;
    required("product_category", &r.product_category, SHORT_TEXT)?;
    required("serial_number", &r.serial_number, SHORT_TEXT)?;
    required("fault_description", &r.fault_description, LONG_TEXT)?;
    required("first_responder", &r.first_responder, SHORT_TEXT)?;
    if let Some(batch) = &r.production_batch {
        required("production_batch", batch, SHORT_TEXT)?;
    }
    if r.first_responder_id.is_some_and(|id| id <= 0) {
        return Err(Error::validation("first_responder_id", Invalid::NotHqUser));
    }
    match &r.proof_of_purchase {
        ProofOfPurchase::Invoice(n) | ProofOfPurchase::Voucher(n) => {
            required("proof_of_purchase", n, SHORT_TEXT)?;
            if r.purchase_date.is_none() {
                return Err(Error::validation(
                    "purchase_date",
                    Invalid::RequiredWithProofOfPurchase,
                ));
            }
        }
        ProofOfPurchase::None => {}
    }
    let received = r.received_at.date_naive();
    if r.received_at > now + Duration::hours(CLOCK_SKEW_HOURS) {
        return Err(Error::validation("received_at", Invalid::InTheFuture));
    }
    if let Some(purchase) = r.purchase_date
        && purchase > received
    {
        return Err(Error::validation("purchase_date", Invalid::AfterReceived));
    }
    if let (Some(made), Some(purchase)) = (r.manufacture_date, r.purchase_date)
        && made > purchase
    {
        return Err(Error::validation(
            "manufacture_date",
            Invalid::AfterPurchase,
        ));
    }
    if let Some(made) = r.manufacture_date
        && made > received
    {
        return Err(Error::validation(
            "manufacture_date",
            Invalid::AfterReceived,
        ));
    }
    Ok(())
}

pub fn defect(d: &DefectInput) -> Result<()> {
    required("findings", &d.findings, LONG_TEXT)?;
    for m in &d.measurements {
        required("measurement.name", &m.name, SHORT_TEXT)?;
        if !m.value.is_finite() {
            return Err(Error::validation("measurement.value", Invalid::NotFinite));
        }
        if m.unit.len() > SHORT_TEXT {
            return Err(Error::validation(
                "measurement.unit",
                Invalid::TooLong {
                    max_bytes: SHORT_TEXT,
                },
            ));
        }
    }
    photo_hashes("evidence_photos", &d.evidence_photos)
}

pub fn part(p: &PartInput) -> Result<()> {
    required("part_number", &p.part_number, SHORT_TEXT)?;
    required("specification", &p.specification, SHORT_TEXT)?;
    if p.quantity == 0 {
        return Err(Error::validation("quantity", Invalid::AtLeastOne));
    }
    optional("new_serial", p.new_serial.as_deref())?;
    optional("old_part_serial", p.old_part_serial.as_deref())?;
    if p.old_part_serial.is_some() && !p.old_part_kept {
        return Err(Error::validation(
            "old_part_serial",
            Invalid::OldPartNotKept,
        ));
    }
    Ok(())
}

pub fn confirmation(c: &ConfirmationInput) -> Result<()> {
    required("customer_name", &c.customer_name, SHORT_TEXT)?;
    if !c.accepted {
        required("reason", c.reason.as_deref().unwrap_or(""), LONG_TEXT)?;
    }
    if let Some(hash) = &c.signature_hash {
        photo_hash("signature_hash", hash)?;
    }
    Ok(())
}

pub fn charge(c: &Charge) -> Result<()> {
    money("charge", c)
}

/// An amount of money (a charge, a compensation) named `field`: not negative, in a
/// three-capital-letter currency.
pub fn money(field: &'static str, c: &Charge) -> Result<()> {
    if c.amount_minor < 0 {
        return Err(Error::validation(field, Invalid::Negative));
    }
    if c.currency.len() != 3 || !c.currency.chars().all(|ch| ch.is_ascii_uppercase()) {
        return Err(Error::validation("currency", Invalid::NotCurrencyCode));
    }
    Ok(())
}

pub fn text(field: &'static str, value: &str) -> Result<()> {
    required(field, value, LONG_TEXT)
}

pub fn photo_hashes(field: &'static str, hashes: &[String]) -> Result<()> {
    hashes.iter().try_for_each(|h| photo_hash(field, h))
}

/// Photos are addressed by the SHA-256 of their bytes, written as 64 lowercase hex digits.
pub fn photo_hash(field: &'static str, hash: &str) -> Result<()> {
    if hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(Error::validation(field, Invalid::NotPhotoHash))
    }
}

pub fn required(field: &'static str, value: &str, max: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::validation(field, Invalid::Required));
    }
    if value.len() > max {
        return Err(Error::validation(
            field,
            Invalid::TooLong { max_bytes: max },
        ));
    }
    Ok(())
}

/// Text that may be empty but not longer than a long text.
pub fn optional_text(field: &'static str, value: Option<&str>) -> Result<()> {
    match value {
        Some(v) if v.len() > LONG_TEXT => Err(Error::validation(
            field,
            Invalid::TooLong {
                max_bytes: LONG_TEXT,
            },
        )),
        _ => Ok(()),
    }
}

fn optional(field: &'static str, value: Option<&str>) -> Result<()> {
    match value {
        Some(v) => required(field, v, SHORT_TEXT),
        None => Ok(()),
    }
}

fn phone(value: &str) -> Result<()> {
    required("customer_phone", value, SHORT_TEXT)?;
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let allowed = value
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')'));
    if !allowed || !(5..=20).contains(&digits) {
        return Err(Error::validation("customer_phone", Invalid::NotPhoneNumber));
    }
    Ok(())
}
