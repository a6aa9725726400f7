"""``driftwatch logs``: the end of a log, and following appended lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftwatch.stack.logs import follow, last_lines, log_files


def test_last_lines_of_a_long_log(tmp_path: Path) -> None:
    log = tmp_path / "api.log"
    log.write_text("".join(f"line {i}\n" for i in range(20_000)))

    assert last_lines(log, 3) == ["line 19997", "line 19998", "line 19999"]
    assert last_lines(log, 0) == []
    assert len(last_lines(log, 50_000)) == 20_000


def test_log_files_name_what_exists(tmp_path: Path) -> None:
    (tmp_path / "api.log").touch()
    (tmp_path / "monitor.log").touch()

    assert [p.name for p in log_files(tmp_path, None)] == ["api.log", "monitor.log"]
    assert log_files(tmp_path, "api") == [tmp_path / "api.log"]
    with pytest.raises(FileNotFoundError, match=r"no log for 'sentinel'.*api, monitor"):
        log_files(tmp_path, "sentinel")


def test_follow_yields_appended_lines_across_a_truncation(tmp_path: Path) -> None:
    log = tmp_path / "monitor.log"
    log.write_text("old\n")
    writes = iter(["new 1\nnew ", "2\n", None, "after truncation\n"])
    seen: list[str] = []

    def step() -> bool:
        """Called once per poll: append the next chunk, truncate at None, stop when done."""
        chunk = next(writes, "STOP")
        if chunk == "STOP":
            return True
        if chunk is None:
            log.write_text("")
        else:
            with log.open("a") as handle:
                handle.write(chunk)
        return False

    for path, line in follow([log], stop=step):
        assert path == log
        seen.append(line)

    assert seen == ["new 1", "new 2", "after truncation"]
