//! Log lines for `wrangler tail` (console) in the worker, stderr natively. Each module names its
//! tag once (`const LOG: Log = Log("[Voice Phase 2]");`) and logs with `info!(LOG, "…")`, so the
//! design document's texts (`[Voice Phase 2] Missed call detected - processing immediately`) stay
//! exact and grep-able. Phone numbers go through `mask`; secrets are `config::Secret`, which never
//! prints.
use std::fmt;

/// A log tag such as `[Missed Call Handler]`: every line it writes starts with it.
#[derive(Debug, Clone, Copy)]
pub struct Log(pub &'static str);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

impl Log {
    pub fn line(self, message: fmt::Arguments<'_>) -> String {
        format!("{} {message}", self.0)
    }

    pub fn write(self, level: Level, message: fmt::Arguments<'_>) {
        emit(level, &self.line(message));
    }
}

/// `info!(LOG, "format {}", args)`: one line at info level, starting with LOG's tag.
#[macro_export]
macro_rules! info {
    ($log:expr, $($message:tt)+) => {
        $log.write($crate::log::Level::Info, format_args!($($message)+))
    };
}

#[macro_export]
macro_rules! warn {
    ($log:expr, $($message:tt)+) => {
        $log.write($crate::log::Level::Warn, format_args!($($message)+))
    };
}

#[macro_export]
macro_rules! error {
    ($log:expr, $($message:tt)+) => {
        $log.write($crate::log::Level::Error, format_args!($($message)+))
    };
}

#[cfg(target_arch = "wasm32")]
fn emit(level: Level, line: &str) {
    match level {
        Level::Info => worker::console_log!("{line}"),
        Level::Warn => worker::console_warn!("{line}"),
        Level::Error => worker::console_error!("{line}"),
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn emit(level: Level, line: &str) {
    match level {
        Level::Info => eprintln!("{line}"),
        Level::Warn => eprintln!("WARN {line}"),
        Level::Error => eprintln!("ERROR {line}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_starts_with_its_tag() {
        const LOG: Log = Log("[Voice Phase 2]");
        assert_eq!(
            LOG.line(format_args!(
                "Missed call detected - processing immediately: {} ({})",
                "CA1", "busy"
            )),
            "[Voice Phase 2] Missed call detected - processing immediately: CA1 (busy)"
        );
    }
}
