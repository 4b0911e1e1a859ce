"""Rules for crash loops: classify from the exit code and well-known log lines. Pure.

Exit codes follow the shell and signal conventions: 126 not executable, 127 not found,
128+N killed by signal N (137 SIGKILL, 139 SIGSEGV, 143 SIGTERM).
"""

from __future__ import annotations

import re2

from kubesent.diagnosis.context import RuleContext
from kubesent.diagnosis.rules.text import COMMAND_SHOWN_CHARS, INLINE_QUOTE_CHARS, compile_pattern, find_line, quote
from kubesent.diagnosis.schema import ESCALATE, Diagnosis, Remedy, RemedyKind
from kubesent.evidence import podfacts
from kubesent.evidence.category import Category
from kubesent.evidence.model import ContainerFacts, Evidence

# A command that dies this fast never reached the app's own error handling: suspect the command line.
QUICK_EXIT_SECONDS = 10

_SIGNATURES = (
    (compile_pattern(r"(?i)exec format error"), RemedyKind.FIX_IMAGE_REFERENCE, 92,
     "the image's binary is built for another CPU architecture than the node (exec format error)"),
    (compile_pattern(r"(?i)flag provided but not defined|unknown (?:long |short )?(?:flag|option|shorthand flag)|"
                     r"unrecognized (?:arguments|option)|invalid option|no such option|Unknown argument|"
                     r"illegal option"),
     RemedyKind.FIX_COMMAND_OR_ARGS, 92, "the container is started with a flag or argument it does not accept"),
    (compile_pattern(r"^(?:exec |/bin/sh: )?\S+: no such file or directory$|^exec \S+: no such file or directory|"
                     r"exec user process caused:? \"?no such file or directory"),
     RemedyKind.FIX_COMMAND_OR_ARGS, 85,
     "the program to start cannot be executed: the file, or the interpreter its #! line names, is missing "
     "(often a script saved with Windows line endings, or bash in an image that has only sh)"),
    (compile_pattern(r'(?i)executable file not found|command not found|exec: "[^"]*": stat|: not found$'),
     RemedyKind.FIX_COMMAND_OR_ARGS, 90, "the command to run does not exist in the image"),
    (compile_pattern(r"Cannot find module '/|Error: Could not find or load main class|can't open file '/|"
                     r"python[0-9.]*: can't open file|Unable to access jarfile|Error: Invalid or corrupt jarfile"),
     RemedyKind.FIX_COMMAND_OR_ARGS, 85, "the command points at a script or main class that is not in the image"),
    (compile_pattern(r"ModuleNotFoundError: No module named|ImportError: No module named|Cannot find module '[^/.]|"
                     r"ERR_MODULE_NOT_FOUND|Cannot find package '|"
                     r"java\.lang\.(?:NoClassDefFoundError|ClassNotFoundException)|"
                     r"error while loading shared libraries"),
     RemedyKind.FIX_IMAGE_REFERENCE, 80,
     "the image lacks a library or module the program needs (a broken build, or the wrong image tag)"),
    (compile_pattern(r"(?i)listen EACCES|EACCES: permission denied.{0,40}:(?:[0-9]{1,3})\b|"
                     r"bind: permission denied"),
     RemedyKind.FIX_SECURITY_CONTEXT, 85,
     "a non-root process may not bind a port below 1024; use a higher port or grant NET_BIND_SERVICE"),
    (compile_pattern(r"(?i)read-only file system"), RemedyKind.FIX_SECURITY_CONTEXT, 88,
     "the app writes to a read-only root filesystem; mount an emptyDir where it writes, or relax "
     "readOnlyRootFilesystem"),
    (compile_pattern(r"(?i)(?:mkdir|open|chown|chmod|bind|create|write).{0,120}permission denied|"
                     r"permission denied.{0,80}(?:/var/|/etc/|/run/|/tmp|/usr/|/data|/home)|operation not permitted|"
                     r"bind\(\) to 0\.0\.0\.0:(?:80|443)"),
     RemedyKind.FIX_SECURITY_CONTEXT, 85,
     "the process lacks a permission it needs (user, fsGroup or capabilities in securityContext)"),
    (compile_pattern(r"(?i)['\"][A-Z_][A-Z0-9_]{1,80}['\"] is (?:a )?required(?: variable| env)?|"
                     r"(?:environment variable|env var|env)\s+['\"]?[A-Z_][A-Z0-9_]{1,80}['\"]?\s+(?:is\s+)?"
                     r"(?:not set|missing|required|undefined|must be set|is empty)|missing required (?:env|environment)"
                     r"|required key [A-Z_][A-Z0-9_]* missing value|KeyError: '[A-Z_][A-Z0-9_]*'|"
                     r"[A-Z_][A-Z0-9_]{2,80} (?:is not set|must be set|is required|not defined)"),
     RemedyKind.ADD_MISSING_CONFIG, 88, "a required environment variable is not set"),
    (compile_pattern(r"(?i)(?:open|read|load|stat)\S*\s+\S*/[\w./-]+(?:\.ya?ml|\.json|\.conf|\.toml|\.ini|\.properties|"
                     r"\.env|\.cfg|\.pem|\.crt|\.key)\S*:? no such file or directory|(?:config(?:uration)? file|"
                     r"certificate).{0,80}(?:not found|does not exist|no such file)"),
     RemedyKind.ADD_MISSING_CONFIG, 85, "a configuration file the app reads is not mounted"),
    (compile_pattern(r"(?i)connection refused|could not connect to|couldn't connect to|no such host|"
                     r"name or service not known|getaddrinfo (?:ENOTFOUND|EAI_AGAIN)|i/o timeout|"
                     r"Connection timed out|ECONNREFUSED|Temporary failure in name resolution"),
     RemedyKind.ESCALATE, 80,
     "the app exits because a dependency (database, service, DNS) is unreachable; the manifest is not at fault"),
    (compile_pattern(r"panic: runtime error|invalid memory address or nil pointer dereference|"
                     r"Segmentation fault|SIGSEGV|Fatal Python error"),
     RemedyKind.ESCALATE, 80, "the program crashes on a bug of its own (a panic or a segmentation fault)"),
    (compile_pattern(r"(?i)address already in use|EADDRINUSE"), RemedyKind.FIX_COMMAND_OR_ARGS, 80,
     "the port the app binds is already taken in the pod (two containers, or a sidecar, on one port)"),
)
_MISSING_MODULE = compile_pattern(r"No module named '([A-Za-z0-9_.]+)'|Cannot find (?:module|package) '([^']+)'")


def _in_context(kind: RemedyKind, cause: str, line: str, facts: ContainerFacts) -> tuple[RemedyKind, str]:
    """Refine a signature with the container's own command: the same words mean a different fix when
    the workload's command names the missing thing, or when the image's own entrypoint is at fault."""
    command_line = " ".join((*facts.command, *facts.args))
    missing = _MISSING_MODULE.search(line)
    if kind is RemedyKind.FIX_IMAGE_REFERENCE and missing:
        module = (missing.group(1) or missing.group(2) or "").split(".")[0]
        if module and re2.search(rf"(?:^|[\s:=/'\"]){re2.escape(module)}(?:[.:\s'\"]|$)", command_line):
            return RemedyKind.FIX_COMMAND_OR_ARGS, (
                f"the command ({command_line[:INLINE_QUOTE_CHARS]!r}) names {module!r}, which is not importable "
                "in the image: fix the module path in the command")
    if kind is RemedyKind.FIX_COMMAND_OR_ARGS and "cannot be executed" in cause and not facts.command:
        return RemedyKind.FIX_IMAGE_REFERENCE, cause + "; the workload does not override the command, so the image's " \
            "own entrypoint is broken: rebuild it or use another tag"
    return kind, cause


def _latest_signature(log: str) -> tuple[tuple[RemedyKind, int, str], str] | None:
    best: tuple[int, tuple[RemedyKind, int, str], str] | None = None
    lines = log.splitlines()
    for position in range(len(lines) - 1, -1, -1):
        line = lines[position]
        for pattern, kind, confidence, cause in _SIGNATURES:
            if pattern.search(line):
                best = (position, (kind, confidence, cause), quote(line))
                break
        if best is not None:
            return best[1], best[2]
    return None


_ERRORISH = compile_pattern(r"(?i)error|fatal|panic|exception|traceback|failed|cannot|can't|unable")


def _exit(facts: ContainerFacts) -> tuple[int | None, float | None]:
    last = facts.last_terminated or facts.terminated
    if last is None:
        return None, None
    return last.exit_code, podfacts.last_run_seconds(facts)


def crash_loop(evidence: Evidence, context: RuleContext) -> Diagnosis | None:
    del context
    if evidence.category is not Category.CRASH_LOOP or evidence.focus is None:
        return None
    facts = evidence.focus
    code, uptime = _exit(facts)
    logs = (facts.logs_previous, facts.logs_current)
    state = f"container {facts.name}: exitCode={code}, restarts={facts.restart_count}"

    def diagnosis(kind: RemedyKind, cause: str, confidence: int, *lines: str) -> Diagnosis:
        remedy = ESCALATE if kind is RemedyKind.ESCALATE else Remedy(kind=kind, container=facts.name)
        return Diagnosis(category=Category.CRASH_LOOP, remedy=remedy, confidence=confidence,
                         root_cause=f"Container {facts.name} keeps crashing (exit code {code}): {cause}.",
                         evidence=(state, *lines), source="rule:crash_loop")

    # The fatal line is the last one that matters: an early warning (nginx's entrypoint noting a
    # read-only file) must not win over the error the process died of, so the latest match wins.
    found = _latest_signature("\n".join(text for text in logs if text))
    if found is not None:
        (kind, confidence, cause), line = found
        kind, cause = _in_context(kind, cause, line, facts)
        return diagnosis(kind, cause, confidence, line)
    if code == 0:
        return diagnosis(RemedyKind.FIX_COMMAND_OR_ARGS, "it runs to completion and exits 0, but its controller "
                         f"({evidence.owner.kind}) restarts it forever. A one-shot task belongs in a Job; a server "
                         "needs a command that keeps running", 88)
    if code == 127:
        return diagnosis(RemedyKind.FIX_COMMAND_OR_ARGS, "the command was not found (exit 127)", 90)
    if code == 126:
        return diagnosis(RemedyKind.FIX_COMMAND_OR_ARGS, "the command is not executable (exit 126)", 88)
    if code == 139:
        return diagnosis(RemedyKind.ESCALATE, "it died of a segmentation fault (SIGSEGV); this is a bug in the "
                         "program or a native library", 85)
    if code in (137, 143) and any(e.reason in ("Killing", "Unhealthy") for e in evidence.events):
        return None  # killed by its liveness probe: the probe events carry the diagnosis
    if (facts.command or facts.args) and code not in (None, 137, 143) and uptime is not None \
            and uptime <= QUICK_EXIT_SECONDS and find_line(_ERRORISH, *logs) is None:
        shown = " ".join((*facts.command, *facts.args))[:COMMAND_SHOWN_CHARS]
        return diagnosis(RemedyKind.FIX_COMMAND_OR_ARGS, f"the command set in the workload ({shown!r}) exits with "
                         f"code {code} after {uptime:.0f} s without an application error in its log. Check the "
                         "command and args", 65)
    return None
