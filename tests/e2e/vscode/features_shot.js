// node features_shot.js <base-url> <workspace> <fresh-workspace> <out-dir>
// What a person sees, in three screenshots (printed as JSON: the text read from the screen):
//  1. vscode-lens.png: support/triage.txt (a long first line) with the code lens above line 1;
//  2. vscode-prompts-view.png: the "Prompts by cost" view opened from the activity bar;
//  3. vscode-first-run-quickfix.png: a folder without llm-cost.toml, a prompt open, Ctrl+.
const { launch, openFile, workbench, screenshots } = require("./browser");

const lensText = (page) =>
  page.evaluate(() => [...document.querySelectorAll(".monaco-editor .codelens-decoration")].map((e) => e.textContent.replace(/\u00a0/g, " ")));

(async () => {
  const [base, workspace, fresh, outDir] = process.argv.slice(2);
  const { page, close } = await launch();
  const result = {};
  const { shot, failShot } = screenshots(page, outDir);

  // 1. the code lens above a long first line
  await workbench(page, `${base}/?folder=${workspace}`);
  await openFile(page, "triage.txt");
  await page
    .waitForFunction(
      () => [...document.querySelectorAll(".monaco-editor .codelens-decoration")].some((e) => /\/mo/.test(e.textContent)),
      null,
      { timeout: 90000 },
    )
    .catch(failShot("vscode-lens.png"));
  await page.waitForTimeout(500);
  result.lens = (await lensText(page)).find((t) => /\/mo/.test(t));
  await shot("vscode-lens.png");

  // 2. the prompts view, from the activity bar
  await page.click('.activitybar .action-label[aria-label^="llm-cost"]').catch(failShot("vscode-prompts-view.png"));
  await page
    .waitForFunction(
      () => [...document.querySelectorAll(".sidebar .monaco-list-row")].filter((r) => /\$[\d,]+\.\d\d\/mo/.test(r.textContent)).length >= 4,
      null,
      { timeout: 30000 },
    )
    .catch(failShot("vscode-prompts-view.png"));
  await page.waitForTimeout(500);
  result.view = await page.evaluate(() =>
    [...document.querySelectorAll(".sidebar .monaco-list-row")]
      .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
      .map((r) => r.textContent.replace(/\u00a0/g, " "))
      .join("\n"),
  );
  await shot("vscode-prompts-view.png");

  // 3. a repository without llm-cost.toml: Ctrl+. on a prompt
  await workbench(page, `${base}/?folder=${fresh}`);
  await openFile(page, "classify.prompt");
  await page
    .waitForFunction(() => [...document.querySelectorAll(".monaco-editor .codelens-decoration")].some((e) => /llm-cost|\/mo/.test(e.textContent)), null, {
      timeout: 90000,
    })
    .catch(failShot("vscode-first-run-quickfix.png"));
  await page.click(".monaco-editor .view-lines");
  await page.keyboard.press("Control+Home");
  await page.keyboard.press("Control+.");
  await page
    .waitForFunction(() => /Create llm-cost\.toml/.test(document.querySelector(".action-widget")?.textContent || ""), null, {
      timeout: 30000,
    })
    .catch(failShot("vscode-first-run-quickfix.png"));
  await page.waitForTimeout(500);
  result.quickFixMenu = await page.evaluate(() => document.querySelector(".action-widget")?.textContent || "");
  result.statusBar = await page.evaluate(() =>
    [...document.querySelectorAll(".statusbar-item")].map((e) => e.textContent.trim()).filter(Boolean),
  );
  await shot("vscode-first-run-quickfix.png");
  console.log(JSON.stringify(result));
  await close();
})().catch((e) => {
  console.error(e);
  process.exit(2);
});
