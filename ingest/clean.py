"""Remove news-site boilerplate from article text (rules written for baoquocte.vn pages).

The pages were saved as text with the site's furniture still in them. The rules below remove:
- everything from a "Bài viết cùng chủ đề" / "Đọc thêm" / "Phiên bản di động" line to the end
  (headline lists of unrelated news);
- the "Theo dõi <site> trên" social line;
- the "Tin liên quan" marker and the related headline after it;
- a photo's alt text, which repeats the title (exactly or nearly) before the caption;
- related-article teasers: a headline, the same headline again, then its lead.
"""

import difflib
import re

from ingest.normalize import match_key

_CUT_FROM = re.compile(r"^(Bài viết cùng chủ đề|Đọc thêm|Phiên bản di động|Xem thêm|Tin cùng chuyên mục)\s*:?$", re.I)
_FOLLOW = re.compile(r"^Theo dõi\s+\S+(\s+\S+)?\s+trên\s*:?$", re.I)
_RELATED = re.compile(r"^(Tin liên quan|Tin bài liên quan)\s*:?$", re.I)
_NEAR_TITLE = 0.8
# A photo caption ends with the photo's credit in brackets ("(Ảnh: AP).", "(Ảnh minh họa: Reuters)")
# or starts with it ("Ảnh: Reuters").
_CAPTION = re.compile(
    r"(\((Ảnh|Hình|Nguồn ảnh|Photo|Video|Clip)(\s+minh\s+h(ọa|oạ))?\s*(:[^()]*)?\)[\s.…]*$)"
    r"|(^(Ảnh|Photo)(\s+minh\s+h(ọa|oạ))?\s*:)",
    re.I,
)


def _near_title(paragraph: str, title_key: str) -> bool:
    """ratio() >= _NEAR_TITLE, checked against the cheap upper bounds first (same result, much faster)."""
    matcher = difflib.SequenceMatcher(None, match_key(paragraph), title_key)
    return (
        matcher.real_quick_ratio() >= _NEAR_TITLE
        and matcher.quick_ratio() >= _NEAR_TITLE
        and matcher.ratio() >= _NEAR_TITLE
    )


def is_caption(sentence: str) -> bool:
    """Whether a sentence is a photo caption: it describes the picture, kept in the text (it can
    hold a fact) but not where an answer should start."""
    return bool(_CAPTION.search(sentence.strip()))


def clean_lines(lines: list[str], title: str) -> list[str]:
    """Paragraphs of the article body, boilerplate removed; `lines` is the body without the title."""
    paragraphs = [line.strip() for line in lines]
    paragraphs = [p for p in paragraphs if p]
    for i, p in enumerate(paragraphs):
        if _CUT_FROM.match(p):
            paragraphs = paragraphs[:i]
            break

    title_key = match_key(title) if title else ""
    kept: list[str] = []
    i = 0
    while i < len(paragraphs):
        p = paragraphs[i]
        following = paragraphs[i + 1] if i + 1 < len(paragraphs) else None
        if _FOLLOW.match(p):
            i += 1
        elif _RELATED.match(p):
            i += 2  # the marker and the related headline (printed twice on one line)
        elif following is not None and match_key(p) == match_key(following):
            i += 3  # teaser: headline, the same headline, its lead
        elif title and _near_title(p, title_key):
            i += 1  # image alt text repeating the title; the caption after it is content
        else:
            kept.append(p)
            i += 1
    return kept
