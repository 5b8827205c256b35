-- The llm-cost language server for Neovim 0.11+'s vim.lsp.config: with this plugin on
-- 'runtimepath', `vim.lsp.enable("llmcost")` is enough (setup() is optional; its options
-- override these). The server argv: `llmcost-lsp` on PATH, else `python -m llmcost_lsp`
-- ($VIRTUAL_ENV's python or python3); see :checkhealth llmcost.
local config = require("llmcost").lsp_config()
if config == nil then
  -- not found (already reported): a config that never attaches, instead of an error per buffer
  return { cmd = { "llmcost-lsp" }, root_dir = function() end }
end
return config
