"""``ecsp completion bash|zsh|fish``: a shell completion script, derived from the command-line parser itself.

Every command, subcommand, option and option choice comes from :func:`ecsp.cli.build_parser`,
so a command added to the CLI completes without anyone touching this module. Imports only
argparse at import time so ``ecsp --help`` stays fast.
"""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass, field
from typing import Any

from ecsp.commands import HelpFormatter

SHELLS = ("bash", "zsh", "fish")

EPILOG = """\
examples:
  ecsp completion bash > ~/.local/share/bash-completion/completions/ecsp
  ecsp completion zsh > "${fpath[1]}/_ecsp"   (or source <(ecsp completion zsh))
  ecsp completion fish > ~/.config/fish/completions/ecsp.fish

Open a new shell afterwards. The script completes commands, options and their choices.
"""


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("completion", help="print a shell completion script (bash, zsh, fish)",
                       description="Print a script that makes your shell complete ecsp's commands, options and "
                       "their choices.", epilog=EPILOG, formatter_class=HelpFormatter)
    p.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    p.set_defaults(handler=completion)


@dataclass
class Command:
    """One command of the parser: its path of words, options, option choices, help and subcommands."""

    path: tuple[str, ...]
    help: str = ""
    options: list[str] = field(default_factory=list)
    takes_value: set[str] = field(default_factory=set)
    choices: dict[str, list[str]] = field(default_factory=dict)
    values: list[str] = field(default_factory=list)  # the choices of its positional arguments
    subcommands: list[Command] = field(default_factory=list)

    def words(self) -> list[str]:
        """What may come next: a subcommand or an option."""
        return [*(sub.path[-1] for sub in self.subcommands), *self.values, *self.options]

    def walk(self) -> list[Command]:
        return [self, *(c for sub in self.subcommands for c in sub.walk())]


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = (), help: str = "") -> Command:
    """The parser as a tree of :class:`Command`."""
    node = Command(path, help)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sub in action.choices.items():
                node.subcommands.append(commands(sub, (*path, name), helps.get(name, "")))
            continue
        if action.help == argparse.SUPPRESS:
            continue
        node.options += action.option_strings
        if not action.option_strings and action.choices:
            node.values += [str(c) for c in action.choices]
        if action.option_strings and action.nargs != 0:
            node.takes_value.update(action.option_strings)
            if action.choices:
                for option in action.option_strings:
                    node.choices[option] = [str(c) for c in action.choices]
    return node


def _word_list(words: list[str]) -> str:
    return shlex.quote(" ".join(words))


def bash(root: Command) -> str:
    """A bash completion function (zsh runs it through bashcompinit)."""
    every = root.walk()
    steps = "\n".join(f"      {shlex.quote(' '.join(c.path[:-1]) + ':' + c.path[-1])}) "
                      f"path={shlex.quote(' '.join(c.path))} ;;" for c in every if c.path)
    words = "\n".join(f"    {shlex.quote(' '.join(c.path))}) words={_word_list(c.words())} ;;" for c in every)
    values = "\n".join(f"    {shlex.quote(' '.join(c.path) + ' ' + option)}) "
                       f"COMPREPLY=($(compgen -W {_word_list(choices)} -- \"$cur\")); return ;;"
                       for c in every for option, choices in c.choices.items())
    free = "|".join(shlex.quote(" ".join(c.path) + " " + option) for c in every
                    for option in sorted(c.takes_value - set(c.choices)))
    return f"""\
# ecsp completion for bash (from `ecsp completion bash`).
_ecsp() {{
  local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}"
  local path="" words="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "$path:${{COMP_WORDS[i]}}" in
{steps}
    esac
  done
  case "$path $prev" in
{values}
    {free or "''"}) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  case "$path" in
{words}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}}
complete -o default -F _ecsp ecsp
"""


def zsh(root: Command) -> str:
    return ("#compdef ecsp\n# ecsp completion for zsh (from `ecsp completion zsh`): the bash completion, run by "
            "zsh's bashcompinit.\nautoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n"
            + bash(root))


def fish(root: Command) -> str:
    every = root.walk()
    steps = "\n".join(f"            case {shlex.quote(' '.join(c.path[:-1]) + ':' + c.path[-1])}\n"
                      f"                set path {shlex.quote(' '.join(c.path))}" for c in every if c.path)
    lines = [
        "# ecsp completion for fish (from `ecsp completion fish`).",
        "function __ecsp_path --description 'the ecsp command being typed, e.g. \"pipeline show\"'",
        "    set -l path ''",
        "    for word in (commandline -opc)[2..-1]",
        "        switch \"$path:$word\"",
        steps,
        "        end",
        "    end",
        "    echo $path",
        "end",
        "complete -c ecsp -f",
    ]
    for c in every:
        when = f"test (__ecsp_path) = {shlex.quote(' '.join(c.path))}"
        for sub in c.subcommands:
            lines.append(f"complete -c ecsp -n {shlex.quote(when)} -a {shlex.quote(sub.path[-1])} "
                         f"-d {shlex.quote(sub.help)}")
        if c.values:
            lines.append(f"complete -c ecsp -n {shlex.quote(when)} -a {shlex.quote(' '.join(c.values))}")
        for option in c.options:
            flag = f"-l {option[2:]}" if option.startswith("--") else f"-s {option[1:]}"
            extra = ""
            if option in c.choices:
                extra = f" -x -a {shlex.quote(' '.join(c.choices[option]))}"
            elif option in c.takes_value:
                extra = " -r -F"
            lines.append(f"complete -c ecsp -n {shlex.quote(when)} {flag}{extra}")
    return "\n".join(lines) + "\n"


SCRIPTS = {"bash": bash, "zsh": zsh, "fish": fish}


def script(shell: str) -> str:
    from ecsp import cli

    return SCRIPTS[shell](commands(cli.build_parser()))


def completion(args: argparse.Namespace) -> int:
    print(script(args.shell), end="")
    return 0
