//! The after-sales rules as pure functions: input checks, the case lifecycle, 三包 warranty,
//! the official working-day calendar, deadlines, the parts catalog, old-part custody, and the
//! policies that configure them. No I/O, no storage: bytes and dates in, decisions and their
//! explanations out.

pub(crate) mod authority;
pub(crate) mod calendar;
pub(crate) mod company_time;
pub(crate) mod custody;
pub(crate) mod deadlines;
pub(crate) mod lifecycle;
pub(crate) mod parts_catalog;
pub(crate) mod policy;
pub(crate) mod returns;
pub(crate) mod validate;
pub(crate) mod warranty;
