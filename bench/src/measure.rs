//! What every suite measures with: the nearest-rank percentile, rounding of figures, and the
//! peak memory of the process.

use crate::error::BenchError;

/// The nearest-rank percentile `p` (0..=1) of the samples; sorts them.
pub fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((values.len() as f64 * p).ceil() as usize).clamp(1, values.len());
    values[rank - 1]
}

/// Three decimals are plenty for a benchmark figure.
pub fn round(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// Peak resident set size (VmHWM) of this process, from /proc.
pub fn peak_rss_mb() -> Result<f64, BenchError> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .ok_or_else(|| BenchError::Failed("VmHWM not in /proc/self/status".into()))
}

/// This process's CPU time so far (user and system, all threads), in milliseconds, from
/// `/proc/self/stat`; `None` where there is no such file.
pub fn process_cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // Linux counts in clock ticks of 10 ms (USER_HZ 100).
    Some(ticks * 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut samples: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(percentile(&mut samples, 0.5), 50.0);
        assert_eq!(percentile(&mut samples, 0.99), 99.0);
        assert_eq!(percentile(&mut samples, 1.0), 100.0);
        assert_eq!(percentile(&mut [7.0], 0.01), 7.0);
        assert!(percentile(&mut [], 0.5).is_nan());
    }

    #[test]
    fn figures_keep_three_decimals() {
        assert_eq!(round(1.23456), 1.235);
        assert_eq!(round(0.0004), 0.0);
    }
}
