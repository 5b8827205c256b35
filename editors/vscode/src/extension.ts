// VS Code client for llmcost-lsp: starts the server, forwards settings, and maps command-palette
// commands to the server's workspace/executeCommand commands. All cost logic lives in the server.
import * as vscode from "vscode";
import {
  ExecuteCommandRequest,
  LanguageClient,
  ShowMessageNotification,
  ShowMessageParams,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
  TransportKind,
} from "vscode-languageclient/node";
import { FolderPrompts, PromptRow, PromptTree } from "./prompts";
import { showRendered, shown } from "./render";
import { locateServer, ServerCommand } from "./server";
import { StatusBar, Totals, totalsFrom } from "./status";

/** Source code languages whose LLM calls the server prices (docs/code-prompts.md). */
export const CODE_LANGUAGES = [
  "python",
  "typescript",
  "typescriptreact",
  "javascript",
  "javascriptreact",
];

/** Files the server is told about; it decides itself which of them are prompts. Source code
 * joins by language: VS Code adds our hints, hovers and fixes beside those of the user's own
 * Python/TypeScript servers, which keep every other feature. */
export const DOCUMENT_SELECTOR = [
  ...[
    "**/*.prompt",
    "**/*.prompt.md",
    "**/*.prompty",
    "**/*.prompt.yml",
    "**/*.prompt.yaml",
    "**/prompts/**",
    "**/llm-cost.toml",
  ].map((pattern) => ({ scheme: "file", pattern })),
  ...CODE_LANGUAGES.map((language) => ({ scheme: "file", language })),
];

/** Server command behind each palette command (the client's ids differ so the two never clash). */
const BASELINE = "baseline";

const SERVER_COMMANDS = {
  init: "llmcost.init",
  check: "llmcost.check",
  selectScenario: "llmcost.selectScenario",
  switchModel: "llmcost.switchModel",
  diff: "llmcost.diff",
  exportFocus: "llmcost.exportFocus",
  prompts: "llmcost.prompts",
  breakdown: "llmcost.breakdown",
} as const;

/** Where the scenario picked with 'llm-cost: Select scenario' is kept: this workspace's state
 * (never .vscode/settings.json, which would show up as a change in the repository). */
const SCENARIO_STATE = "llmcost.scenario";

let client: LanguageClient | undefined;
let server: ServerCommand | undefined;
let output: vscode.OutputChannel;
let status: StatusBar;
let quietChecks = 0;
let problem: string | undefined;
let state: vscode.Memento;
let tree: PromptTree;

/** What the extension exports: used by its own tests and by anyone scripting it. */
export interface LlmCostApi {
  client(): LanguageClient | undefined;
  server(): ServerCommand | undefined;
  totals(): Totals | undefined;
  ready(): Promise<void>;
  /** Why the server is not running, when it could not be found. */
  problem(): string | undefined;
  /** What 'llm-cost: Switch model' offers, without the quick pick. */
  switchActions(): Promise<vscode.CodeAction[]>;
  /** The scenario hints, diagnostics and totals use (null: the manifest's default). */
  scenario(): string | null;
  /** The "Prompts by cost" view. */
  promptTree(): PromptTree;
  /** The HTML of the rendered views ("breakdown", "diff") as last shown. */
  rendered(key: string): string | undefined;
}

function settings(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration("llmcost");
}

/** The scenario in effect: the one picked for this workspace, else the setting, else null. */
function currentScenario(): string | null {
  return state?.get<string>(SCENARIO_STATE) || settings().get<string>("scenario") || null;
}

/** The `llmcost` section as the server reads it (initializationOptions and workspace/configuration). */
function serverSettings(): Record<string, unknown> {
  const c = settings();
  return {
    scenario: currentScenario(),
    hints: {
      tokens: c.get<boolean>("hints.tokens", true),
      perCall: c.get<boolean>("hints.perCall", true),
      perMonth: c.get<boolean>("hints.perMonth", true),
    },
    compareModels: c.get<number>("compareModels", 3),
    debounceMs: c.get<number>("debounceMs", 150),
  };
}

function firstWorkspaceFolder(): vscode.Uri | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri;
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  const located = await locateServer(settings(), firstWorkspaceFolder());
  if (!located.ok) {
    server = undefined;
    status.notFound();
    output.appendLine("llmcost-lsp not found. Tried:\n  " + located.tried.join("\n  "));
    const install = "Copy install command";
    const configure = "Open settings";
    const message = located.badSetting
      ? `llm-cost: ${located.tried[located.tried.length - 1]}. Fix or clear the setting ` +
        `${located.badSetting} (the server installs with: pip install llm-cost).`
      : "llm-cost: the language server (llmcost-lsp) was not found. Install it with " +
        "`pip install llm-cost` in your project's Python environment, or set " +
        "`llmcost.server.python` or `llmcost.server.path`.";
    problem = message;
    // Not awaited: the message stays until dismissed, and start-up must not wait for that.
    void vscode.window.showErrorMessage(message, install, configure).then(async (picked) => {
      if (picked === install) await vscode.env.clipboard.writeText("pip install llm-cost");
      if (picked === configure) {
        await vscode.commands.executeCommand("workbench.action.openSettings", located.badSetting ?? "llmcost.server");
      }
    });
    return;
  }
  server = located.server;
  problem = undefined;
  server.args.push("--log-level", settings().get<string>("logLevel", "info"));
  output.appendLine(`starting ${server.command} ${server.args.join(" ")} (from ${server.source})`);
  const serverOptions: ServerOptions = {
    command: server.command,
    args: server.args,
    transport: TransportKind.stdio,
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    initializationOptions: serverSettings(),
    middleware: {
      // The server pulls the `llmcost` section: answer with what serverSettings() says, so the
      // scenario kept in workspace state (not a setting) survives every configuration change.
      workspace: {
        configuration: async (params, token, next) => {
          const answer = await next(params, token);
          if (!Array.isArray(answer)) return answer;
          return params.items.map((item, i) => (item.section === "llmcost" ? serverSettings() : answer[i]));
        },
      },
    },
    synchronize: {
      configurationSection: "llmcost",
      fileEvents: [
        vscode.workspace.createFileSystemWatcher("**/llm-cost.toml"),
        vscode.workspace.createFileSystemWatcher("**/*.{prompt,prompty,prompt.md,prompt.yml,prompt.yaml}"),
        vscode.workspace.createFileSystemWatcher("**/prompts/**"),
        vscode.workspace.createFileSystemWatcher("**/*.{py,ts,tsx,js,jsx,mjs,cjs,mts,cts}"),
      ],
    },
  };
  client = new LanguageClient("llmcost", "llm-cost", serverOptions, clientOptions);
  client.onDidChangeState((e) => {
    if (e.newState === State.Stopped) status.stopped();
  });
  context.subscriptions.push(client);
  await client.start();
  // llmcost.check always shows its summary; the status bar's own refreshes keep it quiet.
  client.onNotification(ShowMessageNotification.type, (params: ShowMessageParams) => {
    if (quietChecks > 0 && params.message.startsWith("llm-cost check:")) return;
    const show = [
      vscode.window.showErrorMessage,
      vscode.window.showWarningMessage,
      vscode.window.showInformationMessage,
    ][Math.min(Math.max(params.type, 1), 3) - 1];
    void show(params.message);
  });
  await refreshTotals();
}

function running(): LanguageClient | undefined {
  if (client?.state === State.Running) return client;
  void vscode.window.showErrorMessage(
    "llm-cost: the language server is not running. See 'llm-cost: Show server logs'.",
  );
  return undefined;
}

function serverHas(command: string): boolean {
  const cmds = client?.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
  return cmds.includes(command);
}

/** workspace/executeCommand on the server; undefined (after telling the user) when unavailable. */
async function execute(command: string, args: unknown[] = []): Promise<unknown> {
  const c = running();
  if (!c) return undefined;
  if (!serverHas(command)) {
    void vscode.window.showWarningMessage(
      `llm-cost: '${command}' is not available in this server version; upgrade llm-cost.`,
    );
    return undefined;
  }
  return c.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
}

/** The status-bar total, from llmcost.check (the one place the server reports the total). */
async function refreshTotals(): Promise<void> {
  if (client?.state !== State.Running || !serverHas(SERVER_COMMANDS.check)) return;
  quietChecks++;
  try {
    const result = await client.sendRequest(ExecuteCommandRequest.type, {
      command: SERVER_COMMANDS.check,
      arguments: [],
    });
    status.show(totalsFrom(result));
  } catch (err) {
    output.appendLine(`could not read the totals: ${String(err)}`);
  } finally {
    quietChecks--;
  }
  await tree.refresh();
}

/** Every prompt with its monthly cost (llmcost.prompts), for the view and the breakdown pick. */
async function loadPrompts(): Promise<FolderPrompts[] | undefined> {
  if (client?.state !== State.Running || !serverHas(SERVER_COMMANDS.prompts)) return undefined;
  try {
    const result = (await client.sendRequest(ExecuteCommandRequest.type, {
      command: SERVER_COMMANDS.prompts,
      arguments: [],
    })) as { folders?: FolderPrompts[] } | undefined;
    return result?.folders;
  } catch (err) {
    output.appendLine(`could not list the prompts: ${String(err)}`);
    return undefined;
  }
}

let refreshTimer: NodeJS.Timeout | undefined;
function refreshTotalsSoon(): void {
  if (refreshTimer) clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void refreshTotals(), 500);
}

let treeTimer: NodeJS.Timeout | undefined;
function refreshTreeSoon(): void {
  if (treeTimer) clearTimeout(treeTimer);
  treeTimer = setTimeout(() => void tree.refresh(), 500);
}

/** Scenario names: from the server when it lists them, else the manifest's [scenarios.NAME] tables. */
async function scenarioNames(): Promise<string[]> {
  const files = await vscode.workspace.findFiles("**/llm-cost.toml", "**/node_modules/**", 20);
  const names = new Set<string>([BASELINE]);
  for (const file of files) {
    const text = Buffer.from(await vscode.workspace.fs.readFile(file)).toString("utf8");
    for (const m of text.matchAll(/^\s*\[\s*scenarios\.("?)([^\]"]+)\1\s*\]/gm)) names.add(m[2].trim());
  }
  return [...names].sort();
}

/** Sets the scenario (the setting, and the server): an argument, or a quick pick of the manifest's. */
async function selectScenario(name?: string): Promise<string | undefined> {
  let picked = name;
  if (picked === undefined) {
    const current = currentScenario() || BASELINE;
    const choice = await vscode.window.showQuickPick(
      (await scenarioNames()).map((n) => ({ label: n, description: n === current ? "current" : undefined })),
      { title: "llm-cost: scenario for hints, diagnostics and the total", placeHolder: current },
    );
    if (choice === undefined) return undefined;
    picked = choice.label;
  }
  // Kept in this workspace's state (no file written into the repository); the command makes it
  // take effect at once, and the configuration middleware keeps answering it.
  await state.update(SCENARIO_STATE, picked);
  if (serverHas(SERVER_COMMANDS.selectScenario)) {
    await execute(SERVER_COMMANDS.selectScenario, [picked || BASELINE]);
  }
  await refreshTotals();
  return picked;
}

function codeOf(d: vscode.Diagnostic): string {
  return String(typeof d.code === "object" ? d.code.value : d.code);
}

/** The server's "Switch '<id>' to <model> (saves $X/mo)" quick fixes for every budget breach. */
async function switchActions(): Promise<vscode.CodeAction[]> {
  const actions: vscode.CodeAction[] = [];
  for (const [uri, diagnostics] of vscode.languages.getDiagnostics()) {
    for (const d of diagnostics.filter((d) => codeOf(d) === "budget-exceeded")) {
      // A breach shows on llm-cost.toml and on its prompt file; both offer the same fixes. Other
      // providers of a file (e.g. Markdown's) may throw: one file's failure must not hide the rest.
      let found: vscode.CodeAction[] = [];
      try {
        found =
          (await vscode.commands.executeCommand<vscode.CodeAction[]>(
            "vscode.executeCodeActionProvider",
            uri,
            d.range,
          )) ?? [];
      } catch (error) {
        output.appendLine(`code actions for ${uri.toString()} failed: ${String(error)}`);
      }
      actions.push(...found.filter((a) => a.edit && a.title.startsWith("Switch ")));
    }
  }
  return [...new Map(actions.map((a) => [a.title, a])).values()];
}

async function switchModel(): Promise<boolean> {
  const unique = await switchActions();
  if (unique.length === 0) {
    void vscode.window.showInformationMessage(
      "llm-cost: no budget breach a cheaper model would fix in the current scenario.",
    );
    return false;
  }
  const picked = await vscode.window.showQuickPick(
    unique.map((a) => ({ label: a.title, action: a })),
    { title: "llm-cost: switch a prompt over budget to a cheaper model (edits llm-cost.toml)" },
  );
  if (!picked) return false;
  const applied = await vscode.workspace.applyEdit(picked.action.edit!);
  refreshTotalsSoon();
  return applied;
}

/** The status bar's click: every prompt by monthly cost in a quick pick; picking one opens it. */
async function showBreakdown(): Promise<void> {
  await tree.refresh();
  const rows = tree.folders.flatMap((f) => tree.rows(tree.folders.indexOf(f)));
  if (rows.length === 0) {
    void vscode.window.showInformationMessage("llm-cost: no prompts found in this workspace.");
    return;
  }
  const total = status.totals ? ` — ${status.totals.monthlyText}/mo in all` : "";
  const picked = await vscode.window.showQuickPick(
    rows.map((r) => ({ label: r.id, description: describeRow(r), row: r })),
    { title: `llm-cost: monthly cost per prompt${total}`, matchOnDescription: true },
  );
  if (picked) await openPrompt(picked.row);
}

function describeRow(row: PromptRow): string {
  return tree.getTreeItem({ kind: "prompt", row }).description as string;
}

async function openPrompt(row: PromptRow): Promise<void> {
  const pos = new vscode.Position(row.line, 0);
  await vscode.window.showTextDocument(vscode.Uri.parse(row.uri), { selection: new vscode.Range(pos, pos) });
}

/** One prompt's breakdown, rendered: from a code lens ({folder, promptId}), the view's context
 * menu (a row), or the palette (the prompt at the cursor). */
async function showPromptBreakdown(arg?: { folder?: string; promptId?: string } | PromptRow): Promise<unknown> {
  let request: Record<string, unknown>;
  if (arg && "promptId" in arg && arg.promptId) request = { folder: arg.folder, promptId: arg.promptId };
  else if (arg && "id" in arg) request = { uri: arg.uri, promptId: arg.id };
  else {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return undefined;
    request = { uri: editor.document.uri.toString(), line: editor.selection.active.line };
  }
  const result = (await execute(SERVER_COMMANDS.breakdown, [request])) as
    | { promptId: string; markdown: string }
    | undefined;
  if (result) await showRendered("breakdown", `llm-cost: ${result.promptId}`, result.markdown);
  return result;
}

function register(context: vscode.ExtensionContext, id: string, fn: (...args: any[]) => unknown): void {
  context.subscriptions.push(vscode.commands.registerCommand(id, fn));
}

export async function activate(context: vscode.ExtensionContext): Promise<LlmCostApi> {
  output = vscode.window.createOutputChannel("llm-cost");
  status = new StatusBar("llm-cost.showBreakdown");
  state = context.workspaceState;
  tree = new PromptTree(loadPrompts);
  context.subscriptions.push(
    output,
    status,
    vscode.window.createTreeView("llmcost.prompts", { treeDataProvider: tree, showCollapseAll: false }),
  );
  void vscode.commands.executeCommand("setContext", "llmcost.promptOrder", tree.order);

  register(context, "llm-cost.init", async (target?: string) => {
    const active = vscode.window.activeTextEditor?.document.uri;
    const folder =
      (typeof target === "string" ? vscode.Uri.parse(target) : undefined) ??
      (active && vscode.workspace.getWorkspaceFolder(active)?.uri) ??
      firstWorkspaceFolder();
    if (!folder) {
      void vscode.window.showWarningMessage("llm-cost: open a folder first; llm-cost.toml goes at its root.");
      return undefined;
    }
    const result = await execute(SERVER_COMMANDS.init, [folder.toString()]);
    await refreshTotals();
    return result;
  });
  register(context, "llm-cost.check", async () => {
    const result = await execute(SERVER_COMMANDS.check);
    status.show(totalsFrom(result));
    if (result !== undefined) await vscode.commands.executeCommand("workbench.actions.view.problems");
    return result;
  });
  register(context, "llm-cost.selectScenario", selectScenario);
  // With arguments ([folderUri, promptId, modelId?]) it is the server's command; without, a pick.
  register(context, "llm-cost.switchModel", async (...args: unknown[]) =>
    args.length ? execute(SERVER_COMMANDS.switchModel, args) : switchModel(),
  );
  // Without arguments: the active file's folder against the default branch (the server's
  // default), shown rendered beside the editor (the server writes the markdown, we render it).
  register(context, "llm-cost.diff", async (...args: unknown[]) => {
    if (args.length) return execute(SERVER_COMMANDS.diff, args);
    const active = vscode.window.activeTextEditor?.document.uri;
    const folder = (active && vscode.workspace.getWorkspaceFolder(active)?.uri) ?? firstWorkspaceFolder();
    const options: Record<string, unknown> = { open: false };
    if (folder) options.folder = folder.toString();
    const result = (await execute(SERVER_COMMANDS.diff, [options])) as
      | { markdown?: string; headline?: string }
      | undefined;
    if (result?.markdown) await showRendered("diff", `llm-cost: ${result.headline ?? "cost diff"}`, result.markdown);
    await tree.refresh();
    return result;
  });
  // Without arguments: asks where to write (a save dialog), as any export does.
  register(context, "llm-cost.exportFocus", async (...args: unknown[]) => {
    if (args.length) return execute(SERVER_COMMANDS.exportFocus, args);
    const folder = firstWorkspaceFolder();
    const month = new Date().toISOString().slice(0, 7);
    const target = await vscode.window.showSaveDialog({
      title: "llm-cost: export the estimate as FOCUS CSV",
      defaultUri: folder ? vscode.Uri.joinPath(folder, `llm-cost-focus-${month}.csv`) : undefined,
      filters: { "FOCUS CSV": ["csv"] },
      saveLabel: "Export",
    });
    if (!target) return undefined;
    return execute(SERVER_COMMANDS.exportFocus, [{ uri: target.toString() }]);
  });
  register(context, "llm-cost.showPromptBreakdown", showPromptBreakdown);
  register(context, "llm-cost.openPrompt", openPrompt);
  register(context, "llm-cost.refreshPrompts", () => tree.refresh());
  register(context, "llm-cost.sortPromptsByCost", () => tree.sortBy("cost"));
  register(context, "llm-cost.sortPromptsByName", () => tree.sortBy("name"));
  register(context, "llm-cost.showBreakdown", showBreakdown);
  register(context, "llm-cost.showLogs", () => output.show(true));
  register(context, "llm-cost.restartServer", async () => {
    if (client) {
      await client.stop().catch(() => undefined);
      client.dispose();
      client = undefined;
    }
    await startClient(context);
  });

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration("llmcost.server") || e.affectsConfiguration("llmcost.logLevel")) {
        await vscode.commands.executeCommand("llm-cost.restartServer");
      } else if (e.affectsConfiguration("llmcost")) {
        refreshTotalsSoon();
      }
    }),
    vscode.workspace.onDidSaveTextDocument(() => refreshTotalsSoon()),
    // the server publishes after every change it applied: the view follows the figures
    vscode.languages.onDidChangeDiagnostics(() => refreshTreeSoon()),
  );

  const started = startClient(context).catch((err) => {
    output.appendLine(`llm-cost: the language server failed to start: ${String(err)}`);
    status.stopped();
  });
  return {
    client: () => client,
    server: () => server,
    totals: () => status.totals,
    ready: () => started,
    switchActions,
    problem: () => problem,
    scenario: currentScenario,
    promptTree: () => tree,
    rendered: (key: string) => shown.get(key),
  };
}

export async function deactivate(): Promise<void> {
  if (client) await client.stop();
}
