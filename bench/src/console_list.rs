//! The console's case list at HQ scale, the `console_list` part of `fieldbench console`: over
//! the read model [`crate::report`] filled (100,000 cases), a signed-in HQ person's requests
//! for `/console/cases` with every filter the page offers, alone and combined, on first and
//! deep pages and with the search box, each handed to `fieldhq::app` in the process and timed
//! from the request to the last byte of the page (`console_list_p95_ms`: the server's time,
//! without a network).

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, FixedOffset};
use fieldhq::Storage;
use fieldhq::blobs::BlobStore;
use fieldhq::state::AppState;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tower::ServiceExt;

use crate::error::BenchError;
use crate::measure::{percentile, round};

/// Requests timed (after [`WARM_UP`] untimed ones, which fill the caches a running HQ has).
const REQUESTS: usize = 1_200;
const WARM_UP: usize = 60;
const PASSWORD: &str = "bench password 15";

/// What the read model was filled with, for choosing filter values that exist.
pub struct Filled<'a> {
    /// `YYYY-MM` of every month cases were received in.
    pub months: &'a [String],
    pub models: usize,
    pub engineers: &'a [String],
    pub centers: &'a [String],
    pub customers: usize,
    pub serials: u32,
    /// Case numbers to search for and to page from, in order.
    pub numbers: &'a [String],
    /// Paging keys (`due~number`) of open cases, to page the overdue list from.
    pub overdue_keys: &'a [String],
}

/// What the case list measured: the p95 of its server time (ms) over [`REQUESTS`] requests of
/// the mix, and over [`SHORT_SEARCHES`] searches for a two-character name that no customer
/// has (the worst case of a term too short for a trigram index: every row is read).
pub struct ListTimes {
    pub p95_ms: f64,
    pub short_search_p95_ms: f64,
}

/// Searches for a two-character term, timed apart from the mix.
const SHORT_SEARCHES: usize = 40;

/// Times the list over the mix and the short searches.
pub async fn list_p95(
    storage: &Storage,
    data_dir: &Path,
    now: DateTime<FixedOffset>,
    filled: &Filled<'_>,
) -> Result<ListTimes, BenchError> {
    fieldhq::admin::add_user(storage, "li", fieldhq::Role::HqStaff, None).await?;
    fieldhq::console::auth::set_password(storage, "li", PASSWORD, now.timestamp()).await?;
    let clock: fieldhq::state::Clock = Arc::new(move || now);
    let state = AppState::new(storage.clone(), BlobStore::open(data_dir)?, clock)
        .with_time_zone(fieldhq::state::DEFAULT_TIME_ZONE);
    let session = fieldhq::console::auth::sign_in(&state, "li", PASSWORD)
        .await?
        .map_err(|_| BenchError::Failed("the bench user could not sign in".into()))?;
    let cookie = format!(
        "{}={}",
        fieldhq::console::auth::SESSION_COOKIE,
        session.token
    );
    let router = fieldhq::app(state);

    let mut rng = StdRng::seed_from_u64(1515);
    let mix: Vec<(&'static str, String)> = (0..WARM_UP + REQUESTS)
        .map(|i| request(i, &mut rng, filled))
        .collect();
    let mut all = Vec::with_capacity(REQUESTS);
    let mut by_kind = std::collections::BTreeMap::<&str, Vec<f64>>::new();
    let short = (0..SHORT_SEARCHES).map(|i| {
        let name = ["张伟", "王芳"][i % 2];
        (
            "short search",
            format!("q={}", fieldhq::console::pages::encode(name)),
        )
    });
    let mut short_ms = Vec::with_capacity(SHORT_SEARCHES);
    for (i, (kind, query)) in mix.iter().cloned().chain(short).enumerate() {
        let uri = format!("/console/cases?{query}");
        let request = Request::get(&uri)
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .map_err(|e| BenchError::Failed(e.to_string()))?;
        let timed = Instant::now();
        let response = router
            .clone()
            .oneshot(request)
            .await
            .map_err(|e| BenchError::Failed(e.to_string()))?;
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .map_err(|e| BenchError::Failed(e.to_string()))?;
        let ms = timed.elapsed().as_secs_f64() * 1000.0;
        if status != StatusCode::OK || body.is_empty() {
            return Err(BenchError::Failed(format!(
                "{uri} answered {status} without its list"
            )));
        }
        if i >= WARM_UP + REQUESTS {
            short_ms.push(ms);
        } else if i >= WARM_UP {
            all.push(ms);
            by_kind.entry(kind).or_default().push(ms);
        }
    }
    let p95 = percentile(&mut all, 0.95);
    let mut kinds: Vec<(String, f64)> = by_kind
        .into_iter()
        .map(|(kind, mut ms)| (kind.to_owned(), percentile(&mut ms, 0.95)))
        .collect();
    kinds.sort_by(|a, b| b.1.total_cmp(&a.1));
    let slowest = kinds
        .iter()
        .take(3)
        .map(|(k, ms)| format!("{k} {ms:.1} ms"))
        .collect::<Vec<_>>()
        .join(", ");
    let short_p95 = percentile(&mut short_ms, 0.95);
    eprintln!(
        "console list ({}): p95 {p95:.1} ms over {REQUESTS} requests; slowest kinds (p95): \
         {slowest}; a two-character search without a match: p95 {short_p95:.1} ms",
        storage.kind()
    );
    Ok(ListTimes {
        p95_ms: round(p95),
        short_search_p95_ms: round(short_p95),
    })
}

/// The `i`-th request of the mix: its kind and query string. The kinds take turns, so each
/// is an equal share of the requests.
fn request(i: usize, rng: &mut StdRng, f: &Filled<'_>) -> (&'static str, String) {
    let month = |rng: &mut StdRng| f.months[rng.random_range(0..f.months.len())].clone();
    let model = |rng: &mut StdRng| format!("YE3-{:03}", rng.random_range(0..f.models));
    let engineer = |rng: &mut StdRng| f.engineers[rng.random_range(0..f.engineers.len())].clone();
    let center = |rng: &mut StdRng| f.centers[rng.random_range(0..f.centers.len())].clone();
    let cause = |rng: &mut StdRng| {
        [
            "design_manufacturing",
            "storage_transport",
            "customer_misuse",
        ][rng.random_range(0..3)]
    };
    let status = |rng: &mut StdRng| ["closed", "acknowledged"][rng.random_range(0..2)];
    let category = |rng: &mut StdRng| ["motor", "pump"][rng.random_range(0..2)];
    let page = |rng: &mut StdRng| rng.random_range(0..5u32);
    // A deep page is reached by its link's cursor, as the next and previous links carry it.
    let deep = |rng: &mut StdRng| {
        fieldhq::console::pages::encode(&f.numbers[rng.random_range(0..f.numbers.len())])
    };
    let (kind, query) = match i % 22 {
        0 => ("all", format!("page={}", page(rng))),
        1 => (
            "status",
            format!("status={}&page={}", status(rng), page(rng)),
        ),
        2 => ("overdue", format!("overdue=1&page={}", page(rng))),
        3 => ("month", format!("month={}&page={}", month(rng), page(rng))),
        4 => ("model", format!("model={}&page={}", model(rng), page(rng))),
        5 => (
            "category",
            format!("category={}&page={}", category(rng), page(rng)),
        ),
        6 => ("cause", format!("cause={}&page={}", cause(rng), page(rng))),
        7 => (
            "center",
            format!("center={}&page={}", center(rng), page(rng)),
        ),
        8 => (
            "engineer",
            format!("engineer={}&page={}", engineer(rng), page(rng)),
        ),
        9 => (
            "category+month",
            format!("category={}&month={}&page=4", category(rng), month(rng)),
        ),
        10 => (
            "status+model+cause",
            format!(
                "status={}&model={}&cause={}&page={}",
                status(rng),
                model(rng),
                cause(rng),
                page(rng)
            ),
        ),
        11 => (
            "overdue+engineer",
            format!("overdue=1&engineer={}&page={}", engineer(rng), page(rng)),
        ),
        12 => (
            "center+status+month",
            format!(
                "center={}&status={}&month={}",
                center(rng),
                status(rng),
                month(rng)
            ),
        ),
        13 => {
            let direction = ["after", "before"][rng.random_range(0..2)];
            ("deep page", format!("{direction}={}&page=999", deep(rng)))
        }
        14 => (
            "deep page, filtered",
            format!(
                "category={}&status={}&after={}&page=99",
                category(rng),
                status(rng),
                deep(rng)
            ),
        ),
        15 => (
            "deep page, overdue",
            format!(
                "overdue=1&after={}&page=99",
                fieldhq::console::pages::encode(
                    &f.overdue_keys[rng.random_range(0..f.overdue_keys.len())]
                )
            ),
        ),
        16 => (
            "search number",
            format!(
                "q={}",
                f.numbers[rng.random_range(0..f.numbers.len())].clone()
            ),
        ),
        17 => (
            "search number part",
            // The running number alone: that number in every month.
            format!(
                "q={}",
                f.numbers[rng.random_range(0..f.numbers.len())]
                    .split_once('-')
                    .map_or("0042", |(_, n)| n)
            ),
        ),
        18 => (
            "search serial",
            format!("q=SN-{}", rng.random_range(0..f.serials)),
        ),
        19 => (
            "search customer",
            format!("q=Customer%20{}", rng.random_range(0..f.customers)),
        ),
        20 => (
            "search + month",
            format!(
                "q=Customer%20{}&month={}",
                rng.random_range(0..f.customers),
                month(rng)
            ),
        ),
        _ => (
            "search customer (Chinese)",
            format!(
                "q={}",
                fieldhq::console::pages::encode(&crate::report::customer(
                    rng.random_range(0..f.customers / 2) * 2 + 1
                ))
            ),
        ),
    };
    (kind, query)
}
