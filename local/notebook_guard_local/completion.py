"""Shell completion scripts for bash, zsh and fish, generated from the command's own parser.

Static (no Python runs at each TAB): the subcommands, their options, the values of options with choices
(--output, --action, --root-access...), the regions botocore knows, file names where a file is expected, and
for --profile the profiles of the AWS config file. zsh uses the bash script through ``bashcompinit``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

PROGRAM = "notebook-guard"
FILE_OPTIONS = {"--scenario", "--report", "--settings", "--keep-snapshots"}
SHELLS = ("bash", "zsh", "fish")


@dataclass
class Option:
    flags: list[str]
    help: str
    choices: list[str] = field(default_factory=list)
    takes_value: bool = False


@dataclass
class Command:
    name: str
    help: str
    options: list[Option]


def _options(parser: argparse.ArgumentParser) -> list[Option]:
    options = []
    for action in parser._actions:
        if not action.option_strings or action.help == argparse.SUPPRESS:
            continue
        options.append(
            Option(
                flags=list(action.option_strings),
                help=" ".join((action.help or "").split()),
                choices=[str(c) for c in action.choices or []],
                takes_value=action.nargs != 0,
            )
        )
    return options


def describe(parser: argparse.ArgumentParser) -> tuple[list[Option], list[Command]]:
    """The main parser's options and, per subcommand, its options."""
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: choice.help or "" for choice in subparsers._choices_actions}
    commands = [Command(name, helps.get(name, ""), _options(sub)) for name, sub in subparsers.choices.items()]
    return _options(parser), commands


def _regions() -> list[str]:
    from notebook_guard_local.aws_access import _partitions

    return sorted(set().union(*(regions for _, _, regions in _partitions())))


def _values(option: Option) -> str:
    """A bash expression for the candidates of an option's value."""
    flag = option.flags[-1]
    if option.choices:
        return f'compgen -W "{" ".join(option.choices)}" -- "$cur"'
    if flag == "--region":
        return f'compgen -W "{" ".join(_regions())}" -- "$cur"'
    if flag == "--profile":
        return 'compgen -W "$(_notebook_guard_profiles)" -- "$cur"'
    if flag in FILE_OPTIONS:
        return 'compgen -f -- "$cur"'
    return ""


def bash_script(parser: argparse.ArgumentParser) -> str:
    top, commands = describe(parser)
    names = " ".join(c.name for c in commands)
    lines = [
        f'# {PROGRAM} completion for bash. Load it with: eval "$({PROGRAM} completion bash)"',
        "_notebook_guard_profiles() {",
        '    sed -n -e "s/^\\[profile \\(.*\\)\\]$/\\1/p" -e "s/^\\[\\(default\\)\\]$/\\1/p" \\',
        '        "${AWS_CONFIG_FILE:-$HOME/.aws/config}" 2>/dev/null',
        "}",
        "_notebook_guard() {",
        '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" command="" i',
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        f'        case "${{COMP_WORDS[i]}}" in {names.replace(" ", "|")}) command="${{COMP_WORDS[i]}}"; break ;; esac',
        "    done",
        '    case "$command" in',
    ]
    for command in [*commands, Command("", "", [])]:
        options = command.options if command.name else top
        valued = [o for o in options if o.takes_value]
        words = " ".join(flag for o in options for flag in o.flags)
        if not command.name:
            words = f"{names} {words}"
        lines.append(f"        {command.name or '*'})")
        lines.append('            case "$prev" in')
        for option in valued:
            candidates = _values(option)
            action = f"COMPREPLY=($({candidates}))" if candidates else "COMPREPLY=()"
            lines.append(f"                {'|'.join(option.flags)}) {action}; return ;;")
        lines.append("            esac")
        lines.append(f'            COMPREPLY=($(compgen -W "{words}" -- "$cur")) ;;')
    lines += ["    esac", "}", f"complete -o default -F _notebook_guard {PROGRAM}", ""]
    return "\n".join(lines)


def zsh_script(parser: argparse.ArgumentParser) -> str:
    return "\n".join(
        [
            f'# {PROGRAM} completion for zsh. Load it with: eval "$({PROGRAM} completion zsh)"',
            "(( $+functions[compdef] )) || { autoload -U +X compinit && compinit }",
            "autoload -U +X bashcompinit && bashcompinit",
            bash_script(parser),
        ]
    )


def fish_script(parser: argparse.ArgumentParser) -> str:
    top, commands = describe(parser)
    names = " ".join(c.name for c in commands)
    lines = [
        f"# {PROGRAM} completion for fish. Load it with: {PROGRAM} completion fish | source",
        f"complete -c {PROGRAM} -f",
    ]
    for command in commands:
        lines.append(
            f"complete -c {PROGRAM} -n 'not __fish_seen_subcommand_from {names}' -a {command.name} "
            f"-d {_fish_quote(command.help)}"
        )
    for command in [Command("", "", top), *commands]:
        condition = f"-n '__fish_seen_subcommand_from {command.name}' " if command.name else ""
        for option in command.options:
            parts = [f"complete -c {PROGRAM}", condition.rstrip()]
            for flag in option.flags:
                parts.append(f"-s {flag[1:]}" if not flag.startswith("--") else f"-l {flag[2:]}")
            if option.takes_value:
                flag = option.flags[-1]
                if option.choices:
                    parts.append(f"-x -a {_fish_quote(' '.join(option.choices))}")
                elif flag == "--region":
                    parts.append(f"-x -a {_fish_quote(' '.join(_regions()))}")
                elif flag in FILE_OPTIONS:
                    parts.append("-r -F")
                else:
                    parts.append("-x")
            if option.help:
                parts.append(f"-d {_fish_quote(option.help[:80])}")
            lines.append(" ".join(p for p in parts if p))
    return "\n".join(lines) + "\n"


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    return {"bash": bash_script, "zsh": zsh_script, "fish": fish_script}[shell](parser)
