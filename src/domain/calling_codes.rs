//! Country calling codes (ITU-T E.164 assignments), for the SMS-pumping guard: a business texts only
//! callers from the countries it serves. The codes are a prefix code (no assigned code starts
//! another), so a number's code is the one assigned code it starts with. A compact table, because
//! the full numbering-plan metadata of a phone-number crate would cost the WASM bundle far more
//! than the one question asked here.
use super::{Caller, PhoneNumber};

/// Every assigned country calling code, including the global services (800 freephone, 870
/// Inmarsat, 881/882/883 networks, 888 OCHA), which a business will rarely allow.
const ASSIGNED: &[&str] = &[
    "1", "7", //
    "20", "211", "212", "213", "216", "218", "220", "221", "222", "223", "224", "225", "226",
    "227", "228", "229", "230", "231", "232", "233", "234", "235", "236", "237", "238", "239",
    "240", "241", "242", "243", "244", "245", "246", "247", "248", "249", "250", "251", "252",
    "253", "254", "255", "256", "257", "258", "260", "261", "262", "263", "264", "265", "266",
    "267", "268", "269", "27", "290", "291", "297", "298", "299", //
    "30", "31", "32", "33", "34", "350", "351", "352", "353", "354", "355", "356", "357", "358",
    "359", "36", "370", "371", "372", "373", "374", "375", "376", "377", "378", "379", "380",
    "381", "382", "383", "385", "386", "387", "389", "39", //
    "40", "41", "420", "421", "423", "43", "44", "45", "46", "47", "48", "49", //
    "500", "501", "502", "503", "504", "505", "506", "507", "508", "509", "51", "52", "53", "54",
    "55", "56", "57", "58", "590", "591", "592", "593", "594", "595", "596", "597", "598", "599",
    "60", "61", "62", "63", "64", "65", "66", "670", "672", "673", "674", "675", "676", "677",
    "678", "679", "680", "681", "682", "683", "685", "686", "687", "688", "689", "690", "691",
    "692", //
    "800", "808", "81", "82", "84", "850", "852", "853", "855", "856", "86", "870", "878", "880",
    "881", "882", "883", "886", "888", //
    "90", "91", "92", "93", "94", "95", "960", "961", "962", "963", "964", "965", "966", "967",
    "968", "970", "971", "972", "973", "974", "975", "976", "977", "979", "98", "992", "993",
    "994", "995", "996", "998",
];

/// The country calling code `number` belongs to, when it is an assigned one.
pub fn of(number: &PhoneNumber) -> Option<&'static str> {
    let digits = &number.as_str()[1..];
    (1..=3)
        .filter_map(|len| digits.get(..len))
        .find_map(|prefix| ASSIGNED.iter().copied().find(|code| *code == prefix))
}

/// The country calling code of a caller who has a number.
pub fn of_caller(caller: &Caller) -> Option<&'static str> {
    caller.textable().and_then(of)
}

/// Reads an `allowed_calling_codes` entry: digits of an assigned code, with or without a `+`.
pub fn parse(raw: &str) -> Result<String, String> {
    let digits = raw.trim().trim_start_matches('+');
    match ASSIGNED.iter().find(|code| **code == digits) {
        Some(code) => Ok(code.to_string()),
        None => Err(format!(
            "{raw:?} is not a country calling code (e.g. \"1\" for the US and Canada, \"44\" for the UK)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(raw: &str) -> PhoneNumber {
        PhoneNumber::parse(raw).unwrap()
    }

    #[test]
    fn the_table_is_a_prefix_code() {
        for a in ASSIGNED {
            for b in ASSIGNED {
                assert!(a == b || !b.starts_with(a), "{a} is a prefix of {b}");
            }
        }
    }

    #[test]
    fn a_number_belongs_to_the_code_it_starts_with() {
        for (raw, code) in [
            ("+14155550123", Some("1")),
            ("+18765550123", Some("1")),
            ("+447700900123", Some("44")),
            ("+35312345678", Some("353")),
            ("+79161234567", Some("7")),
            ("+8613812345678", Some("86")),
            ("+882345678901", Some("882")),
            ("+2595551234", None),
        ] {
            assert_eq!(of(&number(raw)), code, "{raw}");
        }
    }

    #[test]
    fn entries_are_assigned_codes() {
        assert_eq!(parse("+44").unwrap(), "44");
        assert_eq!(parse(" 1 ").unwrap(), "1");
        for bad in ["", "0", "259", "4", "abc", "+"] {
            let error = parse(bad).unwrap_err();
            assert!(error.contains("not a country calling code"), "{error}");
        }
    }
}
