//! A progressive JPEG turned into pixels at half its size in the DCT domain, when the stored
//! photo is smaller than that anyway: each 8×8 block's top-left 4×4 coefficients go through
//! a 4-point inverse DCT (libjpeg's `scale 1/2`), and subsampled chroma through an 8-point
//! one, which upsamples it as it is reconstructed. A quarter of the pixels are made, coloured
//! and resized, and the coefficients the smaller picture cannot show are never stored
//! (ADR 0017). The blocks are reconstructed on two threads, in bands of MCU rows; a baseline
//! photo's bands are reconstructed one by one while the bands below them are still being
//! decoded.

use image::RgbImage;

use crate::photo::progressive::{Band, Coefficients, Parsed, ZIGZAG};

/// Whether this frame can be reconstructed here: YCbCr or grey, and chroma no more than
/// twice subsampled each way (a 4:1:1 photo would need a 16-point transform).
pub(crate) fn supported(parsed: &Parsed) -> bool {
    let frame = &parsed.frame;
    let n = frame.geometry.len();
    if parsed.adobe || !(n == 1 || n == 3) {
        return false;
    }
    frame.geometry.iter().all(|g| {
        frame.hmax.is_multiple_of(g.h)
            && frame.vmax.is_multiple_of(g.v)
            && frame.hmax / g.h <= 2
            && frame.vmax / g.v <= 2
            && frame.hmax <= 2
            && frame.vmax <= 2
    })
}

/// The coefficients to keep per block of each component, `(nh, nv)`: the transform size
/// that gives half the picture's resolution.
pub(crate) fn transform_sizes(parsed: &Parsed) -> Vec<(usize, usize)> {
    let frame = &parsed.frame;
    frame
        .geometry
        .iter()
        .map(|g| (4 * frame.hmax / g.h, 4 * frame.vmax / g.v))
        .collect()
}

/// `a[x][u]` of the `n`-point inverse DCT that takes the first `n` of 8 coefficients, scaled
/// so that a flat block keeps its level.
fn basis(n: usize) -> [[f32; 8]; 8] {
    let mut a = [[0f32; 8]; 8];
    for (x, row) in a.iter_mut().enumerate().take(n) {
        for (u, cell) in row.iter_mut().enumerate().take(n) {
            let alpha = if u == 0 { (1.0f64 / 8.0).sqrt() } else { 0.5 };
            let angle = (2 * x + 1) as f64 * u as f64 * std::f64::consts::PI / (2 * n) as f64;
            *cell = (alpha * angle.cos()) as f32;
        }
    }
    a
}

/// One component's reconstruction constants.
struct Component {
    keep: usize,
    nh: usize,
    nv: usize,
    bw: usize,
    /// Block rows per MCU row.
    v: usize,
    /// Dequantisation by slot.
    q: Vec<f32>,
    ah: [[f32; 8]; 8],
    av: [[f32; 8]; 8],
    /// Which zigzag positions hold kept coefficients.
    kept: u64,
}

/// One component's coefficients, from some block row on.
struct Blocks<'a> {
    dc: &'a [i16],
    mask: &'a [u64],
    coef: &'a [i16],
}

/// What every band of one picture shares.
struct Layout {
    comps: Vec<Component>,
    out_w: usize,
    out_h: usize,
    /// Every plane has the same width: whole MCUs at half scale.
    plane_w: usize,
    /// Output rows per MCU row.
    mcu_rows_px: usize,
}

impl Layout {
    fn new(parsed: &Parsed) -> Layout {
        let frame = &parsed.frame;
        let sizes = transform_sizes(parsed);
        let comps = frame
            .geometry
            .iter()
            .enumerate()
            .map(|(c, g)| {
                let (nh, nv) = sizes[c];
                let quant = &parsed.quant[g.tq];
                let mut q = vec![0f32; nh * nv];
                let mut kept = 0u64;
                for (zz, &natural) in ZIGZAG.iter().enumerate() {
                    let (row, col) = (natural / 8, natural % 8);
                    if row < nv && col < nh {
                        q[row * nh + col] = f32::from(quant[natural]);
                        kept |= 1 << zz;
                    }
                }
                Component {
                    keep: nh * nv,
                    nh,
                    nv,
                    bw: g.bw,
                    v: g.v,
                    q,
                    ah: basis(nh),
                    av: basis(nv),
                    kept: kept & !1,
                }
            })
            .collect();
        Layout {
            comps,
            out_w: frame.width.div_ceil(2),
            out_h: frame.height.div_ceil(2),
            plane_w: frame.mcux * frame.hmax * 4,
            mcu_rows_px: frame.vmax * 4,
        }
    }

    /// The coefficients as blocks, when they were kept at the sizes this layout needs.
    fn blocks<'a>(&self, coefficients: &'a Coefficients) -> Option<Vec<Blocks<'a>>> {
        let fits = self.comps.len() == coefficients.ac.len()
            && self
                .comps
                .iter()
                .zip(&coefficients.ac)
                .all(|(comp, plane)| plane.keep == comp.keep);
        fits.then(|| {
            coefficients
                .dc
                .iter()
                .zip(&coefficients.ac)
                .map(|(dc, ac)| Blocks {
                    dc,
                    mask: &ac.mask,
                    coef: &ac.coef,
                })
                .collect()
        })
    }

    /// Reconstructs MCU rows `first..last` into `out` (their RGB rows), from `blocks` that
    /// start at MCU row `origin`.
    fn band(
        &self,
        blocks: &[Blocks<'_>],
        origin: usize,
        first: usize,
        last: usize,
        out: &mut [u8],
    ) {
        let (plane_w, out_w) = (self.plane_w, self.out_w);
        let rows = (last - first) * self.mcu_rows_px;
        let mut planes: Vec<Vec<u8>> = self
            .comps
            .iter()
            .map(|_| vec![0u8; plane_w * rows])
            .collect();
        for ((comp, blocks), plane) in self.comps.iter().zip(blocks).zip(&mut planes) {
            for my in first..last {
                for by in my * comp.v..(my + 1) * comp.v {
                    for bx in 0..comp.bw {
                        let block = (by - origin * comp.v) * comp.bw + bx;
                        let x0 = bx * comp.nh;
                        let y0 = (by - first * comp.v) * comp.nv;
                        idct(
                            comp,
                            blocks,
                            block,
                            &mut plane[y0 * plane_w + x0..],
                            plane_w,
                        );
                    }
                }
            }
        }
        for (i, row) in out.chunks_exact_mut(out_w * 3).enumerate() {
            let at = i * plane_w;
            if let [luma, cb, cr] = &planes[..] {
                ycbcr_row(
                    &luma[at..at + out_w],
                    &cb[at..at + out_w],
                    &cr[at..at + out_w],
                    row,
                );
            } else {
                for (px, &g) in row.chunks_exact_mut(3).zip(&planes[0][at..at + out_w]) {
                    px.fill(g);
                }
            }
        }
    }

    /// Bytes of RGB output for MCU rows `first..last` (the last MCU row may reach past the
    /// picture).
    fn band_bytes(&self, first: usize, last: usize) -> usize {
        let top = (first * self.mcu_rows_px).min(self.out_h);
        let bottom = (last * self.mcu_rows_px).min(self.out_h);
        (bottom - top) * self.out_w * 3
    }
}

/// Reconstructs the half-size picture: `ceil(width / 2) × ceil(height / 2)`.
pub(crate) fn reconstruct(parsed: &Parsed, coefficients: &Coefficients) -> Option<RgbImage> {
    let frame = &parsed.frame;
    let layout = Layout::new(parsed);
    let blocks = layout.blocks(coefficients)?;
    let (out_w, out_h) = (layout.out_w, layout.out_h);
    let mut rgb = vec![0u8; out_w * out_h * 3];
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let bands = if out_w * out_h >= 500_000 {
        cores.clamp(1, 4)
    } else {
        1
    };
    // Output rows per band, whole MCU rows each.
    let mcu_rows_per_band = frame.mcuy.div_ceil(bands);
    let rows_per_band = mcu_rows_per_band * layout.mcu_rows_px;
    let work = |(band, out): (usize, &mut [u8])| {
        let first = band * mcu_rows_per_band;
        let last = ((band + 1) * mcu_rows_per_band).min(frame.mcuy);
        layout.band(&blocks, 0, first, last, out);
    };
    let chunks: Vec<(usize, &mut [u8])> = rgb
        .chunks_mut(rows_per_band * out_w * 3)
        .enumerate()
        .collect();
    if chunks.len() == 1 {
        chunks.into_iter().for_each(work);
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = chunks
                .into_iter()
                .map(|chunk| scope.spawn(|| work(chunk)))
                .collect();
            handles.into_iter().all(|h| h.join().is_ok())
        })
        .then_some(())?;
    }
    RgbImage::from_raw(out_w as u32, out_h as u32, rgb)
}

/// Reconstructs the half-size picture from bands of MCU rows as they are decoded
/// ([`decode_bands`](crate::photo::progressive::decode_bands)), top to bottom: on a thread
/// of its own, this overlaps the reconstruction with the decoding of the bands below.
/// `None` when a band is missing or does not fit.
pub(crate) fn reconstruct_bands(
    parsed: &Parsed,
    bands: impl IntoIterator<Item = Band>,
) -> Option<RgbImage> {
    let layout = Layout::new(parsed);
    let (out_w, out_h) = (layout.out_w, layout.out_h);
    let mut rgb = vec![0u8; out_w * out_h * 3];
    let mut rest: &mut [u8] = &mut rgb;
    let mut next = 0;
    for band in bands {
        if band.first_mcu != next || band.last_mcu <= next {
            return None;
        }
        let blocks = layout.blocks(&band.coefficients)?;
        let bytes = layout.band_bytes(band.first_mcu, band.last_mcu);
        let whole = std::mem::take(&mut rest);
        if bytes > whole.len() {
            return None;
        }
        let (out, tail) = whole.split_at_mut(bytes);
        layout.band(&blocks, band.first_mcu, band.first_mcu, band.last_mcu, out);
        rest = tail;
        next = band.last_mcu;
    }
    if next != parsed.frame.mcuy {
        return None;
    }
    RgbImage::from_raw(out_w as u32, out_h as u32, rgb)
}

/// The reduced inverse DCT of one block into `out` (rows `stride` apart), level-shifted;
/// one copy per transform size, so that the loops have fixed bounds.
#[inline]
fn idct(comp: &Component, blocks: &Blocks<'_>, block: usize, out: &mut [u8], stride: usize) {
    match (comp.nh, comp.nv) {
        (4, 4) => idct_n::<4, 4>(comp, blocks, block, out, stride),
        (8, 4) => idct_n::<8, 4>(comp, blocks, block, out, stride),
        (4, 8) => idct_n::<4, 8>(comp, blocks, block, out, stride),
        _ => idct_n::<8, 8>(comp, blocks, block, out, stride),
    }
}

/// A sample in 0..=255, rounded: `as` truncates, and the value is not negative here.
#[inline(always)]
fn to_u8(s: f32) -> u8 {
    (s.clamp(0.0, 255.0) + 0.5) as u8
}

// Index loops: the matrix products read three arrays at once by row and column.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
fn idct_n<const NH: usize, const NV: usize>(
    comp: &Component,
    blocks: &Blocks<'_>,
    block: usize,
    out: &mut [u8],
    stride: usize,
) {
    let dc = f32::from(blocks.dc[block]) * comp.q[0];
    if blocks.mask[block] & comp.kept == 0 {
        // Only the DC term shows at this size: a flat block.
        let level = to_u8(dc / 8.0 + 128.0);
        for y in 0..NV {
            out[y * stride..y * stride + NH].fill(level);
        }
        return;
    }
    let coef = &blocks.coef[block * NH * NV..(block + 1) * NH * NV];
    let q = &comp.q[..NH * NV];
    let mut f = [[0f32; NH]; NV];
    for v in 0..NV {
        for u in 0..NH {
            f[v][u] = f32::from(coef[v * NH + u]) * q[v * NH + u];
        }
    }
    f[0][0] = dc;
    // Rows: tmp[v][x] = Σ_u ah[x][u] f[v][u], only for rows holding a nonzero coefficient:
    // in most blocks, chroma's above all, few rows do, and skipping a zero row changes no
    // sum.
    let mut rows = 0u32;
    let mut tmp = [[0f32; NH]; NV];
    for v in 0..NV {
        if f[v].iter().all(|&c| c == 0.0) {
            continue;
        }
        rows |= 1 << v;
        for x in 0..NH {
            let mut s = 0.0;
            for u in 0..NH {
                s += comp.ah[x][u] * f[v][u];
            }
            tmp[v][x] = s;
        }
    }
    // Columns.
    for y in 0..NV {
        let mut line = [128f32; NH];
        for v in 0..NV {
            if rows & (1 << v) == 0 {
                continue;
            }
            let a = comp.av[y][v];
            for x in 0..NH {
                line[x] += a * tmp[v][x];
            }
        }
        let row = &mut out[y * stride..y * stride + NH];
        for x in 0..NH {
            row[x] = to_u8(line[x]);
        }
    }
}

/// JFIF YCbCr to RGB for one row, in 16-bit fixed point.
#[inline]
fn ycbcr_row(luma: &[u8], cb: &[u8], cr: &[u8], out: &mut [u8]) {
    const ONE: i32 = 1 << 16;
    const HALF: i32 = 1 << 15;
    const R_CR: i32 = (1.402 * ONE as f64) as i32;
    const G_CB: i32 = (0.344_136 * ONE as f64) as i32;
    const G_CR: i32 = (0.714_136 * ONE as f64) as i32;
    const B_CB: i32 = (1.772 * ONE as f64) as i32;
    for (((px, &y), &b), &r) in out.chunks_exact_mut(3).zip(luma).zip(cb).zip(cr) {
        let y = i32::from(y) * ONE + HALF;
        let (b, r) = (i32::from(b) - 128, i32::from(r) - 128);
        px[0] = ((y + R_CR * r) >> 16).clamp(0, 255) as u8;
        px[1] = ((y - G_CB * b - G_CR * r) >> 16).clamp(0, 255) as u8;
        px[2] = ((y + B_CB * b) >> 16).clamp(0, 255) as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::photo::progressive::{decode_bands, decode_scans, in_bands, parse};

    /// A baseline 4:2:0 JPEG of a picture with detail in every block, whose height is not a
    /// whole number of MCU rows.
    fn baseline(width: u16, height: u16, restart: u16) -> Vec<u8> {
        let mut rgb = Vec::with_capacity(usize::from(width) * usize::from(height) * 3);
        for y in 0..u32::from(height) {
            for x in 0..u32::from(width) {
                let n = (x * 7919 + y * 104_729) % 251;
                rgb.extend([(x % 256) as u8, (y % 256) as u8, n as u8]);
            }
        }
        let mut out = Vec::new();
        let mut encoder = jpeg_encoder::Encoder::new(&mut out, 85);
        encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
        if restart > 0 {
            encoder.set_restart_interval(restart);
        }
        encoder
            .encode(&rgb, width, height, jpeg_encoder::ColorType::Rgb)
            .expect("encodes");
        out
    }

    #[test]
    fn bands_decoded_as_they_come_give_the_picture_decoded_whole() {
        for restart in [0, 5] {
            let jpeg = baseline(330, 250, restart);
            let parsed = parse(&jpeg).expect("parses");
            assert!(in_bands(&parsed) && supported(&parsed));
            let sizes = transform_sizes(&parsed);
            let whole = decode_scans(&parsed, &sizes, false).expect("decodes");
            let whole = reconstruct(&parsed, &whole).expect("reconstructs");
            let mut bands = Vec::new();
            decode_bands(&parsed, &sizes, 3, |band| {
                bands.push(band);
                true
            })
            .expect("decodes in bands");
            assert!(bands.len() > 2, "several bands");
            let banded = reconstruct_bands(&parsed, bands).expect("reconstructs bands");
            assert_eq!(banded.dimensions(), (165, 125));
            assert!(banded == whole, "restart interval {restart}");
        }
    }

    #[test]
    fn a_missing_band_gives_no_picture() {
        let jpeg = baseline(64, 64, 0);
        let parsed = parse(&jpeg).expect("parses");
        let sizes = transform_sizes(&parsed);
        let mut bands = Vec::new();
        decode_bands(&parsed, &sizes, 1, |band| {
            bands.push(band);
            true
        })
        .expect("decodes in bands");
        bands.remove(1);
        assert!(reconstruct_bands(&parsed, bands).is_none());
    }

    #[test]
    fn damage_in_a_later_band_is_refused_after_earlier_bands_went_out() {
        let mut jpeg = baseline(330, 250, 0);
        // Bytes without 0xFF near the end of the scan data: no marker, only decoding sees it.
        let end = jpeg.len() - 2;
        for (i, b) in jpeg[end - 300..end - 100].iter_mut().enumerate() {
            *b = (i * 37 % 255) as u8;
        }
        let parsed = parse(&jpeg).expect("parses");
        let sizes = transform_sizes(&parsed);
        let mut sent = 0;
        let decoded = decode_bands(&parsed, &sizes, 2, |_| {
            sent += 1;
            true
        });
        assert!(decoded.is_err(), "damage refused");
        assert!(sent > 0, "earlier bands were handed on before the damage");
    }
}
