// The "Prompts by cost" view: every prompt of the workspace with its monthly cost and budget,
// from the server's llmcost.prompts command. Sorted by cost (highest first) or by name; a
// folder without llm-cost.toml shows the one action that sets it up first. Every amount is the
// server's text (the one money formatter); the figures are read only to sort.
import * as vscode from "vscode";

export interface PromptRow {
  id: string;
  path: string;
  uri: string;
  line: number;
  model: string | null;
  monthlyUsd: string | null;
  perCallUsd: string | null;
  inputTokens: number | null;
  tokensExact: boolean | null;
  budgetMonthlyUsd: string | null;
  budgetShare: string | null;
  state: "over-budget" | "near-budget" | "ok" | "unknown-volume" | "no-estimate";
  reason: string | null;
  delta: string | null;
  /** The server's texts for the amounts above ("$1,322.50", "$0.00529", "?"): shown as they are. */
  monthlyText: string;
  perCallText: string | null;
  budgetText: string | null;
}

export interface FolderPrompts {
  root: string;
  uri: string;
  scenario: string;
  hasManifest: boolean;
  monthlyUsd: string;
  monthlyUnknown: boolean;
  monthlyText: string;
  prompts: PromptRow[];
}

export type SortOrder = "cost" | "name";

/** What a row says after its id: monthly first, then the budget share, then the delta. */
export function describe(row: PromptRow): string {
  if (row.state === "no-estimate") return `no estimate: ${row.reason ?? "?"}`;
  const parts = [`${row.monthlyText}/mo`];
  if (row.budgetText !== null) {
    const share = row.budgetShare !== null ? `${Math.round(Number(row.budgetShare) * 100)}% of ` : "";
    parts.push(`${share}${row.budgetText} budget`);
  }
  if (row.model) parts.push(row.model);
  if (row.delta) parts.push(row.delta);
  return parts.join(" · ");
}

export function sortRows(rows: PromptRow[], order: SortOrder): PromptRow[] {
  const copy = [...rows];
  if (order === "name") return copy.sort((a, b) => a.id.localeCompare(b.id));
  // unknown monthly costs last: never ranked as $0
  const cost = (r: PromptRow) => (r.monthlyUsd === null ? -1 : Number(r.monthlyUsd));
  return copy.sort((a, b) => cost(b) - cost(a) || a.id.localeCompare(b.id));
}

const ICONS: Record<PromptRow["state"], [string, string | undefined]> = {
  "over-budget": ["error", "errorForeground"],
  "near-budget": ["warning", "editorWarning.foreground"],
  ok: ["pass", undefined],
  "unknown-volume": ["question", undefined],
  "no-estimate": ["circle-slash", "disabledForeground"],
};

type Node = { kind: "folder"; folder: FolderPrompts } | { kind: "prompt"; row: PromptRow } | { kind: "setup"; folder: FolderPrompts };

export class PromptTree implements vscode.TreeDataProvider<Node> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  folders: FolderPrompts[] = [];
  order: SortOrder = "cost";

  constructor(private readonly load: () => Promise<FolderPrompts[] | undefined>) {}

  async refresh(): Promise<void> {
    const loaded = await this.load();
    if (loaded) this.folders = loaded;
    this.changed.fire();
  }

  sortBy(order: SortOrder): void {
    this.order = order;
    void vscode.commands.executeCommand("setContext", "llmcost.promptOrder", order);
    this.changed.fire();
  }

  /** The rows in the order the view shows them (one folder), for tests and scripts. */
  rows(folder = 0): PromptRow[] {
    return this.folders[folder] ? sortRows(this.folders[folder].prompts, this.order) : [];
  }

  getChildren(node?: Node): Node[] {
    if (!node) {
      if (this.folders.length === 1) return this.folderChildren(this.folders[0]);
      return this.folders.map((folder) => ({ kind: "folder" as const, folder }));
    }
    return node.kind === "folder" ? this.folderChildren(node.folder) : [];
  }

  private folderChildren(folder: FolderPrompts): Node[] {
    const rows = sortRows(folder.prompts, this.order).map((row) => ({ kind: "prompt" as const, row }));
    return folder.hasManifest ? rows : [{ kind: "setup", folder }, ...rows];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === "folder") {
      const item = new vscode.TreeItem(
        vscode.Uri.parse(node.folder.uri).path.split("/").pop() ?? node.folder.root,
        vscode.TreeItemCollapsibleState.Expanded,
      );
      item.description = `${node.folder.monthlyText}/mo · scenario ${node.folder.scenario}`;
      return item;
    }
    if (node.kind === "setup") {
      const item = new vscode.TreeItem("Create llm-cost.toml", vscode.TreeItemCollapsibleState.None);
      item.description = "sets the models and volumes most prompts lack";
      item.iconPath = new vscode.ThemeIcon("add");
      item.command = { command: "llm-cost.init", title: "Create llm-cost.toml", arguments: [node.folder.uri] };
      return item;
    }
    const row = node.row;
    const item = new vscode.TreeItem(row.id, vscode.TreeItemCollapsibleState.None);
    item.description = describe(row);
    const [icon, color] = ICONS[row.state];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    item.tooltip = new vscode.MarkdownString(
      `**${row.id}** — ${row.path}\n\n${describe(row)}` +
        (row.perCallText ? `\n\nper call: ${row.perCallText} · ${row.inputTokens?.toLocaleString("en-US")} input tokens` : ""),
    );
    item.contextValue = "llmcost.prompt";
    item.command = {
      command: "llm-cost.openPrompt",
      title: "Open prompt",
      arguments: [row],
    };
    return item;
  }
}
