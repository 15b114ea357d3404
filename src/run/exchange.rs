//! Running one exchange: materialize the body with a fresh key, send it, check the answer.

use reqwest::header::HeaderMap;

use super::Context;
use crate::check::{self, Observed};
use crate::contract::Contract;
use crate::plan::Exchange;
use crate::results::CheckResult;

/// Sends the exchange's request and runs the per-response checks.
pub async fn run(context: &Context, contract: &Contract, exchange: &Exchange) -> Vec<CheckResult> {
    let sent = exchange
        .body
        .materialize(&exchange.key, contract, &context.mint);
    let observed = context
        .target
        .send(
            &contract.method,
            &contract.path,
            sent.bytes,
            HeaderMap::new(),
        )
        .await
        .map(Observed::new);
    check::exchange_checks(
        contract,
        &exchange.expect,
        exchange.probe.as_ref(),
        &observed,
    )
}
