//! The monthly report as a standalone, print-friendly HTML page: the same tables as the Excel
//! workbook, with the trend (12 months) and the season drawn as inline SVG on the server. No
//! script and no outside asset, so it prints and opens on an intranet as it is, and the
//! console can embed its `<main>`.

use fieldcore::Locale;

use crate::forms::escape;
use crate::report::{ReportState, ReportView};
use crate::report_sections::MonthPoint;
use crate::report_tables::{self, Cell, Table};

const STYLE: &str = "body{font-family:'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei',\
'PingFang SC',sans-serif;margin:1.5em;color:#111}h1{font-size:1.5em}h2{font-size:1.15em;\
margin-top:1.6em;border-bottom:1px solid #999}table{border-collapse:collapse;margin:.4em 0;\
font-size:.9em}th,td{border:1px solid #bbb;padding:.2em .5em;text-align:left}td.n{text-align:\
right;font-variant-numeric:tabular-nums}th{background:#eee}.charts{display:flex;flex-wrap:wrap;\
gap:1.5em}svg text{font-size:11px}.draft{color:#a40}@media print{body{margin:0}h2{break-after:\
avoid}table{break-inside:auto}tr{break-inside:avoid}}";

/// The page.
pub fn html(view: &ReportView, locale: Locale) -> String {
    let l = locale;
    let r = &view.report;
    let title = l.pick(
        format!("产品质量信息月报 {}", r.month),
        format!("Product quality report {}", r.month),
    );
    let mut out = String::with_capacity(64 * 1024);
    out.push_str(&format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><main>",
        l.pick("zh-CN", "en"),
        escape(&title)
    ));
    out.push_str(&format!("<h1>{}</h1>", escape(&title)));
    match &view.state {
        ReportState::Draft => out.push_str(&format!(
            "<p class=\"draft\">{}</p>",
            l.pick(
                "草稿：尚未签发，数字随数据变化",
                "Draft: not issued; the figures follow the data"
            )
        )),
        ReportState::Issued { by, at } => out.push_str(&format!(
            "<p>{}</p>",
            escape(&l.pick(
                format!(
                    "{} 签发于 {}",
                    by,
                    report_tables::time_text(*at, &r.time_zone)
                ),
                format!(
                    "Issued by {} at {}",
                    by,
                    report_tables::time_text(*at, &r.time_zone)
                ),
            ))
        )),
    }
    out.push_str("<div class=\"charts\">");
    out.push_str(&line_chart(
        l.pick("趋势（12个月）", "Trend (12 months)"),
        &r.trend,
        l,
    ));
    out.push_str(&bar_chart(
        l.pick("季节（历年同月）", "Season (same month, earlier years)"),
        &r.season,
        l,
    ));
    out.push_str("</div>");
    for table in report_tables::tables(view, l) {
        out.push_str(&table_html(&table, &r.time_zone));
    }
    if !view.log.is_empty() {
        out.push_str(&format!("<h2>{}</h2><ul>", l.pick("签发记录", "Issue log")));
        for e in &view.log {
            let action = match e.action.as_str() {
                "issue" => l.pick("签发", "issued"),
                _ => l.pick("重新开启", "re-opened"),
            };
            out.push_str(&format!(
                "<li>{} {} {}{}</li>",
                escape(&report_tables::time_text(e.at, &r.time_zone)),
                escape(&e.by_user),
                action,
                e.reason
                    .as_deref()
                    .map(|x| format!("：{}", escape(x)))
                    .unwrap_or_default()
            ));
        }
        out.push_str("</ul>");
    }
    out.push_str("</main></body></html>");
    out
}

fn table_html(table: &Table, time_zone: &str) -> String {
    let mut out = format!(
        "<section id=\"{}\"><h2>{}</h2><table><thead><tr>",
        table.id,
        escape(&table.title)
    );
    for h in &table.headers {
        out.push_str(&format!("<th>{}</th>", escape(h)));
    }
    out.push_str("</tr></thead><tbody>");
    for row in &table.rows {
        out.push_str("<tr>");
        for cell in row {
            let numeric = matches!(cell, Cell::Int(_) | Cell::Fen(_) | Cell::Real(_));
            out.push_str(&format!(
                "<td{}>{}</td>",
                if numeric { " class=\"n\"" } else { "" },
                escape(&report_tables::cell_text(cell, time_zone))
            ));
        }
        out.push_str("</tr>");
    }
    if table.rows.is_empty() {
        out.push_str(&format!(
            "<tr><td colspan=\"{}\">—</td></tr>",
            table.headers.len()
        ));
    }
    out.push_str("</tbody></table></section>");
    out
}

const W: f64 = 520.0;
const H: f64 = 220.0;
const PAD_L: f64 = 40.0;
const PAD_B: f64 = 40.0;
const PAD_T: f64 = 28.0;

fn scale(points: &[MonthPoint]) -> f64 {
    points.iter().map(|p| p.total).max().unwrap_or(0).max(1) as f64
}

fn frame(title: &str, max: f64, l: Locale) -> String {
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" \
         viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>\
         <text x=\"{PAD_L}\" y=\"16\" font-weight=\"bold\">{t}</text>",
        t = escape(title)
    );
    let bottom = H - PAD_B;
    out.push_str(&format!(
        "<line x1=\"{PAD_L}\" y1=\"{bottom}\" x2=\"{}\" y2=\"{bottom}\" stroke=\"#333\"/>\
         <line x1=\"{PAD_L}\" y1=\"{PAD_T}\" x2=\"{PAD_L}\" y2=\"{bottom}\" stroke=\"#333\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\
         <text x=\"{}\" y=\"{bottom}\" text-anchor=\"end\">0</text>",
        W - 10.0,
        PAD_L - 4.0,
        PAD_T + 4.0,
        max,
        PAD_L - 4.0,
    ));
    out.push_str(&format!(
        "<rect x=\"{}\" y=\"6\" width=\"10\" height=\"10\" fill=\"#2a6fb0\"/>\
         <text x=\"{}\" y=\"15\">{}</text>\
         <rect x=\"{}\" y=\"6\" width=\"10\" height=\"10\" fill=\"#d9822b\"/>\
         <text x=\"{}\" y=\"15\">{}</text>",
        W - 190.0,
        W - 176.0,
        l.pick("投诉", "complaints"),
        W - 100.0,
        W - 86.0,
        l.pick("质量故障", "quality"),
    ));
    out
}

fn y_of(v: i64, max: f64) -> f64 {
    let bottom = H - PAD_B;
    bottom - (v as f64 / max) * (bottom - PAD_T)
}

/// The trend: complaints and quality faults per month, as two lines.
fn line_chart(title: &str, points: &[MonthPoint], l: Locale) -> String {
    let max = scale(points);
    let mut out = frame(title, max, l);
    let step = (W - PAD_L - 20.0) / (points.len().max(2) - 1) as f64;
    let x_of = |i: usize| PAD_L + 10.0 + i as f64 * step;
    for (pick, colour) in [(0, "#2a6fb0"), (1, "#d9822b")] {
        let path: Vec<String> = points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let v = if pick == 0 { p.total } else { p.quality };
                format!("{:.1},{:.1}", x_of(i), y_of(v, max))
            })
            .collect();
        out.push_str(&format!(
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>",
            path.join(" ")
        ));
        for (i, p) in points.iter().enumerate() {
            let v = if pick == 0 { p.total } else { p.quality };
            out.push_str(&format!(
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"{colour}\"><title>{} {}</title></circle>",
                x_of(i),
                y_of(v, max),
                escape(&p.month),
                v
            ));
        }
    }
    for (i, p) in points.iter().enumerate() {
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            x_of(i),
            H - PAD_B + 14.0,
            escape(p.month.get(2..).unwrap_or(&p.month))
        ));
    }
    out.push_str("</svg>");
    out
}

/// The season: the same month of each year, complaints and quality faults side by side.
fn bar_chart(title: &str, points: &[MonthPoint], l: Locale) -> String {
    let max = scale(points);
    let mut out = frame(title, max, l);
    let slot = (W - PAD_L - 20.0) / points.len().max(1) as f64;
    let bar = (slot / 3.0).min(40.0);
    let bottom = H - PAD_B;
    for (i, p) in points.iter().enumerate() {
        let x = PAD_L + 10.0 + i as f64 * slot;
        for (k, (v, colour)) in [(p.total, "#2a6fb0"), (p.quality, "#d9822b")]
            .into_iter()
            .enumerate()
        {
            let y = y_of(v, max);
            out.push_str(&format!(
                "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{:.1}\" fill=\"{colour}\">\
                 <title>{} {v}</title></rect>",
                x + k as f64 * bar,
                bottom - y,
                escape(&p.month)
            ));
        }
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            x + bar,
            bottom + 14.0,
            escape(&p.month)
        ));
    }
    out.push_str("</svg>");
    out
}
