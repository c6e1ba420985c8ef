"""Clips the archive could not remove at a delete are removed by deleting the job again.

The job is deleted at once all the same (no path shows it), the member is told the kept copies
stayed and how to remove them, and the next delete by someone allowed removes what is left. The
archive's job folder is made a symbolic link, which ``shutil.rmtree`` refuses even to root.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import make_world
from tests.e2e.test_delete_e2e import AGAIN, DONE, by_button, by_command, delivered

COPIES_LEFT = "The copies kept of its clips could not be removed just now"


async def test_clips_the_archive_kept_at_a_delete_are_removed_by_deleting_again(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    async with make_world(tmp_path, clip_archive_dir=archive) as world:
        job, card = await delivered(world, await world.animate())
        kept = archive / str(job.id)
        assert kept.is_dir()
        moved = kept.rename(tmp_path / "moved")
        kept.symlink_to(moved, target_is_directory=True)  # the archive cannot remove it now

        first = await by_button(world, world.discord.alice, card, job)
        assert first.startswith(DONE.format(job_id=job.id)) and COPIES_LEFT in first
        stored = await world.store.get_job(job.id)
        assert stored is not None and stored.deleted
        assert world.discord.state.messages[card.id].deleted

        kept.unlink()
        moved.rename(kept)  # whatever stopped it is fixed
        assert await by_command(world, world.discord.alice, job.id) == AGAIN.format(job_id=job.id)
        assert not kept.exists()


async def test_a_stranger_cannot_delete_a_deleted_job_again(tmp_path: Path) -> None:
    """Deleting again follows the same rule as deleting: Bob is refused, and learns nothing more."""
    async with make_world(tmp_path) as world:
        job, card = await delivered(world, await world.animate())
        assert await by_button(world, world.discord.alice, card, job) == DONE.format(job_id=job.id)
        answer = await by_command(world, world.discord.bob, job.id)
        assert "Only the member who made video" in answer
