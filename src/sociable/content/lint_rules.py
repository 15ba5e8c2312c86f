"""The post lint checks (POST1xx length, POST2xx tags and mentions, POST4xx links and UTM,
POST5xx accessibility, POST6xx quality), registered with :mod:`sociable.rules`.

POST3xx (media) lives in :mod:`sociable.content.media_rules`. Codes are stable: a code is
never reused for a different check.
"""

from __future__ import annotations

from sociable.rules import Rule, Severity, register

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def _rule(code: str, category: str, title: str, why: str, fix: str, severity: Severity) -> Rule:
    return register(Rule(code, title, why, fix, severity, category, "post"))


LINT_RULES: tuple[Rule, ...] = (
    # -- length
    _rule(
        "POST101", "length", "Text longer than the network allows",
        "The network rejects the post or cuts it where the report says.",
        "Shorten the text, or run `sociable adapt` to split it into a thread.", E,
    ),
    _rule(
        "POST102", "length", "Text over the network's byte limit",
        "Bluesky caps a post at 3000 UTF-8 bytes as well as 300 graphemes; emoji-heavy or "
        "non-Latin text reaches the byte cap first.",
        "Shorten the text or use fewer multi-byte characters.", E,
    ),
    _rule(
        "POST103", "length", "Empty post",
        "A post with no text and no media is rejected by every network.",
        "Write some text or attach media.", E,
    ),
    _rule(
        "POST104", "length", "First comment longer than the network allows",
        "The first comment is posted as a reply and has the same limit as a post.",
        "Shorten the first comment.", E,
    ),
    _rule(
        "POST105", "length", "Characters the network rejects",
        "U+FFFE, U+FEFF, U+FFFF and unpaired surrogates make X refuse the post and break "
        "other networks' APIs.",
        "Remove the character (often pasted from a broken export).", E,
    ),
    _rule(
        "POST106", "length", "Close to the limit",
        "A post within a few characters of the limit breaks when a link or mention is added.",
        "Leave some room, or accept the risk.", INFO,
    ),
    _rule(
        "POST107", "length", "More attachments than the network allows",
        "X takes 4 images, Bluesky 4, Instagram 10; extra files are refused at upload.",
        "Attach fewer files, or split the post.", E,
    ),
    _rule(
        "POST108", "length", "No media where the network needs some",
        "Instagram, TikTok, YouTube and Pinterest publish images or videos with a caption; "
        "a text-only post is refused by their APIs.",
        "Attach an image or a video, or leave this network out of the post.", E,
    ),
    # -- hashtags and mentions
    _rule(
        "POST201", "hashtags", "More hashtags than the network allows",
        "Instagram keeps 5 hashtags per post since December 2025; Threads one topic tag; "
        "YouTube ignores all of them past 60.",
        "Keep the best hashtags (`sociable hashtags` ranks them) and drop the rest.", E,
    ),
    _rule(
        "POST202", "hashtags", "More hashtags than usual on the network",
        "Posts stuffed with hashtags read as spam and reach fewer people.",
        "Keep the network's usual number of hashtags; `sociable adapt` trims them.", W,
    ),
    _rule(
        "POST203", "hashtags", "Hashtags where they mean nothing",
        "Reddit has no hashtags; the # is just noise there.",
        "Remove the hashtags for this network.", INFO,
    ),
    _rule(
        "POST204", "mentions", "Mention in another network's form",
        "A mention like @alice@example.social only works on the fediverse, @alice.bsky.social "
        "only on Bluesky; elsewhere it tags a stranger or nobody.",
        "Map handles per network in sociable.toml [handles] and run `sociable adapt`.", W,
    ),
    _rule(
        "POST205", "mentions", "More mentions than the network allows",
        "Instagram tags at most 20 accounts, Tumblr links 50; the rest are dropped or the "
        "post is rejected.",
        "Mention fewer accounts.", E,
    ),
    _rule(
        "POST206", "hashtags", "Same hashtag twice",
        "Repeating a hashtag adds nothing and looks careless.",
        "Keep one.", INFO,
    ),
    _rule(
        "POST207", "hashtags", "Text that looks like a hashtag but is not one",
        "Tags made only of digits or punctuation (#2024, #1) are not linked by the networks.",
        "Add a letter (#Year2024) or drop the #.", W,
    ),
    # -- links and UTM
    _rule(
        "POST401", "links", "Link in a caption that is not clickable",
        "Instagram and TikTok show links in captions as plain text.",
        "Put the link in the bio or a link sticker, and say so in the text.", W,
    ),
    _rule(
        "POST402", "links", "More links than the network allows",
        "Threads rejects posts with more than 5 links (since 2025-12-22).",
        "Keep fewer links.", E,
    ),
    _rule(
        "POST403", "links", "Link without UTM tags",
        "Without utm_source/utm_medium/utm_campaign the visits land in Direct or Referral and "
        "the post gets no credit in analytics.",
        "Run `sociable adapt` (it tags links per network) or add the tags yourself.", INFO,
    ),
    _rule(
        "POST404", "links", "Incomplete or malformed UTM tags",
        "GA4 needs utm_source, utm_medium and utm_campaign; values are case-sensitive, so "
        "'Social' and 'social' become two channels.",
        "Use lowercase values without spaces and set all three core tags.", W,
    ),
    _rule(
        "POST405", "links", "Link is not a valid web address",
        "A link field that is not an http(s) URL fails at publish time or links nowhere.",
        "Use a full address starting with https://.", E,
    ),
    # -- accessibility
    _rule(
        "POST501", "accessibility", "Media without alt text",
        "People using screen readers cannot see the image.",
        "Describe the image in alt text (--alt, or `alt:` in the front matter).", W,
    ),
    _rule(
        "POST502", "accessibility", "Text in ALL CAPS",
        "Screen readers may spell capitals letter by letter, and capitals read as shouting.",
        "Write in sentence case; use capitals for one or two words at most.", W,
    ),
    _rule(
        "POST503", "accessibility", "Text made only of emoji",
        "Screen readers read each emoji's full name; a row of them says nothing useful.",
        "Add words; keep emoji as decoration.", W,
    ),
    _rule(
        "POST504", "accessibility", "Hashtag a screen reader cannot split",
        "A long hashtag in one case (#socialmediamarketing) is read as one garbled word.",
        "Write multi-word hashtags in CamelCase (#SocialMediaMarketing).", INFO,
    ),
    _rule(
        "POST505", "accessibility", "Invisible or direction-changing characters",
        "Bidi controls, zero-width spaces and stray joiners change how text reads or is read "
        "aloud, and are a common way to disguise links.",
        "Remove them unless the language needs them.", W,
    ),
    _rule(
        "POST506", "accessibility", "Many emoji in a row",
        "Screen readers read every emoji's name; three or more in a row is tiring to hear.",
        "Use one or two emoji.", INFO,
    ),
    # -- quality
    _rule(
        "POST601", "quality", "No call to action",
        "Posts that ask for something (read, reply, sign up, a question) get more of it.",
        "Say what you want people to do, or ask a question.", INFO,
    ),
    _rule(
        "POST602", "quality", "Linked page is not share-ready",
        "The network builds the link preview from the page's Open Graph tags; without them "
        "the post shows a bare link.",
        "Fix the page (`sociable audit URL`) before posting the link.", W,
    ),
    _rule(
        "POST603", "quality", "Linked page cannot be fetched",
        "A link that fails for us likely fails for the network's preview crawler too.",
        "Check the address and that the page is public.", W,
    ),
    _rule(
        "POST604", "quality", "Scheduled time is in the past",
        "A post scheduled in the past is published at once, or refused by the network's "
        "scheduler.",
        "Pick a time in the future (with a time zone).", W,
    ),
)  # fmt: skip
