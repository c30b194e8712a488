#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| idp_vault::fuzz::ssh_key_file(data));
