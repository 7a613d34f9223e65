package io.weft.meshctl;

import java.util.ArrayList;
import java.util.List;

/** A kubectl-style table: upper-case headers, left-aligned columns three spaces apart, no borders. */
final class Table {
  private final List<String> headers;
  private final List<List<String>> rows = new ArrayList<>();

  Table(String... headers) {
    this.headers = List.of(headers);
  }

  Table row(String... cells) {
    List<String> r = new ArrayList<>();
    for (int i = 0; i < headers.size(); i++) {
      String c = i < cells.length ? cells[i] : "";
      r.add(c == null || c.isEmpty() ? "-" : c);
    }
    rows.add(r);
    return this;
  }

  boolean isEmpty() {
    return rows.isEmpty();
  }

  String render() {
    int[] widths = new int[headers.size()];
    for (int i = 0; i < widths.length; i++) {
      widths[i] = headers.get(i).length();
      for (List<String> r : rows) {
        widths[i] = Math.max(widths[i], r.get(i).length());
      }
    }
    StringBuilder b = new StringBuilder();
    line(b, headers, widths);
    rows.forEach(r -> line(b, r, widths));
    return b.toString();
  }

  private static void line(StringBuilder b, List<String> cells, int[] widths) {
    StringBuilder l = new StringBuilder();
    for (int i = 0; i < cells.size(); i++) {
      l.append(cells.get(i));
      if (i < cells.size() - 1) {
        l.append(" ".repeat(widths[i] - cells.get(i).length() + 3));
      }
    }
    b.append(l.toString().stripTrailing()).append('\n');
  }
}
