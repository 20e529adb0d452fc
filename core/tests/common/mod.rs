//! Fixtures shared by the core's integration tests: a valid registration and a test clock.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod commands;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use fieldcore::{Channel, CustomerRequest, Market, ProofOfPurchase, Registration, Timestamp};

/// 2026-11-02 09:00 in China Standard Time.
pub fn t0() -> Timestamp {
    DateTime::parse_from_rfc3339("2026-11-02T09:00:00+08:00").unwrap()
}

pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A complaint about a motor bought five months before it was received, with an invoice.
pub fn registration() -> Registration {
    Registration {
        customer_name: "Hebei Pump Station No. 3".into(),
        customer_phone: "+86 311 5555 0101".into(),
        customer_address: "12 Canal Road, Shijiazhuang".into(),
        region: "Hebei".into(),
        home_region: false,
        market: Market::Domestic,
        product_model: "YE3-132M-4".into(),
        product_category: "motor".into(),
        serial_number: "M2406-118842".into(),
        manufacture_date: Some(date("2026-04-20")),
        purchase_date: Some(date("2026-06-01")),
        proof_of_purchase: ProofOfPurchase::Invoice("INV-0099812".into()),
        fault_description: "Motor trips the breaker two minutes after start".into(),
        customer_request: CustomerRequest::Repair,
        channel: Channel::Phone,
        received_at: t0(),
        first_responder: "Wang Fang".into(),
    }
}

/// A clock that starts at `t0() + 1 h` and moves one minute each time it is read, so every
/// command has its own time and tests are repeatable.
#[derive(Clone)]
pub struct StepClock(Arc<AtomicI64>);

impl StepClock {
    pub fn new() -> StepClock {
        StepClock(Arc::new(AtomicI64::new(60)))
    }

    pub fn boxed(&self) -> fieldcore::Clock {
        let minutes = self.0.clone();
        Box::new(move || t0() + Duration::minutes(minutes.fetch_add(1, Ordering::SeqCst)))
    }

    pub fn advance(&self, d: Duration) {
        self.0.fetch_add(d.num_minutes(), Ordering::SeqCst);
    }
}

pub fn offset() -> FixedOffset {
    *t0().offset()
}
