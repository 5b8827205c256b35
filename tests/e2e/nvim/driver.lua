-- Headless Neovim driver for tests/e2e/test_neovim.py: loads the plugin as a user would
-- (runtimepath + setup()), performs the steps named by E2E_STEPS and prints one
-- `E2E <json>` line per result. Exits 0 when every step ran, 1 on the first failure.
local function emit(tbl)
  io.stdout:write("E2E " .. vim.json.encode(tbl) .. "\n")
end

local function fail(step, msg)
  emit({ step = step, ok = false, error = msg })
  vim.cmd("cq!")
end

vim.opt.rtp:prepend(os.getenv("LLMCOST_PLUGIN"))
local llmcost = require("llmcost")
if os.getenv("E2E_NO_SETUP") == "1" then
  -- what a user with only `vim.lsp.enable("llmcost")` gets: lsp/llmcost.lua and plugin/llmcost.lua
  vim.lsp.enable("llmcost")
else
  local setup_opts = vim.json.decode(os.getenv("LLMCOST_SETUP") or "{}")
  llmcost.setup(setup_opts)
end

local function request(client, method, params, handler, bufnr)
  return client:request(method, params, handler, bufnr)
end

local TIMEOUT = tonumber(os.getenv("E2E_TIMEOUT_MS") or "30000")

local function label_of(hint)
  local label = hint.inlay_hint.label
  if type(label) == "string" then
    return label
  end
  local parts = {}
  for _, p in ipairs(label) do
    table.insert(parts, p.value)
  end
  return table.concat(parts)
end

local function wait_client(bufnr, step)
  local ok = vim.wait(TIMEOUT, function()
    return #vim.lsp.get_clients({ name = "llmcost", bufnr = bufnr }) > 0
  end, 50)
  if not ok then
    fail(step, "no llmcost client attached to " .. vim.api.nvim_buf_get_name(bufnr))
  end
  return vim.lsp.get_clients({ name = "llmcost", bufnr = bufnr })[1]
end

local steps = {}

function steps.hints()
  local file = os.getenv("E2E_HINT_FILE")
  vim.cmd.edit(vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  local client = wait_client(bufnr, "hints")
  local labels = {}
  local ok = vim.wait(TIMEOUT, function()
    labels = {}
    for _, h in ipairs(vim.lsp.inlay_hint.get({ bufnr = bufnr })) do
      table.insert(labels, { line = h.inlay_hint.position.line, character = h.inlay_hint.position.character, label = label_of(h) })
    end
    return #labels > 0
  end, 50)
  if not ok then
    return fail("hints", "no inlay hint within " .. TIMEOUT .. " ms")
  end
  emit({
    step = "hints",
    ok = true,
    hints = labels,
    enabled = vim.lsp.inlay_hint.is_enabled({ bufnr = bufnr }),
    first_line_length = #vim.api.nvim_buf_get_lines(bufnr, 0, 1, false)[1],
    server = client.server_info,
    root = client.root_dir or client.config.root_dir,
  })
end

local function breach_codes(bufnr, code)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.code == code then
      table.insert(found, { lnum = d.lnum, message = d.message, severity = d.severity, source = d.source })
    end
  end
  return found
end

function steps.breach()
  local file, code, scenario = os.getenv("E2E_BREACH_FILE"), os.getenv("E2E_BREACH_CODE"), os.getenv("E2E_SCENARIO")
  vim.cmd.edit(vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  wait_client(bufnr, "breach")
  -- Let the base case settle: its diagnostics must not carry the breach.
  vim.wait(1500, function()
    return false
  end, 50)
  local before = breach_codes(bufnr, code)
  vim.cmd("LlmCostScenario " .. scenario)
  local after = {}
  local ok = vim.wait(TIMEOUT, function()
    after = breach_codes(bufnr, code)
    return #after > 0
  end, 50)
  if not ok then
    return fail("breach", "no " .. code .. " diagnostic after :LlmCostScenario " .. scenario)
  end
  emit({ step = "breach", ok = true, before = before, after = after, error_severity = vim.diagnostic.severity.ERROR })
end

-- After `breach`: :LlmCostSwitchModel's quick fixes; apply the first (what vim.ui.select would).
function steps.switch()
  local code = os.getenv("E2E_BREACH_CODE")
  local actions
  llmcost.switch_model(function(found)
    actions = found
  end)
  if not vim.wait(TIMEOUT, function() return actions ~= nil end, 50) then
    return fail("switch", "no answer to the code action requests")
  end
  if #actions == 0 then
    return fail("switch", "no switch-model quick fix offered")
  end
  local titles = {}
  for _, a in ipairs(actions) do
    table.insert(titles, a.title)
  end
  local bufnr = vim.api.nvim_get_current_buf()
  vim.lsp.util.apply_workspace_edit(actions[1].edit, "utf-16")
  local ok = vim.wait(TIMEOUT, function() return #breach_codes(bufnr, code) == 0 end, 50)
  if not ok then
    return fail("switch", "the breach stayed after applying " .. titles[1])
  end
  emit({ step = "switch", ok = true, titles = titles, lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false) })
end

function steps.check()
  local result
  llmcost.execute("llmcost.check", {}, function(r)
    result = r
  end)
  if not vim.wait(TIMEOUT, function() return result ~= nil end, 50) then
    return fail("check", "llmcost.check did not answer")
  end
  emit({ step = "check", ok = true, summary = llmcost.format_totals(result), result = result })
end

function steps.init()
  local file, manifest = os.getenv("E2E_INIT_FILE"), os.getenv("E2E_INIT_MANIFEST")
  vim.cmd.edit(vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  wait_client(bufnr, "init")
  vim.cmd("LlmCostInit")
  local ok = vim.wait(TIMEOUT, function()
    return vim.uv.fs_stat(manifest) ~= nil
  end, 50)
  if not ok then
    return fail("init", manifest .. " not written within " .. TIMEOUT .. " ms")
  end
  emit({ step = "init", ok = true, manifest = manifest })
end

-- A file that is no prompt (by path) gets no llm-cost client.
function steps.unrelated()
  vim.cmd.edit(vim.fn.fnameescape(os.getenv("E2E_UNRELATED_FILE")))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.wait(1000, function() return false end, 50)
  emit({
    step = "unrelated",
    ok = true,
    attached = #vim.lsp.get_clients({ name = "llmcost", bufnr = bufnr }),
    filetype = vim.bo[bufnr].filetype,
  })
end

-- A Python file with an LLM call: the cost shows at the end of the call's line (our own
-- virtual text), while the buffer's inlay hints stay off for the user's other servers.
function steps.code()
  local file = os.getenv("E2E_CODE_FILE")
  vim.cmd.edit(vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  local client = wait_client(bufnr, "code")
  local shown = {}
  local ok = vim.wait(TIMEOUT, function()
    shown = llmcost.code_hints(bufnr)
    return #shown > 0
  end, 50)
  if not ok then
    return fail("code", "no cost shown within " .. TIMEOUT .. " ms")
  end
  local lines = {}
  for _, h in ipairs(shown) do
    table.insert(lines, vim.api.nvim_buf_get_lines(bufnr, h.line, h.line + 1, false)[1])
  end
  -- an edit of the model literal reprices the call
  local before = shown[1].label
  local row = nil
  for i, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    if line:find('^ANSWER_MODEL = ') then
      row = i - 1
    end
  end
  vim.api.nvim_buf_set_lines(bufnr, row, row + 1, false, { 'ANSWER_MODEL = "gpt-4o"' })
  local changed = vim.wait(TIMEOUT, function()
    local now = llmcost.code_hints(bufnr)
    return #now > 0 and now[1].label ~= before
  end, 50)
  emit({
    step = "code",
    ok = true,
    hints = shown,
    lines = lines,
    after_edit = llmcost.code_hints(bufnr),
    changed = changed,
    inlay_hints_enabled = vim.lsp.inlay_hint.is_enabled({ bufnr = bufnr }),
    filetype = vim.bo[bufnr].filetype,
    root = client.root_dir or client.config.root_dir,
  })
end

-- :help llmcost with the plugin only on 'runtimepath' (its doc/tags ship with it).
function steps.help()
  local ok, err = pcall(vim.cmd, "help llmcost")
  emit({
    step = "help",
    ok = true,
    opened = ok and vim.fn.expand("%:t") or nil,
    error = not ok and tostring(err) or nil,
    completion = vim.fn.getcompletion("LlmCost", "help"),
    plugin_loaded = vim.g.loaded_llmcost == true,
  })
end

-- The code lens above a prompt with a long first line: the monthly cost comes first.
function steps.lens()
  local file = os.getenv("E2E_LENS_FILE")
  vim.cmd.edit(vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  wait_client(bufnr, "lens")
  local titles = {}
  local ok = vim.wait(TIMEOUT, function()
    vim.lsp.codelens.refresh({ bufnr = bufnr })
    titles = {}
    for _, lens in ipairs(vim.lsp.codelens.get(bufnr)) do
      if lens.command then
        table.insert(titles, { line = lens.range.start.line, title = lens.command.title, command = lens.command.command })
      end
    end
    return #titles > 0
  end, 200)
  if not ok then
    return fail("lens", "no code lens within " .. TIMEOUT .. " ms")
  end
  local breakdown
  llmcost.breakdown(nil, function(result)
    breakdown = result
  end)
  vim.wait(TIMEOUT, function() return breakdown ~= nil end, 50)
  emit({
    step = "lens",
    ok = true,
    lenses = titles,
    first_line_length = #vim.api.nvim_buf_get_lines(bufnr, 0, 1, false)[1],
    breakdown = breakdown and breakdown.markdown or nil,
  })
end

-- Every prompt by monthly cost (:LlmCostPrompts's quickfix items) and the statusline.
function steps.prompts()
  local result
  llmcost.execute("llmcost.prompts", {}, function(r)
    result = r
  end)
  if not vim.wait(TIMEOUT, function() return result ~= nil end, 50) then
    return fail("prompts", "llmcost.prompts did not answer")
  end
  local texts = {}
  for _, item in ipairs(llmcost.prompt_items(result)) do
    table.insert(texts, item.text)
  end
  vim.wait(TIMEOUT, function() return llmcost.status() ~= "" end, 50)
  emit({ step = "prompts", ok = true, items = texts, result = result, status = llmcost.status() })
end

-- A fresh repository (no llm-cost.toml): the quick fixes at the cursor on a prompt file, as
-- vim.lsp.buf.code_action() asks for them.
function steps.quickfix()
  local file = os.getenv("E2E_INIT_FILE")
  vim.cmd.edit(vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  local client = wait_client(bufnr, "quickfix")
  vim.wait(TIMEOUT, function() return #vim.diagnostic.get(bufnr) > 0 end, 50)
  local diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(diagnostics, d.user_data and d.user_data.lsp or nil)
  end
  local params = vim.lsp.util.make_range_params(0, client.offset_encoding)
  params.context = { diagnostics = diagnostics, only = { "quickfix" }, triggerKind = 1 }
  local answer
  request(client, "textDocument/codeAction", params, function(err, result)
    answer = { err = err, result = result or {} }
  end, bufnr)
  vim.wait(TIMEOUT, function() return answer ~= nil end, 50)
  local actions = {}
  for _, a in ipairs(answer.result) do
    table.insert(actions, { title = a.title, kind = a.kind, isPreferred = a.isPreferred })
  end
  local severities = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(severities, { code = d.code, severity = d.severity, message = d.message })
  end
  emit({ step = "quickfix", ok = true, actions = actions, diagnostics = severities })
end

function steps.health()
  vim.cmd("checkhealth llmcost")
  local lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
  emit({ step = "health", ok = true, lines = lines })
end

vim.schedule(function()
  for step in (os.getenv("E2E_STEPS") or ""):gmatch("[^,]+") do
    local ok, err = pcall(steps[step])
    if not ok then
      return fail(step, tostring(err))
    end
  end
  vim.cmd("qa!")
end)
