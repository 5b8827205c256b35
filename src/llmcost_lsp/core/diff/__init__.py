"""`llm-cost diff`: what a change does to the monthly bill, base vs head.

- model.py: what a diff is (PromptDiff, CostDiff, Threshold for --fail-on-increase).
- compare.py: the comparison of two loaded workspaces (pairing prompts, change kinds, findings
  new or resolved).
- keys.py: result keys and the run context they share (what decides a prompt's result).
- git.py: the sides read from git (a commit, or the working tree), with the fast path that skips
  unchanged files; gitobjects.py reads commits straight from git objects.
- caches.py: the persistent result cache and side summaries the fast path reads.

Import from the module that holds a name; this package re-exports nothing.
"""
