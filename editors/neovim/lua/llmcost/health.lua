-- :checkhealth llmcost — is the server found, which version, is it attached.
local M = {}

function M.check()
  local health = vim.health
  local llmcost = require("llmcost")
  health.start("llm-cost")
  if vim.fn.has("nvim-0.10") == 1 then
    health.ok("Neovim " .. tostring(vim.version()))
  else
    health.error("Neovim 0.10 or newer is required (inlay hints)", { "Upgrade Neovim" })
  end

  local cmd, tried = llmcost.server_cmd()
  if not cmd then
    health.error("llmcost-lsp not found: " .. table.concat(tried or {}, "; "), {
      "pip install llm-cost (in the environment your project uses)",
      "or require('llmcost').setup({ python = '/path/to/venv/bin/python' })",
      "or require('llmcost').setup({ cmd = { '/path/to/llmcost-lsp' } })",
    })
    return
  end
  local version_cmd = vim.deepcopy(cmd)
  table.insert(version_cmd, "--version")
  local out = vim.fn.system(version_cmd)
  if vim.v.shell_error == 0 then
    health.ok("server found: " .. table.concat(cmd, " ") .. " (" .. vim.trim(out) .. ")")
  else
    health.error("server found but `--version` failed: " .. table.concat(version_cmd, " ") .. ": " .. vim.trim(out))
  end

  local clients = vim.lsp.get_clients({ name = "llmcost" })
  if #clients == 0 then
    health.info("no llm-cost client running (open a prompt file or llm-cost.toml)")
  end
  for _, client in ipairs(clients) do
    local info = client.server_info or {}
    health.ok(
      string.format(
        "client %d running: %s %s, root %s",
        client.id,
        info.name or "?",
        info.version or "",
        client.root_dir or client.config.root_dir or "?"
      )
    )
  end
  health.info("scenario: " .. tostring(llmcost.config.settings.scenario or "base case"))
  health.info("server log: :lua vim.cmd.edit(vim.lsp.get_log_path())")
end

return M
