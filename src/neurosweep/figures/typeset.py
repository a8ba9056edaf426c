"""Typography as the field writes it, applied to every text of a drawn figure.

Plot code writes plain names (``tau_w``, ``delta_T``, ``uA/cm2``); :func:`typeset` turns them
into the symbols a textbook prints (τ_w, Δ_T, µA/cm²) with matplotlib's mathtext, in titles,
axis labels, legends, annotations and colourbar labels alike, so that no figure spells them its
own way. Texts that already hold mathtext (``$...$``) are left as written.
"""

from __future__ import annotations

import re

from matplotlib.figure import Figure
from matplotlib.text import Text

__all__ = ["typeset", "typeset_text"]

_UNITS = (
    (re.compile(r"\bu([AFS])/cm2\b"), r"µ\1/cm²"),
    (re.compile(r"\bm([AFS])/cm2\b"), r"m\1/cm²"),
    (re.compile(r"\bcm2\b"), "cm²"),
    (re.compile(r"\bms\^-1\b|\b1/ms\b"), "ms⁻¹"),
    (re.compile(r"\b([GMk]?)Ohm\b"), r"\1Ω"),
)
#: Plain names -> mathtext symbols (subscripts follow as in ``tau_w``).
_GREEK = {"tau": r"\tau", "delta": r"\delta", "Delta": r"\Delta", "lambda": r"\lambda", "mu": r"\mu", "sigma": r"\sigma",
          "alpha": r"\alpha", "beta": r"\beta", "theta": r"\theta", "omega": r"\omega", "phi": r"\phi", "rho": r"\rho"}  # fmt: skip
_SYMBOL = re.compile(r"\b(delta_T|" + "|".join(_GREEK) + r")(?:_([A-Za-z0-9]+)|([0-9]))?(?![A-Za-z0-9])")


#: A one-letter name with a subscript (V_th, g_Na, I_ext, k_c, x_inf) or a digit (V0, J0, a0, s1).
_SUBSCRIPTED = re.compile(r"(?<![A-Za-z0-9_\\{$])([A-Za-z])(?:_([A-Za-z0-9]+)|([0-9]))(?![A-Za-z0-9_])")
_SIGNS = ((re.compile(r"\+/-"), "±"), (re.compile(r"\^2\b"), "²"))


def _subscripted(match: re.Match[str]) -> str:
    name, subscript = match.group(1), match.group(2) or match.group(3)
    if subscript == "inf":
        return f"${name}_\\infty$"
    subscript = subscript if len(subscript) == 1 else rf"\mathrm{{{subscript}}}"
    return f"${name}_{{{subscript}}}$"


def _symbol(match: re.Match[str]) -> str:
    name, subscript = match.group(1), match.group(2) or match.group(3)
    if name == "delta_T":  # the exponential IF's slope factor is written with a capital Delta
        return r"$\Delta_T$"
    if subscript is None:
        return f"${_GREEK[name]}$"
    subscript = subscript if len(subscript) == 1 else rf"\mathrm{{{subscript}}}"
    return f"${_GREEK[name]}_{{{subscript}}}$"


def typeset_text(text: str) -> str:
    """``text`` with units and Greek names as printed (unchanged if it holds mathtext already)."""
    if "$" in text:
        return text
    for pattern, replacement in (*_UNITS, *_SIGNS):
        text = pattern.sub(replacement, text)
    text = _SYMBOL.sub(_symbol, text)
    # One-letter names outside the mathtext already written (split on it, keep it as it is).
    parts = re.split(r"(\$[^$]*\$)", text)
    return "".join(part if part.startswith("$") else _SUBSCRIPTED.sub(_subscripted, part) for part in parts)


def typeset(figure: Figure) -> Figure:
    """Rewrite every text artist of ``figure`` in place (see :func:`typeset_text`); returns it."""
    for artist in figure.findobj(Text):
        written = artist.get_text()
        if written:
            printed = typeset_text(written)
            if printed != written:
                artist.set_text(printed)
    return figure
