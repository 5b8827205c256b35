"""`llm-cost completion bash|zsh|fish`: a shell completion script, generated from the parser
itself (commands, their subcommands and options, the values of --format and the like), so it
never falls behind the commands. Install: see docs/cli.md."""

from __future__ import annotations

import argparse
from typing import Any

SHELLS = ("bash", "zsh", "fish")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh, fish)",
        description="Print the completion script for SHELL. bash: "
        'eval "$(llm-cost completion bash)" in ~/.bashrc; zsh: the same with zsh in ~/.zshrc; '
        "fish: llm-cost completion fish > ~/.config/fish/completions/llm-cost.fish",
    )
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from llmcost_lsp.cli.main import build_parser

    spec = _spec(build_parser())
    print({"bash": _bash, "zsh": _zsh, "fish": _fish}[args.shell](spec))
    return 0


class _Command:
    """What completes after one command: its subcommands, options, and option values."""

    def __init__(self, parser: argparse.ArgumentParser, summary: str = "") -> None:
        self.summary = summary
        self.options: list[tuple[list[str], str]] = []  # (option strings, help)
        self.values: dict[str, list[str]] = {}  # option string -> its choices
        self.positional: list[str] = []  # choices of a positional (e.g. the shell)
        self.subcommands: dict[str, _Command] = {}
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {a.dest: a.help or "" for a in action._choices_actions}
                for name, sub in action.choices.items():
                    self.subcommands.setdefault(name, _Command(sub, helps.get(name, "")))
            elif action.option_strings:
                self.options.append((list(action.option_strings), _plain(action.help)))
                if action.choices:
                    for option in action.option_strings:
                        self.values[option] = [str(c) for c in action.choices if c != "table"]
            elif action.choices:
                self.positional = [str(c) for c in action.choices]


def _plain(text: str | None) -> str:
    return (text or "").replace("%%", "%").split(";")[0].split(". ")[0][:80]


def _spec(parser: argparse.ArgumentParser) -> _Command:
    return _Command(parser)


def _words(command: _Command) -> str:
    return " ".join([*command.subcommands, *(o for opts, _ in command.options for o in opts)])


def _bash(root: _Command) -> str:
    """A bash function: the command (and subcommand) typed so far decide the words."""
    cases = []
    for path, command in _walk(root, ()):
        key = " ".join(path)
        values = "".join(
            f'        {option}) COMPREPLY=($(compgen -W "{" ".join(choices)}" -- "$cur")); '
            "return;;\n"
            for option, choices in command.values.items()
        )
        words = _words(command) + (" " + " ".join(command.positional) if command.positional else "")
        cases.append(
            f'    "{key}")\n      case "$prev" in\n{values}      esac\n'
            f'      COMPREPLY=($(compgen -W "{words}" -- "$cur"));;'
        )
    names = " ".join(n for p, c in _walk(root, ()) for n in c.subcommands if p == ())
    return f"""# llm-cost completion for bash: eval "$(llm-cost completion bash)"
_llm_cost() {{
  local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}" path="" word
  local commands=" {names} "
  for word in "${{COMP_WORDS[@]:1:COMP_CWORD-1}}"; do
    case "$word" in -*) ;; *)
      if [ -z "$path" ] && [[ "$commands" == *" $word "* ]]; then path="$word"
      elif [ -n "$path" ] && [[ "$path" != *" "* ]] && _llm_cost_sub "$path" "$word"; then
        path="$path $word"
      fi;;
    esac
  done
  case "$path" in
{chr(10).join(cases)}
  esac
  [ "${{#COMPREPLY[@]}}" -eq 0 ] && [[ "$cur" != -* ]] && COMPREPLY=($(compgen -f -- "$cur"))
  return 0
}}
_llm_cost_sub() {{
  case "$1" in
{_bash_subs(root)}
  esac
  return 1
}}
complete -o filenames -F _llm_cost llm-cost"""


def _bash_subs(root: _Command) -> str:
    lines = []
    for name, command in root.subcommands.items():
        if command.subcommands:
            subs = "|".join(command.subcommands)
            lines.append(f'    {name}) case "$2" in {subs}) return 0;; esac;;')
    return "\n".join(lines)


def _walk(command: _Command, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], _Command]]:
    found = [(path, command)]
    for name, sub in command.subcommands.items():
        found += _walk(sub, (*path, name))
    return found


def _zsh(root: _Command) -> str:
    return (
        '# llm-cost completion for zsh: eval "$(llm-cost completion zsh)"\n'
        "(( $+functions[compdef] )) || { autoload -U +X compinit && compinit -u }\n"
        "autoload -U +X bashcompinit && bashcompinit\n" + _bash(root)
    )


def _fish(root: _Command) -> str:
    lines = ["# llm-cost completion for fish", "complete -c llm-cost -f"]
    for path, command in _walk(root, ()):
        if path:
            seen = " ".join(path[:-1])
            parent = (
                "__fish_use_subcommand" if len(path) == 1 else f"__fish_seen_subcommand_from {seen}"
            )
            lines.append(
                f"complete -c llm-cost -n '{parent}' -a {path[-1]} -d {_quote(command.summary)}"
            )
        condition = f"__fish_seen_subcommand_from {path[-1]}" if path else "__fish_use_subcommand"
        for options, text in command.options:
            flags = " ".join(
                f"-l {o[2:]}" if o.startswith("--") else f"-s {o[1:]}" for o in options
            )
            values = next((command.values[o] for o in options if o in command.values), None)
            choice = f" -xa {_quote(' '.join(values))}" if values else ""
            lines.append(f"complete -c llm-cost -n '{condition}' {flags}{choice} -d {_quote(text)}")
        if command.positional:
            words = _quote(" ".join(command.positional))
            lines.append(f"complete -c llm-cost -n '{condition}' -xa {words}")
    return "\n".join(lines)


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
