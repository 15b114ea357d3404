//! The contracts of one run, held compiled all at once or, for a suite larger than its batch,
//! compiled one batch at a time.
//!
//! A compiled contract costs tens of kilobytes (its schemas, examples and rules), so a suite of
//! 10,000 held whole takes hundreds of megabytes before a case runs. Past [`Suite::load`]'s
//! `batch` contracts the suite is surveyed instead: every file is read and compiled once, so
//! every error of every file is still reported before anything runs, and only an [`Entry`]
//! (name, operation, file, digest, what links it to others) is kept. The run then compiles one
//! batch, runs it, and drops it before the next.
//!
//! Contracts that work together stay in one batch: those acting on the same resource (its
//! flows, and the creator whose ids the others use) and those issuing or accepting the same
//! credential (an access token). A batch is closed only where no such link crosses, so a
//! suite whose contracts are all linked is one batch. Each batch is re-read from its files;
//! a file whose bytes changed since the survey is an error, not a silently different run.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;

use super::Contract;
use super::error::{ContractError, ContractErrorKind as K, ContractErrors};
use super::load::{Found, compile_each, contract_files, load_bytes};

/// Contracts compiled at once unless told otherwise (`verify --batch`): a batch of this size
/// runs in about 100 MB, and suites of this size or smaller run exactly as one.
pub(crate) const DEFAULT_BATCH: usize = 1000;

/// What is kept of a contract of a batched suite between its survey and its batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The contract's name.
    pub name: String,
    /// Its operation's method.
    pub method: String,
    /// Its operation's path.
    pub path: String,
    /// The file as the user named it.
    pub file: PathBuf,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub sha256: String,
    /// What links it to other contracts of the suite: `resource:card`, `credential:accessToken`.
    links: Vec<String>,
}

impl Entry {
    /// What is kept of `contract`.
    pub(crate) fn of(contract: &Contract) -> Self {
        let resource = contract
            .resource
            .iter()
            .map(|r| format!("resource:{}", r.name));
        let issued = contract.issues.iter().map(|i| &i.credential);
        let accepted = contract.accepts.iter().map(|a| &a.credential);
        let credentials = issued.chain(accepted).map(|c| format!("credential:{c}"));
        Entry {
            name: contract.name.clone(),
            method: contract.method.clone(),
            path: contract.path.clone(),
            file: contract.source.path.clone(),
            sha256: contract.source.sha256.clone(),
            links: resource.chain(credentials).collect(),
        }
    }
}

/// The contracts of a run.
#[derive(Debug)]
pub(crate) enum Suite {
    /// Every contract, compiled.
    Whole(Vec<Contract>),
    /// More contracts than a batch: surveyed, compiled one batch at a time.
    Batched(Batched),
}

/// A surveyed suite: its entries in file order, and its batches as indices into them.
#[derive(Debug)]
pub(crate) struct Batched {
    entries: Vec<Entry>,
    batches: Vec<Vec<usize>>,
    /// The batch size asked for.
    size: usize,
}

impl Suite {
    /// Loads the contracts under `paths` as [`super::load_paths`] does; more than `batch`
    /// of them (at least 1) are surveyed and batched instead of held compiled, unless scenario
    /// files are among the paths: a scenario may call any contract of the run, so such a suite
    /// is held whole.
    pub(crate) fn load(paths: &[PathBuf], batch: usize) -> Result<Suite, ContractErrors> {
        let Found {
            files,
            errors,
            scenarios,
        } = contract_files(paths);
        if scenarios || files.len() <= batch.max(1) {
            return super::load::load_files(files, errors).map(Suite::Whole);
        }
        let entries = survey(files, errors)?;
        let batches = batches(&entries, batch.max(1));
        if batches.len() == 1 {
            // Every contract is linked to the others: one batch is the whole suite.
            let files = entries.into_iter().map(|e| e.file).collect();
            return super::load::load_files(files, Vec::new()).map(Suite::Whole);
        }
        Ok(Suite::Batched(Batched {
            entries,
            batches,
            size: batch,
        }))
    }

    /// What is kept of every contract, in run order.
    pub(crate) fn entries(&self) -> Vec<Entry> {
        match self {
            Suite::Whole(contracts) => contracts.iter().map(Entry::of).collect(),
            Suite::Batched(batched) => batched.entries_in_order().cloned().collect(),
        }
    }

    /// How many contracts.
    pub(crate) fn len(&self) -> usize {
        match self {
            Suite::Whole(contracts) => contracts.len(),
            Suite::Batched(batched) => batched.entries.len(),
        }
    }

    /// How many batches the suite runs in.
    pub(crate) fn batch_count(&self) -> usize {
        match self {
            Suite::Whole(_) => 1,
            Suite::Batched(batched) => batched.batches.len(),
        }
    }

    /// The batch size asked for and the number of batches, when the suite is batched.
    pub(crate) fn batching(&self) -> Option<(usize, usize)> {
        match self {
            Suite::Whole(_) => None,
            Suite::Batched(batched) => Some((batched.size, batched.batches.len())),
        }
    }

    /// The contracts of batch `index`, compiled (borrowed when the suite is whole).
    pub(crate) fn batch(&self, index: usize) -> Result<Cow<'_, [Contract]>, ContractErrors> {
        match self {
            Suite::Whole(contracts) => Ok(Cow::Borrowed(contracts)),
            Suite::Batched(batched) => batched.open(index).map(Cow::Owned),
        }
    }

    /// The contracts of batch `index` to keep: a whole suite hands its contracts over (and
    /// holds none after), a batched one compiles the batch again.
    pub(crate) fn take_batch(&mut self, index: usize) -> Result<Vec<Contract>, ContractErrors> {
        match self {
            Suite::Whole(contracts) => Ok(std::mem::take(contracts)),
            Suite::Batched(batched) => batched.open(index),
        }
    }

    /// Calls `each` with every batch in turn, stopping at the first error it returns.
    pub(crate) fn each_batch<E: From<ContractErrors>>(
        &self,
        mut each: impl FnMut(&[Contract]) -> Result<(), E>,
    ) -> Result<(), E> {
        for index in 0..self.batch_count() {
            each(&self.batch(index)?)?;
        }
        Ok(())
    }

    /// The whole suite compiled, when it is held so (as a suite with scenario files always is).
    pub(crate) fn whole(&self) -> Option<&[Contract]> {
        match self {
            Suite::Whole(contracts) => Some(contracts),
            Suite::Batched(_) => None,
        }
    }
}

impl Batched {
    fn entries_in_order(&self) -> impl Iterator<Item = &Entry> {
        self.batches.iter().flatten().map(|&i| &self.entries[i])
    }

    /// Reads and compiles the files of batch `index` again, refusing any whose bytes changed.
    fn open(&self, index: usize) -> Result<Vec<Contract>, ContractErrors> {
        let mut contracts = Vec::new();
        let mut errors = Vec::new();
        for &i in &self.batches[index] {
            let entry = &self.entries[i];
            match read_again(entry) {
                Ok(contract) => contracts.push(contract),
                Err(mut found) => errors.append(&mut found),
            }
        }
        if errors.is_empty() {
            Ok(contracts)
        } else {
            Err(ContractErrors(errors))
        }
    }
}

fn read_again(entry: &Entry) -> Result<Contract, Vec<ContractError>> {
    let whole_file = |kind| vec![ContractError::whole_file(entry.file.clone(), kind)];
    let bytes = crate::input::read(&entry.file).map_err(|e| whole_file(K::Io(e.to_string())))?;
    let contract = load_bytes(&entry.file, bytes)?;
    if contract.source.sha256 != entry.sha256 {
        return Err(whole_file(K::Invalid(
            "the file changed while the run was under way: its batch is not the contract the run started with"
                .into(),
        )));
    }
    Ok(contract)
}

/// Reads and compiles every file once, keeping only its [`Entry`]; every error of every file
/// when any is invalid, as [`super::load_paths`] reports them.
fn survey(files: Vec<PathBuf>, errors: Vec<ContractError>) -> Result<Vec<Entry>, ContractErrors> {
    compile_each(files, errors, |contract| Entry::of(&contract), Entry::clone)
}

/// Groups linked entries (union-find over their links), then fills batches of at least
/// `size` contracts with whole groups, each group where its first contract falls in file
/// order, and its contracts in file order.
fn batches(entries: &[Entry], size: usize) -> Vec<Vec<usize>> {
    let mut group: Vec<usize> = (0..entries.len()).collect();
    let mut first_with: HashMap<&str, usize> = HashMap::new();
    for (i, entry) in entries.iter().enumerate() {
        for link in &entry.links {
            let other = *first_with.entry(link.as_str()).or_insert(i);
            let (a, b) = (root(&mut group, i), root(&mut group, other));
            group[a.max(b)] = a.min(b);
        }
    }
    let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..entries.len() {
        let r = root(&mut group, i);
        members.entry(r).or_default().push(i);
    }
    let mut batches: Vec<Vec<usize>> = Vec::new();
    let mut current = Vec::new();
    // Roots are each group's first member, so visiting indices in order visits groups in the
    // order of their first contract.
    for i in 0..entries.len() {
        let Some(group) = members.remove(&i) else {
            continue;
        };
        current.extend(group);
        if current.len() >= size {
            batches.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

fn root(group: &mut [usize], mut i: usize) -> usize {
    while group[i] != i {
        group[i] = group[group[i]];
        i = group[i];
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn entry(name: &str, links: &[&str]) -> Entry {
        Entry {
            name: name.into(),
            method: "POST".into(),
            path: format!("/{name}"),
            file: Path::new(name).to_path_buf(),
            sha256: String::new(),
            links: links.iter().map(|l| l.to_string()).collect(),
        }
    }

    #[test]
    fn unlinked_contracts_fill_batches_in_file_order() {
        let entries: Vec<Entry> = (0..5).map(|i| entry(&format!("c{i}"), &[])).collect();
        assert_eq!(batches(&entries, 2), vec![vec![0, 1], vec![2, 3], vec![4]]);
    }

    #[test]
    fn linked_contracts_share_a_batch_however_far_apart() {
        let entries = vec![
            entry("create", &["resource:card"]),
            entry("a", &[]),
            entry("token", &["credential:accessToken"]),
            entry("b", &[]),
            entry("read", &["resource:card"]),
            entry("user", &["credential:accessToken"]),
        ];
        assert_eq!(
            batches(&entries, 2),
            vec![vec![0, 4], vec![1, 2, 5], vec![3]]
        );
    }

    /// Two copies of the shipped issueCard contract under other names and paths.
    fn two_contracts(dir: &Path) -> Vec<PathBuf> {
        let shipped = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/contracts/platform/issue-card.json"
        );
        let mut contract: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(shipped).unwrap()).unwrap();
        (0..2)
            .map(|i| {
                contract["name"] = format!("card{i}").into();
                contract["operation"]["path"] = format!("/v2/card{i}").into();
                let file = dir.join(format!("c{i}.json"));
                std::fs::write(&file, serde_json::to_string_pretty(&contract).unwrap()).unwrap();
                file
            })
            .collect()
    }

    #[test]
    fn a_suite_past_its_batch_is_compiled_one_batch_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let files = two_contracts(dir.path());
        let suite = Suite::load(&[dir.path().to_path_buf()], 1).unwrap();
        assert!(suite.whole().is_none());
        assert_eq!((suite.len(), suite.batch_count()), (2, 2));
        let second = suite.batch(1).unwrap();
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].name, "card1");
        assert_eq!(second[0].source.path, files[1]);
        let whole = Suite::load(&[dir.path().to_path_buf()], 2).unwrap();
        assert_eq!(whole.whole().map(<[Contract]>::len), Some(2));
    }

    #[test]
    fn a_suite_whose_contracts_are_all_linked_is_held_whole() {
        let dir = tempfile::tempdir().unwrap();
        let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/cards-api");
        for name in ["create-card", "get-card", "update-card", "delete-card"] {
            let file = format!("{name}.json");
            std::fs::copy(Path::new(shipped).join(&file), dir.path().join(&file)).unwrap();
        }
        let suite = Suite::load(&[dir.path().to_path_buf()], 1).unwrap();
        assert_eq!(suite.whole().map(<[Contract]>::len), Some(4));
        assert_eq!((suite.batch_count(), suite.batching()), (1, None));
    }

    #[test]
    fn a_suite_with_scenario_files_is_held_whole() {
        let dir = tempfile::tempdir().unwrap();
        two_contracts(dir.path());
        std::fs::write(dir.path().join("flows.scenario.json"), "{}").unwrap();
        let suite = Suite::load(&[dir.path().to_path_buf()], 1).unwrap();
        assert_eq!(suite.whole().map(<[Contract]>::len), Some(2));
    }

    #[test]
    fn a_file_changed_after_the_survey_is_refused_when_its_batch_is_compiled() {
        let dir = tempfile::tempdir().unwrap();
        let files = two_contracts(dir.path());
        let suite = Suite::load(&[dir.path().to_path_buf()], 1).unwrap();
        let text = std::fs::read_to_string(&files[1]).unwrap();
        std::fs::write(&files[1], text.replace("\"card1\"", "\"renamed\"")).unwrap();
        assert!(suite.batch(0).is_ok(), "an unchanged batch still compiles");
        let refused = suite.batch(1).unwrap_err().to_string();
        assert!(
            refused.contains("c1.json")
                && refused.contains("the file changed while the run was under way"),
            "{refused}"
        );
    }

    #[test]
    fn a_survey_reports_every_invalid_file_and_every_clash() {
        let dir = tempfile::tempdir().unwrap();
        let files = two_contracts(dir.path());
        std::fs::copy(&files[0], dir.path().join("c2.json")).unwrap();
        std::fs::write(dir.path().join("c3.json"), "{").unwrap();
        let refused = Suite::load(&[dir.path().to_path_buf()], 1)
            .unwrap_err()
            .to_string();
        for expected in [
            "contract name `card0` is also used by",
            "operation POST /v2/card0 is also defined by",
            "c3.json",
        ] {
            assert!(refused.contains(expected), "`{expected}` not in\n{refused}");
        }
    }

    #[test]
    fn a_contract_linking_two_groups_joins_them() {
        let entries = vec![
            entry("x", &["resource:a"]),
            entry("y", &["resource:b"]),
            entry("z", &["resource:b", "resource:a"]),
        ];
        assert_eq!(batches(&entries, 1), vec![vec![0, 1, 2]]);
    }
}
