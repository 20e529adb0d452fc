//! Decoding a photo's bytes into RGB8 pixels, refusing on the way what must not be stored:
//! formats the core does not read (named, with how to fix it), damaged or cut-off files, and
//! anything whose decoding would need more memory than the policy allows.
//!
//! - The format is sniffed from the magic bytes before any decoder runs, so HEIC (what an
//!   iPhone shoots by default) gets an error that says how to fix it rather than "invalid".
//! - Only the header is read first: the pixel count and the memory the whole import will need
//!   are checked against the policy before a single pixel buffer exists (ADR 0017).
//! - JPEG: a walk over the file's structure refuses a scan without an end and a long run of
//!   zero bytes no encoder writes; every scan is then Huffman-decoded strictly by the core
//!   ([`progressive`]), which either becomes the picture at half size ([`reduced`]) or checks
//!   the scans beside zune-jpeg (strict mode) making it at full size: a photo that silently
//!   lost part of its content is worse evidence than a refusal.
//! - PNG is decoded with the png crate straight to 8 bits per channel, and converted to RGB in
//!   the decoder's own buffer, so a 16-bit RGBA PNG never exists at its full width in memory.

use std::io::Cursor;

use image::codecs::webp::WebPDecoder;
use image::{DynamicImage, ImageDecoder, ImageError, Limits, RgbImage};
use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;

use crate::error::{Error, Result};
use crate::photo::text::{PhotoText, megabytes};
use crate::photo::{progressive, reduced};
use crate::rules::policy::PhotoPolicy;

/// The widest or tallest image any decoder is allowed to start on. JPEG cannot describe more,
/// and no phone camera or panorama mode comes near it.
const MAX_DECODE_EDGE: u32 = 65_535;

/// The longest run of zero bytes accepted inside a JPEG scan whose Huffman tables cannot code
/// a flat block as zero bits. 1 KiB is 8,192 zero bits: with such tables they decode as
/// thousands of coefficients of the same odd value, which no encoder writes for a photo;
/// a zero-filled stretch is what an interrupted copy or a failing memory card leaves.
const MAX_ZERO_RUN: usize = 1024;

const HEIC_HINT: &str = "convert the photo to JPEG on the device (e.g. request JPEG from the \
                         camera or photo picker) before importing";
const CONVERT_HINT: &str = "export the photo as JPEG (or PNG) on the device before importing";

/// A photo's pixels and what was learnt from its file besides them.
pub(crate) struct Decoded {
    /// The format's name: "jpeg", "png", "webp" or "platform".
    pub source: &'static str,
    pub rgb: RgbImage,
    /// The picture's size in the file; `rgb` is smaller when it was decoded at a reduced
    /// scale for a stored photo smaller than that.
    pub size: (u32, u32),
    /// The raw EXIF block (TIFF structure), when the file has one.
    pub exif: Option<Vec<u8>>,
    /// The embedded ICC colour profile, when the file has one.
    pub icc: Option<Vec<u8>>,
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
    Err(Error::InvalidPhoto(PhotoText::new(
        "这不是一张照片：文件内容不属于任何图片格式",
        "this is not a photo: the file matches no image format",
    )))
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

/// Decodes a photo file with the policy's limits: see the module docs.
pub(crate) fn decode(bytes: &[u8], policy: &PhotoPolicy) -> Result<Decoded> {
    if bytes.is_empty() {
        return Err(Error::InvalidPhoto(PhotoText::new(
            "照片文件是空的（0 字节）",
            "the photo file is empty (0 bytes)",
        )));
    }
    check_file_size(bytes.len() as u64, policy)?;
    match sniff(bytes)? {
        Format::Jpeg => decode_jpeg(bytes, policy),
        Format::Png => decode_png(bytes, policy),
        Format::WebP => decode_webp(bytes, policy),
    }
}

/// Refuses a file over the policy's size, saying both sizes as a person reads them.
pub(crate) fn check_file_size(len: u64, policy: &PhotoPolicy) -> Result<()> {
    let limit = policy.max_input_bytes as u64;
    if len > limit {
        return Err(Error::PhotoTooLarge(PhotoText::new(
            format!(
                "文件大小为 {}，超过允许的 {}",
                megabytes(len),
                megabytes(limit)
            ),
            format!(
                "the file is {}; the limit is {}",
                megabytes(len),
                megabytes(limit)
            ),
        )));
    }
    Ok(())
}

/// Refuses a picture with more pixels than the policy allows, or none.
pub(crate) fn check_pixels(width: u32, height: u32, policy: &PhotoPolicy) -> Result<()> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels > policy.max_pixels {
        return Err(Error::PhotoTooLarge(PhotoText::new(
            format!(
                "{width}×{height} 共 {:.1} 百万像素，超过允许的 {:.1} 百万像素",
                pixels as f64 / 1e6,
                policy.max_pixels as f64 / 1e6
            ),
            format!(
                "{width}×{height} is {:.1} megapixels, more than the {:.1} allowed",
                pixels as f64 / 1e6,
                policy.max_pixels as f64 / 1e6
            ),
        )));
    }
    if width == 0 || height == 0 {
        return Err(Error::InvalidPhoto(PhotoText::new(
            format!("照片的尺寸为 {width}×{height}，没有内容"),
            format!("the photo says it is {width}×{height}: it has no picture"),
        )));
    }
    Ok(())
}

/// Refuses an import whose peak memory, estimated from the header, is over the policy's
/// decode cap. `decode_bytes` is what the decoder holds at its peak; `held_bytes` is the
/// pixel buffer it leaves, which the resize then reads while it holds its half-resized
/// intermediate (the output's width by the input's height) and the result.
pub(crate) fn check_memory(
    width: u32,
    height: u32,
    decode_bytes: u64,
    held_bytes: u64,
    policy: &PhotoPolicy,
) -> Result<()> {
    let (w, h) = (u64::from(width), u64::from(height));
    let edge = u64::from(policy.max_edge.max(1));
    let long = w.max(h).max(1);
    let resize_bytes = if long > edge {
        let (out_w, out_h) = ((w * edge).div_ceil(long), (h * edge).div_ceil(long));
        held_bytes + out_w * h * 3 + out_w * out_h * 3
    } else {
        held_bytes
    };
    let peak = decode_bytes.max(resize_bytes);
    if peak > policy.max_decode_bytes {
        return Err(Error::PhotoTooLarge(PhotoText::new(
            format!(
                "处理这张 {width}×{height} 的照片需要约 {} 内存，超过允许的 {}；请在设备上缩小或另存为 JPEG 后再导入",
                megabytes(peak),
                megabytes(policy.max_decode_bytes)
            ),
            format!(
                "processing this {width}×{height} photo needs about {} of memory, more than the {} allowed; \
                 scale it down or save it as JPEG on the device before importing",
                megabytes(peak),
                megabytes(policy.max_decode_bytes)
            ),
        )));
    }
    Ok(())
}

fn decode_jpeg(bytes: &[u8], policy: &PhotoPolicy) -> Result<Decoded> {
    let layout = check_jpeg_structure(bytes).map_err(Error::InvalidPhoto)?;
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(MAX_DECODE_EDGE as usize)
        .set_max_height(MAX_DECODE_EDGE as usize)
        .jpeg_set_out_colorspace(ColorSpace::RGB);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode_headers().map_err(jpeg_damaged)?;
    let info = decoder
        .info()
        .ok_or_else(|| jpeg_damaged("no frame header"))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    check_pixels(width, height, policy)?;
    let pixels = u64::from(width) * u64::from(height);
    // zune-jpeg keeps every coefficient of a progressive photo (two bytes each, per
    // component) until the last scan; a baseline photo is decoded row by row into the output.
    let coefficients = if layout.progressive {
        pixels * 2 * u64::from(layout.components.max(1))
    } else {
        0
    };
    check_memory(width, height, pixels * 3 + coefficients, pixels * 3, policy)?;
    let exif = decoder.exif().cloned();
    let icc = decoder.icc_profile();
    let rgb = decode_huffman(bytes, decoder, policy)?;
    let rgb = match rgb {
        Pixels::Full(rgb) => RgbImage::from_raw(width, height, rgb),
        Pixels::Reduced(rgb) => Some(rgb),
    }
    .ok_or_else(|| jpeg_damaged("the decoder returned fewer pixels than the header says"))?;
    Ok(Decoded {
        source: Format::Jpeg.name(),
        rgb,
        size: (width, height),
        exif,
        icc,
    })
}

/// A JPEG's pixels: at full size from zune-jpeg, or reduced by the core's own decoder.
enum Pixels {
    Full(Vec<u8>),
    Reduced(RgbImage),
}

/// Every scan is decoded by the core's own strict decoder ([`progressive`]): zune-jpeg, even
/// strict, skips bytes left between a scan and the next marker and reads zeros past it, so
/// random bytes in scan data (without an 0xFF that the structure walk would see) were decoded
/// as wrong pixels. When half the picture is still at least the stored size, the
/// coefficients become the half-size picture ([`reduced`]): a quarter of the pixels to
/// reconstruct, colour and resize. Otherwise zune-jpeg makes the full-size pixels while the
/// core's decoder checks the scans on the other core.
fn decode_huffman(
    bytes: &[u8],
    mut decoder: zune_jpeg::JpegDecoder<ZCursor<&[u8]>>,
    policy: &PhotoPolicy,
) -> Result<Pixels> {
    let damaged = |e: Box<PhotoText>| Error::InvalidPhoto(*e);
    let info = decoder.info();
    let long = info.map_or(0, |i| usize::from(i.width.max(i.height)));
    let half_fits = long.div_ceil(2) >= policy.max_edge as usize;
    let parsed = progressive::parse(bytes).map_err(damaged)?;
    if half_fits && reduced::supported(&parsed) {
        let sizes = reduced::transform_sizes(&parsed);
        if progressive::in_bands(&parsed) {
            return decode_in_bands(&parsed, &sizes).map(Pixels::Reduced);
        }
        let coefficients = progressive::decode_scans(&parsed, &sizes, true).map_err(damaged)?;
        return reduced::reconstruct(&parsed, &coefficients)
            .map(Pixels::Reduced)
            .ok_or_else(|| jpeg_damaged("the picture could not be reconstructed"));
    }
    let (pixels, checked) = std::thread::scope(|scope| {
        let check = scope.spawn(|| progressive::decode_scans(&parsed, &[], false).map(|_| ()));
        let pixels = decoder.decode();
        let checked = check
            .join()
            .unwrap_or_else(|_| Err(Box::new(damaged_jpeg_text("the check of the scans failed"))));
        (pixels, checked)
    });
    checked.map_err(damaged)?;
    pixels.map(Pixels::Full).map_err(jpeg_damaged)
}

/// MCU rows per band when a baseline photo is decoded in bands: small enough that the
/// reconstruction of the last band, which nothing overlaps, is short; large enough that
/// handing bands over costs nothing worth measuring (180 MCU rows in a 14.7 MP photo).
const BAND_MCU_ROWS: usize = 8;

/// A baseline photo at half size: one thread decodes the scan band by band, another
/// reconstructs each band as soon as it is decoded, so the two overlap rather than follow
/// each other. Small pictures are done on one thread.
fn decode_in_bands(parsed: &progressive::Parsed, sizes: &[(usize, usize)]) -> Result<RgbImage> {
    let damaged = |e: Box<PhotoText>| Error::InvalidPhoto(*e);
    let unreconstructed = || jpeg_damaged("the picture could not be reconstructed");
    let frame = &parsed.frame;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores < 2 || frame.width * frame.height < 1_000_000 {
        let mut bands = Vec::new();
        progressive::decode_bands(parsed, sizes, BAND_MCU_ROWS, |band| {
            bands.push(band);
            true
        })
        .map_err(damaged)?;
        return reduced::reconstruct_bands(parsed, bands).ok_or_else(unreconstructed);
    }
    let (send, receive) = std::sync::mpsc::channel();
    let (decoded, picture) = std::thread::scope(|scope| {
        let picture = scope.spawn(move || reduced::reconstruct_bands(parsed, receive));
        let decoded =
            progressive::decode_bands(parsed, sizes, BAND_MCU_ROWS, |band| send.send(band).is_ok());
        // The reconstruction ends when the sending side is gone.
        drop(send);
        (decoded, picture.join().ok().flatten())
    });
    // Damage found by the decoder is the reason, also when it stopped the reconstruction.
    decoded.map_err(damaged)?;
    picture.ok_or_else(unreconstructed)
}

fn jpeg_damaged(detail: impl std::fmt::Display) -> Error {
    Error::InvalidPhoto(damaged_jpeg_text(&detail.to_string()))
}

pub(crate) fn damaged_jpeg_text(detail: &str) -> PhotoText {
    PhotoText::new(
        format!(
            "JPEG 文件已损坏：部分图像数据缺失或被覆盖（常见于复制中断或存储卡故障），请从相机重新导入原始照片（{detail}）"
        ),
        format!(
            "the JPEG file is damaged: part of its image data is missing or overwritten (as after \
             an interrupted copy or a failing memory card); import the original photo from the \
             camera again ({detail})"
        ),
    )
}

/// What the structure walk learnt about a JPEG.
#[derive(Debug, Default)]
struct JpegLayout {
    progressive: bool,
    components: u8,
}

/// Walks a JPEG's segments and scans before decoding. Refuses a file whose last scan never
/// reaches the end-of-image marker (cut off: the decoder would paint the rest grey), and a
/// scan holding a run of zero bytes that its Huffman tables cannot have produced (zeroed by
/// a failing card or an interrupted copy: the decoder would decode it as valid, wrong
/// pixels). Segments are skipped by their lengths, because the EXIF block holds a whole
/// thumbnail JPEG; inside scan data an 0xFF byte is followed only by 0x00 (stuffing), a
/// restart marker or the next segment's marker.
fn check_jpeg_structure(bytes: &[u8]) -> std::result::Result<JpegLayout, PhotoText> {
    let truncated = || {
        PhotoText::new(
            "JPEG 文件不完整：图像数据在文件结尾前中断（常见于复制或传输中断），请重新导入原始照片",
            "the JPEG file is cut off: its image data ends before the end of the picture (as \
             after an interrupted copy or transfer); import the original photo again",
        )
    };
    let mut layout = JpegLayout::default();
    // For each Huffman table (class 0 = DC, 1 = AC; ids 0..=3): whether its all-zero code
    // stands for "no change" (DC difference 0, or end of block).
    let mut zero_is_flat = [[false; 4]; 2];
    let mut seen_scan = false;
    let mut at = 2;
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        while bytes.get(at) == Some(&0xFF) && bytes.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (bytes.get(at), bytes.get(at + 1)) else {
            // A segment's length led somewhere that is not a marker: inside the file, the
            // segment was overwritten; at its end, the file was cut off.
            return Err(if at + 2 <= bytes.len() {
                damaged_jpeg_text("a segment does not end where its length says")
            } else {
                truncated()
            });
        };
        at += 2;
        // After a scan only what may stand between scans can follow: anything else is scan
        // data that was overwritten (a decoder would skip it as an unknown segment).
        if seen_scan
            && !matches!(marker, 0xC4 | 0xDA..=0xDD | 0xD9 | 0xE0..=0xEF | 0xFE | 0xD0..=0xD7)
        {
            return Err(damaged_jpeg_text(&format!(
                "marker {marker:02X} inside the image data at byte {}",
                at - 2
            )));
        }
        match marker {
            0xD9 if seen_scan => return Ok(layout),
            0xD9 => return Err(truncated()),
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let (Some(&hi), Some(&lo)) = (bytes.get(at), bytes.get(at + 1)) else {
            return Err(truncated());
        };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        let Some(segment) = bytes.get(at + 2..at + len.max(2)) else {
            return Err(truncated());
        };
        match marker {
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                layout.progressive = matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE);
                layout.components = segment.get(5).copied().unwrap_or(0);
            }
            0xC4 => read_huffman_tables(segment, &mut zero_is_flat),
            _ => {}
        }
        at += len;
        if marker != 0xDA {
            continue;
        }
        seen_scan = true;
        // A DC refinement scan is raw bits, one per block: a flat area is legitimately zeros.
        let (ss, ah) = scan_band(segment);
        let zeros_possible = (ss == 0 && ah > 0) || scan_codes_flat_as_zero(segment, &zero_is_flat);
        at = skip_scan(bytes, at, zeros_possible)?.ok_or_else(truncated)?;
    }
}

/// Records, for each table a DHT segment defines, whether its all-zero code is symbol 0.
/// Codes are canonical: the first symbol listed, of the shortest length used, gets the code
/// of all zero bits.
fn read_huffman_tables(mut segment: &[u8], zero_is_flat: &mut [[bool; 4]; 2]) {
    while segment.len() >= 17 {
        let class = usize::from(segment[0] >> 4).min(1);
        let id = usize::from(segment[0] & 0x0F) & 3;
        let count: usize = segment[1..17].iter().map(|&c| usize::from(c)).sum();
        let first_symbol = segment.get(17).copied();
        zero_is_flat[class][id] = first_symbol == Some(0);
        segment = segment.get(17 + count..).unwrap_or_default();
    }
}

/// The spectral start and the successive-approximation high bit of a scan header.
fn scan_band(sos: &[u8]) -> (u8, u8) {
    let n = usize::from(sos.first().copied().unwrap_or(0));
    let ss = sos.get(1 + 2 * n).copied().unwrap_or(0);
    let ah = sos.get(3 + 2 * n).map_or(0, |&a| a >> 4);
    (ss, ah)
}

/// Whether a flat area of this scan codes as zero bits: every component's DC table (when the
/// scan has DC) and AC table (when it has AC) give the all-zero code to "no change".
fn scan_codes_flat_as_zero(sos: &[u8], zero_is_flat: &[[bool; 4]; 2]) -> bool {
    let n = usize::from(sos.first().copied().unwrap_or(0));
    let ss = sos.get(1 + 2 * n).copied().unwrap_or(0);
    let se = sos.get(2 + 2 * n).copied().unwrap_or(63);
    (0..n).all(|i| {
        let tables = sos.get(2 + 2 * i).copied().unwrap_or(0);
        let dc = usize::from(tables >> 4) & 3;
        let ac = usize::from(tables & 0x0F) & 3;
        (ss > 0 || zero_is_flat[0][dc]) && (se == 0 || zero_is_flat[1][ac])
    })
}

/// Skips the entropy-coded data of a scan starting at `at`; returns where the next marker is,
/// `None` when the file ends first, or the damage found.
fn skip_scan(
    bytes: &[u8],
    mut at: usize,
    zeros_possible: bool,
) -> std::result::Result<Option<usize>, PhotoText> {
    let mut zero_run = 0usize;
    while let Some(&byte) = bytes.get(at) {
        match byte {
            0xFF => match bytes.get(at + 1) {
                Some(0x00 | 0xD0..=0xD7) => {
                    zero_run = 0;
                    at += 2;
                }
                Some(_) => return Ok(Some(at)),
                None => return Ok(None),
            },
            0x00 => {
                zero_run += 1;
                if zero_run > MAX_ZERO_RUN && !zeros_possible {
                    return Err(damaged_jpeg_text(&format!(
                        "{zero_run} zero bytes inside the image data at byte {}",
                        at + 1 - zero_run
                    )));
                }
                at += 1;
            }
            _ => {
                zero_run = 0;
                at += 1;
            }
        }
    }
    Ok(None)
}

/// PNG straight to 8-bit RGB: palette and low bit depths expanded, 16 bits cut to 8 by the
/// decoder as it goes, then the channels narrowed to RGB inside the decoder's own buffer.
fn decode_png(bytes: &[u8], policy: &PhotoPolicy) -> Result<Decoded> {
    let limits = png::Limits {
        bytes: usize::try_from(policy.max_decode_bytes).unwrap_or(usize::MAX),
    };
    let mut decoder = png::Decoder::new_with_limits(Cursor::new(bytes), limits);
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(png_error)?;
    let (width, height) = (reader.info().width, reader.info().height);
    check_pixels(width, height, policy)?;
    let exif = reader.info().exif_metadata.as_ref().map(|e| e.to_vec());
    let icc = reader.info().icc_profile.as_ref().map(|p| p.to_vec());
    let (color, _) = reader.output_color_type();
    let channels = color.samples();
    let pixels = u64::from(width) * u64::from(height);
    // One buffer throughout: decoded into, narrowed in place, then resized from.
    let buffer_bytes = pixels * channels.max(3) as u64;
    check_memory(width, height, buffer_bytes, buffer_bytes, policy)?;
    let frame = reader
        .output_buffer_size()
        .ok_or_else(|| png_too_large(width, height))?;
    let rgb_len = usize::try_from(pixels * 3).map_err(|_| png_too_large(width, height))?;
    let mut buf = vec![0u8; frame.max(rgb_len)];
    let out = reader.next_frame(&mut buf).map_err(png_error)?;
    if out.line_size != width as usize * channels {
        return Err(png_error(png::DecodingError::LimitsExceeded));
    }
    narrow_to_rgb(&mut buf, channels, pixels as usize);
    buf.truncate(rgb_len);
    let rgb = RgbImage::from_raw(width, height, buf).ok_or_else(|| png_too_large(width, height))?;
    Ok(Decoded {
        source: Format::Png.name(),
        rgb,
        size: (width, height),
        exif,
        icc,
    })
}

/// Turns `pixels` pixels of `channels` 8-bit samples at the start of `buf` into RGB in place:
/// gray is copied to the three channels (working from the end, as the pixels grow), alpha is
/// composited on white (from the start, as they shrink). `buf` holds at least `pixels × 3`
/// bytes.
fn narrow_to_rgb(buf: &mut [u8], channels: usize, pixels: usize) {
    let over_white = |c: u8, alpha: u8| {
        let (c, a) = (u32::from(c), u32::from(alpha));
        // Rounded integer form of c·α + 255·(1 − α).
        ((c * a + 255 * (255 - a) + 127) / 255) as u8
    };
    match channels {
        1 => {
            for i in (0..pixels).rev() {
                let g = buf[i];
                buf[3 * i..3 * i + 3].fill(g);
            }
        }
        2 => {
            for i in (0..pixels).rev() {
                let g = over_white(buf[2 * i], buf[2 * i + 1]);
                buf[3 * i..3 * i + 3].fill(g);
            }
        }
        4 => {
            for i in 0..pixels {
                let a = buf[4 * i + 3];
                let px = [
                    over_white(buf[4 * i], a),
                    over_white(buf[4 * i + 1], a),
                    over_white(buf[4 * i + 2], a),
                ];
                buf[3 * i..3 * i + 3].copy_from_slice(&px);
            }
        }
        _ => {}
    }
}

fn png_too_large(width: u32, height: u32) -> Error {
    Error::PhotoTooLarge(PhotoText::new(
        format!("{width}×{height} 的 PNG 超出本设备能处理的大小"),
        format!("a {width}×{height} PNG is beyond what this device can process"),
    ))
}

fn png_error(e: png::DecodingError) -> Error {
    match e {
        png::DecodingError::LimitsExceeded => Error::PhotoTooLarge(PhotoText::new(
            "解码这张 PNG 需要的内存超过允许的上限",
            "decoding this PNG needs more memory than the policy allows",
        )),
        png::DecodingError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            Error::InvalidPhoto(PhotoText::new(
                "PNG 文件不完整：图像数据在文件结尾前中断（常见于复制或传输中断），请重新导出",
                "the PNG file is cut off before the end of its image data (as after an \
                 interrupted copy or transfer); export it again",
            ))
        }
        other => Error::InvalidPhoto(PhotoText::new(
            format!("PNG 文件已损坏，无法读取其图像数据，请在设备上重新导出（{other}）"),
            format!(
                "the PNG file is damaged: its image data cannot be read; export it again on the \
                 device ({other})"
            ),
        )),
    }
}

fn decode_webp(bytes: &[u8], policy: &PhotoPolicy) -> Result<Decoded> {
    if !webp_chunks_fit(bytes) {
        return Err(Error::InvalidPhoto(PhotoText::new(
            "WebP 文件已损坏或不完整：某个数据块超出了文件结尾",
            "the WebP file is damaged or cut off: a chunk runs past the end of the file",
        )));
    }
    let mut decoder = WebPDecoder::new(Cursor::new(bytes)).map_err(webp_error)?;
    let (width, height) = decoder.dimensions();
    check_pixels(width, height, policy)?;
    let pixels = u64::from(width) * u64::from(height);
    // The decoder's own buffer, then the RGB copy.
    check_memory(
        width,
        height,
        decoder.total_bytes() + pixels * 3,
        pixels * 3,
        policy,
    )?;
    // Metadata is a help, not a requirement: a photo whose EXIF block is damaged is still
    // evidence, so it is imported upright-as-stored and without a capture time.
    let exif = decoder.exif_metadata().ok().flatten();
    let icc = decoder.icc_profile().ok().flatten();
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODE_EDGE);
    limits.max_image_height = Some(MAX_DECODE_EDGE);
    limits.max_alloc = Some(policy.max_decode_bytes);
    limits.reserve(decoder.total_bytes()).map_err(webp_error)?;
    decoder.set_limits(limits).map_err(webp_error)?;
    let image = DynamicImage::from_decoder(decoder).map_err(webp_error)?;
    Ok(Decoded {
        source: Format::WebP.name(),
        rgb: into_rgb8(image),
        size: (width, height),
        exif,
        icc,
    })
}

fn webp_error(e: ImageError) -> Error {
    match e {
        ImageError::Limits(e) => Error::PhotoTooLarge(PhotoText::new(
            format!("解码这张 WebP 需要的内存超过允许的上限（{e}）"),
            format!("decoding this WebP needs more memory than the policy allows ({e})"),
        )),
        ImageError::Unsupported(e) => Error::UnsupportedPhoto {
            format: format!("WebP ({e})"),
            hint: "re-save the photo as a standard JPEG on the device before importing".into(),
        },
        other => Error::InvalidPhoto(PhotoText::new(
            format!("WebP 文件已损坏，无法读取其图像数据，请在设备上重新导出（{other}）"),
            format!(
                "the WebP file is damaged: its image data cannot be read; export it again on \
                 the device ({other})"
            ),
        )),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn gray_and_alpha_pixels_narrow_to_rgb_in_place() {
        let mut gray = vec![10, 200, 0, 0, 0, 0];
        narrow_to_rgb(&mut gray, 1, 2);
        assert_eq!(gray, [10, 10, 10, 200, 200, 200]);
        let mut gray_alpha = vec![0, 0, 40, 255, 0, 0];
        narrow_to_rgb(&mut gray_alpha, 2, 2);
        assert_eq!(gray_alpha, [255, 255, 255, 40, 40, 40]);
        let mut rgba = vec![1, 2, 3, 255, 9, 9, 9, 0];
        narrow_to_rgb(&mut rgba, 4, 2);
        assert_eq!(&rgba[..6], [1, 2, 3, 255, 255, 255]);
    }

    #[test]
    fn a_zeroed_stretch_of_scan_data_is_found_unless_zeros_can_be_flat() {
        let mut scan = vec![0x12u8; 100];
        scan.extend(std::iter::repeat_n(0u8, MAX_ZERO_RUN + 1));
        scan.extend([0x34, 0xFF, 0xD9]);
        assert!(skip_scan(&scan, 0, false).is_err());
        assert_eq!(skip_scan(&scan, 0, true).unwrap(), Some(scan.len() - 2));
        // Restart markers and stuffed bytes end a run; only a long unbroken one counts.
        let mut short = vec![0u8; MAX_ZERO_RUN];
        short.extend([0xFF, 0xD0]);
        short.extend(vec![0u8; MAX_ZERO_RUN]);
        short.extend([0xFF, 0xD9]);
        assert_eq!(skip_scan(&short, 0, false).unwrap(), Some(short.len() - 2));
        assert_eq!(skip_scan(&[0x12, 0x34], 0, false).unwrap(), None);
    }
}
