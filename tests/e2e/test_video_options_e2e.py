"""Video options end to end: clips, loop, raw and an end image become the flags the provider receives.

The member's words reach the provider followed only by the flags the bot builds from validated options
(``--video 1`` and ``--motion`` are the upstream's, from the ``motion`` field). Flags typed in a prompt
become options; refusals are private and reach no provider.
"""

from yarl import URL

from bot.models import GuildSettings, JobStatus
from tests.doubles.media import jpeg_bytes, png_bytes
from tests.e2e.harness import World, card_parts, final_answer, make_world
from tests.reliability.bad_inputs import PDF
from tests.store_fixtures import save_settings


def clip_rows(message) -> int:
    """Return how many clips the card offers to extend (one row per clip)."""
    return len({cid.split(":")[3] for cid in message.custom_ids if cid.startswith("mb:x:")})


async def delivered(world: World, handle, clips: int):
    """Wait for the handle's job to be delivered with ``clips`` files; return the job and its card."""
    await handle.wait_response()
    assert not handle.ephemeral, handle.response.data
    card = await world.wait_card(lambda m: m.id == handle.original_message_id and len(m.files) == clips)
    job = await world.wait_job(lambda j: j.card_message_id == card.id and j.status is JobStatus.DELIVERED)
    return job, card


async def refusal(handle) -> str:
    response = await handle.wait_response()
    assert response.latency < 3.0 and handle.ephemeral
    return str(response.data["content"])


def options_field(card) -> str:
    fields = card_parts(card).fields
    return next(value for name, value in fields.items() if name in ("Options", "Tuỳ chọn"))


async def test_default_job_sends_only_the_words_and_delivers_four_clips(world):
    """No option chosen: no flag at all (4 clips is the upstream default); the card says 4 clips."""
    job, card = await delivered(world, await world.animate(prompt="a cat walks"), 4)
    assert world.comet.submissions[-1]["prompt"] == "a cat walks"
    assert (job.clips, job.loop, job.raw, job.end_image_url) == (4, False, False, None)
    assert clip_rows(card) == 4 and options_field(card) == "4 clips"


async def test_one_clip(world):
    """clips=1: the provider gets --bs 1, one clip is delivered and the card has one clip row."""
    job, card = await delivered(world, await world.animate(prompt="a cat walks", clips="1"), 1)
    assert world.comet.submissions[-1]["prompt"] == "a cat walks --bs 1"
    assert job.clips == 1 and clip_rows(card) == 1 and options_field(card) == "1 clip"


async def test_two_clips_loop_and_raw(world):
    """clips=2, loop, raw: the flags follow the words in the upstream order; two clips, two rows."""
    handle = await world.animate(prompt="waves", clips="2", loop=True, raw=True, locale="vi")
    job, card = await delivered(world, handle, 2)
    assert world.comet.submissions[-1]["prompt"] == "waves --bs 2 --raw --loop"
    assert world.comet.submissions[-1]["motion"] == "low"
    assert (job.clips, job.loop, job.raw) == (2, True, True) and clip_rows(card) == 2
    assert options_field(card) == "2 clip · lặp vòng · phong cách raw"
    jobs = await world.discord.slash(world.discord.alice, "jobs", locale="vi")
    assert (
        "2 clip · lặp vòng · phong cách raw" in (await jobs.wait_response()).data["embeds"][0]["description"]
    )


async def test_end_image_is_checked_and_its_cdn_url_sent_as_end(world):
    """end_image: checked and downloaded like the image; the provider gets its Discord CDN URL as --end."""
    end = ("last.png", png_bytes(width=300, height=300), "image/png")
    job, card = await delivered(world, await world.animate(prompt="sunset", end_image=end), 4)
    assert job.end_image_url is not None and job.end_image_url.startswith(world.discord.base_url)
    assert world.comet.submissions[-1]["prompt"] == f"sunset --end {job.end_image_url}"
    assert world.comet.end_fetches == [job.end_image_url]  # the provider could fetch it
    assert options_field(card) == "4 clips · end frame"


async def test_a_pdf_end_image_is_refused_before_the_provider(world):
    """The end image gets the first image's checks: a PDF is refused privately, nothing is sent."""
    handle = await world.animate(prompt="sunset", end_image=("last.pdf", PDF, "application/pdf"))
    assert "PNG" in await refusal(handle)
    assert world.comet.counts["submit"] == 0 and await world.store.all_jobs() == []


async def test_an_end_image_that_is_not_an_image_is_refused_after_download(world):
    """Declared as PNG but the bytes are JPEG: the download check refuses it, privately, after the card."""
    end = ("last.png", jpeg_bytes(width=300, height=300), "image/png")
    handle = await world.animate(prompt="sunset", end_image=end)
    await handle.wait_response()
    (answer,) = await handle.wait_followups()
    assert "says it is PNG, but its contents are not" in str(answer.content)
    assert world.comet.counts["submit"] == 0 and await world.store.all_jobs() == []


async def test_typed_flags_become_options(world):
    """A typed --bs 2 and —raw (Discord's em dash) are taken as options; the words go without them."""
    job, _ = await delivered(world, await world.animate(prompt="--bs 2 a cat —raw"), 2)
    assert job.prompt == "a cat" and (job.clips, job.raw) == (2, True)
    assert world.comet.submissions[-1]["prompt"] == "a cat --bs 2 --raw"


async def test_a_typed_flag_that_contradicts_an_option_is_refused(world):
    """motion low chosen, --motion high typed: refused saying what disagrees; no provider call."""
    text = await refusal(await world.animate(prompt="a cat --motion high", motion="low"))
    assert "motion high" in text and "motion low" in text
    assert world.comet.counts["submit"] == 0


async def test_a_typed_url_is_refused_in_vietnamese(world):
    """A link anywhere in the prompt is refused privately in the member's language."""
    text = await refusal(await world.animate(prompt="cat --end http://evil.example/x.png", locale="vi"))
    assert "link" in text and "evil.example" not in text
    assert world.comet.counts["submit"] == 0


async def test_loop_and_end_image_together_are_refused(world):
    """Loop ends on the first frame, so it cannot also end on another image."""
    end = ("last.png", png_bytes(width=300, height=300), "image/png")
    text = await refusal(await world.animate(prompt="sea", loop=True, end_image=end))
    assert "loop" in text.lower()
    assert world.comet.counts["submit"] == 0


async def test_server_default_clips_applies_when_the_member_chooses_none(world):
    """/motionbot settings default_clips 2: a job without clips makes two."""
    options = {"setting": "default_clips", "value": "2"}
    await final_answer(await world.discord.slash(world.discord.admin, "motionbot settings set", options))
    job, _ = await delivered(world, await world.animate(prompt="rain"), 2)
    assert job.clips == 2 and world.comet.submissions[-1]["prompt"] == "rain --bs 2"


async def test_extension_keeps_clips_and_raw_but_not_loop(world):
    """An extension continues the clip in the same batch size and style; loop described the parent's end."""
    parent, card = await delivered(
        world, await world.animate(prompt="fog", clips="2", raw=True, loop=True), 2
    )
    click = await world.discord.click(world.discord.alice, card, f"mb:x:{parent.id}:1:l")
    await click.wait_response()
    child = await world.wait_job(lambda j: j.parent_job_id == parent.id and j.status is JobStatus.DELIVERED)
    assert (child.clips, child.raw, child.loop, child.end_image_url) == (2, True, False, None)
    extend = world.comet.submissions[-1]
    assert extend["action"] == "extend" and extend["prompt"] == "fog --bs 2 --raw"


async def test_daily_limit_counts_clips_when_the_server_says_so(tmp_path):
    """count_clips on, 3 a day: a 2-clip job uses 2; another 2-clip job is refused, a 1-clip job fits."""
    async with make_world(tmp_path, max_daily_jobs_per_user=3) as world:
        guild, alice = world.discord.guild.id, world.discord.alice.id
        await save_settings(world.store, GuildSettings(guild_id=guild, count_clips=True))
        job, _ = await delivered(world, await world.animate(prompt="one", clips="2"), 2)
        assert job.cost == 2
        assert (await world.store.usage_today(guild, alice)).user_today == 2
        assert "3" in await refusal(await world.animate(prompt="two", clips="2"))
        await delivered(world, await world.animate(prompt="three", clips="1"), 1)
        assert (await world.store.usage_today(guild, alice)).user_today == 3
        quota = await world.discord.slash(world.discord.alice, "quota")
        assert "This server counts clips" in (await quota.wait_response()).data["embeds"][0]["description"]


async def test_daily_limit_counts_jobs_by_default_whatever_the_batch(tmp_path):
    """count_clips off (the default): a 4-clip job counts once."""
    async with make_world(tmp_path, max_daily_jobs_per_user=2) as world:
        job, _ = await delivered(world, await world.animate(prompt="one"), 4)
        assert job.cost == 1
        assert (await world.store.usage_today(job.guild_id, job.requester_id)).user_today == 1


async def test_retry_keeps_the_options_and_checks_the_end_image_again(world):
    """Retry of a failed job sends the same words and flags; the end image is fetched and checked again."""
    world.comet.moderate_submits("nude", prompt="nude", times=1)
    end = ("last.png", png_bytes(width=300, height=300), "image/png")
    handle = await world.animate(prompt="a nude statue", clips="1", raw=True, end_image=end)
    await handle.wait_response()
    failed = await world.wait_job(lambda j: j.status is JobStatus.FAILED)
    card = await world.wait_card(
        lambda m: m.id == failed.card_message_id and f"mb:r:{failed.id}" in m.custom_ids
    )
    downloads = len([r for r in world.discord.requests if r.path == URL(failed.end_image_url or "").path])

    click = await world.discord.click(world.discord.alice, card, f"mb:r:{failed.id}")
    await click.wait_response()

    retried = await world.wait_job(lambda j: j.id != failed.id and j.status is JobStatus.DELIVERED)
    assert (retried.clips, retried.raw, retried.end_image_url) == (1, True, failed.end_image_url)
    first, second = world.comet.submissions
    assert second["prompt"] == first["prompt"] == f"a nude statue --end {failed.end_image_url} --bs 1 --raw"
    assert (
        len([r for r in world.discord.requests if r.path == URL(failed.end_image_url or "").path]) > downloads
    )
