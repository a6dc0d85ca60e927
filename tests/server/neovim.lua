-- Drives racelint's language server from a real editor: headless Neovim (0.7 or later).
-- Opens a racy file, waits for diagnostics, asks for code actions, applies the preferred
-- fix, waits for the diagnostics to clear, hovers the race, and writes what it saw as JSON
-- to $RACELINT_RESULT. Exits non-zero (`cquit`) on any Lua error.

local bin = os.getenv('RACELINT_BIN')
local file = os.getenv('RACELINT_FILE')
local root = os.getenv('RACELINT_ROOT')
local out = os.getenv('RACELINT_RESULT')
local timeout = tonumber(os.getenv('RACELINT_TIMEOUT_MS') or '30000')

local result = { steps = {} }

local function save()
  vim.fn.writefile({ vim.fn.json_encode(result) }, out)
end

local function step(name)
  table.insert(result.steps, name)
  save()
end

local function run()
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  local client_id = vim.lsp.start_client({
    name = 'racelint',
    cmd = { bin, 'server' },
    root_dir = root,
  })
  assert(client_id, 'the client did not start')
  vim.lsp.buf_attach_client(bufnr, client_id)
  step('attached')

  local arrived = vim.wait(timeout, function()
    return #vim.diagnostic.get(bufnr) > 0
  end, 20)
  local diagnostics = vim.diagnostic.get(bufnr)
  result.diagnostics = {}
  for _, d in ipairs(diagnostics) do
    local lsp = (d.user_data or {}).lsp or {}
    table.insert(result.diagnostics, {
      lnum = d.lnum,
      col = d.col,
      end_col = d.end_col,
      severity = d.severity,
      source = d.source,
      code = d.code or lsp.code,
      message = d.message,
      related = #(lsp.relatedInformation or {}),
      has_fix = lsp.data ~= nil and lsp.data.fix ~= nil,
    })
  end
  step(arrived and 'diagnostics' or 'no diagnostics')
  if not arrived then
    return
  end

  local client = vim.lsp.get_client_by_id(client_id)
  local uri = vim.uri_from_bufnr(bufnr)
  local d = diagnostics[1]
  local lsp_diagnostic = vim.deepcopy((d.user_data or {}).lsp or {})
  lsp_diagnostic.range = {
    start = { line = d.lnum, character = d.col },
    ['end'] = { line = d.end_lnum or d.lnum, character = d.end_col or d.col },
  }
  lsp_diagnostic.message = lsp_diagnostic.message or d.message
  lsp_diagnostic.code = lsp_diagnostic.code or d.code
  lsp_diagnostic.source = lsp_diagnostic.source or d.source
  lsp_diagnostic.severity = lsp_diagnostic.severity or d.severity

  local hover = client.request_sync('textDocument/hover', {
    textDocument = { uri = uri },
    position = { line = d.lnum, character = d.col + 1 },
  }, timeout, bufnr)
  local contents = hover and hover.result and hover.result.contents
  result.hover = contents and (contents.value or contents) or vim.NIL
  step('hover')

  local response = client.request_sync('textDocument/codeAction', {
    textDocument = { uri = uri },
    range = lsp_diagnostic.range,
    context = { diagnostics = { lsp_diagnostic } },
  }, timeout, bufnr)
  assert(response and response.result, 'no answer to textDocument/codeAction')
  result.actions = {}
  local preferred
  for _, action in ipairs(response.result) do
    table.insert(result.actions, { title = action.title, kind = action.kind, preferred = action.isPreferred == true })
    if action.isPreferred and not preferred then
      preferred = action
    end
  end
  step('code actions')
  if not preferred then
    return
  end

  vim.lsp.util.apply_workspace_edit(preferred.edit, client.offset_encoding or 'utf-16')
  result.fixed_text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n')
  local cleared = vim.wait(timeout, function()
    return #vim.diagnostic.get(bufnr) == 0
  end, 20)
  result.cleared = cleared
  step('fix applied')

  vim.lsp.stop_client(client_id)
  vim.wait(5000, function()
    return vim.lsp.get_client_by_id(client_id) == nil
  end, 20)
  step('stopped')
end

local ok, err = pcall(run)
if not ok then
  result.error = tostring(err)
  save()
  vim.cmd('cquit 3')
end
save()
vim.cmd('qall!')
