//! The real-photo half of `fieldbench photos`: full-size JPEGs from Debian's wallpaper
//! packages (fetched by `bench/real-photos.sh`, never committed), each imported as a device
//! would, and each also damaged three ways in its scan data (zeroed, random bytes, random
//! bytes without 0xFF), as a failing card or an interrupted copy damages a file, to show the
//! damage is refused on real scans as well as on generated ones.

use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::Instant;

use fieldcore::{PhotoPolicy, Resizer};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::error::BenchError;
use crate::measure::round;
use crate::photos::{import, median, ms};

/// Where the photos are: `FIELDBENCH_REAL_PHOTOS`, else `target/real-photos` in the workspace.
pub fn photo_dir() -> PathBuf {
    match std::env::var_os("FIELDBENCH_REAL_PHOTOS") {
        Some(dir) => PathBuf::from(dir),
        None => workspace().join("target").join("real-photos"),
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The photos, fetching them first when the folder has none.
fn photos() -> Result<Vec<PathBuf>, BenchError> {
    let dir = photo_dir();
    if list(&dir).is_empty() {
        let script = workspace().join("bench").join("real-photos.sh");
        let out = Process::new("bash").arg(&script).arg(&dir).output()?;
        if !out.status.success() {
            return Err(BenchError::Failed(format!(
                "fetching the real photos failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
    }
    Ok(list(&dir))
}

fn list(dir: &Path) -> Vec<PathBuf> {
    let mut photos: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
                .collect()
        })
        .unwrap_or_default();
    photos.sort();
    photos
}

/// One photo's figures.
struct Measured {
    name: String,
    progressive: bool,
    megapixels: f64,
    samples: Vec<f64>,
    /// CPU time of the whole process (every thread) per import: what the import costs when
    /// other processes compete for the cores.
    cpu: Vec<f64>,
}

/// Times `runs` imports of each real photo and tries the damaged copies; returns the figures
/// and the largest photo (for the memory probe).
pub fn measure(runs: usize, blobs: &Path) -> Result<(Value, Option<PathBuf>), BenchError> {
    let paths = photos()?;
    if paths.is_empty() {
        return Err(BenchError::Failed("no real photos to measure".into()));
    }
    let policy = PhotoPolicy::default();
    let mut measured = Vec::new();
    let mut rows = Vec::new();
    let mut damaged = (0usize, 0usize);
    let mut largest: Option<(u64, PathBuf)> = None;
    for path in &paths {
        let bytes = std::fs::read(path)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // The untimed first import: page faults of first use, CPU-feature detection.
        let (photo, _) = import(&bytes, &policy, Resizer::Fast, blobs)?;
        let (width, height) = jpeg_size(&bytes).unwrap_or((0, 0));
        let pixels = u64::from(width) * u64::from(height);
        if largest.as_ref().is_none_or(|(p, _)| pixels > *p) {
            largest = Some((pixels, path.clone()));
        }
        let mut samples = Vec::with_capacity(runs);
        let mut cpu = Vec::with_capacity(runs);
        let (mut decode, mut resize, mut encode) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs {
            let cpu_before = process_cpu_ms();
            let started = Instant::now();
            let (_, stages) = import(&bytes, &policy, Resizer::Fast, blobs)?;
            samples.push(ms(started.elapsed()));
            if let (Some(before), Some(after)) = (cpu_before, process_cpu_ms()) {
                cpu.push(after - before);
            }
            decode.push(ms(stages.decode));
            resize.push(ms(stages.resize));
            encode.push(ms(stages.encode));
        }
        let refused: Vec<&str> = damaged_copies(&bytes)
            .into_iter()
            .filter(|(_, copy)| fieldcore::process_photo(copy, &policy).is_err())
            .map(|(kind, _)| kind)
            .collect();
        damaged.0 += refused.len();
        damaged.1 += 3;
        let progressive = name.starts_with("prog-");
        let megapixels = pixels as f64 / 1e6;
        rows.push(json!({
            "name": name,
            "width": width,
            "height": height,
            "process": if progressive { "progressive" } else { "baseline" },
            "bytes": bytes.len(),
            "median_ms": round(median(&mut samples.clone())),
            "cpu_ms": round(median(&mut cpu.clone())),
            "decode_ms": round(median(&mut decode)),
            "resize_ms": round(median(&mut resize)),
            "encode_ms": round(median(&mut encode)),
            "output": [photo.width, photo.height],
            "damaged_refused": refused,
        }));
        measured.push(Measured {
            name,
            progressive,
            megapixels,
            samples,
            cpu,
        });
    }
    // The targets are medians over every sample of the photos in the 12–16 MP class.
    let pooled = |progressive: bool, cpu: bool| {
        let mut all: Vec<f64> = measured
            .iter()
            .filter(|m| m.progressive == progressive && (12.0..=16.5).contains(&m.megapixels))
            .flat_map(|m| if cpu { &m.cpu } else { &m.samples }.iter().copied())
            .collect();
        round(median(&mut all))
    };
    let largest_progressive = measured
        .iter()
        .filter(|m| m.progressive)
        .max_by(|a, b| a.megapixels.total_cmp(&b.megapixels))
        .map(|m| json!({ "name": m.name, "median_ms": round(median(&mut m.samples.clone())) }));
    Ok((
        json!({
            "real_baseline_12mp_ms": pooled(false, false),
            "real_progressive_ms": pooled(true, false),
            "real_baseline_12mp_cpu_ms": pooled(false, true),
            "real_progressive_cpu_ms": pooled(true, true),
            "real_largest_progressive": largest_progressive,
            "real_damaged_refused": format!("{} of {}", damaged.0, damaged.1),
            "real_photos": rows,
        }),
        largest.map(|(_, p)| p),
    ))
}

/// The two damages of the issue, in the middle of the scan data (from the first scan to the
/// end marker) with the length and the end marker intact: 64 KiB zeroed, and 8 KiB of random
/// bytes; and 8 KiB of random bytes without 0xFF, which makes no marker the structure walk
/// could notice (only decoding the scan shows it). The middle of the file is not good enough: a photo with megabytes of XMP in front
/// (Rhythm) has it in a metadata segment, which the stored photo never carries.
fn damaged_copies(photo: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let start = scan_data_start(photo).unwrap_or(0);
    let end = photo.len().saturating_sub(2).max(start);
    let span = end - start;
    let zero_len = (64 * 1024).min(span / 4);
    let random_len = (8 * 1024).min(span / 4);
    let middle = start + span / 2;
    let mut zeroed = photo.to_vec();
    zeroed[middle..middle + zero_len].fill(0);
    let mut random = photo.to_vec();
    let mut rng = StdRng::seed_from_u64(middle as u64);
    for b in &mut random[middle..middle + random_len] {
        *b = rng.random();
    }
    let mut unmarked = photo.to_vec();
    for b in &mut unmarked[middle..middle + random_len] {
        *b = rng.random_range(0..=0xFE);
    }
    vec![
        ("zeroed_64k", zeroed),
        ("random_8k", random),
        ("random_8k_no_ff", unmarked),
    ]
}

/// Where the first scan's entropy-coded data starts: after its SOS segment.
fn scan_data_start(jpeg: &[u8]) -> Option<usize> {
    let mut at = 2;
    while at + 4 <= jpeg.len() {
        if jpeg[at] != 0xFF {
            return None;
        }
        let marker = jpeg[at + 1];
        let len = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        at += 2 + len;
        if marker == 0xDA {
            return Some(at);
        }
    }
    None
}

/// User plus system CPU time of this process so far, in ms, from /proc (clock ticks of 10 ms).
fn process_cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks * 10.0)
}

/// Width and height from a JPEG's frame header.
fn jpeg_size(jpeg: &[u8]) -> Option<(u32, u32)> {
    let mut at = 2;
    while at + 9 < jpeg.len() {
        if jpeg[at] != 0xFF {
            return None;
        }
        let marker = jpeg[at + 1];
        let len = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        if matches!(marker, 0xC0..=0xC2) {
            let h = u16::from_be_bytes([jpeg[at + 5], jpeg[at + 6]]);
            let w = u16::from_be_bytes([jpeg[at + 7], jpeg[at + 8]]);
            return Some((u32::from(w), u32::from(h)));
        }
        at += 2 + len;
    }
    None
}
