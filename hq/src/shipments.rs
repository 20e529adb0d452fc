//! Delivered quantities per month and product model, imported from CSV: the denominator of
//! the monthly report's PPM and returns rate. A file is read whole and checked first; any bad
//! line refuses the import, naming the line, and nothing is written.
//!
//! The file: a header `month,model,quantity` (or `月份,型号,数量`), then one line per month and
//! model, the month as `YYYY-MM`, the quantity a whole number of units. Importing a month and
//! model again replaces its quantity.

use std::collections::HashSet;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::report_sections::Month;
use crate::storage::{ShipmentRow, Storage};

/// What an import stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShipmentImport {
    /// Month and model rows written.
    pub rows: usize,
    /// The months they are of, `YYYY-MM`, in order.
    pub months: Vec<String>,
    /// Units in all.
    pub units: i64,
}

fn bad(line: usize, en: String, zh: String) -> Error {
    Error::BadLine { line, en, zh }
}

fn is_header(fields: &[String]) -> bool {
    let names: Vec<String> = fields.iter().map(|f| f.to_lowercase()).collect();
    names == ["month", "model", "quantity"] || names == ["月份", "型号", "数量"]
}

/// One CSV line into fields: commas separate; a field may be in double quotes (a doubled
/// quote inside is one quote), so a model name may hold a comma.
fn fields_of(text: &str, line: usize) -> Result<Vec<String>> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            (false, ',') => fields.push(std::mem::take(&mut field).trim().to_owned()),
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(bad(
            line,
            "a quoted field is not closed".into(),
            "引号未闭合".into(),
        ));
    }
    fields.push(field.trim().to_owned());
    Ok(fields)
}

/// Reads the file into rows (months as `YYMM`), or refuses it at its first bad line.
pub fn parse(csv: &str) -> Result<Vec<ShipmentRow>> {
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    let mut header_seen = false;
    for (i, text) in csv.trim_start_matches('\u{feff}').lines().enumerate() {
        let line = i + 1;
        if text.trim().is_empty() {
            continue;
        }
        let fields = fields_of(text, line)?;
        if !header_seen {
            header_seen = true;
            if is_header(&fields) {
                continue;
            }
        }
        if fields.len() != 3 {
            return Err(bad(
                line,
                format!(
                    "expected 3 fields (month, model, quantity), found {}",
                    fields.len()
                ),
                format!(
                    "应有 3 个字段（月份、型号、数量），实有 {} 个",
                    fields.len()
                ),
            ));
        }
        let month = Month::parse(&fields[0]).map_err(|_| {
            bad(
                line,
                format!("the month is written YYYY-MM, not {:?}", fields[0]),
                format!("月份应写作 YYYY-MM，而不是 {:?}", fields[0]),
            )
        })?;
        let model = fields[1].clone();
        if model.is_empty() {
            return Err(bad(line, "the model is empty".into(), "型号为空".into()));
        }
        let quantity: i64 = fields[2]
            .parse()
            .ok()
            .filter(|q: &i64| *q >= 0)
            .ok_or_else(|| {
                bad(
                    line,
                    format!(
                        "the quantity is a whole number of units, not {:?}",
                        fields[2]
                    ),
                    format!("数量应为非负整数，而不是 {:?}", fields[2]),
                )
            })?;
        if !seen.insert((month, model.clone())) {
            return Err(bad(
                line,
                format!("{month} {model} is listed twice"),
                format!("{month} {model} 重复出现"),
            ));
        }
        rows.push(ShipmentRow {
            month: month.yymm(),
            product_model: model,
            quantity,
        });
    }
    if rows.is_empty() {
        return Err(Error::refused(
            "the file lists no shipments",
            "文件中没有发货记录",
        ));
    }
    Ok(rows)
}

/// Imports a CSV of delivered quantities: all of it, or (on any bad line) nothing.
pub async fn import_shipments(storage: &Storage, csv: &str) -> Result<ShipmentImport> {
    let rows = parse(csv)?;
    let mut months: Vec<String> = rows
        .iter()
        .filter_map(|r| Month::from_yymm(&r.month).map(|m| m.to_string()))
        .collect();
    months.sort();
    months.dedup();
    let summary = ShipmentImport {
        rows: rows.len(),
        months,
        units: rows.iter().map(|r| r.quantity).sum(),
    };
    let at = crate::storage::unix_now();
    storage
        .transaction(move |tx| Box::pin(async move { tx.put_shipments(&rows, at).await }))
        .await?;
    Ok(summary)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_file_with_a_header_quotes_and_a_bom() {
        let rows =
            parse("\u{feff}month,model,quantity\n2026-11,\"YE3, 160M\",1200\n\n2026-10,Y2,5\n")
                .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].month, "2611");
        assert_eq!(rows[0].product_model, "YE3, 160M");
        assert_eq!(rows[0].quantity, 1200);
        assert_eq!(parse("月份,型号,数量\n2026-11,A,1\n").unwrap().len(), 1);
    }

    #[test]
    fn a_bad_line_is_named() {
        for (csv, line) in [
            ("month,model,quantity\n2026-11,A,1\n2026-13,A,1\n", 3),
            ("month,model,quantity\n2026-11,A,-1\n", 2),
            ("2026-11,A,x\n", 1),
            ("month,model,quantity\n2026-11,A\n", 2),
            ("month,model,quantity\n2026-11,,4\n", 2),
            ("month,model,quantity\n2026-11,A,1\n2026-11,A,2\n", 3),
            ("month,model,quantity\n2026-11,\"A,1\n", 2),
        ] {
            match parse(csv) {
                Err(Error::BadLine { line: got, .. }) => assert_eq!(got, line, "{csv:?}"),
                other => panic!("{csv:?}: {other:?}"),
            }
        }
        assert!(parse("month,model,quantity\n").is_err());
    }
}
