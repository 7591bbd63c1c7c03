// Drives the phigate pickup portal in Debian's Chromium, as a patient on a phone would:
// notice link -> ask for a code -> enter code (+ date of birth) -> read -> download -> reply.
//
// Usage: node portal_flow.mjs --link URL --code-url URL --out DIR --expect TEXT --reply TEXT [--dob YYYY-MM-DD]
//        [--consent SCOPE --days N]   then also give consent to SCOPE for N days, at 390 px
//        checking that nothing is wider than the screen, and report what the page says was recorded.
// --code-url answers 200 with the newest one-time code once it has been mailed (404 before).
// Prints one JSON line with what happened; exits 1 with a message on any failure.
import { chromium } from "playwright-core";
import { open } from "./navigation.mjs";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const CHROMIUM = process.env.PHIGATE_CHROMIUM || "/usr/bin/chromium";
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--headless",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
];

const { values: opt } = parseArgs({
  options: {
    link: { type: "string" },
    "code-url": { type: "string" },
    out: { type: "string" },
    expect: { type: "string" },
    reply: { type: "string" },
    dob: { type: "string" },
    consent: { type: "string" },
    days: { type: "string" },
  },
});
for (const name of ["link", "code-url", "out", "expect", "reply"]) {
  if (!opt[name]) {
    console.error(`portal_flow: --${name} is required`);
    process.exit(2);
  }
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

// Elements wider than the viewport (or than their box) make a phone user scroll sideways.
async function overflowing(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide = [];
    if (document.documentElement.scrollWidth > width) wide.push(`page ${document.documentElement.scrollWidth}px`);
    for (const el of document.querySelectorAll("main *")) {
      const box = el.getBoundingClientRect();
      if (box.right > width + 1) wide.push(`${el.tagName.toLowerCase()}#${el.id} ends at ${Math.round(box.right)}px`);
    }
    return wide;
  });
}

async function fetchCode(url) {
  // The code is mailed by the portal and captured by the test; poll briefly for it.
  for (let i = 0; i < 100; i++) {
    const resp = await fetch(url);
    if (resp.status === 200) return (await resp.text()).trim();
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("no one-time code arrived");
}

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
const problems = [];
try {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    acceptDownloads: true,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${new URL(r.url()).pathname}`);
  });

  const token = new URL(opt.link).pathname.split("/").pop();
  await open(page, opt.link);
  await page.waitForURL((u) => u.pathname === "/verify");
  check(!page.url().includes(token), "the token stayed in the address bar");
  const visited = [page.url()];

  await page.click("#send-code");
  await page.waitForURL((u) => u.pathname === "/verify" && u.search === "?sent=1");
  const code = await fetchCode(opt["code-url"]);
  await page.fill("#code", code);
  if (await page.locator("#dob").count()) {
    check(opt.dob, "the portal asks for a date of birth but --dob was not given");
    await page.fill("#dob", opt.dob);
  }
  await page.click("#verify");
  await page.waitForURL((u) => u.pathname === "/message");
  visited.push(page.url());

  const body = await page.locator("article.message").innerText();
  check(body.includes(opt.expect), "the message text is not on the page");
  const scripts = await page.locator("article.message script").count();
  check(scripts === 0, "a script survived sanitising");
  const tapHeight = (await page.locator("#send-reply").boundingBox()).height;
  check(tapHeight >= 44, `the reply button is too small to tap (${tapHeight}px)`);

  mkdirSync(opt.out, { recursive: true });
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.locator("ul.attachments a").first().click(),
  ]);
  const saved = join(opt.out, download.suggestedFilename());
  await download.saveAs(saved);

  await page.fill("#reply", opt.reply);
  await page.click("#send-reply");
  await page.waitForURL((u) => u.pathname === "/sent");
  visited.push(page.url());
  const heading = await page.locator("h1").innerText();
  check(heading.includes("Your reply was sent"), `unexpected page after replying: ${heading}`);
  let consent = null;
  if (opt.consent) {
    await open(page, new URL("/consent", page.url()).href);
    visited.push(page.url());
    const wide = await overflowing(page);
    check(wide.length === 0, `the consent page is wider than 390 px: ${wide.join("; ")}`);
    const whiteSpace = await page.locator(".disclosure").evaluate((el) => getComputedStyle(el).whiteSpace);
    check(!whiteSpace.startsWith("pre"), `the disclosure keeps the file's line breaks (${whiteSpace})`);
    // A reflowed item fills the screen's width: its first line is wider than the file's 90 columns
    // would allow only if not hard-wrapped; at 390 px an item wraps into several lines by itself.
    const item = page.locator(".disclosure li").first();
    const itemText = await item.innerText();
    check(!itemText.includes("\n"), "a disclosure item still holds a hard line break");
    const shown = await page.locator("#durations").innerText();
    await page.uncheck("#scopes input[type=checkbox] >> nth=0");
    await page.check(`#scopes input[value="${opt.consent}"]`);
    await page.check(`#days-${opt.days}`);
    await page.check("#accept");
    const tap = (await page.locator("#accept").boundingBox()).height;
    check(tap >= 24, `the agree box is too small to tap (${tap}px)`);
    await page.click("#consent");
    await page.locator("#recorded").waitFor();
    const wideAfter = await overflowing(page);
    check(wideAfter.length === 0, `the recorded page is wider than 390 px: ${wideAfter.join("; ")}`);
    consent = { offered: shown, recorded: await page.locator("#recorded").innerText() };
  }
  check(!visited.some((u) => u.includes(token)), "the token appeared in a later URL");
  check(problems.length === 0, `browser reported problems: ${problems.join("; ")}`);

  console.log(JSON.stringify({ ok: true, download: saved, visited, heading, consent }));
} catch (err) {
  console.error(`portal_flow: ${err.message}`);
  if (problems.length) console.error(`portal_flow: browser problems: ${problems.join("; ")}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
