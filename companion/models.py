"""Find, download and remove Vosk speech models.

companion never needs the network except for ``download``, which the user asks
for by name. Downloads resume from a ``.part`` file, are checked against the
catalog's SHA-256 when it has one, and unpack atomically: a model folder is
either complete or absent, so a crash or a full disk never leaves a model that
Vosk half-loads.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

import companion
from companion import paths
from companion.catalog import CatalogEntry, ProgressCallback
from companion.cli_options import handler
from companion.content_files import read_toml
from companion.errors import ContentError, ModelError

_SHA256 = re.compile(r"[0-9a-f]{64}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def repo_models_dir() -> Path:
    """The repository's ``models/`` folder (next to the package in an editable install)."""
    return Path(companion.__file__).resolve().parents[1] / "models"


def installed_dir() -> Path:
    """Where ``download`` puts models by default (inside the user data folder)."""
    return paths.data_dir() / "models"


def catalog_path() -> Path:
    """The catalog file: ``COMPANION_CATALOG`` if set, else the one shipped in the package
    (so `companion model download` works from any install, not only a checkout)."""
    env = os.environ.get("COMPANION_CATALOG")
    return Path(env) if env else Path(__file__).with_name("catalog.toml")


def recommended() -> CatalogEntry:
    """The catalog's first model: the one offered at set-up and named in hints."""
    path = catalog_path()
    for entry in load_catalog(path).values():
        return entry
    raise ModelError(f"the model catalog {path} lists no models",
                     "add a [[model]] entry, or unset COMPANION_CATALOG")


def download_command() -> str:
    """What to type to get the recommended model (said even when the catalog is broken,
    inside another error's fix)."""
    try:
        return f"companion model download {recommended().name}"
    except ModelError:
        return "companion model list, then companion model download NAME"


def load_catalog(path: Path | None = None) -> dict[str, CatalogEntry]:
    """Read and check the catalog; errors name the file and the entry."""
    path = path or catalog_path()
    if not path.is_file():
        raise ModelError(
            f"model catalog {path} not found",
            "set COMPANION_CATALOG to a catalog file, or download a model by hand, "
            "unzip it and pass --model PATH",
        )
    entries: dict[str, CatalogEntry] = {}
    raw_entries = read_toml(path).get("model", [])
    if not isinstance(raw_entries, list):
        raise ContentError(f"{path}: 'model' must be a list of [[model]] tables", "fix the file")
    for number, raw in enumerate(raw_entries, 1):
        entry = _parse_entry(raw, f"{path}: model entry {number}")
        entries[entry.name] = entry
    return entries


def _parse_entry(raw: Any, where: str) -> CatalogEntry:
    fields = {"name": str, "language": str, "url": str, "size": int, "sha256": str,
              "description": str}
    if not isinstance(raw, dict):
        raise ContentError(f"{where} is not a table", "write each model as a [[model]] table")
    for key, kind in fields.items():
        if not isinstance(raw.get(key), kind):
            raise ContentError(f"{where}: '{key}' is missing or not a {kind.__name__}",
                               f"give every model a {key}")
    sha = raw["sha256"].lower()
    if sha and not _SHA256.fullmatch(sha):
        raise ContentError(f"{where}: sha256 must be 64 hex digits or empty", "fix the digest")
    if not _NAME.fullmatch(raw["name"]):
        raise ContentError(f"{where}: name {raw['name']!r} is not a plain folder name",
                           "use letters, digits, '.', '_' and '-' only")
    return CatalogEntry(raw["name"], raw["language"], raw["url"], raw["size"], sha,
                        raw["description"])


# --- recognising and finding models -------------------------------------------------------


def _model_problem(path: Path) -> str | None:
    """Why ``path`` is not a loadable Vosk model, or None when it is."""
    if not path.is_dir():
        return "it does not exist" if not path.exists() else "it is not a folder"
    if not ((path / "am" / "final.mdl").is_file() or (path / "final.mdl").is_file()):
        return "it has no am/final.mdl (acoustic model)"
    if not any((path / p).is_file() for p in ("conf/model.conf", "conf/mfcc.conf", "mfcc.conf")):
        return "it has no conf/model.conf or conf/mfcc.conf"
    graphs = ("graph/HCLG.fst", "graph/HCLr.fst", "HCLG.fst", "HCLr.fst")
    if not any((path / p).is_file() for p in graphs):
        return "it has no graph (graph/HCLG.fst or graph/HCLr.fst)"
    return None


def is_vosk_model(path: Path) -> bool:
    """True when ``path`` has what vosk.Model loads: acoustic model, config and a graph.

    Both layouts Vosk reads are accepted: the current one (``am/final.mdl``,
    ``conf/model.conf``, ``graph/``) and the old flat one (``final.mdl``, ``HCLG.fst``).
    """
    return _model_problem(path) is None


def _checked(path: Path, source: str) -> Path:
    problem = _model_problem(path)
    if problem is None:
        return path
    nested = [p for p in _children(path) if is_vosk_model(p)] if path.is_dir() else []
    fix = (f"point {source} at the folder inside it: {nested[0]}" if nested else
           "give the folder you unzipped (it holds am/, conf/ and graph/), or download one: "
           f"{download_command()}")
    raise ModelError(f"{path} (from {source}) is not a Vosk model: {problem}", fix)


def _children(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if not p.name.startswith((".", "__")))
    except OSError:
        return []


def find_model(explicit: Path | None = None) -> Path | None:
    """The model to use: ``--model`` > ``COMPANION_MODEL`` > repo ``models/`` > data folder.

    An explicit path or the environment variable must be a valid model (the
    user asked for it, so a silent fallback would hide a mistake). In the two
    folders the first valid model by name is used; None when there is none.
    """
    if explicit is not None:
        return _checked(Path(explicit).expanduser(), "--model")
    env = os.environ.get("COMPANION_MODEL")
    if env:
        return _checked(Path(env).expanduser(), "COMPANION_MODEL")
    for folder in (repo_models_dir(), installed_dir()):
        for candidate in _children(folder):
            if is_vosk_model(candidate):
                return candidate
    return None


def model_path(name: str) -> Path | None:
    """Where the model ``name`` is installed (repo ``models/`` first), or None."""
    for folder in (repo_models_dir(), installed_dir()):
        if is_vosk_model(folder / name):
            return folder / name
    return None


def list_models() -> list[dict[str, Any]]:
    """Catalog entries with ``installed`` and ``path``, then installed models not in it."""
    catalog = load_catalog() if catalog_path().is_file() else {}
    rows: list[dict[str, Any]] = []
    for entry in catalog.values():
        found = model_path(entry.name)
        rows.append({"name": entry.name, "language": entry.language, "size": entry.size,
                     "description": entry.description, "url": entry.url,
                     "installed": found is not None, "path": found, "in_catalog": True})
    for folder in (repo_models_dir(), installed_dir()):
        for candidate in _children(folder):
            if candidate.name not in catalog and is_vosk_model(candidate):
                rows.append({"name": candidate.name, "language": "", "size": None,
                             "description": "installed by hand", "url": "",
                             "installed": True, "path": candidate, "in_catalog": False})
    return rows


def remove(name: str, dest_dir: Path | None = None) -> Path:
    """Delete a downloaded model (and any partial download); returns the removed path.

    The folder is renamed aside first, so an interrupted removal never leaves
    something that looks like a model. Models placed in the repo by hand are
    not touched.
    """
    if not _NAME.fullmatch(name):
        raise ModelError(f"{name!r} is not a model name", "see the names: companion model list")
    folder = dest_dir or installed_dir()
    target, part = folder / name, folder / f"{name}.zip.part"
    if not target.exists() and not part.exists():
        in_repo = repo_models_dir() / name
        if in_repo.exists():
            raise ModelError(f"{name} is in the project's models folder ({in_repo}); "
                             "companion only removes models it downloaded",
                             f"delete it by hand: rm -r {shlex.quote(str(in_repo))}")
        raise ModelError(f"model {name} is not installed in {folder}",
                         "see installed models: companion model list")
    if target.exists():
        trash = folder / f".{name}.removing-{os.getpid()}"
        os.replace(target, trash)
        shutil.rmtree(trash)
    part.unlink(missing_ok=True)
    return target


# --- downloading (the machinery is in model_download) -------------------------------


def download(name: str, dest_dir: Path | None = None,
             progress: bool | ProgressCallback = True) -> Path:
    """Download, verify and unpack the catalog model ``name``; returns its folder.

    Safe to interrupt and rerun: the partial zip is kept and resumed. Already
    installed models are returned without touching the network.
    """
    from companion import model_download

    catalog = load_catalog()
    entry = catalog.get(name)
    if entry is None:
        raise ModelError(f"unknown model {name!r}; known models: {', '.join(catalog) or 'none'}",
                         "pick a name from: companion model list")
    dest = dest_dir or installed_dir()
    try:
        if dest_dir is None:
            paths.data_dir(create=True)
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise model_download.disk_error(dest, err) from err
    final = dest / entry.name
    if is_vosk_model(final):
        return final
    if final.exists():
        raise ModelError(f"{final} exists but is not a complete Vosk model",
                         f"remove it (companion model remove {name}) and download again")
    part = dest / f"{entry.name}.zip.part"
    model_download.fetch(entry, part, progress)
    digest = model_download.sha256_file(part)
    if entry.sha256 and digest != entry.sha256:
        part.unlink()
        raise ModelError(f"the download of {name} is damaged: its SHA-256 {digest} does not "
                         f"match the catalog's {entry.sha256}; it was deleted",
                         "run the download again; if it fails again, the server copy "
                         "or the catalog is wrong")
    if not entry.sha256:
        Console(stderr=True).print(f"[yellow]not verified:[/] the catalog has no SHA-256 for "
                                   f"{name}; this download's is {digest}")
    model_download.unpack(entry, part, final, is_vosk_model)
    part.unlink(missing_ok=True)
    return final


# --- CLI glue: `companion model list | download NAME | path [NAME] | remove NAME` ----------
# Each command returns an exit code; ModelError propagates to the CLI boundary.


def cmd_list(args: argparse.Namespace) -> int:
    """Print the catalog with what is installed where."""
    table = Table(box=None, pad_edge=False)
    for column in ("", "name", "language", "size", "description"):
        table.add_column(column)
    for row in list_models():
        size = f"{row['size'] / 2**20:.0f} MB" if row["size"] else ""
        mark = "[green]✓[/]" if row["installed"] else " "
        table.add_row(mark, row["name"], row["language"], size, row["description"])
    console = Console()
    console.print(table)
    console.print(f"downloads go to {installed_dir()}", soft_wrap=True, style="dim")
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    """Download a catalog model and say where it went."""
    path = download(args.name, getattr(args, "dest", None),
                    progress=not getattr(args, "quiet", False))
    Console(soft_wrap=True).print(f"[green]ready:[/] {args.name} is in {path}")
    return 0


def cmd_path(args: argparse.Namespace) -> int:
    """Print the folder of a named model, or of the one companion would use."""
    name = getattr(args, "name", None)
    path = model_path(name) if name else find_model(getattr(args, "model", None))
    if path is None:
        what = f"model {name} is not installed" if name else "no Vosk model is installed"
        raise ModelError(what, f"download it: companion model download "
                               f"{name or recommended().name}")
    print(path)
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    """Delete a downloaded model."""
    path = remove(args.name, getattr(args, "dest", None))
    Console(soft_wrap=True).print(f"removed {path}")
    return 0


def add_model_commands(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``model`` and its subcommands; each sets ``func`` to a ``cmd_*`` above."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "model", help="list, download, locate or remove Vosk speech models",
        description="Manage Vosk models. Downloading is the only thing that uses the network.")
    sub = parser.add_subparsers(dest="model_command", required=True, metavar="COMMAND")
    p = sub.add_parser("list", help="show known and installed models")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("download", help="download, verify and unpack a model")
    p.add_argument("name", help="a name from `companion model list`")
    p.add_argument("--dest", type=Path, help="folder to install into (default: data folder)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_download)
    p = sub.add_parser("path", help="print a model's folder (default: the one in use)")
    p.add_argument("name", nargs="?", help="a model name (default: the model companion uses)")
    p.set_defaults(func=cmd_path)
    p = sub.add_parser("offer", help="ask once, in a terminal, whether to download the "
                       "recommended model (set-up runs this)")
    p.set_defaults(func=handler("companion.model_offer", "cmd_offer"))
    p = sub.add_parser("remove", help="delete a downloaded model")
    p.add_argument("name", help="the model to delete")
    p.set_defaults(func=cmd_remove)
    return parser
