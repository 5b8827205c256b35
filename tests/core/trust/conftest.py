"""Fixtures for trust tests: the maintainer signing script and keys generated at test time."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from types import ModuleType

import pytest
from trust_helpers import KeyPair, LocalHttpsServer, load_sign_module


@pytest.fixture(scope="session")
def sign_module() -> ModuleType:
    return load_sign_module()


@pytest.fixture
def make_key(sign_module: ModuleType) -> Callable[[], KeyPair]:
    def make() -> KeyPair:
        return KeyPair(os.urandom(32), os.urandom(8), sign_module)

    return make


@pytest.fixture
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalHttpsServer]:
    server = LocalHttpsServer(tmp_path_factory.mktemp("https"))
    yield server
    server.close()
