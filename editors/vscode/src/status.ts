// The status-bar item: the workspace's monthly total (from the server's llmcost.check result);
// clicking it opens the per-prompt breakdown (the server's inlay hints on llm-cost.toml).
import * as vscode from "vscode";

export interface FolderTotal {
  root: string;
  monthly: string;
  scenario: string;
  errors: number;
  /** "105 prompts found: 24 estimated, …; 53 files skipped" (the CLI's last line). */
  coverage: string;
}

export interface Totals {
  /** Sum over the workspace folders, USD per month. */
  monthly: number;
  folders: FolderTotal[];
}

/** The totals in an `llmcost.check` result ({folders: [{root, scenario, monthlyUsd, issues}]}). */
export function totalsFrom(value: unknown): Totals | undefined {
  const folders = (value as { folders?: unknown } | undefined)?.folders;
  if (!Array.isArray(folders)) return undefined;
  const rows: FolderTotal[] = [];
  for (const f of folders) {
    if (!f || typeof f.monthlyUsd !== "string" || !Number.isFinite(Number(f.monthlyUsd))) continue;
    const issues: Array<{ severity?: string }> = Array.isArray(f.issues) ? f.issues : [];
    rows.push({
      root: String(f.root ?? ""),
      monthly: f.monthlyUsd,
      scenario: String(f.scenario ?? ""),
      errors: issues.filter((i) => i.severity === "error").length,
      coverage: typeof f.coverageLine === "string" ? f.coverageLine : "",
    });
  }
  if (rows.length === 0) return undefined;
  return { monthly: rows.reduce((sum, r) => sum + Number(r.monthly), 0), folders: rows };
}

/** "$1,234/mo" with cents below $100, whole dollars above. */
export function formatMonthly(usd: number): string {
  const digits = Math.abs(usd) < 100 ? 2 : 0;
  return `$${usd.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })}/mo`;
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
    this.item.text = `$(graph) ${formatMonthly(totals.monthly)}`;
    const lines = totals.folders.map(
      (f) => `${f.root}: ${formatMonthly(Number(f.monthly))} (scenario ${f.scenario})` +
        (f.errors ? `, ${f.errors} budget/policy error(s)` : "") +
        (f.coverage ? `\n${f.coverage}` : ""),
    );
    this.item.tooltip = `llm-cost monthly total\n${lines.join("\n")}\nClick for the per-prompt breakdown.`;
    this.item.backgroundColor = totals.folders.some((f) => f.errors > 0)
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

export interface BreakdownRow {
  id: string;
  label: string;
  monthly: number | undefined;
  uri: vscode.Uri;
  line: number;
}

/** One row per `[prompts.<id>]` of each llm-cost.toml, with the server's hint for it. */
export async function breakdownRows(): Promise<BreakdownRow[]> {
  const rows: BreakdownRow[] = [];
  for (const uri of await vscode.workspace.findFiles("**/llm-cost.toml", "**/node_modules/**", 20)) {
    const doc = await vscode.workspace.openTextDocument(uri);
    const hints =
      (await vscode.commands.executeCommand<vscode.InlayHint[]>(
        "vscode.executeInlayHintProvider",
        uri,
        new vscode.Range(0, 0, doc.lineCount, 0),
      )) ?? [];
    for (const hint of hints) {
      const line = doc.lineAt(hint.position.line).text;
      const m = line.match(/^\s*\[\s*prompts\.(?:"([^"]+)"|([^\]\s]+))\s*\]/);
      if (!m) continue;
      const label = typeof hint.label === "string" ? hint.label : hint.label.map((p) => p.value).join("");
      const monthly = label.match(/\$([\d,]+(?:\.\d+)?)\/mo/);
      rows.push({
        id: m[1] ?? m[2],
        label,
        monthly: monthly ? Number(monthly[1].replace(/,/g, "")) : undefined,
        uri,
        line: hint.position.line,
      });
    }
  }
  return rows.sort((a, b) => (b.monthly ?? -1) - (a.monthly ?? -1));
}
