//! Progressive JPEG scans decoded by the core itself, strictly: every Huffman code must be
//! valid, every coefficient inside its scan's band, and every scan (and restart interval)
//! must end exactly where its data ends, with only the 1-bits of padding an encoder writes
//! before a marker. zune-jpeg, strict or not, skips whatever bytes are left between a
//! progressive scan and the next marker and reads zeros past it, so overwritten scan data
//! decodes to wrong pixels without an error (ADR 0017).
//!
//! The coefficients are kept only as far as the stored picture needs them: a nonzero mask
//! per block (the refinement scans' bits depend on it), and the top-left `nh × nv`
//! coefficients for the reduced-size inverse DCT in [`reduced`](crate::photo::reduced), or
//! none when the scans are only being verified. Scans of the first component and the rest
//! are decoded on two threads: progressive scans of different components share no state. A
//! baseline photo's one scan is decoded in bands of MCU rows ([`decode_bands`]), each handed
//! on for reconstruction as soon as it is decoded.

use crate::photo::decode::damaged_jpeg_text;
use crate::photo::text::PhotoText;

/// Boxed, so that the decoding loops pass a pointer-sized error rather than two strings.
pub(crate) type Fail = Box<PhotoText>;

#[cold]
fn damaged(detail: &str) -> Fail {
    Box::new(damaged_jpeg_text(detail))
}

/// Zigzag index to natural (row-major) index in an 8×8 block.
pub(crate) const ZIGZAG: [usize; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

const FAST_BITS: u32 = 9;

/// A Huffman table as decoding needs it: a 9-bit lookup for the short codes, the canonical
/// code limits for the rest.
#[derive(Clone)]
pub(crate) struct Huffman {
    /// `length << 8 | symbol` for codes up to 9 bits, by their bits padded; 0 = longer.
    fast: Box<[u16; 1 << FAST_BITS]>,
    /// For AC coefficients whose code and value bits fit in 9 bits together: `value << 16 |
    /// run << 8 | bits used`, by those bits padded; 0 = not that simple (longer, end of
    /// band, a run of 16 zeros). One lookup then does the work of a code and its value,
    /// which is most of a photo's coefficients.
    fast_ac: Box<[i32; 1 << FAST_BITS]>,
    /// The largest code of each length (1–16), -1 when none.
    maxcode: [i32; 17],
    /// Added to a code of that length, the index of its symbol.
    offset: [i32; 17],
    values: Vec<u8>,
}

impl Huffman {
    /// Builds a table from a DHT's 16 counts and its symbols; refuses one whose codes
    /// overflow their lengths (no encoder writes it).
    pub(crate) fn new(counts: &[u8], symbols: &[u8]) -> Result<Huffman, Fail> {
        let mut fast = Box::new([0u16; 1 << FAST_BITS]);
        let mut maxcode = [-1i32; 17];
        let mut offset = [0i32; 17];
        let mut code: i32 = 0;
        let mut k: usize = 0;
        for len in 1..=16usize {
            let n = usize::from(counts[len - 1]);
            if n > 0 {
                offset[len] = k as i32 - code;
                for _ in 0..n {
                    let symbol = *symbols
                        .get(k)
                        .ok_or_else(|| damaged("a Huffman table is shorter than it says"))?;
                    if len as u32 <= FAST_BITS {
                        let shift = FAST_BITS - len as u32;
                        let first = (code as usize) << shift;
                        for slot in &mut fast[first..first + (1 << shift)] {
                            *slot = (len as u16) << 8 | u16::from(symbol);
                        }
                    }
                    code += 1;
                    k += 1;
                }
                maxcode[len] = code - 1;
            }
            if code > 1 << len {
                return Err(damaged("a Huffman table has more codes than fit"));
            }
            code <<= 1;
        }
        let mut fast_ac = Box::new([0i32; 1 << FAST_BITS]);
        for (i, (slot, &entry)) in fast_ac.iter_mut().zip(fast.iter()).enumerate() {
            let (len, rs) = (u32::from(entry >> 8), entry & 0xFF);
            let (run, size) = (i32::from(rs >> 4), u32::from(rs & 15));
            if entry != 0 && size != 0 && len + size <= FAST_BITS {
                let raw = (i as u32 >> (FAST_BITS - len - size)) & ((1 << size) - 1);
                *slot = extend(raw, size) << 16 | run << 8 | (len + size) as i32;
            }
        }
        Ok(Huffman {
            fast,
            fast_ac,
            maxcode,
            offset,
            values: symbols[..k].to_vec(),
        })
    }
}

/// Reads the bits of one restart interval (one scan without restart markers), the stuffed
/// zero bytes already removed. Past its end it reads zero bits and counts them, so that an
/// over-read is found at [`Bits::finish`] rather than decoded as picture.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    /// The next bits, first at the top.
    acc: u64,
    n: u32,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8]) -> Bits<'a> {
        Bits {
            data,
            pos: 0,
            acc: 0,
            n: 0,
        }
    }

    #[inline(always)]
    fn refill(&mut self) {
        if let Some(word) = self.data.get(self.pos..self.pos + 8) {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(word);
            let word = u64::from_be_bytes(bytes);
            let take = (64 - self.n) / 8;
            self.acc |= word >> self.n;
            self.n += take * 8;
            if self.n < 64 {
                self.acc &= !(u64::MAX >> self.n);
            }
            self.pos += take as usize;
            return;
        }
        while self.n <= 56 {
            let byte = self.data.get(self.pos).copied().unwrap_or(0);
            self.acc |= u64::from(byte) << (56 - self.n);
            self.n += 8;
            self.pos += 1;
        }
    }

    #[inline(always)]
    fn consume(&mut self, k: u32) {
        self.acc <<= k;
        self.n -= k;
    }

    /// `k` bits (0 to 32) as an unsigned number.
    #[inline(always)]
    fn bits(&mut self, k: u32) -> u32 {
        if k == 0 {
            return 0;
        }
        if self.n < k {
            self.refill();
        }
        let v = (self.acc >> (64 - k)) as u32;
        self.consume(k);
        v
    }

    #[inline(always)]
    fn decode(&mut self, table: &Huffman) -> Result<u8, Fail> {
        if self.n < 32 {
            self.refill();
        }
        let entry = table.fast[(self.acc >> (64 - FAST_BITS)) as usize];
        if entry != 0 {
            self.consume(u32::from(entry >> 8));
            return Ok(entry as u8);
        }
        for len in FAST_BITS as usize + 1..=16 {
            let code = (self.acc >> (64 - len)) as i32;
            if code <= table.maxcode[len] {
                self.consume(len as u32);
                let index = (code + table.offset[len]) as usize;
                return table
                    .values
                    .get(index)
                    .copied()
                    .ok_or_else(|| damaged("bad Huffman code"));
            }
        }
        Err(damaged("bad Huffman code"))
    }

    /// One AC coefficient by the combined lookup: `(run, value)` with its bits consumed, or
    /// `None` (nothing consumed) when [`Bits::decode`] must read it.
    #[inline(always)]
    fn fast_ac(&mut self, table: &Huffman) -> Option<(usize, i32)> {
        if self.n < 32 {
            self.refill();
        }
        let entry = table.fast_ac[(self.acc >> (64 - FAST_BITS)) as usize];
        if entry == 0 {
            return None;
        }
        self.consume((entry & 0xFF) as u32);
        Some((((entry >> 8) & 0xFF) as usize, entry >> 16))
    }

    /// The interval's data must be used up to its last byte, whose unused bits are the 1s an
    /// encoder pads with: fewer bits means the decoding ran over the marker into bits that
    /// are not there, more means it lost step with the data: either way the data is not what
    /// the encoder wrote.
    fn finish(&self) -> Result<(), Fail> {
        let total = self.data.len() as u64 * 8;
        let used = self.pos as u64 * 8 - u64::from(self.n);
        if used > total {
            return Err(damaged(
                "the image data of a scan ends before its last block",
            ));
        }
        let left = total - used;
        if left >= 8 {
            return Err(damaged(&format!(
                "{} bytes of a scan left over after its last block",
                left / 8
            )));
        }
        let padding = if left == 0 {
            0
        } else {
            (self.acc >> (64 - left)) as u32
        };
        if padding != (1 << left) - 1 {
            return Err(damaged("a scan does not end as an encoder ends it"));
        }
        Ok(())
    }
}

#[inline]
fn extend(v: u32, s: u32) -> i32 {
    if s == 0 {
        0
    } else if v < 1 << (s - 1) {
        v as i32 - (1 << s) + 1
    } else {
        v as i32
    }
}

/// Where a component's blocks are.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Geometry {
    /// Sampling factors.
    pub h: usize,
    pub v: usize,
    /// The block grid in storage: whole MCUs.
    pub bw: usize,
    pub bh: usize,
    /// The blocks that hold the picture, which a single-component scan covers.
    pub nbw: usize,
    pub nbh: usize,
    /// The quantisation table, by its id.
    pub tq: usize,
}

/// A progressive frame's layout.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    /// Progressive (SOF2); otherwise sequential Huffman (SOF0, SOF1).
    pub progressive: bool,
    pub width: usize,
    pub height: usize,
    pub hmax: usize,
    pub vmax: usize,
    pub mcux: usize,
    pub mcuy: usize,
    pub ids: Vec<u8>,
    pub geometry: Vec<Geometry>,
}

impl Frame {
    /// From a SOF2 segment (after its length).
    fn parse(sof: &[u8], progressive: bool) -> Result<Frame, Fail> {
        let bad = || damaged("the frame header is malformed");
        if sof.len() < 6 || sof[0] != 8 {
            return Err(bad());
        }
        let height = usize::from(u16::from_be_bytes([sof[1], sof[2]]));
        let width = usize::from(u16::from_be_bytes([sof[3], sof[4]]));
        let n = usize::from(sof[5]);
        if n == 0 || n > 4 || sof.len() < 6 + 3 * n || width == 0 || height == 0 {
            return Err(bad());
        }
        let mut ids = Vec::new();
        let mut factors = Vec::new();
        for c in 0..n {
            let at = 6 + 3 * c;
            let (h, v) = (usize::from(sof[at + 1] >> 4), usize::from(sof[at + 1] & 15));
            if !(1..=4).contains(&h) || !(1..=4).contains(&v) {
                return Err(bad());
            }
            ids.push(sof[at]);
            factors.push((h, v, usize::from(sof[at + 2] & 3)));
        }
        if n == 1 {
            // One component: its MCU is one block whatever the factors say.
            factors[0].0 = 1;
            factors[0].1 = 1;
        }
        let hmax = factors.iter().map(|f| f.0).max().unwrap_or(1);
        let vmax = factors.iter().map(|f| f.1).max().unwrap_or(1);
        let mcux = width.div_ceil(8 * hmax);
        let mcuy = height.div_ceil(8 * vmax);
        let geometry = factors
            .iter()
            .map(|&(h, v, tq)| Geometry {
                h,
                v,
                bw: mcux * h,
                bh: mcuy * v,
                nbw: (width * h).div_ceil(hmax).div_ceil(8),
                nbh: (height * v).div_ceil(vmax).div_ceil(8),
                tq,
            })
            .collect();
        Ok(Frame {
            progressive,
            width,
            height,
            hmax,
            vmax,
            mcux,
            mcuy,
            ids,
            geometry,
        })
    }
}

/// A component's AC coefficients as far as they are kept.
pub(crate) struct AcPlane {
    /// Per block, bit `i` set when zigzag coefficient `i` is nonzero.
    pub mask: Vec<u64>,
    /// Per block, `keep` coefficients: slot `row × nh + col` for the top-left `nh × nv`.
    pub coef: Vec<i16>,
    pub keep: usize,
    /// Zigzag index to slot, `u8::MAX` when not kept.
    slot: [u8; 64],
    /// Zigzag positions that are kept.
    kept: u64,
}

impl AcPlane {
    /// `nh × nv` kept coefficients (0 × 0 to only verify).
    pub(crate) fn new(blocks: usize, nh: usize, nv: usize) -> AcPlane {
        let mut slot = [u8::MAX; 64];
        let mut kept = 0u64;
        for (zz, &natural) in ZIGZAG.iter().enumerate() {
            let (row, col) = (natural / 8, natural % 8);
            if zz > 0 && row < nv && col < nh {
                slot[zz] = (row * nh + col) as u8;
                kept |= 1 << zz;
            }
        }
        let keep = nh * nv;
        AcPlane {
            mask: vec![0; blocks],
            coef: vec![0; blocks * keep],
            keep,
            slot,
            kept,
        }
    }

    /// An empty plane of the same size keeping the same coefficients.
    fn empty_like(&self) -> AcPlane {
        AcPlane {
            mask: vec![0; self.mask.len()],
            coef: vec![0; self.coef.len()],
            keep: self.keep,
            slot: self.slot,
            kept: self.kept,
        }
    }

    /// Takes in what first scans of other bands decoded into `other` (made by
    /// [`AcPlane::empty_like`]): their coefficients are where this plane has none.
    fn absorb(&mut self, other: AcPlane) {
        for (a, b) in self.mask.iter_mut().zip(&other.mask) {
            *a |= *b;
        }
        for (a, b) in self.coef.iter_mut().zip(&other.coef) {
            if *b != 0 {
                *a = *b;
            }
        }
    }

    #[inline(always)]
    fn set(&mut self, block: usize, zz: usize, value: i32) {
        self.mask[block] |= 1 << zz;
        let slot = self.slot[zz];
        if slot != u8::MAX {
            self.coef[block * self.keep + usize::from(slot)] = value as i16;
        }
    }

    /// Reads one correction bit for each nonzero coefficient in `set` (ascending zigzag
    /// order) and applies those that are kept.
    #[inline(always)]
    fn refine(&mut self, bits: &mut Bits<'_>, block: usize, mut set: u64, p1: i16) {
        if set & self.kept == 0 {
            let mut n = set.count_ones();
            while n > 0 {
                let take = n.min(32);
                bits.bits(take);
                n -= take;
            }
            return;
        }
        while set != 0 {
            // Up to 16 correction bits at once, first bit for the lowest position.
            let take = set.count_ones().min(16);
            let word = bits.bits(take);
            for i in (0..take).rev() {
                let zz = set.trailing_zeros() as usize;
                set &= set - 1;
                let slot = self.slot[zz];
                if (word >> i) & 1 == 1 && slot != u8::MAX {
                    let c = &mut self.coef[block * self.keep + usize::from(slot)];
                    if *c & p1 == 0 {
                        *c = if *c >= 0 {
                            c.wrapping_add(p1)
                        } else {
                            c.wrapping_sub(p1)
                        };
                    }
                }
            }
        }
    }
}

/// Zigzag positions `a..=b` as a mask (empty when `a > b`).
#[inline]
fn band(a: usize, b: usize) -> u64 {
    if a > b || a > 63 {
        return 0;
    }
    (u64::MAX >> (63 - b.min(63))) & (u64::MAX << a)
}

/// The scan header and its data, split into restart intervals.
pub(crate) struct Scan {
    /// Component indexes in the frame.
    comps: Vec<usize>,
    dc: Vec<Option<Huffman>>,
    ac: Vec<Option<Huffman>>,
    ss: usize,
    se: usize,
    ah: u32,
    al: u32,
    restart: usize,
    data: Vec<u8>,
    /// Where each restart interval ends in `data`.
    ends: Vec<usize>,
}

impl Scan {
    fn is_dc(&self) -> bool {
        self.ss == 0
    }
}

/// Everything the decoding of a progressive JPEG needs, read from its bytes.
pub(crate) struct Parsed {
    pub frame: Frame,
    /// Quantisation tables in natural order, by id.
    pub quant: [[u16; 64]; 4],
    pub scans: Vec<Scan>,
    /// An Adobe APP14 segment: the colour transform is the file's own, left to zune-jpeg.
    pub adobe: bool,
}

/// Reads a progressive JPEG's segments and scans (the structure walk in `decode` has checked
/// that they are all there); refuses malformed tables and scans.
pub(crate) fn parse(bytes: &[u8]) -> Result<Parsed, Fail> {
    let mut at = 2;
    let mut frame: Option<Frame> = None;
    let mut quant = [[0u16; 64]; 4];
    let mut dc_tables: [Option<Huffman>; 4] = [None, None, None, None];
    let mut ac_tables: [Option<Huffman>; 4] = [None, None, None, None];
    let mut restart = 0usize;
    let mut scans = Vec::new();
    let mut adobe = false;
    let malformed = |what: &str| damaged(&format!("malformed {what} segment"));
    loop {
        while bytes.get(at) == Some(&0xFF) && bytes.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (bytes.get(at), bytes.get(at + 1)) else {
            return Err(damaged("a segment does not end where its length says"));
        };
        at += 2;
        if marker == 0xD9 {
            break;
        }
        if matches!(marker, 0x01 | 0xD0..=0xD7) {
            continue;
        }
        let (Some(&hi), Some(&lo)) = (bytes.get(at), bytes.get(at + 1)) else {
            return Err(damaged("cut off"));
        };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        let segment = bytes
            .get(at + 2..at + len.max(2))
            .ok_or_else(|| damaged("cut off"))?;
        at += len;
        match marker {
            0xC0..=0xC2 => frame = Some(Frame::parse(segment, marker == 0xC2)?),
            0xDB => {
                let mut s = segment;
                while let Some(&pq_tq) = s.first() {
                    let wide = pq_tq >> 4 != 0;
                    let size = if wide { 128 } else { 64 };
                    let table = s.get(1..1 + size).ok_or_else(|| malformed("DQT"))?;
                    let id = usize::from(pq_tq & 3);
                    for zz in 0..64 {
                        quant[id][ZIGZAG[zz]] = if wide {
                            u16::from_be_bytes([table[2 * zz], table[2 * zz + 1]])
                        } else {
                            u16::from(table[zz])
                        };
                    }
                    s = &s[1 + size..];
                }
            }
            0xC4 => {
                let mut s = segment;
                while s.len() >= 17 {
                    let class = s[0] >> 4;
                    let id = usize::from(s[0] & 3);
                    let count: usize = s[1..17].iter().map(|&c| usize::from(c)).sum();
                    let symbols = s.get(17..17 + count).ok_or_else(|| malformed("DHT"))?;
                    let table = Huffman::new(&s[1..17], symbols)?;
                    if class == 0 {
                        dc_tables[id] = Some(table);
                    } else {
                        ac_tables[id] = Some(table);
                    }
                    s = &s[17 + count..];
                }
            }
            0xDD => {
                let ri = segment.get(..2).ok_or_else(|| malformed("DRI"))?;
                restart = usize::from(u16::from_be_bytes([ri[0], ri[1]]));
            }
            0xEE if segment.starts_with(b"Adobe") => adobe = true,
            0xDA => {
                let frame = frame
                    .as_ref()
                    .ok_or_else(|| damaged("a scan before the frame header"))?;
                let n = usize::from(*segment.first().ok_or_else(|| malformed("SOS"))?);
                if n == 0 || n > 4 || segment.len() < 4 + 2 * n {
                    return Err(malformed("SOS"));
                }
                let mut comps = Vec::new();
                let mut dc = Vec::new();
                let mut ac = Vec::new();
                for i in 0..n {
                    let id = segment[1 + 2 * i];
                    let c = frame
                        .ids
                        .iter()
                        .position(|&x| x == id)
                        .ok_or_else(|| damaged("a scan names a component the frame has not"))?;
                    let tables = segment[2 + 2 * i];
                    comps.push(c);
                    dc.push(dc_tables[usize::from(tables >> 4) & 3].clone());
                    ac.push(ac_tables[usize::from(tables & 15) & 3].clone());
                }
                let (ss, se) = (
                    usize::from(segment[1 + 2 * n]),
                    usize::from(segment[2 + 2 * n]),
                );
                let a = segment[3 + 2 * n];
                let (ah, al) = (u32::from(a >> 4), u32::from(a & 15));
                let valid = if frame.progressive {
                    se <= 63
                        && ss <= se
                        && (ss == 0) == (se == 0)
                        && (ss == 0 || n == 1)
                        && al <= 13
                        && (ah == 0 || ah == al + 1)
                } else {
                    ss == 0 && se == 63 && ah == 0 && al == 0
                };
                if !valid {
                    return Err(malformed("SOS"));
                }
                let (data, ends, next) = unstuff(bytes, at)?;
                at = next;
                scans.push(Scan {
                    comps,
                    dc,
                    ac,
                    ss,
                    se,
                    ah,
                    al,
                    restart,
                    data,
                    ends,
                });
            }
            _ => {}
        }
    }
    let frame = frame.ok_or_else(|| damaged("no Huffman frame header"))?;
    Ok(Parsed {
        frame,
        quant,
        scans,
        adobe,
    })
}

/// A scan's entropy-coded data without its stuffed zero bytes, where each restart interval
/// ends in it, and where the marker after the scan is. Restart markers must count 0 to 7 in
/// turn.
fn unstuff(bytes: &[u8], start: usize) -> Result<(Vec<u8>, Vec<usize>, usize), Fail> {
    let mut data = Vec::with_capacity(bytes.len().saturating_sub(start).min(1 << 24));
    let mut ends = Vec::new();
    let mut at = start;
    loop {
        let Some(ff) = bytes[at..].iter().position(|&b| b == 0xFF) else {
            return Err(damaged("cut off inside a scan"));
        };
        data.extend_from_slice(&bytes[at..at + ff]);
        at += ff;
        let mut next = at + 1;
        while bytes.get(next) == Some(&0xFF) {
            next += 1;
        }
        match bytes.get(next) {
            Some(0x00) if next == at + 1 => {
                data.push(0xFF);
                at = next + 1;
            }
            Some(&m @ 0xD0..=0xD7) => {
                if usize::from(m - 0xD0) != ends.len() % 8 {
                    return Err(damaged("restart markers out of order"));
                }
                ends.push(data.len());
                at = next + 1;
            }
            Some(_) => {
                ends.push(data.len());
                return Ok((data, ends, at));
            }
            None => return Err(damaged("cut off inside a scan")),
        }
    }
}

/// The coefficients decoded from every scan.
pub(crate) struct Coefficients {
    pub dc: Vec<Vec<i16>>,
    pub ac: Vec<AcPlane>,
}

/// Decodes every scan of `parsed` into planes keeping `keep[c] = (nh, nv)` coefficients per
/// block of component `c`; with `threads`, the first component's AC scans on a second
/// thread.
pub(crate) fn decode_scans(
    parsed: &Parsed,
    keep: &[(usize, usize)],
    threads: bool,
) -> Result<Coefficients, Fail> {
    let frame = &parsed.frame;
    let mut dc: Vec<Vec<i16>> = frame
        .geometry
        .iter()
        .map(|g| vec![0; g.bw * g.bh])
        .collect();
    let mut ac: Vec<AcPlane> = frame
        .geometry
        .iter()
        .enumerate()
        .map(|(c, g)| {
            let (nh, nv) = keep.get(c).copied().unwrap_or((0, 0));
            AcPlane::new(g.bw * g.bh, nh, nv)
        })
        .collect();
    if !frame.progressive {
        // One interleaved scan (or one per component): nothing to share between threads.
        for scan in &parsed.scans {
            decode_sequential_scan(scan, frame, &mut dc, &mut ac)?;
        }
        return Ok(Coefficients { dc, ac });
    }
    let (first, rest) = ac.split_at_mut(1);
    let first = &mut first[0];
    let luma: Vec<&Scan> = parsed
        .scans
        .iter()
        .filter(|s| !s.is_dc() && s.comps[0] == 0)
        .collect();
    let others = |dc: &mut Vec<Vec<i16>>, rest: &mut [AcPlane]| -> Result<(), Fail> {
        for scan in &parsed.scans {
            if scan.is_dc() {
                decode_dc_scan(scan, frame, dc)?;
            } else if scan.comps[0] > 0 {
                decode_ac_scan(scan, frame, &mut rest[scan.comps[0] - 1])?;
            }
        }
        Ok(())
    };
    if threads && frame.width * frame.height >= 1_000_000 {
        // The luma scans are most of the work. Its leading first scans of other bands than
        // the very first one (libjpeg's 6–63 beside 1–5) need nothing from it: they go on the
        // second thread, into a plane of their own taken in before the refinement scans,
        // and the second thread goes on with the other components.
        let side_count = beside_first(&luma);
        let (main_first, after) = luma.split_at(1.min(luma.len()));
        let (side_scans, refinements) = after.split_at(side_count);
        let (a, b) = std::thread::scope(|scope| {
            let (send, receive) = std::sync::mpsc::sync_channel(1);
            let mut side_plane = (!side_scans.is_empty()).then(|| first.empty_like());
            let dc = &mut dc;
            let side = scope.spawn(move || {
                if let Some(mut plane) = side_plane.take() {
                    let decoded = side_scans
                        .iter()
                        .try_for_each(|scan| decode_ac_scan(scan, frame, &mut plane))
                        .map(|()| plane);
                    let failed = decoded.is_err();
                    // The receiver waits for this one message; it is gone only if the
                    // other thread failed already, and then the error is reported there.
                    let _ = send.send(decoded);
                    if failed {
                        return Ok(());
                    }
                }
                others(dc, rest)
            });
            let a = (|| -> Result<(), Fail> {
                for scan in main_first {
                    decode_ac_scan(scan, frame, first)?;
                }
                if !side_scans.is_empty() {
                    let plane = receive
                        .recv()
                        .map_err(|_| damaged("a decoding thread failed"))??;
                    first.absorb(plane);
                }
                for scan in refinements {
                    decode_ac_scan(scan, frame, first)?;
                }
                Ok(())
            })();
            let b = side
                .join()
                .unwrap_or_else(|_| Err(damaged("a decoding thread failed")));
            (a, b)
        });
        a?;
        b?;
    } else {
        for scan in &luma {
            decode_ac_scan(scan, frame, first)?;
        }
        others(&mut dc, rest)?;
    }
    Ok(Coefficients { dc, ac })
}

/// How many of the luma AC scans after the first may be decoded beside it: the first scans
/// (no refinement) that follow it directly, of bands apart from its own and each other's.
/// Each writes coefficients no other of them writes, and reads none, so their order does not
/// matter.
fn beside_first(luma: &[&Scan]) -> usize {
    let Some(first) = luma.first().filter(|s| s.ah == 0) else {
        return 0;
    };
    let mut taken = band(first.ss, first.se);
    let mut count = 0;
    for scan in &luma[1..] {
        let own = band(scan.ss, scan.se);
        if scan.ah != 0 || own & taken != 0 {
            break;
        }
        taken |= own;
        count += 1;
    }
    count
}

/// A band of whole MCU rows of a sequential frame, decoded: its blocks' coefficients,
/// numbered from the band's first block row.
pub(crate) struct Band {
    pub first_mcu: usize,
    pub last_mcu: usize,
    pub coefficients: Coefficients,
}

/// Whether [`decode_bands`] can decode this frame: sequential, one scan holding every
/// component (what cameras write for a baseline photo).
pub(crate) fn in_bands(parsed: &Parsed) -> bool {
    let frame = &parsed.frame;
    !frame.progressive
        && frame.geometry.len() > 1
        && matches!(&parsed.scans[..], [scan] if scan.comps.len() == frame.geometry.len())
}

fn new_band(frame: &Frame, keep: &[(usize, usize)], first_mcu: usize, rows: usize) -> Band {
    let last_mcu = (first_mcu + rows).min(frame.mcuy);
    let rows = last_mcu - first_mcu;
    let dc = frame
        .geometry
        .iter()
        .map(|g| vec![0; g.bw * g.v * rows])
        .collect();
    let ac = frame
        .geometry
        .iter()
        .enumerate()
        .map(|(c, g)| {
            let (nh, nv) = keep.get(c).copied().unwrap_or((0, 0));
            AcPlane::new(g.bw * g.v * rows, nh, nv)
        })
        .collect();
    Band {
        first_mcu,
        last_mcu,
        coefficients: Coefficients { dc, ac },
    }
}

/// Decodes the one scan of a sequential frame ([`in_bands`]) band by band, `rows` MCU rows
/// each, handing each band to `done` as soon as its last block is decoded, so that another
/// thread can reconstruct it while the next is decoded. `done` returning false stops the
/// decoding (the other side has gone). The checks are those of [`decode_scans`]; a band
/// handed on before damage further on is found is thrown away with the rest.
pub(crate) fn decode_bands(
    parsed: &Parsed,
    keep: &[(usize, usize)],
    rows: usize,
    mut done: impl FnMut(Band) -> bool,
) -> Result<(), Fail> {
    let frame = &parsed.frame;
    let [scan] = &parsed.scans[..] else {
        return Err(damaged("a scan is missing"));
    };
    let (dc_tables, ac_tables) = (tables(&scan.dc)?, tables(&scan.ac)?);
    let rows = rows.max(1);
    let mut band = new_band(frame, keep, 0, rows);
    each_mcu(scan, frame.mcux, frame.mcuy, |bits, mx, my, state| {
        if my >= band.last_mcu {
            let next = new_band(frame, keep, band.last_mcu, rows);
            if !done(std::mem::replace(&mut band, next)) {
                return Err(damaged("the reconstruction stopped"));
            }
        }
        let local = my - band.first_mcu;
        let Coefficients { dc, ac } = &mut band.coefficients;
        for (k, &c) in scan.comps.iter().enumerate() {
            let g = frame.geometry[c];
            for y in 0..g.v {
                for x in 0..g.h {
                    let block = (local * g.v + y) * g.bw + mx * g.h + x;
                    let pred = &mut state.preds[k];
                    let (dct, act) = (dc_tables[k], ac_tables[k]);
                    sequential_block(bits, dct, act, pred, dc, c, &mut ac[c], block)?;
                }
            }
        }
        Ok(())
    })?;
    if !done(band) {
        return Err(damaged("the reconstruction stopped"));
    }
    Ok(())
}

/// What a restart interval starts afresh.
#[derive(Default)]
struct Interval {
    eobrun: u32,
    preds: [i32; 4],
}

/// Iterates the restart intervals of a scan of `width × height` MCUs: calls
/// `mcu(bits, x, y, state)` for each MCU, checks each interval's end. The position is
/// counted rather than divided out of the MCU's index: a division per block was a
/// measurable part of decoding a photo's many scans.
fn each_mcu(
    scan: &Scan,
    width: usize,
    height: usize,
    mut mcu: impl FnMut(&mut Bits<'_>, usize, usize, &mut Interval) -> Result<(), Fail>,
) -> Result<(), Fail> {
    let mcus = width * height;
    let per = if scan.restart == 0 {
        mcus
    } else {
        scan.restart
    };
    let intervals = mcus.div_ceil(per.max(1)).max(1);
    if scan.ends.len() != intervals {
        return Err(damaged(&format!(
            "a scan has {} restart intervals where {intervals} belong",
            scan.ends.len()
        )));
    }
    let width = width.max(1);
    let mut begin = 0;
    for (i, &end) in scan.ends.iter().enumerate() {
        let mut bits = Bits::new(&scan.data[begin..end]);
        let mut state = Interval::default();
        let first = i * per;
        let (mut x, mut y) = (first % width, first / width);
        for _ in first..((i + 1) * per).min(mcus) {
            mcu(&mut bits, x, y, &mut state)?;
            x += 1;
            if x == width {
                x = 0;
                y += 1;
            }
        }
        if state.eobrun > 0 {
            return Err(damaged("an end-of-band run runs past its scan"));
        }
        bits.finish()?;
        begin = end;
    }
    Ok(())
}

fn decode_dc_scan(scan: &Scan, frame: &Frame, dc: &mut [Vec<i16>]) -> Result<(), Fail> {
    let tables: Vec<&Huffman> = if scan.ah == 0 {
        scan.dc
            .iter()
            .map(|t| {
                t.as_ref()
                    .ok_or_else(|| damaged("a scan uses a missing table"))
            })
            .collect::<Result<_, _>>()?
    } else {
        Vec::new()
    };
    let (al, refine) = (scan.al, scan.ah > 0);
    let one = |bits: &mut Bits<'_>,
               pred: &mut i32,
               k: usize,
               dc: &mut [Vec<i16>],
               c: usize,
               block: usize|
     -> Result<(), Fail> {
        if refine {
            if bits.bits(1) == 1 {
                dc[c][block] |= 1 << al;
            }
        } else {
            let s = u32::from(bits.decode(tables[k])?);
            if s > 15 {
                return Err(damaged("bad DC difference"));
            }
            *pred = pred.wrapping_add(extend(bits.bits(s), s));
            dc[c][block] = (*pred << al) as i16;
        }
        Ok(())
    };
    if let [c] = scan.comps[..] {
        let g = frame.geometry[c];
        each_mcu(scan, g.nbw, g.nbh, |bits, x, y, state| {
            let block = y * g.bw + x;
            one(bits, &mut state.preds[0], 0, dc, c, block)
        })
    } else {
        each_mcu(scan, frame.mcux, frame.mcuy, |bits, mx, my, state| {
            for (k, &c) in scan.comps.iter().enumerate() {
                let g = frame.geometry[c];
                for y in 0..g.v {
                    for x in 0..g.h {
                        let block = (my * g.v + y) * g.bw + mx * g.h + x;
                        one(bits, &mut state.preds[k], k, dc, c, block)?;
                    }
                }
            }
            Ok(())
        })
    }
}

fn tables(list: &[Option<Huffman>]) -> Result<Vec<&Huffman>, Fail> {
    list.iter()
        .map(|t| {
            t.as_ref()
                .ok_or_else(|| damaged("a scan uses a missing table"))
        })
        .collect()
}

/// A sequential scan: each block's DC difference and its 63 AC coefficients in turn.
fn decode_sequential_scan(
    scan: &Scan,
    frame: &Frame,
    dc: &mut [Vec<i16>],
    ac: &mut [AcPlane],
) -> Result<(), Fail> {
    let (dc_tables, ac_tables) = (tables(&scan.dc)?, tables(&scan.ac)?);
    if let [c] = scan.comps[..] {
        let g = frame.geometry[c];
        each_mcu(scan, g.nbw, g.nbh, |bits, x, y, state| {
            let block = y * g.bw + x;
            let pred = &mut state.preds[0];
            sequential_block(
                bits,
                dc_tables[0],
                ac_tables[0],
                pred,
                dc,
                c,
                &mut ac[c],
                block,
            )
        })
    } else {
        each_mcu(scan, frame.mcux, frame.mcuy, |bits, mx, my, state| {
            for (k, &c) in scan.comps.iter().enumerate() {
                let g = frame.geometry[c];
                for y in 0..g.v {
                    for x in 0..g.h {
                        let block = (my * g.v + y) * g.bw + mx * g.h + x;
                        let pred = &mut state.preds[k];
                        let (dct, act) = (dc_tables[k], ac_tables[k]);
                        sequential_block(bits, dct, act, pred, dc, c, &mut ac[c], block)?;
                    }
                }
            }
            Ok(())
        })
    }
}

#[allow(clippy::too_many_arguments)]
#[inline]
fn sequential_block(
    bits: &mut Bits<'_>,
    dc_table: &Huffman,
    ac_table: &Huffman,
    pred: &mut i32,
    dc: &mut [Vec<i16>],
    c: usize,
    plane: &mut AcPlane,
    block: usize,
) -> Result<(), Fail> {
    let s = u32::from(bits.decode(dc_table)?);
    if s > 15 {
        return Err(damaged("bad DC difference"));
    }
    *pred = pred.wrapping_add(extend(bits.bits(s), s));
    dc[c][block] = *pred as i16;
    let mut k = 1;
    while k < 64 {
        if let Some((r, value)) = bits.fast_ac(ac_table) {
            k += r;
            if k > 63 {
                return Err(damaged("a coefficient past the end of its block"));
            }
            plane.set(block, k, value);
            k += 1;
            continue;
        }
        let rs = bits.decode(ac_table)?;
        let (r, s) = (usize::from(rs >> 4), u32::from(rs & 15));
        if s != 0 {
            k += r;
            if k > 63 {
                return Err(damaged("a coefficient past the end of its block"));
            }
            plane.set(block, k, extend(bits.bits(s), s));
            k += 1;
        } else if r == 15 {
            k += 16;
            if k > 63 {
                return Err(damaged("a run of zeros past the end of its block"));
            }
        } else if r == 0 {
            break;
        } else {
            return Err(damaged("bad Huffman code"));
        }
    }
    Ok(())
}

fn decode_ac_scan(scan: &Scan, frame: &Frame, plane: &mut AcPlane) -> Result<(), Fail> {
    let table = scan.ac[0]
        .as_ref()
        .ok_or_else(|| damaged("a scan uses a missing table"))?;
    let g = frame.geometry[scan.comps[0]];
    let (ss, se, al) = (scan.ss, scan.se, scan.al);
    let refine = scan.ah > 0;
    each_mcu(scan, g.nbw, g.nbh, |bits, x, y, state| {
        let block = y * g.bw + x;
        if refine {
            ac_refine(bits, table, plane, block, ss, se, al, &mut state.eobrun)
        } else {
            ac_first(bits, table, plane, block, ss, se, al, &mut state.eobrun)
        }
    })
}

#[allow(clippy::too_many_arguments)]
#[inline]
fn ac_first(
    bits: &mut Bits<'_>,
    table: &Huffman,
    plane: &mut AcPlane,
    block: usize,
    ss: usize,
    se: usize,
    al: u32,
    eobrun: &mut u32,
) -> Result<(), Fail> {
    if *eobrun > 0 {
        *eobrun -= 1;
        return Ok(());
    }
    let mut k = ss;
    while k <= se {
        if let Some((r, value)) = bits.fast_ac(table) {
            k += r;
            if k > se {
                return Err(damaged("a coefficient outside its scan's band"));
            }
            plane.set(block, k, value << al);
            k += 1;
            continue;
        }
        let rs = bits.decode(table)?;
        let (r, s) = (usize::from(rs >> 4), u32::from(rs & 15));
        if s != 0 {
            k += r;
            if k > se {
                return Err(damaged("a coefficient outside its scan's band"));
            }
            let value = extend(bits.bits(s), s) << al;
            plane.set(block, k, value);
            k += 1;
        } else if r < 15 {
            *eobrun = (1u32 << r) - 1 + bits.bits(r as u32);
            break;
        } else {
            k += 16;
            if k > se {
                return Err(damaged("a run of zeros outside its scan's band"));
            }
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
#[inline]
fn ac_refine(
    bits: &mut Bits<'_>,
    table: &Huffman,
    plane: &mut AcPlane,
    block: usize,
    ss: usize,
    se: usize,
    al: u32,
    eobrun: &mut u32,
) -> Result<(), Fail> {
    let p1: i16 = 1 << al;
    let mut k = ss;
    if *eobrun == 0 {
        while k <= se {
            let rs = bits.decode(table)?;
            let (r, s) = (u32::from(rs >> 4), rs & 15);
            let mut value = 0i32;
            if s != 0 {
                if s != 1 {
                    return Err(damaged("bad Huffman code in a refinement scan"));
                }
                value = if bits.bits(1) == 1 {
                    i32::from(p1)
                } else {
                    -i32::from(p1)
                };
            } else if r != 15 {
                *eobrun = (1u32 << r) + bits.bits(r);
                break;
            }
            // The (r+1)-th coefficient that is still zero, at or after k, gets the value;
            // each nonzero one passed on the way reads a correction bit.
            let mask = plane.mask[block];
            let mut zeros = !mask & band(k, se);
            for _ in 0..r {
                zeros &= zeros.wrapping_sub(1);
            }
            if zeros == 0 {
                return Err(damaged("a coefficient outside its scan's band"));
            }
            let z = zeros.trailing_zeros() as usize;
            let passed = if z > k { mask & band(k, z - 1) } else { 0 };
            plane.refine(bits, block, passed, p1);
            if value != 0 {
                plane.set(block, z, value);
            }
            k = z + 1;
        }
    }
    if *eobrun > 0 {
        let rest = plane.mask[block] & band(k, se);
        plane.refine(bits, block, rest, p1);
        *eobrun -= 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_are_inclusive_and_empty_when_reversed() {
        assert_eq!(band(1, 5), 0b11_1110);
        assert_eq!(band(0, 63), u64::MAX);
        assert_eq!(band(6, 5), 0);
        assert_eq!(band(63, 63), 1 << 63);
    }

    #[test]
    fn bits_find_overruns_leftovers_and_bad_padding() {
        // 0b1011_0111: five bits used leave 0b111, the padding an encoder writes.
        let data = [0b1011_0111u8];
        let mut bits = Bits::new(&data);
        assert_eq!(bits.bits(5), 0b10110);
        assert!(bits.finish().is_ok());
        let mut short = Bits::new(&data);
        short.bits(3);
        assert!(short.finish().is_err(), "zero bits in the padding");
        let two = [0xAB, 0xFF];
        let mut left = Bits::new(&two);
        left.bits(4);
        assert!(left.finish().is_err(), "a byte left over");
        let mut over = Bits::new(&data);
        over.bits(12);
        assert!(over.finish().is_err(), "read past the end");
    }
}
