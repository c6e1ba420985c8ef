"""The image a message or an upload offers to animate: an attachment first, then an embed's image."""

from __future__ import annotations

from collections.abc import Callable

import discord

from bot.checks import ImageRef, Refusal

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp")


def attachment_ref(attachment: discord.Attachment) -> ImageRef:
    """Describe a Discord attachment as an image to animate."""
    return ImageRef(
        url=attachment.url,
        content_type=attachment.content_type,
        size=attachment.size,
        width=attachment.width,
        height=attachment.height,
    )


def find_image(message: discord.Message, allowed: Callable[[str], bool]) -> ImageRef | None:
    """Return the image of a message: an image attachment first, then an embed's image.

    A message whose only attachments are other files returns its first attachment, so the refusal
    can name the unsupported type rather than claim there is nothing. An embed image is taken
    through Discord's media proxy (``proxy_url``); its original URL only when ``allowed`` passes it,
    so an embed pointing elsewhere is refused (``Refusal``) instead of fetched.
    """
    for attachment in message.attachments:
        is_image = (attachment.content_type or "").startswith("image/")
        if is_image or attachment.filename.lower().endswith(IMAGE_EXTENSIONS):
            return attachment_ref(attachment)
    if message.attachments:
        return attachment_ref(message.attachments[0])
    off_host = False
    for embed in message.embeds:
        for media in (embed.image, embed.thumbnail):
            url = media.proxy_url or (media.url if media.url and allowed(media.url) else None)
            if url:
                # Embeds carry no byte size: the download is capped and checked instead.
                return ImageRef(url=url, content_type=None, size=1, width=media.width, height=media.height)
            off_host = off_host or bool(media.url)
    if off_host:
        raise Refusal("error.image_host_not_allowed")
    return None
