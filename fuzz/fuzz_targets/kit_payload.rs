//! Fuzz target: `idp_kit::fuzz::payload` must never panic, hang or exhaust memory.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| idp_kit::fuzz::payload(data));
