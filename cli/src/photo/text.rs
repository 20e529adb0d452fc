//! Photos as text: the `photo list` table, one photo's record for `photo show`, the answer to
//! `photo add`, and the short forms the case view and the demo use.

use chrono::{DateTime, NaiveDateTime};
use fieldcore::{CaseView, Timestamp};
use fieldcore::{PhotoInfo, UploadState};

use fieldcore::{Localized, PhotoKind, label_padded};

use crate::output::{Text, aligned, count, locale, name, status_line, time, truncate};

pub use fieldcore::{photo_dimensions as dimensions, short_hash};

const CAPTION_WIDTH: usize = 32;
const LABEL: usize = 12;

/// A byte count as people read it: "870 B", "41.2 KiB", "1.6 MiB".
pub fn size(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} B")
    } else if b < KIB * KIB {
        format!("{:.1} KiB", b / KIB)
    } else {
        format!("{:.1} MiB", b / (KIB * KIB))
    }
}

/// Where a photo's bytes stand; English keeps the machine name scripts match on.
pub fn upload(state: UploadState) -> String {
    let zh = match state {
        UploadState::Pending => "待上传",
        UploadState::Uploaded => "已上传",
        UploadState::NotHere => "不在本设备上",
    };
    locale().pick(zh.to_owned(), name(&state))
}

/// A photo's kind; English keeps the machine name, as `--kind` takes it.
fn kind(kind: PhotoKind) -> String {
    let l = locale();
    l.pick(kind.text(l), kind.as_str().to_owned())
}

/// The camera's capture time, as the other times are shown; "-" when it recorded none.
pub fn taken(taken_at: Option<&str>) -> String {
    match taken_at {
        None => "-".to_owned(),
        Some(at) => DateTime::parse_from_rfc3339(at)
            .map(|t| time(&t))
            .or_else(|_| {
                NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M:%S")
                    .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            })
            .unwrap_or_else(|_| at.to_owned()),
    }
}

fn caption(caption: &str) -> String {
    if caption.trim().is_empty() {
        "-".to_owned()
    } else {
        truncate(caption, CAPTION_WIDTH)
    }
}

/// One line of a case's photo section: kind, caption, short hash, size in pixels, upload state.
pub fn line(info: &PhotoInfo) -> String {
    fieldcore::photo_line(
        &info.hash,
        &info.record,
        Some(&upload(info.upload)),
        crate::output::locale(),
    )
}

/// The `photo list` table.
pub fn table(photos: &[PhotoInfo]) -> String {
    let l = locale();
    let mut text = Text::default();
    if photos.is_empty() {
        text.line(l.pick("没有照片", "no photos"));
        return text.into_string();
    }
    let mut rows = vec![
        l.pick(
            [
                "哈希值",
                "类型",
                "说明",
                "大小",
                "宽x高",
                "拍摄时间",
                "上传",
                "缩略图",
            ],
            [
                "HASH",
                "KIND",
                "CAPTION",
                "SIZE",
                "WxH",
                "TAKEN",
                "UPLOAD",
                "THUMBNAIL",
            ],
        )
        .map(str::to_owned),
    ];
    for info in photos {
        let r = &info.record;
        rows.push([
            short_hash(&info.hash).to_owned(),
            kind(r.kind),
            caption(&r.caption),
            size(r.size),
            dimensions(r),
            taken(r.taken_at.as_deref()),
            upload(info.upload),
            info.thumbnail_path
                .as_ref()
                .map_or_else(|| "-".to_owned(), |p| p.display().to_string()),
        ]);
    }
    aligned(&mut text, &rows);
    text.line(count(photos.len(), "张照片", "photo", "photos"));
    text.into_string()
}

/// A photo just attached (`photo add`): its kind, short hash, size in pixels and bytes, the
/// whole hash, and where the case stands.
pub fn added(view: &CaseView, hash: &str, now: Timestamp) -> String {
    let l = locale();
    let mut text = Text::default();
    if let Some(photo) = view.photos.iter().find(|p| p.hash == hash) {
        let r = &photo.record;
        let (kind, short, dimensions, size) =
            (kind(r.kind), short_hash(hash), dimensions(r), size(r.size));
        text.line(l.pick(
            format!("已添加{kind}照片 {short} · {dimensions} · {size}"),
            format!("attached {kind} photo {short} · {dimensions} · {size}"),
        ));
    }
    text.line(l.pick(format!("哈希值：{hash}"), format!("hash: {hash}")));
    text.line(status_line(view, now));
    text.into_string()
}

/// Everything about one photo, as `photo show` prints it.
pub fn record(info: &PhotoInfo) -> String {
    let l = locale();
    let mut t = Text::default();
    let r = &info.record;
    let mut field = |zh: &str, en: &str, value: String| {
        t.line(format!("{}{value}", label_padded(l.pick(zh, en), LABEL)));
    };
    field("照片", "Photo", info.hash.clone());
    field("类型", "Kind", kind(r.kind));
    field("说明", "Caption", caption(&r.caption));
    field(
        "图像",
        "Image",
        format!("JPEG · {} · {}", dimensions(r), size(r.size)),
    );
    field("拍摄时间", "Taken", taken(r.taken_at.as_deref()));
    if let Some(gps) = &r.gps {
        field(
            "位置",
            "Position",
            format!("{:.6}, {:.6}", gps.lat, gps.lon),
        );
    }
    let (by, at) = (&r.added_by.by, time(&r.added_by.at));
    field(
        "添加",
        "Added",
        l.pick(format!("{by} 于 {at}"), format!("by {by} at {at}")),
    );
    field("上传", "Upload", upload(info.upload));
    field(
        "缩略图",
        "Thumbnail",
        format!(
            "{} · {} · {}",
            short_hash(&r.thumbnail_hash),
            size(r.thumbnail_size),
            info.thumbnail_path.as_ref().map_or_else(
                || l.pick("不在本设备上", "not on this device").to_owned(),
                |p| p.display().to_string()
            )
        ),
    );
    t.into_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn sizes_are_readable() {
        assert_eq!(size(870), "870 B");
        assert_eq!(size(1024), "1.0 KiB");
        assert_eq!(size(42_188), "41.2 KiB");
        assert_eq!(size(1_677_722), "1.6 MiB");
    }

    #[test]
    fn capture_times_are_shown_like_other_times() {
        assert_eq!(taken(None), "-");
        assert_eq!(
            taken(Some("2026-03-10T09:12:33+08:00")),
            "2026-03-10 09:12 +08:00"
        );
        assert_eq!(taken(Some("2026-03-10T09:12:33")), "2026-03-10 09:12");
        assert_eq!(taken(Some("whenever")), "whenever");
    }
}
