//! Scenario files compiled against the platform contracts: what compiles, and every located
//! error an author can meet.
