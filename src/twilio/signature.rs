//! `X-Twilio-Signature`: Base64(HMAC-SHA1(auth token, URL + sorted form name/value pairs)).
use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use sha1::Sha1;

pub fn compute(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    // Twilio sorts by name only; a stable sort keeps repeated names in the order they were sent.
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes any key");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Twilio signs HTTPS voice requests without the port but some SDKs add `:443`; both forms of the
/// URL are accepted. Every candidate is compared in constant time.
pub fn is_valid(auth_token: &str, url: &str, params: &[(String, String)], header: &str) -> bool {
    let mut valid = false;
    for candidate in url_variants(url) {
        valid |= constant_time_eq(
            compute(auth_token, &candidate, params).as_bytes(),
            header.as_bytes(),
        );
    }
    valid
}

fn url_variants(url: &str) -> Vec<String> {
    let Some(rest) = url.strip_prefix("https://") else {
        return vec![url.to_string()];
    };
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(split);
    match authority.strip_suffix(":443") {
        Some(host) => vec![url.to_string(), format!("https://{host}{tail}")],
        None => vec![url.to_string(), format!("https://{authority}:443{tail}")],
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector_params() -> Vec<(String, String)> {
        [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    const VECTOR_URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
    const VECTOR_SIGNATURE: &str = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";

    #[test]
    fn matches_twilios_published_vector() {
        assert_eq!(
            compute("12345", VECTOR_URL, &vector_params()),
            VECTOR_SIGNATURE
        );
        let mut shuffled = vector_params();
        shuffled.reverse();
        assert_eq!(compute("12345", VECTOR_URL, &shuffled), VECTOR_SIGNATURE);
    }

    #[test]
    fn validates_with_and_without_the_https_port() {
        let params = vector_params();
        assert!(is_valid("12345", VECTOR_URL, &params, VECTOR_SIGNATURE));
        let with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
        assert!(is_valid("12345", with_port, &params, VECTOR_SIGNATURE));
        let signed_with_port = compute("12345", with_port, &params);
        assert!(is_valid("12345", VECTOR_URL, &params, &signed_with_port));
    }

    #[test]
    fn rejects_tampering() {
        let mut params = vector_params();
        assert!(!is_valid(
            "12345",
            VECTOR_URL,
            &params,
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ"
        ));
        assert!(!is_valid("wrong", VECTOR_URL, &params, VECTOR_SIGNATURE));
        assert!(!is_valid(
            "12345",
            "https://mycompany.com/myapp.php?foo=1&bar=3",
            &params,
            VECTOR_SIGNATURE
        ));
        params[4].1 = "+18005551213".to_string();
        assert!(!is_valid("12345", VECTOR_URL, &params, VECTOR_SIGNATURE));
        assert!(!is_valid("12345", VECTOR_URL, &vector_params(), ""));
    }
}
