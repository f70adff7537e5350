"""The stock acoustic model's files in the forms sphinxtrain reads, made once and cached.

The pocketsphinx wheel ships its mixture weights quantized (``sendump``) and its
model definition in binary; sphinxtrain's ``bw`` and ``map_adapt`` read float
``mixture_weights`` and a text ``mdef``. Both are derived here from the wheel's
own files (so they always match the model the recognizer loads) and kept in the
cache folder.
"""

from __future__ import annotations

import hashlib
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np

from companion.errors import EngineError
from companion.paths import cache_dir
from companion.recognition.sphinx_decoder import model_path

MDEF_CONVERT = "pocketsphinx_mdef_convert"  # Debian package ``pocketsphinx``
TOOLS_FIX = "sudo apt-get install sphinxtrain sphinxbase-utils pocketsphinx"
SENDUMP_LOG_BASE = 1.0001  # a sendump byte b is the log-probability -(b << shift) in this base
DEFAULT_MIXW_SHIFT = 10
BYTE_ORDER_MARK = 0x11223344


def stock_model() -> Path:
    """The acoustic model folder of the pocketsphinx wheel (means, variances, sendump, ...)."""
    return model_path() / "en-us"


def read_sendump(path: Path) -> np.ndarray:
    """Mixture weights of a pocketsphinx ``sendump`` as probabilities, [senone, stream, density]."""
    data = path.read_bytes()
    pos = 0

    def integer() -> int:
        nonlocal pos
        (value,) = struct.unpack_from("<i", data, pos)
        pos += 4
        return int(value)

    header: dict[str, int] = {}
    while (length := integer()) != 0:
        words = data[pos:pos + length - 1].decode("ascii", "replace").split()
        pos += length
        if len(words) == 2 and words[1].isdigit():
            header[words[0]] = int(words[1])
    if header.get("cluster_count", 0) != 0:
        raise ValueError(f"{path}: clustered mixture weights are not supported")
    densities, senones = integer(), integer()
    streams = header.get("feature_count", 1)
    quantized = np.frombuffer(data, np.uint8, streams * densities * senones, pos)
    log_weights = -(quantized.astype(np.float64)
                    * (1 << header.get("mixw_shift", DEFAULT_MIXW_SHIFT)))
    weights = np.power(SENDUMP_LOG_BASE, log_weights).reshape(streams, densities, senones)
    weights = weights.transpose(2, 0, 1)
    return weights / weights.sum(axis=2, keepdims=True)


def write_s3_3d(path: Path, values: np.ndarray) -> None:
    """Write a Sphinx-3 binary parameter file of one 3-D float array (no checksum)."""
    head = b"s3\nversion 1.0\n"
    pad = b" " * (-(len(head) + len(b"endhdr\n")) % 4)  # data aligned to 4 bytes
    with path.open("wb") as out:
        out.write(head + pad + b"endhdr\n")
        out.write(struct.pack("<i", BYTE_ORDER_MARK))
        out.write(struct.pack("<4I", *values.shape, values.size))
        out.write(np.ascontiguousarray(values, dtype="<f4").tobytes())


def base_files() -> tuple[Path, Path]:
    """(text mdef, float mixture_weights) of the stock model, made on first use and cached.

    Keyed by the wheel's files, so a pocketsphinx upgrade makes them again.
    """
    model = stock_model()
    key = hashlib.sha1(b"".join(
        f"{name}:{(model / name).stat().st_size}:{(model / name).stat().st_mtime_ns}".encode()
        for name in ("mdef", "sendump"))).hexdigest()[:12]
    folder = cache_dir(create=True) / f"voice-base-{key}"
    mdef, mixw = folder / "mdef.txt", folder / "mixture_weights"
    if mdef.exists() and mixw.exists():
        return mdef, mixw
    tool = shutil.which(MDEF_CONVERT)
    if tool is None:
        raise EngineError(f"teaching your voice needs {MDEF_CONVERT}, which is not installed",
                          TOOLS_FIX)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / "mdef.txt.partial"
    done = subprocess.run([tool, "-text", str(model / "mdef"), str(partial)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0 or not partial.exists():
        raise EngineError(f"{MDEF_CONVERT} failed: {done.stderr.strip()[-300:]}",
                          "reinstall pocketsphinx: pip install --force-reinstall pocketsphinx")
    partial.replace(mdef)
    partial = folder / "mixture_weights.partial"
    write_s3_3d(partial, read_sendump(model / "sendump"))
    partial.replace(mixw)
    return mdef, mixw
