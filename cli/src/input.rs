//! Turning command-line text into domain values: dates, times, money amounts and measurements,
//! each failure naming the field it is about.

use chrono::{DateTime, NaiveDate};
use fieldcore::{
    CheckNote, CountedItem, Holder, Invalid, Measurement, Quarter, ReceivingCheck, Timestamp,
};

use crate::error::{CliError, Result};
use crate::reason::Reason;

/// A calendar date written YYYY-MM-DD.
pub fn date(field: &'static str, text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        CliError::invalid(
            field,
            Reason::NotDate {
                got: text.trim().to_owned(),
            },
        )
    })
}

pub fn optional_date(field: &'static str, text: Option<&str>) -> Result<Option<NaiveDate>> {
    text.map(|t| date(field, t)).transpose()
}

/// An instant in RFC 3339, with its offset kept (2026-03-01T09:30:00+08:00).
pub fn time(field: &'static str, text: &str) -> Result<Timestamp> {
    DateTime::parse_from_rfc3339(text.trim()).map_err(|_| {
        CliError::invalid(
            field,
            Reason::NotTime {
                got: text.trim().to_owned(),
            },
        )
    })
}

pub fn optional_time(field: &'static str, text: Option<&str>) -> Result<Option<Timestamp>> {
    text.map(|t| time(field, t)).transpose()
}

/// A stock holder written `center:C01`, `dealer:D07` or `van:wang`; refused with the core's
/// reason, so the CLI and the apps word and code it alike.
pub fn holder(field: &'static str, text: &str) -> Result<Holder> {
    text.trim().parse().map_err(|_| {
        CliError::from(fieldcore::Error::Validation {
            field,
            reason: Invalid::NotStockHolder,
        })
    })
}

/// A calendar quarter written `2026Q4`.
pub fn quarter(text: &str) -> Result<Quarter> {
    text.trim().parse().map_err(|_| {
        CliError::from(fieldcore::Error::Validation {
            field: "quarter",
            reason: Invalid::NotQuarter,
        })
    })
}

/// One old part on a shipment as typed: its tag, part number, and the case reference and
/// part line it came off, written `TAG:PART[:CASE[:LINE]]`. The case is resolved later,
/// against the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OldPartTag {
    pub tag: String,
    pub part_number: String,
    pub case: Option<String>,
    pub line: Option<String>,
}

pub fn old_part_tag(text: &str) -> Result<OldPartTag> {
    let t = text.trim();
    let parts: Vec<&str> = t.split(':').map(str::trim).collect();
    let bad = || CliError::invalid("tag", Reason::NotOldPartTag { got: t.to_owned() });
    if parts.len() < 2 || parts.len() > 4 || parts.iter().any(|p| p.is_empty()) {
        return Err(bad());
    }
    Ok(OldPartTag {
        tag: parts[0].to_owned(),
        part_number: parts[1].to_owned(),
        case: parts.get(2).map(|c| (*c).to_owned()),
        line: parts.get(3).map(|l| (*l).to_owned()),
    })
}

/// An amount in major units ("120.50", "7", "0.5") as minor units (12050, 700, 50), exactly:
/// digits only, at most two decimals, no floating point on the way.
pub fn amount_minor(field: &'static str, text: &str) -> Result<i64> {
    let t = text.trim();
    let expected = || CliError::invalid(field, Reason::NotAmount { got: t.to_owned() });
    if t.starts_with('-') {
        return Err(CliError::invalid(field, Reason::Negative));
    }
    let (units, decimals) = match t.split_once('.') {
        Some((u, d)) if !d.is_empty() => (u, d),
        Some(_) => return Err(expected()),
        None => (t, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if units.is_empty() || !all_digits(units) || !all_digits(decimals) {
        return Err(expected());
    }
    if decimals.len() > 2 {
        return Err(CliError::invalid(
            field,
            Reason::TooManyDecimals { got: t.to_owned() },
        ));
    }
    let too_large = || CliError::invalid(field, Reason::TooLarge { got: t.to_owned() });
    let units: i64 = units.parse().map_err(|_| too_large())?;
    let cents: i64 = match decimals.len() {
        0 => 0,
        1 => decimals.parse::<i64>().map_err(|_| expected())? * 10,
        _ => decimals.parse().map_err(|_| expected())?,
    };
    units
        .checked_mul(100)
        .and_then(|v| v.checked_add(cents))
        .ok_or_else(too_large)
}

/// A measurement written name=value[unit]: "insulation_resistance=550MΩ",
/// "winding temperature=96 °C", "ratio=0.98".
pub fn measurement(text: &str) -> Result<Measurement> {
    const FIELD: &str = "measurement";
    let (name, rest) = text.split_once('=').ok_or_else(|| {
        CliError::invalid(
            FIELD,
            Reason::NotMeasurement {
                got: text.to_owned(),
            },
        )
    })?;
    let rest = rest.trim();
    let number_end = rest
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && matches!(c, '-' | '+'))))
        .map_or(rest.len(), |(i, _)| i);
    let (number, unit) = rest.split_at(number_end);
    let value: f64 = number
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| {
            CliError::invalid(
                FIELD,
                Reason::MeasurementNotNumber {
                    name: name.trim().to_owned(),
                    got: rest.to_owned(),
                },
            )
        })?;
    Ok(Measurement {
        name: name.trim().to_owned(),
        value,
        unit: unit.trim().to_owned(),
    })
}

/// Goods counted at the door, written model=M[,serial=S][,qty=N] (a bare model counts one).
/// Quantities are left to the core to bound, so a zero reads as the core words it.
pub fn counted(text: &str) -> Result<CountedItem> {
    const FIELD: &str = "counted";
    let t = text.trim();
    let bad = || CliError::invalid(FIELD, Reason::NotCounted { got: t.to_owned() });
    if !t.contains('=') {
        if t.is_empty() || t.contains(',') {
            return Err(bad());
        }
        return Ok(CountedItem {
            model: t.to_owned(),
            serial: None,
            quantity: 1,
        });
    }
    let (mut model, mut serial, mut quantity) = (None, None, None);
    for part in t.split(',') {
        let (key, value) = part.split_once('=').ok_or_else(bad)?;
        let value = value.trim();
        if value.is_empty() {
            return Err(bad());
        }
        let slot = match key.trim() {
            "model" => &mut model,
            "serial" => &mut serial,
            "qty" => &mut quantity,
            _ => return Err(bad()),
        };
        if slot.replace(value.to_owned()).is_some() {
            return Err(bad());
        }
    }
    let quantity = match quantity {
        Some(q) => q.parse::<u32>().map_err(|_| bad())?,
        None => 1,
    };
    Ok(CountedItem {
        model: model.ok_or_else(bad)?,
        serial,
        quantity,
    })
}

/// Checks raised by hand, `LETTER=NOTE` each, and their photos, `LETTER=HASH` each: a photo
/// goes with the first note of its letter that has none yet.
pub fn check_notes(notes: &[String], photos: &[String]) -> Result<Vec<CheckNote>> {
    const FIELD: &str = "notes";
    let split = |text: &str| {
        text.split_once('=')
            .and_then(|(letter, rest)| {
                let rest = rest.trim();
                (!rest.is_empty())
                    .then_some(())
                    .and(ReceivingCheck::parse(letter))
                    .map(|check| (check, rest.to_owned()))
            })
            .ok_or_else(|| {
                CliError::invalid(
                    FIELD,
                    Reason::NotCheckNote {
                        got: text.trim().to_owned(),
                    },
                )
            })
    };
    let mut out = Vec::new();
    for text in notes {
        let (check, note) = split(text)?;
        out.push(CheckNote {
            check,
            note,
            photo: None,
        });
    }
    for text in photos {
        let (check, hash) = split(text)?;
        let note = out
            .iter_mut()
            .find(|n| n.check == check && n.photo.is_none())
            .ok_or_else(|| {
                CliError::invalid(
                    FIELD,
                    Reason::PhotoWithoutNote {
                        letter: check.letter(),
                    },
                )
            })?;
        note.photo = Some(hash);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn amounts_are_exact_minor_units() {
        let ok = |s| amount_minor("charge", s).unwrap();
        assert_eq!(ok("120.50"), 12050);
        assert_eq!(ok("120.5"), 12050);
        assert_eq!(ok("120"), 12000);
        assert_eq!(ok("0.05"), 5);
        assert_eq!(ok("0"), 0);
        assert_eq!(ok(" 7.10 "), 710);
        assert_eq!(ok("0.29"), 29);
        assert_eq!(ok("92233720368547758.07"), i64::MAX);
    }

    #[test]
    fn bad_amounts_name_the_field() {
        for bad in [
            "",
            "abc",
            "1.234",
            "1.",
            ".5",
            "-1",
            "1,5",
            "1e3",
            "+5",
            "1.2.3",
            " . ",
            "92233720368547758.08",
            "99999999999999999999",
        ] {
            let err = amount_minor("charge", bad).unwrap_err();
            assert_eq!(err.field().as_deref(), Some("charge"), "{bad:?}");
            assert_eq!(err.exit_code(), 2);
        }
        assert!(
            amount_minor("charge", "1.234")
                .unwrap_err()
                .to_string()
                .contains("more than 2 decimals")
        );
        assert!(
            amount_minor("charge", "-3")
                .unwrap_err()
                .to_string()
                .contains("negative")
        );
    }

    #[test]
    fn measurements_split_name_value_and_unit() {
        let m = measurement("insulation_resistance=550MΩ").unwrap();
        assert_eq!(
            (m.name.as_str(), m.value, m.unit.as_str()),
            ("insulation_resistance", 550.0, "MΩ")
        );
        let m = measurement("winding temperature = 96.5 °C").unwrap();
        assert_eq!(
            (m.name.as_str(), m.value, m.unit.as_str()),
            ("winding temperature", 96.5, "°C")
        );
        let m = measurement("offset=-0.2").unwrap();
        assert_eq!((m.value, m.unit.as_str()), (-0.2, ""));
        assert!(measurement("no equals sign").is_err());
        assert!(measurement("x=abc").is_err());
        assert!(measurement("x=").is_err());
        assert!(measurement("x=.").is_err());
    }

    #[test]
    fn counted_goods_read_model_serial_and_quantity() {
        let c = counted("model=QJ-200,serial=P-1").unwrap();
        assert_eq!(
            (c.model.as_str(), c.serial.as_deref(), c.quantity),
            ("QJ-200", Some("P-1"), 1)
        );
        let c = counted(" model = QJ-200 , qty = 3 ").unwrap();
        assert_eq!(
            (c.model.as_str(), c.serial, c.quantity),
            ("QJ-200", None, 3)
        );
        assert_eq!(counted("QJ-200").unwrap().quantity, 1);
        for bad in [
            "",
            "qty=2",
            "model=QJ-200,qty=two",
            "model=QJ-200,qty=-1",
            "model=QJ-200,colour=red",
            "model=QJ-200,model=Y2",
            "model=",
            "QJ-200,2",
        ] {
            let e = counted(bad).unwrap_err();
            assert_eq!(e.field().as_deref(), Some("counted"), "{bad:?}");
            assert!(matches!(
                e,
                CliError::Invalid {
                    reason: Reason::NotCounted { .. },
                    ..
                }
            ));
        }
    }

    #[test]
    fn check_notes_take_a_letter_and_their_photos() {
        let notes = check_notes(
            &["g=no tag on the pump".into(), "D=carton torn".into()],
            &["G=abcdef".into()],
        )
        .unwrap();
        assert_eq!(notes.len(), 2);
        assert_eq!(notes[0].check, ReceivingCheck::G);
        assert_eq!(notes[0].note, "no tag on the pump");
        assert_eq!(notes[0].photo.as_deref(), Some("abcdef"));
        assert_eq!(notes[1].photo, None);
        for bad in ["H=what", "G=", "no letter", "=x"] {
            let e = check_notes(&[bad.into()], &[]).unwrap_err();
            assert_eq!(e.field().as_deref(), Some("notes"), "{bad:?}");
        }
        let e = check_notes(&[], &["G=abcdef".into()]).unwrap_err();
        assert!(matches!(
            e,
            CliError::Invalid {
                reason: Reason::PhotoWithoutNote { letter: 'G' },
                ..
            }
        ));
    }

    #[test]
    fn old_part_tags_read_tag_part_case_and_line() {
        let t = old_part_tag("T-7:B-6205:2611-0042:L1").unwrap();
        assert_eq!(t.tag, "T-7");
        assert_eq!(t.part_number, "B-6205");
        assert_eq!(t.case.as_deref(), Some("2611-0042"));
        assert_eq!(t.line.as_deref(), Some("L1"));
        let t = old_part_tag("T-8:B-6205").unwrap();
        assert_eq!((t.case, t.line), (None, None));
        for bad in ["T-9", "T-9:", ":B-6205", "a:b:c:d:e", "T:P::L"] {
            assert!(old_part_tag(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn holders_and_quarters_are_refused_with_the_core_reason() {
        assert_eq!(
            holder("holder", " center:C01 ").unwrap().to_string(),
            "center:C01"
        );
        let e = holder("to", "C01").unwrap_err();
        assert_eq!(e.field().as_deref(), Some("to"));
        assert_eq!(e.exit_code(), 2);
        assert_eq!(quarter("2026q4").unwrap().to_string(), "2026Q4");
        assert!(quarter("2026Q5").is_err());
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(
            date("purchase_date", "2025-02-28").unwrap(),
            NaiveDate::from_ymd_opt(2025, 2, 28).unwrap()
        );
        let e = date("purchase_date", "2025-02-30").unwrap_err();
        assert_eq!(e.field().as_deref(), Some("purchase_date"));
        let t = time("at", "2026-03-01T09:30:00+08:00").unwrap();
        assert_eq!(t.offset().local_minus_utc(), 8 * 3600);
        assert!(time("at", "2026-03-01 09:30").is_err());
        assert_eq!(optional_date("d", None).unwrap(), None);
    }
}
