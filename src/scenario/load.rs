//! Finding scenario files among the paths a run is given (`*.scenario.json`, in folders searched
//! recursively, or named directly), compiling them against the run's contracts, and checking
//! that their names are unique among the contracts and scenario files of the run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::ScenarioSet;
use super::compile::compile;
use crate::contract::error::{ContractError, ContractErrorKind as K, ContractErrors};
use crate::contract::load::{collect_files, is_scenario};
use crate::contract::source::SourceText;
use crate::contract::{Contract, load_bytes};

/// Every scenario file under `paths`, compiled against `contracts` (the run's contracts, in run
/// order), in a stable order. Returns every error of every file when any file is invalid.
pub(crate) fn load_paths(
    paths: &[PathBuf],
    contracts: &[Contract],
) -> Result<Vec<ScenarioSet>, ContractErrors> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if let Err(err) = collect_files(path, &mut files) {
            errors.push(ContractError::whole_file(
                path.clone(),
                K::Io(err.to_string()),
            ));
        }
    }
    files.retain(|file| is_scenario(file));
    files.dedup();
    let mut sets = Vec::new();
    for file in files {
        match crate::input::read(&file) {
            Ok(bytes) => match load_one(&file, bytes, contracts) {
                Ok(set) => sets.push(set),
                Err(mut found) => errors.append(&mut found),
            },
            Err(err) => errors.push(ContractError::whole_file(file, K::Io(err.to_string()))),
        }
    }
    check_unique(&sets, contracts, &mut errors);
    if errors.is_empty() {
        Ok(sets)
    } else {
        Err(ContractErrors(errors))
    }
}

/// Compiles one scenario file from its bytes.
pub(crate) fn load_one(
    path: &Path,
    bytes: Vec<u8>,
    contracts: &[Contract],
) -> Result<ScenarioSet, Vec<ContractError>> {
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            // The contract loader words and locates the encoding error the same way.
            let located = load_bytes(path, err.into_bytes());
            return Err(located.err().unwrap_or_default());
        }
    };
    compile(&SourceText::new(path, text), contracts)
}

/// Case names start with the file's name, so it must differ from every contract's and every
/// other scenario file's.
fn check_unique(sets: &[ScenarioSet], contracts: &[Contract], errors: &mut Vec<ContractError>) {
    let mut names: HashMap<&str, &Path> = contracts
        .iter()
        .map(|c| (c.name.as_str(), c.source.path.as_path()))
        .collect();
    for set in sets {
        if let Some(first) = names.insert(&set.name, &set.source.path) {
            let kind = K::Invalid(format!(
                "name `{}` is also used by {}: case names start with it, so it must be unique",
                set.name,
                first.display()
            ));
            errors.push(ContractError {
                file: set.name_place.file.clone(),
                location: set.name_place.location.clone(),
                kind,
            });
        }
    }
}
