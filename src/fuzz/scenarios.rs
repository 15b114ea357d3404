//! Seeded mutations of the shipped scenario files, compiled against the contracts they call:
//! each must end in scenarios (whose cases plan) or in errors that all have a file, line and
//! column, without a panic.

use std::path::Path;

use crate::contract::{self, Contract};
use crate::scenario::load::load_one;

use super::{env_number, mutate, panic_text, rejected};

/// The scenario files mutations start from, with the contracts each is compiled against.
fn seeds() -> Vec<(Vec<u8>, Vec<Contract>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    ["contracts/platform", "examples/cards-api"]
        .iter()
        .flat_map(|folder| {
            let contracts = contract::load_paths(&[root.join(folder)]).unwrap();
            let files: Vec<_> = std::fs::read_dir(root.join(folder))
                .unwrap()
                .map(|entry| entry.unwrap().path())
                .filter(|path| contract::load::is_scenario(path))
                .collect();
            files
                .into_iter()
                .map(move |file| (std::fs::read(file).unwrap(), contracts.clone()))
        })
        .collect()
}

/// Mutates and compiles `iterations` scenario files; the numbers compiled and rejected.
pub(super) fn fuzz(iterations: u64) -> (u64, u64) {
    let first = env_number("CONFORM_FUZZ_SEED").unwrap_or(1);
    let seeds = seeds();
    assert!(!seeds.is_empty(), "no scenario file to start from");
    let path = Path::new("fuzz/mutated.scenario.json");
    let (mut compiled, mut rejected_count) = (0, 0);
    for seed in first..first + iterations {
        let mut rng = fastrand::Rng::with_seed(seed);
        let (source, contracts) = &seeds[rng.usize(..seeds.len())];
        let input = mutate::mutate(&mut rng, source);
        let outcome = std::panic::catch_unwind(|| match load_one(path, input.clone(), contracts) {
            Ok(set) => {
                let cases = crate::plan::scenario_cases(std::slice::from_ref(&set)).count();
                Ok(cases == set.scenarios.len())
            }
            Err(errors) => rejected(path, errors).map(|()| false),
        });
        match outcome {
            Ok(Ok(true)) => compiled += 1,
            Ok(Ok(false)) => rejected_count += 1,
            Ok(Err(why)) => panic!(
                "scenario fuzz seed {seed}: {why}\n{}",
                String::from_utf8_lossy(&input)
            ),
            Err(panic) => panic!(
                "scenario fuzz seed {seed} panicked: {}\n{}",
                panic_text(&panic),
                String::from_utf8_lossy(&input)
            ),
        }
    }
    (compiled, rejected_count)
}
