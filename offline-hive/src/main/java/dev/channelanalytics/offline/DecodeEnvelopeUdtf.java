package dev.channelanalytics.offline;

import dev.channelanalytics.common.contract.DecodeResult;
import dev.channelanalytics.common.contract.DecodedBatch;
import dev.channelanalytics.common.contract.DecodedEvent;
import dev.channelanalytics.common.contract.EnvelopeDecoder;
import dev.channelanalytics.common.contract.Keyring;
import dev.channelanalytics.common.contract.RejectedEnvelope;
import dev.channelanalytics.common.contract.RejectedEvent;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.hive.ql.exec.UDFArgumentException;
import org.apache.hadoop.hive.ql.metadata.HiveException;
import org.apache.hadoop.hive.ql.udf.generic.GenericUDTF;
import org.apache.hadoop.hive.serde2.objectinspector.ConstantObjectInspector;
import org.apache.hadoop.hive.serde2.objectinspector.ObjectInspector;
import org.apache.hadoop.hive.serde2.objectinspector.ObjectInspectorFactory;
import org.apache.hadoop.hive.serde2.objectinspector.StructObjectInspector;
import org.apache.hadoop.hive.serde2.objectinspector.primitive.BinaryObjectInspector;
import org.apache.hadoop.hive.serde2.objectinspector.primitive.PrimitiveObjectInspectorFactory;

/**
 * The contract's decoder as a Hive table function, so that the offline path decodes with exactly
 * the code the real-time parser uses: {@code decode_envelope(envelope, 'keyring file')}.
 *
 * <p>One row per valid event ({@code kind = 'event'}) and one per reject ({@code kind = 'reject'},
 * with its reason code; {@code bad_event} also with the event index). The keyring is read from the
 * file named by the constant second argument, so keys never appear in a query. Columns: kind,
 * reason, app_key, device_id, channel, recv_ts, event_index, event_type, event_time.
 */
public class DecodeEnvelopeUdtf extends GenericUDTF {
  private transient BinaryObjectInspector envelopeInspector;
  private transient EnvelopeDecoder decoder;

  @Override
  public StructObjectInspector initialize(StructObjectInspector argOIs)
      throws UDFArgumentException {
    var fields = argOIs.getAllStructFieldRefs();
    if (fields.size() != 2
        || !(fields.get(0).getFieldObjectInspector() instanceof BinaryObjectInspector)
        || !(fields.get(1).getFieldObjectInspector() instanceof ConstantObjectInspector)) {
      throw new UDFArgumentException(
          "decode_envelope(envelope BINARY, 'keyring file' constant STRING)");
    }
    envelopeInspector = (BinaryObjectInspector) fields.get(0).getFieldObjectInspector();
    Object file =
        ((ConstantObjectInspector) fields.get(1).getFieldObjectInspector())
            .getWritableConstantValue();
    decoder = new EnvelopeDecoder(Keyring.load(Path.of(String.valueOf(file))));
    ObjectInspector text = PrimitiveObjectInspectorFactory.javaStringObjectInspector;
    ObjectInspector bigint = PrimitiveObjectInspectorFactory.javaLongObjectInspector;
    ObjectInspector integer = PrimitiveObjectInspectorFactory.javaIntObjectInspector;
    return ObjectInspectorFactory.getStandardStructObjectInspector(
        List.of(
            "kind",
            "reason",
            "app_key",
            "device_id",
            "channel",
            "recv_ts",
            "event_index",
            "event_type",
            "event_time"),
        List.of(text, text, text, text, text, bigint, integer, text, bigint));
  }

  @Override
  public void process(Object[] args) throws HiveException {
    byte[] envelope = args[0] == null ? null : envelopeInspector.getPrimitiveJavaObject(args[0]);
    DecodeResult result = decoder.decode(envelope);
    if (result instanceof RejectedEnvelope r) {
      forward(new Object[] {"reject", r.reason().code(), null, null, null, null, null, null, null});
      return;
    }
    DecodedBatch b = (DecodedBatch) result;
    for (RejectedEvent e : b.rejectedEvents()) {
      forward(
          new Object[] {
            "reject",
            e.reason().code(),
            b.appKey(),
            b.deviceId(),
            b.channel(),
            b.recvTs(),
            e.index(),
            null,
            null
          });
    }
    for (DecodedEvent e : b.events()) {
      forward(
          new Object[] {
            "event",
            null,
            b.appKey(),
            b.deviceId(),
            b.channel(),
            b.recvTs(),
            e.index(),
            e.type(),
            e.eventTime()
          });
    }
  }

  @Override
  public void close() {}
}
