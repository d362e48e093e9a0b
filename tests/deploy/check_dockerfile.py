#!/usr/bin/env python3
"""What can be checked of the Dockerfile without a container engine.

    python3 tests/deploy/check_dockerfile.py [--binary build/src/miroir --binary ...]

- Two stages from one Debian 12 base; the runtime stage runs as a numeric
  non-root USER with an exec-form ENTRYPOINT.
- Every file the build context must provide exists and is not excluded by
  .dockerignore.
- Every package installed with apt-get exists in Debian 12 (apt-cache); the
  build stage installs only packages scripts/setup.sh installs for the
  project's own builds (g++ standing for build-essential).
- The runtime stage installs exactly the packages that own the shared
  libraries the built binaries link (ldd + dpkg -S), less those of the base
  image — when built binaries are given (each one the image ships).
- The sources copied into the build stage, alone, configure with CMake and
  the stage's own flags, with a target for every binary the runtime stage
  copies from the build, and the stage's ninja step builds each of them
  (configure only; nothing is compiled).
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
# Libraries every debian:12-slim image has (apt itself needs them).
BASE_IMAGE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g"}

problems: list[str] = []


def fail(msg: str) -> None:
    problems.append(msg)
    print(f"error: {msg}")


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined, comments dropped."""
    out, cur = [], ""
    for line in text.splitlines():
        if not cur and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            cur += line.rstrip()[:-1] + " "
            continue
        cur += line
        word, _, rest = cur.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        cur = ""
    return out


def stages(instrs: list[tuple[str, str]]) -> tuple[dict[str, str], list[list[tuple[str, str]]]]:
    args, result = {}, []
    for ins, rest in instrs:
        if ins == "ARG" and not result:
            name, _, default = rest.partition("=")
            args[name] = default
        elif ins == "FROM":
            result.append([(ins, rest)])
        elif result:
            result[-1].append((ins, rest))
    return args, result


def apt_packages(stage: list[tuple[str, str]]) -> list[str]:
    pkgs = []
    for ins, rest in stage:
        if ins != "RUN":
            continue
        for cmd in re.split(r"&&|;", rest):
            words = shlex.split(cmd)
            if "apt-get" in words and "install" in words:
                pkgs += [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
    return pkgs


def ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; a path is also excluded
    when a parent directory is."""
    parts = path.strip("/").split("/")
    candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    result = False
    for raw in patterns:
        neg = raw.startswith("!")
        pat = raw[1:] if neg else raw
        pat = pat.strip("/")
        if any(fnmatch.fnmatchcase(c, pat) for c in candidates):
            result = not neg
    return result


def setup_packages() -> set[str]:
    text = (REPO / "scripts/setup.sh").read_text()
    m = re.search(r"DEBIAN_PACKAGES=\((.*?)\)", text, re.S)
    return set(m.group(1).split()) if m else set()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", type=Path, action="append", default=[],
                    help="a built binary the image ships (miroir, miroir-ctl), for its shared libraries")
    args = ap.parse_args()

    base_args, st = stages(instructions(DOCKERFILE.read_text()))
    if len(st) != 2:
        fail(f"want two stages (build, runtime), found {len(st)}")
        return 1
    build, runtime = st
    froms = [s[0][1].split()[0] for s in st]
    resolved = [re.sub(r"\$\{(\w+)\}", lambda m: base_args.get(m.group(1), "?"), f) for f in froms]
    if any(not r.startswith("debian:12") for r in resolved):
        fail(f"stages must start from Debian 12, got {resolved}")
    if " AS " not in build[0][1].upper():
        fail("the build stage is not named")
    users = [rest for ins, rest in runtime if ins == "USER"]
    if not users or not re.fullmatch(r"[1-9][0-9]*(:[1-9][0-9]*)?", users[-1]):
        fail(f"the runtime stage must end as a numeric non-root USER, got {users}")
    entry = [rest for ins, rest in runtime if ins == "ENTRYPOINT"]
    if not entry or not entry[-1].startswith("["):
        fail("the runtime stage needs an exec-form ENTRYPOINT (signals reach miroir directly)")

    # Build context.
    patterns = [line.strip() for line in DOCKERIGNORE.read_text().splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    copied = []
    for ins, rest in build + runtime:
        if ins == "COPY" and "--from=" not in rest:
            copied += shlex.split(rest)[:-1]
    for src in copied:
        path = REPO / src
        if not path.exists():
            fail(f"COPY {src}: not in the repository")
            continue
        files = [path] if path.is_file() else [f for f in path.rglob("*") if f.is_file()]
        excluded = [str(f.relative_to(REPO)) for f in files if ignored(str(f.relative_to(REPO)), patterns)]
        if excluded:
            fail(f"COPY {src}: .dockerignore leaves out {len(excluded)} of its files, e.g. {excluded[0]}")
    print(f"context: {len(copied)} paths copied, all present and not ignored"
          if not problems else "context: problems above")

    # Packages.
    build_pkgs, runtime_pkgs = apt_packages(build), apt_packages(runtime)
    known = setup_packages() | {"g++"}
    for p in build_pkgs:
        if p not in known:
            fail(f"build stage installs {p}, which scripts/setup.sh does not (the tested build)")
    for p in build_pkgs + runtime_pkgs:
        if subprocess.run(["apt-cache", "show", p], capture_output=True).returncode != 0:
            fail(f"apt-get install {p}: no such Debian package here")
    shipped = [shlex.split(rest)[-2] for ins, rest in runtime if ins == "COPY" and "--from=" in rest]
    binaries = [b for b in args.binary if b.exists()]
    if binaries:
        names = {b.name for b in binaries}
        for path in shipped:
            if Path(path).name not in names:
                fail(f"the image ships {path}; pass its build with --binary to check its libraries")
        libs: set[str] = set()
        for b in binaries:
            ldd = subprocess.run(["ldd", str(b)], capture_output=True, text=True, check=True).stdout
            libs |= set(re.findall(r"=>\s+(/\S+)", ldd))
        owners = set()
        for lib in sorted(libs):
            real = str(Path(lib).resolve())
            for candidate in (lib, real):
                out = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
                if out.returncode == 0:
                    owners.add(out.stdout.split(":")[0])
                    break
            else:
                fail(f"{lib}: no Debian package owns it")
        needed = owners - BASE_IMAGE_PACKAGES
        if set(runtime_pkgs) != needed:
            fail(f"runtime packages {sorted(runtime_pkgs)} != the packages of the libraries "
                 f"{', '.join(sorted(names))} link {sorted(needed)}")
        else:
            print(f"runtime: {len(runtime_pkgs)} packages, exactly the owners of the {len(libs)} "
                  f"libraries {', '.join(sorted(names))} link, less the base image's")
    else:
        print("runtime: no built binaries given; shared libraries not compared")

    # Configure the copied sources alone.
    cmake_run = next((rest for ins, rest in build if ins == "RUN" and "cmake -S" in rest), "")
    if not cmake_run:
        fail("the build stage has no `cmake -S` step")
    flags = re.findall(r"-D\S+", cmake_run)
    with tempfile.TemporaryDirectory(prefix="miroir-docker-context-") as tmp:
        ctx = Path(tmp) / "src"
        ctx.mkdir()
        for ins, rest in build:
            if ins == "COPY":
                *srcs, dest = shlex.split(rest)
                for s in srcs:
                    target = ctx / dest / Path(s).name if not dest.endswith("/") or dest == "./" \
                        else ctx / dest
                    if dest in (".", "./"):
                        target = ctx / Path(s).name
                    if (REPO / s).is_dir():
                        shutil.copytree(REPO / s, target, dirs_exist_ok=True)
                    else:
                        target.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy(REPO / s, target)
        result = subprocess.run(["cmake", "-S", str(ctx), "-B", str(ctx / "build"), "-G", "Ninja",
                                 "-DCMAKE_CXX_COMPILER_LAUNCHER=", *flags],
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            fail(f"cmake configure of the copied sources failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
        else:
            targets = subprocess.run(["ninja", "-C", str(ctx / "build"), "-t", "targets", "all"],
                                     capture_output=True, text=True).stdout
            ninja_step = re.search(r"ninja -C build ([^&]*)", cmake_run)
            built = set(ninja_step.group(1).split()) if ninja_step else set()
            ok = True
            for path in shipped:
                rel = path.split("/src/build/", 1)[-1]
                if not re.search(rf"^{re.escape(rel)}: ", targets, re.M):
                    fail(f"the image ships {path}, but the configured build has no {rel}")
                    ok = False
                elif Path(rel).name not in built:
                    fail(f"the image ships {path}, but the ninja step does not build {Path(rel).name}")
                    ok = False
            if ok:
                print(f"build stage: the copied sources configure with {' '.join(flags)}; "
                      f"targets of the {len(shipped)} shipped binaries present and built")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
