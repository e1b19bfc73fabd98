"""Re-vendor GraphiQL and React into ``hub/api/static/vendor/`` from the npm registry.

The hub serves GraphiQL's page from these files (``hub/api/ide.py``), so a browser needs
nothing but the hub. Run ``python3 scripts/vendor_graphiql.py`` (it needs ``npm``) after
changing a version below; it writes the built files, each package's licence and
``manifest.json`` (package, version, npm integrity, and the SHA-256 of every file, which a
unit test checks against the files).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "hub" / "api" / "static" / "vendor"

#: package, version, and the files taken from its tarball (path inside it, name here).
PACKAGES = [
    ("react", "18.2.0", {"umd/react.production.min.js": "react.production.min.js"}),
    ("react-dom", "18.2.0", {"umd/react-dom.production.min.js": "react-dom.production.min.js"}),
    (
        "graphiql",
        "3.8.3",
        {"graphiql.min.js": "graphiql.min.js", "graphiql.min.css": "graphiql.min.css"},
    ),
]


def _pack(name: str, version: str, into: Path) -> tuple[Path, str]:
    """The tarball of ``name@version`` from npm, and its integrity string."""
    out = subprocess.run(
        ["npm", "pack", "--json", f"{name}@{version}", "--pack-destination", str(into)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    packed = json.loads(out)[0]
    return into / packed["filename"], packed["integrity"]


def _extract(tarball: Path, inner: str, target: Path) -> None:
    with tarfile.open(tarball) as archive:
        member = archive.extractfile(f"package/{inner}")
        if member is None:
            raise SystemExit(f"{tarball.name} has no {inner}")
        target.write_bytes(member.read())


def main() -> None:
    if shutil.which("npm") is None:
        raise SystemExit("npm is needed to vendor GraphiQL (apt-get install npm)")
    shutil.rmtree(VENDOR, ignore_errors=True)
    VENDOR.mkdir(parents=True)
    manifest = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, version, files in PACKAGES:
            tarball, integrity = _pack(name, version, Path(scratch))
            files = {**files, "LICENSE": f"{name}.LICENSE"}
            for inner, local in files.items():
                _extract(tarball, inner, VENDOR / local)
            manifest.append(
                {
                    "package": name,
                    "version": version,
                    "integrity": integrity,
                    "files": {
                        local: hashlib.sha256((VENDOR / local).read_bytes()).hexdigest()
                        for local in files.values()
                    },
                }
            )
    (VENDOR / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(
        f"vendored {', '.join(f'{n}@{v}' for n, v, _ in PACKAGES)} into {VENDOR}", file=sys.stderr
    )


if __name__ == "__main__":
    main()
