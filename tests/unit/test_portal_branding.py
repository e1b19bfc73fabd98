"""A creditor's portal colours: hex only, and readable (WCAG 2.2 AA, 4.5:1)."""

from __future__ import annotations

import pytest

from hub.domain.errors import DomainError
from hub.domain.portal_branding import (
    PortalBranding,
    check_branding,
    contrast,
    style_of,
)


def test_contrast_follows_wcag() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def test_colours_are_normalized_and_blanks_dropped() -> None:
    checked = check_branding(PortalBranding(" Nordic Power ", "#1A4D2E", "#06c"))
    assert checked == PortalBranding("Nordic Power", "#1a4d2e", "#0066cc")
    assert check_branding(PortalBranding("", " ", None)).empty
    assert style_of(checked) == ":root { --primary: #1a4d2e; --accent: #0066cc; }"
    assert style_of(PortalBranding("Only a name")) is None


@pytest.mark.parametrize(
    ("branding", "code", "field"),
    [
        (PortalBranding(primary_color="green"), "INVALID_COLOR", "primaryColor"),
        (PortalBranding(accent_color="#12345"), "INVALID_COLOR", "accentColor"),
        (PortalBranding(primary_color="#0b5cad;}"), "INVALID_COLOR", "primaryColor"),
        (PortalBranding(primary_color="#ffdd00"), "COLOR_CONTRAST_TOO_LOW", "primaryColor"),
        # 4.54:1 on white, but under 4.5:1 on the page's light grey.
        (PortalBranding(accent_color="#767676"), "COLOR_CONTRAST_TOO_LOW", "accentColor"),
        (PortalBranding(display_name="x" * 81), "INVALID_DISPLAY_NAME", "displayName"),
    ],
)
def test_bad_or_unreadable_colours_are_refused(
    branding: PortalBranding, code: str, field: str
) -> None:
    with pytest.raises(DomainError) as refused:
        check_branding(branding)
    assert refused.value.code == code and refused.value.problems[0].field == (field,)
