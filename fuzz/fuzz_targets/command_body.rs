//! Any bytes as the body of any command route: a command, a 400 or a 422, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((&route, body)) = data.split_first() {
        let _ = skp_api::http::fuzzing::command_body(route, body);
    }
});
