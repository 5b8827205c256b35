"""Helpers for trust tests: the maintainer signing script and keys generated at test time."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from llmcost_lsp.core.pricing.trust import PublicKey, parse_public_key

REPO_ROOT = Path(__file__).resolve().parents[3]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "minisign"


def load_sign_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("llmcost_sign", REPO_ROOT / "pricing" / "sign.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class KeyPair:
    seed: bytes
    key_id: bytes
    sign_module: ModuleType

    def public(self, name: str = "test-key") -> PublicKey:
        return parse_public_key(self.pub_text(), name=name, source="test")

    def pub_text(self) -> str:
        text: str = self.sign_module.public_key_text(self.seed, self.key_id)
        return text

    def pub_line(self) -> str:
        return self.pub_text().splitlines()[1]

    def sign(self, data: bytes, comment: str, *, prehashed: bool = True) -> bytes:
        signature: bytes = self.sign_module.sign_bytes(
            data, self.seed, self.key_id, comment, prehashed=prehashed
        )
        return signature
