//! `idp-kit`: reads and draws emergency kits in a process of its own, for
//! `idp` and `idp-agent` (see `idp_kit::helper`).

fn main() {
    std::process::exit(idp_kit::helper::serve(
        std::env::args_os().skip(1).collect(),
    ));
}
