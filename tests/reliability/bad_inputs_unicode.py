"""Bad inputs of issue 18, item 6: flags and links typed in Unicode disguise, refused, 0 provider calls.

Every form the issue lists (doubled fullwidth and small hyphen-minus, the minus sign, the hyphens, the
figure dash, the horizontal bar, the two-em dash, ``-—``, a dash glued to a word's end, ``::`` weights,
a fullwidth scheme and links without one) in the /animate prompt and in the upload form's prompt, a few
in Vietnamese. ``bad_inputs`` adds ``UNICODE_FLAGS`` to ``BAD_INPUTS`` at its end (import that module,
not this one).
"""

from __future__ import annotations

from tests.reliability.bad_inputs import CAT, UNSUPPORTED_FLAG, BadInput, FormUpload, typed

LINK = "prompt.url_refused"


def in_form(name: str, prompt: str, key: str, locale: str = "en-US") -> BadInput:
    """Return a case where /animate's upload form is submitted with a good image and ``prompt``."""
    return BadInput(name, FormUpload(CAT, prompt), key, locale)


UNICODE_FLAGS: list[BadInput] = [
    typed("--fast in doubled fullwidth hyphen-minus (U+FF0D)", "a cat －－fast", UNSUPPORTED_FLAG),
    typed("--turbo in doubled small hyphen-minus (U+FE63)", "a cat ﹣﹣turbo", UNSUPPORTED_FLAG),
    typed("--no in doubled minus signs (U+2212)", "a cat −−no dogs", UNSUPPORTED_FLAG),
    typed("--ar in doubled hyphens (U+2010)", "a cat ‐‐ar 16:9", UNSUPPORTED_FLAG),
    typed("--seed in doubled non-breaking hyphens (U+2011)", "a cat ‑‑seed 5", UNSUPPORTED_FLAG),
    typed("--relax after a figure dash (U+2012)", "a cat ‒relax", UNSUPPORTED_FLAG),
    typed("--video after a horizontal bar (U+2015)", "a cat ―video 1", UNSUPPORTED_FLAG),
    typed("--chaos after a two-em dash (U+2E3A)", "a cat ⸺chaos 50", UNSUPPORTED_FLAG),
    typed("--stylize after a hyphen and an em dash", "a cat -—stylize 900", UNSUPPORTED_FLAG),
    typed("--no after an em dash glued to a word's end", "a cat—no dogs", UNSUPPORTED_FLAG),
    typed("--end in doubled fullwidth hyphen-minus", "a cat －－end loop", "prompt.flag_end"),
    typed("a negative multi-prompt weight (::-0.5)", "a cat::-0.5 dog", UNSUPPORTED_FLAG),
    typed("a weight with fullwidth colons and a minus sign", "a cat：：−0.5 dog", UNSUPPORTED_FLAG),
    typed("a link with a fullwidth scheme", "ｈｔｔｐｓ：／／evil.example／x.png a cat", LINK),
    typed("a link without a scheme", "a cat evil.com/x.png", LINK),
    typed("www with fullwidth dots", "a cat at www．evil．com", LINK),
    in_form("--fast in fullwidth hyphen-minus, in the upload form", "a cat －－fast", UNSUPPORTED_FLAG),
    in_form("a link without a scheme, in the upload form", "cdn.example.net/x.png", LINK),
    typed("--fast in fullwidth hyphen-minus, in vietnamese", "mèo đang ngủ －－fast", UNSUPPORTED_FLAG, "vi"),
    typed("a weight in a vietnamese prompt", "mèo::-0.5 chó", UNSUPPORTED_FLAG, "vi"),
    in_form("a vietnamese link without a scheme, in the upload form", "mèo ví-dụ.vn/ảnh.png", LINK, "vi"),
]
