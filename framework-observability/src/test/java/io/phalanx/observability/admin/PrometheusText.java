package io.phalanx.observability.admin;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small parser for the Prometheus text exposition format (0.0.4) and its OpenMetrics text
 * superset, enough to check what a scrape says: {@code # TYPE} lines and samples
 * {@code name{label="value",…} value [timestamp]} with escaped label values. Fails loudly on a
 * line it cannot read, so a malformed scrape fails the test.
 */
record PrometheusText(Map<String, String> types, List<Sample> samples, boolean eof) {

  record Sample(String name, Map<String, String> labels, double value) {}

  static PrometheusText parse(String text) {
    Map<String, String> types = new LinkedHashMap<>();
    List<Sample> samples = new ArrayList<>();
    boolean eof = false;
    for (String line : text.split("\n", -1)) {
      if (line.isEmpty()) {
        continue;
      }
      if (eof) {
        throw new IllegalArgumentException("content after # EOF: " + line);
      }
      if (line.equals("# EOF")) {
        eof = true;
      } else if (line.startsWith("# TYPE ")) {
        String[] parts = line.substring(7).split(" ");
        if (parts.length != 2) {
          throw new IllegalArgumentException("bad TYPE line: " + line);
        }
        types.put(parts[0], parts[1]);
      } else if (line.startsWith("#")) {
        continue; // HELP, UNIT, comments
      } else {
        samples.add(sample(line));
      }
    }
    return new PrometheusText(types, samples, eof);
  }

  private static Sample sample(String line) {
    int i = 0;
    while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
      i++;
    }
    String name = line.substring(0, i);
    if (!name.matches("[a-zA-Z_:][a-zA-Z0-9_:]*")) {
      throw new IllegalArgumentException("bad metric name in: " + line);
    }
    Map<String, String> labels = new LinkedHashMap<>();
    if (i < line.length() && line.charAt(i) == '{') {
      i++;
      while (line.charAt(i) != '}') {
        int eq = line.indexOf('=', i);
        String label = line.substring(i, eq);
        if (line.charAt(eq + 1) != '"') {
          throw new IllegalArgumentException("unquoted label value in: " + line);
        }
        StringBuilder v = new StringBuilder();
        int j = eq + 2;
        for (; line.charAt(j) != '"'; j++) {
          char c = line.charAt(j);
          if (c == '\\') {
            char n = line.charAt(++j);
            v.append(n == 'n' ? '\n' : n);
          } else {
            v.append(c);
          }
        }
        labels.put(label, v.toString());
        i = j + 1;
        if (line.charAt(i) == ',') {
          i++;
        }
      }
      i++;
    }
    String[] rest = line.substring(i).trim().split(" ");
    double value = switch (rest[0]) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      case "NaN" -> Double.NaN;
      default -> Double.parseDouble(rest[0]);
    };
    return new Sample(name, labels, value);
  }

  /** The one sample called {@code name} with exactly these labels. */
  Sample find(String name, Map<String, String> labels) {
    List<Sample> hits = samples.stream()
        .filter(s -> s.name().equals(name) && s.labels().equals(labels)).toList();
    if (hits.size() != 1) {
      throw new AssertionError("expected one sample " + name + labels + ", found " + hits
          + " among " + samples.stream().map(Sample::name).distinct().toList());
    }
    return hits.get(0);
  }
}
