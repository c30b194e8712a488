//! Frames on the socket: a 4-byte big-endian length, then MessagePack.
//!
//! MessagePack rather than tarpc's bincode format, which pulls in an
//! unmaintained bincode. The length is checked against [`MAX_FRAME`] before
//! any buffer is reserved for the frame, so a hostile prefix such as
//! `0xFFFF_FFFF` costs nothing but the connection.

use serde::{Deserialize, Serialize};
use tarpc::serde_transport::Transport;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_serde::formats::MessagePack;
use tokio_util::codec::{Framed, LengthDelimitedCodec};

use crate::MAX_FRAME;

/// The frame codec both ends use.
pub fn codec() -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .length_field_length(4)
        .max_frame_length(MAX_FRAME)
        .new_codec()
}

/// A tarpc transport over `io` that reads `In` and writes `Out`.
pub fn transport<Io, In, Out>(io: Io) -> Transport<Io, In, Out, MessagePack<In, Out>>
where
    Io: AsyncRead + AsyncWrite,
    In: for<'de> Deserialize<'de>,
    Out: Serialize,
{
    tarpc::serde_transport::new(Framed::new(io, codec()), MessagePack::default())
}
