"""The llm-cost library: tokens, prices, estimates. Imports no pygls; never prints or exits."""
