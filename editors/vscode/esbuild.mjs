// Bundles the extension (and, for the in-editor tests, the test module) with esbuild.
import * as esbuild from "esbuild";
import { copyFileSync, mkdirSync } from "fs";

const production = process.argv.includes("--production");
const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  external: ["vscode"],
  sourcemap: !production,
  minify: production,
  logLevel: "warning",
};
await esbuild.build({ ...common, entryPoints: ["src/extension.ts"], outfile: "dist/extension.js" });
await esbuild.build({ ...common, entryPoints: ["test/index.ts"], outfile: "out/test/index.js" });
// The manifest's JSON Schema, for Even Better TOML (package.json `tomlValidation`).
mkdirSync("schema", { recursive: true });
copyFileSync("../../docs/schema/llm-cost.schema.json", "schema/llm-cost.schema.json");
