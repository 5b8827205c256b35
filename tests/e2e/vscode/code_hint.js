// node code_hint.js <url> <file-to-open> <line-substring> <hint-substring> <out.png>
// Opens a source file through Quick Open in code-server and waits until the editor line that
// contains <line-substring> (an LLM call) also shows an inlay hint containing <hint-substring>.
// Prints {visible, line, lines} as JSON (the rendered text of that line and of every line with
// a hint) and saves a screenshot.
const { launch, openFile } = require("./browser");

(async () => {
  const [url, fileName, lineText, hintText, out] = process.argv.slice(2);
  const { page, close } = await launch();
  const t0 = Date.now();
  await page.goto(url, { waitUntil: "domcontentloaded" });
  await page.waitForSelector(".monaco-workbench", { timeout: 60000 });
  await page.waitForTimeout(1500);
  await openFile(page, fileName);
  const rendered = () =>
    page.evaluate(() =>
      [...document.querySelectorAll(".monaco-editor .view-lines .view-line")]
        .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
        .map((l) => l.textContent.replace(/\u00a0/g, " ")),
    );
  const visible = await page
    .waitForFunction(
      ([line, hint]) =>
        [...document.querySelectorAll(".monaco-editor .view-lines .view-line")].some((l) => {
          const text = l.textContent.replace(/\u00a0/g, " ");
          return text.includes(line) && text.includes(hint);
        }),
      [lineText, hintText],
      { timeout: 90000 },
    )
    .then(() => true, () => false);
  const lines = await rendered();
  await page.waitForTimeout(visible ? 500 : 0);
  await page.screenshot({ path: out });
  const line = lines.find((l) => l.includes(lineText)) || null;
  console.log(JSON.stringify({ visible, line, lines: lines.filter((l) => l.includes(" tok · ")), ms: Date.now() - t0 }));
  await close();
  process.exit(visible ? 0 : 1);
})().catch((e) => {
  console.error(e);
  process.exit(2);
});
