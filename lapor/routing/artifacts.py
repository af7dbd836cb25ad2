"""Model files under <data dir>/models: versioned pipelines with JSON metadata, a pointer to
the current one, and the history that rollback walks back through."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import joblib
import sklearn

from lapor.routing.model import TrainedModel


class ModelError(RuntimeError):
    """No usable model: none trained yet, a missing file, or one from another sklearn."""


class IncompatibleModel(ModelError):
    """A model file written by a different scikit-learn version; retrain instead."""


class ModelStore:
    """The models of one data directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def pointer(self) -> Path:
        return self.root / "current.json"

    def _paths(self, version: str) -> tuple[Path, Path]:
        if not version or "/" in version or version.startswith("."):
            raise ModelError(f"Versi model tidak sah: {version!r}")
        return self.root / f"route-{version}.joblib", self.root / f"route-{version}.json"

    def save(self, model: TrainedModel) -> str:
        """Write the pipeline and its metadata; returns the version (not yet current)."""
        self.root.mkdir(parents=True, exist_ok=True)
        model_path, meta_path = self._paths(model.version)
        _atomic_write(model_path, lambda f: joblib.dump(model.pipeline, f, compress=3))
        _atomic_write(
            meta_path,
            lambda f: f.write(json.dumps(model.metadata, ensure_ascii=False, indent=2).encode()),
        )
        return model.version

    def versions(self) -> list[str]:
        """Every saved version, oldest first."""
        return sorted(p.name[len("route-") : -len(".json")] for p in self.root.glob("route-*.json"))

    def history(self) -> list[str]:
        """Versions that have been current, oldest first; the last one is current now."""
        if not self.pointer.exists():
            return []
        return list(json.loads(self.pointer.read_text()).get("history", []))

    def current_version(self) -> str | None:
        history = self.history()
        return history[-1] if history else None

    def promote(self, version: str) -> None:
        """Make a saved version current."""
        if version not in self.versions():
            raise ModelError(f"Model versi {version} tidak ada.")
        history = [v for v in self.history() if v != version] + [version]
        self._write_pointer(history)

    def rollback(self) -> str:
        """Make the previously current version current again; returns it."""
        history = self.history()
        if len(history) < 2:
            raise ModelError("Tidak ada model sebelumnya untuk dikembalikan.")
        self._write_pointer(history[:-1])
        return history[-2]

    def _write_pointer(self, history: list[str]) -> None:
        body = json.dumps({"version": history[-1], "history": history}, indent=2).encode()
        _atomic_write(self.pointer, lambda f: f.write(body))

    def metadata(self, version: str) -> dict:
        _, meta_path = self._paths(version)
        if not meta_path.exists():
            raise ModelError(f"Metadata model {version} tidak ada.")
        return json.loads(meta_path.read_text())

    def load(self, version: str | None = None) -> TrainedModel:
        """Load a version (default: the current one), refusing one from another sklearn."""
        version = version or self.current_version()
        if version is None:
            raise ModelError("Belum ada model. Jalankan `lapor model train`.")
        metadata = self.metadata(version)
        trained_with = metadata.get("sklearn_version")
        if trained_with != sklearn.__version__:
            raise IncompatibleModel(
                f"Model {version} dibuat dengan scikit-learn {trained_with}, sedangkan yang "
                f"terpasang {sklearn.__version__}. Latih ulang: `lapor model train`."
            )
        model_path, _ = self._paths(version)
        return TrainedModel(joblib.load(model_path), metadata)


def _atomic_write(path: Path, write) -> None:
    """Write via a temporary file and rename, so readers never see half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
