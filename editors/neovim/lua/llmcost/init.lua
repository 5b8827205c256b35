-- llm-cost for Neovim: starts llmcost-lsp for prompt files and llm-cost.toml, turns its inlay
-- hints on, and maps user commands to the server's commands. The cost logic is all in the server.
local M = {}

local NAME = "llmcost"

M.defaults = {
  -- argv of the server; nil: `llmcost-lsp` on PATH, else `<python> -m llmcost_lsp`.
  cmd = nil,
  -- Python with llm-cost installed, used when `cmd` is nil and llmcost-lsp is not on PATH.
  python = nil,
  -- Lua patterns (matched against the full path) of the files the server is started for.
  patterns = {
    "%.prompt$",
    "%.prompt%.md$",
    "%.prompty$",
    "%.prompt%.ya?ml$",
    "/prompts/",
    "/llm%-cost%.toml$",
  },
  -- Source code whose LLM calls the server prices (docs/code-prompts.md); false: prompt files only.
  code = true,
  code_patterns = { "%.py$", "%.pyi$", "%.[cm]?[jt]sx?$" },
  root_markers = { "llm-cost.toml", ".git" },
  inlay_hints = true,
  -- Code lenses (monthly cost first) as virtual text; off by default: the inlay hint already
  -- shows the whole figure at the end of the line in Neovim.
  codelens = false,
  -- The `llmcost` settings section, sent as initializationOptions and workspace/configuration.
  settings = {
    scenario = nil, -- a [scenarios.NAME] from llm-cost.toml or "baseline"; nil: the manifest's default
    hints = { tokens = true, perCall = true, perMonth = true },
    compareModels = 3, -- cheaper models offered in hovers, breakdowns and quick fixes
    debounceMs = 150, -- delay after the last keystroke before figures are recomputed
  },
  -- Server log level (error, warning, info, debug); the log is in :LspLog.
  log_level = "info",
  -- Register with vim.lsp.config/enable (nil: when Neovim has them, 0.11+); false: vim.lsp.start.
  use_lsp_enable = nil,
  -- Extra fields merged into the client config (capabilities, on_attach, handlers, ...).
  lsp = {},
}

M.config = vim.deepcopy(M.defaults)

local has_011 = vim.fn.has("nvim-0.11") == 1

local function notify(msg, level)
  vim.notify("llm-cost: " .. msg, level or vim.log.levels.INFO)
end

local function executable(path)
  return path ~= nil and path ~= "" and vim.fn.executable(path) == 1
end

--- The server's argv, or nil and the list of what was tried.
function M.server_cmd()
  local cfg = M.config
  if cfg.cmd then
    local cmd = type(cfg.cmd) == "string" and { cfg.cmd } or cfg.cmd
    if executable(cmd[1]) then
      return cmd
    end
    return nil, { "cmd = " .. vim.inspect(cmd) .. ": " .. tostring(cmd[1]) .. " is not executable" }
  end
  local tried = {}
  if executable("llmcost-lsp") then
    return { vim.fn.exepath("llmcost-lsp") }
  end
  table.insert(tried, "llmcost-lsp: not on PATH")
  local pythons = {}
  if cfg.python then
    table.insert(pythons, cfg.python)
  end
  local venv = vim.env.VIRTUAL_ENV
  if venv then
    table.insert(pythons, venv .. "/bin/python")
  end
  table.insert(pythons, "python3")
  for _, py in ipairs(pythons) do
    if executable(py) then
      vim.fn.system({ py, "-c", "import llmcost_lsp.server" })
      if vim.v.shell_error == 0 then
        return { py, "-m", "llmcost_lsp" }
      end
      table.insert(tried, py .. ": cannot import llmcost_lsp")
    else
      table.insert(tried, py .. ": not executable")
    end
  end
  return nil, tried
end

--- True when the buffer's file is one the server should see.
function M.wants(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == "" or vim.bo[bufnr].buftype ~= "" then
    return false
  end
  name = name:gsub("\\", "/")
  for _, pat in ipairs(M.config.patterns) do
    if name:find(pat) then
      return true
    end
  end
  return M.is_code(bufnr)
end

--- True for a source-code buffer (Python, TypeScript, JavaScript) the server prices calls in.
function M.is_code(bufnr)
  if not M.config.code then
    return false
  end
  local name = vim.api.nvim_buf_get_name(bufnr):gsub("\\", "/")
  for _, pat in ipairs(M.config.code_patterns) do
    if name:find(pat) then
      return true
    end
  end
  return false
end

local function root_for(bufnr)
  return vim.fs.root(bufnr, M.config.root_markers) or vim.fs.dirname(vim.api.nvim_buf_get_name(bufnr))
end

local function lsp_settings()
  return { llmcost = M.config.settings }
end

--- The running llm-cost client for a buffer (or any, when the buffer has none).
function M.client(bufnr)
  local clients = vim.lsp.get_clients({ name = NAME, bufnr = bufnr })
  if #clients == 0 then
    clients = vim.lsp.get_clients({ name = NAME })
  end
  return clients[1]
end

local function request(client, method, params, handler, bufnr)
  if has_011 then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

-- Source code: the cost of each call as end-of-line virtual text in our own namespace, from our
-- client's inlay hints only. vim.lsp.inlay_hint.enable works per buffer for every client, so it
-- would also turn on the hints of the user's Python/TypeScript server: code buffers never use it.
local code_ns = vim.api.nvim_create_namespace("llmcost_code")
local code_pending = {}

function M.refresh_code_hints(bufnr)
  local client = M.client(bufnr)
  if not client or not vim.api.nvim_buf_is_loaded(bufnr) then
    return
  end
  local last = vim.api.nvim_buf_line_count(bufnr)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = 0, character = 0 }, ["end"] = { line = last, character = 0 } },
  }
  request(client, "textDocument/inlayHint", params, function(err, result)
    if err or not vim.api.nvim_buf_is_loaded(bufnr) then
      return
    end
    vim.api.nvim_buf_clear_namespace(bufnr, code_ns, 0, -1)
    for _, hint in ipairs(result or {}) do
      local label = hint.label
      if type(label) == "table" then
        local parts = {}
        for _, part in ipairs(label) do
          table.insert(parts, part.value)
        end
        label = table.concat(parts)
      end
      if hint.position.line < vim.api.nvim_buf_line_count(bufnr) then
        vim.api.nvim_buf_set_extmark(bufnr, code_ns, hint.position.line, 0, {
          virt_text = { { "  " .. label, "LspInlayHint" } },
          virt_text_pos = "eol",
        })
      end
    end
  end, bufnr)
end

--- The cost labels shown in a code buffer: { { line = 0-based, label = "…" }, … }.
function M.code_hints(bufnr)
  local shown = {}
  for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(bufnr, code_ns, 0, -1, { details = true })) do
    local text = mark[4].virt_text and mark[4].virt_text[1][1] or ""
    table.insert(shown, { line = mark[2], label = vim.trim(text) })
  end
  return shown
end

local function later(bufnr)
  if code_pending[bufnr] then
    return
  end
  code_pending[bufnr] = true
  vim.defer_fn(function()
    code_pending[bufnr] = nil
    M.refresh_code_hints(bufnr)
  end, 150)
end

-- Runs `fn(bufnr)` now and again on `events` in that buffer (one augroup per buffer and name).
local function keep_fresh(bufnr, name, events, fn)
  local group = vim.api.nvim_create_augroup(name .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd(events, {
    group = group,
    buffer = bufnr,
    callback = function()
      fn(bufnr)
    end,
  })
  fn(bufnr)
end

local function attach_code(bufnr)
  keep_fresh(bufnr, "llmcost_code_", { "TextChanged", "InsertLeave", "BufWritePost" }, later)
end

local function refresh_handler(err, result, ctx, config)
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and M.is_code(bufnr) then
      later(bufnr)
    end
  end
  local default = vim.lsp.handlers["workspace/inlayHint/refresh"]
  if default then
    return default(err, result, ctx, config)
  end
  return vim.NIL
end

local function attach_codelens(bufnr)
  keep_fresh(bufnr, "llmcost_codelens_", { "BufEnter", "InsertLeave", "BufWritePost" }, function(b)
    vim.lsp.codelens.refresh({ bufnr = b })
  end)
end

local function on_attach(client, bufnr)
  if M.config.codelens and vim.lsp.codelens then
    attach_codelens(bufnr)
  end
  M.refresh_status()
  if M.is_code(bufnr) then
    if M.config.inlay_hints then
      attach_code(bufnr)
    end
  elseif M.config.inlay_hints and vim.lsp.inlay_hint then
    vim.lsp.inlay_hint.enable(true, { bufnr = bufnr })
  end
  if M.config.lsp.on_attach then
    M.config.lsp.on_attach(client, bufnr)
  end
end

local function client_config(cmd)
  local base = {
    name = NAME,
    cmd = cmd,
    init_options = M.config.settings,
    settings = lsp_settings(),
    on_attach = on_attach,
    handlers = { ["workspace/inlayHint/refresh"] = refresh_handler },
  }
  return vim.tbl_deep_extend("force", M.config.lsp, base)
end

--- The `vim.lsp.config` of the server (what lsp/llmcost.lua returns, so that
--- `vim.lsp.enable("llmcost")` works without setup()); nil when no server is found.
function M.lsp_config(cmd)
  if not cmd then
    local tried
    cmd, tried = M.server_cmd()
    if not cmd then
      notify("llmcost-lsp not found (" .. table.concat(tried, "; ") .. "); see :checkhealth llmcost", vim.log.levels.WARN)
      return nil
    end
    if M.config.log_level then
      cmd = vim.list_extend(vim.deepcopy(cmd), { "--log-level", M.config.log_level })
    end
  end
  local cfg = client_config(cmd)
  cfg.root_markers = nil
  -- No filetypes: prompt files come in every filetype; root_dir decides, by path, per buffer.
  cfg.root_dir = function(bufnr, on_dir)
    if M.wants(bufnr) then
      on_dir(root_for(bufnr))
    end
  end
  return cfg
end

local function register_011(cmd)
  vim.lsp.config(NAME, M.lsp_config(cmd))
  vim.lsp.enable(NAME)
end

local function register_010(cmd)
  local group = vim.api.nvim_create_augroup("llmcost", { clear = true })
  local function start(bufnr)
    if not M.wants(bufnr) then
      return
    end
    local cfg = client_config(cmd)
    cfg.root_dir = root_for(bufnr)
    vim.lsp.start(cfg, { bufnr = bufnr })
  end
  vim.api.nvim_create_autocmd({ "BufReadPost", "BufNewFile" }, {
    group = group,
    callback = function(args)
      start(args.buf)
    end,
  })
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) then
      start(bufnr)
    end
  end
end

local function notify_client(client, method, params)
  if has_011 then
    return client:notify(method, params)
  end
  return client.notify(method, params)
end

local function server_commands(client)
  local provider = client.server_capabilities.executeCommandProvider
  return provider and provider.commands or {}
end

--- workspace/executeCommand `command` on the llm-cost server; `on_result(result)` when it answers.
function M.execute(command, arguments, on_result, bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    notify("the language server is not running (see :checkhealth llmcost)", vim.log.levels.ERROR)
    return false
  end
  if not vim.tbl_contains(server_commands(client), command) then
    notify(command .. " is not available in this server version", vim.log.levels.WARN)
    return false
  end
  request(client, "workspace/executeCommand", { command = command, arguments = arguments or {} }, function(err, result)
    if err then
      notify(command .. " failed: " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return
    end
    if on_result then
      on_result(result)
    end
  end, bufnr)
  return true
end

-- The statusline's figure, from the server's llmcost.prompts (refreshed on attach, after
-- diagnostics change, and when the scenario changes).
local status_text = ""
local status_pending = false

--- "llm-cost $1,481.80/mo" for a statusline (lualine: `{ require("llmcost").status }`); "?/mo"
--- while no prompt has a monthly cost; a "!" count of prompts over budget. "" before the
--- server answered.
function M.status()
  return status_text
end

--- Formats an llmcost.prompts result for the statusline. Money is the server's text
--- (monthlyText): the plugin formats no amount of its own.
function M.format_status(result)
  local over, manifest = 0, true
  for _, folder in ipairs(type(result) == "table" and result.folders or {}) do
    manifest = manifest and folder.hasManifest
    for _, p in ipairs(folder.prompts or {}) do
      if p.state == "over-budget" then
        over = over + 1
      end
    end
  end
  local total = type(result) == "table" and result.monthlyText or "?"
  local text = "llm-cost " .. total .. "/mo"
  if over > 0 then
    text = text .. " !" .. over
  end
  if not manifest then
    text = text .. " (no llm-cost.toml)"
  end
  return text
end

function M.refresh_status()
  if status_pending then
    return
  end
  status_pending = true
  vim.defer_fn(function()
    status_pending = false
    local client = M.client(0)
    if not client or not vim.tbl_contains(server_commands(client), "llmcost.prompts") then
      return
    end
    request(client, "workspace/executeCommand", { command = "llmcost.prompts", arguments = {} }, function(err, result)
      if not err then
        status_text = M.format_status(result)
        M.last_prompts = result
        vim.api.nvim_exec_autocmds("User", { pattern = "LlmCostStatus", modeline = false })
      end
    end)
  end, 200)
end

--- Every prompt by monthly cost as quickfix items (highest first, unknown last).
function M.prompt_items(result)
  local items = {}
  for _, folder in ipairs(type(result) == "table" and result.folders or {}) do
    for _, p in ipairs(folder.prompts or {}) do
      local parts = {}
      if p.state == "no-estimate" then
        table.insert(parts, "no estimate: " .. (p.reason or "?"))
      else
        table.insert(parts, (p.monthlyText or "?") .. "/mo")
        if p.budgetText then
          table.insert(parts, "budget " .. p.budgetText)
        end
        if p.delta then
          table.insert(parts, p.delta)
        end
      end
      table.insert(items, {
        filename = vim.uri_to_fname(p.uri),
        lnum = p.line + 1,
        col = 1,
        text = p.id .. ": " .. table.concat(parts, " · "),
        type = p.state == "over-budget" and "E" or (p.state == "near-budget" and "W" or "I"),
      })
    end
  end
  return items
end

--- One prompt's breakdown (markdown) in a floating window: `args` {promptId=, folder=} or
--- {uri=, line=} (default: the prompt at the cursor). `on_result(result)` replaces the window.
function M.breakdown(args, on_result)
  local bufnr = vim.api.nvim_get_current_buf()
  if not args then
    args = { uri = vim.uri_from_bufnr(bufnr), line = vim.api.nvim_win_get_cursor(0)[1] - 1 }
  end
  return M.execute("llmcost.breakdown", { args }, function(result)
    if on_result then
      return on_result(result)
    end
    vim.schedule(function()
      local lines = vim.split(result.markdown or "", "\n")
      vim.lsp.util.open_floating_preview(lines, "markdown", { border = "rounded", focus_id = "llmcost-breakdown" })
    end)
  end, bufnr)
end

-- A code lens's click (`llm-cost.showPromptBreakdown` {folder, promptId}): the breakdown.
vim.lsp.commands["llm-cost.showPromptBreakdown"] = function(command)
  M.breakdown((command.arguments or {})[1])
end

--- Scenario names from the manifest at the buffer's root (`[scenarios.NAME]` tables).
function M.scenarios(bufnr)
  local root = vim.fs.root(bufnr or 0, { "llm-cost.toml" })
  local names = { "baseline" }
  if not root then
    return names
  end
  local ok, lines = pcall(vim.fn.readfile, root .. "/llm-cost.toml")
  if not ok then
    return names
  end
  for _, line in ipairs(lines) do
    local name = line:match('^%s*%[%s*scenarios%.%"?([^%]"]+)%"?%s*%]')
    if name then
      table.insert(names, vim.trim(name))
    end
  end
  table.sort(names)
  return names
end

--- Makes `name` ("baseline", or a [scenarios.NAME]) the scenario for hints, diagnostics, totals.
function M.set_scenario(name)
  if name == nil or name == "" then
    name = "baseline"
  end
  M.config.settings.scenario = name
  for _, client in ipairs(vim.lsp.get_clients({ name = NAME })) do
    client.settings = lsp_settings()
    notify_client(client, "workspace/didChangeConfiguration", { settings = lsp_settings() })
    if vim.tbl_contains(server_commands(client), "llmcost.selectScenario") then
      request(client, "workspace/executeCommand", {
        command = "llmcost.selectScenario",
        arguments = { name },
      }, function(err)
        if err then
          notify(err.message or vim.inspect(err), vim.log.levels.ERROR)
        end
      end)
    end
  end
  notify("scenario: " .. name)
  M.refresh_status()
end

--- "$1,481.80/mo (scenario baseline)" per workspace folder, from an llmcost.check result.
function M.format_totals(result)
  local parts = {}
  for _, folder in ipairs(type(result) == "table" and result.folders or {}) do
    if folder.monthlyText then
      table.insert(parts, folder.monthlyText .. "/mo (scenario " .. (folder.scenario or "?") .. ")")
    end
  end
  return #parts > 0 and table.concat(parts, ", ") or nil
end

local function create_commands()
  vim.api.nvim_create_user_command("LlmCostInit", function()
    local bufnr = vim.api.nvim_get_current_buf()
    local client = M.client(bufnr)
    local root = client and (client.root_dir or client.config.root_dir)
    local args = root and { vim.uri_from_fname(root) } or {}
    M.execute("llmcost.init", args, function(result)
      if type(result) == "table" and result.changed == false then
        notify("llm-cost.toml already maps every prompt file")
      end
    end, bufnr)
  end, { desc = "llm-cost: write llm-cost.toml for this workspace" })

  vim.api.nvim_create_user_command("LlmCostCheck", function()
    M.execute("llmcost.check", {}, function(result)
      vim.schedule(function()
        local total = M.format_totals(result)
        vim.diagnostic.setqflist({ title = "llm-cost check", open = false })
        -- the coverage line: what was found and what was not, as the CLI ends with it
        local coverage = {}
        for _, folder in ipairs(type(result) == "table" and result.folders or {}) do
          if type(folder.coverageLine) == "string" then
            table.insert(coverage, folder.coverageLine)
          end
        end
        notify("check done" .. (total and (": " .. total) or "") .. "; findings in the quickfix list"
          .. (#coverage > 0 and ("\n" .. table.concat(coverage, "\n")) or ""))
      end)
    end)
  end, { desc = "llm-cost: check budgets, findings to the quickfix list" })

  vim.api.nvim_create_user_command("LlmCostScenario", function(opts)
    if opts.args ~= "" then
      M.set_scenario(opts.args)
      return
    end
    vim.ui.select(M.scenarios(0), { prompt = "llm-cost scenario" }, function(choice)
      if choice then
        M.set_scenario(choice)
      end
    end)
  end, {
    nargs = "?",
    complete = function()
      return M.scenarios(0)
    end,
    desc = "llm-cost: select the scenario (no argument: pick from llm-cost.toml)",
  })

  vim.api.nvim_create_user_command("LlmCostDiff", function(opts)
    local bufnr = vim.api.nvim_get_current_buf()
    local client = M.client(bufnr)
    local root = client and (client.root_dir or client.config.root_dir)
    local args = { base = opts.args ~= "" and opts.args or nil, folder = root and vim.uri_from_fname(root) or nil }
    M.execute("llmcost.diff", { args }, nil, bufnr)
  end, { nargs = "?", desc = "llm-cost: cost diff against a git ref (default: the default branch)" })

  vim.api.nvim_create_user_command("LlmCostBreakdown", function()
    M.breakdown()
  end, { desc = "llm-cost: the cost breakdown of the prompt at the cursor (a floating window)" })

  vim.api.nvim_create_user_command("LlmCostPrompts", function()
    M.execute("llmcost.prompts", {}, function(result)
      vim.schedule(function()
        vim.fn.setqflist({}, " ", { title = "llm-cost: prompts by monthly cost", items = M.prompt_items(result) })
        vim.cmd("copen")
      end)
    end)
  end, { desc = "llm-cost: every prompt by monthly cost, in the quickfix list" })

  vim.api.nvim_create_user_command("LlmCostSwitchModel", function()
    M.switch_model()
  end, { desc = "llm-cost: switch a prompt over budget to a cheaper model (edits llm-cost.toml)" })
end

-- Prompt files need a filetype: vim.lsp.enable attaches on FileType, which never fires without one.
local function add_filetypes()
  vim.filetype.add({ extension = { prompt = "prompt", prompty = "markdown" } })
  vim.api.nvim_create_autocmd({ "BufReadPost", "BufNewFile" }, {
    group = vim.api.nvim_create_augroup("llmcost_filetype", { clear = true }),
    callback = function(args)
      if vim.bo[args.buf].filetype == "" and M.wants(args.buf) then
        -- source code keeps its language (filetype detection may be off): never "text"
        local detected = M.is_code(args.buf) and vim.filetype.match({ buf = args.buf }) or nil
        vim.bo[args.buf].filetype = detected or "text"
      end
    end,
  })
end

--- The server's "Switch '<id>' to <model> (saves $X/mo)" quick fixes for every budget breach
--- in the loaded buffers; `on_actions(actions, client)` gets them (default: vim.ui.select + apply).
function M.switch_model(on_actions)
  local pending, actions, seen, client_of = 0, {}, {}, nil
  local function finish()
    if on_actions then
      return on_actions(actions, client_of)
    end
    if #actions == 0 then
      return notify("no budget breach a cheaper model would fix in the current scenario")
    end
    vim.ui.select(actions, {
      prompt = "llm-cost: switch model",
      format_item = function(a)
        return a.title
      end,
    }, function(action)
      if action and action.edit then
        vim.lsp.util.apply_workspace_edit(action.edit, client_of.offset_encoding)
      end
    end)
  end
  for _, d in ipairs(vim.diagnostic.get(nil)) do
    local client = d.code == "budget-exceeded" and M.client(d.bufnr) or nil
    if client then
      client_of = client
      pending = pending + 1
      local lsp_diag = d.user_data and d.user_data.lsp
      local params = {
        textDocument = { uri = vim.uri_from_bufnr(d.bufnr) },
        range = {
          start = { line = d.lnum, character = d.col },
          ["end"] = { line = d.end_lnum or d.lnum, character = d.end_col or d.col },
        },
        -- No `only` filter: the titles select the actions (and some servers filter kinds badly).
        context = { diagnostics = { lsp_diag } },
      }
      request(client, "textDocument/codeAction", params, function(err, result)
        for _, action in ipairs(result or {}) do
          if action.edit and (action.title or ""):find("^Switch ") and not seen[action.title] then
            seen[action.title] = true
            table.insert(actions, action)
          end
        end
        pending = pending - 1
        if pending == 0 then
          vim.schedule(finish)
        end
      end, d.bufnr)
    end
  end
  if pending == 0 then
    finish()
  end
end

--- What plugin/llmcost.lua runs at startup: the user commands and the prompt filetypes, so
--- that `vim.lsp.enable("llmcost")` alone (lsp/llmcost.lua) works without setup().
function M.bootstrap()
  create_commands()
  add_filetypes()
  vim.api.nvim_create_autocmd("DiagnosticChanged", {
    group = vim.api.nvim_create_augroup("llmcost_status", { clear = true }),
    callback = function(args)
      if #vim.lsp.get_clients({ name = NAME, bufnr = args.buf }) > 0 then
        M.refresh_status()
      end
    end,
  })
end

function M.setup(opts)
  M.config = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts or {})
  M.bootstrap()
  local cmd, tried = M.server_cmd()
  if cmd and M.config.log_level then
    cmd = vim.list_extend(vim.deepcopy(cmd), { "--log-level", M.config.log_level })
  end
  if not cmd then
    notify(
      "llmcost-lsp not found (" .. table.concat(tried, "; ") .. "). Install it with `pip install llm-cost`, "
        .. "or pass `cmd` or `python` to setup(); see :checkhealth llmcost",
      vim.log.levels.WARN
    )
    return
  end
  M.cmd = cmd
  local enable = M.config.use_lsp_enable
  if enable == nil then
    enable = has_011 and vim.lsp.config ~= nil and vim.lsp.enable ~= nil
  end
  if enable then
    register_011(cmd)
  else
    register_010(cmd)
  end
end

return M
