use super::*;

fn symbols(key: &ClientKey) -> Vec<u8> {
    key.0.to_vec()
}

#[test]
fn generated_keys_parse_back() {
    for _ in 0..100_000 {
        let key = ClientKey::generate().expect("rng");
        let grouped = key.expose_grouped();
        assert_eq!(grouped.len(), 41);
        assert_eq!(ClientKey::parse(grouped.expose()), Ok(key.clone()));
        assert_eq!(ClientKey::parse(key.expose_canonical().expose()), Ok(key));
    }
}

#[test]
fn every_single_substitution_is_a_typo() {
    for _ in 0..200 {
        let key = ClientKey::generate().expect("rng");
        let base = key.expose_canonical().expose().as_bytes().to_vec();
        for pos in 0..KEY_LEN {
            for &c in ALPHABET {
                if c == base[pos] {
                    continue;
                }
                let mut typo = base.clone();
                typo[pos] = c;
                let text = String::from_utf8(typo).expect("ascii");
                assert_eq!(ClientKey::parse(&text), Err(ParseKeyError::Typo), "{pos}");
            }
        }
    }
}

#[test]
fn every_adjacent_transposition_is_a_typo() {
    let mut checked = 0;
    for _ in 0..2_000 {
        let key = ClientKey::generate().expect("rng");
        let base = key.expose_canonical().expose().as_bytes().to_vec();
        for pos in 0..KEY_LEN - 1 {
            if base[pos] == base[pos + 1] {
                continue;
            }
            let mut typo = base.clone();
            typo.swap(pos, pos + 1);
            let text = String::from_utf8(typo).expect("ascii");
            assert_eq!(ClientKey::parse(&text), Err(ParseKeyError::Typo), "{pos}");
            checked += 1;
        }
    }
    assert!(checked > 60_000);
}

#[test]
fn look_alikes_case_and_separators_are_accepted() {
    let key = ClientKey::generate().expect("rng");
    let canon = key.expose_canonical().expose().to_string();
    let sloppy: String = canon
        .chars()
        .enumerate()
        .map(|(i, c)| match c {
            '0' => 'o',
            '1' if i % 2 == 0 => 'l',
            '1' => 'I',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    let spaced = format!(
        "  {} {}-{} {}\n",
        &sloppy[..9],
        &sloppy[9..18],
        &sloppy[18..30],
        &sloppy[30..]
    );
    assert_eq!(ClientKey::parse(&spaced), Ok(key));
}

#[test]
fn errors_tell_length_alphabet_and_typo_apart() {
    let key = ClientKey::generate().expect("rng");
    let canon = key.expose_canonical().expose().to_string();
    assert_eq!(
        ClientKey::parse(&canon[..35]),
        Err(ParseKeyError::WrongLength { found: 35 })
    );
    assert_eq!(
        ClientKey::parse(&format!("{canon}7")),
        Err(ParseKeyError::WrongLength { found: 37 })
    );
    let mut bad = canon.clone().into_bytes();
    bad[5] = b'U';
    assert_eq!(
        ClientKey::parse(std::str::from_utf8(&bad).expect("ascii")),
        Err(ParseKeyError::NotAClientKey { position: 5 })
    );
    assert_eq!(
        ClientKey::parse("correct horse battery staple!!"),
        Err(ParseKeyError::WrongLength { found: 27 })
    );
}

#[test]
fn unknown_version_is_reported_after_the_check() {
    let mut key = ClientKey::generate().expect("rng");
    key.0[0] = 2;
    fill_check_symbols(&mut key.0);
    assert_eq!(
        ClientKey::parse(key.expose_canonical().expose()),
        Err(ParseKeyError::UnsupportedVersion { found: 2 })
    );
}

#[test]
fn random_part_is_uniform_enough() {
    // 165 random bits: every symbol value shows up at every random position.
    let mut seen = [[false; 32]; RANDOM_SYMBOLS];
    for _ in 0..2_000 {
        let key = ClientKey::generate().expect("rng");
        for (i, &v) in symbols(&key)[1..1 + RANDOM_SYMBOLS].iter().enumerate() {
            seen[i][v as usize] = true;
        }
    }
    assert!(seen.iter().all(|row| row.iter().all(|&s| s)));
}

#[test]
fn debug_never_shows_the_key() {
    let key = ClientKey::generate().expect("rng");
    let dbg = format!("{key:?}");
    assert!(!dbg.contains(&key.expose_canonical().expose()[1..7]));
}

#[test]
fn fingerprint_depends_on_key_and_vault() {
    let a = ClientKey::generate().expect("rng");
    let b = ClientKey::generate().expect("rng");
    let v1 = VaultId::from_bytes([1; 16]);
    let v2 = VaultId::from_bytes([2; 16]);
    assert_eq!(a.fingerprint(&v1), a.fingerprint(&v1));
    assert_ne!(a.fingerprint(&v1), b.fingerprint(&v1));
    assert_ne!(a.fingerprint(&v1), a.fingerprint(&v2));
    assert_eq!(a.fingerprint(&v1).short().len(), 19);
}
