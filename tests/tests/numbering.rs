//! Case numbers under concurrent first syncs: six devices of six engineers register thirty
//! cases each offline and sync at the same moment, a few cases per round so their requests
//! interleave. HQ gives 180 numbers of one month, each once, without gaps, and every device
//! learns the numbers of its cases.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Barrier;
use std::time::Instant;

use fieldcore::testing::MONTH;
use fieldcore_e2e::{Device, TestHq};
use fieldhq::Role;

const DEVICES: usize = 6;
const CASES: usize = 30;

#[test]
fn numbers_are_unique_and_gap_free_under_concurrent_first_syncs() {
    let hq = TestHq::start().unwrap();
    let mut devices: Vec<Device> = (0..DEVICES)
        .map(|d| {
            let name = format!("engineer-{d}");
            hq.user(&name, Role::Engineer, None).unwrap();
            let mut device = Device::enrolled(&hq, &name).unwrap();
            // About five registrations per request: six rounds per device, interleaved.
            device.config.max_push_bytes = 8 * 1024;
            for c in 0..CASES {
                device.register(&format!("N-{d}-{c}")).unwrap();
            }
            device
        })
        .collect();

    let started = Instant::now();
    let barrier = Barrier::new(DEVICES);
    let rounds: Vec<u32> = std::thread::scope(|scope| {
        let handles: Vec<_> = devices
            .iter_mut()
            .map(|device| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    device.sync().unwrap().progress.rounds
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let elapsed = started.elapsed();

    let hq_numbers: BTreeMap<_, String> = hq
        .cases()
        .unwrap()
        .into_iter()
        .map(|c| (c.case_id, c.number.unwrap()))
        .collect();
    assert_eq!(hq_numbers.len(), DEVICES * CASES);
    let distinct: BTreeSet<&String> = hq_numbers.values().collect();
    let expected: Vec<String> = (1..=DEVICES * CASES)
        .map(|n| format!("{MONTH}-{n:04}"))
        .collect();
    assert_eq!(
        distinct.into_iter().cloned().collect::<Vec<_>>(),
        expected,
        "unique and gap-free"
    );

    for device in &mut devices {
        device.sync().unwrap();
        let views = device.views().unwrap();
        assert_eq!(
            views.len(),
            CASES,
            "{} sees its own cases only",
            device.name
        );
        for (id, view) in views {
            assert_eq!(
                view.number.as_ref(),
                Some(&hq_numbers[&id]),
                "{} knows {id}'s number",
                device.name
            );
        }
    }
    eprintln!(
        "{} devices x {CASES} cases: first syncs in parallel took {:.2} s, rounds per device {rounds:?}",
        DEVICES,
        elapsed.as_secs_f64()
    );
}
