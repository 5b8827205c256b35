// Finds the llm-cost language server: the llmcost.server.path setting, then a Python interpreter
// (llmcost.server.python, else the Python extension's selection) running `-m llmcost_lsp`, then
// `llmcost-lsp` on PATH. Returns why each candidate was rejected so the error message can say.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as vscode from "vscode";

export interface ServerCommand {
  command: string;
  args: string[];
  /** How it was found, for the log and the status-bar tooltip. */
  source: string;
}

/** Not found: what was tried, and whether a setting the user made is the culprit. */
export type Located =
  | { ok: true; server: ServerCommand }
  | { ok: false; tried: string[]; badSetting?: string };

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The first executable called `name` on PATH (with Windows extensions), or undefined. */
export function onPath(name: string, envPath = process.env.PATH ?? ""): string | undefined {
  const exts = process.platform === "win32" ? (process.env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";") : [""];
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

/** True when `python` can import the server package (a quick subprocess, no server start). */
function pythonHasServer(python: string): boolean {
  const probe = spawnSync(python, ["-c", "import llmcost_lsp.server"], { timeout: 15000 });
  return probe.status === 0;
}

async function pythonFromExtension(resource?: vscode.Uri): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension("ms-python.python");
  if (!ext) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    const env = api?.environments;
    if (env?.getActiveEnvironmentPath) {
      const active = env.getActiveEnvironmentPath(resource);
      const resolved = env.resolveEnvironment ? await env.resolveEnvironment(active) : undefined;
      return resolved?.executable?.uri?.fsPath ?? active?.path;
    }
    const details = api?.settings?.getExecutionDetails?.(resource);
    return details?.execCommand?.[0];
  } catch {
    return undefined;
  }
}

function expandHome(p: string): string {
  return p.startsWith("~") ? path.join(process.env.HOME ?? "", p.slice(1)) : p;
}

export async function locateServer(
  config: vscode.WorkspaceConfiguration,
  resource?: vscode.Uri,
): Promise<Located> {
  const tried: string[] = [];
  const extra = config.get<string[]>("server.args") ?? [];

  const explicit = (config.get<string>("server.path") ?? "").trim();
  if (explicit) {
    const file = expandHome(explicit);
    if (isExecutable(file)) {
      return { ok: true, server: { command: file, args: extra, source: "setting llmcost.server.path" } };
    }
    // An explicit setting that is wrong is an error, not a reason to run some other server.
    tried.push(`llmcost.server.path = ${explicit}: not an executable file`);
    return { ok: false, tried, badSetting: "llmcost.server.path" };
  }

  const viaPython = (python: string, source: string): Located => ({
    ok: true,
    server: { command: python, args: ["-m", "llmcost_lsp", ...extra], source: `${source} (${python})` },
  });
  const configured = (config.get<string>("server.python") ?? "").trim();
  if (configured) {
    const python = expandHome(configured);
    if (pythonHasServer(python)) return viaPython(python, "setting llmcost.server.python");
    tried.push(`llmcost.server.python = ${configured}: cannot run it or import llmcost_lsp with it`);
    return { ok: false, tried, badSetting: "llmcost.server.python" };
  }
  const selected = await pythonFromExtension(resource);
  if (selected) {
    if (pythonHasServer(selected)) return viaPython(selected, "the Python extension's interpreter");
    tried.push(`the Python extension's interpreter ${selected}: cannot import llmcost_lsp`);
  }

  const found = onPath("llmcost-lsp");
  if (found) return { ok: true, server: { command: found, args: extra, source: `PATH (${found})` } };
  tried.push("llmcost-lsp: not on PATH");
  return { ok: false, tried };
}
