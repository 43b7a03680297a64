//! `GET /dashboard` and `GET /`: the password prompt, the period, the page's headers, and the page
//! in headless Chromium (scripts/browser/dashboard.mjs) after a mix of real calls: what a person
//! looks for — the tiles' values and colours, the chart's bars, a row for a known call.
use serde_json::Value;
use test_support::*;

const REALM: &str = r#"Basic realm="Missed-call text-back", charset="UTF-8""#;

#[tokio::test]
async fn the_dashboard_asks_for_the_password() {
    let app = spawn_app().await;
    for password in [None, Some("wrong"), Some("")] {
        let page = app.page("/dashboard", password).await;
        assert_eq!(page.status, 401, "{password:?}");
        assert_eq!(page.header("WWW-Authenticate"), Some(REALM), "{password:?}");
        assert!(!page.body.contains("<html"));
    }
    // A bearer token is not a login.
    let reply = app
        .request(reqwest::Method::GET, "/dashboard", Some(ADMIN_TOKEN), None)
        .await;
    assert_eq!(reply.status, 401);

    let page = app.dashboard("").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(
        page.header("Content-Type"),
        Some("text/html; charset=utf-8")
    );
    let policy = page.header("Content-Security-Policy").unwrap();
    assert!(policy.starts_with("default-src 'none';"), "{policy}");
    assert_eq!(page.header("Cache-Control"), Some("no-store"));
    assert!(page
        .body
        .contains("<a href=\"?days=7\" aria-current=\"page\">7 days</a>"));
}

#[tokio::test]
async fn the_period_is_1_7_or_30_days() {
    let app = spawn_app().await;
    for query in ["?days=14", "?days=0", "?days=90", "?days=week"] {
        let page = app.dashboard(query).await;
        assert_eq!(page.status, 400, "{query}: {}", page.body);
        assert!(
            page.body.contains("days: must be 1, 7 or 30") || page.body.contains("whole number")
        );
    }
    for days in [1, 7, 30] {
        let page = app.dashboard(&format!("?days={days}")).await;
        assert_eq!(page.status, 200, "{days}: {}", page.body);
        assert!(page
            .body
            .contains(&format!("<a href=\"?days={days}\" aria-current=\"page\">")));
    }
}

#[tokio::test]
async fn the_root_redirects_to_the_dashboard() {
    let app = spawn_app().await;
    let page = app.page("/", None).await;
    assert_eq!(page.status, 302);
    assert_eq!(page.header("Location"), Some("/dashboard"));
    assert_eq!(
        app.request(reqwest::Method::POST, "/", None, None)
            .await
            .status,
        405
    );
}

fn by_kpi<'a>(view: &'a Value, kpi: &str) -> &'a Value {
    view["tiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kpi"] == kpi)
        .unwrap_or_else(|| panic!("no tile {kpi}: {view}"))
}

#[tokio::test]
async fn the_dashboard_in_a_browser_shows_the_calls() {
    let app = spawn_app().await;
    let mix = app.play_call_mix().await;
    let stats = app.stats(7).await;
    let seen = app.browse_dashboard(7).await;

    for (name, view) in [("phone", &seen["phone"]), ("desktop", &seen["desktop"])] {
        assert_eq!(
            view["fits_width"], true,
            "{name}: the page is wider than the screen"
        );
        assert_eq!(view["current_period"], "7 days", "{name}");
        // The values the data implies: 3 of 4 texts by the fast path, 1 by the poll, the fast
        // path's texts 2, 3 and 4 s after the call, one of two final statuses delivered, one
        // minute with a run in the 4 hours since the first call.
        for (kpi, value, state) in [
            ("callback_success_rate", "75.0 %", "bad"),
            ("fallback_rate", "25.0 %", "bad"),
            ("latency_callback_p95", "3.9 s", "bad"),
            ("latency_poll_p95", "75.0 s", "ok"),
            ("dedup_prevented", "1 prevented", "ok"),
            ("delivery_rate", "50.0 %", "bad"),
            ("cron_uptime", "0.4 %", "bad"),
        ] {
            let tile = by_kpi(view, kpi);
            assert_eq!(tile["value"], value, "{name} {kpi}: {tile}");
            assert_eq!(tile["state"], state, "{name} {kpi}: {tile}");
            assert_eq!(tile["visible"], true, "{name} {kpi}");
        }
        assert_eq!(by_kpi(view, "table_bytes")["state"], "ok");

        // A missed and a texted bar for every day, as tall as the day's count.
        let bars = view["bars"].as_array().unwrap();
        assert_eq!(bars.len(), 2 * 8, "{name}");
        for day in stats["by_day"].as_array().unwrap() {
            for kind in ["missed", "texted"] {
                let bar = bars
                    .iter()
                    .find(|b| b["day"] == day["day"] && b["kind"] == kind)
                    .unwrap_or_else(|| panic!("{name}: no {kind} bar for {day}"));
                let count = day[kind].as_i64().unwrap();
                assert_eq!(bar["count"], count, "{name} {bar}");
                let height = bar["height_px"].as_f64().unwrap();
                if count > 0 {
                    assert!(height >= 1.0, "{name}: {bar}");
                } else {
                    assert_eq!(height, 0.0, "{name}: {bar}");
                }
            }
        }

        // The call texted by the poll: its caller masked, its outcome, path and delivery.
        let poll_caller = format!("********{}", &mix.texted_by_poll.from[8..]);
        let rows = view["recent_calls"].as_array().unwrap();
        assert_eq!(rows.len(), 7, "{name}: the calls of the last 7 days");
        let row = rows
            .iter()
            .find(|r| r[1] == poll_caller.as_str())
            .unwrap_or_else(|| panic!("{name}: no row for {poll_caller}: {rows:?}"));
        assert_eq!(row[2], "Joe's Plumbing");
        assert_eq!(row[3], "texted");
        assert_eq!(row[4], "poll");
        assert_eq!(row[5], "75.0 s");
        assert!(
            row[6].as_str().unwrap().starts_with("undelivered (30007"),
            "{row}"
        );
        let texts = serde_json::to_string(rows).unwrap();
        for call in [
            &mix.texted_by_callback,
            &mix.texted_by_status_callback,
            &mix.answered,
            &mix.texted_by_poll,
            &mix.repeated,
        ] {
            assert!(
                !texts.contains(&call.from[2..]),
                "{name}: a full number: {texts}"
            );
        }

        let numbers = view["numbers"].as_array().unwrap();
        assert_eq!(numbers[1][0], OTHER_NUMBER);
        assert_eq!(numbers[1][1], OTHER_BUSINESS, "the name shown as written");
        assert_eq!(view["heartbeat"]["runs"], "1");
        assert!(view["carrier_callout"]
            .as_str()
            .unwrap()
            .contains("1 text was blocked by carrier filtering"));
    }
    for shot in ["dashboard-phone.png", "dashboard-desktop.png"] {
        let path = screenshot_folder().join(shot);
        assert!(
            std::fs::metadata(&path).unwrap().len() > 0,
            "{}",
            path.display()
        );
    }
}
