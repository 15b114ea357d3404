//! Unit tests of merging.
