"""Plain-text labels for figures that redraw often: Unicode subscripts and superscripts,
decade ticks and tick labels drawn as text. Mathtext is re-parsed on every new renderer (every
widget redraw) and costs more than the rest of a small figure; these helpers avoid it."""

from __future__ import annotations

from matplotlib.ticker import NullLocator

_SUBSCRIPT = str.maketrans("0123456789+-=()aehklmnoprstuvxyij", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕₖₗₘₙₒₚᵣₛₜᵤᵥₓᵧᵢⱼ")
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def power_of_ten(exponent: int) -> str:
    """``10⁻³`` as plain text (log-axis tick labels without mathtext)."""
    return "10" + str(int(exponent)).translate(_SUPERSCRIPT)


def plain_log_ticks(ax, lo_exp, hi_exp, step=1, axis="y"):
    """Fixed decade ticks 10^lo..10^hi labelled in plain text: log axes otherwise label their
    ticks with mathtext, which costs more than the rest of a small figure to render."""
    exps = list(range(int(lo_exp), int(hi_exp) + 1, int(step)))
    ticks = [10.0 ** e for e in exps]
    labels = [power_of_ten(e) for e in exps]
    if axis == "y":
        ax.set_yticks(ticks, labels)
        ax.yaxis.set_minor_locator(NullLocator())
    else:
        ax.set_xticks(ticks, labels)
        ax.xaxis.set_minor_locator(NullLocator())


def text_ticks(ax, axis, positions, labels, grid=True, fontsize=10, pad=0.012):
    """Tick labels drawn as plain text, without matplotlib's tick machinery.

    Each real tick (two marks, a label and a grid line) costs about a millisecond to create
    and draw, a plain text about half that; the widgets redraw on every slider move, so they
    label their axes this way. ``positions`` are data coordinates along ``axis`` ("x" or "y");
    ``grid`` draws light grid lines there. Set axis labels with a ``labelpad`` (in points) wide
    enough for these labels, since matplotlib no longer knows they are there.
    """
    positions = list(positions)
    if axis == "x":
        ax.set_xticks([])
        transform = ax.get_xaxis_transform()          # x in data, y in axes fraction
        for x, label in zip(positions, labels, strict=False):
            ax.text(x, -pad, label, transform=transform, ha="center", va="top", fontsize=fontsize)
        if grid and positions:
            ax.vlines(positions, 0, 1, transform=transform, color="#B0B0B0", lw=0.8, alpha=0.3)
    else:
        ax.set_yticks([])
        transform = ax.get_yaxis_transform()          # x in axes fraction, y in data
        for y, label in zip(positions, labels, strict=False):
            ax.text(-pad, y, label, transform=transform, ha="right", va="center", fontsize=fontsize)
        if grid and positions:
            ax.hlines(positions, 0, 1, transform=transform, color="#B0B0B0", lw=0.8, alpha=0.3)
    ax.minorticks_off()


def sub(base: str, index) -> str:
    """``base`` with a Unicode subscript, e.g. ``sub("h", 12) == "h₁₂"``: plain text that
    renders many times faster than mathtext (which matplotlib re-parses for every new
    renderer, i.e. on every widget redraw)."""
    return base + str(index).translate(_SUBSCRIPT)
