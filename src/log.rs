//! Log lines for `wrangler tail` (console) in the worker, stderr natively.

#[cfg(target_arch = "wasm32")]
pub fn info(line: &str) {
    worker::console_log!("{line}");
}
#[cfg(target_arch = "wasm32")]
pub fn warn(line: &str) {
    worker::console_warn!("{line}");
}
#[cfg(target_arch = "wasm32")]
pub fn error(line: &str) {
    worker::console_error!("{line}");
}

#[cfg(not(target_arch = "wasm32"))]
pub fn info(line: &str) {
    eprintln!("{line}");
}
#[cfg(not(target_arch = "wasm32"))]
pub fn warn(line: &str) {
    eprintln!("WARN {line}");
}
#[cfg(not(target_arch = "wasm32"))]
pub fn error(line: &str) {
    eprintln!("ERROR {line}");
}
