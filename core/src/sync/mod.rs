//! Sync with HQ: the protocol's messages (shared with HQ), one round's planning and storing
//! without I/O, and the HTTP transport with TLS, retries, progress and cancellation.

pub(crate) mod driver;
pub(crate) mod protocol;
pub(crate) mod round;
pub(crate) mod standing;
pub(crate) mod transport;
