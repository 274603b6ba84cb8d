//! `decode_msgpack` (cty msgpack, `DynamicValue.msgpack`) against the provider's real wire types.
//!
//! Properties: decoding never panics; a value that decodes conforms to its type, re-encodes,
//! decodes back to the same value, and its encoding is a fixed point; a wholly known value also
//! survives the trip through the JSON codec.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tether::framework::value::{decode_json, decode_msgpack, encode_json, encode_msgpack};

fuzz_target!(|data: &[u8]| {
    let Some((ty, bytes)) = tether_fuzz::choose_type(data) else {
        return;
    };
    let ty = ty.as_ref();
    let Ok(value) = decode_msgpack(bytes, ty) else {
        return;
    };

    if let Err(e) = value.conforms_to(ty) {
        panic!("decoded value does not conform to its type: {e}\n{value:?}");
    }
    let encoded =
        encode_msgpack(&value, ty).unwrap_or_else(|e| panic!("decoded value does not re-encode: {e}\n{value:?}"));
    let again = decode_msgpack(&encoded, ty)
        .unwrap_or_else(|e| panic!("re-encoded value does not decode: {e}\n{encoded:02x?}"));
    assert_eq!(again, value, "msgpack round trip changed the value");
    let encoded_again = encode_msgpack(&again, ty).expect("encodes");
    assert_eq!(encoded_again, encoded, "msgpack encoding is not a fixed point");

    if value.is_wholly_known() {
        let json =
            encode_json(&value, ty).unwrap_or_else(|e| panic!("known value does not encode as JSON: {e}\n{value:?}"));
        let text = serde_json::to_vec(&json).expect("serde_json writes its own values");
        let from_json = decode_json(&text, ty)
            .unwrap_or_else(|e| panic!("JSON encoding does not decode: {e}\n{}", String::from_utf8_lossy(&text)));
        assert_eq!(from_json, value, "msgpack -> JSON -> value changed the value");
    }
});
