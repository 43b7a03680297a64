//! The call's vocabulary, parsed once at the edge and typed from there on: numbers, callers, what
//! the dial did, how a call ended, and the business number's settings. Pure: no I/O, no clock
//! (decisions that need the time take `now`), so every rule here is unit-tested natively.
pub mod business;
pub mod call;
pub mod calling_codes;
pub mod conversation;
pub mod dial_status;
pub mod heartbeat;
pub mod hours;
pub mod line_type;
pub mod message_status;
pub mod number_cache;
pub mod outcome;
pub mod owner_notice;
pub mod phone_number;
pub mod rules;
pub mod stats;

pub use business::{BusinessNumber, BusinessNumberInput};
pub use call::{CallRef, Caller};
pub use dial_status::DialStatus;
pub use heartbeat::Heartbeat;
pub use line_type::LineType;
pub use message_status::{DeliveryProblem, MessageStatus, StatusReport};
pub use number_cache::NumberCache;
pub use outcome::{Outcome, ProcessedBy};
pub use phone_number::{mask, PhoneNumber};
