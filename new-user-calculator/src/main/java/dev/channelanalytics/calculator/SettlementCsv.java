package dev.channelanalytics.calculator;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A new-users answer as CSV for settlement (RFC 4180): one line per bucket and channel with its
 * status, so a channel operator settles only on rows marked {@code final}.
 *
 * <p>Values are written exactly as reported; a field holding a comma, a quote or a line break is
 * quoted. Channel names come from client logs: a spreadsheet may read one that starts with {@code
 * =}, {@code +}, {@code -} or {@code @} as a formula, so open the file as text, not by
 * double-click, when channels are not your own.
 */
final class SettlementCsv {
  static final String HEADER = "product,granularity,time_zone,bucket,channel,new_users,status";

  private SettlementCsv() {}

  /** The CSV of an answer of {@code GET /api/v1/new-users}. */
  static String of(JsonNode answer) {
    StringBuilder csv = new StringBuilder(HEADER).append("\r\n");
    String product = field(answer.get("product").asText());
    String granularity = answer.get("granularity").asText();
    String zone = field(answer.get("tz").asText());
    for (JsonNode row : answer.get("rows")) {
      csv.append(product)
          .append(',')
          .append(granularity)
          .append(',')
          .append(zone)
          .append(',')
          .append(row.get("bucket").asText())
          .append(',')
          .append(field(row.get("channel").asText()))
          .append(',')
          .append(row.get("new_users").asLong())
          .append(',')
          .append(row.get("status").asText())
          .append("\r\n");
    }
    return csv.toString();
  }

  /** A field, quoted when it holds a separator, a quote or a line break. */
  static String field(String value) {
    if (value.indexOf(',') < 0
        && value.indexOf('"') < 0
        && value.indexOf('\n') < 0
        && value.indexOf('\r') < 0) {
      return value;
    }
    return '"' + value.replace("\"", "\"\"") + '"';
  }
}
