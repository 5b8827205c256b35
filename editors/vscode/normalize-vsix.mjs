// Rewrites a .vsix (a zip) with every entry's time fixed, so the same sources give the same bytes:
// vsce stamps generated entries with the current time. Uses vsce's own zip libraries.
// Usage: node normalize-vsix.mjs llm-cost.vsix   (SOURCE_DATE_EPOCH overrides the fixed time)
import { createWriteStream, renameSync } from "fs";
import { createRequire } from "module";

const require = createRequire(import.meta.url);
const yauzl = require("yauzl");
const yazl = require("yazl");

const file = process.argv[2];
const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? 315532800); // 1980-01-01, zip's first date
const mtime = new Date(epoch * 1000);

function readEntries(path) {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      const entries = [];
      zip.on("entry", (entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e) return reject(e);
          const chunks = [];
          stream.on("data", (c) => chunks.push(c));
          stream.on("end", () => {
            entries.push({ name: entry.fileName, data: Buffer.concat(chunks) });
            zip.readEntry();
          });
        });
      });
      zip.on("end", () => resolve(entries));
      zip.readEntry();
    });
  });
}

const entries = await readEntries(file);
const out = new yazl.ZipFile();
for (const { name, data } of entries) out.addBuffer(data, name, { mtime, mode: 0o100644 });
out.end();
await new Promise((resolve, reject) =>
  out.outputStream.pipe(createWriteStream(file + ".tmp")).on("close", resolve).on("error", reject),
);
renameSync(file + ".tmp", file);
