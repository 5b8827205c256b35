"""`python -m llmcost_lsp` starts the language server, as editors expect."""

import sys

from llmcost_lsp.server.main import main

sys.exit(main())
