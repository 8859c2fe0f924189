package dev.channelanalytics.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class ReportTableTest {
  @Test
  void rowsAreAlignedWithTheirStatusAndASummaryOfTotalsAndFinality() throws Exception {
    String answer =
        "{\"product\":\"browser\",\"granularity\":\"hour\",\"tz\":\"Asia/Shanghai\",\"rows\":["
            + "{\"bucket\":\"2026-11-23T10:00:00Z\",\"channel\":\"huawei_store\",\"new_users\":1234,"
            + "\"status\":\"final\"},"
            + "{\"bucket\":\"2026-11-23T11:00:00Z\",\"channel\":\"organic\",\"new_users\":5,"
            + "\"status\":\"provisional\"}]}";
    String table = ReportCommand.ReportTable.render(new ObjectMapper().readTree(answer));
    assertThat(table.split("\n"))
        .containsExactly(
            "bucket                channel        new users  status",
            "2026-11-23T10:00:00Z  huawei_store       1,234  final",
            "2026-11-23T11:00:00Z  organic                5  provisional",
            "1,239 new users of browser in 2 rows (1 final, 1 provisional); hour buckets in"
                + " Asia/Shanghai");
  }

  @Test
  void anEmptyAnswerIsAHeaderAndAZeroSummary() throws Exception {
    String table =
        ReportCommand.ReportTable.render(
            new ObjectMapper()
                .readTree(
                    "{\"product\":\"p\",\"granularity\":\"day\",\"tz\":\"UTC\",\"rows\":[]}"));
    assertThat(table)
        .endsWith("0 new users of p in 0 rows (0 final, 0 provisional); day buckets in UTC\n");
  }
}
