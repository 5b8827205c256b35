"""The models a name the price DB does not know probably means (core/pricing/deployments.py):
what the editor's "Map '<name>' to <model>" quick fixes offer for Azure deployments and aliases."""

from __future__ import annotations

import pytest

from llmcost_lsp.core.pricing.db import PriceDB, load_price_db


@pytest.fixture(scope="module")
def db() -> PriceDB:
    return load_price_db()


@pytest.mark.parametrize(
    ("name", "first"),
    [
        ("gpt4o-prod", "gpt-4o"),  # the whole name's closest ids are gpt-5.x-pro
        ("gpt-35-turbo-eastus-001", "gpt-3.5-turbo"),  # Azure's spelling, a region, a number
        ("gpt-4o-deployment", "gpt-4o"),
        ("mistral-large-prod", "mistral-large"),
        ("my-gpt4o", "gpt-4o"),
    ],
)
def test_deployment_words_are_left_out_before_the_lookup(
    db: PriceDB, name: str, first: str
) -> None:
    from llmcost_lsp.core.pricing.deployments import models_for_name

    found = models_for_name(db, name)
    assert found[0] == first, found
    assert len(found) <= 3 and all(model in db for model in found)


def test_a_name_the_db_knows_needs_no_mapping(db: PriceDB) -> None:
    from llmcost_lsp.core.pricing.deployments import models_for_name

    assert models_for_name(db, "gpt-4o") == [] and models_for_name(db, "gpt-35-turbo") == []
