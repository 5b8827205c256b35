// The status-bar item: the workspace's monthly total (from the server's llmcost.check result);
// clicking it opens the per-prompt list. Red only for a budget or limit breach; `?/mo` while no
// prompt has a monthly cost (unknown, never $0.00); a folder without llm-cost.toml says so.
// Money is the server's text (`monthlyText`): the extension formats no amount of its own.
import * as vscode from "vscode";

export interface FolderTotal {
  root: string;
  monthly: string;
  /** The server's text for the total: "$1,481.80", "at least $32.80" or "?". */
  monthlyText: string;
  scenario: string;
  /** Budget and limit breaches (the findings that make the item red). */
  breaches: number;
  /** No prompt has a monthly cost: the total is unknown, not $0. */
  unknown: boolean;
  hasManifest: boolean;
  /** "105 prompts found: 24 estimated, …; 53 files skipped" (the CLI's last line). */
  coverage: string;
}

export interface Totals {
  /** Sum over the workspace folders, USD per month. */
  monthly: number;
  /** The same as the server writes it (the one money formatter). */
  monthlyText: string;
  folders: FolderTotal[];
}

/** Findings that are a budget or limit breach: only these turn the status bar red. */
export const BREACH = /(^|-)budget-exceeded$|^per-call-limit$|^forbidden-model$/;

/** The totals in an `llmcost.check` result ({folders: [{root, scenario, monthlyUsd, issues}]}). */
export function totalsFrom(value: unknown): Totals | undefined {
  const folders = (value as { folders?: unknown } | undefined)?.folders;
  if (!Array.isArray(folders)) return undefined;
  const rows: FolderTotal[] = [];
  for (const f of folders) {
    if (!f || typeof f.monthlyUsd !== "string" || !Number.isFinite(Number(f.monthlyUsd))) continue;
    const issues: Array<{ severity?: string; code?: string }> = Array.isArray(f.issues) ? f.issues : [];
    rows.push({
      root: String(f.root ?? ""),
      monthly: f.monthlyUsd,
      monthlyText: typeof f.monthlyText === "string" ? f.monthlyText : "?",
      scenario: String(f.scenario ?? ""),
      breaches: issues.filter((i) => i.severity === "error" && BREACH.test(String(i.code))).length,
      unknown: f.monthlyUnknown === true,
      hasManifest: f.hasManifest !== false,
      coverage: typeof f.coverageLine === "string" ? f.coverageLine : "",
    });
  }
  if (rows.length === 0) return undefined;
  const all = (value as { monthlyText?: unknown }).monthlyText;
  return {
    monthly: rows.reduce((sum, r) => sum + Number(r.monthly), 0),
    monthlyText: typeof all === "string" ? all : "?",
    folders: rows,
  };
}

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  totals: Totals | undefined;

  constructor(private readonly breakdownCommand: string) {
    this.item = vscode.window.createStatusBarItem("llmcost.total", vscode.StatusBarAlignment.Left, 50);
    this.item.name = "llm-cost monthly total";
    this.item.command = breakdownCommand;
    this.item.text = "$(sync~spin) llm-cost";
    this.item.tooltip = "llm-cost: starting the language server";
    this.item.show();
  }

  show(totals: Totals | undefined): void {
    if (!totals) return;
    this.totals = totals;
    this.item.command = this.breakdownCommand;
    const setup = totals.folders.some((f) => !f.hasManifest);
    this.item.text = `$(graph) ${totals.monthlyText}/mo` + (setup ? " · set up llm-cost.toml" : "");
    const lines = totals.folders.map(
      (f) => `${f.root}: ${f.unknown ? "?/mo (no prompt has a monthly cost yet)" : `${f.monthlyText}/mo`} (scenario ${f.scenario})` +
        (f.breaches ? `, ${f.breaches} budget/limit breach(es)` : "") +
        (f.hasManifest ? "" : ", no llm-cost.toml: 'llm-cost: Initialize manifest' creates it") +
        (f.coverage ? `\n${f.coverage}` : ""),
    );
    this.item.tooltip = `llm-cost monthly total\n${lines.join("\n")}\nClick for every prompt by monthly cost.`;
    this.item.backgroundColor = totals.folders.some((f) => f.breaches > 0)
      ? new vscode.ThemeColor("statusBarItem.errorBackground")
      : undefined;
  }

  notFound(): void {
    this.item.text = "$(warning) llm-cost";
    this.item.tooltip = "llm-cost: llmcost-lsp not found. Click for details.";
    this.item.command = "llm-cost.showLogs";
    this.item.backgroundColor = new vscode.ThemeColor("statusBarItem.warningBackground");
  }

  stopped(): void {
    this.item.text = "$(debug-disconnect) llm-cost";
    this.item.tooltip = "llm-cost: the language server stopped. Click for the logs.";
    this.item.command = "llm-cost.showLogs";
  }

  dispose(): void {
    this.item.dispose();
  }
}
