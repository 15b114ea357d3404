//! The contract fuzz test: seeded mutations of the shipped and fixture contracts (and of the
//! shipped scenario files, [`scenarios`]) go through
//! everything a contract reaches before a request is sent (loading and its errors, the notes
//! of `lint`, planning every case, writing every body) and through the reference
//! implementation's answers. Each must end in a contract or in errors that all have a file,
//! line and column, without a panic, within the stack planning and serving run on, within a
//! memory bound (measured by a counting allocator) and within a time bound.
//!
//! `cargo test` runs a few hundred mutations; `.ci/run` runs [`DEFAULT_ITERATIONS`] from a
//! fixed seed on a release build (`cargo test --release --lib fuzz:: -- --ignored`,
//! about 40 seconds). For a soak run: `CONFORM_FUZZ_ITERATIONS=1000000 CONFORM_FUZZ_SEED=$RANDOM
//! cargo test --release --lib fuzz:: -- --ignored --nocapture`. A failing mutation is
//! written under the test's temporary folder with its seed, to become a regular test. A stack
//! overflow aborts the process with the seed in its message (`thread 'contract fuzz seed N'`):
//! `CONFORM_FUZZ_SEED=N CONFORM_FUZZ_ITERATIONS=1 CONFORM_FUZZ_SAVE=1` writes that mutation.

mod counting;
mod hostile;
mod mutate;
mod scenarios;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::contract::{self, ContractError, ContractErrors};
use crate::plan::{self, Action, KeyMint};
use crate::reference::{Faults, Reference};

/// Mutations `.ci/run` tries on a release build (a debug build, about 15 times slower, tries
/// fewer unless told otherwise).
const DEFAULT_ITERATIONS: u64 = if cfg!(debug_assertions) {
    3_000
} else {
    40_000
};
/// Mutations every `cargo test` tries.
const QUICK_ITERATIONS: u64 = 300;
/// Planning runs on a thread of its own and the reference answers on tokio workers: both have
/// 2 MiB stacks, so every mutation is exercised on one.
const STACK: usize = 2 << 20;
/// Most memory one mutation may take at its peak, over what was live before it. The caps of
/// planning keep it lower: about 3 MiB at most over 40,000 mutations, under 20 MiB for the
/// worst hand-made contract.
const MEMORY_BOUND: usize = 32 << 20;
/// Longest one mutation may take (a debug build on a busy machine).
const TIME_BOUND: Duration = Duration::from_secs(60);
/// Bodies the reference implementation is asked to answer per contract, past the planned ones.
const ODD_BODIES: [&[u8]; 7] = [
    b"",
    b"[]",
    b"{}",
    b"null",
    b"{\"a\": ",
    b"{\"requestId\": \"1\", \"requestId\": \"2\"}",
    b"\xff\xfe",
];

#[test]
fn contract_mutations_end_in_a_contract_or_located_errors() {
    fuzz(QUICK_ITERATIONS);
}

#[test]
#[ignore = "run by .ci/run on a release build; CONFORM_FUZZ_ITERATIONS sets the count for a soak"]
fn contract_mutations_end_in_a_contract_or_located_errors_at_length() {
    let iterations = env_number("CONFORM_FUZZ_ITERATIONS").unwrap_or(DEFAULT_ITERATIONS);
    fuzz(iterations);
}

#[test]
fn scenario_mutations_end_in_scenarios_or_located_errors() {
    // The mutations are made for contracts and break most scenario files; some must still
    // compile, or the fuzz has stopped reaching planning.
    let (compiled, rejected) = scenarios::fuzz(QUICK_ITERATIONS);
    assert!(
        compiled * 50 >= QUICK_ITERATIONS,
        "too few compiled: {compiled}"
    );
    assert!(
        rejected * 10 >= QUICK_ITERATIONS,
        "too few rejected: {rejected}"
    );
}

#[test]
#[ignore = "run by .ci/run on a release build; CONFORM_FUZZ_ITERATIONS sets the count for a soak"]
fn scenario_mutations_end_in_scenarios_or_located_errors_at_length() {
    let iterations = env_number("CONFORM_FUZZ_ITERATIONS").unwrap_or(DEFAULT_ITERATIONS / 4);
    let (compiled, rejected) = scenarios::fuzz(iterations);
    println!("scenario fuzz: {iterations} mutations: {compiled} compiled, {rejected} rejected");
}

#[test]
fn hand_made_hostile_contracts_stay_within_the_same_bounds() {
    for (what, input) in hostile::contracts() {
        match exercise_isolated(0, input) {
            Ok(outcome) => println!(
                "{what}: {} in {:.1?}, peak {} KiB",
                outcome
                    .cases
                    .map_or("rejected".into(), |n| format!("{n} cases")),
                outcome.took,
                outcome.peak >> 10
            ),
            Err(why) => panic!("{what}: {why}"),
        }
    }
}

fn fuzz(iterations: u64) {
    let first = env_number("CONFORM_FUZZ_SEED").unwrap_or(1);
    let seeds = seed_contracts();
    let started = Instant::now();
    let mut tally = Tally::default();
    for seed in first..first + iterations {
        let mut rng = fastrand::Rng::with_seed(seed);
        // Mostly valid contracts, so most mutations reach planning and the reference.
        let source = match rng.u8(0..10) {
            0 => &seeds.invalid[rng.usize(..seeds.invalid.len())],
            _ => &seeds.valid[rng.usize(..seeds.valid.len())],
        };
        let input = mutate::mutate(&mut rng, source);
        if std::env::var_os("CONFORM_FUZZ_SAVE").is_some() {
            // A stack overflow aborts before `fail` can save anything.
            save(seed, &input);
        }
        let outcome = exercise_isolated(seed, input.clone());
        match outcome {
            Ok(outcome) => tally.add(seed, &outcome),
            Err(why) => fail(seed, &input, &why),
        }
    }
    println!(
        "contract fuzz: {iterations} mutations from seed {first} in {:.1?}: {} contracts \
         ({} cases), {} rejected; peak {} KiB (seed {}), slowest {:.1?} (seed {})",
        started.elapsed(),
        tally.valid,
        tally.cases,
        tally.rejected,
        tally.peak.0 >> 10,
        tally.peak.1,
        tally.slowest.0,
        tally.slowest.1,
    );
    // Mutations must reach both ends, or the fuzz has stopped testing the later stages.
    if iterations >= 100 {
        assert!(tally.valid * 10 >= iterations, "too few valid: {tally:?}");
        assert!(
            tally.rejected * 10 >= iterations,
            "too few rejected: {tally:?}"
        );
    }
}

/// What one mutation came to.
#[derive(Debug)]
struct Outcome {
    /// Cases planned, when the mutation is a valid contract.
    cases: Option<usize>,
    peak: usize,
    took: Duration,
}

#[derive(Debug, Default)]
struct Tally {
    valid: u64,
    rejected: u64,
    cases: usize,
    /// The largest peak and its seed.
    peak: (usize, u64),
    /// The longest time and its seed.
    slowest: (Duration, u64),
}

impl Tally {
    fn add(&mut self, seed: u64, outcome: &Outcome) {
        match outcome.cases {
            Some(cases) => {
                self.valid += 1;
                self.cases += cases;
            }
            None => self.rejected += 1,
        }
        self.peak = self.peak.max((outcome.peak, seed));
        self.slowest = self.slowest.max((outcome.took, seed));
    }
}

/// Runs one mutation on a thread of its own (named after the seed, which a stack overflow
/// message then shows), with the memory and time bounds.
fn exercise_isolated(seed: u64, input: Vec<u8>) -> Result<Outcome, String> {
    let (done, outcome) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name(format!("contract fuzz seed {seed}"))
        .stack_size(STACK)
        .spawn(move || {
            counting::SEED.store(seed, std::sync::atomic::Ordering::Relaxed);
            let before = counting::live();
            counting::reset_peak();
            let started = Instant::now();
            let result = std::panic::catch_unwind(|| exercise(input))
                .map_err(|panic| format!("panicked: {}", panic_text(&panic)))
                .and_then(|r| r);
            let peak = counting::peak().saturating_sub(before);
            let _ = done.send(result.map(|cases| Outcome {
                cases,
                peak,
                took: started.elapsed(),
            }));
        });
    spawned.map_err(|e| format!("cannot start a thread: {e}"))?;
    let outcome = outcome
        .recv_timeout(TIME_BOUND)
        .map_err(|_| format!("took longer than {TIME_BOUND:?}"))??;
    if outcome.peak > MEMORY_BOUND {
        return Err(format!(
            "took {} MiB at its peak (bound {} MiB)",
            outcome.peak >> 20,
            MEMORY_BOUND >> 20
        ));
    }
    Ok(outcome)
}

/// Loads, lints, plans and serves one contract file; `Some(cases)` for a valid contract.
fn exercise(input: Vec<u8>) -> Result<Option<usize>, String> {
    let path = Path::new("fuzz/contract.json");
    let contract = match contract::load_bytes(path, input) {
        Ok(contract) => contract,
        Err(errors) => return rejected(path, errors).map(|()| None),
    };
    let _notes = plan::notes(&contract);
    let reference = Reference::new(contract.clone(), Faults::default());
    let mint = KeyMint::with_nonce("7".into());
    let mut cases = 0;
    let mut bodies = Vec::new();
    plan::each_case(0, &contract, &mut |case| {
        cases += 1;
        if let Action::Exchange(exchange) = case.action {
            let sent = exchange
                .request
                .materialize(&exchange.key, &contract, &mint);
            if bodies.len() < 24
                && let Some(body) = sent.body
            {
                bodies.push(body);
            }
        }
        true
    });
    for body in bodies.iter().map(Vec::as_slice).chain(ODD_BODIES) {
        let answer = reference.answer(body);
        serde_json::from_slice::<serde_json::Value>(&answer.body).map_err(|e| {
            format!(
                "the reference answered {} with a body that is not JSON: {e}",
                answer.status
            )
        })?;
    }
    Ok(Some(cases))
}

/// Every error of a rejected file has its file, line and column, and renders with them.
fn rejected(path: &Path, errors: Vec<ContractError>) -> Result<(), String> {
    if errors.is_empty() {
        return Err("rejected without an error".into());
    }
    for error in &errors {
        let Some(location) = &error.location else {
            return Err(format!("an error without a place: {}", error.render()));
        };
        let place = format!("{}:{}:{}", path.display(), location.line, location.column);
        let rendered = error.render();
        if error.file != path
            || location.line == 0
            || location.column == 0
            || !rendered.contains(&place)
        {
            return Err(format!("an error not located at {place}: {rendered}"));
        }
        if rendered
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(format!("an error with control characters: {rendered:?}"));
        }
    }
    let _ = ContractErrors(errors).render();
    Ok(())
}

/// Writes a mutation where a failure report can point to it.
fn save(seed: u64, input: &[u8]) -> PathBuf {
    let folder = std::env::temp_dir().join("conform-contract-fuzz");
    let _ = std::fs::create_dir_all(&folder);
    let file = folder.join(format!("seed-{seed}.json"));
    let _ = std::fs::write(&file, input);
    file
}

fn fail(seed: u64, input: &[u8], why: &str) -> ! {
    let file = save(seed, input);
    panic!(
        "contract fuzz seed {seed}: {why}\nthe mutated contract is in {}\nrerun it with CONFORM_FUZZ_SEED={seed} CONFORM_FUZZ_ITERATIONS=1",
        file.display()
    );
}

/// The contracts mutations start from, as bytes.
struct Seeds {
    /// The shipped contracts and the valid fixtures.
    valid: Vec<Vec<u8>>,
    /// The invalid fixtures.
    invalid: Vec<Vec<u8>>,
}

fn seed_contracts() -> Seeds {
    Seeds {
        valid: [
            read_folder("contracts/platform"),
            read_folder("contracts/merchant"),
            read_folder("tests/fixtures/valid"),
        ]
        .concat(),
        invalid: read_folder("tests/fixtures/invalid"),
    }
}

fn read_folder(folder: &str) -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(folder))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .filter(|path| !contract::load::is_scenario(path))
        .collect();
    files.sort();
    files
        .iter()
        .map(|file| std::fs::read(file).unwrap())
        .collect()
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(no message)".into())
}
