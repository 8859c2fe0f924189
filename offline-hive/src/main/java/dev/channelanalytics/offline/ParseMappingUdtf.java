package dev.channelanalytics.offline;

import dev.channelanalytics.common.contract.ProductMapping;
import java.util.List;
import org.apache.hadoop.hive.ql.exec.UDFArgumentException;
import org.apache.hadoop.hive.ql.metadata.HiveException;
import org.apache.hadoop.hive.ql.udf.generic.GenericUDTF;
import org.apache.hadoop.hive.serde2.objectinspector.ObjectInspector;
import org.apache.hadoop.hive.serde2.objectinspector.ObjectInspectorFactory;
import org.apache.hadoop.hive.serde2.objectinspector.StructObjectInspector;
import org.apache.hadoop.hive.serde2.objectinspector.primitive.BinaryObjectInspector;
import org.apache.hadoop.hive.serde2.objectinspector.primitive.PrimitiveObjectInspectorFactory;

/**
 * The contract's reading of a {@code product-config} record as a Hive table function, so the
 * offline path maps app keys exactly as the parser does: {@code parse_mapping(key, value)} gives
 * one row (app_key, product_id, error). A deletion has a null product_id; a record that is not a
 * valid mapping has only its error, and the parser skips such records too.
 */
public class ParseMappingUdtf extends GenericUDTF {
  private transient BinaryObjectInspector keyInspector;
  private transient BinaryObjectInspector valueInspector;

  @Override
  public StructObjectInspector initialize(StructObjectInspector argOIs)
      throws UDFArgumentException {
    var fields = argOIs.getAllStructFieldRefs();
    if (fields.size() != 2
        || !(fields.get(0).getFieldObjectInspector() instanceof BinaryObjectInspector k)
        || !(fields.get(1).getFieldObjectInspector() instanceof BinaryObjectInspector v)) {
      throw new UDFArgumentException("parse_mapping(key BINARY, value BINARY)");
    }
    keyInspector = k;
    valueInspector = v;
    ObjectInspector text = PrimitiveObjectInspectorFactory.javaStringObjectInspector;
    return ObjectInspectorFactory.getStandardStructObjectInspector(
        List.of("app_key", "product_id", "error"), List.of(text, text, text));
  }

  @Override
  public void process(Object[] args) throws HiveException {
    byte[] key = args[0] == null ? null : keyInspector.getPrimitiveJavaObject(args[0]);
    byte[] value = args[1] == null ? null : valueInspector.getPrimitiveJavaObject(args[1]);
    try {
      ProductMapping m = ProductMapping.fromKafka(key, value);
      forward(new Object[] {m.appKey(), m.productId(), null});
    } catch (IllegalArgumentException e) {
      forward(new Object[] {null, null, e.getMessage()});
    }
  }

  @Override
  public void close() {}
}
