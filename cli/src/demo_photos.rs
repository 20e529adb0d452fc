//! The demo's photos, drawn in code so the demo needs no files: the motor's nameplate, the
//! discoloured bearing found on site, and the customer's signature, each a camera-like JPEG.
//! Drawing is deterministic (the same bytes every run) and takes a few milliseconds.

use std::f32::consts::{PI, TAU};

use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};

use crate::error::{CliError, Result};

/// What a phone camera writes; the core re-encodes it anyway.
const QUALITY: u8 = 88;

/// A 1600×1200 photo of the nameplate riveted to the blue motor housing: brushed metal, an
/// embossed frame, four rivets, and dark glyph blocks where its text lines are.
pub fn nameplate() -> Result<Vec<u8>> {
    const W: u32 = 1600;
    const H: u32 = 1200;
    let plate = Rect::new(220, 170, 1380, 1030);
    let mut img = RgbImage::from_fn(W, H, |x, y| {
        if plate.contains(x, y) {
            // Brushed aluminium: lighter towards the top left, streaked along the rows.
            let shade = 205.0 - 40.0 * (x - plate.x0 + y - plate.y0) as f32 / 2020.0;
            let streak = (hash(y, 7, 1) % 9) as f32 - 4.0;
            grey(shade + streak)
        } else {
            // Painted cast iron with cooling fins every 60 px.
            let fin = if y % 60 < 12 { -22.0 } else { 0.0 };
            let shade = 1.0 - 0.25 * y as f32 / H as f32;
            rgb(62.0 + fin, 86.0 + fin, 118.0 + fin, shade)
        }
    });

    // The embossed frame and its shadow.
    for (inset, delta) in [(18, -45.0), (24, -45.0), (26, 25.0)] {
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
    for (row, value) in values.into_iter().enumerate() {
        let y = 370 + 78 * row as u32;
        let label = 180 + 40 * (row as u32 % 3);
        glyphs(&mut img, Rect::new(320, y, 320 + label, y + 36), 30, 8);
        glyphs(&mut img, Rect::new(720, y, 720 + value, y + 36), 26, 7);
    }
    // The serial number in its stamped box.
    outline(&mut img, Rect::new(700, 930, 1240, 990), 4, -70.0);
    glyphs(&mut img, Rect::new(720, 942, 1210, 978), 26, 7);
    glyphs(&mut img, Rect::new(320, 942, 560, 978), 30, 8);

    finish(&mut img, 6);
    jpeg(&img, "nameplate")
}

/// A 1200×900 photo of the removed drive-end bearing on the bench: outer race, balls in their
/// cage, inner race, and a dark heat-discoloured patch with pitting on one side.
pub fn bearing_defect() -> Result<Vec<u8>> {
    const W: u32 = 1200;
    const H: u32 = 900;
    let (cx, cy) = (600.0_f32, 450.0_f32);
    let balls = 9.0_f32;
    let step = TAU / balls;
    // The discoloured sector, centred at about 7 o'clock.
    let patch_at = 3.6_f32;
    let mut img = RgbImage::from_fn(W, H, |x, y| {
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        let r = (dx * dx + dy * dy).sqrt();
        let bench = {
            let shade = 1.0 - 0.3 * y as f32 / H as f32;
            rgb(58.0, 52.0, 46.0, shade)
        };
        if !(140.0..=385.0).contains(&r) {
            return bench;
        }
        let angle = dy.atan2(dx);
        // Steel lit from the top left.
        let light = 0.75 + 0.25 * (angle + 3.0 * PI / 4.0).cos();
        let steel = |profile: f32| {
            let v = (150.0 + 80.0 * profile) * light;
            rgb(v, v, v * 1.03, 1.0)
        };
        let mut colour = match r {
            r if r >= 305.0 => steel(bump(r, 305.0, 385.0)),
            r if r < 215.0 => steel(bump(r, 140.0, 215.0)),
            r => {
                // A ball where the nearest ball centre is close, else the cage or the gap.
                let nearest = (angle / step).round() * step;
                let (bx, by) = (260.0 * nearest.cos(), 260.0 * nearest.sin());
                let d = ((dx - bx).powi(2) + (dy - by).powi(2)).sqrt();
                if d < 40.0 {
                    steel(1.0 - d / 40.0)
                } else if (238.0..=282.0).contains(&r) {
                    rgb(128.0, 108.0, 70.0, light)
                } else {
                    Rgb(bench.0.map(|c| c / 2))
                }
            }
        };
        // Heat discolouration: brown at its heart, blue-violet at its rim.
        let off = ((angle - patch_at + PI).rem_euclid(TAU) - PI).abs();
        let heat = (1.0 - off / 0.75).clamp(0.0, 1.0) * bump(r, 150.0, 385.0).sqrt();
        if heat > 0.0 {
            let tint = if heat > 0.45 {
                [70.0, 42.0, 24.0]
            } else {
                [72.0, 70.0, 118.0]
            };
            let pitted = heat > 0.5 && hash(x, y, 3) % 100 < 12;
            let k = if pitted { 0.95 } else { heat.min(0.85) };
            for (c, t) in colour.0.iter_mut().zip(tint) {
                *c = (f32::from(*c) * (1.0 - k) + t * k) as u8;
            }
        }
        colour
    });
    finish(&mut img, 7);
    jpeg(&img, "defect")
}

/// An 800×300 scan of the customer's signature: a dark blue cursive scribble and a flourish
/// under it, on white paper.
pub fn signature() -> Result<Vec<u8>> {
    let mut img = RgbImage::from_pixel(800, 300, Rgb([250, 250, 246]));
    let ink = [28, 34, 84];
    let samples = 2400;
    for i in 0..samples {
        let t = i as f32 / samples as f32;
        // A baseline drifting up, loops every ninth of the way, and a slower wave.
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
    jpeg(&img, "signature")
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

    fn contains(&self, x: u32, y: u32) -> bool {
        (self.x0..self.x1).contains(&x) && (self.y0..self.y1).contains(&y)
    }

    fn inset(&self, by: u32) -> Rect {
        Rect::new(self.x0 + by, self.y0 + by, self.x1 - by, self.y1 - by)
    }
}

/// A cheap deterministic hash of a pixel position, for noise and speckles.
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

fn grey(v: f32) -> Rgb<u8> {
    rgb(v, v, v * 1.02, 1.0)
}

fn rgb(r: f32, g: f32, b: f32, shade: f32) -> Rgb<u8> {
    Rgb([clamp(r * shade), clamp(g * shade), clamp(b * shade)])
}

/// 0 at the edges of `lo..hi`, 1 in the middle: the rounded profile of a race.
fn bump(r: f32, lo: f32, hi: f32) -> f32 {
    let t = ((r - lo) / (hi - lo)).clamp(0.0, 1.0);
    1.0 - (2.0 * t - 1.0).powi(2)
}

/// Adds `delta` to the pixels of a rectangle's border, `width` pixels wide.
fn outline(img: &mut RgbImage, rect: Rect, width: u32, delta: f32) {
    for y in rect.y0..rect.y1 {
        for x in rect.x0..rect.x1 {
            let edge = x < rect.x0 + width
                || x >= rect.x1 - width
                || y < rect.y0 + width
                || y >= rect.y1 - width;
            if edge {
                let p = img.get_pixel_mut(x, y);
                p.0 = p.0.map(|c| clamp(f32::from(c) + delta));
            }
        }
    }
}

/// A line of text as a camera too far away sees it: dark glyph blocks of `glyph` pixels with
/// `gap` between them, some shorter, an occasional space.
fn glyphs(img: &mut RgbImage, rect: Rect, glyph: u32, gap: u32) {
    let pitch = glyph + gap;
    let height = rect.y1 - rect.y0;
    for x in rect.x0..rect.x1 {
        let n = (x - rect.x0) / pitch;
        if (x - rect.x0) % pitch >= glyph || hash(n, rect.y0, 11) % 7 == 0 {
            continue;
        }
        let top = rect.y0 + hash(n, rect.y0, 5) % (height / 4);
        for y in top..rect.y1 {
            img.put_pixel(x, y, Rgb([52, 54, 60]));
        }
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

/// Sensor noise of ±`amount` and a vignette, as a phone camera leaves them.
fn finish(img: &mut RgbImage, amount: u32) {
    let (w, h) = (img.width(), img.height());
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let reach = cx * cx + cy * cy;
    for (x, y, p) in img.enumerate_pixels_mut() {
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        let vignette = 1.0 - 0.22 * (dx * dx + dy * dy) / reach;
        let noise = (hash(x, y, 1) % (2 * amount + 1)) as f32 - amount as f32;
        p.0 = p.0.map(|c| clamp(f32::from(c) * vignette + noise));
    }
}

fn jpeg(img: &RgbImage, what: &'static str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, QUALITY)
        .encode_image(img)
        .map_err(|e| CliError::DemoPhoto {
            what,
            reason: e.to_string(),
        })?;
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

#[cfg(test)]
mod timing_tmp {
    #![allow(clippy::unwrap_used)]
    #[test]
    fn timing_tmp() {
        for _ in 0..3 {
            let t = std::time::Instant::now();
            let a = super::nameplate().unwrap();
            let t1 = t.elapsed();
            let b = super::bearing_defect().unwrap();
            let t2 = t.elapsed();
            let c = super::signature().unwrap();
            let t3 = t.elapsed();
            eprintln!(
                "nameplate {t1:?} bearing {:?} signature {:?} total {t3:?} sizes {} {} {}",
                t2 - t1,
                t3 - t2,
                a.len(),
                b.len(),
                c.len()
            );
        }
    }
}
