"""Posts a private job publicly on its requester's word (the "Post to channel" button, issue 22).

The finished card goes to the job's channel as a new message with the clips (from the archive, else
the provider, fitted to the server's upload limit: the requester's own limit does not hold there),
the clips that do not fit in replies to it, like any delivery. Only then is the job stored public:
from that moment ``/show`` and the other paths treat it like any other job.
"""

from __future__ import annotations

from dataclasses import replace

from bot.media import attachable_size, plan_uploads
from bot.models import Job
from cogs.cards._clip_delivery import ClipDelivery
from cogs.cards._clip_files import clip_file, clip_folder, clip_name
from cogs.cards._private_posts import interaction_card


async def publish(delivery: ClipDelivery, job: Job) -> Job:
    """Post a private, delivered job's card and clips in its channel; return the job, stored public.

    Raises ``CardUnavailable`` when the bot may no longer post in the channel.
    """
    renderer = delivery.cards.renderer(job.locale)
    limit = attachable_size(delivery.upload_limit(job.guild_id))
    posted = [index for index in range(len(job.clip_urls)) if index not in job.missing_clips]
    private_card = interaction_card(job)
    if private_card is not None:  # it stays where it is: a delete must still find it
        job = await delivery.services.store.record_private_post(job.id, private_card)
    public = replace(job, private=False)
    async with clip_folder(job) as folder:
        clips = await delivery.source.fetch(job, posted, folder, limit)
        plan = plan_uploads(clips, per_file_limit=limit)
        first = plan.messages[0] if plan.messages else ()
        gallery = [clip_name(job, clip.index) for clip in first]
        card = renderer.job(public, linked=plan.notes, gallery=gallery)
        message = await delivery.editor.post(public, card, lambda: [clip_file(job, clip) for clip in first])
        public = await delivery.services.store.make_public(job.id, message.id)
        for batch in plan.messages[1:]:
            await delivery.post_more(public, batch, renderer.text("delivery.more_clips", job_id=job.id))
    return public
