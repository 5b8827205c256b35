-- Loaded at startup: the :LlmCost* commands and the prompt filetypes (a `.prompt` file needs
-- one for vim.lsp.enable to attach). Starting the server is up to setup() or
-- vim.lsp.enable("llmcost") (lsp/llmcost.lua).
if vim.g.loaded_llmcost then
  return
end
vim.g.loaded_llmcost = true
require("llmcost").bootstrap()
