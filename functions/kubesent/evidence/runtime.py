"""How a container's runtime sizes its memory, read from its image, command and options. Pure.

A bigger limit helps only a process whose memory follows the limit's headroom. It does not help when:
- the heap is a fixed size above what the limit leaves (``-Xmx``, Node's ``--max-old-space-size``);
- the heap is a share of the limit (``-XX:MaxRAMPercentage``): it grows with any raise;
- the heap's floor is fixed (``-Xms``): HotSpot never shrinks the heap below it, and an ``-Xms`` above the
  ergonomic maximum raises the maximum to it;
- a Go runtime whose garbage collector is off (``GOGC=off``) with no soft limit, or whose soft limit
  (``GOMEMLIMIT``) is at or above the container's limit: the collector never acts before the kill;
- the JVM predates container support (JDK 8u191, JDK 10) and sizes its heap from the node's memory;
- the command writes without bound (a shell loop appending forever, a read of ``/dev/zero``).
Sources: FACTS.md §9 (runtime heaps). Called by the memory rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

# JDK 8u191 and JDK 10 were the first to read the cgroup limit; older JVMs see the node's memory.
FIRST_CONTAINER_AWARE_JDK8_UPDATE = 191
# The JVM's default MaxRAMPercentage: a quarter of the limit goes to the heap.
JVM_DEFAULT_MAX_RAM_PERCENTAGE = 25.0
# A command line longer than this is not read for loops: manifests keep theirs short.
MAX_COMMAND_CHARS = 8192

_SIZE_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}
_GO_UNITS = {"": 1, "B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}
_MAX_HEAP = re.compile(r"(?:-Xmx|-XX:MaxHeapSize=)([0-9]{1,12})([kKmMgG]?)")
_INITIAL_HEAP = re.compile(r"(?:-Xms|-XX:InitialHeapSize=)([0-9]{1,12})([kKmMgG]?)")
_NODE_OLD_SPACE = re.compile(r"--max-old-space-size=([0-9]{1,9})")
_RAM_PERCENTAGE = re.compile(r"-XX:MaxRAMPercentage=([0-9]{1,3}(?:\.[0-9]{1,3})?)")
_INITIAL_RAM_PERCENTAGE = re.compile(r"-XX:InitialRAMPercentage=([0-9]{1,3}(?:\.[0-9]{1,3})?)")
_GOMEMLIMIT = re.compile(r"GOMEMLIMIT=([0-9]{1,15})(B|KiB|MiB|GiB|TiB)?")
# Images of a JVM: the repository names a JDK or JRE, or is one of the well-known Java bases.
_JVM_REPOSITORY = re.compile(r"(?i)(?:^|/)(?:java|openjdk|[a-z-]*jdk[a-z-]*|[a-z-]*jre[a-z-]*|tomcat|jetty|"
                             r"eclipse-temurin|amazoncorretto|adoptopenjdk)(?::|$)")
_JDK8_UPDATE = re.compile(r"(?:^|[^0-9])8u([0-9]{1,3})(?:[^0-9]|$)")
_OLD_MAJOR = re.compile(r"^(?:1\.)?[67](?:[^0-9]|$)")
# The Docker Hub `java` repository was deprecated at JDK 8u111, before container support.
_DEPRECATED_JAVA_REPOSITORY = re.compile(r"^(?:docker\.io/)?(?:library/)?java$")
# A loop that never ends on its own, in the shells and languages containers start with.
_ENDLESS_LOOP = re.compile(r"(?i)while\s+(?:true|:|\[\s*1\s*\]|1)(?=[\s;:)]|$)|while\s*\(\s*(?:true|1)\s*\)|"
                           r"for\s*\(\(?\s*;\s*;\s*\)|until\s+false(?=[\s;]|$)")
# Inside such a loop, something that only ever grows: appending to a file or a variable.
_ACCUMULATES = re.compile(r">>|\+=|tee\s+-a|\.append\(|\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?\$\{?\1\b")
# Reading an endless device with nothing to stop it.
_ENDLESS_READ = re.compile(r"(?:tail|cat)\s+/dev/(?:zero|urandom)|\byes\s*[|>]")
_BOUNDED_READ = re.compile(r"head\s+-c|\bcount=|\bbs=.*\bcount=")


@dataclass(frozen=True)
class HeapSizing:
    """The heap limits a runtime's flags set, if any. HotSpot's ergonomics (``arguments.cpp``, ``set_heap_size``):
    an explicit maximum (``-Xmx``) overrides ``MaxRAMPercentage``; the initial heap is ``-Xms``, else
    ``InitialRAMPercentage`` of the limit capped at the maximum heap; an explicit ``-Xms`` raises an ergonomic
    maximum to itself, and the heap never shrinks below it."""

    fixed_bytes: int | None = None
    """``-Xmx`` (``-XX:MaxHeapSize``) or ``--max-old-space-size``: the last one wins, as in the runtimes."""
    percentage: float | None = None
    """``-XX:MaxRAMPercentage``: the heap as a share of the container's limit."""
    flag: str = ""
    initial_bytes: int | None = None
    """``-Xms`` (``-XX:InitialHeapSize``): the heap's floor."""
    initial_percentage: float | None = None
    """``-XX:InitialRAMPercentage``: the starting heap as a share of the limit, capped at the maximum heap."""
    initial_flag: str = ""
    go_soft_limit_bytes: int | None = None
    """``GOMEMLIMIT``: the Go runtime's soft memory limit (all its memory, not the heap alone)."""
    go_gc_off: bool = False
    """``GOGC=off``: the Go collector runs only when the soft limit is reached, and never without one."""

    def floor_bytes(self) -> int | None:
        """The size the heap reaches whatever the limit: the larger of the explicit maximum and floor."""
        sizes = [size for size in (self.fixed_bytes, self.initial_bytes) if size is not None]
        return max(sizes) if sizes else None

    def floor_flag(self) -> str:
        return self.initial_flag if (self.initial_bytes or 0) > (self.fixed_bytes or 0) else self.flag

    def limit_share(self) -> float | None:
        """The heap's maximum as a share of the limit, in percent, when a flag sizes it that way: the explicit
        ``MaxRAMPercentage``, unless an explicit maximum overrides it."""
        return self.percentage if self.fixed_bytes is None else None

    def starting_share(self) -> float | None:
        """The starting heap as a share of the limit (``InitialRAMPercentage``, capped by the maximum's share)."""
        if self.initial_percentage is None or self.fixed_bytes is not None or self.initial_bytes is not None:
            return None
        return min(self.initial_percentage, self.limit_share() or JVM_DEFAULT_MAX_RAM_PERCENTAGE)


def heap_sizing(flags: tuple[str, ...]) -> HeapSizing:
    """The flags as the runtime applies them, in order: a later flag overrides an earlier one."""
    sizing = HeapSizing()
    for flag in flags:
        if match := _MAX_HEAP.fullmatch(flag):
            sizing = replace(sizing, fixed_bytes=int(match.group(1)) * _SIZE_UNITS[match.group(2).lower()], flag=flag)
        elif match := _NODE_OLD_SPACE.fullmatch(flag):
            sizing = replace(sizing, fixed_bytes=int(match.group(1)) * 2**20, flag=flag)
        elif match := _INITIAL_HEAP.fullmatch(flag):
            sizing = replace(sizing, initial_bytes=int(match.group(1)) * _SIZE_UNITS[match.group(2).lower()],
                             initial_flag=flag)
        elif match := _RAM_PERCENTAGE.fullmatch(flag):
            sizing = replace(sizing, percentage=float(match.group(1)), flag=flag)
        elif match := _INITIAL_RAM_PERCENTAGE.fullmatch(flag):
            sizing = replace(sizing, initial_percentage=float(match.group(1)), initial_flag=flag)
        elif match := _GOMEMLIMIT.fullmatch(flag):
            sizing = replace(sizing, go_soft_limit_bytes=int(match.group(1)) * _GO_UNITS[match.group(2) or ""])
        elif flag in ("GOGC=off",):
            sizing = replace(sizing, go_gc_off=True)
    return sizing


def jvm_without_container_support(image: str) -> str | None:
    """Why the image's JVM cannot see the container's limit, or None (not a JVM, or a modern one)."""
    name, _, tag = image.rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "")
    name = name.split("@", 1)[0]
    if not _JVM_REPOSITORY.search(f"{name}:"):
        return None
    if _DEPRECATED_JAVA_REPOSITORY.fullmatch(name):
        return (f"the {name} image was deprecated at JDK 8u111, before container support: its JVM sizes its heap "
                "from the node's memory, not the limit")
    update = _JDK8_UPDATE.search(tag)
    if update and int(update.group(1)) < FIRST_CONTAINER_AWARE_JDK8_UPDATE:
        return (f"JDK 8u{update.group(1)} predates container support (8u{FIRST_CONTAINER_AWARE_JDK8_UPDATE}): "
                "it sizes its heap from the node's memory, not the limit")
    if _OLD_MAJOR.match(tag):
        return f"a JDK {tag.split('-')[0]} predates container support: it sizes its heap from the node's memory"
    return None


def unbounded_writer(command: tuple[str, ...]) -> str | None:
    """The part of a command that writes without bound, or None."""
    text = " ".join(command)[:MAX_COMMAND_CHARS]
    loop = _ENDLESS_LOOP.search(text)
    if loop and (growth := _ACCUMULATES.search(text, loop.start())):
        return text[loop.start():growth.end()][:120]
    read = _ENDLESS_READ.search(text)
    if read and not _BOUNDED_READ.search(text):
        return read.group(0)
    return None
