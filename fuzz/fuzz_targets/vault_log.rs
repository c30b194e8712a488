#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| idp_vault::fuzz::device_log(data));
