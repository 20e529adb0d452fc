//! How fieldctl prints: the [`Printer`] (text, or JSON with `--json`; progress lines; errors,
//! on stderr always and as JSON on stdout too), the one-line result of any command that
//! changed a case, and the small text helpers every concern's text uses.

use std::io::{self, Write};
use std::process::ExitCode;

use fieldcore::Timestamp;
use fieldcore::{CaseView, Localized};
// The formatting rules every text of a case shares live with the case text in the core.
pub use fieldcore::{
    due_text as due, snake_name as name, time_text as time, truncate_text as truncate,
};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::error::{CliError, Result};

/// Writes results to stdout as text or as JSON.
pub struct Printer {
    json: bool,
}

impl Printer {
    pub fn new(json: bool) -> Printer {
        Printer { json }
    }

    pub fn is_json(&self) -> bool {
        self.json
    }

    /// A line of progress; JSON output has no progress lines.
    pub fn line(&self, line: &str) -> Result<()> {
        if self.json {
            return Ok(());
        }
        write_stdout(&format!("{line}\n"))
    }

    /// A result that is JSON whatever the flag says (benchmarks): one object, one line.
    pub fn json_value(&self, value: &Value) -> Result<()> {
        write_stdout(&format!("{value}\n"))
    }

    /// The result of a command that changed a case.
    pub fn case_changed(
        &self,
        view: &CaseView,
        entry_id: Option<&str>,
        message: &str,
        now: Timestamp,
    ) -> Result<()> {
        if self.json {
            let mut object = Map::new();
            object.insert("case".into(), view_json(view, now)?);
            if let Some(id) = entry_id {
                object.insert("entry_id".into(), Value::String(id.to_owned()));
            }
            return write_json(&Value::Object(object));
        }
        write_stdout(&format!("{message}\n{}\n", status_line(view, now)))
    }

    /// A command's result as JSON (`--json`), indented.
    pub fn json<T: Serialize + ?Sized>(&self, value: &T) -> Result<()> {
        write_json(value)
    }

    /// A command's result as text.
    pub fn text(&self, text: &str) -> Result<()> {
        write_stdout(text)
    }

    /// Reports an error on stderr (and stdout with `--json`) and gives the exit code.
    pub fn error(&self, e: &CliError) -> ExitCode {
        if let CliError::Output(io) = e
            && io.kind() == io::ErrorKind::BrokenPipe
        {
            // The reader went away (`fieldctl case list | head`): nothing left to tell.
            return ExitCode::SUCCESS;
        }
        // Nothing useful can be done when stderr or stdout themselves fail here.
        let _ = io::stderr().write_all(e.stderr_text().as_bytes());
        if self.json {
            let _ = write_json(&error_json(e));
        }
        ExitCode::from(e.exit_code())
    }
}

/// `{"error": {"kind": ..., "field": ..., "message": ...}}`, `field` only when known.
pub fn error_json(e: &CliError) -> Value {
    let mut error = Map::new();
    error.insert("kind".into(), Value::String(e.kind().into()));
    if let Some(field) = e.field() {
        error.insert("field".into(), Value::String(field));
    }
    error.insert("message".into(), Value::String(e.text(locale())));
    json!({ "error": error })
}

/// The case view as serde writes it, plus `overdue` as of `now`.
pub fn view_json(view: &CaseView, now: Timestamp) -> Result<Value> {
    let mut value = to_value(view)?;
    if let Value::Object(object) = &mut value {
        object.insert("overdue".into(), Value::Bool(view.is_overdue(now)));
    }
    Ok(value)
}

/// A value as JSON, for results that add fields to what serde writes.
pub fn to_value<T: Serialize>(value: &T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| CliError::Output(io::Error::from(e)))
}

fn write_json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let mut text =
        serde_json::to_string_pretty(value).map_err(|e| CliError::Output(io::Error::from(e)))?;
    text.push('\n');
    write_stdout(&text)
}

fn write_stdout(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(CliError::Output)
}

/// Lines of text built without `fmt::Result` plumbing.
#[derive(Default)]
pub struct Text(String);

impl Text {
    pub fn line(&mut self, line: impl AsRef<str>) {
        self.0.push_str(line.as_ref());
        self.0.push('\n');
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

static LOCALE: std::sync::OnceLock<fieldcore::Locale> = std::sync::OnceLock::new();

/// Sets the language of everything printed, once, from `--lang` or `LANG`.
pub fn set_locale(locale: fieldcore::Locale) {
    let _ = LOCALE.set(locale);
}

/// The language of the output: one per run, so it is set once rather than passed to every
/// text; English where it was never set (the tests of single texts).
pub fn locale() -> fieldcore::Locale {
    LOCALE.get().copied().unwrap_or(fieldcore::Locale::En)
}

/// One line on where a case stands.
pub fn status_line(view: &CaseView, now: Timestamp) -> String {
    let l = locale();
    let number = view
        .number
        .as_deref()
        .map(|n| l.pick(format!("（{n}）"), format!(" ({n})")))
        .unwrap_or_default();
    let status = fieldcore::case_status_text(view, l);
    let due = due(&view.next_due, now, l);
    let mut line = l.pick(
        format!(
            "案件 {}{number} · 状态 {status} · 第 {} 轮 · {due}",
            view.id, view.round
        ),
        format!(
            "case {}{number} · status {status} · round {} · {due}",
            view.id, view.round
        ),
    );
    if view.has_conflict() {
        let fields: Vec<&str> = view.conflicts.iter().map(|c| c.field.as_str()).collect();
        let fields = fields.join(", ");
        line.push_str(&l.pick(
            format!(" · 冲突字段 {fields}"),
            format!(" · CONFLICT on {fields}"),
        ));
    }
    line
}

/// Rows as left-aligned columns two spaces apart; the first row is the header. Widths are
/// terminal columns, a Chinese character taking two.
pub fn aligned<const N: usize>(text: &mut Text, rows: &[[String; N]]) {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(fieldcore::text_width(cell));
        }
    }
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| fieldcore::label_padded(cell, w))
            .collect();
        text.line(cells.join("  ").trim_end());
    }
}

/// "3 cases" / "3 个案件": a count and its noun, plural in English only.
pub fn count(n: usize, zh: &str, en_one: &str, en_many: &str) -> String {
    locale().pick(
        format!("{n} {zh}"),
        format!("{n} {}", if n == 1 { en_one } else { en_many }),
    )
}
