// node open_report.js <report.html> <out.png>
// Opens the HTML report from disk in headless Chromium, records every request the page makes,
// measures the rendered charts, saves a full-page screenshot, and prints one JSON line.
const { launch } = require("../vscode/browser");

(async () => {
  const [file, out] = process.argv.slice(2);
  const { page, close } = await launch({ viewport: { width: 900, height: 900 } });
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  await page.goto("file://" + file, { waitUntil: "load" });
  const seen = await page.evaluate(() => {
    const box = (e) => { const r = e.getBoundingClientRect(); return { w: r.width, h: r.height }; };
    return {
      title: document.title,
      sections: [...document.querySelectorAll("h2")].map((h) => h.textContent),
      charts: [...document.querySelectorAll("section svg")].map(box),
      bars: [...document.querySelectorAll("rect.bar")].map((r) => r.getBoundingClientRect().width),
      budgets: [...document.querySelectorAll("rect.budget")].map((r) => r.getAttribute("class")),
      height: document.body.scrollHeight,
    };
  });
  await page.screenshot({ path: out, fullPage: true });
  await close();
  console.log(JSON.stringify({ ...seen, requests, errors }));
})().catch((e) => { console.error(e); process.exit(1); });
