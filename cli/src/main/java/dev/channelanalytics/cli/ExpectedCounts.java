package dev.channelanalytics.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.channelanalytics.common.contract.RejectReason;
import dev.channelanalytics.common.simulation.NewUserOracle;
import java.io.IOException;
import java.nio.file.Path;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The reference model's answer as JSON: what the pipeline must report for the same input. */
final class ExpectedCounts {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ExpectedCounts() {}

  static Map<String, Object> of(NewUserOracle oracle, ZoneId zone, boolean withBuckets) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("tz", zone.getId());
    out.put("envelopes", oracle.envelopes());
    out.put("accepted_events", oracle.acceptedEvents());
    Map<String, Long> usersPerProduct = new TreeMap<>();
    oracle.firstSeen().keySet().forEach(u -> usersPerProduct.merge(u.product(), 1L, Long::sum));
    out.put("users", usersPerProduct);
    Map<String, Long> rejects = new TreeMap<>();
    for (Map.Entry<RejectReason, Long> e : oracle.rejects().entrySet()) {
      rejects.put(e.getKey().code(), e.getValue());
    }
    out.put("rejects", rejects);
    if (withBuckets) {
      out.put("minute", rows(oracle, ChronoUnit.MINUTES, zone));
      out.put("hour", rows(oracle, ChronoUnit.HOURS, zone));
      out.put("day", rows(oracle, ChronoUnit.DAYS, zone));
    }
    return out;
  }

  private static List<Map<String, Object>> rows(
      NewUserOracle oracle, ChronoUnit unit, ZoneId zone) {
    List<Map<String, Object>> rows = new ArrayList<>();
    oracle
        .newUsers(unit, zone)
        .forEach(
            (bucket, count) -> {
              Map<String, Object> row = new LinkedHashMap<>();
              row.put("product", bucket.product());
              row.put("bucket", bucket.start().toString());
              row.put("channel", bucket.channel());
              row.put("new_users", count);
              rows.add(row);
            });
    return rows;
  }

  static void write(Map<String, Object> counts, Path file) throws IOException {
    JSON.writeValue(file.toFile(), counts);
  }

  static String toJson(Map<String, Object> counts) throws IOException {
    return JSON.writeValueAsString(counts);
  }
}
