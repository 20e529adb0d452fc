//! Colour kept faithful: a photo that carries an ICC profile (Adobe RGB from a camera set to
//! it, Display P3 from an iPhone) has its pixels converted to sRGB before they are encoded,
//! because the stored JPEG carries no profile and every viewer reads untagged pixels as sRGB.
//! Without the conversion a wide-gamut photo comes out visibly duller, and a discoloured
//! bearing or a scorched winding is exactly what a defect photo must show as it was.
//!
//! moxcms does the colour management (ADR 0017): pure Rust, the image crate's own choice,
//! SIMD on x86 and ARM, and it reads the matrix-and-curve profiles cameras and phones embed.

use image::RgbImage;
use moxcms::{ColorProfile, DataColorSpace, Layout, TransformOptions};

/// Converts `rgb` from the colour space `icc` describes to sRGB, in place. A profile that
/// cannot be read, or that describes no RGB space (a CMYK or grey profile on an RGB photo),
/// leaves the pixels as they are: the photo is still evidence, as it was before profiles were
/// read at all. Returns whether the pixels were converted.
pub(crate) fn to_srgb(rgb: &mut RgbImage, icc: &[u8]) -> bool {
    let Ok(source) = ColorProfile::new_from_slice(icc) else {
        return false;
    };
    if source.color_space != DataColorSpace::Rgb {
        return false;
    }
    let srgb = ColorProfile::new_srgb();
    let Ok(transform) =
        source.create_transform_8bit(Layout::Rgb, &srgb, Layout::Rgb, TransformOptions::default())
    else {
        return false;
    };
    let mut out = vec![0u8; rgb.as_raw().len()];
    if transform.transform(rgb.as_raw(), &mut out).is_err() {
        return false;
    }
    let (w, h) = rgb.dimensions();
    match RgbImage::from_raw(w, h, out) {
        Some(converted) => {
            *rgb = converted;
            true
        }
        // Same length as the input, so this is never reached; the unconverted pixels stay.
        None => false,
    }
}
