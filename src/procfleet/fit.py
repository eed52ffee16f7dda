"""Column widths that fit a terminal: columns give way one after another, in a chosen order, never mid-word."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# what rich draws around the cells of a borderless table: one space of padding each side, one rule between
COLUMN_PADDING = 2
RULE = 1
# a cut column keeps at least this many characters, the "…" included
NARROWEST = 4


def natural_widths(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> dict[str, int]:
    """Each column's width with nothing cut: its longest cell or its header."""
    return {header: max([len(header), *(len(row[index]) for row in rows)]) for index, header in enumerate(headers)}


def table_width(widths: Mapping[str, int]) -> int:
    """How wide a borderless rich table of these column widths is drawn."""
    return sum(widths.values()) + COLUMN_PADDING * len(widths) + RULE * max(0, len(widths) - 1)


def fitted(widths: Mapping[str, int], budget: int, give_way: Sequence[str]) -> dict[str, int]:
    """The widths cut so that the table fits in `budget` columns: the columns in `give_way` are cut first to
    last, each down to NARROWEST before the next is touched; the others keep their width (names, states), so a
    table that cannot fit still never cuts them."""
    result = dict(widths)
    for column in give_way:
        excess = table_width(result) - budget
        if excess <= 0:
            break
        if column in result:
            result[column] = max(min(NARROWEST, result[column]), result[column] - excess)
    return result


def cut(text: str, width: int) -> str:
    """The text in at most `width` characters, ending in "…" when something was cut."""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"
