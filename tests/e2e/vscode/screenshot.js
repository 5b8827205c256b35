// node screenshot.js <url> <file-to-open> <hint-substring> <out.png> [scenario]
// Opens a file through Quick Open in code-server, waits until an inlay hint containing
// <hint-substring> is rendered, prints the rendered first line and the status bar, and saves a
// screenshot. With [scenario]: then runs "llm-cost: Select scenario" from the command palette,
// picks it, and reports the status bar once its total changed (screenshot <out>-<scenario>.png).
const { launch, openFile } = require("./browser");

const statusItems = (page) =>
  page.evaluate(() => [...document.querySelectorAll(".statusbar-item")].map((e) => e.textContent.trim()).filter(Boolean));

/** Pick a quick-input row whose text includes `text` (after typing it), with Enter. */
async function choose(page, text, failShot) {
  await page.keyboard.type(text);
  await page
    .waitForFunction(
      (t) => [...document.querySelectorAll(".quick-input-list .monaco-list-row")].some((r) => r.textContent.includes(t)),
      text,
      { timeout: 15000 },
    )
    .catch(failShot);
  await page.waitForTimeout(300);
  await page.keyboard.press("Enter");
}

async function pickScenario(page, scenario, out, failShot) {
  const total = (items) => items.find((i) => /^\$[\d,.]+\/mo$/.test(i));
  const before = total(await statusItems(page));
  await page.keyboard.press("F1");
  await page.waitForSelector(".quick-input-widget .quick-input-box input", { state: "visible", timeout: 15000 });
  await choose(page, "llm-cost: Select scenario", failShot);
  await page.waitForSelector(".quick-input-widget .quick-input-box input", { state: "visible", timeout: 15000 });
  await choose(page, scenario, failShot);
  const changed = await page
    .waitForFunction(
      (b) => [...document.querySelectorAll(".statusbar-item")].some((e) => /^\$[\d,.]+\/mo$/.test(e.textContent.trim()) && e.textContent.trim() !== b),
      before,
      { timeout: 30000 },
    )
    .then(() => true, () => false);
  await page.waitForTimeout(1000);  // let the Problems counter catch up
  await page.screenshot({ path: out.replace(/\.png$/, `-${scenario}.png`) });
  return { changed, statusBar: await statusItems(page) };
}

(async () => {
  const [url, fileName, hintText, out, scenario] = process.argv.slice(2);
  const { page, close } = await launch();
  const failShot = async (e) => {
    await page.screenshot({ path: out.replace(/\.png$/, "-failed.png") }).catch(() => undefined);
    throw e;
  };
  const t0 = Date.now();
  // The editor's first rendered line (Monaco positions lines absolutely, in any DOM order).
  await page.addInitScript(() => {
    window.firstLine = () =>
      [...document.querySelectorAll(".monaco-editor .view-lines .view-line")].sort(
        (a, b) => parseFloat(a.style.top) - parseFloat(b.style.top),
      )[0];
  });
  await page.goto(url, { waitUntil: "domcontentloaded" });
  await page.waitForSelector(".monaco-workbench", { timeout: 60000 });
  await page.waitForTimeout(1500);
  await openFile(page, fileName, failShot);
  const visible = await page
    .waitForFunction(
      (text) => {
        // Monaco renders the spaces of inlay hints as no-break spaces.
        const line = firstLine();
        return line && line.textContent.replace(/\u00a0/g, " ").includes(text);
      },
      hintText,
      { timeout: 60000 },
    )
    .then(() => true, () => false);
  const firstLine = await page.evaluate(() => {
    const line = firstLine();
    return line ? line.textContent.replace(/\u00a0/g, " ") : null;
  });
  // The total comes from a check the extension runs after start; wait for it.
  await page
    .waitForFunction(
      () => [...document.querySelectorAll(".statusbar-item")].some((e) => /^\$[\d,.]+\/mo$/.test(e.textContent.trim())),
      null,
      { timeout: 30000 },
    )
    .catch(() => undefined);
  const statusBar = await page.evaluate(() => {
    return [...document.querySelectorAll(".statusbar-item")].map((e) => e.textContent.trim()).filter(Boolean);
  });
  await page.waitForTimeout(visible ? 500 : 0);
  await page.screenshot({ path: out });
  const result = { visible, firstLine, statusBar, ms: Date.now() - t0 };
  if (visible && scenario) result.afterScenario = await pickScenario(page, scenario, out, failShot);
  console.log(JSON.stringify(result));
  await close();
  process.exit(visible ? 0 : 1);
})().catch((e) => {
  console.error(e);
  process.exit(2);
});
