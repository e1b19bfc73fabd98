"""A creditor's branding of the debtor portal: its display name and two colours.

The creditor sets them (``setPortalBranding``); the portal's pages of the creditor's debts
show the name and paint buttons in ``primary`` (white text on it) and links in ``accent``
(on the portal's white and light grey backgrounds). A colour is ``#rrggbb`` (or ``#rgb``);
each must keep a contrast of at least 4.5:1 with the text or background it meets (WCAG 2.2
AA, 1.4.3), else ``COLOR_CONTRAST_TOO_LOW``; a colour that is not a hex colour is
``INVALID_COLOR``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hub.domain.errors import DomainError

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
#: The smallest contrast ratio of normal text (WCAG 2.2 AA, success criterion 1.4.3).
MIN_CONTRAST = 4.5
#: What the colours meet: white text on buttons; the page's white cards and grey background.
WHITE = "#ffffff"
BACKGROUND = "#f6f8fa"
MAX_NAME = 80


@dataclass(frozen=True, slots=True)
class PortalBranding:
    display_name: str | None = None
    primary_color: str | None = None
    accent_color: str | None = None

    @property
    def empty(self) -> bool:
        return (
            self.display_name is None and self.primary_color is None and self.accent_color is None
        )


def _channel(value: int) -> float:
    srgb = value / 255
    return srgb / 12.92 if srgb <= 0.04045 else ((srgb + 0.055) / 1.055) ** 2.4


def luminance(color: str) -> float:
    """The relative luminance of a ``#rrggbb`` colour (WCAG's formula)."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast(first: str, second: str) -> float:
    """The contrast ratio of two colours, 1 to 21."""
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _color(value: str | None, field_: str) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if _HEX.fullmatch(value) is None:
        raise DomainError.of("INVALID_COLOR", "give a hex colour such as #0b5cad", field_)
    if len(value) == 4:
        value = "#" + "".join(c * 2 for c in value[1:])
    return value.lower()


def _readable(color: str | None, against: tuple[str, ...], field_: str, what: str) -> None:
    if color is None:
        return
    lowest = min(contrast(color, other) for other in against)
    if lowest < MIN_CONTRAST:
        raise DomainError.of(
            "COLOR_CONTRAST_TOO_LOW",
            f"{what} has a contrast of {lowest:.2f}:1; at least {MIN_CONTRAST}:1 is needed",
            field_,
        )


def check_branding(branding: PortalBranding) -> PortalBranding:
    """The branding with colours as ``#rrggbb`` and blanks as None; else the refusal."""
    primary = _color(branding.primary_color, "primaryColor")
    accent = _color(branding.accent_color, "accentColor")
    name = branding.display_name.strip() if branding.display_name is not None else None
    if name is not None and (len(name) > MAX_NAME or any(c in name for c in "\r\n\t")):
        raise DomainError.of(
            "INVALID_DISPLAY_NAME", f"at most {MAX_NAME} characters on one line", "displayName"
        )
    _readable(primary, (WHITE,), "primaryColor", "white text on the primary colour")
    _readable(accent, (WHITE, BACKGROUND), "accentColor", "the accent colour on the page")
    return PortalBranding(name or None, primary, accent)


def style_of(branding: PortalBranding) -> str | None:
    """The page's style block for the branding (CSS custom properties), or None."""
    rules = []
    if branding.primary_color is not None:
        rules.append(f"--primary: {branding.primary_color};")
    if branding.accent_color is not None:
        rules.append(f"--accent: {branding.accent_color};")
    return ":root { " + " ".join(rules) + " }" if rules else None
