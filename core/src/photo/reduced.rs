//! A progressive JPEG turned into pixels at half its size in the DCT domain, when the stored
//! photo is smaller than that anyway: each 8×8 block's top-left 4×4 coefficients go through
//! a 4-point inverse DCT (libjpeg's `scale 1/2`), and subsampled chroma through an 8-point
//! one, which upsamples it as it is reconstructed. A quarter of the pixels are made, coloured
//! and resized, and the coefficients the smaller picture cannot show are never stored
//! (ADR 0017). The blocks are reconstructed on two threads, in bands of MCU rows.

use image::RgbImage;

use crate::photo::progressive::{Coefficients, Parsed, ZIGZAG};

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

/// One component's reconstruction inputs.
struct Component<'a> {
    dc: &'a [i16],
    mask: &'a [u64],
    coef: &'a [i16],
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

/// Reconstructs the half-size picture: `ceil(width / 2) × ceil(height / 2)`.
pub(crate) fn reconstruct(parsed: &Parsed, coefficients: &Coefficients) -> Option<RgbImage> {
    let frame = &parsed.frame;
    let sizes = transform_sizes(parsed);
    let comps: Vec<Component<'_>> = frame
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
                dc: &coefficients.dc[c],
                mask: &coefficients.ac[c].mask,
                coef: &coefficients.ac[c].coef,
                keep: coefficients.ac[c].keep,
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
    if comps.iter().any(|c| c.keep != c.nh * c.nv) {
        return None;
    }
    let out_w = frame.width.div_ceil(2);
    let out_h = frame.height.div_ceil(2);
    // Every plane has the same size: whole MCUs at half scale.
    let plane_w = frame.mcux * frame.hmax * 4;
    let mcu_rows_px = frame.vmax * 4;
    let mut rgb = vec![0u8; out_w * out_h * 3];
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let bands = if out_w * out_h >= 500_000 {
        cores.clamp(1, 4)
    } else {
        1
    };
    // Output rows per band, whole MCU rows each.
    let mcu_rows_per_band = frame.mcuy.div_ceil(bands);
    let rows_per_band = mcu_rows_per_band * mcu_rows_px;
    let work = |(band, out): (usize, &mut [u8])| {
        let first_mcu = band * mcu_rows_per_band;
        let last_mcu = ((band + 1) * mcu_rows_per_band).min(frame.mcuy);
        let rows = (last_mcu - first_mcu) * mcu_rows_px;
        let mut planes: Vec<Vec<u8>> = comps.iter().map(|_| vec![0u8; plane_w * rows]).collect();
        for (comp, plane) in comps.iter().zip(&mut planes) {
            for my in first_mcu..last_mcu {
                for by in my * comp.v..(my + 1) * comp.v {
                    for bx in 0..comp.bw {
                        let block = by * comp.bw + bx;
                        let x0 = bx * comp.nh;
                        let y0 = (by - first_mcu * comp.v) * comp.nv;
                        idct(comp, block, &mut plane[y0 * plane_w + x0..], plane_w);
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

/// The reduced inverse DCT of one block into `out` (rows `stride` apart), level-shifted;
/// one copy per transform size, so that the loops have fixed bounds.
#[inline]
fn idct(comp: &Component<'_>, block: usize, out: &mut [u8], stride: usize) {
    match (comp.nh, comp.nv) {
        (4, 4) => idct_n::<4, 4>(comp, block, out, stride),
        (8, 4) => idct_n::<8, 4>(comp, block, out, stride),
        (4, 8) => idct_n::<4, 8>(comp, block, out, stride),
        _ => idct_n::<8, 8>(comp, block, out, stride),
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
    comp: &Component<'_>,
    block: usize,
    out: &mut [u8],
    stride: usize,
) {
    let dc = f32::from(comp.dc[block]) * comp.q[0];
    if comp.mask[block] & comp.kept == 0 {
        // Only the DC term shows at this size: a flat block.
        let level = to_u8(dc / 8.0 + 128.0);
        for y in 0..NV {
            out[y * stride..y * stride + NH].fill(level);
        }
        return;
    }
    let coef = &comp.coef[block * NH * NV..(block + 1) * NH * NV];
    let q = &comp.q[..NH * NV];
    let mut f = [[0f32; NH]; NV];
    for v in 0..NV {
        for u in 0..NH {
            f[v][u] = f32::from(coef[v * NH + u]) * q[v * NH + u];
        }
    }
    f[0][0] = dc;
    // Rows: tmp[v][x] = Σ_u ah[x][u] f[v][u].
    let mut tmp = [[0f32; NH]; NV];
    for v in 0..NV {
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
