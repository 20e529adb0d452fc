//! Evidence photos: the bytes a phone hands over become one normalised JPEG and a thumbnail,
//! with the orientation applied, every piece of metadata stripped, and the capture time (and,
//! only when the policy says so, the GPS position) read out beforehand. Pure: bytes in, bytes
//! out; storing the results is the store's job.
//!
//! The steps, and why they are in this order:
//! 1. The format is sniffed from the magic bytes before any decoder runs, so HEIC (what an
//!    iPhone shoots by default) gets an error that says how to fix it rather than "invalid".
//! 2. The decoder reads only the header first; the pixel count is checked against the policy
//!    before a single pixel buffer exists, so a 100000×100000 header costs nothing.
//! 3. The pixels are decoded under [`image::Limits`], turned into RGB8 (alpha composited on
//!    white, so a signature drawn on a transparent canvas stays dark on light), resized, and
//!    only then turned upright: rotating the small image is much cheaper than rotating 12 MP,
//!    and a 90° turn commutes with a separable resize.
//! 4. The JPEG is encoded from raw pixels, so nothing of the original file (EXIF, GPS, XMP,
//!    ICC, comments, maker notes) can reach the output.

use std::io::Cursor;
use std::time::{Duration, Instant};

use chrono::{FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use fast_image_resize as fr;
use image::codecs::jpeg::JpegDecoder;
use image::codecs::png::PngDecoder;
use image::codecs::webp::WebPDecoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, Limits, RgbImage};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::model::GpsPosition;
use crate::rules::policy::PhotoPolicy;

/// The widest or tallest image any decoder is allowed to start on. JPEG cannot describe more,
/// and no phone camera or panorama mode comes near it; a PNG header claiming more is refused
/// by the decoder itself.
const MAX_DECODE_EDGE: u32 = 65_535;

const HEIC_HINT: &str = "convert the photo to JPEG on the device (e.g. request JPEG from the \
                         camera or photo picker) before importing";
const CONVERT_HINT: &str = "export the photo as JPEG (or PNG) on the device before importing";

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
    /// "jpeg", "png" or "webp".
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
    /// Both resizes and the orientation.
    pub resize: Duration,
    /// Both JPEG encodes and their hashes.
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
    let decoded = decode(bytes, policy)?;
    let metadata = read_exif(decoded.exif.as_deref(), policy.keep_gps);
    let decode_time = started.elapsed();

    let started = Instant::now();
    let (w, h) = fit(decoded.rgb.width(), decoded.rgb.height(), policy.max_edge);
    let resized = resize(decoded.rgb, w, h, resizer)?;
    let mut upright = DynamicImage::ImageRgb8(resized);
    upright.apply_orientation(decoded.orientation);
    let main = upright.into_rgb8();
    let (tw, th) = fit(main.width(), main.height(), policy.thumbnail_edge);
    let thumbnail = resize_ref(&main, tw, th, resizer)?;
    let resize_time = started.elapsed();

    let started = Instant::now();
    let jpeg = encode_jpeg(&main, policy.jpeg_quality)?;
    let thumb_jpeg = encode_jpeg(&thumbnail, policy.jpeg_quality)?;
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
        source_format: decoded.format.name().to_owned(),
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
// Format sniffing

/// The formats the decoders here accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Jpeg,
    Png,
    WebP,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::WebP => "webp",
        }
    }
}

/// Names the format from its magic bytes, or says why it cannot be imported.
fn sniff(bytes: &[u8]) -> Result<Format> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(Format::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(Format::Png);
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Ok(Format::WebP);
    }
    if let Some(kind) = iso_media_kind(bytes) {
        let hint = if kind == "HEIC" || kind == "AVIF" {
            HEIC_HINT
        } else {
            CONVERT_HINT
        };
        return Err(unsupported(&kind, hint));
    }
    const OTHERS: &[(&[u8], &str)] = &[
        (b"II*\0", "TIFF"),
        (b"MM\0*", "TIFF"),
        (b"GIF87a", "GIF"),
        (b"GIF89a", "GIF"),
        (b"\xFF\x0A", "JPEG XL"),
        (b"\0\0\0\x0CJXL \r\n\x87\n", "JPEG XL"),
        (b"\0\0\0\x0CjP  \r\n\x87\n", "JPEG 2000"),
        (b"8BPS", "PSD"),
        (b"%PDF", "PDF"),
        (b"\0\0\x01\0", "ICO"),
    ];
    for (magic, name) in OTHERS {
        if bytes.starts_with(magic) {
            return Err(unsupported(name, CONVERT_HINT));
        }
    }
    // "BM" alone is too weak a signature; a BMP header also has room for its fixed fields.
    if bytes.starts_with(b"BM") && bytes.len() >= 26 {
        return Err(unsupported("BMP", CONVERT_HINT));
    }
    Err(Error::InvalidPhoto(
        "not a photo: the bytes match no image format".into(),
    ))
}

/// For an ISO base media file (`ftyp` box first), what kind of file its brands say it is.
fn iso_media_kind(bytes: &[u8]) -> Option<String> {
    if bytes.len() < 12 || &bytes[4..8] != b"ftyp" {
        return None;
    }
    let box_len = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let end = box_len.clamp(12, bytes.len());
    // The major brand, then (after a 4-byte minor version) the compatible brands.
    let mut brands = vec![&bytes[8..12]];
    if end > 16 {
        brands.extend(bytes[16..end].chunks_exact(4));
    }
    let has = |names: &[&[u8]]| brands.iter().any(|b| names.contains(b));
    if has(&[b"avif", b"avis"]) {
        return Some("AVIF".into());
    }
    if has(&[
        b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1",
    ]) {
        return Some("HEIC".into());
    }
    // Anything else in an ISO box is a video or another container, not a photo.
    let major: String = bytes[8..12]
        .iter()
        .map(|&c| {
            if c.is_ascii_alphanumeric() {
                c as char
            } else {
                '?'
            }
        })
        .collect();
    Some(format!("ISO media ({major})"))
}

fn unsupported(format: &str, hint: &str) -> Error {
    Error::UnsupportedPhoto {
        format: format.to_owned(),
        hint: hint.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding

struct Decoded {
    format: Format,
    rgb: RgbImage,
    orientation: Orientation,
    exif: Option<Vec<u8>>,
}

fn decode(bytes: &[u8], policy: &PhotoPolicy) -> Result<Decoded> {
    if bytes.is_empty() {
        return Err(Error::InvalidPhoto("the photo is empty".into()));
    }
    if bytes.len() > policy.max_input_bytes {
        return Err(Error::PhotoTooLarge(format!(
            "{} bytes, more than the {} allowed",
            bytes.len(),
            policy.max_input_bytes
        )));
    }
    let format = sniff(bytes)?;
    if format == Format::Jpeg && !jpeg_has_end(bytes) {
        return Err(Error::InvalidPhoto(
            "truncated jpeg: the image data has no end marker".into(),
        ));
    }
    if format == Format::WebP && !webp_chunks_fit(bytes) {
        return Err(Error::InvalidPhoto(
            "damaged or truncated webp: a chunk runs past the end of the file".into(),
        ));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODE_EDGE);
    limits.max_image_height = Some(MAX_DECODE_EDGE);
    limits.max_alloc = Some(policy.max_decode_bytes);

    let reader = Cursor::new(bytes);
    let decoder: Box<dyn ImageDecoder + '_> = match format {
        Format::Jpeg => Box::new(JpegDecoder::new(reader).map_err(|e| image_error(format, e))?),
        Format::Png => Box::new(
            PngDecoder::with_limits(reader, limits.clone()).map_err(|e| image_error(format, e))?,
        ),
        Format::WebP => Box::new(WebPDecoder::new(reader).map_err(|e| image_error(format, e))?),
    };
    decode_pixels(format, decoder, limits, policy)
}

fn decode_pixels(
    format: Format,
    mut decoder: Box<dyn ImageDecoder + '_>,
    mut limits: Limits,
    policy: &PhotoPolicy,
) -> Result<Decoded> {
    let (width, height) = decoder.dimensions();
    let pixels = u64::from(width) * u64::from(height);
    if pixels > policy.max_pixels {
        return Err(Error::PhotoTooLarge(format!(
            "{width}×{height} is {pixels} pixels, more than the {} allowed",
            policy.max_pixels
        )));
    }
    if width == 0 || height == 0 {
        return Err(Error::InvalidPhoto(format!(
            "the header says {width}×{height}"
        )));
    }
    // Metadata is a help, not a requirement: a photo whose EXIF block is damaged is still
    // evidence, so it is imported upright-as-stored and without a capture time.
    let exif = decoder.exif_metadata().ok().flatten();
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);

    // The output buffer counts against the memory limit, as `ImageReader::decode` does it; the
    // decoder gets what is left for its own working memory.
    limits
        .reserve(decoder.total_bytes())
        .map_err(|e| image_error(format, e))?;
    decoder
        .set_limits(limits)
        .map_err(|e| image_error(format, e))?;
    let image = DynamicImage::from_decoder(decoder).map_err(|e| image_error(format, e))?;
    Ok(Decoded {
        format,
        rgb: into_rgb8(image),
        orientation,
        exif,
    })
}

/// Whether the JPEG's image data is complete. The decoder is lenient (as browsers are) and
/// paints the missing rest of a cut-off file grey; a half-grey photo is useless as evidence, so
/// a file whose scan never reaches the end-of-image marker is refused. The segments before the
/// first scan are skipped by their lengths because the EXIF block holds a whole thumbnail
/// JPEG, end marker included. Inside scan data an 0xFF byte is always followed by 0x00 or a
/// restart marker, so the first FF D9 after the scan starts is the real end; anything a phone
/// appends after it (Motion Photo video, vendor trailers) does not matter.
fn jpeg_has_end(bytes: &[u8]) -> bool {
    let mut at = 2;
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        while bytes.get(at) == Some(&0xFF) && bytes.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (bytes.get(at), bytes.get(at + 1)) else {
            return false;
        };
        at += 2;
        match marker {
            0xDA => break,
            0xD9 => return false,
            0x01 | 0xD0..=0xD7 => continue,
            _ => {
                let (Some(&hi), Some(&lo)) = (bytes.get(at), bytes.get(at + 1)) else {
                    return false;
                };
                at += usize::from(u16::from_be_bytes([hi, lo]));
            }
        }
    }
    bytes
        .get(at..)
        .is_some_and(|scan| scan.windows(2).any(|w| w == [0xFF, 0xD9]))
}

/// Whether every RIFF chunk of a WebP file lies inside the file. image-webp 0.2.4 allocates a
/// metadata chunk (EXIF, ICC, XMP) at the size its header claims before reading it, and the
/// image crate's wrapper sets no memory limit on it: fuzzing found a 618-byte file whose EXIF
/// chunk claims 3.4 GB, enough to kill a phone app. Refusing chunks that claim more bytes than
/// the file has bounds every such allocation by the input size. The walk covers the whole
/// file, as the decoder's own walk may run past the RIFF size; a truncated image chunk is
/// refused here too, as a truncated JPEG is.
fn webp_chunks_fit(bytes: &[u8]) -> bool {
    // u64 so that a size near 4 GiB cannot wrap around on a 32-bit phone.
    let len = bytes.len() as u64;
    let mut at: u64 = 12;
    while at + 8 <= len {
        let h = at as usize;
        let size = u64::from(u32::from_le_bytes([
            bytes[h + 4],
            bytes[h + 5],
            bytes[h + 6],
            bytes[h + 7],
        ]));
        if at + 8 + size > len {
            return false;
        }
        // Chunks are padded to an even length.
        at += 8 + size + (size & 1);
    }
    true
}

/// Decoder errors become the core's photo errors; the decoder's own text names the technical
/// fault and carries nothing from the picture.
fn image_error(format: Format, e: ImageError) -> Error {
    match e {
        ImageError::Limits(e) => Error::PhotoTooLarge(format!(
            "decoding the {} needs more than the policy allows ({e})",
            format.name()
        )),
        ImageError::Unsupported(e) => Error::UnsupportedPhoto {
            format: format!("{} ({e})", format.name().to_uppercase()),
            hint: "re-save the photo as a standard JPEG on the device before importing".into(),
        },
        other => Error::InvalidPhoto(format!("damaged {}: {other}", format.name())),
    }
}

/// Any layout to RGB8. Transparent pixels are composited on white: a signature or a marked-up
/// screenshot with a transparent background would otherwise turn into black on black, because
/// fully transparent pixels are usually stored as (0, 0, 0, 0).
fn into_rgb8(image: DynamicImage) -> RgbImage {
    match image {
        DynamicImage::ImageRgb8(rgb) => rgb,
        other if other.color().has_alpha() => {
            let rgba = other.into_rgba8();
            let (w, h) = rgba.dimensions();
            let mut out = Vec::with_capacity(rgba.as_raw().len() / 4 * 3);
            for px in rgba.as_raw().chunks_exact(4) {
                let alpha = u32::from(px[3]);
                for &c in &px[..3] {
                    // Rounded integer form of c·α + 255·(1 − α).
                    out.push(((u32::from(c) * alpha + 255 * (255 - alpha) + 127) / 255) as u8);
                }
            }
            // The buffer has exactly w·h·3 bytes, so this is always Some; an empty image is
            // the harmless fallback.
            RgbImage::from_raw(w, h, out).unwrap_or_default()
        }
        other => other.into_rgb8(),
    }
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

/// Lanczos3 with fast_image_resize, straight from the decoder's buffer (no copy in).
fn resize_fast(src: &RgbImage, w: u32, h: u32) -> Result<RgbImage> {
    let internal = |e: &dyn std::fmt::Display| Error::InvalidPhoto(format!("resize failed: {e}"));
    let view =
        fr::images::ImageRef::new(src.width(), src.height(), src.as_raw(), fr::PixelType::U8x3)
            .map_err(|e| internal(&e))?;
    let mut dst = fr::images::Image::new(w, h, fr::PixelType::U8x3);
    let options =
        fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3));
    fr::Resizer::new()
        .resize(&view, &mut dst, &options)
        .map_err(|e| internal(&e))?;
    RgbImage::from_raw(w, h, dst.into_vec())
        .ok_or_else(|| internal(&"the resized buffer has the wrong size"))
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
            return Err(Error::PhotoTooLarge(format!(
                "{w}×{h} is beyond what JPEG can store; lower max_edge"
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
        .map_err(|e| Error::InvalidPhoto(format!("JPEG encoding failed: {e}")))?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// EXIF

#[derive(Debug, Default)]
struct PhotoMetadata {
    taken_at: Option<String>,
    gps: Option<GpsPosition>,
}

/// Capture time and (when kept) position from the raw EXIF block (TIFF structure) the decoder
/// found. Anything missing, blank or out of range is simply absent.
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
    PhotoMetadata {
        taken_at: taken_at(&exif),
        gps: if keep_gps { gps(&exif) } else { None },
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
    fn iso_media_brands_name_the_format() {
        let mut heic = vec![0, 0, 0, 24];
        heic.extend_from_slice(b"ftypmif1\0\0\0\0mif1heic");
        assert_eq!(iso_media_kind(&heic).as_deref(), Some("HEIC"));
        let mut avif = vec![0, 0, 0, 24];
        avif.extend_from_slice(b"ftypavif\0\0\0\0mif1avif");
        assert_eq!(iso_media_kind(&avif).as_deref(), Some("AVIF"));
        let mut mp4 = vec![0, 0, 0, 20];
        mp4.extend_from_slice(b"ftypisom\0\0\0\0mp41");
        assert_eq!(iso_media_kind(&mp4).as_deref(), Some("ISO media (isom)"));
    }

    #[test]
    fn hex_is_lowercase_and_complete() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
