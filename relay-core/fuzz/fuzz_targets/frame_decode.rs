//! Fuzzes the frame decoder, one-shot and streaming: any input gives frames or a typed error,
//! and every decoded frame re-encodes to exactly the bytes it came from.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use relay_core::frames::Frame;

fuzz_target!(|data: &[u8]| {
    if let Ok(frame) = Frame::decode(data) {
        let again = frame.to_bytes().expect("a decoded frame is within limits");
        assert_eq!(&again[..], data);
    }
    let mut stream = BytesMut::from(data);
    while let Ok(Some(frame)) = Frame::decode_from(&mut stream) {
        frame.to_bytes().expect("a decoded frame is within limits");
    }
});
