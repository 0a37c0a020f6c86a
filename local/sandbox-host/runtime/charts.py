"""A matplotlib figure described as E2B's `chart`: type, title, axes and elements.

Line, scatter, bar and pie charts are recognised from what the axes hold; a figure with several
charted axes is a `superchart` of them; anything else is `unknown` with its title.
"""

import datetime
import re

UNIT = re.compile(r"\(([^()]+)\)\s*$|\[([^\[\]]+)\]\s*$")


def describe(figure):
    if hasattr(figure, "draw_without_rendering"):
        figure.draw_without_rendering()  # ticks and labels are only final once laid out
    axes = [ax for ax in figure.get_axes() if ax.has_data()]
    if not axes:
        return {}
    if len(axes) > 1:
        suptitle = getattr(figure, "_suptitle", None)
        title = suptitle.get_text() if suptitle is not None and suptitle.get_text() else None
        return {"type": "superchart", "title": title, "elements": [describe_axes(ax) for ax in axes]}
    return describe_axes(axes[0])


def describe_axes(ax):
    from matplotlib.collections import PathCollection  # noqa: PLC0415
    from matplotlib.lines import Line2D  # noqa: PLC0415
    from matplotlib.container import BarContainer  # noqa: PLC0415
    from matplotlib.patches import Wedge  # noqa: PLC0415

    title = ax.get_title() or None
    wedges = [p for p in ax.patches if isinstance(p, Wedge)]
    if wedges:
        return {"type": "pie", "title": title, "elements": [pie_slice(w) for w in wedges]}
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    lines = [line for line in ax.get_lines() if isinstance(line, Line2D)]
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    if bars and not lines and not scatters:
        return {"type": "bar", "title": title, **labels(ax), "elements": bar_elements(ax, bars)}
    if lines and not scatters:
        chart = {"type": "line", "title": title, **labels(ax), **axis_scales(ax)}
        chart["elements"] = [{"label": line.get_label(), "points": points(ax, line.get_xydata())} for line in lines]
        return chart
    if scatters and not lines:
        chart = {"type": "scatter", "title": title, **labels(ax), **axis_scales(ax)}
        chart["elements"] = [{"label": c.get_label(), "points": points(ax, c.get_offsets())} for c in scatters]
        return chart
    return {"type": "unknown", "title": title, "elements": []}


def labels(ax):
    x_label, y_label = ax.get_xlabel() or None, ax.get_ylabel() or None
    return {"x_label": x_label, "y_label": y_label, "x_unit": unit(x_label), "y_unit": unit(y_label)}


def unit(label):
    match = UNIT.search(label or "")
    return (match.group(1) or match.group(2)) if match else None


def scale(ax, axis):
    converter = getattr(axis, "converter", None)
    if converter is not None and "date" in type(converter).__module__:
        return "datetime"
    if converter is not None and "category" in type(converter).__module__:
        return "categorical"
    return axis.get_scale()


def axis_scales(ax):
    out = {}
    for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
        kind = scale(ax, axis)
        ticks = list(axis.get_ticklocs())
        out[f"{name}_scale"] = kind
        out[f"{name}_ticks"] = [as_date(t) for t in ticks] if kind == "datetime" else [float(t) for t in ticks]
        out[f"{name}_tick_labels"] = [label.get_text() for label in axis.get_ticklabels()]
    return out


def as_date(value):
    from matplotlib.dates import num2date  # noqa: PLC0415

    return num2date(value).replace(tzinfo=None).isoformat()


def points(ax, data):
    x_dates = scale(ax, ax.xaxis) == "datetime"
    y_dates = scale(ax, ax.yaxis) == "datetime"
    return [[as_date(x) if x_dates else number(x), as_date(y) if y_dates else number(y)] for x, y in data]


def number(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def bar_elements(ax, containers):
    tick_labels = {round(float(t), 6): label.get_text() for t, label in zip(ax.get_xticks(), ax.get_xticklabels())}
    elements = []
    for container in containers:
        group = container.get_label() or ""
        for bar in container.patches:
            center = round(bar.get_x() + bar.get_width() / 2, 6)
            elements.append({"label": tick_labels.get(center, str(center)), "group": group, "value": float(bar.get_height())})
    return elements


def pie_slice(wedge):
    angle = round(float(wedge.theta2 - wedge.theta1), 4)
    return {"label": wedge.get_label(), "angle": int(angle) if angle == int(angle) else angle, "radius": float(wedge.r)}
