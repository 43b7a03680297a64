// Opens the dashboard in Debian's chromium (headless, driven by playwright-core, which downloads no
// browser) the way its owner would, on a phone and on a desktop, and prints as JSON what a person
// looks for: each tile's value and colour, the chart's bars and their heights in pixels, the rows of
// the recent calls, the heartbeat, the carrier call-out, and whether the page fits the screen's
// width. Saves a full-page screenshot of each view. tests/api/dashboard.rs runs it against a worker
// with real calls and asserts on the JSON.
//
//   DASHBOARD_PASSWORD=… node scripts/browser/dashboard.mjs <dashboard URL> <screenshot folder>
//
// CHROMIUM overrides the browser's path (default /usr/bin/chromium, which scripts/setup.sh installs).
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const [url, folder] = process.argv.slice(2);
const password = process.env.DASHBOARD_PASSWORD;
if (!url || !folder || password === undefined) {
  console.error("usage: DASHBOARD_PASSWORD=… node dashboard.mjs <dashboard URL> <screenshot folder>");
  process.exit(2);
}
mkdirSync(folder, { recursive: true });

const views = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 900 },
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  // Chromium's sandbox refuses to start as root (CI machines run the tests as root).
  args: process.getuid?.() === 0 ? ["--no-sandbox"] : [],
});
try {
  const seen = {};
  for (const [name, viewport] of Object.entries(views)) {
    const context = await browser.newContext({
      viewport,
      deviceScaleFactor: 1,
      httpCredentials: { username: "owner", password },
    });
    const page = await context.newPage();
    const response = await page.goto(url);
    if (response.status() !== 200) {
      throw new Error(`${url} answered ${response.status()}: ${await response.text()}`);
    }
    seen[name] = await read(page, viewport);
    await page.screenshot({ path: join(folder, `dashboard-${name}.png`), fullPage: true });
    await context.close();
  }
  console.log(JSON.stringify(seen, null, 2));
} finally {
  await browser.close();
}

async function read(page, viewport) {
  const text = async (locator) => ((await locator.count()) ? (await locator.innerText()).trim() : null);
  const tiles = [];
  for (const tile of await page.locator(".tile").all()) {
    const classes = (await tile.getAttribute("class")).split(/\s+/);
    tiles.push({
      kpi: await tile.getAttribute("data-kpi"),
      state: ["ok", "bad", "none"].find((state) => classes.includes(state)) ?? null,
      value: await text(tile.locator(".value")),
      visible: await tile.isVisible(),
    });
  }
  const bars = [];
  for (const bar of await page.locator("svg rect.bar").all()) {
    const box = await bar.boundingBox();
    bars.push({
      day: await bar.getAttribute("data-day"),
      kind: await bar.getAttribute("data-kind"),
      count: Number(await bar.getAttribute("data-count")),
      height_px: box ? box.height : 0,
      title: await bar.locator("title").textContent(),
    });
  }
  const rows = async (selector) => {
    const found = [];
    for (const row of await page.locator(selector).all()) {
      found.push((await row.locator("td").allInnerTexts()).map((cell) => cell.trim()));
    }
    return found;
  };
  const scrollWidth = await page.locator("html").evaluate((html) => html.scrollWidth);
  return {
    title: await page.title(),
    tiles,
    bars,
    recent_calls: await rows("table.recent tbody tr"),
    numbers: await rows("table.numbers tbody tr"),
    heartbeat: {
      last_poll_at: await text(page.locator('[data-cron="last_poll_at"]')),
      runs: await text(page.locator('[data-cron="runs"]')),
      uptime: await text(page.locator('[data-cron="uptime"]')),
    },
    carrier_callout: await text(page.locator('[data-callout="carrier_filtered"]')),
    current_period: await text(page.locator('nav a[aria-current="page"]')),
    fits_width: scrollWidth <= viewport.width,
  };
}
