//! The benchmarks' one error type: the engine's and HQ's errors, file system errors, and a suite that
//! could not run to the end.

use std::io;

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Core(#[from] fieldcore::Error),

    #[error(transparent)]
    Hq(#[from] fieldhq::Error),

    #[error("file system error: {0}")]
    Io(#[from] io::Error),

    /// A benchmark could not run to the end.
    #[error("benchmark failed: {0}")]
    Failed(String),
}
