#!/usr/bin/env python3
"""The repository's Markdown as a reader meets it: every code fence closed (an unclosed one turns
the rest of a page into code), and every relative link pointing at a file or folder that exists
(with its #anchor, when given, at a heading of that file). Usage: check_markdown.py <repository>.
Exit 1 with one line per problem."""

import os
import re
import sys

SKIP_DIRS = {".git", "node_modules", "artifacts"}
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def anchors_of(path):
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    out = set()
    in_fence = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            fence = FENCE.match(line)
            if fence:
                marker = fence.group(1)
                if in_fence is None:
                    in_fence = marker[0] * len(marker)
                elif marker.startswith(in_fence):
                    in_fence = None
                continue
            if in_fence is None and line.startswith("#"):
                title = line.lstrip("#").strip().lower()
                title = re.sub(r"[^\w\- ]", "", title)
                out.add(title.replace(" ", "-"))
    return out


def check(repository):
    problems = []
    for directory, subdirs, files in os.walk(repository):
        subdirs[:] = [d for d in subdirs if d not in SKIP_DIRS and not d.startswith("build")]
        for name in files:
            if not name.endswith(".md"):
                continue
            path = os.path.join(directory, name)
            shown = os.path.relpath(path, repository)
            in_fence = None
            opened_at = 0
            with open(path, encoding="utf-8") as f:
                lines = f.readlines()
            for number, line in enumerate(lines, 1):
                fence = FENCE.match(line)
                if fence:
                    marker = fence.group(1)
                    if in_fence is None:
                        in_fence, opened_at = marker[0] * len(marker), number
                    elif marker.startswith(in_fence) and line.strip() == marker:
                        in_fence = None
                    continue
                if in_fence is not None:
                    continue
                for target in LINK.findall(re.sub(r"`[^`]*`", "", line)):
                    if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                        continue  # https:, mailto:, ...
                    file_part, _, anchor = target.partition("#")
                    resolved = os.path.normpath(os.path.join(directory, file_part)) if file_part else path
                    if not os.path.exists(resolved):
                        problems.append(f"{shown}:{number}: the link '{target}' points at nothing")
                    elif anchor and resolved.endswith(".md") and anchor.lower() not in anchors_of(resolved):
                        problems.append(f"{shown}:{number}: the link '{target}' names no heading of {file_part or name}")
            if in_fence is not None:
                problems.append(f"{shown}:{opened_at}: a code fence is opened here and never closed")
    return problems


def main():
    problems = check(sys.argv[1] if len(sys.argv) > 1 else ".")
    for p in problems:
        print(p)
    if problems:
        print(f"markdown: {len(problems)} problem(s)")
        return 1
    print("markdown: fences closed, relative links resolve")
    return 0


if __name__ == "__main__":
    sys.exit(main())
