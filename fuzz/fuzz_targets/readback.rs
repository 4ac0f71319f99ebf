//! Text -> the fast read-back of template output and the full YAML parser.
//! Whatever the fast reader accepts, the full parser must accept and read to
//! the same documents; a difference (or any panic) is a bug.
#![no_main]

use kafkagen::source::SourceId;
use kafkagen::yaml::{self, readback};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Some(fast) = readback::documents(text) {
        let full = yaml::json_documents(text, SourceId(0)).unwrap_or_else(|e| {
            panic!("fast path took text the full parser rejects: {}", e.message)
        });
        assert_eq!(fast, full, "fast and full read-back differ");
    }
});
