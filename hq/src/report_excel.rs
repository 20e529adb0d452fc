//! The monthly report as an Excel workbook (rust_xlsxwriter): one sheet per section, the
//! headers in the locale (Chinese by default), numbers as numbers, times and months as Excel
//! dates, and native Excel charts (the 12-month trend, the season, the counts by key).

use chrono::{Datelike, TimeZone, Timelike};
use chrono_tz::Tz;
use fieldcore::Locale;
use rust_xlsxwriter::{
    Chart, ChartType, DocProperties, ExcelDateTime, Format, Workbook, XlsxError,
};

use crate::error::{Error, Result};
use crate::report::ReportView;
use crate::report_sections::Month;
use crate::report_tables::{self, Cell, Table};

fn xlsx_error(e: XlsxError) -> Error {
    Error::internal(format!("writing the report workbook: {e}"))
}

fn excel_month(m: Month) -> Result<ExcelDateTime> {
    let year = u16::try_from(m.year).map_err(|_| Error::internal("a year before 0"))?;
    // month is 1..=12: fits u8.
    ExcelDateTime::from_ymd(year, m.month as u8, 1).map_err(xlsx_error)
}

fn excel_time(at: i64, tz: Tz) -> Result<ExcelDateTime> {
    let local = tz
        .timestamp_opt(at, 0)
        .single()
        .ok_or_else(|| Error::internal("a time out of range"))?;
    let year = u16::try_from(local.year()).map_err(|_| Error::internal("a year before 0"))?;
    // Calendar fields of a real date and time: each fits its type.
    ExcelDateTime::from_ymd(year, local.month() as u8, local.day() as u8)
        .and_then(|d| d.and_hms(local.hour() as u16, local.minute() as u8, local.second()))
        .map_err(xlsx_error)
}

/// Excel keeps sheet names to 31 characters without `[]:*?/\`.
fn sheet_name(title: &str) -> String {
    title
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect()
}

/// The report as an `.xlsx` workbook.
pub fn excel(view: &ReportView, locale: Locale) -> Result<Vec<u8>> {
    let tz: Tz = view
        .report
        .time_zone
        .parse()
        .unwrap_or(crate::state::DEFAULT_TIME_ZONE);
    let mut book = Workbook::new();
    let title = locale.pick(
        format!("产品质量信息月报 {}", view.report.month),
        format!("Product quality report {}", view.report.month),
    );
    book.set_properties(&DocProperties::new().set_title(&title));
    let bold = Format::new().set_bold().set_text_wrap();
    let time = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let month = Format::new().set_num_format("yyyy-mm");
    let money = Format::new().set_num_format("\"¥\"#,##0.00");
    let real = Format::new().set_num_format("0.00");
    for table in report_tables::tables(view, locale) {
        let name = sheet_name(&table.title);
        let sheet = book.add_worksheet();
        sheet.set_name(&name).map_err(xlsx_error)?;
        for (c, head) in table.headers.iter().enumerate() {
            let c = c as u16;
            sheet
                .write_string_with_format(0, c, head, &bold)
                .map_err(xlsx_error)?;
            sheet
                .set_column_width(c, if c == 0 { 24 } else { 16 })
                .map_err(xlsx_error)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        for (r, row) in table.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(t) => sheet.write_string(r, c, t).map(|_| ()),
                    // Counts are far below 2^53: exact as f64.
                    Cell::Int(n) => sheet.write_number(r, c, *n as f64).map(|_| ()),
                    Cell::Fen(f) => sheet
                        .write_number_with_format(r, c, *f as f64 / 100.0, &money)
                        .map(|_| ()),
                    Cell::Real(x) => sheet.write_number_with_format(r, c, *x, &real).map(|_| ()),
                    Cell::Time(t) => sheet
                        .write_datetime_with_format(r, c, excel_time(*t, tz)?, &time)
                        .map(|_| ()),
                    Cell::Month(m) => sheet
                        .write_datetime_with_format(r, c, excel_month(*m)?, &month)
                        .map(|_| ()),
                    Cell::Empty => Ok(()),
                }
                .map_err(xlsx_error)?;
            }
        }
        if let Some(chart) = chart_of(&table, &name) {
            let at = table.headers.len() as u16 + 1;
            sheet.insert_chart(1, at, &chart).map_err(xlsx_error)?;
        }
    }
    book.save_to_buffer().map_err(xlsx_error)
}

/// The native chart of a table, if it has one and rows to chart.
fn chart_of(table: &Table, sheet: &str) -> Option<Chart> {
    let last = table.rows.len() as u32;
    if last == 0 {
        return None;
    }
    let mut chart = match table.chart {
        report_tables::Chart::None => return None,
        report_tables::Chart::Columns => Chart::new(ChartType::Column),
        report_tables::Chart::Trend => Chart::new(ChartType::Line),
    };
    chart.title().set_name(&table.title);
    let series = if table.chart == report_tables::Chart::Trend {
        table.headers.len().saturating_sub(1)
    } else {
        1
    };
    for s in 0..series {
        let column = s as u16 + 1;
        chart
            .add_series()
            .set_name((sheet, 0, column))
            .set_categories((sheet, 1, 0, last, 0))
            .set_values((sheet, 1, column, last, column));
    }
    Some(chart)
}
