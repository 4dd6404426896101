"""Does the recreated notebook need the internet? Evidence from its lifecycle scripts and its Git repositories.

Pure: the Preflight (with the snapshot's lifecycle configuration and the code repositories it resolved),
``notebook-guard plan`` and, later, the data backup read the same findings. In a private subnet without a NAT
(or another path out), anything a notebook fetches from the internet fails: a lifecycle script that installs
packages runs past SageMaker's 5-minute limit and the notebook ends ``Failed``; a Git repository that is not
CodeCommit cannot be cloned ("Failed to connect to github.com").

Each piece of evidence says where it is (the script, hook and line, or the repository), the text, why it needs
the internet, and its ``effect``:
- ``fails``: the notebook cannot come up (a command in the foreground of a lifecycle script, which SageMaker
  stops after 5 minutes; a repository SageMaker clones when it creates the notebook);
- ``degrades``: the notebook comes up but the command fails (started in the background with ``nohup ... &``, or
  written into a file by a here-document and run later);
- ``mentions``: an external URL the script mentions without a command known to fetch it (a configuration
  value, an echo): it may or may not be fetched, so it is reported, never blocking by itself.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

FAILS = "fails"
DEGRADES = "degrades"
MENTIONS = "mentions"
HOOKS = ("OnCreate", "OnStart")

# AWS CodeCommit's clone URLs (CodeCommit User Guide, "Setting up": HTTPS (Git credentials), SSH and the
# git-remote-codecommit helper): git-codecommit[-fips].REGION.amazonaws.com[.cn]/v1/repos/NAME, or codecommit::.
_CODECOMMIT_HOST = re.compile(r"^git-codecommit(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
_URL = re.compile(r"""(?:https?|ftp)://[^\s'"`<>|;)]+""")
_PRIVATE_HOSTS = ("localhost", "instance-data", "metadata.google.internal")


@dataclass(frozen=True)
class Evidence:
    source: str  # "lifecycle configuration 'x' OnStart, line 3" or "code repository 'y'"
    text: str  # the script line (continuations joined) or the repository URL
    reason: str  # why it needs the internet
    effect: str  # FAILS | DEGRADES | MENTIONS
    kind: str  # "package-index" | "download" | "git" | "repository" | "url"

    def to_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        return f"{self.source}: `{_short(self.text)}` ({self.reason})"


@dataclass
class InternetNeed:
    """What a notebook fetches from the internet (empty: nothing found)."""

    evidence: list[Evidence] = field(default_factory=list)
    codecommit: list[str] = field(default_factory=list)  # CodeCommit URLs: need the git-codecommit endpoint
    unreadable: list[str] = field(default_factory=list)  # scripts that could not be decoded

    @property
    def needed(self) -> bool:
        """A command or repository that fails or degrades without the internet (mentions alone do not count)."""
        return any(e.effect in (FAILS, DEGRADES) for e in self.evidence)

    @property
    def blocking_evidence(self) -> list[Evidence]:
        return [e for e in self.evidence if e.effect in (FAILS, DEGRADES)]

    @property
    def mentions(self) -> list[Evidence]:
        return [e for e in self.evidence if e.effect == MENTIONS]

    def kinds(self) -> set[str]:
        return {e.kind for e in self.blocking_evidence}

    def to_dict(self) -> dict:
        return {
            "needed": self.needed,
            "evidence": [e.to_dict() for e in self.evidence],
            "codecommit": self.codecommit,
            "unreadable": self.unreadable,
        }


# --- URLs ------------------------------------------------------------------------------------------------------


def host_of(url: str) -> str:
    """The host of a URL, of ``git@host:path`` or of ``ssh://user@host/path`` (lower-cased; '' if none)."""
    if url.startswith("codecommit:"):
        return "codecommit"
    scp = re.match(r"^[\w.-]+@([\w.-]+):", url)
    if scp and "://" not in url:
        return scp.group(1).lower()
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def is_codecommit_url(url: str) -> bool:
    """An AWS CodeCommit clone URL: HTTPS or SSH to git-codecommit.REGION.amazonaws.com, or ``codecommit::``."""
    return url.startswith("codecommit:") or bool(_CODECOMMIT_HOST.match(host_of(url)))


def is_internal_host(host: str) -> bool:
    """Reachable without the internet: loopback, link-local (instance metadata), private addresses, a name
    without a dot (a VPC-internal name), or an AWS endpoint (``*.amazonaws.com``, which a VPC endpoint serves)."""
    if not host or host in _PRIVATE_HOSTS or "." not in host:
        return True
    if host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".internal", ".local")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local


def is_external_url(url: str) -> bool:
    return not is_codecommit_url(url) and not is_internal_host(host_of(url))


# --- Git repositories ----------------------------------------------------------------------------------------------


def repository_evidence(where: str, url: str | None) -> Evidence | None:
    """A repository SageMaker clones into the notebook when it creates it: external unless CodeCommit. One on a
    private host is reported (``mentions``): it needs a route to that host, which cannot be verified from here."""
    if not url or is_codecommit_url(url):
        return None
    host = host_of(url) or "its host"
    if is_internal_host(host_of(url)):
        return Evidence(
            source=where,
            text=url,
            reason=f"on {host}, inside your network: the target subnet must route to it (not verified)",
            effect=MENTIONS,
            kind="repository",
        )
    return Evidence(
        source=where,
        text=url,
        reason=f"not CodeCommit: SageMaker clones it from {host} when it creates the notebook",
        effect=FAILS,
        kind="repository",
    )


# --- Lifecycle scripts --------------------------------------------------------------------------------------------


def decode_scripts(lifecycle_config: dict | None) -> tuple[dict[str, str], list[str]]:
    """The OnCreate/OnStart scripts of a DescribeNotebookInstanceLifecycleConfig output, decoded from base64;
    and the hooks that could not be decoded."""
    scripts, unreadable = {}, []
    for hook in HOOKS:
        for index, item in enumerate((lifecycle_config or {}).get(hook) or []):
            content = item.get("Content") or ""
            try:
                text = base64.b64decode(content, validate=True).decode("utf-8", errors="replace")
            except (binascii.Error, ValueError):
                unreadable.append(hook)
                continue
            scripts[hook if index == 0 else f"{hook}[{index}]"] = text
    return scripts, unreadable


def logical_lines(script: str) -> list[tuple[int, str, bool]]:
    """(first line number, line with continuations joined and comments removed, whether it runs later).

    A here-document written to a file (``cat > f <<EOF``, ``tee``) runs later, if ever; one fed to a shell
    (``sudo -u ec2-user -i <<'EOF'``, ``bash <<EOF``, as AWS's lifecycle samples do) runs now, in the foreground
    unless that command is itself sent to the background.
    """
    lines: list[tuple[int, str, bool]] = []
    pending, start, heredoc_end, later = "", 0, None, False
    for number, raw in enumerate(script.splitlines(), start=1):
        if heredoc_end is not None:
            if raw.strip() == heredoc_end:
                heredoc_end = None
            elif raw.strip():
                text = " ".join(_strip_comment(raw).split())
                if text:
                    lines.append((number, text, later))
            continue
        if not pending:
            start = number
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        line = " ".join(_strip_comment(pending + raw).split())
        pending = ""
        if line:
            lines.append((start, line, False))
            marker = re.search(r"<<-?\s*['\"]?(\w+)['\"]?", line)
            if marker:
                heredoc_end = marker.group(1)
                writes_file = bool(re.match(r"^(sudo\s+(-\S+\s+)*)?(cat|tee)\b", line))
                later = writes_file or _in_background(line)
    return lines


def _strip_comment(line: str) -> str:
    if line.lstrip().startswith("#"):
        return ""
    # " #" outside quotes starts a comment; a URL's fragment ("...#x") has no space before it.
    quote = None
    for index, character in enumerate(line):
        if character in "'\"" and (quote is None or quote == character):
            quote = None if quote else character
        elif character == "#" and quote is None and index > 0 and line[index - 1] in " \t":
            return line[:index]
    return line


_PIP = re.compile(r"\b(?:pip3?(?:\.\d+)?|python[\d.]*\s+-m\s+pip|uv\s+pip)\s+(?:install|download)\b")
_CONDA = re.compile(r"\b(?:conda|mamba|micromamba)\s+(?:install|create|update|env\s+(?:create|update))\b")
_NPM = re.compile(
    r"\b(?:(?:npm|pnpm)\s+(?:install|i|ci|add)|yarn\s+(?:add|install)|jupyter\s+labextension\s+install)\b"
)
_OS_PACKAGES = re.compile(
    r"\b(?:yum|dnf|apt-get|apt)\s+(?:-\S+\s+)*(?:install|update|upgrade|groupinstall|makecache)\b"
)
_R_PACKAGES = re.compile(r"\binstall\.packages\s*\(")
_DOWNLOAD = re.compile(r"\b(?:curl|wget)\b")
_GIT = re.compile(r"\bgit\s+(?:clone|fetch|pull|ls-remote|submodule\s+update)\b")
_INDEX_OPTION = re.compile(r"(?:--index-url|--extra-index-url|-i|--find-links|-f)[=\s]+(\S+)")


def _package_index(line: str) -> tuple[str, str] | None:
    """(reason, kind) when the line installs packages from a public index; None when it does not."""
    if _PIP.search(line):
        if "--no-index" in line:
            return None
        indexes = [u.strip("'\"") for u in _INDEX_OPTION.findall(line)]
        private = [u for u in indexes if "://" in u and not is_external_url(u)]
        external = [host_of(u) for u in indexes if "://" in u and is_external_url(u)]
        if private and not external and "--extra-index-url" not in line:
            return None  # a private index only (CodeArtifact behind its endpoints, an internal mirror)
        return (f"pip installs from {', '.join(external) or 'PyPI (pypi.org)'}", "package-index")
    if _CONDA.search(line):
        if "--offline" in line or "--use-local" in line:
            return None
        return ("conda installs from public channels (repo.anaconda.com, conda-forge)", "package-index")
    if _NPM.search(line):
        return ("npm installs from registry.npmjs.org", "package-index")
    if _OS_PACKAGES.search(line):
        return (
            "the OS package manager reads its repositories over the internet (Amazon Linux's own are served from "
            "S3 and may work through the S3 gateway endpoint if its policy allows them; EPEL and others need the "
            "internet)",
            "package-index",
        )
    if _R_PACKAGES.search(line):
        return ("R installs packages from CRAN", "package-index")
    return None


def script_evidence(where: str, script: str) -> tuple[list[Evidence], list[str]]:
    """Evidence in one decoded script, and the CodeCommit URLs it clones (they need the git-codecommit endpoint)."""
    found, codecommit = [], []
    for number, line, in_heredoc in logical_lines(script):  # in_heredoc: written to a file or backgrounded
        background = in_heredoc or _in_background(line)
        effect = DEGRADES if background else FAILS
        source = f"{where}, line {number}"
        urls = [u.rstrip(".,") for u in _URL.findall(line)]
        codecommit += [u for u in urls if is_codecommit_url(u)] + re.findall(r"codecommit::[\w-]+://[\w.-]+", line)
        external = [u for u in urls if is_external_url(u)]
        index = _package_index(line)
        if index:
            found.append(Evidence(source, line, index[0], effect, index[1]))
            continue
        if _GIT.search(line):
            remote = external or [u for u in re.findall(r"[\w.-]+@[\w.-]+:[\w./-]+", line) if is_external_url(u)]
            if remote:
                found.append(Evidence(source, line, f"git fetches from {host_of(remote[0])}", effect, "git"))
                continue
        if _DOWNLOAD.search(line):
            if external:
                hosts = ", ".join(sorted({host_of(u) for u in external}))
                found.append(Evidence(source, line, f"downloads from {hosts}", effect, "download"))
                continue
            if not urls and "$" in line:
                found.append(
                    Evidence(source, line, "downloads from a URL in a variable notebook-guard cannot read", effect,
                             "download")
                )
                continue
        if external:
            hosts = ", ".join(sorted({host_of(u) for u in external}))
            found.append(Evidence(source, line, f"mentions {hosts}", MENTIONS, "url"))
    return found, codecommit


def _in_background(line: str) -> bool:
    """``nohup ...`` or a command ending in ``&`` (not ``&&``): the script goes on without waiting for it."""
    stripped = line.rstrip()
    nohup = bool(re.search(r"(^|[\s;&|(])nohup\s", line))
    return nohup or (stripped.endswith("&") and not stripped.endswith("&&"))


def analyse(
    lifecycle_name: str | None, lifecycle_config: dict | None, repositories: list[tuple[str, str | None]]
) -> InternetNeed:
    """Everything the notebook would fetch from the internet: its lifecycle scripts (decoded) and its Git
    repositories (``(where, url)``: a URL given directly, or the RepositoryUrl of a SageMaker code repository)."""
    need = InternetNeed()
    scripts, need.unreadable = decode_scripts(lifecycle_config)
    for hook, text in scripts.items():
        evidence, codecommit = script_evidence(f"lifecycle configuration '{lifecycle_name}' {hook}", text)
        need.evidence += evidence
        need.codecommit += codecommit
    for where, url in repositories:
        if url and is_codecommit_url(url):
            need.codecommit.append(url)
        found = repository_evidence(where, url)
        if found:
            need.evidence.append(found)
    return need


# --- What to do about it -----------------------------------------------------------------------------------------


def fixes(need: InternetNeed) -> list[str]:
    """The ways out, most general first, for what the evidence shows."""
    kinds = need.kinds()
    found = [
        "give the target subnets a route to the internet through a NAT gateway (0.0.0.0/0 -> nat-...) in a public "
        "subnet, or point target_subnet_ids at an existing network that has egress (NAT, transit gateway or "
        "firewall)",
    ]
    if "repository" in kinds or "git" in kinds:
        found.append(
            "mirror the Git repositories in AWS CodeCommit and point the notebook (or its SageMaker code repository) "
            "at the mirror; add the git-codecommit interface endpoint to required_endpoints"
        )
    if "package-index" in kinds:
        found.append(
            "serve packages from a private index behind VPC endpoints, e.g. AWS CodeArtifact (endpoints "
            "codeartifact.api and codeartifact.repositories, plus S3) with pip/conda pointed at it"
        )
    if "download" in kinds:
        found.append("stage downloaded files in S3 and copy them with `aws s3 cp` (the S3 gateway endpoint)")
    found.append("or set internet_dependency=warn to remediate anyway (the notebook may end Failed) or exempt it")
    return found


def fix_labels(need: InternetNeed) -> list[str]:
    """The fixes in a few words each (for one-line summaries)."""
    kinds = need.kinds()
    labels = ["a NAT"]
    labels += ["a CodeCommit mirror"] if kinds & {"repository", "git"} else []
    labels += ["a CodeArtifact index"] if "package-index" in kinds else []
    labels += ["files staged in S3"] if "download" in kinds else []
    return labels


def summary(need: InternetNeed, limit: int = 4) -> str:
    """The evidence in one line per item (at most ``limit``, then a count)."""
    items = need.blocking_evidence
    shown = "; ".join(e.line() for e in items[:limit])
    more = f"; and {len(items) - limit} more" if len(items) > limit else ""
    return shown + more


def _short(text: str, width: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."
