//! Replays the fuzzing corpus (fuzz/corpus/import_photo) through the photo import on every test
//! run, so whatever the fuzzer once found stays fixed without cargo-fuzz. The ignored test at
//! the end writes the hand-made seed photos the corpus started from.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use fieldcore::Error;
use fieldcore::{PhotoPolicy, process_photo as process};
use image::{DynamicImage, ImageEncoder, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/import_photo")
}

/// The policy of the fuzz target (fuzz/fuzz_targets/import_photo.rs): the corpus was grown
/// under it. Its small output edge also keeps this replay quick in a debug build, where the
/// JPEG encoder (generic, so compiled into this crate) runs unoptimised.
fn fuzz_policy() -> PhotoPolicy {
    PhotoPolicy {
        max_edge: 256,
        thumbnail_edge: 64,
        keep_gps: true,
        max_input_bytes: 1 << 20,
        max_pixels: 4_000_000,
        max_decode_bytes: 64 << 20,
        ..PhotoPolicy::default()
    }
}

#[test]
fn every_corpus_file_imports_or_fails_with_a_photo_error() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("the fuzz corpus folder")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "the fuzz corpus is empty");

    let policy = fuzz_policy();
    let mut imported = 0;
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        match process(&bytes, &policy) {
            Ok(photo) => {
                assert!(photo.width.max(photo.height) <= policy.max_edge);
                assert!(photo.thumbnail_width.max(photo.thumbnail_height) <= policy.thumbnail_edge);
                imported += 1;
            }
            Err(Error::UnsupportedPhoto { .. } | Error::InvalidPhoto(_)) => {}
            Err(Error::PhotoTooLarge(_)) => {}
            Err(other) => panic!("{}: untyped error {other:?}", path.display()),
        }
    }
    // The corpus keeps valid photos of each kind, so the whole pipeline runs here too.
    assert!(imported > 0, "no corpus file imported");
}

// ---------------------------------------------------------------------------------------------
// The seeds

/// Little-endian TIFF with Orientation, an Exif IFD (DateTimeOriginal, OffsetTimeOriginal) and
/// a GPS IFD (latitude and longitude with their hemispheres), laid out by hand.
fn exif_tiff(orientation: u16) -> Vec<u8> {
    fn entry(out: &mut Vec<u8>, tag: u16, typ: u16, count: u32, value: [u8; 4]) {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&typ.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&value);
    }
    let ifd = |entries: u32| 2 + 12 * entries + 4;
    let exif_at = 8 + ifd(3);
    let gps_at = exif_at + ifd(2);
    let date_at = gps_at + ifd(4);
    let offset_at = date_at + 20;
    let lat_at = offset_at + 8;
    let lon_at = lat_at + 24;

    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&8u32.to_le_bytes());
    out.extend_from_slice(&3u16.to_le_bytes());
    let mut short = [0; 4];
    short[..2].copy_from_slice(&orientation.to_le_bytes());
    entry(&mut out, 0x0112, 3, 1, short);
    entry(&mut out, 0x8769, 4, 1, exif_at.to_le_bytes());
    entry(&mut out, 0x8825, 4, 1, gps_at.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut out, 0x9003, 2, 20, date_at.to_le_bytes());
    entry(&mut out, 0x9011, 2, 7, offset_at.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    entry(&mut out, 0x0001, 2, 2, *b"N\0\0\0");
    entry(&mut out, 0x0002, 5, 3, lat_at.to_le_bytes());
    entry(&mut out, 0x0003, 2, 2, *b"E\0\0\0");
    entry(&mut out, 0x0004, 5, 3, lon_at.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(b"2025:11:02 14:05:09\0");
    out.extend_from_slice(b"+08:00\0\0");
    for (n, d) in [
        (38u32, 1u32),
        (2, 1),
        (1234, 100),
        (114, 1),
        (30, 1),
        (5678, 100),
    ] {
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&d.to_le_bytes());
    }
    assert_eq!(out.len() as u32, lon_at + 24);
    out
}

fn scene(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let edge = if (x / 13 + y / 9) % 4 == 0 { 80 } else { 0 };
        Rgb([
            ((x * 255 / w) as u8).wrapping_add(edge),
            (y * 255 / h) as u8,
            (((x ^ y) * 3) % 256) as u8,
        ])
    })
}

fn jpeg(
    image: &RgbImage,
    quality: u8,
    setup: impl FnOnce(&mut jpeg_encoder::Encoder<&mut Vec<u8>>),
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    setup(&mut encoder);
    encoder
        .encode(
            image.as_raw(),
            image.width() as u16,
            image.height() as u16,
            jpeg_encoder::ColorType::Rgb,
        )
        .unwrap();
    out
}

fn with_exif(format: ImageFormat, image: &DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    let exif = exif_tiff(6);
    match format {
        ImageFormat::Png => {
            let mut encoder = image::codecs::png::PngEncoder::new(&mut out);
            encoder.set_exif_metadata(exif).unwrap();
            encoder
                .write_image(
                    image.as_bytes(),
                    image.width(),
                    image.height(),
                    image.color().into(),
                )
                .unwrap();
        }
        _ => {
            let mut encoder = image::codecs::webp::WebPEncoder::new_lossless(&mut out);
            encoder.set_exif_metadata(exif).unwrap();
            encoder
                .write_image(
                    image.as_bytes(),
                    image.width(),
                    image.height(),
                    image.color().into(),
                )
                .unwrap();
        }
    }
    out
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// Writes the seed photos into the corpus folder. Run by hand when the seeds should change:
/// `cargo test -p fieldcore --test photo_fuzz_corpus -- --ignored`.
#[test]
#[ignore = "writes files into fuzz/corpus"]
fn write_seed_corpus() {
    let small = scene(48, 32);
    let rgba = DynamicImage::ImageRgba8(RgbaImage::from_fn(40, 30, |x, y| {
        Rgba([(x * 6) as u8, (y * 8) as u8, 90, ((x + y) * 4) as u8])
    }));
    let mut heic = vec![0, 0, 0, 0x18];
    heic.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        (
            "seed-jpeg-exif-o6.jpg",
            jpeg(&small, 85, |e| e.add_exif_metadata(&exif_tiff(6)).unwrap()),
        ),
        (
            "seed-jpeg-exif-o5-444.jpg",
            jpeg(&scene(32, 24), 95, |e| {
                e.add_exif_metadata(&exif_tiff(5)).unwrap()
            }),
        ),
        (
            "seed-jpeg-progressive.jpg",
            jpeg(&small, 80, |e| e.set_progressive(true)),
        ),
        (
            "seed-jpeg-restart.jpg",
            jpeg(&small, 75, |e| e.set_restart_interval(2)),
        ),
        (
            "seed-jpeg-xmp-icc.jpg",
            jpeg(&scene(24, 16), 70, |e| {
                e.add_app_segment(1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>".to_vec())
                    .unwrap();
                e.add_icc_profile(&[0; 128]).unwrap();
            }),
        ),
        (
            "seed-jpeg-gray.jpg",
            encode(
                &DynamicImage::ImageLuma8(image::GrayImage::from_fn(32, 32, |x, y| {
                    image::Luma([((x * 8) ^ (y * 8)) as u8])
                })),
                ImageFormat::Jpeg,
            ),
        ),
        ("seed-png-rgba.png", encode(&rgba, ImageFormat::Png)),
        (
            "seed-png-exif.png",
            with_exif(ImageFormat::Png, &DynamicImage::ImageRgb8(scene(20, 12))),
        ),
        (
            "seed-png-gray16.png",
            encode(
                &DynamicImage::ImageLuma16(image::ImageBuffer::from_fn(16, 16, |x, y| {
                    image::Luma([(x * 4000 + y * 97) as u16])
                })),
                ImageFormat::Png,
            ),
        ),
        ("seed-webp-rgba.webp", encode(&rgba, ImageFormat::WebP)),
        (
            "seed-webp-exif.webp",
            with_exif(ImageFormat::WebP, &DynamicImage::ImageRgb8(scene(20, 12))),
        ),
        ("seed-heic-header.heic", heic),
        (
            "seed-gif-header.gif",
            b"GIF89a\x01\0\x01\0\x80\0\0".to_vec(),
        ),
        ("seed-tiff-header.tif", b"II*\0\x08\0\0\0\0\0".to_vec()),
    ];
    let dir = corpus_dir();
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in seeds {
        assert!(bytes.len() < 20_000, "{name} is {} bytes", bytes.len());
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}
