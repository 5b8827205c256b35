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
import { locateServer, ServerCommand } from "./server";
import { breakdownRows, formatMonthly, StatusBar, Totals, totalsFrom } from "./status";

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
} as const;

let client: LanguageClient | undefined;
let server: ServerCommand | undefined;
let output: vscode.OutputChannel;
let status: StatusBar;
let quietChecks = 0;
let problem: string | undefined;

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
}

function settings(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration("llmcost");
}

/** The `llmcost` section as the server reads it (initializationOptions and workspace/configuration). */
function serverSettings(): Record<string, unknown> {
  const c = settings();
  return {
    scenario: c.get<string>("scenario") || null,
    hints: {
      tokens: c.get<boolean>("hints.tokens", true),
      perCall: c.get<boolean>("hints.perCall", true),
      perMonth: c.get<boolean>("hints.perMonth", true),
    },
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
}

let refreshTimer: NodeJS.Timeout | undefined;
function refreshTotalsSoon(): void {
  if (refreshTimer) clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void refreshTotals(), 500);
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
    const current = settings().get<string>("scenario") || BASELINE;
    const choice = await vscode.window.showQuickPick(
      (await scenarioNames()).map((n) => ({ label: n, description: n === current ? "current" : undefined })),
      { title: "llm-cost: scenario for hints, diagnostics and the total", placeHolder: current },
    );
    if (choice === undefined) return undefined;
    picked = choice.label;
  }
  // The workspace setting persists the choice; the server also hears it through
  // didChangeConfiguration, and the command makes it take effect at once.
  await settings().update("scenario", picked === BASELINE ? "" : picked, vscode.ConfigurationTarget.Workspace);
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

async function showBreakdown(): Promise<void> {
  const rows = await breakdownRows();
  if (rows.length === 0) {
    void vscode.window.showInformationMessage(
      "llm-cost: no prompts in llm-cost.toml yet. Run 'llm-cost: Initialize manifest'.",
    );
    return;
  }
  const total = status.totals ? ` — ${formatMonthly(status.totals.monthly)} in all` : "";
  const picked = await vscode.window.showQuickPick(
    rows.map((r) => ({ label: r.id, description: r.label, row: r })),
    { title: `llm-cost: monthly cost per prompt${total}`, matchOnDescription: true },
  );
  if (!picked) return;
  const pos = new vscode.Position(picked.row.line, 0);
  await vscode.window.showTextDocument(picked.row.uri, { selection: new vscode.Range(pos, pos) });
}

function register(context: vscode.ExtensionContext, id: string, fn: (...args: any[]) => unknown): void {
  context.subscriptions.push(vscode.commands.registerCommand(id, fn));
}

export async function activate(context: vscode.ExtensionContext): Promise<LlmCostApi> {
  output = vscode.window.createOutputChannel("llm-cost");
  status = new StatusBar("llm-cost.showBreakdown");
  context.subscriptions.push(output, status);

  register(context, "llm-cost.init", async () => {
    const active = vscode.window.activeTextEditor?.document.uri;
    const folder = (active && vscode.workspace.getWorkspaceFolder(active)?.uri) ?? firstWorkspaceFolder();
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
  // Without arguments: the active file's folder against the default branch (the server's default).
  register(context, "llm-cost.diff", async (...args: unknown[]) => {
    if (args.length) return execute(SERVER_COMMANDS.diff, args);
    const active = vscode.window.activeTextEditor?.document.uri;
    const folder = active && vscode.workspace.getWorkspaceFolder(active)?.uri;
    return execute(SERVER_COMMANDS.diff, folder ? [{ folder: folder.toString() }] : []);
  });
  register(context, "llm-cost.exportFocus", async (...args: unknown[]) =>
    execute(SERVER_COMMANDS.exportFocus, args),
  );
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
  };
}

export async function deactivate(): Promise<void> {
  if (client) await client.stop();
}
