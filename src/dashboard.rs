//! The dashboard a business owner opens in a browser (`GET /dashboard`): one self-contained HTML
//! page rendered from `Stats` and the recent calls, as a pure function, so every tile, bar and
//! escape is unit-tested natively. No framework, no script, no external asset (the page works
//! offline under a `default-src 'none'` policy); readable on a phone.
//!
//! The tiles judge the design document's performance targets: green when met, red when not, grey
//! when there is nothing to judge yet. Callers' numbers arrive masked (`RecentCall::caller`); the
//! business's own numbers appear in full only in the per-number table.
use crate::domain::stats::{Counts, RecentCall, Stats, DASHBOARD_PERIODS};
use crate::domain::{mask, DeliveryProblem, ProcessedBy};
use std::fmt::Write;

/// A tile's verdict against its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Ok,
    Bad,
    /// Nothing to judge yet: neither green nor red.
    NoData,
}

impl State {
    fn class(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::Bad => "bad",
            State::NoData => "none",
        }
    }

    fn judge(value: Option<f64>, met: impl Fn(f64) -> bool) -> State {
        match value {
            None => State::NoData,
            Some(v) if met(v) => State::Ok,
            Some(_) => State::Bad,
        }
    }
}

/// One KPI against its target.
#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    /// The `/api/stats` field it shows (`data-kpi`).
    pub kpi: &'static str,
    pub label: &'static str,
    pub value: String,
    pub target: &'static str,
    pub state: State,
    pub caption: String,
}

/// The design document's database-size expectation for `active_calls`.
pub const TABLE_BYTES_TARGET: i64 = 10 * 1024 * 1024;

/// The tiles, in the order of the design document's targets.
pub fn tiles(stats: &Stats) -> Vec<Tile> {
    let totals = &stats.totals;
    let latency = &stats.sms_latency_secs;
    let delivery = &totals.delivery;
    let no_data = || "no data".to_string();
    let texted = format!("of {} missed calls owed a text", totals.textable);
    vec![
        Tile {
            kpi: "callback_success_rate",
            label: "Callback success",
            value: stats.callback_success_rate.map_or_else(no_data, percent),
            target: "target > 95 %",
            state: State::judge(stats.callback_success_rate, |r| r > 0.95),
            caption: format!(
                "{} texted by the webhook, {texted}",
                totals.texted_by_callback
            ),
        },
        Tile {
            kpi: "fallback_rate",
            label: "Fallback rate",
            value: stats.fallback_rate.map_or_else(no_data, percent),
            target: "target < 5 %",
            state: State::judge(stats.fallback_rate, |r| r < 0.05),
            caption: format!("{} texted by the poll, {texted}", totals.texted_by_poll),
        },
        Tile {
            kpi: "latency_callback_p95",
            label: "Text latency, fast path (p95)",
            value: latency.callback.p95.map_or_else(no_data, seconds),
            target: "target ≤ 3 s",
            state: State::judge(latency.callback.p95, |s| s <= 3.0),
            caption: median(latency.callback.p50),
        },
        Tile {
            kpi: "latency_poll_p95",
            label: "Text latency, fallback (p95)",
            value: latency.poll.p95.map_or_else(no_data, seconds),
            target: "target ≤ 90 s",
            state: State::judge(latency.poll.p95, |s| s <= 90.0),
            caption: median(latency.poll.p50),
        },
        Tile {
            kpi: "dedup_prevented",
            label: "Duplicate texts",
            value: format!("{} prevented", totals.dedup_prevented),
            target: "target: double-send rate 0 %",
            // Nothing texted, nothing to duplicate; otherwise met by construction (below).
            state: if totals.texted == 0 {
                State::NoData
            } else {
                State::Ok
            },
            caption: "Not measured but enforced: each call's text is claimed once, atomically, \
                      in the database, so a second text cannot be sent. Counted: the repeated \
                      attempts the claim stopped."
                .to_string(),
        },
        Tile {
            kpi: "delivery_rate",
            label: "SMS delivery rate",
            value: delivery.rate.map_or_else(no_data, percent),
            target: "target > 99 %",
            state: State::judge(delivery.rate, |r| r > 0.99),
            caption: format!(
                "{} delivered, {} undelivered, {} failed, {} awaiting a status; {} unreachable \
                 or landline",
                delivery.delivered,
                delivery.undelivered,
                delivery.failed,
                delivery.pending,
                delivery.unreachable
            ),
        },
        Tile {
            kpi: "cron_uptime",
            label: "Fallback poll uptime",
            value: stats.cron.uptime.map_or_else(no_data, percent),
            target: "target ≥ 99.9 %",
            state: State::judge(stats.cron.uptime, |u| u >= 0.999),
            caption: format!(
                "{}; the share of minutes with a finished run",
                plural(stats.cron.runs, "run", "runs")
            ),
        },
        Tile {
            kpi: "table_bytes",
            label: "Database size",
            value: bytes(stats.table_bytes),
            target: "expected < 10 MB",
            state: State::judge(Some(stats.table_bytes as f64), |b| {
                b < TABLE_BYTES_TARGET as f64
            }),
            caption: "active_calls with its indexes; the weekly cleanup keeps it small".into(),
        },
    ]
}

/// `1 text was`, `2 texts were`.
fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `value` with one decimal, rounded half away from zero. Integer arithmetic: `{:.1}` would link
/// core's float formatting into the worker for this page alone.
fn tenths(value: f64) -> String {
    let tenths = (value * 10.0).round() as i64;
    let sign = if tenths < 0 { "-" } else { "" };
    format!("{sign}{}.{}", tenths.abs() / 10, tenths.abs() % 10)
}

fn percent(fraction: f64) -> String {
    format!("{} %", tenths(fraction * 100.0))
}

fn seconds(secs: f64) -> String {
    format!("{} s", tenths(secs))
}

fn median(p50: Option<f64>) -> String {
    p50.map_or_else(
        || "no texts yet".into(),
        |s| format!("median {}", seconds(s)),
    )
}

fn bytes(n: i64) -> String {
    match n {
        n if n >= 1024 * 1024 => format!("{} MB", tenths(n as f64 / (1024.0 * 1024.0))),
        n => format!("{} kB", (n + 1023) / 1024),
    }
}

/// Text for HTML, in element content and in quoted attributes alike.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

const STYLE: &str = "
*{box-sizing:border-box}
body{margin:0;padding:12px;font:15px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2328;background:#f6f8fa}
main{max-width:1040px;margin:0 auto}
h1{font-size:1.3em;margin:.2em 0}
h2{font-size:1.05em;margin:1.4em 0 .5em}
nav a{display:inline-block;padding:.35em .8em;margin:0 .3em .3em 0;border:1px solid #d0d7de;border-radius:6px;background:#fff;color:#0969da;text-decoration:none}
nav a[aria-current]{background:#0969da;color:#fff;border-color:#0969da}
.as-of,.caption,.note{color:#57606a;font-size:.85em}
.summary{display:flex;flex-wrap:wrap;gap:.4em 1.2em;margin:.6em 0}
.summary b{font-size:1.2em}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(155px,1fr));gap:8px}
.tile{padding:10px;border-radius:8px;border:1px solid #d0d7de;border-left-width:6px;background:#fff}
.tile.ok{border-color:#1a7f37;background:#e9f7ec}
.tile.bad{border-color:#cf222e;background:#fdecec}
.tile.none{border-color:#8c959f;background:#f0f1f3}
.tile h3{margin:0;font-size:.8em;font-weight:600;color:#424a53}
.tile .value{display:block;font-size:1.45em;font-weight:700;margin:.15em 0}
.tile .target{display:block;font-size:.78em;font-weight:600}
.tile .caption{display:block;margin-top:.3em;font-size:.75em}
.callout{margin:12px 0;padding:10px 12px;border-radius:8px;background:#fff8c5;border:1px solid #d4a72c}
.chart{max-width:720px;background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:8px}
.chart svg{display:block;width:100%;height:auto}
.bar.missed{fill:#cf222e}.bar.texted{fill:#1a7f37}
.legend span{display:inline-block;width:.8em;height:.8em;margin:0 .3em 0 .8em;vertical-align:middle}
.scroll{overflow-x:auto;background:#fff;border:1px solid #d0d7de;border-radius:8px}
table{border-collapse:collapse;width:100%;font-size:.85em}
th,td{padding:6px 8px;border-bottom:1px solid #eaeef2;text-align:left;white-space:nowrap}
td.n,th.n{text-align:right}
dl.cron{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:0}
dl.cron dt{color:#57606a}dl.cron dd{margin:0;font-weight:600}
";

/// The whole page for `stats` (its window and `as_of`) and the window's newest calls.
pub fn render(stats: &Stats, recent: &[RecentCall]) -> String {
    let mut page = String::with_capacity(24 * 1024);
    let period = match stats.days {
        1 => "Last 24 hours".to_string(),
        days => format!("Last {days} days"),
    };
    let as_of = stats.as_of.replacen('T', " ", 1);
    let as_of = as_of.get(..16).unwrap_or(&as_of);
    let _ = write!(
        page,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Missed-call text-back: {period}</title><style>{STYLE}</style></head>\n\
         <body><main>\n<h1>Missed-call text-back</h1>\n<nav aria-label=\"Period\">"
    );
    for days in DASHBOARD_PERIODS {
        let current = if days == stats.days {
            " aria-current=\"page\""
        } else {
            ""
        };
        let label = if days == 1 { "24 hours" } else { "days" };
        let count = if days == 1 {
            String::new()
        } else {
            format!("{days} ")
        };
        let _ = write!(page, "<a href=\"?days={days}\"{current}>{count}{label}</a>");
    }
    let t = &stats.totals;
    let _ = write!(
        page,
        "</nav>\n<p class=\"as-of\">{period} (UTC), as of {as_of} UTC. Figures may be up to a \
         minute old.</p>\n<p class=\"summary\"><span><b data-count=\"calls\">{}</b> calls</span>\
         <span><b data-count=\"missed\">{}</b> missed</span><span><b data-count=\"texted\">{}</b> \
         texted</span><span><b data-count=\"answered\">{}</b> answered</span><span><b \
         data-count=\"pending\">{}</b> in progress</span></p>\n",
        t.calls, t.missed, t.texted, t.answered, t.pending
    );
    render_tiles(&mut page, stats);
    if t.delivery.carrier_filtered > 0 {
        let _ = writeln!(
            page,
            "<aside class=\"callout\" data-callout=\"carrier_filtered\"><strong>{} blocked by \
             carrier filtering</strong> (Twilio errors {}). This is not a fault of this \
             system nor of the callers' phones: US carriers filter texts from numbers that are not \
             registered for A2P 10DLC. Register the business's brand and campaign in the Twilio \
             console (Messaging, Regulatory Compliance); until then these texts do not arrive.\
             </aside>",
            plural(t.delivery.carrier_filtered, "text was", "texts were"),
            codes(&DeliveryProblem::CARRIER_FILTERED)
        );
    }
    render_chart(&mut page, stats);
    render_recent(&mut page, stats, recent);
    render_numbers(&mut page, stats);
    render_cron(&mut page, stats);
    page.push_str("</main></body></html>\n");
    page
}

fn codes(codes: &[i32]) -> String {
    codes
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(" / ")
}

fn render_tiles(page: &mut String, stats: &Stats) {
    page.push_str("<h2>Targets</h2>\n<section class=\"tiles\">\n");
    for tile in tiles(stats) {
        let state = tile.state.class();
        let _ = writeln!(
            page,
            "<div class=\"tile {state}\" data-kpi=\"{}\" data-state=\"{state}\"><h3>{}</h3>\
             <span class=\"value\">{}</span><span class=\"target\">{}</span>\
             <span class=\"caption\">{}</span></div>",
            tile.kpi,
            escape(tile.label),
            escape(&tile.value),
            escape(tile.target),
            escape(&tile.caption)
        );
    }
    page.push_str("</section>\n");
}

/// The chart's drawing area in SVG units; the SVG scales to the page's width.
const CHART_WIDTH: f64 = 600.0;
const PLOT_HEIGHT: f64 = 200.0;
const LABEL_HEIGHT: f64 = 22.0;
/// The shortest bar for a non-zero count, so one missed call among hundreds still shows.
const MIN_BAR: f64 = 2.0;

fn render_chart(page: &mut String, stats: &Stats) {
    let days = &stats.by_day;
    let most = days
        .iter()
        .map(|d| d.missed.max(d.texted))
        .max()
        .unwrap_or(0);
    let slot = CHART_WIDTH / days.len().max(1) as f64;
    let bar = (slot * 0.38).min(36.0);
    let label_every = days.len().div_ceil(8).max(1);
    let _ = write!(
        page,
        "<h2>Missed calls and texts per day</h2>\n<div class=\"chart\"><svg viewBox=\"0 0 \
         {} {}\" role=\"img\" aria-label=\"Missed calls and texts per day\">",
        tenths(CHART_WIDTH),
        tenths(PLOT_HEIGHT + LABEL_HEIGHT)
    );
    for (i, day) in days.iter().enumerate() {
        let left = i as f64 * slot + (slot - 2.0 * bar) / 2.0;
        for (kind, count, x) in [
            ("missed", day.missed, left),
            ("texted", day.texted, left + bar),
        ] {
            let height = match count {
                0 => 0.0,
                n => (n as f64 / most as f64 * PLOT_HEIGHT).max(MIN_BAR),
            };
            let _ = write!(
                page,
                "<rect class=\"bar {kind}\" data-day=\"{0}\" data-kind=\"{kind}\" \
                 data-count=\"{count}\" x=\"{1}\" y=\"{2}\" width=\"{3}\" \
                 height=\"{4}\"><title>{0}: {count} {kind}</title></rect>",
                day.day,
                tenths(x),
                tenths(PLOT_HEIGHT - height),
                tenths(bar),
                tenths(height)
            );
        }
        if i % label_every == 0 || i + 1 == days.len() {
            let _ = write!(
                page,
                "<text x=\"{}\" y=\"{}\" font-size=\"16\" text-anchor=\"middle\" \
                 fill=\"#57606a\">{}</text>",
                tenths(i as f64 * slot + slot / 2.0),
                tenths(PLOT_HEIGHT + 18.0),
                day.day.get(5..).unwrap_or(&day.day)
            );
        }
    }
    page.push_str(
        "</svg><p class=\"legend note\"><span style=\"background:#cf222e\">\
         </span>missed calls<span style=\"background:#1a7f37\"></span>texts sent \
         (UTC days)</p></div>\n",
    );
}

fn path_name(processed_by: Option<&str>) -> &'static str {
    match processed_by {
        Some(p) if p == ProcessedBy::Callback.as_str() => "callback",
        Some(p) if p == ProcessedBy::StatusCallback.as_str() => "status callback",
        Some(p) if p == ProcessedBy::Poll.as_str() => "poll",
        _ => "—",
    }
}

/// A message status with what its error code means for the business.
fn delivery_text(status: Option<&str>, code: Option<i32>) -> String {
    let mut text = status.unwrap_or("—").to_string();
    if let Some(code) = code {
        let meaning = match DeliveryProblem::of(code) {
            DeliveryProblem::Unreachable => ": unreachable or landline",
            DeliveryProblem::CarrierFiltered => ": carrier filtering (A2P 10DLC registration)",
            DeliveryProblem::Other => "",
        };
        let _ = write!(text, " ({code}{meaning})");
    }
    text
}

fn render_recent(page: &mut String, stats: &Stats, recent: &[RecentCall]) {
    let _ = write!(
        page,
        "<h2>Recent calls</h2>\n<div class=\"scroll\"><table class=\"recent\"><thead><tr>\
         <th>Time (UTC)</th><th>Caller</th><th>To</th><th>Outcome</th><th>Path</th>\
         <th class=\"n\">Time to text</th><th>Delivery</th></tr></thead><tbody>"
    );
    if recent.is_empty() {
        page.push_str("<tr><td colspan=\"7\">No calls in this period.</td></tr>");
    }
    for call in recent {
        // The business's name; its number masked like the caller's when it has none any more.
        let to = stats
            .by_number
            .iter()
            .find(|n| n.number == call.to_number)
            .and_then(|n| n.business_name.clone())
            .unwrap_or_else(|| mask(&call.to_number));
        let outcome = call.outcome.as_deref().unwrap_or("in progress");
        let _ = write!(
            page,
            "<tr data-outcome=\"{0}\"><td>{1}</td><td>{2}</td><td>{3}</td><td>{0}</td><td>{4}</td>\
             <td class=\"n\">{5}</td><td>{6}</td></tr>",
            escape(outcome),
            escape(&call.received),
            escape(&call.caller),
            escape(&to),
            path_name(call.processed_by.as_deref()),
            call.secs_to_text.map_or_else(|| "—".into(), seconds),
            escape(&delivery_text(
                call.sms_status.as_deref(),
                call.sms_error_code
            ))
        );
    }
    page.push_str("</tbody></table></div>\n");
}

fn render_numbers(page: &mut String, stats: &Stats) {
    page.push_str(
        "<h2>Per number</h2>\n<div class=\"scroll\"><table class=\"numbers\"><thead><tr>\
         <th>Number</th><th>Business</th><th class=\"n\">Calls</th><th class=\"n\">Missed</th>\
         <th class=\"n\">Texted</th><th class=\"n\">by callback</th><th class=\"n\">by poll</th>\
         <th class=\"n\">Answered</th><th class=\"n\">Failed</th><th class=\"n\">Not texted</th>\
         <th class=\"n\">In progress</th><th class=\"n\">Delivered</th>\
         <th class=\"n\">Undelivered</th><th class=\"n\">Duplicates prevented</th></tr></thead>\
         <tbody>",
    );
    if stats.by_number.is_empty() {
        page.push_str("<tr><td colspan=\"14\">No calls in this period.</td></tr>");
    }
    for number in &stats.by_number {
        let c: &Counts = &number.counts;
        let suppressed: i64 = c.suppressed.values().sum();
        let _ = write!(
            page,
            "<tr data-number=\"{0}\"><td>{0}</td><td>{1}</td>",
            escape(&number.number),
            escape(
                number
                    .business_name
                    .as_deref()
                    .unwrap_or("(no longer configured)")
            )
        );
        for n in [
            c.calls,
            c.missed,
            c.texted,
            c.texted_by_callback,
            c.texted_by_poll,
            c.answered,
            c.failed,
            suppressed,
            c.pending,
            c.delivery.delivered,
            c.delivery.undelivered,
            c.dedup_prevented,
        ] {
            let _ = write!(page, "<td class=\"n\">{n}</td>");
        }
        page.push_str("</tr>");
    }
    page.push_str("</tbody></table></div>\n");
}

fn render_cron(page: &mut String, stats: &Stats) {
    let cron = &stats.cron;
    let last = cron.last_poll_at.as_deref().map_or_else(
        || "never".into(),
        |at| at.replacen('T', " ", 1).replace('Z', " UTC"),
    );
    let _ = write!(
        page,
        "<h2>Fallback poll heartbeat</h2>\n<dl class=\"cron\"><dt>Last finished run</dt>\
         <dd data-cron=\"last_poll_at\">{}</dd><dt>Runs in this period</dt>\
         <dd data-cron=\"runs\">{}</dd><dt>Uptime</dt><dd data-cron=\"uptime\">{}</dd></dl>\n\
         <p class=\"note\">Calls and poll runs older than CLEANUP_AFTER_DAYS (default 7) are \
         deleted by the weekly cleanup, so a longer period shows what is kept.</p>\n",
        escape(&last),
        cron.runs,
        cron.uptime.map_or_else(|| "no data".into(), percent)
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::stats::{CallGroup, Latency, WindowFacts};
    use crate::domain::Caller;

    fn stats_with(groups: &[CallGroup], facts: WindowFacts) -> Stats {
        Stats::fold(7, groups, facts)
    }

    fn facts() -> WindowFacts {
        WindowFacts {
            as_of: "2026-11-25T19:35:32Z".into(),
            days: vec![
                "2026-11-23".into(),
                "2026-11-24".into(),
                "2026-11-25".into(),
            ],
            table_bytes: 81920,
            ..WindowFacts::default()
        }
    }

    fn group(day: &str, outcome: &str, by: &str, calls: i64) -> CallGroup {
        CallGroup {
            day: day.into(),
            to_number: "+14155559000".into(),
            business_name: Some("Joe's <Plumbing> & \"Sons\"".into()),
            outcome: Some(outcome.into()),
            processed_by: Some(by.into()),
            calls,
            ..CallGroup::default()
        }
    }

    /// Facts with the latency (p50, p95) per path, the minutes with a run out of 1000, the size.
    fn judged(callback: (f64, f64), poll: (f64, f64), minutes: i64, bytes: i64) -> WindowFacts {
        let latency = |(p50, p95)| Latency {
            p50: Some(p50),
            p95: Some(p95),
        };
        WindowFacts {
            callback: latency(callback),
            poll: latency(poll),
            minutes_with_run: minutes,
            uptime_minutes: Some(1000),
            table_bytes: bytes,
            ..facts()
        }
    }

    fn tile<'a>(tiles: &'a [Tile], kpi: &str) -> &'a Tile {
        tiles.iter().find(|t| t.kpi == kpi).unwrap()
    }

    #[test]
    fn without_data_the_tiles_are_grey_not_green() {
        let tiles = tiles(&stats_with(&[], facts()));
        for kpi in [
            "callback_success_rate",
            "fallback_rate",
            "latency_callback_p95",
            "latency_poll_p95",
            "dedup_prevented",
            "delivery_rate",
            "cron_uptime",
        ] {
            let t = tile(&tiles, kpi);
            assert_eq!(t.state, State::NoData, "{kpi}");
        }
        assert_eq!(tile(&tiles, "callback_success_rate").value, "no data");
        assert_eq!(tile(&tiles, "table_bytes").state, State::Ok);
        assert_eq!(tile(&tiles, "table_bytes").value, "80 kB");
    }

    #[test]
    fn tiles_are_judged_against_the_design_targets() {
        let good = [
            CallGroup {
                delivered: 100,
                dedup_prevented: 2,
                ..group("2026-11-25", "texted", "callback", 100)
            },
            group("2026-11-25", "texted", "status_callback", 0),
        ];
        let stats = stats_with(
            &good,
            judged((1.2, 3.0), (60.0, 90.0), 999, TABLE_BYTES_TARGET - 1),
        );
        let ok = tiles(&stats);
        for t in &ok {
            assert_eq!(t.state, State::Ok, "{t:?}");
        }
        assert_eq!(tile(&ok, "callback_success_rate").value, "100.0 %");
        assert_eq!(tile(&ok, "fallback_rate").value, "0.0 %");
        assert_eq!(tile(&ok, "latency_callback_p95").value, "3.0 s");
        assert_eq!(tile(&ok, "latency_callback_p95").caption, "median 1.2 s");
        assert_eq!(tile(&ok, "dedup_prevented").value, "2 prevented");
        assert_eq!(tile(&ok, "cron_uptime").value, "99.9 %");

        let bad = [
            CallGroup {
                delivered: 94,
                undelivered: 6,
                ..group("2026-11-25", "texted", "callback", 94)
            },
            group("2026-11-25", "texted", "poll", 6),
        ];
        let stats = stats_with(
            &bad,
            judged((1.0, 3.1), (60.0, 90.5), 998, TABLE_BYTES_TARGET),
        );
        let bad = tiles(&stats);
        for t in &bad {
            let expected = if t.kpi == "dedup_prevented" {
                State::Ok
            } else {
                State::Bad
            };
            assert_eq!(t.state, expected, "{t:?}");
        }
        assert_eq!(tile(&bad, "fallback_rate").value, "6.0 %");
        assert_eq!(tile(&bad, "delivery_rate").value, "94.0 %");
        assert_eq!(tile(&bad, "table_bytes").value, "10.0 MB");
    }

    fn recent(caller: &str) -> RecentCall {
        RecentCall {
            received: "2026-11-25 19:30".into(),
            caller: Caller::parse(caller).shown(),
            to_number: "+14155559000".into(),
            outcome: Some("texted".into()),
            processed_by: Some("poll".into()),
            secs_to_text: Some(75.25),
            sms_status: Some("undelivered".into()),
            sms_error_code: Some(30007),
        }
    }

    #[test]
    fn the_page_escapes_names_and_never_shows_a_callers_number() {
        let groups = [CallGroup {
            carrier_filtered: 1,
            undelivered: 1,
            ..group("2026-11-25", "texted", "poll", 1)
        }];
        let page = render(&stats_with(&groups, facts()), &[recent("+14155550123")]);
        assert!(
            page.contains("Joe&#39;s &lt;Plumbing&gt; &amp; &quot;Sons&quot;"),
            "{page}"
        );
        assert!(!page.contains("<Plumbing>"));
        assert!(!page.contains("4155550123"));
        assert!(page.contains("********0123"));
        assert!(page.contains(
            "<tr data-outcome=\"texted\"><td>2026-11-25 19:30</td><td>********0123</td>\
             <td>Joe&#39;s &lt;Plumbing&gt; &amp; &quot;Sons&quot;</td><td>texted</td><td>poll</td>\
             <td class=\"n\">75.3 s</td><td>undelivered (30007: carrier filtering (A2P 10DLC \
             registration))</td></tr>"
        ));
        // The business's own number is shown in full in the per-number table only.
        assert!(page.contains("<tr data-number=\"+14155559000\"><td>+14155559000</td>"));
        assert!(page.contains(
            "data-callout=\"carrier_filtered\"><strong>1 text was blocked by carrier \
             filtering</strong> (Twilio errors 30007 / 30034)."
        ));
        assert!(!page.contains("<script"));
        assert!(page.contains("<meta name=\"viewport\""));
    }

    #[test]
    fn a_call_to_a_number_no_longer_configured_shows_it_masked() {
        let mut call = recent("anonymous");
        call.to_number = "+14155559999".into();
        let page = render(&stats_with(&[], facts()), &[call]);
        assert!(
            page.contains("<td>withheld</td><td>********9999</td>"),
            "{page}"
        );
        assert!(!page.contains("+14155559999"));
    }

    #[test]
    fn no_carrier_callout_without_filtered_texts() {
        let groups = [CallGroup {
            delivered: 1,
            ..group("2026-11-25", "texted", "poll", 1)
        }];
        let page = render(&stats_with(&groups, facts()), &[]);
        assert!(!page.contains("data-callout"));
        assert!(page.contains("No calls in this period."));
    }

    #[test]
    fn every_day_has_a_missed_and_a_texted_bar() {
        let groups = [
            group("2026-11-23", "texted", "callback", 4),
            group("2026-11-25", "answered", "callback", 3),
            group("2026-11-25", "no_caller_id", "callback", 2),
        ];
        let page = render(&stats_with(&groups, facts()), &[]);
        let bars = page.matches("<rect class=\"bar").count();
        assert_eq!(bars, 6);
        assert!(page.contains(
            "<rect class=\"bar missed\" data-day=\"2026-11-23\" data-kind=\"missed\" \
             data-count=\"4\" x=\"64.0\" y=\"0.0\" width=\"36.0\" height=\"200.0\">\
             <title>2026-11-23: 4 missed</title></rect>"
        ));
        // Half the tallest: 2 of 4.
        assert!(page.contains(
            "data-day=\"2026-11-25\" data-kind=\"missed\" data-count=\"2\" x=\"464.0\" \
             y=\"100.0\" width=\"36.0\" height=\"100.0\""
        ));
        assert!(page.contains(
            "data-day=\"2026-11-24\" data-kind=\"texted\" data-count=\"0\" x=\"300.0\" \
             y=\"200.0\" width=\"36.0\" height=\"0.0\""
        ));
        // A single call among many still shows.
        let mut many = vec![group("2026-11-23", "texted", "callback", 1000)];
        many.push(group("2026-11-24", "texted", "callback", 1));
        let page = render(&stats_with(&many, facts()), &[]);
        assert!(
            page.contains("data-count=\"1\" x=\"264.0\" y=\"198.0\" width=\"36.0\" height=\"2.0\"")
        );
    }

    #[test]
    fn the_period_switch_marks_the_current_period() {
        let mut stats = stats_with(&[], facts());
        stats.days = 30;
        let page = render(&stats, &[]);
        assert!(page.contains(
            "<a href=\"?days=1\">24 hours</a><a href=\"?days=7\">7 days</a>\
             <a href=\"?days=30\" aria-current=\"page\">30 days</a>"
        ));
        assert!(page.contains("Last 30 days (UTC), as of 2026-11-25 19:35 UTC."));
    }

    #[test]
    fn the_heartbeat_says_never_before_the_first_run() {
        let page = render(&stats_with(&[], facts()), &[]);
        assert!(page.contains("<dd data-cron=\"last_poll_at\">never</dd>"));
        let mut stats = stats_with(&[], facts());
        stats.cron.last_poll_at = Some("2026-11-25T19:35:00Z".into());
        let page = render(&stats, &[]);
        assert!(page.contains("<dd data-cron=\"last_poll_at\">2026-11-25 19:35:00 UTC</dd>"));
    }

    #[test]
    fn one_decimal_without_float_formatting() {
        for (value, text) in [
            (0.0, "0.0"),
            (3.9, "3.9"),
            (66.666, "66.7"),
            (99.95, "100.0"),
            (0.04, "0.0"),
            (0.05, "0.1"),
            (-1.25, "-1.3"),
            (1234.56, "1234.6"),
        ] {
            assert_eq!(tenths(value), text, "{value}");
        }
    }

    #[test]
    fn escape_covers_the_five_characters() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("Café ☕"), "Café ☕");
    }
}
