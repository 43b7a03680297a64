//! The isolate's memory of business numbers it has looked up, so a database outage in Phase 1 does
//! not cut callers off: a copy no older than a day stands in for the database. Time is passed in.
use super::{BusinessNumber, PhoneNumber};
use std::collections::HashMap;

/// How long a copy of a number's configuration may stand in for an unreachable database.
pub const MAX_AGE_MS: u64 = 24 * 60 * 60 * 1000;

#[derive(Debug, Default)]
pub struct NumberCache {
    entries: HashMap<PhoneNumber, (BusinessNumber, u64)>,
}

impl NumberCache {
    /// What the database just said about `number` at `now_ms`: a configured number is remembered,
    /// an unknown one forgotten (it was deleted).
    pub fn remember(&mut self, number: &PhoneNumber, found: Option<&BusinessNumber>, now_ms: u64) {
        match found {
            Some(business) => {
                self.entries
                    .insert(number.clone(), (business.clone(), now_ms));
            }
            None => {
                self.entries.remove(number);
            }
        }
    }

    /// The copy to use when the database cannot be asked at `now_ms`, if one is fresh enough.
    pub fn recall(&self, number: &PhoneNumber, now_ms: u64) -> Option<BusinessNumber> {
        self.entries
            .get(number)
            .filter(|(_, at)| now_ms.saturating_sub(*at) < MAX_AGE_MS)
            .map(|(business, _)| business.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::BusinessNumberInput;

    fn business(number: &str) -> BusinessNumber {
        BusinessNumberInput {
            forward_to: "+14155550100".into(),
            business_name: "Joe's".into(),
            sms_template: None,
            dial_timeout_secs: None,
            enabled: None,
            ..Default::default()
        }
        .validate(number)
        .unwrap()
    }

    #[test]
    fn a_copy_stands_in_for_a_day() {
        let number = PhoneNumber::parse("+14155559000").unwrap();
        let other = PhoneNumber::parse("+14155559001").unwrap();
        let mut cache = NumberCache::default();
        assert_eq!(cache.recall(&number, 0), None);
        cache.remember(&number, Some(&business("+14155559000")), 1_000);
        assert_eq!(cache.recall(&number, 1_000), Some(business("+14155559000")));
        assert_eq!(
            cache.recall(&number, 1_000 + MAX_AGE_MS - 1),
            Some(business("+14155559000"))
        );
        assert_eq!(cache.recall(&number, 1_000 + MAX_AGE_MS), None);
        assert_eq!(cache.recall(&other, 1_000), None);
        // A clock that went backwards still finds the copy.
        assert!(cache.recall(&number, 0).is_some());
    }

    #[test]
    fn a_deleted_number_is_forgotten() {
        let number = PhoneNumber::parse("+14155559000").unwrap();
        let mut cache = NumberCache::default();
        cache.remember(&number, Some(&business("+14155559000")), 1_000);
        cache.remember(&number, None, 2_000);
        assert_eq!(cache.recall(&number, 2_000), None);
    }
}
