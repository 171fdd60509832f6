"""The CLI's contract: clear errors with exit 2, the book's inventory, machine-readable output."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import reel


@pytest.mark.parametrize(
    "args, expected",
    [
        (["render", "chXX"], "ch1"),  # names the closest chapters
        (["render", "NoSuchScene"], "unknown target 'NoSuchScene'"),
        (["render", "PerceptronLin"], "PerceptronLine"),
        (["render", "-q", "z"], "'z' is not one of"),
        (["render", "--set", "perceptron.lrr=1"], "lr"),
        (["render", "--set", "perceptron.max_epochs=lots"], "not an integer"),
        (["render", "--set", "perceptronn.lr=1"], "perceptron"),
        (["render", "--set", "perceptron.gate=NAND", "ch01"], "is not one of AND, OR, XOR"),
        (["figure", "ch01.Nope"], "unknown target"),
        (["sims", "nosuchsim"], "unknown sim"),
        (["sims", "perceptron.nand"], "and"),
        (["sims", "perceptron", "--device", "cuda"], "no device option"),
        (["check", "ch99"], "unknown chapter"),
        (["render", "ch02", "--address", "10.0.0.5:6379"], "--address is for --executor ray"),
        (["figure", "ch02", "--executor", "ray", "--address", "nonsense"], "bad --address 'nonsense'"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, expected, out):
    proc = reel(*args)
    assert proc.returncode == 2, proc.stderr
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr
    if args[0] != "render" or "-q" not in args:  # click's own usage errors print a usage block
        assert len(proc.stderr.strip().splitlines()) == 1


def test_list_shows_all_chapters_and_29_scenes(out):
    proc = reel("list", "--json", check=True)
    rows = json.loads(proc.stdout)
    scenes = [r for r in rows if r["kind"] == "scene" and r["from_book"]]
    assert len(scenes) == 29
    added = [r["name"] for r in rows if r["kind"] == "scene" and not r["from_book"]]
    assert added == ["CartPoleDQN", "CartPolePPO"]
    assert {r["chapter"] for r in rows} == set(range(1, 17))
    assert {"PerceptronLine", "XORImpossible", "TwoLines", "MCTSGrowth"} <= {r["name"] for r in scenes}
    ch1 = {r["name"]: r["status"] for r in scenes if r["chapter"] == 1}
    assert ch1 == {"PerceptronLine": "not rendered", "XORImpossible": "not rendered"}
    text = reel("list", check=True).stdout
    assert "感知机" in text and "29 scenes from the book + 2 added (+), 31 implemented" in text
    assert all(r["status"] != "not yet implemented" for r in rows)  # every scene and figure of the book exists


def test_sims_json_reports_metadata_and_cache(out):
    first = [json.loads(line) for line in reel("sims", "perceptron", "--json", check=True).stdout.splitlines()]
    assert [(r["sim"], r["variant"]) for r in first] == [("perceptron", v) for v in ("and", "or", "xor")]
    assert not any(r["cached"] for r in first)
    assert first[0]["metrics"]["mistakes"] == 11 and first[0]["params"]["lr"] == 1.0
    again = json.loads(reel("sims", "perceptron.and", "--json", check=True).stdout)
    assert again["cached"] and again["key"] == first[0]["key"]
    changed = json.loads(reel("sims", "perceptron.and", "--set", "lr=2", "--json", check=True).stdout)
    assert changed["key"] != first[0]["key"] and changed["params"]["lr"] == 2.0


def test_check_reports_chapter_one(out):
    proc = reel("check", "ch01", "--json", check=True)
    rows = json.loads(proc.stdout)
    assert [r["id"] for r in rows][:2] == ["R01.1", "R01.2"]
    assert all(set(r) == {"id", "chapter", "quantity", "book", "computed", "status", "note"} for r in rows)
    assert all(r["status"] == "equal" for r in rows)
    table = reel("check", "ch01", check=True).stdout
    assert "R01.10" in table and "398" in table


@pytest.mark.slow  # imports manim, torch and gymnasium to check them: ~4 s
def test_doctor_names_every_tool(out):
    proc = reel("doctor")
    for name in ("ffmpeg", "latex", "dvisvgm", "CJK font", "cairo/pango", "torch"):
        assert name in proc.stdout
    assert proc.returncode == 0, proc.stdout + proc.stderr  # this machine has everything
    assert "MISSING" not in proc.stdout


def path_without(tmp_path: Path, *tools: str) -> str:
    """A PATH with everything the current PATH has except ``tools`` (a folder of symlinks)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not folder or not os.path.isdir(folder):
            continue
        for entry in os.scandir(folder):
            link = bin_dir / entry.name
            if entry.name in tools or link.exists() or link.is_symlink():
                continue  # excluded, or shadowed by an earlier PATH folder
            if entry.is_file() and os.access(entry.path, os.X_OK):
                link.symlink_to(entry.path)
    return str(bin_dir)


@pytest.mark.slow  # ~4 s, as above
def test_doctor_fails_and_names_the_package_when_a_tool_is_missing(out, tmp_path):
    tools = ("ffmpeg", "ffprobe", "latex")
    proc = reel("doctor", env={"PATH": path_without(tmp_path, *tools)})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    missing = [line for line in proc.stdout.splitlines() if line.startswith("MISSING")]
    assert [line.split()[1].rstrip(":") for line in missing] == list(tools)
    assert "fix: apt-get install -y ffmpeg" in proc.stdout
    assert "fix: apt-get install -y texlive-latex-base" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_a_scene_the_book_lists_but_no_module_defines_is_named_as_not_implemented(sandbox):
    """Every scene of the book exists today; a copy of the project with one class removed stands in."""
    module = sandbox / "scenes" / "ch16_rl_llm.py"
    module.write_text(module.read_text(encoding="utf-8").replace("class TwoLines(", "class TwoLinesDraft("),
                      encoding="utf-8")
    proc = reel("render", "TwoLines", cwd=sandbox, env={"REEL_OUTPUT": str(sandbox / "output")})
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == "error: ch16.TwoLines is not implemented yet"


def test_executor_ray_without_the_extra_says_how_to_install_it(monkeypatch):
    import importlib.util

    from pipeline.errors import UsageError
    from pipeline.remote import check_executor

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    with pytest.raises(UsageError, match=r'needs the ray extra: pip install -e "\.\[ray\]"'):
        check_executor("ray", None)
    check_executor("local", None)  # the default needs nothing
