#![no_main]
//! See capsim::fuzzing::duration: the same entry point runs in `cargo test` (tests/fuzz_properties.rs).

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| capsim::fuzzing::duration(data));
