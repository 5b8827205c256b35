// node panels_shot.js <base-url> <workspace> <export-target> <out-dir>
// What a person sees in two panels (printed as JSON: the text read from the screen):
//  1. vscode-breakdown.png: the code lens above support/triage.txt clicked: the prompt's
//     breakdown rendered in a panel beside the editor (a webview: its table read from it);
//  2. vscode-export-dialog.png: "llm-cost: Export FOCUS" from the command palette: the save
//     dialog asks where to write (its title and proposed name read from the screen); a path
//     outside the workspace is typed and accepted (the file is checked by the test).
const { launch, openFile, workbench, screenshots } = require("./browser");

const rowTexts = (page, selector) =>
  page.evaluate((s) => [...document.querySelectorAll(s)].map((e) => e.textContent.replace(/\u00a0/g, " ").trim()), selector);

/** The text of the webview frame whose body contains `needle` ("" until one does). */
async function webviewText(page, needle) {
  for (const frame of page.frames()) {
    const text = await frame.evaluate(() => document.body?.innerText || "").catch(() => "");
    if (text.includes(needle)) return text;
  }
  return "";
}

async function until(what, fn, timeout) {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

(async () => {
  const [base, workspace, target, outDir] = process.argv.slice(2);
  const { page, close } = await launch();
  const result = {};
  const { shot, failShot } = screenshots(page, outDir);

  await workbench(page, `${base}/?folder=${workspace}`);

  // 1. the breakdown panel, from the code lens
  await openFile(page, "triage.txt", failShot("vscode-breakdown.png"));
  const lens = ".monaco-editor .codelens-decoration a";
  await page
    .waitForFunction((s) => [...document.querySelectorAll(s)].some((a) => /\/mo/.test(a.textContent)), lens, { timeout: 90000 })
    .catch(failShot("vscode-breakdown.png"));
  result.lens = (await rowTexts(page, lens)).find((t) => /\/mo/.test(t));
  await page.locator(lens, { hasText: "/mo" }).first().click();
  result.breakdown = await until("the breakdown panel", () => webviewText(page, "llm-cost · support/triage"), 60000).catch(
    failShot("vscode-breakdown.png"),
  );
  result.tabs = await rowTexts(page, ".tabs-container .tab .label-name");
  await page.waitForTimeout(500);
  await shot("vscode-breakdown.png");

  // 2. Export FOCUS: the save dialog asks where to write
  await page.keyboard.press("F1");
  await page.waitForSelector(".quick-input-widget .quick-input-box input", { state: "visible", timeout: 15000 });
  await page.keyboard.type("llm-cost: Export FOCUS");
  await page
    .waitForFunction(() => [...document.querySelectorAll(".quick-input-list .monaco-list-row")].some((r) => r.textContent.includes("Export FOCUS")), null, {
      timeout: 15000,
    })
    .catch(failShot("vscode-export-dialog.png"));
  await page.keyboard.press("Enter");
  await page
    .waitForFunction(() => /export the estimate as FOCUS CSV/.test(document.querySelector(".quick-input-widget .quick-input-title")?.textContent || ""), null, {
      timeout: 30000,
    })
    .catch(failShot("vscode-export-dialog.png"));
  await page.waitForTimeout(500);
  result.dialogTitle = await page.evaluate(() => document.querySelector(".quick-input-widget .quick-input-title")?.textContent || "");
  result.dialogProposal = await page.evaluate(() => document.querySelector(".quick-input-widget .quick-input-box input")?.value || "");
  await shot("vscode-export-dialog.png");
  const input = page.locator(".quick-input-widget .quick-input-box input");
  await input.fill(target);
  await page.waitForTimeout(500);
  await page.keyboard.press("Enter");
  result.notification = await until(
    "the export's notification",
    () => page.evaluate(() => [...document.querySelectorAll(".notification-list-item-message")].map((e) => e.textContent).find((t) => /FOCUS .* export/.test(t)) || ""),
    60000,
  ).catch(failShot("vscode-export-done.png"));
  await shot("vscode-export-done.png");
  console.log(JSON.stringify(result));
  await close();
})().catch((e) => {
  console.error(e);
  process.exit(2);
});
