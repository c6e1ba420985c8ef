"""The image host rule: only Discord's CDN and proxies over https (plus configured http test hosts)."""

import pytest
from yarl import URL

from bot.image_hosts import DEFAULT_IMAGE_HOSTS, HostRefused, ImageHostPolicy, parse_host, parse_host_port
from bot.settings import SettingsError, read_settings

POLICY = ImageHostPolicy.of(DEFAULT_IMAGE_HOSTS, ["127.0.0.1:8080"])
CDN = "https://cdn.discordapp.com/attachments/1/2/cat.png?ex=1&is=2&hm=3&"

ALLOWED = [
    CDN,
    "https://media.discordapp.net/attachments/1/2/cat.png?width=200",
    "https://images-ext-1.discordapp.net/external/abc/https/example.com/cat.png",
    "https://images-ext-2.discordapp.net/external/abc/cat.png",
    "HTTPS://CDN.DiscordApp.com/attachments/1/2/cat.png",
    "https://cdn.discordapp.com:443/attachments/1/2/cat.png",
    "https://cdn.discordapp.com/a.png#@evil.example",
    "http://127.0.0.1:8080/cdn/attachments/1/2/cat.png",
]

REFUSED = [
    "http://cdn.discordapp.com/attachments/1/2/cat.png",  # plain http to a real host
    "https://cdn.discordapp.com@evil.example/cat.png",  # userinfo: the host is evil.example
    "https://user:pw@cdn.discordapp.com/cat.png",  # credentials, even on the right host
    "https://cdn.discordapp.com%2f@evil.example/cat.png",
    "https://cdn.discordapp.com\\@evil.example/cat.png",
    "https://evil.example#@cdn.discordapp.com/",
    "https://evil.example?@cdn.discordapp.com/",
    "https://cdn.discordapp.com.evil.example/cat.png",  # suffix trick
    "https://evilcdn.discordapp.com/cat.png",
    "https://discordapp.com/cat.png",
    "https://cdn.discordapp.com./cat.png",  # trailing dot: not the listed name
    "https://cdn.discordapp.com:8443/cat.png",  # odd port
    "https://cdn.discordapp.com:0/cat.png",
    "https://162.159.130.233/attachments/1/2/cat.png",  # IP literal of a CDN edge
    "https://[::1]/cat.png",
    "https://0x7f.1/cat.png",
    "http://127.0.0.1/cdn/cat.png",  # the test host without its port (80)
    "http://127.0.0.1:8081/cdn/cat.png",  # the test host on another port
    "https://127.0.0.1:8080/cdn/cat.png",  # listed for http only
    "http://localhost:8080/cdn/cat.png",  # another name for the same machine is not listed
    "ftp://cdn.discordapp.com/cat.png",
    "file:///etc/passwd",
    "data:image/png;base64,iVBORw0KGgo=",
    "javascript:alert(1)",
    "//cdn.discordapp.com/cat.png",  # scheme-relative
    "/attachments/1/2/cat.png",
    "",
    "https://cdñ.discordapp.com/cat.png",
    "https://xn--cdn-.com/",
]


@pytest.mark.parametrize("url", ALLOWED)
def test_discord_hosts_over_https_and_the_listed_http_host_are_allowed(url):
    assert POLICY.allows(url)
    assert POLICY.check(url) == URL(url)


@pytest.mark.parametrize("url", REFUSED)
def test_everything_else_is_refused(url):
    assert not POLICY.allows(url)
    with pytest.raises(HostRefused):
        POLICY.check(url)


def test_without_http_hosts_the_loopback_double_is_refused():
    production = ImageHostPolicy.of(DEFAULT_IMAGE_HOSTS)
    assert not production.allows("http://127.0.0.1:8080/cdn/cat.png")
    assert production.allows(CDN)


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("/attachments/9/9/moved.png", "https://cdn.discordapp.com/attachments/9/9/moved.png"),
        ("moved.png", "https://cdn.discordapp.com/attachments/1/2/moved.png"),
        ("https://media.discordapp.net/x.png", "https://media.discordapp.net/x.png"),
    ],
)
def test_a_redirect_within_the_hosts_is_resolved_against_the_current_url(location, expected):
    assert POLICY.next_hop(URL(CDN), location) == URL(expected)


@pytest.mark.parametrize(
    "location",
    [
        None,
        "",
        "https://evil.example/cat.png",
        "//evil.example/cat.png",  # scheme-relative: keeps https, changes the host
        "http://cdn.discordapp.com/cat.png",  # downgrade to http
        "https://cdn.discordapp.com@evil.example/",
        "http://127.0.0.1:9/cat.png",
    ],
)
def test_a_redirect_off_the_hosts_is_refused(location):
    with pytest.raises(HostRefused):
        POLICY.next_hop(URL(CDN), location)


@pytest.mark.parametrize(
    "entry", ["https://cdn.discordapp.com", "cdn.discordapp.com/x", "a b", "", "cdn:443"]
)
def test_a_bad_https_host_entry_is_a_value_error(entry):
    with pytest.raises(ValueError, match="host name"):
        parse_host(entry)


@pytest.mark.parametrize(
    "entry", ["127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:70000", "http://x:1", ":80"]
)
def test_a_bad_http_host_entry_is_a_value_error(entry):
    with pytest.raises(ValueError, match="host"):
        parse_host_port(entry)


def test_entries_are_normalised():
    assert parse_host(" CDN.DiscordApp.com ") == "cdn.discordapp.com"
    assert parse_host_port("LocalHost:8080") == ("localhost", 8080)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("IMAGE_HOSTS", "https://cdn.discordapp.com"), ("IMAGE_HOSTS", ""), ("IMAGE_HTTP_HOSTS", "127.0.0.1")],
)
def test_a_bad_entry_in_the_environment_is_one_settings_line(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        read_settings(None, discord_token="token", cometapi_key="key")
    assert len(caught.value.problems) == 1
    said = "empty" if value == "" else "invalid"
    assert caught.value.problems[0].startswith(f"{variable} is {said}")


def test_comma_separated_hosts_from_the_environment_make_the_policy(monkeypatch):
    monkeypatch.setenv("IMAGE_HOSTS", "cdn.discordapp.com, media.discordapp.net")
    monkeypatch.setenv("IMAGE_HTTP_HOSTS", "127.0.0.1:8080")
    settings = read_settings(None, discord_token="token", cometapi_key="key")
    assert settings.image_hosts == ("cdn.discordapp.com", "media.discordapp.net")
    assert settings.image_host_policy.allows("http://127.0.0.1:8080/cdn/x.png")
    assert not settings.image_host_policy.allows("https://images-ext-1.discordapp.net/x.png")
