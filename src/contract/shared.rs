//! One compiled contract of a suite held by several owners at once (the runner and the embedded
//! reference implementation), without a copy each: a compiled contract takes tens of kilobytes,
//! so a suite of thousands compiled twice costs hundreds of megabytes.

use std::sync::Arc;

use super::Contract;

/// The contract at `index` of a suite shared by every holder; dereferences to the contract.
#[derive(Debug, Clone)]
pub(crate) struct SharedContract {
    suite: Arc<[Contract]>,
    index: usize,
}

impl SharedContract {
    /// A contract of its own, shared by nobody else yet.
    #[cfg(test)]
    pub(crate) fn own(contract: Contract) -> Self {
        SharedContract {
            suite: Arc::from(vec![contract]),
            index: 0,
        }
    }

    /// Each contract of `suite`, in order, sharing it.
    pub(crate) fn each(suite: &Arc<[Contract]>) -> impl Iterator<Item = SharedContract> + '_ {
        (0..suite.len()).map(|index| SharedContract {
            suite: Arc::clone(suite),
            index,
        })
    }
}

impl std::ops::Deref for SharedContract {
    type Target = Contract;

    fn deref(&self) -> &Contract {
        &self.suite[self.index]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::tests::issue_card;

    #[test]
    fn every_holder_reads_the_one_copy_of_the_suite() {
        let suite: Arc<[Contract]> = Arc::from(vec![issue_card(), issue_card()]);
        let held: Vec<SharedContract> = SharedContract::each(&suite).collect();
        assert_eq!(held.len(), 2);
        assert!(std::ptr::eq(&*held[1], &suite[1]));
        assert_eq!(held[0].name, suite[0].name);
    }
}
