//! `fieldbench photos`: a 12 MP phone photo (shot sideways, so the orientation path runs)
//! through the photo pipeline and into fsynced files, as an import on a device would, timed
//! against the same pipeline with the image crate's own resize; then the real photos
//! ([`real_photos`](crate::real_photos)). The memory figures come from separate processes
//! that only import: the generated photo, the largest real one, and the worst input the
//! policy accepts (an 8000×8000 16-bit RGBA PNG, 64 MP at the pixel limit).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::{Duration, Instant};

use fieldcore::{PhotoPolicy, ProcessedPhoto, Resizer, StageTimings};
use image::{Rgb, RgbImage};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::error::BenchError;
use crate::measure::{peak_rss_mb, round};

const WIDTH: u32 = 4000;
const HEIGHT: u32 = 3000;
const PROBE_RUNS: usize = 5;
/// Timed imports of each real photo (the 18 MP progressive one takes most of a second).
const REAL_RUNS: usize = 5;

/// Makes the photo, times `runs` imports with each resizer, and asks the probe for memory.
pub fn photos(runs: usize) -> Result<Value, BenchError> {
    let runs = runs.max(1);
    let dir = std::env::temp_dir().join(format!("fieldbench-photos-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir)?;
    let result = run_photos(&dir, runs);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run_photos(dir: &Path, runs: usize) -> Result<Value, BenchError> {
    let input = phone_photo()?;
    let input_path = dir.join("input.jpg");
    std::fs::write(&input_path, &input)?;
    let policy = PhotoPolicy::default();
    let blobs = dir.join("blobs");
    std::fs::create_dir_all(&blobs)?;

    // One untimed import each, so page faults of first use and lazy CPU-feature detection do
    // not land in the first sample.
    import(&input, &policy, Resizer::Fast, &blobs)?;
    import(&input, &policy, Resizer::ImageOps, &blobs)?;

    let mut fast_ms = Vec::with_capacity(runs);
    let mut cpu_ms = Vec::with_capacity(runs);
    let (mut decode_ms, mut resize_ms, mut encode_ms) = (Vec::new(), Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..runs {
        let cpu_before = thread_cpu_ns();
        let started = Instant::now();
        let (photo, stages) = import(&input, &policy, Resizer::Fast, &blobs)?;
        fast_ms.push(ms(started.elapsed()));
        if let (Some(before), Some(after)) = (cpu_before, thread_cpu_ns()) {
            cpu_ms.push(after.saturating_sub(before) as f64 / 1e6);
        }
        decode_ms.push(ms(stages.decode));
        resize_ms.push(ms(stages.resize));
        encode_ms.push(ms(stages.encode));
        last = Some(photo);
    }
    let mut baseline_ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        import(&input, &policy, Resizer::ImageOps, &blobs)?;
        baseline_ms.push(ms(started.elapsed()));
    }
    let photo = last.ok_or_else(|| BenchError::Failed("no import ran".into()))?;

    let import_ms = median(&mut fast_ms);
    let baseline = median(&mut baseline_ms);
    let load_before = loadavg();
    let rss = rss_probe(&input_path, PROBE_RUNS)?;
    let (real, largest) = match crate::real_photos::measure(runs.min(REAL_RUNS), &blobs) {
        Ok((real, largest)) => (real, largest),
        Err(e) => (json!({ "real_error": e.to_string() }), None),
    };
    let largest_rss = match largest {
        Some(path) => rss_probe(&path, 1)?,
        None => Value::Null,
    };
    let worst = dir.join("worst-64mp-rgba16.png");
    worst_png(&worst)?;
    let worst_rss = rss_probe(&worst, 1)?;
    let policy_cap_mb = policy.max_decode_bytes as f64 / (1024.0 * 1024.0);
    let peak = [&rss, &largest_rss, &worst_rss]
        .iter()
        .filter_map(|v| v.get("rss_mb").and_then(Value::as_f64))
        .fold(0.0, f64::max);
    let mut out = json!({
        "suite": "photos",
        "runs": runs,
        "input": {
            "width": WIDTH, "height": HEIGHT, "bytes": input.len(),
            "jpeg_quality": 90, "exif_orientation": 6,
        },
        "import_12mp_ms": round(import_ms),
        "import_min_ms": round(fast_ms.first().copied().unwrap_or(f64::NAN)),
        "import_max_ms": round(fast_ms.last().copied().unwrap_or(f64::NAN)),
        // On-CPU time of the importing thread: what the import costs when other processes
        // compete for the two cores, as they do on a busy build machine.
        "import_cpu_ms": round(median(&mut cpu_ms)),
        "baseline_imageops_ms": round(baseline),
        "speedup": round(baseline / import_ms),
        "decode_ms": round(median(&mut decode_ms)),
        "resize_ms": round(median(&mut resize_ms)),
        "encode_ms": round(median(&mut encode_ms)),
        // The worst of the three probes, against the policy's decode cap.
        "peak_rss_mb": round(peak),
        "policy_cap_mb": round(policy_cap_mb),
        "rss_probe": rss,
        "rss_largest_real": largest_rss,
        "rss_worst_accepted_png": worst_rss,
        "width": photo.width,
        "height": photo.height,
        "thumbnail_width": photo.thumbnail_width,
        "thumbnail_height": photo.thumbnail_height,
        "output_bytes": photo.jpeg.len(),
        "thumbnail_bytes": photo.thumbnail.len(),
        "taken_at": photo.taken_at,
        "loadavg_1m": load_before,
        "loadavg_1m_end": loadavg(),
        "targets": {
            "import_12mp_ms": 150.0, "speedup": 4.0, "real_baseline_12mp_ms": 120.0,
            "real_progressive_ms": 180.0, "peak_rss_mb": round(policy_cap_mb),
        },
    });
    if let (Some(out), Value::Object(real)) = (out.as_object_mut(), real) {
        out.extend(real);
    }
    Ok(out)
}

fn loadavg() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The worst input the default policy accepts: 8000×8000 (64 MP, the pixel limit) 16-bit RGBA
/// PNG, written row by row so that the bench itself never holds its 512 MB of samples.
fn worst_png(path: &Path) -> Result<(), BenchError> {
    const SIDE: u32 = 8000;
    let failed = |e: png::EncodingError| BenchError::Failed(format!("writing the PNG: {e}"));
    let file = std::io::BufWriter::new(File::create(path)?);
    let mut encoder = png::Encoder::new(file, SIDE, SIDE);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Sixteen);
    encoder.set_compression(png::Compression::Balanced);
    // The channels step evenly along a row, so the Sub filter turns each row into a few
    // repeating bytes: a file of a few MB, under the policy's 40 MiB input limit.
    encoder.set_filter(png::Filter::Sub);
    let mut writer = encoder.write_header().map_err(failed)?;
    let mut stream = writer.stream_writer().map_err(failed)?;
    let mut row = Vec::with_capacity(SIDE as usize * 8);
    for y in 0..SIDE {
        row.clear();
        for x in 0..SIDE {
            let alpha = if (x / 500 + y / 500) % 2 == 0 {
                65_535
            } else {
                30_000
            };
            for v in [x * 8, y * 8, (x + y) * 4, alpha] {
                row.extend_from_slice(&((v % 65_536) as u16).to_be_bytes());
            }
        }
        stream.write_all(&row)?;
    }
    stream.finish().map_err(failed)?;
    Ok(())
}

/// One import as the store would do it: the pipeline, then both files written and fsynced
/// under a temporary name and renamed into place, then the folder fsynced.
pub(crate) fn import(
    bytes: &[u8],
    policy: &PhotoPolicy,
    resizer: Resizer,
    blobs: &Path,
) -> Result<(ProcessedPhoto, StageTimings), BenchError> {
    let (photo, stages) = fieldcore::process_profiled(bytes, policy, resizer)?;
    write_synced(&blobs.join(format!("{}.jpg", photo.sha256)), &photo.jpeg)?;
    write_synced(
        &blobs.join(format!("{}.jpg", photo.thumbnail_sha256)),
        &photo.thumbnail,
    )?;
    File::open(blobs)?.sync_all()?;
    Ok((photo, stages))
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), BenchError> {
    let tmp = path.with_extension("tmp");
    let mut file = File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Runs `fieldbench photos-rss-probe` on the photo in a new process.
fn rss_probe(photo: &Path, runs: usize) -> Result<Value, BenchError> {
    let exe = std::env::current_exe()?;
    let out = Process::new(exe)
        .args([
            "photos-rss-probe",
            "--json",
            "--runs",
            &runs.to_string(),
            "--photo",
        ])
        .arg(photo)
        .output()?;
    if !out.status.success() {
        return Err(BenchError::Failed(format!(
            "photo rss probe failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| BenchError::Failed(e.to_string()))
}

/// The probe: read the photo file and import it `runs` times with the fast pipeline, then
/// report the process's peak resident memory (the file's bytes included, as on a device).
pub fn photos_rss_probe(photo: &Path, runs: usize) -> Result<Value, BenchError> {
    let bytes = std::fs::read(photo)?;
    let blobs: PathBuf = photo.with_file_name(format!("probe-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&blobs)?;
    let policy = PhotoPolicy::default();
    let runs = runs.max(1);
    let mut size = (0, 0);
    for _ in 0..runs {
        let (photo, _) = import(&bytes, &policy, Resizer::Fast, &blobs)?;
        size = (photo.width, photo.height);
    }
    let _ = std::fs::remove_dir_all(&blobs);
    let name = photo.file_name().map(|n| n.to_string_lossy().into_owned());
    Ok(json!({
        "input": name, "input_bytes": bytes.len(), "imports": runs, "output": [size.0, size.1],
        "rss_mb": round(peak_rss_mb()?),
    }))
}

/// A 12 MP photo as a phone writes it: JPEG quality 90 with 4:2:0 chroma subsampling (what
/// phone cameras use), an EXIF block saying it was shot with the phone turned (orientation 6)
/// and when, and content that costs what a photo costs to code: sensor noise, soft gradients,
/// and hard edges and small "text" as on a nameplate.
fn phone_photo() -> Result<Vec<u8>, BenchError> {
    let mut rng = StdRng::seed_from_u64(12);
    let image = RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let (fx, fy) = (x as f32 / WIDTH as f32, y as f32 / HEIGHT as f32);
        // A lit wall: a diagonal gradient with a soft vignette.
        let light = 200.0 - 90.0 * ((fx - 0.5).powi(2) + (fy - 0.45).powi(2)).sqrt();
        let mut px = [light * 0.92, light * 0.88, light * 0.8];
        // A nameplate with engraved lines of characters.
        if (1200..2800).contains(&x) && (1000..2000).contains(&y) {
            px = [170.0 + 30.0 * fx, 172.0, 178.0 - 20.0 * fy];
            let (cx, cy) = ((x - 1200) % 48, (y - 1000) % 120);
            if cy > 30 && cy < 90 && cx > 6 && cx < 38 && (cx * 7 + cy * 3 + x / 48) % 11 < 5 {
                px = [40.0, 42.0, 48.0];
            }
        }
        // Bolts and a cable: round and diagonal edges.
        for (bx, by) in [(1300, 1100), (2700, 1100), (1300, 1900), (2700, 1900)] {
            let d = ((x as f32 - bx as f32).powi(2) + (y as f32 - by as f32).powi(2)).sqrt();
            if d < 35.0 {
                px = [90.0 + d, 90.0 + d, 95.0 + d];
            }
        }
        if (x as i32 - (y as i32) * 4 / 3 - 300).abs() < 40 {
            px = [30.0, 30.0, 30.0];
        }
        let noise = (rng.random::<f32>() + rng.random::<f32>() - 1.0) * 12.0;
        Rgb(px.map(|c| (c + noise).clamp(0.0, 255.0) as u8))
    });
    let mut jpeg = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut jpeg, 90);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    encoder
        .add_exif_metadata(&exif_block())
        .map_err(|e| BenchError::Failed(e.to_string()))?;
    encoder
        .encode(
            image.as_raw(),
            WIDTH as u16,
            HEIGHT as u16,
            jpeg_encoder::ColorType::Rgb,
        )
        .map_err(|e| BenchError::Failed(e.to_string()))?;
    Ok(jpeg)
}

/// Little-endian TIFF: IFD0 with Orientation = 6 and a pointer to an Exif IFD holding
/// DateTimeOriginal and OffsetTimeOriginal.
fn exif_block() -> Vec<u8> {
    // Offsets from the start of the TIFF header: IFD0 right after it, then the Exif IFD, then
    // the two strings the Exif IFD points at. Each IFD is a count, 12-byte entries and the
    // offset of the next IFD.
    const IFD0: u32 = 8;
    const EXIF_IFD: u32 = IFD0 + 2 + 2 * 12 + 4;
    const DATE: u32 = EXIF_IFD + 2 + 2 * 12 + 4;
    const OFFSET: u32 = DATE + 20;
    let mut tiff = b"II*\0".to_vec();
    tiff.extend_from_slice(&IFD0.to_le_bytes());
    tiff.extend_from_slice(&2u16.to_le_bytes());
    push_entry(&mut tiff, 0x0112, 3, 1, 6); // Orientation (SHORT): turn 90° clockwise
    push_entry(&mut tiff, 0x8769, 4, 1, EXIF_IFD); // Exif IFD pointer (LONG)
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(&2u16.to_le_bytes());
    push_entry(&mut tiff, 0x9003, 2, 20, DATE); // DateTimeOriginal (ASCII)
    push_entry(&mut tiff, 0x9011, 2, 7, OFFSET); // OffsetTimeOriginal (ASCII)
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(b"2026:03:14 10:26:53\0");
    tiff.extend_from_slice(b"+08:00\0");
    tiff
}

fn push_entry(out: &mut Vec<u8>, tag: u16, typ: u16, count: u32, value: u32) {
    out.extend_from_slice(&tag.to_le_bytes());
    out.extend_from_slice(&typ.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&value.to_le_bytes());
}

/// Nanoseconds this thread has run on a CPU, from the scheduler's statistics.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The median; sorts the samples, so the first and last are then the min and max.
pub(crate) fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn the_exif_block_says_sideways_and_when() {
        let mut jpeg = Vec::new();
        let mut encoder = jpeg_encoder::Encoder::new(&mut jpeg, 90);
        encoder.add_exif_metadata(&exif_block()).unwrap();
        encoder
            .encode(&[128; 64 * 32 * 3], 64, 32, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        let photo = fieldcore::process_photo(&jpeg, &PhotoPolicy::default()).unwrap();
        assert_eq!((photo.width, photo.height), (32, 64));
        assert_eq!(photo.taken_at.as_deref(), Some("2026-03-14T10:26:53+08:00"));
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
