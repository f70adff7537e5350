"""Download machinery for models: resumable fetch, SHA-256, atomic safe unpack.

Kept apart from ``models`` (catalog and lookup) so each module has one job.
Everything here turns network, disk and archive failures into ModelError
messages that say what to do, and keeps the partial ``.part`` file whenever
resuming it later makes sense.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

import companion
from companion.catalog import CatalogEntry, ProgressCallback
from companion.errors import ModelError

CHUNK_BYTES = 64 * 1024
TIMEOUT_S = 30.0


def offline_fix(entry: CatalogEntry) -> str:
    """The fix line for every network failure: offline is normal, here is the way round."""
    return ("companion itself works offline; only this download needs the network. "
            f"Run the same command again to resume, or download {entry.url} by hand, "
            "unzip it and pass --model PATH")


def network_error(entry: CatalogEntry, part: Path, reason: object) -> ModelError:
    """A failed transfer; says how much is kept so the user knows a rerun resumes."""
    kept = f" ({part.stat().st_size:,} bytes kept in {part})" if part.exists() else ""
    return ModelError(f"could not download {entry.name}: {reason}{kept}", offline_fix(entry))


def disk_error(where: Path, err: OSError) -> ModelError:
    """A failed write, with the disk-full case spelled out."""
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return ModelError(f"the disk is full while writing {where}",
                          "free some space (a model needs about three times its zip size "
                          "while unpacking) and run the same command again to resume")
    return ModelError(f"cannot write {where}: {err.strerror or err}",
                      "check that the folder exists and is writable")


@contextmanager
def _reporter(progress: bool | ProgressCallback, name: str, done: int,
              total: int | None) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n_bytes)``; drives a rich bar, a callback, or nothing."""
    count = [done]
    if callable(progress):
        callback = progress
        callback(done, total)

        def advance(n: int) -> None:
            count[0] += n
            callback(count[0], total)

        yield advance
    elif progress:
        columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                   TransferSpeedColumn(), TimeRemainingColumn())
        with Progress(*columns, console=Console(stderr=True)) as bar:
            task = bar.add_task(name, total=total, completed=done)
            yield lambda n: bar.advance(task, n)
    else:
        yield lambda n: None


def _open(entry: CatalogEntry, part: Path, start: int) -> http.client.HTTPResponse:
    headers = {"User-Agent": f"companion/{companion.__version__}"}
    if start:
        headers["Range"] = f"bytes={start}-"
    try:
        response: http.client.HTTPResponse = urllib.request.urlopen(
            urllib.request.Request(entry.url, headers=headers), timeout=TIMEOUT_S)
    except urllib.error.HTTPError as err:
        err.close()
        if err.code == 416 and start:
            raise _RangeRefused() from err
        raise network_error(entry, part, f"the server answered HTTP {err.code} {err.reason}"
                             ) from err
    except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
        reason = getattr(err, "reason", err)
        raise network_error(entry, part, reason) from err
    return response


class _RangeRefused(Exception):
    """The server says our partial file is already as long as (or longer than) the file."""


def fetch(entry: CatalogEntry, part: Path, progress: bool | ProgressCallback) -> None:
    """Bring ``part`` to the full zip, resuming with a Range request when possible."""
    start = part.stat().st_size if part.exists() else 0
    _check_space(entry, part.parent, start)
    try:
        response = _open(entry, part, start)
    except _RangeRefused:
        if entry.sha256 and sha256_file(part) == entry.sha256:
            return  # the previous run finished downloading but not unpacking
        part.unlink()
        start = 0
        response = _open(entry, part, 0)
    resumed = start > 0 and response.status == 206 and _range_start(response) == start
    if not resumed and response.status == 206:  # a range we did not ask for: start clean
        response.close()
        part.unlink(missing_ok=True)
        response = _open(entry, part, 0)
    with response:
        if not resumed:
            start = 0  # the server ignored Range (or this is a fresh download): restart
        length = response.headers.get("Content-Length")
        expected = start + int(length) if length and length.isdigit() else None
        try:
            out = part.open("ab" if resumed else "wb")
        except OSError as err:
            raise disk_error(part, err) from err
        with out, _reporter(progress, entry.name, start, expected or entry.size) as advance:
            while True:
                try:
                    chunk = response.read(CHUNK_BYTES)
                except (http.client.HTTPException, OSError) as err:
                    out.close()
                    raise network_error(entry, part, f"connection lost ({err})") from err
                if not chunk:
                    break
                try:
                    out.write(chunk)
                except OSError as err:
                    raise disk_error(part, err) from err
                advance(len(chunk))
            try:
                out.flush()
                os.fsync(out.fileno())
            except OSError as err:
                raise disk_error(part, err) from err
    if expected is not None and part.stat().st_size < expected:
        raise network_error(entry, part, "the connection closed before the end of the file")


def _check_space(entry: CatalogEntry, folder: Path, have: int) -> None:
    """Fail before downloading when the zip and its unpacked copy cannot fit."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    needed = entry.size - have + 2 * entry.size  # rest of the zip, then about 2x unpacked
    if free < needed:
        raise ModelError(f"not enough free disk space for {entry.name}: it needs about "
                         f"{needed / 1e6:.0f} MB in {folder}, {free / 1e6:.0f} MB are free",
                         "free some space, or download into another folder with --dest")


def _range_start(response: http.client.HTTPResponse) -> int | None:
    match = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
    return int(match.group(1)) if match else None


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks (models are tens of MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _safe_extract(archive: zipfile.ZipFile, into: Path) -> None:
    """Extract, refusing absolute paths, '..' and symlinks (a model zip never has them)."""
    root = into.resolve()
    for info in archive.infolist():
        name = info.filename
        is_link = (info.external_attr >> 16) & 0o170000 == 0o120000
        if (is_link or name.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", name)
                or not (root / name).resolve().is_relative_to(root)):
            raise _Unsafe(f"the model zip has an unsafe entry {name!r}; nothing was unpacked")
    for info in archive.infolist():
        archive.extract(info, root)


class _Unsafe(Exception):
    """A zip entry would land outside the unpack folder or is a link."""


def _model_root(folder: Path, is_model: Callable[[Path], bool]) -> Path | None:
    """The model in an unpacked zip: the zip root, or its single top folder."""
    if is_model(folder):
        return folder
    children = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "__"))]
    return children[0] if len(children) == 1 and is_model(children[0]) else None


def unpack(entry: CatalogEntry, part: Path, final: Path,
           is_model: Callable[[Path], bool]) -> None:
    """Unzip into a temporary folder next to ``final``, then rename it into place."""
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.unpack-", dir=final.parent))
    except OSError as err:
        raise disk_error(final.parent, err) from err
    try:
        try:
            with zipfile.ZipFile(part) as archive:
                _safe_extract(archive, tmp)
        except (zipfile.BadZipFile, EOFError) as err:
            part.unlink(missing_ok=True)
            raise ModelError(f"the download of {entry.name} is not a valid zip ({err}); "
                             "it was deleted", "run the download again") from err
        except _Unsafe as err:
            part.unlink(missing_ok=True)
            raise ModelError(f"{err}; the download was deleted",
                             "check the url in the catalog; get the model from its official "
                             "address") from err
        except OSError as err:
            raise disk_error(tmp, err) from err
        root = _model_root(tmp, is_model)
        if root is None:
            part.unlink(missing_ok=True)
            raise ModelError(f"the zip for {entry.name} does not hold a Vosk model",
                             "check the url in the catalog, or download by hand and use --model")
        try:
            os.replace(root, final)
        except OSError as err:
            if not is_model(final):  # a concurrent download may have won the race
                raise disk_error(final, err) from err
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


