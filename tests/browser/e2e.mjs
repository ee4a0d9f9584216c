// End-to-end tests of `chipgate serve`'s page in a real browser: Debian's chromium, driven by
// playwright-core. Starts the server on a free loopback port, then as a user would:
// 1. types a design into the calculator and reads the verdict; describes a server by what it
//    contains, and a foundry's IC under the foundry due-diligence rule;
// 2. moves the map's date slider and sees the A800 leave the uncontrolled region;
// 3. lists the catalog's computers and boards and opens one to see what it contains;
// 4. drops a CSV on the audit zone, reads the summary and downloads the audited file;
// and, as a keyboard user would, answers a check without the mouse, and has axe-core audit
// the page (WCAG 2.1 A and AA: labels, names, roles, contrast) in each of its states.
// Screenshots go to $ARTIFACTS (default target/browser-artifacts), not into the repository.
//
//   CHIPGATE=target/debug/chipgate CHROMIUM=/usr/bin/chromium node tests/browser/e2e.mjs

import { spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const root = resolve(import.meta.dirname, "../..");
const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const bin = process.env.CHIPGATE ?? resolve(root, "target/debug/chipgate");
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const artifacts = process.env.ARTIFACTS ?? resolve(root, "target/browser-artifacts");
mkdirSync(artifacts, { recursive: true });

/** Starts the server; resolves with its base URL once it says where it listens. */
function start() {
  const child = spawn(bin, ["serve", "--quiet", "--addr", "127.0.0.1:0"], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, CHIPGATE_RULES: "" } });
  return new Promise((ok, fail) => {
    let seen = "";
    child.stderr.on("data", (d) => {
      seen += d;
      const m = seen.match(/http:\/\/[0-9.:]+(?=\s)/);
      if (m) ok({ child, base: m[0] });
    });
    child.on("exit", (code) => fail(new Error(`chipgate serve exited (${code}): ${seen}`)));
  });
}

/** Launches chromium; a crash while it starts (seen once in CI: "Zygote could not fork",
 * SIGSEGV) is the machine's, not the page's, so it is tried up to three times, and said. */
async function launch() {
  for (let attempt = 1; ; attempt++) {
    try {
      return await chromium.launch({
        executablePath,
        headless: true,
        args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      });
    } catch (e) {
      if (attempt >= 3) throw e;
      console.log(`chromium did not start (attempt ${attempt}): ${e.message.split("\n")[0]}; starting it again`);
    }
  }
}

const { child, base } = await start();
let browser;
try {
  browser = await launch();
} catch (e) {
  child.kill("SIGTERM");
  throw e;
}
const results = [];
async function step(name, f) {
  const t = Date.now();
  try {
    await f();
    results.push(`ok   ${name} (${Date.now() - t} ms)`);
  } catch (e) {
    results.push(`FAIL ${name}: ${e.message}`);
  }
}

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  // The browser logs the 400 of the calculator's deliberate mistake below: that one is expected.
  page.on("console", (m) => { if (m.type() === "error" && !m.location().url.includes("to=Atlantis")) errors.push(`${m.text()} (${m.location().url})`); });
  await page.goto(base);
  try {
    await page.waitForSelector("body[data-ready='1']", { state: "attached", timeout: 30000 });
  } catch (e) {
    console.log(`the page did not get ready at ${page.url()}: ${errors.join("; ")}\n${(await page.content()).slice(0, 2000)}`);
    throw e;
  }

  await step("the page shows the rules version and the disclaimer", async () => {
    assert.match(await page.textContent("#rules-version"), /chipgate-builtin@/);
    assert.match(await page.textContent("header"), /Decision support, not legal advice/);
  });

  await step("a design typed into the calculator gets its verdict", async () => {
    const calc = page.locator("#calc-form");
    // An H100-class design to China in 2026: a license is required.
    await calc.getByLabel("Dense 8-bit TOPS").fill("1979");
    await calc.getByLabel("Die area (mm²)").fill("814");
    await calc.getByLabel("Market").selectOption("datacenter");
    await calc.getByLabel("Destination", { exact: true }).fill("CN");
    await calc.getByLabel("Date").fill("2026-01-01");
    await page.waitForSelector("#calc-result [data-verdict='license_required']", { timeout: 10000 });
    assert.match(await page.textContent("#calc-result"), /ECCN 3A090\.a/);
    // From 2026-01-15 the rules review such an export case by case; a near miss of an Entity
    // List party as the end user leaves the review policy open until the match is settled
    // (the license stands), and the exact name takes the entry's presumption of denial.
    await calc.getByLabel("DRAM bandwidth (GB/s)").fill("3350"); // the 2026 rule tests it
    await calc.getByLabel("Date").fill("2026-03-01");
    await page.waitForFunction(() => /review: case by case/.test(document.querySelector("#calc-result").textContent), null, { timeout: 10000 });
    await calc.getByLabel("End user", { exact: true }).fill("Huawey Technologies");
    await page.waitForSelector("#calc-result li[data-role='end_user']", { timeout: 10000 });
    let text = await page.textContent("#calc-result");
    assert.match(text, /possible match \(score 0\.95\): Huawei Technologies Co\., Ltd\. \(Entity List/);
    assert.match(text, /review: undetermined/);
    assert.match(text, /Missing: possible Entity List match/);
    await calc.getByLabel("End user", { exact: true }).fill("Huawei Technologies Co., Ltd.");
    await page.waitForFunction(() => /listed: Huawei/.test(document.querySelector("#calc-result").textContent), null, { timeout: 10000 });
    assert.match(await page.textContent("#calc-result"), /review: presumption of denial/);
    await page.screenshot({ path: `${artifacts}/calculator-parties.png` });
    await calc.getByLabel("End user", { exact: true }).fill("");
    await page.waitForFunction(() => !document.querySelector("#calc-result li[data-role]"), null, { timeout: 10000 });
    // A consumer design far below the thresholds, to Germany: no license.
    await calc.getByLabel("Dense 8-bit TOPS").fill("100");
    await calc.getByLabel("Destination", { exact: true }).fill("DE");
    await page.waitForSelector("#calc-result [data-verdict='no_license_required']", { timeout: 10000 });
    // A mistake is said in the command line's words.
    await calc.getByLabel("Destination", { exact: true }).fill("Atlantis");
    await page.waitForSelector("#calc-result [data-error]", { timeout: 10000 });
    assert.match(await page.textContent("#calc-result"), /unknown country `Atlantis`/);
    await page.screenshot({ path: `${artifacts}/calculator.png` });
  });

  await step("a computer of eight H100s, and a foundry's 7 nm IC, in the calculator", async () => {
    const calc = page.locator("#calc-form");
    await calc.getByLabel("Destination", { exact: true }).fill("CN");
    await calc.getByLabel("Date").fill("2026-03-01");
    for (const field of ["Dense 8-bit TOPS", "Die area (mm²)", "DRAM bandwidth (GB/s)"]) await calc.getByLabel(field).fill("");
    await calc.getByLabel("Market").selectOption("");
    // A hypothetical server is classified from what it contains.
    await calc.getByLabel("Contains", { exact: true }).fill("H100x8");
    await page.waitForFunction(() => /ECCN 4A090\.a/.test(document.querySelector("#calc-result").textContent), null, { timeout: 10000 });
    assert.match(await page.textContent("#calc-result li[data-part='nvidia-h100-sxm']"), /× 8: ECCN 3A090\.a/);
    await calc.getByLabel("Contains", { exact: true }).fill("");
    // A 7 nm IC far below the thresholds needs no license, unless a foundry exports it: the
    // foundry presumes it 3A090.a (Note 1 to 3A090.a) until it attests a small transistor count.
    await calc.getByLabel("or TPP directly").fill("1000");
    await calc.getByLabel("Die area (mm²)").fill("400");
    await calc.getByLabel("Process node (nm)").fill("7");
    await page.waitForSelector("#calc-result [data-verdict='no_license_required']", { timeout: 10000 });
    await calc.getByLabel("Exporter role").selectOption("fabricator");
    await page.waitForSelector("#calc-result [data-verdict='license_required']", { timeout: 10000 });
    const text = await page.textContent("#calc-result");
    assert.match(text, /ECCN 3A090\.a/);
    assert.match(text, /us-2025-01\/foundry-presumption/);
    await calc.getByLabel("Transistor count (billions)").fill("24");
    await calc.getByLabel("the fabricator (transistor count)").check();
    await page.waitForSelector("#calc-result [data-verdict='no_license_required']", { timeout: 10000 });
    await page.screenshot({ path: `${artifacts}/calculator-foundry.png` });
    await calc.getByLabel("the fabricator (transistor count)").uncheck();
    await calc.getByLabel("Exporter role").selectOption("");
    for (const field of ["or TPP directly", "Die area (mm²)", "Process node (nm)", "Transistor count (billions)"]) await calc.getByLabel(field).fill("");
  });

  await step("moving the map's date slider takes the A800 out of the uncontrolled region", async () => {
    const a800 = "g[data-chip='nvidia-a800-sxm']";
    const day = (iso) => String(Math.round((Date.parse(iso) - Date.UTC(2022, 0, 1)) / 86400000));
    await page.locator("#map-date").fill(day("2023-06-01"));
    await page.waitForSelector("#map-svg svg[data-date='2023-06-01']");
    assert.equal(await page.getAttribute(a800, "data-eccn"), "none");
    await page.screenshot({ path: `${artifacts}/map-2023-06.png` });
    await page.locator("#map-date").fill(day("2024-01-15"));
    await page.waitForSelector("#map-svg svg[data-date='2024-01-15']");
    assert.equal(await page.getAttribute(a800, "data-eccn"), "3A090.a");
    assert.ok((await page.locator("#map-svg rect[data-cell='3A090.a']").count()) > 0, "the 3A090.a region is drawn");
    await page.screenshot({ path: `${artifacts}/map-2024-01.png` });
  });

  await step("the map downloads as SVG and as PNG", async () => {
    for (const [button, kind, magic] of [["#map-export", "svg", "<svg"], ["#map-export-png", "png", "\x89PNG"]]) {
      const [download] = await Promise.all([page.waitForEvent("download"), page.click(button)]);
      assert.equal(download.suggestedFilename(), `chipgate-map-2024-01-15.${kind}`);
      const path = `${artifacts}/${download.suggestedFilename()}`;
      await download.saveAs(path);
      assert.ok(readFileSync(path, "latin1").startsWith(magic), `${kind} starts with ${magic}`);
    }
  });

  await step("the page passes axe-core's WCAG 2.1 A/AA audit before use", async () => audit("start"));

  await step("the catalog sorts, filters and opens a chip", async () => {
    await page.getByLabel("Filter").fill("H800");
    await page.locator("#cat-table tbody tr").first().click();
    await page.waitForSelector("#chip-sheet h3");
    assert.match(await page.textContent("#chip-sheet"), /Sources/);
  });

  await step("the catalog lists computers and boards with what they contain", async () => {
    await page.getByLabel("Computers and boards instead of chips").check();
    await page.getByLabel("Filter").fill("DGX H100");
    await page.waitForSelector("#cat-table tbody tr[data-chip]");
    await page.locator("#cat-table tbody tr").first().click();
    await page.waitForSelector("#chip-sheet li[data-part]");
    assert.match(await page.textContent("#chip-sheet"), /NVIDIA DGX H100[\s\S]*ECCN 4A090\.a[\s\S]*NVIDIA H100 SXM5 80GB × 8: ECCN 3A090\.a/);
    await page.getByLabel("Computers and boards instead of chips").uncheck();
    await page.getByLabel("Filter").fill("");
    await page.waitForSelector("#cat-table tbody tr[data-chip='nvidia-h100-sxm']");
  });

  await step("a timeline and a diff", async () => {
    await page.locator("#tl-form button").click();
    await page.waitForSelector("#tl-result table");
    assert.match(await page.textContent("#tl-result"), /2023-10-23/);
    await page.locator("#diff-form").getByLabel("From").fill("2023-11-01");
    await page.locator("#diff-form").getByLabel("Until").fill("2023-12-01");
    await page.locator("#diff-form button").click();
    await page.waitForSelector("#diff-result table");
    assert.match(await page.textContent("#diff-result"), /pairs differ/);
  });

  await step("a CSV dropped on the audit zone is audited and downloaded", async () => {
    await page.setInputFiles("#audit-file", resolve(root, "examples/shipments.csv"));
    await page.waitForSelector("#audit-download", { timeout: 20000 });
    assert.equal(await page.getAttribute("#audit-result [data-rows]", "data-rows"), "22");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#audit-download")]);
    const path = `${artifacts}/${download.suggestedFilename()}`;
    await download.saveAs(path);
    const text = readFileSync(path, "utf8");
    assert.match(text.split("\n")[0], /,eccn,license_required,exceptions,review_policy,verdict,reasons,error$/);
    assert.equal(text.trim().split("\n").length, 23);
    await page.screenshot({ path: `${artifacts}/audit.png`, fullPage: true });
  });

  await step("a check answered with the keyboard alone", async () => {
    await page.goto(base);
    await page.waitForSelector("body[data-ready='1']", { state: "attached", timeout: 30000 });
    // From the top of the page, Tab reaches the calculator's first field.
    await page.keyboard.press("Tab");
    let name = "";
    for (let i = 0; i < 20 && name !== "based_on"; i++) {
      await page.keyboard.press("Tab");
      name = await page.evaluate(() => document.activeElement?.getAttribute("name") ?? "");
    }
    assert.equal(name, "based_on", "Tab reaches the calculator");
    await page.keyboard.type("H100");
    await page.waitForSelector("#calc-result [data-verdict='license_required']", { timeout: 10000 });
    // A catalog row opens with Enter.
    await page.locator("#cat-filter").focus();
    await page.keyboard.type("A800");
    await page.keyboard.press("Tab");
    for (let i = 0; i < 10 && !(await page.evaluate(() => document.activeElement?.tagName === "TR")); i++) await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#chip-sheet h3");
    assert.match(await page.textContent("#chip-sheet h3"), /A800/);
  });

  await step("the page passes axe-core's WCAG 2.1 A/AA audit with every view filled in", async () => {
    await page.locator("#tl-form button").click();
    await page.waitForSelector("#tl-result table");
    await page.setInputFiles("#audit-file", resolve(root, "examples/shipments.csv"));
    await page.waitForSelector("#audit-download", { timeout: 20000 });
    await audit("filled");
  });

  await step("no script errors", async () => assert.deepEqual(errors, []));

  /** Runs axe-core on the page; fails with each violation and where it is. */
  async function audit(label) {
    await page.addScriptTag({ path: axePath });
    const found = await page.evaluate(async () => {
      const r = await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
      return { violations: r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`), passes: r.passes.length };
    });
    results.push(`     axe-core ${label}: ${found.passes} rules pass, ${found.violations.length} violated`);
    assert.deepEqual(found.violations, [], `axe-core (${label}): ${found.violations.join("; ")}`);
  }
} finally {
  await browser.close();
  child.kill("SIGTERM");
}

console.log(results.join("\n"));
console.log(`screenshots: ${artifacts}`);
if (results.some((r) => r.startsWith("FAIL"))) process.exit(1);
