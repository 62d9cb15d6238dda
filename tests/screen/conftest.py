"""Shared fixtures for the screening tests."""

from __future__ import annotations

import pytest

from hegui.screen.lexicon import Lexicon, load_demo
from hegui.screen.matcher import Matcher


@pytest.fixture(scope="session")
def demo_lexicon() -> Lexicon:
    return load_demo()


@pytest.fixture(scope="session")
def demo_matcher(demo_lexicon: Lexicon) -> Matcher:
    return Matcher(demo_lexicon)
