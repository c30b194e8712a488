//! CLI help and error text, pinned by the cases in `tests/cmd/`.
//! None of them reaches an agent. Update
//! them deliberately with `TRYCMD=overwrite cargo test -p idp-e2e`.

use crate::harness::bin_dir;

#[test]
fn cli_help_and_errors() {
    trycmd::TestCases::new()
        .register_bin("idp", bin_dir().join("idp"))
        .case(concat!(env!("CARGO_MANIFEST_DIR"), "/cmd/*.toml"));
}
