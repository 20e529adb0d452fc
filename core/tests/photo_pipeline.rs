//! The photo pipeline end to end on photos made here: orientation, metadata stripping, sizes,
//! determinism, accepted formats, and typed errors (never a panic) for bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;

use fieldcore::Error;
use fieldcore::{GpsPosition, PhotoPolicy, ProcessedPhoto, process_photo as process};
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageEncoder, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

const RED: [u8; 3] = [220, 30, 30];
const GREEN: [u8; 3] = [30, 200, 40];
const BLUE: [u8; 3] = [30, 40, 220];
const WHITE: [u8; 3] = [245, 245, 245];

// ---------------------------------------------------------------------------------------------
// Building test photos

/// A minimal little-endian TIFF/EXIF structure: IFD0, and an Exif and a GPS sub-IFD when they
/// have entries. Each entry is (tag, type, count, value bytes).
type Entry = (u16, u16, u32, Vec<u8>);

const ASCII: u16 = 2;
const SHORT: u16 = 3;
const LONG: u16 = 4;
const RATIONAL: u16 = 5;

fn ascii(tag: u16, text: &str) -> Entry {
    let mut bytes = text.as_bytes().to_vec();
    bytes.push(0);
    (tag, ASCII, bytes.len() as u32, bytes)
}

fn rationals(tag: u16, values: &[(u32, u32)]) -> Entry {
    let bytes = values
        .iter()
        .flat_map(|(n, d)| n.to_le_bytes().into_iter().chain(d.to_le_bytes()))
        .collect();
    (tag, RATIONAL, values.len() as u32, bytes)
}

fn ifd_len(entries: &[Entry]) -> usize {
    let data: usize = entries
        .iter()
        .map(|e| {
            if e.3.len() > 4 {
                e.3.len().next_multiple_of(2)
            } else {
                0
            }
        })
        .sum();
    2 + 12 * entries.len() + 4 + data
}

fn write_ifd(out: &mut Vec<u8>, mut entries: Vec<Entry>) {
    entries.sort_by_key(|e| e.0);
    let start = out.len();
    let mut data_at = start + 2 + 12 * entries.len() + 4;
    let mut data = Vec::new();
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, typ, count, value) in &entries {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&typ.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        if value.len() <= 4 {
            let mut inline = value.clone();
            inline.resize(4, 0);
            out.extend_from_slice(&inline);
        } else {
            out.extend_from_slice(&(data_at as u32).to_le_bytes());
            data.extend_from_slice(value);
            if value.len() % 2 == 1 {
                data.push(0);
            }
            data_at = start + 2 + 12 * entries.len() + 4 + data.len();
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&data);
}

fn tiff(mut ifd0: Vec<Entry>, exif: Vec<Entry>, gps: Vec<Entry>) -> Vec<u8> {
    // Pointers to the sub-IFDs, which follow IFD0 in this order.
    let pointers = usize::from(!exif.is_empty()) + usize::from(!gps.is_empty());
    let ifd0_len = ifd_len(&ifd0) + 12 * pointers;
    let exif_at = 8 + ifd0_len;
    let gps_at = exif_at + if exif.is_empty() { 0 } else { ifd_len(&exif) };
    if !exif.is_empty() {
        ifd0.push((0x8769, LONG, 1, (exif_at as u32).to_le_bytes().to_vec()));
    }
    if !gps.is_empty() {
        ifd0.push((0x8825, LONG, 1, (gps_at as u32).to_le_bytes().to_vec()));
    }
    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&8u32.to_le_bytes());
    write_ifd(&mut out, ifd0);
    assert_eq!(out.len(), exif_at);
    if !exif.is_empty() {
        write_ifd(&mut out, exif);
    }
    assert_eq!(out.len(), gps_at);
    if !gps.is_empty() {
        write_ifd(&mut out, gps);
    }
    out
}

fn orientation_entry(orientation: u16) -> Entry {
    (0x0112, SHORT, 1, orientation.to_le_bytes().to_vec())
}

/// The latitude 31°13'49.44" N and longitude 121°28'24.96" E (Shanghai) as EXIF rationals.
const LAT: [(u32, u32); 3] = [(31, 1), (13, 1), (4944, 100)];
const LON: [(u32, u32); 3] = [(121, 1), (28, 1), (2496, 100)];

fn gps_entries() -> Vec<Entry> {
    vec![
        ascii(0x0001, "N"),
        rationals(0x0002, &LAT),
        ascii(0x0003, "E"),
        rationals(0x0004, &LON),
    ]
}

fn capture_entries(offset: Option<&str>) -> Vec<Entry> {
    let mut entries = vec![ascii(0x9003, "2024:05:17 09:41:07")];
    if let Some(offset) = offset {
        entries.push(ascii(0x9011, offset));
    }
    entries
}

/// Inserts a segment after the JFIF header (or right after SOI when there is none).
fn insert_segment(jpeg: &[u8], marker: u8, payload: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
    let mut at = 2;
    if jpeg[2..4] == [0xFF, 0xE0] {
        at = 4 + usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]]));
    }
    let mut out = jpeg[..at].to_vec();
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&jpeg[at..]);
    out
}

fn with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(tiff);
    insert_segment(jpeg, 0xE1, &payload)
}

fn encode_jpeg(image: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(image)
        .unwrap();
    out
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// Four flat quadrants: red top left, green top right, blue bottom left, white bottom right.
fn quadrants(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        Rgb(match (x < w / 2, y < h / 2) {
            (true, true) => RED,
            (false, true) => GREEN,
            (true, false) => BLUE,
            (false, false) => WHITE,
        })
    })
}

/// Something photo-like and cheap to make: gradients with a few hard edges.
fn scene(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let edge = if (x / 97 + y / 61) % 5 == 0 { 90 } else { 0 };
        Rgb([
            ((x * 255 / w) as u8).wrapping_add(edge),
            (y * 255 / h) as u8,
            (((x + y) / 7) % 256) as u8,
        ])
    })
}

fn decode(jpeg: &[u8]) -> RgbImage {
    image::load_from_memory_with_format(jpeg, ImageFormat::Jpeg)
        .unwrap()
        .into_rgb8()
}

fn close(actual: &Rgb<u8>, expected: [u8; 3]) -> bool {
    actual
        .0
        .iter()
        .zip(expected)
        .all(|(&a, e)| a.abs_diff(e) <= 40)
}

fn policy() -> PhotoPolicy {
    PhotoPolicy::default()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The markers of every segment before the first scan.
fn segment_markers(jpeg: &[u8]) -> Vec<u8> {
    let mut markers = Vec::new();
    let mut at = 2;
    while at + 4 <= jpeg.len() && jpeg[at] == 0xFF {
        let marker = jpeg[at + 1];
        markers.push(marker);
        if marker == 0xDA {
            break;
        }
        at += 2 + usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
    }
    markers
}

// ---------------------------------------------------------------------------------------------
// Orientation

#[test]
fn every_exif_orientation_is_applied() {
    let source = encode_jpeg(&quadrants(64, 32), 95);
    // Where red, green, blue and white end up (top left, top right, bottom left, bottom right)
    // once the photo is shown as EXIF orientation 1..=8 says.
    let expected: [[[u8; 3]; 4]; 8] = [
        [RED, GREEN, BLUE, WHITE], // 1: as stored
        [GREEN, RED, WHITE, BLUE], // 2: mirrored left to right
        [WHITE, BLUE, GREEN, RED], // 3: turned 180°
        [BLUE, WHITE, RED, GREEN], // 4: mirrored top to bottom
        [RED, BLUE, GREEN, WHITE], // 5: transposed
        [BLUE, RED, WHITE, GREEN], // 6: turned 90° clockwise
        [WHITE, GREEN, BLUE, RED], // 7: transversed
        [GREEN, WHITE, RED, BLUE], // 8: turned 90° counter-clockwise
    ];
    for (index, corners) in expected.iter().enumerate() {
        let orientation = index as u16 + 1;
        let input = with_exif(
            &source,
            &tiff(vec![orientation_entry(orientation)], vec![], vec![]),
        );
        let photo = process(&input, &policy()).unwrap();
        let (w, h) = if orientation >= 5 { (32, 64) } else { (64, 32) };
        assert_eq!(
            (photo.width, photo.height),
            (w, h),
            "orientation {orientation}"
        );
        let out = decode(&photo.jpeg);
        assert_eq!(out.dimensions(), (w, h));
        let samples = [
            out.get_pixel(w / 4, h / 4),
            out.get_pixel(3 * w / 4, h / 4),
            out.get_pixel(w / 4, 3 * h / 4),
            out.get_pixel(3 * w / 4, 3 * h / 4),
        ];
        for (sample, colour) in samples.iter().zip(corners) {
            assert!(
                close(sample, *colour),
                "orientation {orientation}: got {samples:?}, expected {corners:?}"
            );
        }
        let thumb = decode(&photo.thumbnail);
        assert_eq!(thumb.dimensions(), (w, h), "small photos are not upscaled");
    }
}

#[test]
fn a_sideways_12_mp_photo_comes_out_upright_and_bounded() {
    let source = encode_jpeg(&quadrants(4000, 3000), 85);
    let input = with_exif(&source, &tiff(vec![orientation_entry(6)], vec![], vec![]));
    let photo = process(&input, &policy()).unwrap();
    assert_eq!((photo.width, photo.height), (1536, 2048));
    assert_eq!((photo.thumbnail_width, photo.thumbnail_height), (240, 320));
    let out = decode(&photo.jpeg);
    assert!(close(out.get_pixel(384, 512), BLUE));
    assert!(close(out.get_pixel(1152, 512), RED));
}

// ---------------------------------------------------------------------------------------------
// Metadata

/// A photo as a phone writes it: EXIF with orientation, capture time and position, an XMP
/// packet, and a comment.
fn phone_photo(offset: Option<&str>) -> Vec<u8> {
    let image = scene(640, 480);
    let mut jpeg = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut jpeg, 90);
    // Not a real profile: the pipeline never parses it, it only must not pass it on.
    let mut icc = vec![0u8; 132];
    icc[36..40].copy_from_slice(b"acsp");
    encoder.set_icc_profile(icc).unwrap();
    encoder
        .write_image(image.as_raw(), 640, 480, image::ExtendedColorType::Rgb8)
        .unwrap();
    assert!(contains(&jpeg, b"ICC_PROFILE"));
    let jpeg = with_exif(
        &jpeg,
        &tiff(
            vec![orientation_entry(1), ascii(0x010F, "PhoneMaker")],
            capture_entries(offset),
            gps_entries(),
        ),
    );
    let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    xmp.extend_from_slice(b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><exif:GPSLatitude>31,13.824N</exif:GPSLatitude></x:xmpmeta>");
    let jpeg = insert_segment(&jpeg, 0xE1, &xmp);
    insert_segment(&jpeg, 0xFE, b"engineer Wang, site 7")
}

fn assert_no_metadata(photo: &ProcessedPhoto) {
    for jpeg in [&photo.jpeg, &photo.thumbnail] {
        assert!(!contains(jpeg, b"Exif\0"), "EXIF block in output");
        assert!(!contains(jpeg, b"http://ns.adobe.com/xap"), "XMP in output");
        assert!(!contains(jpeg, b"ICC_PROFILE"), "ICC profile in output");
        assert!(
            !contains(jpeg, b"2024:05:17"),
            "capture time bytes in output"
        );
        assert!(!contains(jpeg, b"PhoneMaker"), "camera make in output");
        assert!(!contains(jpeg, b"engineer Wang"), "comment in output");
        let lat: Vec<u8> = LAT
            .iter()
            .flat_map(|(n, d)| n.to_le_bytes().into_iter().chain(d.to_le_bytes()))
            .collect();
        assert!(!contains(jpeg, &lat), "GPS latitude in output");
        assert!(
            !contains(jpeg, &4944u32.to_le_bytes()),
            "GPS seconds in output"
        );
        // Only the JFIF header and the decoding tables come before the scan: no APP1..APP15,
        // no comment.
        for marker in segment_markers(jpeg) {
            assert!(
                matches!(marker, 0xE0 | 0xDB | 0xC0 | 0xC4 | 0xDA | 0xDD),
                "unexpected segment FF {marker:02X}"
            );
        }
    }
}

#[test]
fn capture_time_is_kept_and_gps_only_by_policy() {
    let input = phone_photo(Some("+08:00"));

    let photo = process(&input, &policy()).unwrap();
    assert_eq!(photo.taken_at.as_deref(), Some("2024-05-17T09:41:07+08:00"));
    assert_eq!(photo.gps, None, "GPS is dropped by default");
    assert_no_metadata(&photo);

    let keep = PhotoPolicy {
        keep_gps: true,
        ..policy()
    };
    let photo = process(&input, &keep).unwrap();
    let GpsPosition { lat, lon } = photo.gps.unwrap();
    assert!((lat - 31.2304).abs() < 1e-6, "lat {lat}");
    assert!((lon - 121.4736).abs() < 1e-6, "lon {lon}");
    assert_no_metadata(&photo);
}

#[test]
fn capture_time_without_an_offset_is_local_time() {
    let photo = process(&phone_photo(None), &policy()).unwrap();
    assert_eq!(photo.taken_at.as_deref(), Some("2024-05-17T09:41:07"));
}

#[test]
fn southern_and_western_positions_are_negative() {
    let gps = vec![
        ascii(0x0001, "S"),
        rationals(0x0002, &[(33, 1), (52, 1), (0, 1)]),
        ascii(0x0003, "W"),
        rationals(0x0004, &[(70, 1), (30, 1), (0, 1)]),
    ];
    let input = with_exif(&encode_jpeg(&scene(64, 48), 90), &tiff(vec![], vec![], gps));
    let keep = PhotoPolicy {
        keep_gps: true,
        ..policy()
    };
    let GpsPosition { lat, lon } = process(&input, &keep).unwrap().gps.unwrap();
    assert!((lat - (-(33.0 + 52.0 / 60.0))).abs() < 1e-9);
    assert!((lon - (-70.5)).abs() < 1e-9);
}

#[test]
fn damaged_or_unset_metadata_is_ignored_not_fatal() {
    let jpeg = encode_jpeg(&scene(64, 48), 90);
    // A camera whose clock was never set, and a block that is not TIFF at all.
    let unset = with_exif(
        &jpeg,
        &tiff(vec![], vec![ascii(0x9003, "0000:00:00 00:00:00")], vec![]),
    );
    assert_eq!(process(&unset, &policy()).unwrap().taken_at, None);
    let garbage = with_exif(&jpeg, b"not a tiff structure at all");
    let photo = process(&garbage, &policy()).unwrap();
    assert_eq!((photo.width, photo.height, photo.taken_at), (64, 48, None));
}

// ---------------------------------------------------------------------------------------------
// Sizes and determinism

#[test]
fn large_photos_are_bounded_and_small_ones_keep_their_size() {
    let cases = [
        ((4000, 3000), (2048, 1536), (320, 240)),
        ((3000, 4000), (1536, 2048), (240, 320)),
        ((1000, 800), (1000, 800), (320, 256)),
        ((800, 1000), (800, 1000), (256, 320)),
        ((200, 100), (200, 100), (200, 100)),
    ];
    for ((w, h), main, thumb) in cases {
        let photo = process(&encode_jpeg(&scene(w, h), 90), &policy()).unwrap();
        assert_eq!((photo.width, photo.height), main, "{w}×{h}");
        assert_eq!(
            (photo.thumbnail_width, photo.thumbnail_height),
            thumb,
            "{w}×{h} thumbnail"
        );
        assert_eq!(decode(&photo.jpeg).dimensions(), main);
        assert_eq!(decode(&photo.thumbnail).dimensions(), thumb);
        assert_eq!(photo.source_format, "jpeg");
    }
}

#[test]
fn the_same_photo_always_gives_the_same_hash() {
    let input = phone_photo(Some("+08:00"));
    let first = process(&input, &policy()).unwrap();
    let second = process(&input, &policy()).unwrap();
    assert_eq!(first, second);
    assert_eq!(first.sha256.len(), 64);
    assert!(
        first
            .sha256
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    );
    assert_eq!(first.sha256, fieldcore::sha256_hex(&first.jpeg));
    assert_eq!(
        first.thumbnail_sha256,
        fieldcore::sha256_hex(&first.thumbnail)
    );
    assert_ne!(first.sha256, first.thumbnail_sha256);
}

// ---------------------------------------------------------------------------------------------
// Other formats

#[test]
fn png_with_transparency_is_composited_on_white() {
    // A dark signature stroke on a fully transparent canvas (stored as transparent black).
    let signature = RgbaImage::from_fn(300, 120, |x, y| {
        if y.abs_diff(60) <= 3 && (20..280).contains(&x) {
            Rgba([10, 10, 60, 255])
        } else {
            Rgba([0, 0, 0, 0])
        }
    });
    let png = encode(&DynamicImage::ImageRgba8(signature), ImageFormat::Png);
    let photo = process(&png, &policy()).unwrap();
    assert_eq!(photo.source_format, "png");
    assert_eq!((photo.width, photo.height), (300, 120));
    let out = decode(&photo.jpeg);
    assert!(close(out.get_pixel(150, 20), [255, 255, 255]), "background");
    assert!(close(out.get_pixel(150, 60), [10, 10, 60]), "stroke");
}

#[test]
fn webp_is_accepted() {
    let webp = encode(
        &DynamicImage::ImageRgb8(quadrants(400, 300)),
        ImageFormat::WebP,
    );
    let photo = process(&webp, &policy()).unwrap();
    assert_eq!(photo.source_format, "webp");
    assert_eq!((photo.width, photo.height), (400, 300));
    assert!(close(decode(&photo.jpeg).get_pixel(300, 75), GREEN));
}

/// PNG (eXIf chunk) and WebP (EXIF chunk) carry EXIF too; the decoder hands it over the same
/// way as for JPEG.
#[test]
fn png_and_webp_exif_is_read_and_applied() {
    let exif = tiff(
        vec![orientation_entry(8)],
        capture_entries(Some("-03:30")),
        gps_entries(),
    );
    let image = quadrants(64, 32);
    let mut png = Vec::new();
    let mut encoder = image::codecs::png::PngEncoder::new(&mut png);
    encoder.set_exif_metadata(exif.clone()).unwrap();
    encoder
        .write_image(image.as_raw(), 64, 32, image::ExtendedColorType::Rgb8)
        .unwrap();
    let mut webp = Vec::new();
    let mut encoder = image::codecs::webp::WebPEncoder::new_lossless(&mut webp);
    encoder.set_exif_metadata(exif).unwrap();
    encoder
        .write_image(image.as_raw(), 64, 32, image::ExtendedColorType::Rgb8)
        .unwrap();
    for (input, format) in [(png, "png"), (webp, "webp")] {
        let photo = process(&input, &policy()).unwrap();
        assert_eq!(photo.source_format, format);
        assert_eq!((photo.width, photo.height), (32, 64), "{format}");
        // Orientation 8: green (top right) comes to the top left.
        assert!(
            close(decode(&photo.jpeg).get_pixel(8, 16), GREEN),
            "{format}"
        );
        assert_eq!(photo.taken_at.as_deref(), Some("2024-05-17T09:41:07-03:30"));
        assert_no_metadata(&photo);
    }
}

#[test]
fn grayscale_and_16_bit_pngs_are_accepted() {
    let gray = DynamicImage::ImageLuma8(image::GrayImage::from_fn(50, 40, |x, _| {
        image::Luma([(x * 5) as u8])
    }));
    let photo = process(&encode(&gray, ImageFormat::Png), &policy()).unwrap();
    assert_eq!((photo.width, photo.height), (50, 40));
    let deep = DynamicImage::ImageRgba16(image::ImageBuffer::from_pixel(
        30,
        20,
        Rgba([65535u16, 0, 0, 65535]),
    ));
    let photo = process(&encode(&deep, ImageFormat::Png), &policy()).unwrap();
    assert!(close(decode(&photo.jpeg).get_pixel(15, 10), [255, 0, 0]));
}

// ---------------------------------------------------------------------------------------------
// Bad input

fn assert_invalid(result: fieldcore::Result<ProcessedPhoto>, what: &str) {
    match result {
        Err(Error::InvalidPhoto(_)) => {}
        other => panic!("{what}: expected InvalidPhoto, got {other:?}"),
    }
}

fn assert_too_large(result: fieldcore::Result<ProcessedPhoto>, what: &str) {
    match result {
        Err(Error::PhotoTooLarge(_)) => {}
        other => panic!("{what}: expected PhotoTooLarge, got {other:?}"),
    }
}

fn assert_unsupported(result: fieldcore::Result<ProcessedPhoto>, name: &str) -> String {
    match result {
        Err(Error::UnsupportedPhoto { format, hint }) => {
            assert_eq!(format, name);
            hint
        }
        other => panic!("{name}: expected UnsupportedPhoto, got {other:?}"),
    }
}

#[test]
fn empty_random_and_truncated_input_is_invalid() {
    assert_invalid(process(&[], &policy()), "empty");
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert_invalid(process(&noise, &policy()), "random bytes");

    let mut fake_jpeg = vec![0xFF, 0xD8, 0xFF];
    fake_jpeg.extend_from_slice(&noise);
    assert_invalid(process(&fake_jpeg, &policy()), "JPEG magic then noise");
    let mut fake_png = b"\x89PNG\r\n\x1a\n".to_vec();
    fake_png.extend_from_slice(&noise);
    assert_invalid(process(&fake_png, &policy()), "PNG magic then noise");
    let mut fake_webp = b"RIFF\0\x10\0\0WEBP".to_vec();
    fake_webp.extend_from_slice(&noise);
    assert_invalid(process(&fake_webp, &policy()), "WebP magic then noise");

    for quality in [60, 95] {
        let whole = phone_photo(Some("+08:00"));
        let jpeg = encode_jpeg(&scene(800, 600), quality);
        for cut in [
            &whole[..whole.len() / 2],
            &jpeg[..jpeg.len() / 2],
            &jpeg[..jpeg.len() - 2],
        ] {
            assert_invalid(process(cut, &policy()), "truncated JPEG");
        }
    }
    let png = encode(&DynamicImage::ImageRgb8(scene(300, 200)), ImageFormat::Png);
    assert_invalid(process(&png[..png.len() / 2], &policy()), "truncated PNG");
    let webp = encode(&DynamicImage::ImageRgb8(scene(300, 200)), ImageFormat::WebP);
    assert_invalid(
        process(&webp[..webp.len() / 2], &policy()),
        "truncated WebP",
    );
}

/// A valid 1×1 PNG whose IHDR is then rewritten to claim `w`×`h`, with a correct CRC.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut png = encode(
        &DynamicImage::ImageRgb8(RgbImage::new(1, 1)),
        ImageFormat::Png,
    );
    // Signature (8), IHDR length (4), "IHDR" (4), width, height, ..., CRC over type + data.
    assert_eq!(&png[12..16], b"IHDR");
    png[16..20].copy_from_slice(&w.to_be_bytes());
    png[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32fast::hash(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

#[test]
fn decompression_bombs_are_refused_before_decoding() {
    assert_too_large(
        process(&png_claiming(100_000, 100_000), &policy()),
        "PNG bomb",
    );
    assert_too_large(process(&png_claiming(9_000, 9_000), &policy()), "81 MP PNG");

    // A JPEG whose frame header claims 60000×60000.
    let mut jpeg = encode_jpeg(&scene(16, 16), 90);
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    jpeg[sof + 5..sof + 7].copy_from_slice(&60_000u16.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&60_000u16.to_be_bytes());
    assert_too_large(process(&jpeg, &policy()), "JPEG bomb");

    let small = PhotoPolicy {
        max_input_bytes: 1000,
        ..policy()
    };
    assert_too_large(
        process(&encode_jpeg(&scene(300, 300), 95), &small),
        "input over max_input_bytes",
    );
    let tight = PhotoPolicy {
        max_decode_bytes: 100_000,
        ..policy()
    };
    assert_too_large(
        process(&encode_jpeg(&scene(300, 300), 90), &tight),
        "over the decode memory limit",
    );
}

/// Found by fuzzing: a WebP whose EXIF chunk header claims gigabytes made the WebP decoder
/// allocate that much before noticing the file is short.
#[test]
fn a_webp_chunk_claiming_more_than_the_file_is_refused() {
    let mut webp = Vec::new();
    let mut encoder = image::codecs::webp::WebPEncoder::new_lossless(&mut webp);
    encoder
        .set_exif_metadata(tiff(vec![orientation_entry(6)], vec![], vec![]))
        .unwrap();
    encoder
        .write_image(
            quadrants(16, 8).as_raw(),
            16,
            8,
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    assert!(process(&webp, &policy()).is_ok());
    let exif = webp.windows(4).position(|w| w == b"EXIF").unwrap();
    webp[exif + 4..exif + 8].copy_from_slice(&0xC000_0000u32.to_le_bytes());
    assert_invalid(process(&webp, &policy()), "EXIF chunk claiming 3 GiB");
}

#[test]
fn heic_and_other_formats_are_named() {
    let mut heic = vec![0, 0, 0, 0x18];
    heic.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
    heic.extend_from_slice(&[0; 64]);
    let hint = assert_unsupported(process(&heic, &policy()), "HEIC");
    assert_eq!(
        hint,
        "convert the photo to JPEG on the device (e.g. request JPEG from the camera or photo \
         picker) before importing"
    );
    let mut iphone = vec![0, 0, 0, 0x1C];
    iphone.extend_from_slice(b"ftypmif1\0\0\0\0mif1MiHEmiafheic");
    assert_unsupported(process(&iphone, &policy()), "HEIC");
    let mut avif = vec![0, 0, 0, 0x18];
    avif.extend_from_slice(b"ftypavif\0\0\0\0mif1miaf");
    assert_unsupported(process(&avif, &policy()), "AVIF");

    let mut fake_gif = b"GIF89a".to_vec();
    fake_gif.extend_from_slice(&[1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x3B]);
    assert_unsupported(process(&fake_gif, &policy()), "GIF");
    assert_unsupported(process(b"II*\0\x08\0\0\0rest", &policy()), "TIFF");
    assert_unsupported(process(b"MM\0*\0\0\0\x08rest", &policy()), "TIFF");
}

#[test]
fn policies_written_before_photos_existed_still_load() {
    let mut json = serde_json::to_value(fieldcore::Policies::default()).unwrap();
    json.as_object_mut().unwrap().remove("photos").unwrap();
    let old: fieldcore::Policies = serde_json::from_value(json).unwrap();
    assert_eq!(old.photos, PhotoPolicy::default());
    let partial: PhotoPolicy = serde_json::from_str(r#"{"keep_gps": true}"#).unwrap();
    assert!(partial.keep_gps);
    assert_eq!(partial.max_edge, 2048);
}
