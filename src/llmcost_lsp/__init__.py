"""llm-cost: offline cost estimates for LLM prompts (CLI and language server)."""

__version__ = "0.1.0"
