//! Twilio's faults, served by the double: sends refused (500, 429), timed out before or after the
//! message was created, connections dropped before or after it, answers that cannot be read, and
//! messages created but still queued (no `date_sent`) when the worker looks for them; lookups
//! refused or timed out, calls still before their dial (no leg yet), the Calls list refused, and
//! SIDs Twilio does not have.
use crate::harness::{Fate, Row, World};
use test_support::*;

/// What a send to a missed caller meets first (one or two of these, then Twilio works). A stall
/// costs the sender its whole timeout, so they come less often than the quick faults.
const SEND_FAULTS: [MessageScript; 12] = [
    MessageScript::ServerError,
    MessageScript::Error {
        status: 429,
        code: 20429,
    },
    MessageScript::Drop,
    MessageScript::AcceptThenDrop,
    MessageScript::AcceptUnreadable,
    MessageScript::ServerError,
    MessageScript::Error {
        status: 429,
        code: 20429,
    },
    MessageScript::Stall,
    MessageScript::AcceptThenStall,
    MessageScript::Drop,
    MessageScript::AcceptThenDrop,
    MessageScript::AcceptUnreadable,
];

/// A hundred calls at a time, answered by Phase 2 at once; each missed caller's first send or two meet
/// a fault. Then half of what was created is sent (it gets its `date_sent`), the rest stays
/// queued, and the poll finishes what is owed or in doubt before the next wave.
pub async fn message_faults(seed: u64, count: usize) -> Row {
    let mut world = World::start(seed, Database::Shared).await;
    let mut trials = world.trials(count, 80, 0);
    let mut scripted = 0u64;
    for wave in trials.chunks_mut(100) {
        for trial in wave.iter().filter(|t| t.missed()) {
            for _ in 0..1 + world.dice.below(2) {
                let fault = world.dice.pick(&SEND_FAULTS);
                world.app.twilio.script_message(&trial.caller, fault);
                scripted += 1;
            }
        }
        world.phase_1(wave).await;
        world.phase_2(wave).await;
        world.quiesce().await;
        for trial in wave.iter() {
            for sid in world.app.twilio.message_sids_to(&trial.caller) {
                if world.dice.chance(50) {
                    world.app.twilio.set_message_status(&sid, "sent", None);
                }
            }
        }
        world.settle().await;
    }
    let hit = world.app.twilio.faults_hit();
    world.check(
        "Twilio Messages: 500, 429, timeout before/after create, drop before/after create, unreadable 201, still queued",
        &trials,
        hit,
        format!("{hit} of {scripted} scripted send faults"),
    ).await
}

/// Calls whose callbacks are lost, in waves of 5 to 40 (so both a call's own lookups and the
/// account's Calls list decide them); a tenth are SIDs Twilio does not have (404). Each known call's
/// first lookups or two meet a fault, and a third of the waves' Calls list pages are refused or
/// stall.
pub async fn call_faults(seed: u64, count: usize) -> Row {
    let mut world = World::start(seed, Database::Shared).await;
    let mut trials = world.trials(count, 75, 10);
    // A stall costs the poll a lookup's whole timeout: one fault in ten.
    let faults = [
        [CallFault::ServerError; 3].as_slice(),
        &[CallFault::RateLimited; 3],
        &[CallFault::LegsNotYet; 3],
        &[CallFault::Stall],
    ]
    .concat();
    let list_faults = [
        CallFault::ServerError,
        CallFault::RateLimited,
        CallFault::Stall,
    ];
    let mut scripted = 0u64;
    let mut rest = &mut trials[..];
    while !rest.is_empty() {
        let size = (5 + world.dice.below(36) as usize).min(rest.len());
        let (wave, later) = rest.split_at_mut(size);
        rest = later;
        for trial in wave.iter().filter(|t| t.fate != Fate::Unknown) {
            for _ in 0..world.dice.below(3) {
                let fault = world.dice.pick(&faults);
                world.app.twilio.script_call_fault(&trial.sid, fault);
                scripted += 1;
            }
        }
        if world.dice.chance(33) {
            let fault = world.dice.pick(&list_faults);
            world.app.twilio.script_calls_list_fault(fault);
            scripted += 1;
        }
        world.phase_1(wave).await;
        world.lose_callbacks(wave).await;
        world.settle().await;
    }
    let hit = world.app.twilio.faults_hit();
    let unknown: Vec<&str> = trials
        .iter()
        .filter(|t| t.fate == Fate::Unknown)
        .map(|t| t.sid.as_str())
        .collect();
    let not_found = world
        .app
        .twilio
        .requests()
        .iter()
        .filter(|r| r.is_call_lookup() && unknown.iter().any(|sid| r.path.contains(sid)))
        .count() as u64;
    world
        .check(
            "Twilio Calls: 500, 429, timeouts, legs late, list refused, unknown SIDs (404)",
            &trials,
            hit,
            format!(
                "{hit} of {scripted} scripted lookup faults, and {not_found} lookups answered 404"
            ),
        )
        .await
}
