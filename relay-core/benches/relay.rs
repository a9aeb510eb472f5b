//! Benchmark of the relay hot path; being written.
fn main() {}
