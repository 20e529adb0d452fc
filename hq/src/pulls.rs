//! What HQ sends back in a sync response (docs/sync-protocol.md, "What HQ sends back"): the
//! cases the device asked for whole, then the visible cases touched after its cursor, within
//! the response's byte budget.
//!
//! Budget first, bytes last: the pull reads how many changes each case would send and their
//! stored sizes (the `size` column, never the bytes), decides what fits, and only then loads
//! the bytes of exactly what it sends. A case too big for what is left of the budget is sent
//! as a prefix of its changes in log order (a causal order: HQ appends a change only after
//! its dependencies), at least one change per response; HQ records how far the device got
//! ([`Tx::set_pages`]) and sends the rest, as changes, in the next responses.

use std::collections::HashSet;

use fieldcore::{ByteBuf, CasePull, MAX_MESSAGE_BYTES, MAX_PULL_CASES};
use uuid::Uuid;

use crate::error::Result;
use crate::storage::{CaseRow, DeviceAuth, Page, PullQuery, Span, SpanTotal, Tx};

/// Pull payloads stop short of the message limit, leaving room for the framing. HQ's
/// default budget (`ServeConfig::pull_budget_bytes`).
pub const PULL_BUDGET: usize = MAX_MESSAGE_BYTES - 256 * 1024;

/// What one pulled case is counted for besides its chunks: its id, the `whole` flag, the
/// number, the count of chunks.
pub const CASE_FRAMING: u64 = 40;

/// What each chunk is counted for besides its bytes: its length prefix.
pub const CHUNK_FRAMING: u64 = 4;

pub(crate) struct Pulled {
    pub(crate) pulls: Vec<CasePull>,
    /// Cases sent whole (to the end), with the sequence number they were sent as of.
    pub(crate) documents: Vec<(Uuid, u64)>,
    pub(crate) cursor: u64,
    pub(crate) more: bool,
    pub(crate) bytes: usize,
}

/// Spec, "What HQ sends back": `want_full` cases whole, then the visible cases touched after
/// the cursor in sequence order (cases being sent in pages first), each as changes (the
/// device holds it) or whole (it does not), within `budget` bytes of chunks and framing.
pub(crate) async fn pulls(
    tx: &mut dyn Tx,
    device: &DeviceAuth,
    want_full: &[Uuid],
    cursor: u64,
    max_pull: u32,
    current: u64,
    budget: usize,
) -> Result<Pulled> {
    let cap = max_pull.clamp(1, MAX_PULL_CASES) as usize;
    let mut planner = Planner::new(budget as u64);
    let mut planned: Vec<Planned> = Vec::new();
    let mut documents: Vec<(Uuid, u64)> = Vec::new();
    let mut clear: Vec<(Uuid, Option<Page>)> = Vec::new();
    // The case sent as a prefix, if any, and the sequence number of its last change sent.
    let mut paged: Option<(Uuid, u64)> = None;
    let mut more = false;
    // The highest sync_seq of a candidate sent to its end.
    let mut last_seq: Option<u64> = None;

    let mut seen: HashSet<Uuid> = HashSet::new();
    let wanted: Vec<Uuid> = want_full
        .iter()
        .copied()
        .filter(|id| seen.insert(*id))
        .collect();
    let wanted_cases = tx.cases(&wanted).await?;
    // A case the user may no longer see is silently not sent.
    let wanted: Vec<&CaseRow> = wanted
        .iter()
        .filter_map(|id| wanted_cases.get(id))
        .filter(|c| device.user.may_access(c))
        .take(cap)
        .collect();
    let spans: Vec<Span> = wanted
        .iter()
        .map(|c| Span {
            case_id: c.case_id,
            after: 0,
            through: None,
            skip_author: None,
        })
        .collect();
    let totals = tx.span_totals(&spans).await?;
    let mut sent: HashSet<Uuid> = HashSet::new();
    let mut stopped = false;
    for (case, span) in wanted.into_iter().zip(spans) {
        let total = totals.get(&case.case_id).copied().unwrap_or_default();
        match offer(tx, &mut planner, span, total).await? {
            Fit::All => {
                sent.insert(case.case_id);
                documents.push((case.case_id, case.sync_seq));
                // A paging under way is superseded: the device now has the case to its end.
                clear.push((case.case_id, None));
                planned.push(Planned::new(span, true, case.number.clone()));
            }
            Fit::Prefix(through) => {
                paged = Some((case.case_id, through));
                planned.push(Planned::new(
                    Span {
                        through: Some(through),
                        ..span
                    },
                    true,
                    case.number.clone(),
                ));
                stopped = true;
                break;
            }
            Fit::Wait => {
                stopped = true;
                break;
            }
        }
    }
    more |= stopped;

    if !stopped {
        let remaining = cap.saturating_sub(planned.len());
        let query = PullQuery {
            device_id: device.device_id,
            scope: device.user.scope()?,
            cursor,
            limit: u32::try_from(remaining + 1).unwrap_or(u32::MAX),
        };
        let mut candidates = tx.pull_candidates(&query).await?;
        if candidates.len() > remaining {
            more = true;
            candidates.truncate(remaining);
        }
        // What each candidate would send: the rest of a paging under way, the changes after
        // the cursor of a case the device holds, or the whole case.
        let spans: Vec<Option<(Span, bool)>> = candidates
            .iter()
            .map(|c| {
                if sent.contains(&c.case_id) {
                    // Already sent whole because the device asked for it.
                    None
                } else if let Some(sent_seq) = c.sent_seq {
                    Some((
                        Span {
                            case_id: c.case_id,
                            after: sent_seq,
                            through: None,
                            skip_author: Some(device.device_id),
                        },
                        false,
                    ))
                } else if c.device_has_it {
                    Some((
                        Span {
                            case_id: c.case_id,
                            after: cursor,
                            through: None,
                            skip_author: Some(device.device_id),
                        },
                        false,
                    ))
                } else {
                    Some((
                        Span {
                            case_id: c.case_id,
                            after: 0,
                            through: None,
                            skip_author: None,
                        },
                        true,
                    ))
                }
            })
            .collect();
        let to_total: Vec<Span> = spans.iter().flatten().map(|(s, _)| *s).collect();
        let totals = tx.span_totals(&to_total).await?;
        for (candidate, span) in candidates.into_iter().zip(spans) {
            let Some((span, whole)) = span else {
                last_seq = Some(candidate.sync_seq);
                continue;
            };
            let total = totals.get(&span.case_id).copied().unwrap_or_default();
            if total.count == 0 && !whole {
                // Nothing left for this device (the rest of a paging was its own pushes).
                if candidate.paged {
                    clear.push((candidate.case_id, None));
                }
                last_seq = Some(candidate.sync_seq);
                continue;
            }
            match offer(tx, &mut planner, span, total).await? {
                Fit::All => {
                    if whole {
                        documents.push((candidate.case_id, candidate.sync_seq));
                    }
                    if candidate.paged {
                        clear.push((candidate.case_id, None));
                    }
                    last_seq = Some(candidate.sync_seq);
                    planned.push(Planned::new(span, whole, candidate.number));
                }
                Fit::Prefix(through) => {
                    paged = Some((candidate.case_id, through));
                    planned.push(Planned::new(
                        Span {
                            through: Some(through),
                            ..span
                        },
                        whole,
                        candidate.number,
                    ));
                    more = true;
                    break;
                }
                Fit::Wait => {
                    more = true;
                    break;
                }
            }
        }
    }

    // Everything up to the cursor that the device may see has been sent; a case being paged
    // stays pulled by its paging record, whatever the cursor.
    let response_cursor = if more {
        last_seq.map_or(cursor, |seq| seq.max(cursor))
    } else {
        current
    };

    let spans: Vec<Span> = planned.iter().map(|p| p.span).collect();
    let mut chunks = tx.span_changes(&spans).await?;
    let mut pulls = Vec::with_capacity(planned.len());
    for p in planned {
        let changes = chunks.remove(&p.span.case_id).unwrap_or_default();
        pulls.push(CasePull {
            case_id: p.span.case_id,
            changes: changes.into_iter().map(ByteBuf::from).collect(),
            whole: p.whole,
            number: p.number,
        });
    }

    tx.set_pages(device.device_id, &clear).await?;
    if let Some((case_id, through)) = paged {
        // The device holds (a prefix of) the case once it sends back a cursor at least this
        // response's; until then a lost response means the case starts over.
        tx.mark_held_by_device(device.device_id, &[(case_id, response_cursor)])
            .await?;
        tx.set_pages(
            device.device_id,
            &[(
                case_id,
                Some(Page {
                    sent_seq: through,
                    cursor: response_cursor,
                }),
            )],
        )
        .await?;
    }

    Ok(Pulled {
        pulls,
        documents,
        cursor: response_cursor,
        more,
        bytes: usize::try_from(planner.used).unwrap_or(usize::MAX),
    })
}

/// A case in the response being planned.
struct Planned {
    /// What is sent of it (`through` set for a prefix).
    span: Span,
    whole: bool,
    number: Option<String>,
}

impl Planned {
    fn new(span: Span, whole: bool, number: Option<String>) -> Planned {
        Planned {
            span,
            whole,
            number,
        }
    }
}

/// What of one case goes into the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fit {
    /// All of it.
    All,
    /// Its changes through this sequence number: a prefix, the rest follows.
    Prefix(u64),
    /// None of it: the response is full.
    Wait,
}

/// Offers a case to the planner with its totals; reads the sizes of its changes (never the
/// bytes) only when it must be paged.
async fn offer(
    tx: &mut dyn Tx,
    planner: &mut Planner,
    span: Span,
    total: SpanTotal,
) -> Result<Fit> {
    match planner.offer(total.count, total.bytes) {
        Offer::All => Ok(Fit::All),
        Offer::Wait => Ok(Fit::Wait),
        Offer::Page => {
            let changes = tx.span_sizes(&span).await?;
            let sizes: Vec<u64> = changes.iter().map(|(_, size)| *size).collect();
            let n = planner.page(&sizes);
            Ok(match n.checked_sub(1).and_then(|last| changes.get(last)) {
                None => Fit::Wait,
                // Everything fitted after all (unreachable while the totals match the sizes).
                Some(_) if n == changes.len() => Fit::All,
                Some((seq, _)) => Fit::Prefix(*seq),
            })
        }
    }
}

/// The planner's answer to a case offered whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// It fits: it is counted in.
    All,
    /// It does not fit and is sent as a prefix: call [`Planner::page`] with its sizes.
    Page,
    /// It does not fit what is left, but would fit a response of its own: it waits for the
    /// next response, unsplit.
    Wait,
}

/// Decides, from sizes alone, what of the cases offered in order goes into one response of
/// at most `budget` bytes (chunks plus [`CASE_FRAMING`] per case and [`CHUNK_FRAMING`] per
/// chunk). Pure, so that its rules are tested on their own: a response is never over the
/// budget unless it is one change alone, and always sends at least one change.
#[derive(Debug, Clone)]
pub struct Planner {
    budget: u64,
    /// Bytes counted so far.
    pub used: u64,
    /// Cases counted so far (whole or as a prefix).
    pub cases: usize,
}

impl Planner {
    pub fn new(budget: u64) -> Planner {
        Planner {
            budget,
            used: 0,
            cases: 0,
        }
    }

    /// What a response counts for a case of `count` changes of `bytes` in all.
    pub fn cost(count: u64, bytes: u64) -> u64 {
        CASE_FRAMING
            .saturating_add(bytes)
            .saturating_add(count.saturating_mul(CHUNK_FRAMING))
    }

    /// Offers a whole case: counted in if it fits what is left; held back for the next
    /// response if it would fit one of its own; else to be paged.
    pub fn offer(&mut self, count: u64, bytes: u64) -> Offer {
        let cost = Planner::cost(count, bytes);
        if self.used.saturating_add(cost) <= self.budget {
            self.used += cost;
            self.cases += 1;
            Offer::All
        } else if cost <= self.budget && self.cases > 0 {
            Offer::Wait
        } else {
            Offer::Page
        }
    }

    /// Counts in the longest prefix of a case's changes (their sizes, in log order) that fits
    /// what is left, and returns its length: at least 1 when the response is still empty, so
    /// that every response makes progress; 0 when nothing fits (the response is full).
    pub fn page(&mut self, sizes: &[u64]) -> usize {
        let mut used = self.used.saturating_add(CASE_FRAMING);
        let mut n = 0;
        for size in sizes {
            let next = used.saturating_add(*size).saturating_add(CHUNK_FRAMING);
            if next > self.budget && !(n == 0 && self.cases == 0) {
                break;
            }
            used = next;
            n += 1;
        }
        if n > 0 {
            self.used = used;
            self.cases += 1;
        }
        n
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;

    /// Plays a device pulling `cases` (each its changes' sizes, in log order) response after
    /// response, as [`pulls`] plans them; returns each response as (case, first, count).
    fn play(cases: &[Vec<u64>], budget: u64) -> Vec<Vec<(usize, usize, usize)>> {
        let mut sent: Vec<usize> = vec![0; cases.len()];
        let mut responses = Vec::new();
        while sent.iter().zip(cases).any(|(s, c)| *s < c.len()) {
            let mut planner = Planner::new(budget);
            let mut response = Vec::new();
            // Cases being paged first, then the others in order, as the candidates come.
            let mut order: Vec<usize> = (0..cases.len())
                .filter(|i| sent[*i] > 0 && sent[*i] < cases[*i].len())
                .collect();
            order.extend((0..cases.len()).filter(|i| sent[*i] == 0 && !cases[*i].is_empty()));
            for i in order {
                let rest = &cases[i][sent[i]..];
                let bytes: u64 = rest.iter().sum();
                match planner.offer(rest.len() as u64, bytes) {
                    Offer::All => {
                        response.push((i, sent[i], rest.len()));
                        sent[i] = cases[i].len();
                    }
                    Offer::Wait => break,
                    Offer::Page => {
                        let n = planner.page(rest);
                        if n > 0 {
                            response.push((i, sent[i], n));
                            sent[i] += n;
                        }
                        break;
                    }
                }
            }
            assert!(!response.is_empty(), "a response without progress");
            responses.push(response);
            assert!(responses.len() < 10_000, "no end");
        }
        responses
    }

    fn size_of(cases: &[Vec<u64>], response: &[(usize, usize, usize)]) -> u64 {
        response
            .iter()
            .map(|(i, first, n)| {
                let bytes: u64 = cases[*i][*first..first + n].iter().sum();
                Planner::cost(*n as u64, bytes)
            })
            .sum()
    }

    proptest! {
        #[test]
        fn responses_stay_in_budget_progress_and_send_causal_prefixes(
            cases in prop::collection::vec(prop::collection::vec(1u64..5_000, 1..40), 1..12),
            budget in 50u64..40_000,
        ) {
            let responses = play(&cases, budget);
            let mut next: Vec<usize> = vec![0; cases.len()];
            for response in &responses {
                let size = size_of(&cases, response);
                let alone = response.len() == 1 && response[0].2 == 1;
                prop_assert!(size <= budget || alone, "{size} > {budget}: {response:?}");
                for (i, first, n) in response {
                    // Each case's changes go in log order, each exactly once, without gaps:
                    // what a device holds of a case is always a prefix of its log.
                    prop_assert_eq!(*first, next[*i]);
                    prop_assert!(*n > 0);
                    next[*i] += n;
                }
            }
            for (i, case) in cases.iter().enumerate() {
                prop_assert_eq!(next[i], case.len());
            }
        }

        #[test]
        fn cases_that_fit_together_go_in_one_response_unsplit(
            cases in prop::collection::vec(prop::collection::vec(1u64..500, 1..10), 1..30),
        ) {
            let total: u64 = cases
                .iter()
                .map(|c| Planner::cost(c.len() as u64, c.iter().sum()))
                .sum();
            let responses = play(&cases, total);
            prop_assert_eq!(responses.len(), 1);
            prop_assert!(responses[0].iter().all(|(i, first, n)| *first == 0 && *n == cases[*i].len()));
        }
    }

    #[test]
    fn the_budget_and_framing_are_the_documented_ones() {
        // docs/sync-protocol.md, "What HQ sends back" and "Limits".
        assert_eq!(PULL_BUDGET, 16 * 1024 * 1024 - 256 * 1024);
        assert_eq!((CASE_FRAMING, CHUNK_FRAMING), (40, 4));
    }

    #[test]
    fn a_change_bigger_than_the_budget_goes_alone() {
        let cases = vec![vec![10], vec![1_000, 10], vec![10]];
        let responses = play(&cases, 200);
        assert_eq!(
            responses,
            vec![vec![(0, 0, 1)], vec![(1, 0, 1)], vec![(1, 1, 1), (2, 0, 1)]]
        );
    }

    #[test]
    fn a_case_that_fits_a_response_of_its_own_is_not_split() {
        let mut planner = Planner::new(1_000);
        assert_eq!(planner.offer(1, 600), Offer::All);
        assert_eq!(planner.offer(2, 500), Offer::Wait);
        assert_eq!(planner.offer(3, 5_000), Offer::Page);
        assert_eq!(planner.page(&[150, 150, 150]), 2);
        assert_eq!(planner.used, 600 + 44 + 40 + 2 * 154);
    }
}
