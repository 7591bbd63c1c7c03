// Drives the phigate compliance console in Debian's Chromium at a phone's 390 px:
// sign in with password + TOTP -> dashboard -> trace a message by reference -> release a held
// message from quarantine -> apply a broken policy and see the error at its line.
//
// Usage: node console_flow.mjs --base URL --user NAME --password PW --secret BASE32
//        --ref REF --expect-stage TEXT --entry ID --bad-line N
// The console serves TLS with a test CA's certificate, so certificate errors are ignored here.
// Prints one JSON line with what happened; exits 1 with a message on any failure.
import { chromium } from "playwright-core";
import { open } from "./navigation.mjs";
import { createHmac } from "node:crypto";
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
    base: { type: "string" },
    user: { type: "string" },
    password: { type: "string" },
    secret: { type: "string" },
    ref: { type: "string" },
    "expect-stage": { type: "string" },
    entry: { type: "string" },
    "bad-line": { type: "string" },
  },
});
for (const name of ["base", "user", "password", "secret", "ref", "expect-stage", "entry", "bad-line"]) {
  if (!opt[name]) {
    console.error(`console_flow: --${name} is required`);
    process.exit(2);
  }
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

// RFC 6238 as an authenticator app computes it (SHA-1, 6 digits, 30 s), written apart from
// the gateway's Python so the test checks one against the other.
function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of text.replace(/=+$/, "")) bits += alphabet.indexOf(ch).toString(2).padStart(5, "0");
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

function totp(secret) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
  const mac = createHmac("sha1", base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1000000;
  return String(value).padStart(6, "0");
}

// Whether a phone user has to scroll the page sideways, and which elements stick out (tables
// scroll inside their own .scroll box instead, so what is inside one does not count).
async function sideways(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide = [];
    for (const el of document.querySelectorAll("body *")) {
      if (el.closest(".scroll, pre, svg")) continue;
      const box = el.getBoundingClientRect();
      if (box.right > width + 1) wide.push(`${el.tagName.toLowerCase()}.${el.className} ends at ${Math.round(box.right)}px`);
    }
    return document.documentElement.scrollWidth > width ? wide.concat(["page"]) : wide;
  });
}

const result = { pages: {} };
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
try {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    ignoreHTTPSErrors: true,
  });
  const page = await context.newPage();
  const visit = async (name) => {
    result.pages[name] = { sideways: await sideways(page) };
  };
  // Clicks a link or button and waits until the page it leads to has loaded: measuring or
  // reading the page while the old one is being torn down finds no document.
  // `search` is the exact query string, or a pattern for a form's GET.
  const follow = (selector, pathname, search = "") =>
    Promise.all([
      page.waitForURL(
        (u) => u.pathname === pathname && (search instanceof RegExp ? search.test(u.search) : u.search === search),
        { waitUntil: "load" },
      ),
      page.click(selector),
    ]);

  await open(page, `${opt.base}/login`);
  await visit("login");
  await page.fill('input[name="user"]', opt.user);
  await page.fill('input[name="password"]', opt.password);
  await page.fill('input[name="code"]', totp(opt.secret));
  await follow('button[type="submit"]', "/");
  check((await page.textContent("h1")) === "Dashboard", "no dashboard after sign-in");
  result.signed_in = true;
  result.cookies = (await context.cookies()).map((c) => ({
    name: c.name, secure: c.secure, httpOnly: c.httpOnly, sameSite: c.sameSite,
  }));
  await visit("dashboard");

  await follow('header a[href="/trace"]', "/trace");
  await page.fill('input[name="ref"]', opt.ref);
  await follow('form[action="/trace"] button', "/trace", new RegExp(`^\\?ref=${opt.ref}(&|$)`));
  await visit("trace");
  await follow(`a[href="/trace/${opt.ref}"]`, `/trace/${opt.ref}`);
  const record = await page.textContent("main");
  result.traced = record.includes(opt["expect-stage"]);
  await visit("trace_record");

  await follow('header a[href="/quarantine"]', "/quarantine");
  await visit("quarantine");
  await follow(`a[href="/quarantine/${opt.entry}"]`, `/quarantine/${opt.entry}`);
  await visit("quarantine_entry");
  await follow("text=Release to recipients", `/quarantine/${opt.entry}`, "?notice=released");
  result.released = (await page.textContent('p[role="status"]')).includes("released");

  // The other pages must fit a phone too.
  for (const path of ["/patients", "/disclosures?patient=R-100", "/keys", "/senders"]) {
    await open(page, `${opt.base}${path}`);
    await visit(path);
  }

  await follow('header a[href="/policy"]', "/policy");
  await visit("policy");
  const text = await page.inputValue('textarea[name="policy"]');
  const lines = text.split("\n");
  const n = Number(opt["bad-line"]) - 1;
  check(lines[n].trim() === "action: deliver", `line ${n + 1} is not the internal rule's action`);
  lines[n] = lines[n].replace("deliver", "teleport");
  await page.fill('textarea[name="policy"]', lines.join("\n"));
  await follow('button[formaction="/policy/apply"]', "/policy/apply");
  result.policy_error = await page.textContent("#policy-error");
  const marked = page.locator(`#line-${opt["bad-line"]}.bad`);
  result.error_line_marked = (await marked.count()) === 1 && (await marked.isVisible());
  result.error_line_text = (await marked.textContent()) || "";
  await visit("policy_error");
  console.log(JSON.stringify(result));
} catch (err) {
  console.error(`console_flow: ${err.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
