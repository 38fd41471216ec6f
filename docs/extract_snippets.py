"""Write each ```python block of Markdown files to its own module, for ``mypy --strict``.

``make typecheck`` runs it on README.md and checks the modules with the examples, so the
code a reader copies type-checks as the package does::

    python docs/extract_snippets.py .snippets README.md
"""

import re
import shutil
import sys
from pathlib import Path

BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def main(out: str, *sources: str) -> None:
    """Empty ``out``, then write there one module per python block of each source."""
    target = Path(out)
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    for source in sources:
        text = Path(source).read_text(encoding="utf-8")
        stem = Path(source).stem.lower().replace("-", "_")
        for number, match in enumerate(BLOCK.finditer(text), start=1):
            line = text.count("\n", 0, match.start()) + 2  # the block's first line
            header = f"# From {source}, line {line}.\n"
            (target / f"{stem}_{number}.py").write_text(header + match.group(1))


if __name__ == "__main__":
    main(*sys.argv[1:])
