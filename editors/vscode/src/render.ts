// Markdown from the server shown rendered, in a webview panel (the breakdown of a prompt, the
// cost diff): rendered by VS Code's own markdown engine (`markdown.api.render`), so tables and
// <details> look as they do in a markdown preview.
import * as vscode from "vscode";

const panels = new Map<string, vscode.WebviewPanel>();
/** The HTML last shown per panel key (for the extension's tests). */
export const shown = new Map<string, string>();

export async function showRendered(key: string, title: string, markdown: string): Promise<void> {
  const body = await vscode.commands.executeCommand<string>("markdown.api.render", markdown);
  let panel = panels.get(key);
  if (!panel) {
    panel = vscode.window.createWebviewPanel(`llmcost.${key}`, title, vscode.ViewColumn.Beside, {
      enableScripts: false,
      enableFindWidget: true,
    });
    panels.set(key, panel);
    panel.onDidDispose(() => panels.delete(key));
  }
  panel.title = title;
  panel.webview.html = page(title, body);
  shown.set(key, panel.webview.html);
  panel.reveal(vscode.ViewColumn.Beside, true);
}

function page(title: string, body: string): string {
  const csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:;";
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>${title.replace(/[<&]/g, "")}</title>
<style>
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 1em; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid var(--vscode-editorWidget-border, #8884); padding: 2px 8px; }
td:nth-child(n+2) { font-variant-numeric: tabular-nums; }
code { font-family: var(--vscode-editor-font-family); }
</style></head><body>${body}</body></html>`;
}
