package dev.channelanalytics.offline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.contract.DecodeResult;
import dev.channelanalytics.common.contract.DecodedBatch;
import dev.channelanalytics.common.contract.EnvelopeDecoder;
import dev.channelanalytics.common.contract.Keyring;
import dev.channelanalytics.common.contract.RejectedEnvelope;
import dev.channelanalytics.common.simulation.SimulatedRecord;
import dev.channelanalytics.common.simulation.SimulationSpec;
import dev.channelanalytics.common.simulation.TrafficSimulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The decoder as a Hive UDTF in HiveQL gives exactly what the decoder gives directly: the same
 * accepted events and the same rejects per reason, for simulator traffic with every reject kind.
 */
class DecodeEnvelopeUdtfITCase {
  @RegisterExtension static final HiveExtension HIVE = new HiveExtension();

  @TempDir Path dir;

  @Test
  void hiveQlDecodesExactlyLikeTheParser() throws Exception {
    byte[] k1 = new byte[32];
    new SecureRandom().nextBytes(k1);
    Path keyringFile = dir.resolve("keyring.json");
    Files.writeString(keyringFile, "{\"k1\":\"" + Base64.getEncoder().encodeToString(k1) + "\"}");
    Keyring keyring = Keyring.load(keyringFile);
    List<byte[]> envelopes = new ArrayList<>();
    new TrafficSimulator(
            SimulationSpec.defaults(
                    5, 2_000, 1_795_428_000_000L, Duration.ofHours(2), List.of("k1"))
                .withRejectShare(0.02),
            keyring)
        .forEachRemaining(
            r -> {
              if (r.destination() == SimulatedRecord.Destination.RAW_LOGS) {
                envelopes.add(r.value());
              }
            });
    EnvelopeDecoder decoder = new EnvelopeDecoder(keyring);
    Map<String, Long> expected = new TreeMap<>();
    for (byte[] e : envelopes) {
      DecodeResult r = decoder.decode(e);
      if (r instanceof RejectedEnvelope rejected) {
        expected.merge(rejected.reason().code(), 1L, Long::sum);
      } else {
        DecodedBatch b = (DecodedBatch) r;
        expected.merge("event", (long) b.events().size(), Long::sum);
        if (!b.rejectedEvents().isEmpty()) {
          expected.merge("bad_event", (long) b.rejectedEvents().size(), Long::sum);
        }
      }
    }

    // The envelopes as a table, then HiveQL through the HiveServer2 endpoint, as the ETL runs it.
    List<Row> rows = new ArrayList<>();
    envelopes.forEach(e -> rows.add(RowFactory.create((Object) e)));
    StructType schema = new StructType().add("envelope", DataTypes.BinaryType);
    HIVE.warehouse().spark().createDataFrame(rows, schema).write().saveAsTable("envelopes");
    HIVE.sql(
        "CREATE TEMPORARY FUNCTION decode_envelope AS '"
            + DecodeEnvelopeUdtf.class.getName()
            + "'");
    Map<String, Long> actual =
        HiveExtension.counts(
            HIVE.sql(
                "SELECT coalesce(d.reason, d.kind) AS what, count(*) FROM envelopes"
                    + " LATERAL VIEW decode_envelope(envelope, '"
                    + keyringFile
                    + "') d GROUP BY coalesce(d.reason, d.kind)"));
    assertThat(actual).isEqualTo(expected);
    assertThat(expected).containsKeys("event", "bad_envelope", "decrypt_failed", "bad_event");
  }
}
