//! The demo's photos, drawn in code so the demo needs no files: the motor's nameplate, the
//! discoloured bearing found on site, and the customer's signature, each a camera-like JPEG.
//! Drawing is deterministic (the same bytes every run) and cheap: whole rows at a time, no
//! trigonometry per pixel, and jpeg-encoder (several times faster than the `image` crate's
//! encoder) for the JPEGs; all three take a few tens of milliseconds in a release build.

use fieldcore::PhotoKind;
use image::{Rgb, RgbImage};
use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

use crate::error::{CliError, Result};

/// What a phone camera writes; the core re-encodes it anyway.
const QUALITY: u8 = 88;

/// A 1600×1200 photo of the nameplate riveted to the blue motor housing: brushed metal, an
/// embossed frame, four rivets, and dark glyph blocks where its text lines are.
pub fn nameplate() -> Result<Vec<u8>> {
    let (w, h) = (1600, 1200);
    let plate = Rect::new(220, 170, 1380, 1030);
    let mut img = RgbImage::new(w, h);
    for (y, row) in rows(&mut img) {
        if (plate.y0..plate.y1).contains(&y) {
            // Brushed aluminium: lighter towards the top left, streaked along the rows.
            let streak = (hash(y, 7, 1) % 9) as f32 - 4.0;
            let top = 205.0 + streak - 40.0 * (y - plate.y0) as f32 / 2020.0;
            housing(row, y, h, 0..plate.x0);
            housing(row, y, h, plate.x1..w);
            for x in plate.x0..plate.x1 {
                let v = top - 40.0 * (x - plate.x0) as f32 / 2020.0;
                set(row, x, [clamp(v), clamp(v), clamp(v * 1.02)]);
            }
        } else {
            housing(row, y, h, 0..w);
        }
    }

    // The embossed frame and its shadow.
    for (inset, delta) in [(18, -45), (24, -45), (26, 25)] {
        outline(&mut img, plate.inset(inset), 3, delta);
    }
    // Rivets: a dark rim and a highlight.
    for (cx, cy) in [
        (plate.x0 + 48, plate.y0 + 48),
        (plate.x1 - 48, plate.y0 + 48),
        (plate.x0 + 48, plate.y1 - 48),
        (plate.x1 - 48, plate.y1 - 48),
    ] {
        disc(&mut img, cx as f32, cy as f32, 17.0, [95, 95, 100]);
        disc(
            &mut img,
            cx as f32 - 4.0,
            cy as f32 - 4.0,
            9.0,
            [225, 225, 230],
        );
    }
    // The maker's name and the motor type across the top, in larger glyphs.
    glyphs(&mut img, Rect::new(430, 240, 1170, 310), 58, 12);
    // Label and value columns: type, power, voltage, current, speed, frequency, insulation.
    let values = [520, 300, 380, 260, 330, 220, 440];
    for (row, value) in (0u32..).zip(values) {
        let y = 370 + 78 * row;
        let label = 180 + 40 * (row % 3);
        glyphs(&mut img, Rect::new(320, y, 320 + label, y + 36), 30, 8);
        glyphs(&mut img, Rect::new(720, y, 720 + value, y + 36), 26, 7);
    }
    // The serial number in its stamped box.
    outline(&mut img, Rect::new(700, 930, 1240, 990), 4, -70);
    glyphs(&mut img, Rect::new(720, 942, 1210, 978), 26, 7);
    glyphs(&mut img, Rect::new(320, 942, 560, 978), 30, 8);

    finish(&mut img, 6);
    jpeg(&img, PhotoKind::Nameplate)
}

/// Painted cast iron with cooling fins every 60 px, darker towards the bottom.
fn housing(row: &mut [u8], y: u32, h: u32, xs: std::ops::Range<u32>) {
    let fin = if y % 60 < 12 { -22.0 } else { 0.0 };
    let shade = 1.0 - 0.25 * y as f32 / h as f32;
    let colour = rgb(62.0 + fin, 86.0 + fin, 118.0 + fin, shade);
    for x in xs {
        set(row, x, colour);
    }
}

/// A 1200×900 photo of the removed drive-end bearing on the bench: outer race, balls in their
/// cage, inner race, and a dark heat-discoloured patch with pitting on one side.
pub fn bearing_defect() -> Result<Vec<u8>> {
    let (w, h) = (1200, 900);
    let (cx, cy) = (600.0_f32, 450.0_f32);
    let (inner, outer) = (140.0_f32, 385.0_f32);
    // Nine balls on a 260 px pitch circle.
    let balls: Vec<(f32, f32)> = (0..9)
        .map(|i| {
            let a = std::f32::consts::TAU * i as f32 / 9.0;
            (260.0 * a.cos(), 260.0 * a.sin())
        })
        .collect();
    // The discoloured side, at about 10 o'clock, as a unit vector; the patch spans ±0.75 rad.
    let patch = (3.6_f32.cos(), 3.6_f32.sin());
    let patch_reach = 0.75_f32;
    let patch_cos = patch_reach.cos();
    // Lit from the top left.
    let light_dir = -std::f32::consts::FRAC_1_SQRT_2;

    let mut img = RgbImage::new(w, h);
    for (y, row) in rows(&mut img) {
        let shade = 1.0 - 0.3 * y as f32 / h as f32;
        let bench = rgb(58.0, 52.0, 46.0, shade);
        let gap = bench.map(|c| c / 2);
        let dy = y as f32 - cy;
        // Only the columns the bearing can reach need any geometry.
        let span = (outer * outer - dy * dy).max(0.0).sqrt();
        let (x0, x1) = ((cx - span).max(0.0) as u32, ((cx + span) as u32 + 1).min(w));
        for x in (0..x0).chain(x1..w) {
            set(row, x, bench);
        }
        for x in x0..x1 {
            let dx = x as f32 - cx;
            let r = (dx * dx + dy * dy).sqrt();
            if !(inner..=outer).contains(&r) {
                set(row, x, bench);
                continue;
            }
            let (ux, uy) = (dx / r, dy / r);
            let light = 0.75 + 0.25 * light_dir * (ux + uy);
            let steel = |profile: f32| {
                let v = (125.0 + 85.0 * profile) * light;
                rgb(v, v, v * 1.03, 1.0)
            };
            let mut colour = if r >= 305.0 {
                steel(bump(r, 305.0, outer))
            } else if r < 215.0 {
                steel(bump(r, inner, 215.0))
            } else {
                // A ball, else the cage, else the gap between them.
                let d2 = balls
                    .iter()
                    .map(|(bx, by)| (dx - bx).powi(2) + (dy - by).powi(2))
                    .fold(f32::MAX, f32::min);
                if d2 < 1600.0 {
                    steel(1.0 - d2.sqrt() / 40.0)
                } else if (238.0..=282.0).contains(&r) {
                    rgb(128.0, 108.0, 70.0, light)
                } else {
                    gap
                }
            };
            // Heat discolouration: brown at its heart, blue-violet at its rim, pitted.
            let towards = ux * patch.0 + uy * patch.1;
            if towards > patch_cos {
                let heat =
                    (1.0 - towards.acos() / patch_reach) * bump(r, inner + 10.0, outer).sqrt();
                let tint = if heat > 0.45 {
                    [70.0, 42.0, 24.0]
                } else {
                    [72.0, 70.0, 118.0]
                };
                let pitted = heat > 0.5 && hash(x, y, 3) % 100 < 12;
                let k = if pitted { 0.95 } else { heat.min(0.85) };
                for (c, t) in colour.iter_mut().zip(tint) {
                    *c = clamp(f32::from(*c) * (1.0 - k) + t * k);
                }
            }
            set(row, x, colour);
        }
    }
    finish(&mut img, 7);
    jpeg(&img, PhotoKind::Defect)
}

/// An 800×300 scan of the customer's signature: a dark blue cursive scribble and a flourish
/// under it, on white paper.
pub fn signature() -> Result<Vec<u8>> {
    use std::f32::consts::{PI, TAU};

    let mut img = RgbImage::from_pixel(800, 300, Rgb([250, 250, 246]));
    let ink = [28, 34, 84];
    let samples = 2400;
    for i in 0..samples {
        let t = i as f32 / samples as f32;
        // A baseline drifting up, a loop every ninth of the way, and a slower wave.
        let x = 70.0 + 640.0 * t + 26.0 * (TAU * 9.0 * t).cos();
        let y = 160.0 - 30.0 * t
            + 38.0 * (TAU * 9.0 * t).sin() * (1.0 - 0.5 * t)
            + 22.0 * (TAU * 2.3 * t + 1.0).sin();
        disc(&mut img, x, y, 2.6, ink);
    }
    for i in 0..600 {
        let t = i as f32 / 600.0;
        let x = 120.0 + 560.0 * t;
        let y = 238.0 - 18.0 * (PI * t).sin() + 6.0 * t;
        disc(&mut img, x, y, 1.8, ink);
    }
    finish(&mut img, 3);
    jpeg(&img, PhotoKind::Signature)
}

#[derive(Clone, Copy)]
struct Rect {
    x0: u32,
    y0: u32,
    x1: u32,
    y1: u32,
}

impl Rect {
    fn new(x0: u32, y0: u32, x1: u32, y1: u32) -> Rect {
        Rect { x0, y0, x1, y1 }
    }

    fn inset(self, by: u32) -> Rect {
        Rect::new(self.x0 + by, self.y0 + by, self.x1 - by, self.y1 - by)
    }
}

/// The image's rows with their y, as RGB byte slices.
fn rows(img: &mut RgbImage) -> impl Iterator<Item = (u32, &mut [u8])> {
    let stride = img.width() as usize * 3;
    (0u32..).zip(img.chunks_exact_mut(stride))
}

fn set(row: &mut [u8], x: u32, colour: [u8; 3]) {
    let i = x as usize * 3;
    row[i..i + 3].copy_from_slice(&colour);
}

/// A cheap deterministic hash of a pixel position, for streaks and pitting.
fn hash(x: u32, y: u32, seed: u32) -> u32 {
    let mut h = x
        .wrapping_mul(0x9E37_79B1)
        .wrapping_add(y.wrapping_mul(0x85EB_CA77))
        .wrapping_add(seed.wrapping_mul(0xC2B2_AE3D));
    h ^= h >> 15;
    h = h.wrapping_mul(0x2C1B_3C6D);
    h ^ (h >> 13)
}

fn clamp(v: f32) -> u8 {
    v.clamp(0.0, 255.0) as u8
}

fn rgb(r: f32, g: f32, b: f32, shade: f32) -> [u8; 3] {
    [clamp(r * shade), clamp(g * shade), clamp(b * shade)]
}

/// 0 at the edges of `lo..hi`, 1 in the middle: the rounded profile of a race.
fn bump(r: f32, lo: f32, hi: f32) -> f32 {
    let t = ((r - lo) / (hi - lo)).clamp(0.0, 1.0);
    1.0 - (2.0 * t - 1.0).powi(2)
}

/// Adds `delta` to the pixels of a rectangle's border, `width` pixels wide.
fn outline(img: &mut RgbImage, rect: Rect, width: u32, delta: i16) {
    let mut shift = |xs: std::ops::Range<u32>, ys: std::ops::Range<u32>| {
        for y in ys {
            for x in xs.clone() {
                let p = img.get_pixel_mut(x, y);
                p.0 = p.0.map(|c| (i16::from(c) + delta).clamp(0, 255) as u8);
            }
        }
    };
    let Rect { x0, y0, x1, y1 } = rect;
    shift(x0..x1, y0..y0 + width);
    shift(x0..x1, y1 - width..y1);
    shift(x0..x0 + width, y0 + width..y1 - width);
    shift(x1 - width..x1, y0 + width..y1 - width);
}

/// A line of text as a camera too far away sees it: dark glyph blocks of `glyph` pixels with
/// `gap` between them, some shorter, an occasional space.
fn glyphs(img: &mut RgbImage, rect: Rect, glyph: u32, gap: u32) {
    let pitch = glyph + gap;
    let height = rect.y1 - rect.y0;
    let mut x = rect.x0;
    for n in 0.. {
        if x >= rect.x1 {
            break;
        }
        let end = (x + glyph).min(rect.x1);
        if !hash(n, rect.y0, 11).is_multiple_of(7) {
            let top = rect.y0 + hash(n, rect.y0, 5) % (height / 4);
            for y in top..rect.y1 {
                for gx in x..end {
                    img.put_pixel(gx, y, Rgb([52, 54, 60]));
                }
            }
        }
        x += pitch;
    }
}

/// An antialiased filled circle of `colour`, darkening only (ink on paper, shadows on metal).
fn disc(img: &mut RgbImage, cx: f32, cy: f32, radius: f32, colour: [u8; 3]) {
    let (w, h) = (img.width() as f32, img.height() as f32);
    let x0 = (cx - radius - 1.0).floor().max(0.0) as u32;
    let y0 = (cy - radius - 1.0).floor().max(0.0) as u32;
    let x1 = (cx + radius + 1.0).ceil().min(w - 1.0) as u32;
    let y1 = (cy + radius + 1.0).ceil().min(h - 1.0) as u32;
    for y in y0..=y1 {
        for x in x0..=x1 {
            let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
            let cover = (radius + 0.5 - d).clamp(0.0, 1.0);
            if cover > 0.0 {
                let p = img.get_pixel_mut(x, y);
                for (c, t) in p.0.iter_mut().zip(colour) {
                    let mixed = f32::from(*c) * (1.0 - cover) + f32::from(t) * cover;
                    *c = (*c).min(mixed as u8);
                }
            }
        }
    }
}

/// Sensor noise of ±`amount` and a vignette, as a phone camera leaves them; in fixed point, a
/// row at a time, with one xorshift step per pixel.
fn finish(img: &mut RgbImage, amount: u32) {
    let (w, h) = (img.width(), img.height());
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let reach = cx * cx + cy * cy;
    // The vignette darkens by up to 22 % at the corners: 256 × (1 − 0.22 × d² / reach), split
    // into a row part and a column part.
    let column: Vec<i32> = (0..w)
        .map(|x| (56.32 * (x as f32 - cx).powi(2) / reach) as i32)
        .collect();
    let span = 2 * amount + 1;
    let mut state = 0x2545_F491_u32;
    for (y, row) in rows(img) {
        let row_part = 256 - (56.32 * (y as f32 - cy).powi(2) / reach) as i32;
        for (pixel, fall) in row.chunks_exact_mut(3).zip(&column) {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let noise = (state % span) as i32 - amount as i32;
            let scale = row_part - fall;
            for c in pixel {
                *c = (((i32::from(*c) * scale) >> 8) + noise).clamp(0, 255) as u8;
            }
        }
    }
}

fn jpeg(img: &RgbImage, what: PhotoKind) -> Result<Vec<u8>> {
    let (w, h) = img.dimensions();
    let error = |reason: String| CliError::DemoPhoto { what, reason };
    let (w, h) = (
        u16::try_from(w).map_err(|e| error(e.to_string()))?,
        u16::try_from(h).map_err(|e| error(e.to_string()))?,
    );
    let mut bytes = Vec::new();
    let mut encoder = Encoder::new(&mut bytes, QUALITY);
    // Half-resolution colour, as phone cameras write it.
    encoder.set_sampling_factor(SamplingFactor::F_2_2);
    encoder
        .encode(img.as_raw(), w, h, ColorType::Rgb)
        .map_err(|e| error(e.to_string()))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn the_photos_are_jpegs_of_their_sizes_and_the_same_every_time() {
        for (make, size) in [
            (nameplate as fn() -> Result<Vec<u8>>, (1600, 1200)),
            (bearing_defect, (1200, 900)),
            (signature, (800, 300)),
        ] {
            let bytes = make().unwrap();
            assert_eq!(
                image::guess_format(&bytes).unwrap(),
                image::ImageFormat::Jpeg
            );
            let img = image::load_from_memory(&bytes).unwrap();
            assert_eq!((img.width(), img.height()), size);
            assert_eq!(make().unwrap(), bytes);
        }
    }
}
