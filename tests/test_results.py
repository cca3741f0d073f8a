import json
from pathlib import Path

import pytest

from rgbench.results import JsonlLog, read_jsonl, repair_tail, write_atomic, write_json


def test_jsonl_log_skips_present_keys(tmp_path: Path):
    log = JsonlLog(tmp_path / "s.jsonl")
    assert log.append([{"key": "a", "v": 1}, {"key": "b", "v": 2}]) == 2
    assert log.append([{"key": "a", "v": 99}, {"key": "c", "v": 3}]) == 1
    reopened = JsonlLog(tmp_path / "s.jsonl")
    assert len(reopened) == 3 and "a" in reopened and "z" not in reopened
    assert [r["v"] for r in reopened.rows()] == [1, 2, 3]
    with pytest.raises(KeyError, match="no 'key' field"):
        log.append([{"v": 4}])


def test_torn_last_line_is_cut_on_reopen(tmp_path: Path):
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({"key": "a"}) + "\n" + '{"key": "b", "v"')
    assert [r["key"] for r in read_jsonl(path)] == ["a"]  # readers ignore the torn tail
    log = JsonlLog(path)
    assert log.repaired_bytes == len('{"key": "b", "v"') and len(log) == 1
    log.append([{"key": "b", "v": 2}])
    assert path.read_text().splitlines() == ['{"key": "a"}', '{"key": "b", "v": 2}']
    assert repair_tail(path) == 0


def test_torn_file_without_any_newline(tmp_path: Path):
    path = tmp_path / "s.jsonl"
    path.write_text('{"key": "a"')
    assert repair_tail(path) == len('{"key": "a"') and path.read_text() == ""


def test_corrupt_complete_line_is_an_error(tmp_path: Path):
    path = tmp_path / "s.jsonl"
    path.write_text('{"key": "a"}\nnot json\n')
    with pytest.raises(ValueError, match="s.jsonl:2: bad JSON"):
        read_jsonl(path)


def test_atomic_write_leaves_no_temp_files(tmp_path: Path):
    write_json(tmp_path / "out" / "summary.json", {"x": 1, "p": Path("/a")})
    write_atomic(tmp_path / "out" / "summary.json", '{"x": 2}')
    assert json.loads((tmp_path / "out" / "summary.json").read_text()) == {"x": 2}
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["summary.json"]
