package dev.channelanalytics.cli;

import dev.channelanalytics.common.contract.ProductMapping;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A file of product mappings, one JSON object per line, with every invalid line reported. */
record MappingFile(List<ProductMapping> mappings, List<String> problems) {

  static MappingFile read(Path file) throws IOException {
    List<ProductMapping> mappings = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    long lineNo = 0;
    try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        try {
          mappings.add(ProductMapping.parseLine(line));
        } catch (IllegalArgumentException e) {
          problems.add(file + ":" + lineNo + ": " + e.getMessage());
        }
      }
    }
    return new MappingFile(mappings, problems);
  }

  /** Prints the first problems to stderr. */
  void reportProblems() {
    problems.stream().limit(20).forEach(System.err::println);
    if (problems.size() > 20) {
      System.err.println("... and " + (problems.size() - 20) + " more invalid lines");
    }
  }
}
