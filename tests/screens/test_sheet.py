"""`Sheet` rows (confirm, receipt, profile) lay out cell for cell as the Rich grid they replace:
labels cut with an ellipsis, values wrapped under themselves, text never read as markup."""

from rich.console import Console
from rich.table import Table
from rich.text import Text
from textual.style import Style

from kidb_tui.widgets.text import Rows, Sheet

ROWS = [
    ("Jenis klaim", "JHT [b]bold[/b] 10%"),
    ("A label far too long for its column", "short"),
    ("Alasan", "a long value that wraps over several lines of the column and on"),
    ("Rekening", "x" * 70),
    ("Email", ""),
]


def _rich_grid(width: int, label_width: int) -> list[str]:
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(width=label_width - 1, no_wrap=True)
    table.add_column(ratio=1, overflow="fold")
    for label, value in ROWS:
        table.add_row(Text(label), Text(value))
    console = Console(width=width, color_system=None)
    with console.capture() as captured:
        console.print(table)
    return captured.get().splitlines()


def test_rows_match_the_rich_grid_they_replace() -> None:
    for width, label_width in ((80, 24), (60, 25), (40, 12)):
        lines = Sheet(Rows(ROWS, label_width, Style())).content(width).plain.split("\n")
        assert lines == _rich_grid(width, label_width)


def test_values_are_never_markup() -> None:
    text = Sheet(Rows(ROWS, 24, Style())).content(80).plain
    assert "JHT [b]bold[/b] 10%" in text
