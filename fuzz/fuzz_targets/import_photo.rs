//! libFuzzer target: any bytes through the photo import. It must end in a photo or in one of
//! the three typed photo errors: never a panic, an abort, or memory beyond the policy.
#![no_main]

use fieldcore::Error;
use fieldcore::{PhotoPolicy, process_photo as process};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Small limits keep each run fast and its memory far below libFuzzer's RSS limit; the
    // code paths are the same as with the defaults.
    let policy = PhotoPolicy {
        max_edge: 256,
        thumbnail_edge: 64,
        keep_gps: true,
        max_input_bytes: 1 << 20,
        max_pixels: 4_000_000,
        max_decode_bytes: 64 << 20,
        ..PhotoPolicy::default()
    };
    match process(data, &policy) {
        Ok(photo) => {
            assert!(photo.width.max(photo.height) <= policy.max_edge);
            assert!(photo.thumbnail_width.max(photo.thumbnail_height) <= policy.thumbnail_edge);
            assert!(photo.width > 0 && photo.height > 0);
            assert_eq!(photo.sha256.len(), 64);
        }
        Err(Error::UnsupportedPhoto { .. } | Error::InvalidPhoto(_) | Error::PhotoTooLarge(_)) => {}
        Err(other) => panic!("untyped photo error: {other:?}"),
    }
});
