//! The printable record of an archived case: one self-contained HTML page in both languages,
//! readable in any browser years later without HQ or its console.

use fieldcore::CaseView;

use crate::forms::escape;

/// The case's record as a standalone HTML page (no scripts, no external files).
pub fn html(number: &str, view: &CaseView) -> String {
    let r = &view.registration;
    let mut out = String::new();
    out.push_str("<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">");
    out.push_str(&format!(
        "<title>{} · 案件档案 Case record</title>",
        escape(number)
    ));
    out.push_str(
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}\
         td,th{border:1px solid #999;padding:4px 8px;text-align:left;vertical-align:top}\
         h2{margin-top:1.5em}</style></head><body>",
    );
    out.push_str(&format!(
        "<h1>案件档案 Case record {}</h1><table>",
        escape(number)
    ));
    let rows: [(&str, String); 11] = [
        ("状态 Status", view.status().as_str().to_owned()),
        ("客户 Customer", r.customer_name.clone()),
        ("电话 Phone", r.customer_phone.clone()),
        ("地址 Address", r.customer_address.clone()),
        ("地区 Region", r.region.clone()),
        ("型号 Model", r.product_model.clone()),
        ("类别 Category", r.product_category.clone()),
        ("出厂编号 Serial number", r.serial_number.clone()),
        ("故障 Fault", r.fault_description.clone()),
        ("受理时间 Received", r.received_at.to_rfc3339()),
        ("首问责任人 First responder", r.first_responder.clone()),
    ];
    for (label, value) in rows {
        out.push_str(&format!(
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(label),
            escape(&value)
        ));
    }
    out.push_str("</table>");
    if !view.notes.is_empty() {
        out.push_str("<h2>备注 Notes</h2><ul>");
        for note in &view.notes {
            out.push_str(&format!("<li>{}</li>", escape(&note.body.text)));
        }
        out.push_str("</ul>");
    }
    if !view.photos.is_empty() {
        out.push_str("<h2>照片 Photos</h2><ul>");
        for photo in &view.photos {
            // The photo files sit beside this page, under photos/.
            let hash = escape(&photo.hash);
            out.push_str(&format!("<li><a href=\"photos/{hash}\">{hash}</a></li>"));
        }
        out.push_str("</ul>");
    }
    out.push_str("<h2>记录 History</h2><table><tr><th>时间 At</th><th>记录 Entry</th></tr>");
    for event in &view.events {
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(&event.stamp.at.to_rfc3339()),
            escape(&event.body.summary)
        ));
    }
    out.push_str("</table></body></html>\n");
    out
}
