//! The after-sales rules as pure functions: input checks, the case lifecycle, 三包 warranty,
//! the official working-day calendar, deadlines, the parts catalog, old-part custody, the
//! quarterly write-off of spare parts, and the policies that configure them. No I/O, no
//! storage: bytes and dates in, decisions and their explanations out.

pub(crate) mod authority;
pub(crate) mod calendar;
pub(crate) mod company_time;
pub(crate) mod custody;
pub(crate) mod deadlines;
pub(crate) mod lifecycle;
pub(crate) mod parts_catalog;
pub(crate) mod policy;
pub(crate) mod quarter;
pub(crate) mod returns;
pub(crate) mod stock;
pub(crate) mod validate;
pub(crate) mod warranty;
pub(crate) mod writeoff;
