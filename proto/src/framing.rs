//! Frames on the socket: a 4-byte big-endian length, then MessagePack.
//!
//! MessagePack rather than tarpc's bincode format, which pulls in an
//! unmaintained bincode. The length is checked against [`MAX_FRAME`] before
//! any buffer is reserved for the frame, so a hostile prefix such as
//! `0xFFFF_FFFF` costs nothing but the connection.
//!
//! [`FrameCodec`] also never reserves room for a frame that has only been
//! announced: `tokio_util`'s `LengthDelimitedCodec` reserves the whole
//! announced length as soon as it has read the prefix, so a peer that
//! announces 1 MiB and sends one byte would pin 1 MiB per connection. Here
//! the read buffer grows only with the bytes that actually arrive.

use std::io;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_serde::formats::MessagePack;
use tokio_util::bytes::{Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder, Framed, LengthDelimitedCodec};

use crate::MAX_FRAME;

/// The length prefix: 4 bytes, big-endian.
const HEAD: usize = 4;

/// Length-prefixed frames of at most [`MAX_FRAME`] bytes, buffered only as
/// they arrive.
#[derive(Debug)]
pub struct FrameCodec {
    inner: LengthDelimitedCodec,
    max: usize,
}

impl Default for FrameCodec {
    fn default() -> Self {
        FrameCodec::with_max(MAX_FRAME)
    }
}

impl FrameCodec {
    /// Frames of at most `max` bytes. The SSH agent protocol has the same
    /// framing (a 4-byte big-endian length) with a cap of its own.
    pub fn with_max(max: usize) -> Self {
        FrameCodec {
            inner: LengthDelimitedCodec::builder()
                .length_field_length(HEAD)
                .max_frame_length(max)
                .new_codec(),
            max,
        }
    }
}

impl Decoder for FrameCodec {
    type Item = BytesMut;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<BytesMut>> {
        let Some(head) = src.get(..HEAD) else {
            return Ok(None);
        };
        let mut len = [0u8; HEAD];
        len.copy_from_slice(head);
        let len = u32::from_be_bytes(len) as usize;
        if len > self.max {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a frame of {len} bytes is over the {}-byte limit", self.max),
            ));
        }
        // Only a whole frame goes to the inner codec, which then finds
        // nothing left to reserve.
        if src.len() < HEAD + len {
            return Ok(None);
        }
        self.inner.decode(src)
    }
}

impl Encoder<Bytes> for FrameCodec {
    type Error = io::Error;

    fn encode(&mut self, data: Bytes, dst: &mut BytesMut) -> io::Result<()> {
        self.inner.encode(data, dst)
    }
}

/// A tarpc transport: MessagePack over frames, reading `In`, writing `Out`.
pub type Transport<Io, In, Out, C = FrameCodec> =
    tokio_serde::Framed<Framed<Io, C>, In, Out, MessagePack<In, Out>>;

/// A tarpc transport over `io` that reads `In` and writes `Out`.
pub fn transport<Io, In, Out>(io: Io) -> Transport<Io, In, Out>
where
    Io: AsyncRead + AsyncWrite,
    In: for<'de> Deserialize<'de>,
    Out: Serialize,
{
    transport_with(io, FrameCodec::default())
}

/// [`transport`] with a codec that wraps [`FrameCodec`] (the agent's, which
/// also keeps time).
pub fn transport_with<Io, In, Out, C>(io: Io, codec: C) -> Transport<Io, In, Out, C>
where
    Io: AsyncRead + AsyncWrite,
    In: for<'de> Deserialize<'de>,
    Out: Serialize,
    C: Decoder<Item = BytesMut, Error = io::Error> + Encoder<Bytes, Error = io::Error>,
{
    tokio_serde::Framed::new(Framed::new(io, codec), MessagePack::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_announced_frame_reserves_nothing() {
        let mut codec = FrameCodec::default();
        let mut buf = BytesMut::new();
        buf.extend_from_slice(&((MAX_FRAME - 1) as u32).to_be_bytes());
        buf.extend_from_slice(b"x");
        let before = buf.capacity();
        assert!(codec.decode(&mut buf).expect("decode").is_none());
        assert_eq!(buf.capacity(), before);
    }

    #[test]
    fn whole_frames_come_out_and_oversized_ones_are_refused() {
        let mut codec = FrameCodec::default();
        let mut buf = BytesMut::new();
        codec
            .encode(Bytes::from_static(b"hello"), &mut buf)
            .expect("encode");
        buf.extend_from_slice(&[0, 0]);
        let frame = codec.decode(&mut buf).expect("decode").expect("frame");
        assert_eq!(&frame[..], b"hello");
        assert!(codec.decode(&mut buf).expect("decode").is_none());

        let mut huge = BytesMut::from(&u32::MAX.to_be_bytes()[..]);
        assert!(codec.decode(&mut huge).is_err());
    }
}
