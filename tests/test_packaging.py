"""The distribution: every package is in the wheel's list, the shipped data is found through
importlib.resources, and the version is said in one place."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import setuptools

import forum_guard
from forum_guard.engine import data

ROOT = Path(__file__).resolve().parent.parent


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.mark.skipif(not (ROOT / "forum_guard").is_dir(), reason="no source tree here (tests run against a wheel)")
def test_every_package_of_the_source_tree_is_listed_for_the_wheel() -> None:
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = {"forum_guard"} | {f"forum_guard.{p}" for p in setuptools.find_packages(str(ROOT / "forum_guard"))}
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert listed - found == {"forum_guard.wordlists"}


def test_the_shipped_lists_are_read_through_importlib_resources() -> None:
    names = [name for name, _ in data.shipped_files()]
    assert "limits.toml" in names and "profanity.txt" in names
    assert data.shipped_dir().joinpath("profanity.txt").is_file()


def test_the_version_is_said_once() -> None:
    assert "version" in _pyproject()["project"]["dynamic"]
    assert metadata.version("forum-guard") == forum_guard.__version__
