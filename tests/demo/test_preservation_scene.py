"""The demo's "nothing lost" scene passes only when the used notebook the sweep remediates keeps every file: a
restore that corrupts a file, or a backup that fails (nothing deleted), fails it."""

from __future__ import annotations

from notebook_guard_local.demo.engine import Player
from notebook_guard_local.demo.preservation import FILES, USED_NOTEBOOK, play_preservation_scene
from notebook_guard_local.demo.story import built_in_story


def play(simulation):
    (legacy,) = [a for a in built_in_story(simulation.world) if a.name == USED_NOTEBOOK]
    Player(simulation).seed_existing(legacy)
    original = simulation.backend.notebook_instances[USED_NOTEBOOK].creation_time
    lines: list[str] = []
    return play_preservation_scene(simulation, lines.append), "\n".join(lines), original


def test_the_used_notebook_found_by_the_sweep_keeps_its_files(simulation):
    result, text, original = play(simulation)
    assert result.passed, text
    assert (result.files, result.bytes) == (len(FILES), sum(len(data) for data in FILES.values()))
    notebook = simulation.backend.notebook_instances[USED_NOTEBOOK]
    assert notebook.creation_time != original and notebook.subnet_id == simulation.target_subnet_id
    assert simulation.fake.lifecycle.volume(USED_NOTEBOOK).files() == FILES
    assert result.alert_sentence == "Its storage volume was preserved: 5 files, 512.1 KiB"
    assert "next sweep: SUCCEEDED in" in text and "(backed up, deleted, recreated, restored)" in text
    assert f"NOTHING LOST: {USED_NOTEBOOK} recreated in {notebook.subnet_id}, its 5 files identical" in text
    assert [line for line in text.splitlines() if len(line) > 100] == []
    assert len(text.splitlines()) <= 8  # a few lines: the timelines are the story's


def test_a_restore_that_corrupts_a_file_fails_the_scene(simulation):
    simulation.fake.lifecycle.restore_behaviour[USED_NOTEBOOK] = "corrupt"
    result, text, _ = play(simulation)
    assert not result.passed
    assert result.execution_status == "FAILED"
    assert any("path(s) differ on the replacement's volume" in p for p in result.problems), result.problems
    assert "NOTHING LOST: NOT as expected" in text


def test_a_failed_backup_fails_the_scene_and_deletes_nothing(simulation):
    simulation.fake.lifecycle.backup_behaviour[USED_NOTEBOOK] = "partial"
    result, text, original = play(simulation)
    assert not result.passed
    assert simulation.backend.notebook_instances[USED_NOTEBOOK].creation_time == original
    assert f"{USED_NOTEBOOK} was not recreated" in result.problems
    assert "NOTHING LOST: NOT as expected" in text
