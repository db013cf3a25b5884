package io.softdsa.bench;

import java.io.PrintStream;
import java.util.List;

/**
 * A plain-text table printed row by row as results arrive: column widths are fixed up front (from the titles and
 * the widest expected text), text columns are left-aligned and figures right-aligned.
 */
final class Table {
    enum Align { LEFT, RIGHT }

    record Column(String title, int width, Align align) {
        Column {
            width = Math.max(width, title.length());
        }
    }

    private static final String GAP = "  ";

    private final List<Column> columns;
    private final PrintStream out;

    Table(PrintStream out, List<Column> columns) {
        this.out = out;
        this.columns = List.copyOf(columns);
    }

    void printHeader() {
        final String[] titles = columns.stream().map(Column::title).toArray(String[]::new);
        printRow(titles);
        final StringBuilder rule = new StringBuilder();
        for (int i = 0; i < columns.size(); i++) {
            if (i > 0) {
                rule.append(GAP);
            }
            rule.append("-".repeat(columns.get(i).width()));
        }
        out.println(rule);
    }

    void printRow(String... cells) {
        if (cells.length != columns.size()) {
            throw new IllegalArgumentException("expected " + columns.size() + " cells, got " + cells.length);
        }
        final StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            final Column c = columns.get(i);
            if (i > 0) {
                line.append(GAP);
            }
            final String pad = " ".repeat(Math.max(0, c.width() - cells[i].length()));
            line.append(c.align() == Align.LEFT ? cells[i] + pad : pad + cells[i]);
        }
        out.println(line.toString().stripTrailing());
    }

    /** A line spanning the table, e.g. a failed row's message. */
    void printNote(String text) {
        out.println(text);
    }
}
