//! The SSH agent protocol's messages (draft-miller-ssh-agent), read and
//! written with `ssh-encoding`. A frame is a 4-byte big-endian length and a
//! body whose first byte is the message type; the agent frames them with
//! [`crate::framing::FrameCodec::with_max`] at [`MAX_MESSAGE`]. Parsing
//! allocates at most the message's own length: every length inside is
//! checked against what is left before anything is copied.

use ssh_encoding::{Decode, Encode};

pub const FAILURE: u8 = 5;
pub const SUCCESS: u8 = 6;
const REQUEST_IDENTITIES: u8 = 11;
const IDENTITIES_ANSWER: u8 = 12;
const SIGN_REQUEST: u8 = 13;
const SIGN_RESPONSE: u8 = 14;
const ADD_IDENTITY: u8 = 17;
const REMOVE_IDENTITY: u8 = 18;
const REMOVE_ALL_IDENTITIES: u8 = 19;
const LOCK: u8 = 22;
const UNLOCK: u8 = 23;
const ADD_ID_CONSTRAINED: u8 = 25;
const ADD_SMARTCARD_KEY: u8 = 20;
const REMOVE_SMARTCARD_KEY: u8 = 21;
const ADD_SMARTCARD_KEY_CONSTRAINED: u8 = 26;
const EXTENSION: u8 = 27;

/// The largest message accepted, as OpenSSH's agent (`AGENT_MAX_LEN`).
pub const MAX_MESSAGE: usize = 256 * 1024;

/// `session-bind@openssh.com`: the host a connection's requests are for.
pub const SESSION_BIND: &str = "session-bind@openssh.com";

/// One request. Byte fields borrow from, or are copied out of, the frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Request<'a> {
    Identities,
    Sign {
        blob: Vec<u8>,
        data: Vec<u8>,
        flags: u32,
    },
    /// `ADD_IDENTITY`: the key's type, its fields and comment, unparsed
    /// (they are private key material and go straight to the vault).
    Add(KeyBytes<'a>),
    /// An add with constraints (lifetime, confirmation): a vault key lives
    /// as long as the vault, so these are refused.
    AddConstrained,
    Remove,
    RemoveAll,
    Lock,
    Unlock,
    /// PKCS#11 tokens are not served.
    Smartcard,
    SessionBind {
        host_key: Vec<u8>,
        session_id: Vec<u8>,
        signature: Vec<u8>,
        forwarding: bool,
    },
    Extension(String),
    Unknown(u8),
}

/// Private key material from the wire; `Debug` never shows it.
#[derive(PartialEq, Eq)]
pub struct KeyBytes<'a>(pub &'a [u8]);

impl std::fmt::Debug for KeyBytes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[REDACTED]")
    }
}

/// Why a message could not be read: its fields are shorter or longer than
/// its type says. The reply is `SSH_AGENT_FAILURE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

impl From<ssh_encoding::Error> for Malformed {
    fn from(_: ssh_encoding::Error) -> Self {
        Malformed
    }
}

fn done<T>(rest: &[u8], v: T) -> Result<T, Malformed> {
    if rest.is_empty() {
        Ok(v)
    } else {
        Err(Malformed)
    }
}

/// Reads one message body.
pub fn parse(body: &[u8]) -> Result<Request<'_>, Malformed> {
    let (&kind, mut r) = body.split_first().ok_or(Malformed)?;
    match kind {
        REQUEST_IDENTITIES => done(r, Request::Identities),
        SIGN_REQUEST => {
            let blob = Vec::<u8>::decode(&mut r)?;
            let data = Vec::<u8>::decode(&mut r)?;
            let flags = u32::decode(&mut r)?;
            done(r, Request::Sign { blob, data, flags })
        }
        ADD_IDENTITY => Ok(Request::Add(KeyBytes(r))),
        ADD_ID_CONSTRAINED => Ok(Request::AddConstrained),
        REMOVE_IDENTITY => {
            Vec::<u8>::decode(&mut r)?;
            done(r, Request::Remove)
        }
        REMOVE_ALL_IDENTITIES => done(r, Request::RemoveAll),
        LOCK => {
            Vec::<u8>::decode(&mut r)?;
            done(r, Request::Lock)
        }
        UNLOCK => {
            Vec::<u8>::decode(&mut r)?;
            done(r, Request::Unlock)
        }
        ADD_SMARTCARD_KEY | REMOVE_SMARTCARD_KEY | ADD_SMARTCARD_KEY_CONSTRAINED => {
            Ok(Request::Smartcard)
        }
        EXTENSION => {
            let name = String::decode(&mut r)?;
            if name != SESSION_BIND {
                return Ok(Request::Extension(name));
            }
            let host_key = Vec::<u8>::decode(&mut r)?;
            let session_id = Vec::<u8>::decode(&mut r)?;
            let signature = Vec::<u8>::decode(&mut r)?;
            let forwarding = bool::decode(&mut r)?;
            done(
                r,
                Request::SessionBind {
                    host_key,
                    session_id,
                    signature,
                    forwarding,
                },
            )
        }
        other => Ok(Request::Unknown(other)),
    }
}

/// A reply of one byte (`SUCCESS`, `FAILURE`).
pub fn status(code: u8) -> Vec<u8> {
    vec![code]
}

/// `SSH_AGENT_IDENTITIES_ANSWER`.
pub fn identities<'a>(keys: impl ExactSizeIterator<Item = (&'a [u8], &'a str)>) -> Vec<u8> {
    let mut out = vec![IDENTITIES_ANSWER];
    let encoded = (keys.len() as u32).encode(&mut out).and_then(|()| {
        keys.into_iter().try_for_each(|(blob, comment)| {
            blob.encode(&mut out)
                .and_then(|()| comment.encode(&mut out))
        })
    });
    match encoded {
        Ok(()) => out,
        Err(_) => status(FAILURE),
    }
}

/// `SSH_AGENT_SIGN_RESPONSE` around an encoded signature.
pub fn signature(sig: &[u8]) -> Vec<u8> {
    let mut out = vec![SIGN_RESPONSE];
    match sig.encode(&mut out) {
        Ok(()) => out,
        Err(_) => status(FAILURE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(b: &[u8]) -> Vec<u8> {
        let mut v = (b.len() as u32).to_be_bytes().to_vec();
        v.extend_from_slice(b);
        v
    }

    #[test]
    fn requests_are_read_and_malformed_ones_refused() {
        assert_eq!(parse(&[11]), Ok(Request::Identities));
        assert_eq!(parse(&[11, 0]), Err(Malformed));
        assert_eq!(parse(&[]), Err(Malformed));
        let mut sign = vec![13];
        sign.extend(string(b"key"));
        sign.extend(string(b"data"));
        sign.extend(4u32.to_be_bytes());
        assert_eq!(
            parse(&sign),
            Ok(Request::Sign {
                blob: b"key".to_vec(),
                data: b"data".to_vec(),
                flags: 4
            })
        );
        for cut in 1..sign.len() {
            assert_eq!(parse(&sign[..cut]), Err(Malformed), "cut at {cut}");
        }
        // A length far beyond the message allocates nothing and fails.
        let mut huge = vec![13];
        huge.extend(u32::MAX.to_be_bytes());
        assert_eq!(parse(&huge), Err(Malformed));
        assert_eq!(parse(&[200]), Ok(Request::Unknown(200)));
        let add = parse(&[17, 0, 0, 0, 1, b's', 42]).expect("add");
        assert_eq!(format!("{add:?}"), "Add([REDACTED])");
        let mut ext = vec![27];
        ext.extend(string(b"query"));
        assert_eq!(parse(&ext), Ok(Request::Extension("query".into())));
    }

    #[test]
    fn answers_are_framed_as_the_draft_says() {
        let keys = [(&b"k1"[..], "one"), (&b"k2"[..], "")];
        let a = identities(keys.into_iter());
        let mut want = vec![12, 0, 0, 0, 2];
        want.extend(string(b"k1"));
        want.extend(string(b"one"));
        want.extend(string(b"k2"));
        want.extend(string(b""));
        assert_eq!(a, want);
        assert_eq!(signature(b"s"), [&[14u8][..], &string(b"s")].concat());
    }
}
