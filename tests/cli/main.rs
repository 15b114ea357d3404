//! End-to-end tests of the `conform` binary: one integration-test binary, driving the real CLI
//! through a small helper, against the embedded reference implementation and against wiremock
//! servers that answer wrongly in distinct ways.

mod cards_api;
mod issue_card;
mod merchant_impl;
mod platform_impl;
mod raw_server;
mod signing_support;
mod tls_gateway;
mod util;

mod batches;
mod certify;
mod choosing;
mod coverage;
mod exit_codes;
mod first_hour;
mod gating;
mod generated;
mod help;
mod hostile;
mod idempotency;
mod lint;
mod made_up_values;
mod merchant;
mod merge;
mod openapi;
mod openapi_export;
mod openapi_report;
mod platform;
mod promises;
mod proxy;
mod proxy_wire;
mod reports;
mod reports_html;
mod rest;
mod scenarios;
mod security;
mod serve;
mod serve_limits;
mod serve_load;
mod serve_report;
mod sign;
mod signed;
mod snapshots;
mod target_config;
mod tls;
mod tls_suites;
mod verdicts;
mod verify_embedded;
mod verify_wrong_answers;
