//! Three devices (engineer's phone, technician's tablet, HQ staff desk) work the same cases
//! offline with random commands and sync with a real HQ in random orders: all converge, every
//! appended entry survives, concurrent decisions surface as conflicts everywhere, and the
//! official numbers reach every device.

mod common;

use std::time::Instant;

use common::Plan;
use fieldcore_e2e::TestHq;

#[test]
fn three_devices_converge_whatever_the_order() {
    for seed in [1, 2, 3, 4, 5] {
        let started = Instant::now();
        let hq = TestHq::start().unwrap();
        let plan = Plan {
            seed,
            engineer_cases: 3,
            rounds: 8,
            commands_per_round: 6,
            max_attempts: 8,
        };
        let (_team, s) = common::run(&hq, &hq.url(), plan);
        eprintln!(
            "seed {seed}: {} cases, {} commands ({} refused), {} entries, {} syncs, \
             {} log rows, {} cases in conflict at the end, {:.2} s",
            s.cases,
            s.commands,
            s.refused,
            s.entries,
            s.syncs,
            s.log_rows,
            s.conflicts_at_end,
            started.elapsed().as_secs_f64()
        );
    }
}
