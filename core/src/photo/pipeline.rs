//! Evidence photos: the bytes a phone hands over become one normalised JPEG and a thumbnail,
//! with the orientation applied, every piece of metadata stripped, and the capture time (and,
//! only when the policy says so, the GPS position) read out beforehand. Pure: bytes in, bytes
//! out; storing the results is the store's job.
//!
//! The steps, and why they are in this order:
//! 1. Decoding ([`decode`](crate::photo::decode)) sniffs the format, checks pixels and memory
//!    against the policy from the header alone, refuses damaged files, and yields RGB8 (alpha
//!    composited on white, so a signature drawn on a transparent canvas stays dark on light).
//!    Pixels the platform decoded (HEIC on a phone) join here, through [`process_pixels`].
//! 2. The pixels are resized, converted to sRGB when the file carried an ICC profile
//!    ([`colour`](crate::photo::colour)), and only then turned upright: converting and
//!    rotating the small image is much cheaper than doing it on 12 MP, and a 90° turn
//!    commutes with a separable resize.
//! 3. The JPEG is encoded from raw pixels, so nothing of the original file (EXIF, GPS, XMP,
//!    ICC, comments, maker notes) can reach the output.

use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use fast_image_resize as fr;
use image::metadata::Orientation;
use image::{DynamicImage, RgbImage};
use sha2::{Digest, Sha256};

use crate::error::{Error, Invalid, Result};
use crate::model::GpsPosition;
use crate::photo::colour;
use crate::photo::decode::{self, Decoded};
use crate::photo::text::PhotoText;
use crate::rules::policy::PhotoPolicy;

/// The result of [`process`]: the bytes to store and what was learnt from the original.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessedPhoto {
    /// The normalised photo: upright, at most `max_edge`, no metadata.
    pub jpeg: Vec<u8>,
    /// SHA-256 of `jpeg`, lowercase hex: the photo's address.
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    pub thumbnail: Vec<u8>,
    pub thumbnail_sha256: String,
    pub thumbnail_width: u32,
    pub thumbnail_height: u32,
    /// When the photo was taken, from EXIF DateTimeOriginal: RFC 3339 when the camera recorded
    /// its UTC offset (OffsetTimeOriginal), else local time as `YYYY-MM-DDTHH:MM:SS`.
    pub taken_at: Option<String>,
    /// Where the photo was taken; only read when the policy keeps GPS.
    pub gps: Option<GpsPosition>,
    /// "jpeg", "png", "webp", or "platform" for pixels the platform decoded.
    pub source_format: String,
}

/// Which resizer runs. Only the benchmark picks one: it compares the fast path with the image
/// crate's own resize.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resizer {
    /// fast_image_resize, Lanczos3 convolution with SIMD.
    Fast,
    /// `image::imageops::resize`, Lanczos3: the baseline.
    ImageOps,
}

/// Where the time of one [`process_profiled`] call went.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, Default)]
pub struct StageTimings {
    /// Sniffing, header, metadata, pixel decoding and conversion to RGB8.
    pub decode: Duration,
    /// The main resize, the colour conversion and the orientation.
    pub resize: Duration,
    /// Both JPEG encodes and their hashes, with the thumbnail's resize (made on a second core
    /// while the stored image is encoded).
    pub encode: Duration,
}

/// Normalises one photo with the policy: see the module docs for the steps.
pub fn process(bytes: &[u8], policy: &PhotoPolicy) -> Result<ProcessedPhoto> {
    process_with(bytes, policy, Resizer::Fast)
}

/// [`process`] with a chosen resizer.
#[doc(hidden)]
pub fn process_with(
    bytes: &[u8],
    policy: &PhotoPolicy,
    resizer: Resizer,
) -> Result<ProcessedPhoto> {
    process_profiled(bytes, policy, resizer).map(|(photo, _)| photo)
}

/// [`process_with`], also returning how long each stage took.
#[doc(hidden)]
pub fn process_profiled(
    bytes: &[u8],
    policy: &PhotoPolicy,
    resizer: Resizer,
) -> Result<(ProcessedPhoto, StageTimings)> {
    let started = Instant::now();
    let decoded = decode::decode(bytes, policy)?;
    let metadata = read_exif(decoded.exif.as_deref(), policy.keep_gps);
    let decode_time = started.elapsed();
    finish(decoded, metadata, policy, resizer, decode_time)
}

/// A photo the platform decoded (HEIC through ImageIO or ImageDecoder): RGBA8 pixels in sRGB,
/// row by row without padding, with what the app read from the file itself.
#[derive(Debug, Clone, PartialEq)]
pub struct PlatformPixels {
    /// `width × height × 4` bytes, R G B A; alpha is composited on white.
    pub rgba: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// The EXIF orientation, 1 to 8 (1 when the pixels are upright already).
    pub orientation: u8,
    /// When the photo was taken, `YYYY-MM-DDTHH:MM:SS` with an optional UTC offset.
    pub taken_at: Option<String>,
    /// Where, when the user allowed the app to read it; stored only when the policy keeps
    /// positions, as for photo files.
    pub location: Option<GpsPosition>,
}

/// Normalises pixels the platform decoded with the policy: the same resize, orientation,
/// thumbnail and encoding as [`process`], and the same limits, so a photo is stored alike
/// whichever way it came in. Bad input (a buffer of the wrong length, an orientation out of
/// range, an unreadable capture time or position) is refused with a typed error.
pub fn process_pixels(pixels: PlatformPixels, policy: &PhotoPolicy) -> Result<ProcessedPhoto> {
    let started = Instant::now();
    let PlatformPixels {
        mut rgba,
        width,
        height,
        orientation,
        taken_at,
        location,
    } = pixels;
    decode::check_pixels(width, height, policy)?;
    let count = u64::from(width) * u64::from(height);
    if rgba.len() as u64 != count * 4 {
        return Err(Error::InvalidPhoto(PhotoText::new(
            format!(
                "像素数据应为 {width}×{height}×4 = {} 字节（RGBA），实际为 {} 字节",
                count * 4,
                rgba.len()
            ),
            format!(
                "the pixels should be {width}×{height}×4 = {} bytes (RGBA), not {}",
                count * 4,
                rgba.len()
            ),
        )));
    }
    // The app's buffer is already here; the import adds the resize's working memory.
    decode::check_memory(width, height, count * 4, count * 4, policy)?;
    let orientation = Orientation::from_exif(orientation).ok_or_else(|| {
        Error::InvalidPhoto(PhotoText::new(
            format!("方向值 {orientation} 无效：应为 1 到 8 的 EXIF 方向"),
            format!("orientation {orientation} is not an EXIF orientation (1 to 8)"),
        ))
    })?;
    let taken_at = taken_at.map(|t| normalise_capture_time(&t)).transpose()?;
    if let Some(position) = location {
        let finite = position.lat.is_finite() && position.lon.is_finite();
        if !finite || position.lat.abs() > 90.0 || position.lon.abs() > 180.0 {
            return Err(Error::validation("location", Invalid::NotCoordinate));
        }
    }
    composite_rgba_in_place(&mut rgba, count as usize);
    rgba.truncate(count as usize * 3);
    let rgb = RgbImage::from_raw(width, height, rgba).ok_or_else(|| {
        Error::InvalidPhoto(PhotoText::from("the pixel buffer does not match its size"))
    })?;
    let decoded = Decoded {
        source: "platform",
        rgb,
        size: (width, height),
        exif: None,
        icc: None,
    };
    let metadata = PhotoMetadata {
        taken_at,
        gps: if policy.keep_gps { location } else { None },
        orientation,
    };
    finish(decoded, metadata, policy, Resizer::Fast, started.elapsed()).map(|(photo, _)| photo)
}

/// A capture time as the platform gives it, in the form photo files give it: RFC 3339 with
/// the offset when there is one, else local time.
fn normalise_capture_time(text: &str) -> Result<String> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.format("%Y-%m-%dT%H:%M:%S%:z").to_string());
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
        .map(|local| local.format("%Y-%m-%dT%H:%M:%S").to_string())
        .map_err(|_| Error::validation("taken_at", Invalid::NotCaptureTime))
}

/// RGBA to RGB in the same buffer, alpha composited on white; the first `pixels × 3` bytes
/// hold the result.
fn composite_rgba_in_place(buf: &mut [u8], pixels: usize) {
    for i in 0..pixels {
        let a = u32::from(buf[4 * i + 3]);
        for c in 0..3 {
            let v = u32::from(buf[4 * i + c]);
            // Rounded integer form of c·α + 255·(1 − α).
            buf[3 * i + c] = ((v * a + 255 * (255 - a) + 127) / 255) as u8;
        }
    }
}

/// Everything after decoding: resize, colour, orientation, thumbnail, encoding, hashes.
fn finish(
    decoded: Decoded,
    metadata: PhotoMetadata,
    policy: &PhotoPolicy,
    resizer: Resizer,
    decode_time: Duration,
) -> Result<(ProcessedPhoto, StageTimings)> {
    let started = Instant::now();
    // The stored size follows the picture in the file, also when it was decoded reduced.
    let (w, h) = fit(decoded.size.0, decoded.size.1, policy.max_edge);
    let mut resized = resize(decoded.rgb, w, h, resizer)?;
    if let Some(icc) = &decoded.icc {
        colour::to_srgb(&mut resized, icc);
    }
    let mut upright = DynamicImage::ImageRgb8(resized);
    upright.apply_orientation(metadata.orientation);
    let main = upright.into_rgb8();
    let resize_time = started.elapsed();

    let started = Instant::now();
    // The thumbnail is made and encoded on a second core while the stored image is encoded:
    // they only read `main`.
    let (tw, th) = fit(main.width(), main.height(), policy.thumbnail_edge);
    let make_thumbnail = || -> Result<(RgbImage, Vec<u8>)> {
        let thumbnail = resize_ref(&main, tw, th, resizer)?;
        let jpeg = encode_jpeg(&thumbnail, policy.jpeg_quality)?;
        Ok((thumbnail, jpeg))
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (jpeg, thumb) = if cores >= 2 {
        std::thread::scope(|scope| {
            let thumb = scope.spawn(make_thumbnail);
            let jpeg = encode_jpeg(&main, policy.jpeg_quality);
            let thumb = thumb.join().unwrap_or_else(|_| {
                Err(Error::InvalidPhoto(PhotoText::from(
                    "the thumbnail thread stopped",
                )))
            });
            (jpeg, thumb)
        })
    } else {
        (encode_jpeg(&main, policy.jpeg_quality), make_thumbnail())
    };
    let (jpeg, (thumbnail, thumb_jpeg)) = (jpeg?, thumb?);
    let photo = ProcessedPhoto {
        sha256: sha256_hex(&jpeg),
        jpeg,
        width: main.width(),
        height: main.height(),
        thumbnail_sha256: sha256_hex(&thumb_jpeg),
        thumbnail: thumb_jpeg,
        thumbnail_width: thumbnail.width(),
        thumbnail_height: thumbnail.height(),
        taken_at: metadata.taken_at,
        gps: metadata.gps,
        source_format: decoded.source.to_owned(),
    };
    let encode_time = started.elapsed();

    Ok((
        photo,
        StageTimings {
            decode: decode_time,
            resize: resize_time,
            encode: encode_time,
        },
    ))
}

/// SHA-256 of `bytes` as lowercase hex: how photos are addressed everywhere.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(digest.len() * 2);
    for byte in digest.iter() {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

// ---------------------------------------------------------------------------------------------
// Resizing

/// The size that fits `w`×`h` into a square of `edge`, keeping the aspect ratio; never larger
/// than the original.
fn fit(w: u32, h: u32, edge: u32) -> (u32, u32) {
    let edge = edge.max(1);
    let long = w.max(h);
    if long <= edge {
        return (w, h);
    }
    let scale = |side: u32| {
        let scaled = (u64::from(side) * u64::from(edge) + u64::from(long) / 2) / u64::from(long);
        (scaled as u32).max(1)
    };
    (scale(w), scale(h))
}

/// Resizes, reusing the image itself when it already has the size.
fn resize(src: RgbImage, w: u32, h: u32, resizer: Resizer) -> Result<RgbImage> {
    if src.dimensions() == (w, h) {
        return Ok(src);
    }
    resize_ref(&src, w, h, resizer)
}

fn resize_ref(src: &RgbImage, w: u32, h: u32, resizer: Resizer) -> Result<RgbImage> {
    if src.dimensions() == (w, h) {
        return Ok(src.clone());
    }
    match resizer {
        Resizer::Fast => resize_fast(src, w, h),
        Resizer::ImageOps => Ok(image::imageops::resize(
            src,
            w,
            h,
            image::imageops::FilterType::Lanczos3,
        )),
    }
}

/// Below this many source pixels one thread resizes: starting threads costs more than it saves.
const PARALLEL_RESIZE_PIXELS: u64 = 2_000_000;

/// Lanczos3 with fast_image_resize, straight from the decoder's buffer (no copy in). A large
/// picture is resized in horizontal bands of the output, one per core (at most four): each
/// band reads its own rows of the source plus the filter's reach beyond them (the resizer
/// clamps the filter to the whole picture, not the band), so the bands join without a seam.
fn resize_fast(src: &RgbImage, w: u32, h: u32) -> Result<RgbImage> {
    let pixels = u64::from(src.width()) * u64::from(src.height());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let bands = if pixels >= PARALLEL_RESIZE_PIXELS {
        cores.clamp(1, 4).min(h as usize)
    } else {
        1
    };
    resize_bands(src, w, h, bands.max(1) as u32)
}

fn resize_bands(src: &RgbImage, w: u32, h: u32, bands: u32) -> Result<RgbImage> {
    let internal =
        |e: &dyn std::fmt::Display| Error::InvalidPhoto(format!("resize failed: {e}").into());
    let view =
        fr::images::ImageRef::new(src.width(), src.height(), src.as_raw(), fr::PixelType::U8x3)
            .map_err(|e| internal(&e))?;
    let scale = f64::from(src.height()) / f64::from(h);
    // Output rows [start, end) of each band.
    let edges: Vec<(u32, u32)> = (0..bands)
        .map(|b| (h * b / bands, h * (b + 1) / bands))
        .collect();
    let resize_band = |(start, end): (u32, u32)| {
        let mut dst = fr::images::Image::new(w, end - start, fr::PixelType::U8x3);
        let options = fr::ResizeOptions::new()
            .resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3))
            .crop(
                0.0,
                f64::from(start) * scale,
                f64::from(src.width()),
                f64::from(end - start) * scale,
            );
        fr::Resizer::new()
            .resize(&view, &mut dst, &options)
            .map(|()| dst.into_vec())
            .map_err(|e| internal(&e))
    };
    let parts: Vec<Result<Vec<u8>>> = if bands == 1 {
        vec![resize_band((0, h))]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = edges
                .iter()
                .map(|&band| scope.spawn(move || resize_band(band)))
                .collect();
            handles
                .into_iter()
                .map(|handle| {
                    handle
                        .join()
                        .unwrap_or_else(|_| Err(internal(&"a resize thread panicked")))
                })
                .collect()
        })
    };
    let mut out = Vec::with_capacity(w as usize * h as usize * 3);
    for part in parts {
        out.extend_from_slice(&part?);
    }
    RgbImage::from_raw(w, h, out).ok_or_else(|| internal(&"the resized buffer has the wrong size"))
}

// ---------------------------------------------------------------------------------------------
// Encoding

/// Baseline JPEG from raw RGB pixels: no APP segment but the JFIF header, so no metadata.
///
/// jpeg-encoder (its `simd` feature: AVX2 colour conversion and DCT) was chosen over the image
/// crate's `JpegEncoder`. Measured on the 1536×2048 output of the `fieldctl bench photos`
/// photo at quality 82, best of 8 on the 2-core dev machine: image 74 ms (4:4:4, the only
/// sampling it writes; 324 KB), jpeg-encoder 35 ms at 4:4:4 (337 KB) and 22 ms at 4:2:0
/// (295 KB). Three times faster and a smaller file is material when the whole import has a
/// 150 ms budget.
fn encode_jpeg(rgb: &RgbImage, quality: u8) -> Result<Vec<u8>> {
    let quality = quality.clamp(1, 100);
    let (w, h) = rgb.dimensions();
    let (w16, h16) = match (u16::try_from(w), u16::try_from(h)) {
        (Ok(w), Ok(h)) => (w, h),
        _ => {
            return Err(Error::PhotoTooLarge(PhotoText::new(
                format!("{w}×{h} 超出 JPEG 能保存的尺寸，请调低照片策略的最长边（max_edge）"),
                format!("{w}×{h} is beyond what JPEG can store; lower max_edge"),
            )));
        }
    };
    let mut out = Vec::with_capacity(rgb.as_raw().len() / 8);
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    // Chroma subsampling below quality 90 (as the encoder itself would choose), spelled out so
    // that a change of the crate's default cannot change every photo's hash.
    encoder.set_sampling_factor(if quality < 90 {
        jpeg_encoder::SamplingFactor::F_2_2
    } else {
        jpeg_encoder::SamplingFactor::F_1_1
    });
    encoder
        .encode(rgb.as_raw(), w16, h16, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| Error::InvalidPhoto(format!("JPEG encoding failed: {e}").into()))?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// EXIF

#[derive(Debug)]
struct PhotoMetadata {
    taken_at: Option<String>,
    gps: Option<GpsPosition>,
    orientation: Orientation,
}

impl Default for PhotoMetadata {
    fn default() -> PhotoMetadata {
        PhotoMetadata {
            taken_at: None,
            gps: None,
            orientation: Orientation::NoTransforms,
        }
    }
}

/// Orientation, capture time and (when kept) position from the raw EXIF block (TIFF
/// structure) the decoder found. Anything missing, blank or out of range is simply absent:
/// metadata is a help, not a requirement, so a photo whose EXIF block is damaged is still
/// evidence, imported as stored and without a capture time.
fn read_exif(raw: Option<&[u8]>, keep_gps: bool) -> PhotoMetadata {
    let Some(raw) = raw else {
        return PhotoMetadata::default();
    };
    // A damaged maker note must not cost the capture time: take what parsed.
    let exif = match exif::Reader::new()
        .continue_on_error(true)
        .read_raw(raw.to_vec())
    {
        Ok(exif) => exif,
        Err(exif::Error::PartialResult(partial)) => partial.into_inner().0,
        Err(_) => return PhotoMetadata::default(),
    };
    let orientation = exif
        .get_field(exif::Tag::Orientation, exif::In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .and_then(|v| u8::try_from(v).ok())
        .and_then(Orientation::from_exif)
        .unwrap_or(Orientation::NoTransforms);
    PhotoMetadata {
        taken_at: taken_at(&exif),
        gps: if keep_gps { gps(&exif) } else { None },
        orientation,
    }
}

fn ascii_field(exif: &exif::Exif, tag: exif::Tag) -> Option<&[u8]> {
    match &exif.get_field(tag, exif::In::PRIMARY)?.value {
        exif::Value::Ascii(values) => values.first().map(Vec::as_slice),
        _ => None,
    }
}

fn taken_at(exif: &exif::Exif) -> Option<String> {
    let mut dt =
        exif::DateTime::from_ascii(ascii_field(exif, exif::Tag::DateTimeOriginal)?).ok()?;
    if let Some(offset) = ascii_field(exif, exif::Tag::OffsetTimeOriginal) {
        // An unreadable offset leaves the local time, which is still true.
        let _ = dt.parse_offset(offset);
    }
    // kamadak-exif does not range-check; "0000:00:00 00:00:00" from unset camera clocks and
    // similar values fail here.
    let date = NaiveDate::from_ymd_opt(i32::from(dt.year), dt.month.into(), dt.day.into())?;
    let time = NaiveTime::from_hms_opt(dt.hour.into(), dt.minute.into(), dt.second.into())?;
    let local = NaiveDateTime::new(date, time);
    let offset = dt
        .offset
        .and_then(|minutes| FixedOffset::east_opt(i32::from(minutes) * 60));
    Some(match offset {
        Some(offset) => offset
            .from_local_datetime(&local)
            .single()?
            .format("%Y-%m-%dT%H:%M:%S%:z")
            .to_string(),
        None => local.format("%Y-%m-%dT%H:%M:%S").to_string(),
    })
}

fn gps(exif: &exif::Exif) -> Option<GpsPosition> {
    let lat = coordinate(
        exif,
        exif::Tag::GPSLatitude,
        exif::Tag::GPSLatitudeRef,
        b'S',
    )?;
    let lon = coordinate(
        exif,
        exif::Tag::GPSLongitude,
        exif::Tag::GPSLongitudeRef,
        b'W',
    )?;
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon))
        .then_some(GpsPosition { lat, lon })
}

/// Degrees, minutes, seconds and a hemisphere letter as signed decimal degrees. Without the
/// hemisphere the sign is unknown, so the coordinate is dropped rather than guessed.
fn coordinate(exif: &exif::Exif, tag: exif::Tag, ref_tag: exif::Tag, negative: u8) -> Option<f64> {
    let exif::Value::Rational(parts) = &exif.get_field(tag, exif::In::PRIMARY)?.value else {
        return None;
    };
    let hemisphere = *ascii_field(exif, ref_tag)?.first()?;
    let mut degrees = 0.0;
    for (part, unit) in parts.iter().zip([1.0, 60.0, 3600.0]) {
        if part.denom == 0 {
            return None;
        }
        degrees += part.to_f64() / unit;
    }
    if parts.is_empty() || !degrees.is_finite() {
        return None;
    }
    Some(if hemisphere.eq_ignore_ascii_case(&negative) {
        -degrees
    } else {
        degrees
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_the_aspect_ratio_and_never_upscales() {
        assert_eq!(fit(4000, 3000, 2048), (2048, 1536));
        assert_eq!(fit(3000, 4000, 2048), (1536, 2048));
        assert_eq!(fit(1000, 800, 2048), (1000, 800));
        assert_eq!(fit(2048, 1536, 320), (320, 240));
        assert_eq!(fit(10_000, 1, 320), (320, 1));
    }

    #[test]
    fn capture_times_from_the_platform_are_normalised_or_refused() {
        assert_eq!(
            normalise_capture_time("2026-03-14T10:26:53+08:00").unwrap(),
            "2026-03-14T10:26:53+08:00"
        );
        assert_eq!(
            normalise_capture_time("2026-03-14T02:26:53Z").unwrap(),
            "2026-03-14T02:26:53+00:00"
        );
        assert_eq!(
            normalise_capture_time("2026-03-14T10:26:53").unwrap(),
            "2026-03-14T10:26:53"
        );
        for bad in ["yesterday", "2026-13-01T00:00:00", "2026-03-14"] {
            assert!(matches!(
                normalise_capture_time(bad),
                Err(Error::Validation {
                    reason: Invalid::NotCaptureTime,
                    ..
                })
            ));
        }
    }

    #[test]
    fn resizing_in_bands_matches_resizing_whole() {
        let src = RgbImage::from_fn(1203, 917, |x, y| {
            image::Rgb([
                (x * 7 % 256) as u8,
                (y * 5 % 256) as u8,
                ((x ^ y) % 256) as u8,
            ])
        });
        let whole = resize_bands(&src, 401, 306, 1).unwrap();
        for bands in [2, 3, 4] {
            let banded = resize_bands(&src, 401, 306, bands).unwrap();
            let worst = whole
                .as_raw()
                .iter()
                .zip(banded.as_raw())
                .map(|(a, b)| a.abs_diff(*b))
                .max();
            assert!(worst <= Some(1), "{bands} bands: off by {worst:?}");
        }
    }

    #[test]
    fn hex_is_lowercase_and_complete() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
