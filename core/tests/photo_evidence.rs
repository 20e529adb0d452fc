//! Photos as evidence from real cameras: damaged JPEGs refused (not stored half grey),
//! wide-gamut colour converted to sRGB against a reference conversion, peak memory bounded by
//! the policy before decoding, and pixels the platform decoded (HEIC) imported like files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fieldcore::{
    Error, GpsPosition, Invalid, Locale, Localized, PhotoPolicy, PlatformPixels, process_photo,
    process_pixels,
};
use image::{Rgb, RgbImage};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A photo-like picture: gradients, edges and sensor noise, so its JPEG has the entropy of a
/// real photo (a flat test card would compress to almost nothing).
fn scene(w: u32, h: u32, seed: u64) -> RgbImage {
    let mut rng = StdRng::seed_from_u64(seed);
    RgbImage::from_fn(w, h, |x, y| {
        let base = [
            (x * 255 / w) as f32,
            (y * 255 / h) as f32,
            (((x / 40 + y / 40) % 2) * 120 + 60) as f32,
        ];
        let noise = (rng.random::<f32>() - 0.5) * 40.0;
        Rgb(base.map(|c| (c + noise).clamp(0.0, 255.0) as u8))
    })
}

struct JpegOptions {
    progressive: bool,
    restart_interval: Option<u16>,
    icc: Option<Vec<u8>>,
}

const PLAIN: JpegOptions = JpegOptions {
    progressive: false,
    restart_interval: None,
    icc: None,
};

fn jpeg(image: &RgbImage, quality: u8, options: &JpegOptions) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    encoder.set_progressive(options.progressive);
    if let Some(interval) = options.restart_interval {
        encoder.set_restart_interval(interval);
    }
    if let Some(icc) = &options.icc {
        encoder.add_icc_profile(icc).unwrap();
    }
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

/// Where the first scan's entropy-coded data starts: after the SOS segment.
fn scan_start(jpeg: &[u8]) -> usize {
    let mut at = 2;
    loop {
        let marker = jpeg[at + 1];
        let len = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        at += 2 + len;
        if marker == 0xDA {
            return at;
        }
    }
}

fn assert_damaged(result: fieldcore::Result<fieldcore::ProcessedPhoto>, what: &str) {
    match result {
        Err(e @ Error::InvalidPhoto(_)) => {
            let en = e.text(Locale::En);
            assert!(
                en.contains("damaged") || en.contains("cut off"),
                "{what}: {en}"
            );
            assert!(e.text(Locale::ZhCn).contains("JPEG"), "{what}");
        }
        other => panic!("{what}: expected a damaged-photo refusal, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Damaged JPEGs

/// The damage a flaky card or an interrupted copy does, in the middle of the scan data with
/// the length and the end marker intact: zeroed, overwritten with random bytes, erased to
/// 0xFF.
fn damaged_variants(photo: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let start = scan_start(photo);
    let middle = start + (photo.len() - start) / 2;
    let mut rng = StdRng::seed_from_u64(17);
    let mut zeroed = photo.to_vec();
    let zero_len = (16 * 1024).min((photo.len() - middle) / 2);
    zeroed[middle..middle + zero_len].fill(0);
    let mut random = photo.to_vec();
    for b in &mut random[middle..middle + 8 * 1024] {
        *b = rng.random();
    }
    let mut erased = photo.to_vec();
    erased[middle..middle + 4096].fill(0xFF);
    vec![("zeroed", zeroed), ("random", random), ("erased", erased)]
}

#[test]
fn damaged_jpegs_are_refused_and_intact_ones_accepted() {
    let image = scene(1600, 1200, 3);
    let layouts = [
        ("baseline", PLAIN),
        (
            "baseline with restart markers",
            JpegOptions {
                restart_interval: Some(8),
                ..PLAIN
            },
        ),
        (
            "progressive",
            JpegOptions {
                progressive: true,
                ..PLAIN
            },
        ),
    ];
    for (name, options) in layouts {
        let photo = jpeg(&image, 92, &options);
        assert!(photo.len() > 200_000, "{name}: {} bytes", photo.len());
        let intact = process_photo(&photo, &PhotoPolicy::default()).unwrap();
        assert_eq!((intact.width, intact.height), (1600, 1200), "{name}");
        for (damage, bytes) in damaged_variants(&photo) {
            assert_eq!(bytes.len(), photo.len());
            assert!(bytes.ends_with(&[0xFF, 0xD9]));
            assert_damaged(
                process_photo(&bytes, &PhotoPolicy::default()),
                &format!("{name}, {damage}"),
            );
        }
    }
}

#[test]
fn a_black_photo_with_optimised_tables_is_not_mistaken_for_a_zeroed_one() {
    // A photo of nothing (lens cap on, a dark cabinet) with Huffman tables fitted to it codes
    // every block as zero bits: long zero runs that are the picture, not damage.
    let black = RgbImage::from_pixel(2048, 2048, Rgb([0, 0, 0]));
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
    encoder.set_optimized_huffman_tables(true);
    encoder
        .encode(black.as_raw(), 2048, 2048, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    let photo = process_photo(&out, &PhotoPolicy::default()).unwrap();
    assert_eq!((photo.width, photo.height), (2048, 2048));
}

/// Where each scan's entropy-coded data lies: from after its SOS segment to the marker that
/// ends it (restart markers belong to the scan).
fn scans(jpeg: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 2;
    while at + 4 <= jpeg.len() {
        let marker = jpeg[at + 1];
        if marker == 0xD9 {
            break;
        }
        let len = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        at += 2 + len;
        if marker == 0xDA {
            let start = at;
            while jpeg[at] != 0xFF || matches!(jpeg[at + 1], 0x00 | 0xD0..=0xD7) {
                at += 1;
            }
            out.push((start, at));
        }
    }
    out
}

/// A progressive JPEG from jpeg-encoder: DC first, then AC bands per component.
fn progressive(image: &RgbImage, sampling: jpeg_encoder::SamplingFactor) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 92);
    encoder.set_progressive(true);
    encoder.set_sampling_factor(sampling);
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

/// The stored photo when half the picture is still at least `max_edge`: decoded at half size.
fn reduced_policy() -> PhotoPolicy {
    PhotoPolicy {
        max_edge: 800,
        ..PhotoPolicy::default()
    }
}

#[test]
fn random_bytes_in_any_scan_are_refused() {
    // zune-jpeg, even strict, skips what is left of a scan before the next marker and reads
    // zeros past it: random bytes in scan data decoded to wrong pixels silently (in 15 of 19
    // scans of the progressive photos below, and half of the baseline positions). The bytes
    // here hold no 0xFF, so they make no marker the structure walk could see; only decoding
    // the scan shows the damage. Every scan is damaged in turn (a baseline one at three
    // places), at full size (zune-jpeg's pixels, the core's check) and at half size (the
    // core's own decoding).
    let image = scene(1600, 1200, 5);
    let mut photos = Vec::new();
    for sampling in [
        jpeg_encoder::SamplingFactor::F_1_1,
        jpeg_encoder::SamplingFactor::F_2_2,
    ] {
        photos.push((
            format!("progressive {sampling:?}"),
            progressive(&image, sampling),
        ));
    }
    photos.push(("baseline".into(), jpeg(&image, 92, &PLAIN)));
    let restarts = JpegOptions {
        restart_interval: Some(8),
        ..PLAIN
    };
    photos.push(("baseline with restarts".into(), jpeg(&image, 92, &restarts)));
    for (name, photo) in &photos {
        for policy in [PhotoPolicy::default(), reduced_policy()] {
            let intact = process_photo(photo, &policy).unwrap();
            assert!(intact.width >= 800, "{name}");
        }
        let big_scans: Vec<(usize, usize)> = scans(photo)
            .into_iter()
            .filter(|(start, end)| end - start >= 2048)
            .collect();
        assert!(!big_scans.is_empty(), "{name}");
        for (i, &(start, end)) in big_scans.iter().enumerate() {
            let len = ((end - start) / 2).min(8 * 1024);
            let middle = start + (end - start - len) / 2;
            let places = if big_scans.len() == 1 {
                vec![start, start + (end - start) / 4, middle]
            } else {
                vec![middle]
            };
            for at in places {
                let mut rng = StdRng::seed_from_u64(i as u64);
                let mut copy = photo.clone();
                for b in &mut copy[at..at + len] {
                    *b = rng.random_range(0..=0xFE);
                }
                for policy in [PhotoPolicy::default(), reduced_policy()] {
                    assert_damaged(
                        process_photo(&copy, &policy),
                        &format!(
                            "{name}, scan at {start}, damage at {at}, max_edge {}",
                            policy.max_edge
                        ),
                    );
                }
            }
        }
    }
}

/// Mean and largest difference of two pictures of the same size, per channel.
fn difference(a: &RgbImage, b: &RgbImage) -> (f64, u8) {
    assert_eq!(a.dimensions(), b.dimensions());
    let diffs = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| x.abs_diff(*y));
    let (sum, max) = diffs.fold((0u64, 0u8), |(s, m), d| (s + u64::from(d), m.max(d)));
    (sum as f64 / a.as_raw().len() as f64, max)
}

#[test]
fn a_progressive_photo_decoded_at_half_size_is_stored_as_when_decoded_whole() {
    // Progressive and baseline coding of one picture hold the same coefficients; the baseline
    // one is decoded at full size by zune-jpeg and resized, the progressive one (half of it
    // is still the stored size) reconstructed at half size in the DCT domain.
    let image = scene(1600, 1200, 6);
    for (sampling, name) in [
        (jpeg_encoder::SamplingFactor::F_1_1, "4:4:4"),
        (jpeg_encoder::SamplingFactor::F_2_1, "4:2:2"),
        (jpeg_encoder::SamplingFactor::F_2_2, "4:2:0"),
    ] {
        let mut whole = Vec::new();
        let mut encoder = jpeg_encoder::Encoder::new(&mut whole, 92);
        encoder.set_sampling_factor(sampling);
        encoder
            .encode(image.as_raw(), 1600, 1200, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        let half = progressive(&image, sampling);
        let a = process_photo(&whole, &reduced_policy()).unwrap();
        let b = process_photo(&half, &reduced_policy()).unwrap();
        assert_eq!((a.width, a.height), (800, 600), "{name}");
        assert_eq!((b.width, b.height), (800, 600), "{name}");
        let a = image::load_from_memory(&a.jpeg).unwrap().into_rgb8();
        let b = image::load_from_memory(&b.jpeg).unwrap().into_rgb8();
        // Against the picture itself resized: the half-size decoding is as close as the
        // whole one (the noise of the scene is what both filters differ on).
        let reference =
            image::imageops::resize(&image, 800, 600, image::imageops::FilterType::Lanczos3);
        let (whole_mean, _) = difference(&a, &reference);
        let (half_mean, half_max) = difference(&b, &reference);
        let (between, _) = difference(&a, &b);
        println!(
            "{name}: whole {whole_mean:.2}, half {half_mean:.2} (max {half_max}), between {between:.2}"
        );
        assert!(
            half_mean <= whole_mean + 1.0 && half_max < 80,
            "{name}: half {half_mean:.2} (max {half_max}), whole {whole_mean:.2}"
        );
    }
}

#[test]
fn a_cut_off_jpeg_says_so_in_both_languages() {
    let photo = jpeg(&scene(640, 480, 4), 90, &PLAIN);
    let err = process_photo(&photo[..photo.len() * 2 / 3], &PhotoPolicy::default()).unwrap_err();
    assert!(err.text(Locale::En).contains("cut off"), "{err}");
    assert!(err.text(Locale::ZhCn).contains("不完整"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Colour

fn srgb_encode(linear: f64) -> f64 {
    let v = linear.clamp(0.0, 1.0);
    if v <= 0.003_130_8 {
        12.92 * v
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    }
}

fn srgb_decode(v: f64) -> f64 {
    if v <= 0.040_45 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

fn mul(m: [[f64; 3]; 3], v: [f64; 3]) -> [f64; 3] {
    [0, 1, 2].map(|r| m[r][0] * v[0] + m[r][1] * v[1] + m[r][2] * v[2])
}

/// The reference: the published RGB→XYZ (D65) matrices of each space and XYZ→linear sRGB,
/// with each space's transfer curve, computed here independently of the colour library.
fn reference(space: &str, rgb: [u8; 3]) -> [u8; 3] {
    const XYZ_TO_SRGB: [[f64; 3]; 3] = [
        [3.240_454_2, -1.537_138_5, -0.498_531_4],
        [-0.969_266_0, 1.876_010_8, 0.041_556_0],
        [0.055_643_4, -0.204_025_9, 1.057_225_2],
    ];
    const ADOBE_TO_XYZ: [[f64; 3]; 3] = [
        [0.576_730_9, 0.185_554_0, 0.188_185_2],
        [0.297_376_9, 0.627_349_1, 0.075_274_1],
        [0.027_034_3, 0.070_687_2, 0.991_108_5],
    ];
    const P3_TO_XYZ: [[f64; 3]; 3] = [
        [0.486_570_9, 0.265_667_7, 0.198_217_3],
        [0.228_974_6, 0.691_738_5, 0.079_286_9],
        [0.0, 0.045_113_4, 1.043_944_4],
    ];
    let v = rgb.map(|c| f64::from(c) / 255.0);
    let xyz = match space {
        "adobe" => mul(ADOBE_TO_XYZ, v.map(|c| c.powf(563.0 / 256.0))),
        _ => mul(P3_TO_XYZ, v.map(srgb_decode)),
    };
    mul(XYZ_TO_SRGB, xyz).map(|c| (srgb_encode(c) * 255.0).round() as u8)
}

fn centre_pixel(jpeg: &[u8]) -> [u8; 3] {
    let image = image::load_from_memory(jpeg).unwrap().into_rgb8();
    image.get_pixel(image.width() / 2, image.height() / 2).0
}

#[test]
fn adobe_rgb_and_display_p3_photos_are_converted_to_srgb() {
    let profiles = [
        ("adobe", moxcms::ColorProfile::new_adobe_rgb()),
        ("p3", moxcms::ColorProfile::new_display_p3()),
    ];
    for (space, profile) in profiles {
        let icc = profile.encode().unwrap();
        for colour in [[180, 90, 60], [90, 150, 70], [200, 60, 50]] {
            let flat = RgbImage::from_pixel(256, 192, Rgb(colour));
            let options = JpegOptions {
                icc: Some(icc.clone()),
                ..PLAIN
            };
            let stored =
                process_photo(&jpeg(&flat, 95, &options), &PhotoPolicy::default()).unwrap();
            let got = centre_pixel(&stored.jpeg);
            let want = reference(space, colour);
            let far = |a: [u8; 3], b: [u8; 3]| {
                (0..3)
                    .map(|i| a[i].abs_diff(b[i]))
                    .max()
                    .unwrap_or_default()
            };
            assert!(
                far(got, want) <= 6,
                "{space} {colour:?}: stored {got:?}, reference {want:?}"
            );
            // The conversion matters: the untouched values are far from the reference.
            assert!(far(colour, want) >= 8, "{space} {colour:?} vs {want:?}");
        }
    }
}

#[test]
fn a_photo_without_a_profile_or_with_a_broken_one_keeps_its_values() {
    let flat = RgbImage::from_pixel(128, 96, Rgb([180, 90, 60]));
    for icc in [None, Some(b"not a colour profile at all".to_vec())] {
        let options = JpegOptions { icc, ..PLAIN };
        let stored = process_photo(&jpeg(&flat, 95, &options), &PhotoPolicy::default()).unwrap();
        let got = centre_pixel(&stored.jpeg);
        for (g, w) in got.iter().zip([180u8, 90, 60]) {
            assert!(g.abs_diff(w) <= 3, "{got:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Memory

fn png16_rgba(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Sixteen);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().unwrap();
    let mut data = Vec::with_capacity((w * h * 8) as usize);
    for y in 0..h {
        for x in 0..w {
            for v in [x * 40, y * 50, (x + y) * 20, 65_535] {
                data.extend_from_slice(&((v % 65_536) as u16).to_be_bytes());
            }
        }
    }
    writer.write_image_data(&data).unwrap();
    writer.finish().unwrap();
    out
}

#[test]
fn a_16_bit_rgba_png_is_decoded_narrow_within_the_cap() {
    // 1500×1500 at 16-bit RGBA is 18 MB at full width; decoded to 8 bits and narrowed in place
    // it needs 9 MB, so a 12 MB cap accepts it.
    let policy = PhotoPolicy {
        max_decode_bytes: 12_000_000,
        ..PhotoPolicy::default()
    };
    let photo = process_photo(&png16_rgba(1500, 1500), &policy).unwrap();
    assert_eq!((photo.width, photo.height), (1500, 1500));
    let tight = PhotoPolicy {
        max_decode_bytes: 8_000_000,
        ..PhotoPolicy::default()
    };
    match process_photo(&png16_rgba(1500, 1500), &tight) {
        Err(e @ Error::PhotoTooLarge(_)) => {
            assert!(e.text(Locale::En).contains("MB of memory"), "{e}");
            assert!(e.text(Locale::ZhCn).contains("内存"), "{e}");
        }
        other => panic!("expected PhotoTooLarge, got {other:?}"),
    }
}

#[test]
fn a_progressive_jpeg_is_refused_when_its_coefficients_would_pass_the_cap() {
    // The same picture: baseline decodes row by row (3 bytes a pixel), progressive keeps every
    // coefficient until the last scan (6 more bytes a pixel for three components).
    let image = scene(1200, 1000, 5);
    let policy = PhotoPolicy {
        max_decode_bytes: 6_000_000,
        ..PhotoPolicy::default()
    };
    process_photo(&jpeg(&image, 85, &PLAIN), &policy).unwrap();
    let progressive = JpegOptions {
        progressive: true,
        ..PLAIN
    };
    assert!(matches!(
        process_photo(&jpeg(&image, 85, &progressive), &policy),
        Err(Error::PhotoTooLarge(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// Pixels from the platform

fn pixels(w: u32, h: u32) -> PlatformPixels {
    let mut rgba = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        for x in 0..w {
            // Left half red, right half transparent (composited on white).
            if x < w / 2 {
                rgba.extend_from_slice(&[200, 30, 30, 255]);
            } else {
                rgba.extend_from_slice(&[0, 0, 0, if y < h { 0 } else { 255 }]);
            }
        }
    }
    PlatformPixels {
        rgba,
        width: w,
        height: h,
        orientation: 1,
        taken_at: Some("2026-03-14T10:26:53+08:00".into()),
        location: Some(GpsPosition {
            lat: 31.2304,
            lon: 121.4737,
        }),
    }
}

#[test]
fn platform_pixels_are_processed_like_a_file() {
    let photo = process_pixels(pixels(400, 300), &PhotoPolicy::default()).unwrap();
    assert_eq!((photo.width, photo.height), (400, 300));
    assert_eq!(photo.source_format, "platform");
    assert_eq!(photo.taken_at.as_deref(), Some("2026-03-14T10:26:53+08:00"));
    // The default policy keeps no position.
    assert_eq!(photo.gps, None);
    let decoded = image::load_from_memory(&photo.jpeg).unwrap().into_rgb8();
    let left = decoded.get_pixel(50, 150).0;
    let right = decoded.get_pixel(350, 150).0;
    assert!(left[0] > 180 && left[1] < 60, "{left:?}");
    assert!(right.iter().all(|&c| c > 240), "{right:?}");

    let keep = PhotoPolicy {
        keep_gps: true,
        ..PhotoPolicy::default()
    };
    let photo = process_pixels(pixels(400, 300), &keep).unwrap();
    assert_eq!(photo.gps.map(|g| g.lat), Some(31.2304));

    // Orientation 6: shot with the phone turned; stored upright.
    let turned = PlatformPixels {
        orientation: 6,
        ..pixels(400, 300)
    };
    let photo = process_pixels(turned, &PhotoPolicy::default()).unwrap();
    assert_eq!((photo.width, photo.height), (300, 400));
}

#[test]
fn bad_platform_pixels_are_refused_with_typed_errors() {
    let policy = PhotoPolicy::default();
    let mut short = pixels(40, 30);
    short.rgba.pop();
    assert!(matches!(
        process_pixels(short, &policy),
        Err(Error::InvalidPhoto(_))
    ));
    let sideways = PlatformPixels {
        orientation: 9,
        ..pixels(40, 30)
    };
    assert!(matches!(
        process_pixels(sideways, &policy),
        Err(Error::InvalidPhoto(_))
    ));
    let when = PlatformPixels {
        taken_at: Some("last Tuesday".into()),
        ..pixels(40, 30)
    };
    assert!(matches!(
        process_pixels(when, &policy),
        Err(Error::Validation {
            field: "taken_at",
            reason: Invalid::NotCaptureTime
        })
    ));
    let nowhere = PlatformPixels {
        location: Some(GpsPosition {
            lat: 91.0,
            lon: 0.0,
        }),
        ..pixels(40, 30)
    };
    assert!(matches!(
        process_pixels(nowhere, &policy),
        Err(Error::Validation {
            field: "location",
            reason: Invalid::NotCoordinate
        })
    ));
    let empty = PlatformPixels {
        rgba: Vec::new(),
        width: 0,
        height: 0,
        ..pixels(1, 1)
    };
    assert!(matches!(
        process_pixels(empty, &policy),
        Err(Error::InvalidPhoto(_))
    ));
    let huge = PlatformPixels {
        rgba: Vec::new(),
        width: 10_000,
        height: 10_000,
        ..pixels(1, 1)
    };
    assert!(matches!(
        process_pixels(huge, &policy),
        Err(Error::PhotoTooLarge(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// Messages

#[test]
fn an_oversized_file_says_its_size_and_the_limit_in_megabytes() {
    let policy = PhotoPolicy {
        max_input_bytes: 1_000_000,
        ..PhotoPolicy::default()
    };
    let mut bytes = jpeg(&scene(64, 64, 1), 90, &PLAIN);
    bytes.resize(2_500_000, 0);
    let err = process_photo(&bytes, &policy).unwrap_err();
    assert_eq!(
        err.text(Locale::En),
        "photo too large: the file is 2.5 MB; the limit is 1.0 MB"
    );
    assert!(err.text(Locale::ZhCn).contains("2.5 MB"), "{err}");
}

#[test]
fn a_damaged_png_is_described_in_plain_words() {
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(scene(200, 150, 2))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    // Overwrite part of the compressed data; the chunk lengths stay.
    let middle = png.len() / 2;
    for b in &mut png[middle..middle + 64] {
        *b ^= 0x5A;
    }
    let err = process_photo(&png, &PhotoPolicy::default()).unwrap_err();
    let en = err.text(Locale::En);
    assert!(
        en.starts_with("photo could not be read: the PNG file is damaged"),
        "{en}"
    );
    assert!(err.text(Locale::ZhCn).contains("PNG 文件已损坏"), "{err}");
}
