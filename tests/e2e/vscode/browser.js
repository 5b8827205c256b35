// Shared by the code-server drivers: a headless Debian Chromium with a throwaway profile.
const { chromium } = require("playwright-core");
const fs = require("fs");
const os = require("os");
const path = require("path");

async function launch(options = {}) {
  const profile = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), "chromium-profile-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-dev-shm-usage",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
    ...options,
  });
  const page = context.pages()[0] || (await context.newPage());
  const close = async () => {
    await context.close().catch(() => undefined);
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { context, page, close };
}

/** Opens a file through Quick Open (Ctrl+P), once the file search has listed it (before that,
 * Enter does nothing); resolves when an editor shows. `onFail` runs on a timeout (a screenshot). */
async function openFile(page, fileName, onFail = (e) => Promise.reject(e)) {
  await page.keyboard.press("Control+P");
  await page.waitForSelector(".quick-input-widget .quick-input-box input", { state: "visible", timeout: 15000 });
  await page.keyboard.type(fileName);
  await page
    .waitForFunction(
      (name) => [...document.querySelectorAll(".quick-input-list .monaco-list-row")].some((r) => r.textContent.includes(name)),
      fileName,
      { timeout: 15000 },
    )
    .catch(onFail);
  await page.waitForTimeout(300);
  await page.keyboard.press("Enter");
  await page.waitForSelector(".monaco-editor .view-lines", { timeout: 15000 }).catch(onFail);
}

/** Loads the workbench at `url` and lets it settle. */
async function workbench(page, url) {
  await page.goto(url, { waitUntil: "domcontentloaded" });
  await page.waitForSelector(".monaco-workbench", { timeout: 60000 });
  await page.waitForTimeout(1500);
}

/** `shot(name)` saves a screenshot in `outDir`; `failShot(name)` is a catch handler that saves
 * `<name>-failed.png` and rethrows. */
function screenshots(page, outDir) {
  const shot = (name) => page.screenshot({ path: require("path").join(outDir, name) });
  const failShot = (name) => async (e) => {
    await shot(name.replace(/\.png$/, "-failed.png")).catch(() => undefined);
    throw e;
  };
  return { shot, failShot };
}

module.exports = { launch, openFile, workbench, screenshots };
