//! `decode_json` (cty JSON, raw state) against the provider's real wire types.
//!
//! Properties: decoding never panics; a value that decodes conforms to its type, is wholly
//! known, re-encodes, decodes back to the same value, and its encoding is a fixed point; it also
//! survives the trip through the msgpack codec.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tether::framework::value::{decode_json, decode_msgpack, encode_json, encode_msgpack};

fuzz_target!(|data: &[u8]| {
    let Some((ty, bytes)) = tether_fuzz::choose_type(data) else {
        return;
    };
    let ty = ty.as_ref();
    let Ok(value) = decode_json(bytes, ty) else {
        return;
    };

    if let Err(e) = value.conforms_to(ty) {
        panic!("decoded value does not conform to its type: {e}\n{value:?}");
    }
    assert!(value.is_wholly_known(), "JSON cannot carry unknowns: {value:?}");
    let json = encode_json(&value, ty).unwrap_or_else(|e| panic!("decoded value does not re-encode: {e}\n{value:?}"));
    let text = serde_json::to_vec(&json).expect("serde_json writes its own values");
    let again = decode_json(&text, ty)
        .unwrap_or_else(|e| panic!("re-encoded value does not decode: {e}\n{}", String::from_utf8_lossy(&text)));
    assert_eq!(again, value, "JSON round trip changed the value");
    let text_again = serde_json::to_vec(&encode_json(&again, ty).expect("encodes")).expect("writes");
    assert_eq!(text_again, text, "JSON encoding is not a fixed point");

    let msgpack = encode_msgpack(&value, ty)
        .unwrap_or_else(|e| panic!("JSON-decoded value does not encode as msgpack: {e}\n{value:?}"));
    let from_msgpack = decode_msgpack(&msgpack, ty)
        .unwrap_or_else(|e| panic!("msgpack encoding does not decode: {e}\n{msgpack:02x?}"));
    assert_eq!(from_msgpack, value, "JSON -> msgpack -> value changed the value");
});
