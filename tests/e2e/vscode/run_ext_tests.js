// node run_ext_tests.js <base-url> <workspace> <extension-dir> <tests-module>
// Runs the extension's own tests inside code-server's (node) extension host through the web
// workbench's `payload` URL parameter; the workbench calls window.codeAutomationExit(code) at the end.
const { launch } = require("./browser");

(async () => {
  const [base, folder, devPath, testsPath] = process.argv.slice(2);
  const authority = new URL(base).host;
  const remote = (p) => `vscode-remote://${authority}${p}`;
  const payload = [
    ["extensionDevelopmentPath", remote(devPath)],
    ["extensionTestsPath", remote(testsPath)],
    ["skipWelcome", "true"],
  ];
  const url = `${base}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const { page, close } = await launch();
  page.on("console", (m) => {
    const text = m.text();
    if (text.includes("[ext-test]") || (m.type() === "error" && /llm-?cost|extension/i.test(text))) {
      console.log(`[browser:${m.type()}] ${text.replace(/^%c\s*\w+\s*color: #\w+\s*/, "").slice(0, 1500)}`);
    }
  });
  let done;
  const exited = new Promise((resolve) => (done = resolve));
  await page.exposeFunction("codeAutomationLog", () => undefined);
  await page.exposeFunction("codeAutomationExit", (code) => done(code));
  await page.goto(url);
  const timeoutMs = Number(process.env.E2E_EXT_TESTS_TIMEOUT_MS || 120000);
  const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r("timeout"), timeoutMs))]);
  console.log(`extension tests exit code: ${code}`);
  await close();
  process.exit(code === 0 ? 0 : 1);
})().catch((e) => {
  console.error(e);
  process.exit(2);
});
