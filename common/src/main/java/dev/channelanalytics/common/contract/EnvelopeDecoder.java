package dev.channelanalytics.common.contract;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Turns one raw envelope into a {@link DecodedBatch} or a {@link RejectedEnvelope} with the
 * contract's reason code, so that the real-time and offline paths accept and reject exactly the
 * same records.
 *
 * <p>{@link #decode(byte[])} never throws: any input, however broken or hostile, gives a result.
 * The checks run in the contract's order ({@code bad_envelope}, {@code unknown_key}, {@code
 * decrypt_failed}, {@code bad_payload}, {@code missing_app_key}, {@code invalid_device_id}, then
 * {@code bad_event} per event); the first that fails decides the reason.
 *
 * <p><b>Not thread-safe.</b> An instance reuses a {@link Cipher}, an {@link java.util.zip.Inflater}
 * and buffers across records, because creating them per record would cost more than the decoding
 * itself. Use one instance per thread or task. The reusable parts are transient and created lazily,
 * so an instance can be serialized into Flink or Spark tasks; only the keyring travels.
 */
public final class EnvelopeDecoder implements Serializable {

  private static final long serialVersionUID = 1L;

  /**
   * Upper bound on the inflated size of a gzip payload, so a small zip bomb cannot exhaust memory.
   */
  public static final int MAX_INFLATED_BYTES = 16 * 1024 * 1024;

  /** The largest {@code raw-logs} record value (contract section 5, Limits): 1 MiB. */
  public static final int MAX_RECORD_BYTES = 1024 * 1024;

  /** The most events one batch may hold. */
  public static final int MAX_EVENTS = 10_000;

  /** The longest {@code app_key}, normalised {@code device_id} and normalised {@code channel}. */
  public static final int MAX_FIELD_CHARACTERS = 128;

  static final int IV_BYTES = 12;
  static final int TAG_BYTES = 16;
  private static final int TAG_BITS = TAG_BYTES * 8;

  /**
   * Field values from the input are cut to this length in details, which go to logs and metrics.
   */
  private static final int MAX_DETAIL_VALUE = 40;

  /** Larger buffers are not kept between records, so one huge envelope does not pin memory. */
  private static final int RETAINED_BUFFER = 1024 * 1024;

  private final Keyring keyring;

  private transient Map<String, Cipher> ciphers;
  private transient GzipReader gzipReader;
  private transient NumberFloor numberFloor;
  private transient byte[] ivBuffer;
  private transient byte[] ciphertextBuffer;
  private transient byte[] plaintextBuffer;

  /** A decoder for envelopes encrypted with any key of the keyring. */
  public EnvelopeDecoder(Keyring keyring) {
    if (keyring == null) {
      throw new IllegalArgumentException("keyring is null");
    }
    this.keyring = keyring;
  }

  /** Decodes an envelope given as text; see {@link #decode(byte[])}. */
  public DecodeResult decode(String envelope) {
    if (envelope == null) {
      return new RejectedEnvelope(RejectReason.BAD_ENVELOPE, "no input");
    }
    return decode(envelope.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Decodes one envelope, the UTF-8 JSON value of one {@code raw-logs} record.
   *
   * @param utf8Envelope the record value, possibly null
   * @return a batch, or the rejection with its reason; never null, never throws
   */
  public DecodeResult decode(byte[] utf8Envelope) {
    // Which reason an unforeseen failure is reported under: the stage that was running.
    RejectReason stage = RejectReason.BAD_ENVELOPE;
    try {
      if (utf8Envelope == null) {
        return new RejectedEnvelope(RejectReason.BAD_ENVELOPE, "no input");
      }
      if (utf8Envelope.length > MAX_RECORD_BYTES) {
        return new RejectedEnvelope(
            RejectReason.BAD_ENVELOPE,
            "record of " + utf8Envelope.length + " bytes exceeds the limit of " + MAX_RECORD_BYTES);
      }
      Envelope envelope = new Envelope();
      RejectedEnvelope rejected = parseEnvelope(utf8Envelope, envelope);
      if (rejected != null) {
        return rejected;
      }
      stage = RejectReason.UNKNOWN_KEY;
      SecretKeySpec key = keyring.keyOrNull(envelope.kid);
      if (key == null) {
        return new RejectedEnvelope(RejectReason.UNKNOWN_KEY, "unknown kid " + cut(envelope.kid));
      }
      stage = RejectReason.DECRYPT_FAILED;
      rejected = decrypt(envelope, key);
      if (rejected != null) {
        return rejected;
      }
      stage = RejectReason.BAD_PAYLOAD;
      byte[] plaintext = plaintextBuffer;
      int plaintextLength = envelope.plaintextLength;
      if (envelope.gzip) {
        try {
          plaintextLength = gzipReader().gunzip(plaintext, 0, plaintextLength);
        } catch (GzipReader.GzipException e) {
          return new RejectedEnvelope(RejectReason.BAD_PAYLOAD, "gunzip failed: " + e.getMessage());
        }
        plaintext = gzipReader.output();
      }
      return decodePlaintext(envelope, plaintext, plaintextLength);
    } catch (RuntimeException | IOException e) {
      // Only a bug gets here; the reusable parts may be in any state, so start afresh.
      resetReusables();
      return new RejectedEnvelope(stage, "unexpected " + e.getClass().getSimpleName());
    } finally {
      releaseLargeBuffers();
    }
  }

  // ---- bad_envelope ----------------------------------------------------------------------

  /** The envelope's fields as read; each {@code *Problem} is null when that field is fine. */
  private static final class Envelope {
    String versionProblem = "missing field v";
    String src;
    String srcProblem = "missing field src";
    String kid;
    String kidProblem = "missing field kid";
    long recvTs;
    String recvTsProblem = "missing field recv_ts";
    byte[] ivText;
    String ivProblem = "missing field iv";
    byte[] dataText;
    String dataProblem = "missing field data";
    boolean gzip;
    String zipProblem;
    int plaintextLength;
  }

  private RejectedEnvelope parseEnvelope(byte[] input, Envelope envelope) throws IOException {
    if (!Utf8.isJsonText(input, 0, input.length)) {
      return badEnvelope("not valid UTF-8 JSON text");
    }
    try (JsonParser parser = ContractJson.FACTORY.createParser(input)) {
      String rootProblem = notAnObject(parser, "empty input", "not a JSON object, was ");
      if (rootProblem != null) {
        return badEnvelope(rootProblem);
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        JsonToken value = parser.nextToken();
        switch (name) {
          case "v" -> envelope.versionProblem = versionProblem(parser, value);
          case "src" -> {
            envelope.src = stringOrNull(parser, value);
            envelope.srcProblem = envelope.src == null ? wrongType("src", "a string", value) : null;
          }
          case "kid" -> {
            envelope.kid = stringOrNull(parser, value);
            envelope.kidProblem = envelope.kid == null ? wrongType("kid", "a string", value) : null;
          }
          case "recv_ts" -> readRecvTs(parser, value, envelope);
          case "iv" -> {
            envelope.ivText = base64TextOrNull(parser, value, input);
            envelope.ivProblem =
                value == JsonToken.VALUE_STRING ? null : wrongType("iv", "a string", value);
          }
          case "data" -> {
            envelope.dataText = base64TextOrNull(parser, value, input);
            envelope.dataProblem =
                value == JsonToken.VALUE_STRING ? null : wrongType("data", "a string", value);
          }
          case "zip" -> readZip(parser, value, envelope);
          default -> parser.skipChildren();
        }
      }
      if (parser.nextToken() != null) {
        return badEnvelope("trailing content after the JSON object");
      }
    } catch (StreamConstraintsException e) {
      return badEnvelope("exceeds parser limits: " + e.getOriginalMessage());
    } catch (JsonProcessingException e) {
      return badEnvelope("not valid JSON" + at(e.getLocation()));
    }
    String problem =
        firstNonNull(
            envelope.versionProblem,
            envelope.srcProblem,
            envelope.kidProblem,
            envelope.recvTsProblem,
            envelope.ivProblem,
            envelope.dataProblem,
            envelope.zipProblem);
    return problem == null ? null : badEnvelope(problem);
  }

  private static String versionProblem(JsonParser parser, JsonToken value) throws IOException {
    if (value == JsonToken.VALUE_NUMBER_INT) {
      // The length check keeps a huge integer from being parsed into a BigInteger.
      if (parser.getTextLength() == 1 && parser.getIntValue() == 1) {
        return null;
      }
      return "v must be 1, was " + cut(parser.getText());
    }
    if (value == JsonToken.VALUE_NUMBER_FLOAT) {
      return "v must be the integer 1, was " + cut(parser.getText());
    }
    parser.skipChildren();
    return "v must be the integer 1, was " + describe(value);
  }

  private static void readRecvTs(JsonParser parser, JsonToken value, Envelope envelope)
      throws IOException {
    if (value == JsonToken.VALUE_NUMBER_INT && fitsInLong(parser)) {
      envelope.recvTs = parser.getLongValue();
      envelope.recvTsProblem = null;
    } else if (value == JsonToken.VALUE_NUMBER_INT) {
      envelope.recvTsProblem = "recv_ts does not fit in a long";
    } else {
      parser.skipChildren();
      envelope.recvTsProblem = wrongType("recv_ts", "an integer", value);
    }
  }

  private static void readZip(JsonParser parser, JsonToken value, Envelope envelope)
      throws IOException {
    envelope.gzip = false;
    envelope.zipProblem = null;
    if (value == JsonToken.VALUE_STRING) {
      envelope.gzip = isGzip(parser);
    } else if (value != JsonToken.VALUE_NULL) {
      parser.skipChildren();
      envelope.zipProblem = wrongType("zip", "a string", value);
    }
  }

  /** Exactly {@code "gzip"}, compared without creating a string. */
  private static boolean isGzip(JsonParser parser) throws IOException {
    if (parser.getTextLength() != 4) {
      return false;
    }
    char[] chars = parser.getTextCharacters();
    int off = parser.getTextOffset();
    return chars[off] == 'g'
        && chars[off + 1] == 'z'
        && chars[off + 2] == 'i'
        && chars[off + 3] == 'p';
  }

  /**
   * A string value as ASCII bytes for the base64 decoder, with any non-ASCII character mapped to a
   * byte the decoder rejects; null and skipped when the value is not a string.
   *
   * <p>Base64 text has no escapes, so it is usually copied straight from the input: Jackson reads
   * strings lazily and still stands right after the opening quote. Anything else (an escape such as
   * {@code \/}, a control or non-ASCII byte, or a parser that has already moved on) takes the
   * general path through Jackson's decoded text.
   */
  private static byte[] base64TextOrNull(JsonParser parser, JsonToken value, byte[] input)
      throws IOException {
    if (value != JsonToken.VALUE_STRING) {
      parser.skipChildren();
      return null;
    }
    long quoteAt = parser.currentTokenLocation().getByteOffset();
    long contentAt = parser.currentLocation().getByteOffset();
    if (quoteAt >= 0 && contentAt == quoteAt + 1 && input[(int) quoteAt] == '"') {
      int start = (int) contentAt;
      for (int i = start; i < input.length; i++) {
        byte c = input[i];
        if (c == '"') {
          return Arrays.copyOfRange(input, start, i);
        }
        if (c == '\\' || c < 0x20) {
          break;
        }
      }
    }
    char[] chars = parser.getTextCharacters();
    int off = parser.getTextOffset();
    int len = parser.getTextLength();
    byte[] ascii = new byte[len];
    for (int i = 0; i < len; i++) {
      char c = chars[off + i];
      ascii[i] = c < 0x80 ? (byte) c : (byte) '!';
    }
    return ascii;
  }

  private static RejectedEnvelope badEnvelope(String detail) {
    return new RejectedEnvelope(RejectReason.BAD_ENVELOPE, detail);
  }

  // ---- decrypt_failed --------------------------------------------------------------------

  /** Decrypts into {@link #plaintextBuffer} and sets {@code plaintextLength}, or rejects. */
  private RejectedEnvelope decrypt(Envelope envelope, SecretKeySpec key) {
    byte[] iv = ivBuffer(maxDecodedLength(envelope.ivText.length));
    int ivLength = decodeBase64(envelope.ivText, iv);
    if (ivLength < 0) {
      return decryptFailed("iv is not valid base64");
    }
    if (ivLength != IV_BYTES) {
      return decryptFailed("iv must be " + IV_BYTES + " bytes, was " + ivLength);
    }
    byte[] ciphertext = ciphertextBuffer(maxDecodedLength(envelope.dataText.length));
    int ciphertextLength = decodeBase64(envelope.dataText, ciphertext);
    if (ciphertextLength < 0) {
      return decryptFailed("data is not valid base64");
    }
    if (ciphertextLength < TAG_BYTES) {
      return decryptFailed(
          "data is " + ciphertextLength + " bytes, shorter than the " + TAG_BYTES + "-byte tag");
    }
    byte[] plaintext = plaintextBuffer(ciphertextLength);
    try {
      Cipher aes = cipher(envelope.kid);
      aes.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv, 0, IV_BYTES));
      envelope.plaintextLength = aes.doFinal(ciphertext, 0, ciphertextLength, plaintext, 0);
      return null;
    } catch (AEADBadTagException e) {
      return decryptFailed("GCM tag mismatch");
    } catch (GeneralSecurityException e) {
      return decryptFailed("decryption failed: " + e.getClass().getSimpleName());
    }
  }

  /** Decodes standard base64 into {@code out}; -1 when invalid. */
  private static int decodeBase64(byte[] text, byte[] out) {
    try {
      return Base64.getDecoder().decode(text, out);
    } catch (IllegalArgumentException e) {
      return -1;
    }
  }

  private static int maxDecodedLength(int textLength) {
    return (textLength / 4 + 1) * 3;
  }

  private static RejectedEnvelope decryptFailed(String detail) {
    return new RejectedEnvelope(RejectReason.DECRYPT_FAILED, detail);
  }

  // ---- bad_payload, missing_app_key, invalid_device_id, bad_event ---------------------------

  /** The plaintext's fields as read; {@code *Problem} fields are null when fine. */
  private static final class Plaintext {
    String appKey;
    String appKeyProblem = "missing field app_key";
    String deviceId;
    String deviceIdProblem = "missing field device_id";
    String channel;
    String appVersion;
    String os;
    String eventsProblem = "missing field events";
    List<DecodedEvent> events;
    List<RejectedEvent> rejectedEvents;
  }

  private DecodeResult decodePlaintext(Envelope envelope, byte[] bytes, int length)
      throws IOException {
    if (!Utf8.isJsonText(bytes, 0, length)) {
      return badPayload("plaintext is not valid UTF-8 JSON text");
    }
    Plaintext batch = new Plaintext();
    try (JsonParser parser = ContractJson.FACTORY.createParser(bytes, 0, length)) {
      String rootProblem =
          notAnObject(parser, "plaintext is empty", "plaintext is not a JSON object, was ");
      if (rootProblem != null) {
        return badPayload(rootProblem);
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        JsonToken value = parser.nextToken();
        switch (name) {
          case "app_key" -> {
            batch.appKey = stringOrNull(parser, value);
            batch.appKeyProblem =
                batch.appKey == null ? wrongType("app_key", "a string", value) : null;
          }
          case "device_id" -> {
            batch.deviceId = stringOrNull(parser, value);
            batch.deviceIdProblem =
                batch.deviceId == null ? wrongType("device_id", "a string", value) : null;
          }
          case "channel" -> batch.channel = stringOrNull(parser, value);
          case "app_version" -> batch.appVersion = stringOrNull(parser, value);
          case "os" -> batch.os = stringOrNull(parser, value);
          case "events" -> readEvents(parser, value, bytes, envelope.recvTs, batch);
          default -> parser.skipChildren();
        }
      }
      if (parser.nextToken() != null) {
        return badPayload("trailing content after the plaintext JSON object");
      }
    } catch (StreamConstraintsException e) {
      return badPayload("plaintext exceeds parser limits: " + e.getOriginalMessage());
    } catch (JsonProcessingException e) {
      // Jackson's own message would quote the plaintext.
      return badPayload("plaintext is not valid JSON" + at(e.getLocation()));
    }
    if (batch.eventsProblem != null) {
      return badPayload(batch.eventsProblem);
    }
    if (batch.appKeyProblem != null) {
      return new RejectedEnvelope(RejectReason.MISSING_APP_KEY, batch.appKeyProblem);
    }
    if (batch.appKey.isBlank()) {
      return new RejectedEnvelope(RejectReason.MISSING_APP_KEY, "app_key is blank");
    }
    String appKeyProblem = Normalisation.identifierProblem("app_key", batch.appKey);
    if (appKeyProblem != null) {
      return new RejectedEnvelope(RejectReason.MISSING_APP_KEY, appKeyProblem);
    }
    if (batch.deviceIdProblem != null) {
      return new RejectedEnvelope(RejectReason.INVALID_DEVICE_ID, batch.deviceIdProblem);
    }
    String deviceId = Normalisation.deviceIdOrNull(batch.deviceId);
    if (deviceId == null) {
      // The value itself stays out of the detail: it is plaintext.
      return new RejectedEnvelope(
          RejectReason.INVALID_DEVICE_ID,
          batch.deviceId.isBlank() ? "device_id is blank" : "device_id is a placeholder value");
    }
    String deviceIdProblem = Normalisation.identifierProblem("device_id", deviceId);
    if (deviceIdProblem != null) {
      return new RejectedEnvelope(RejectReason.INVALID_DEVICE_ID, deviceIdProblem);
    }
    String channel = Normalisation.channel(batch.channel);
    String channelProblem = Normalisation.identifierProblem("channel", channel);
    if (channelProblem != null) {
      return badPayload(channelProblem);
    }
    return new DecodedBatch(
        envelope.src,
        envelope.kid,
        envelope.recvTs,
        batch.appKey,
        deviceId,
        channel,
        batch.appVersion,
        batch.os,
        batch.events,
        batch.rejectedEvents);
  }

  private void readEvents(
      JsonParser parser, JsonToken value, byte[] bytes, long recvTs, Plaintext batch)
      throws IOException {
    if (value != JsonToken.START_ARRAY) {
      parser.skipChildren();
      batch.eventsProblem = wrongType("events", "an array", value);
      return;
    }
    List<DecodedEvent> events = new ArrayList<>(4);
    List<RejectedEvent> rejected = List.of();
    int index = 0;
    JsonToken element;
    while ((element = parser.nextToken()) != JsonToken.END_ARRAY) {
      if (index == MAX_EVENTS) {
        // Over the limit the batch is rejected whole; the rest is only skipped.
        skipRest(parser, element);
        batch.eventsProblem = "more than " + MAX_EVENTS + " events";
        return;
      }
      long start = parser.getTokenLocation().getByteOffset();
      DecodedEvent event =
          element == JsonToken.START_OBJECT ? readEvent(parser, index, recvTs) : null;
      if (event != null) {
        events.add(event);
      } else {
        if (element == JsonToken.START_ARRAY) {
          parser.skipChildren();
        } else if (element != JsonToken.START_OBJECT) {
          // The end of a scalar is known only once its text has been read.
          parser.finishToken();
        }
        if (rejected.isEmpty()) {
          rejected = new ArrayList<>(2);
        }
        long end = parser.getCurrentLocation().getByteOffset();
        rejected.add(
            new RejectedEvent(
                index,
                RejectReason.BAD_EVENT,
                new String(bytes, (int) start, (int) (end - start), StandardCharsets.UTF_8)));
      }
      index++;
    }
    // A repeated "events" field replaces the earlier one, as with every other field.
    batch.events = events;
    batch.rejectedEvents = rejected;
    batch.eventsProblem = index == 0 ? "events is empty" : null;
  }

  /**
   * Reads one event object up to its end; null when it has no string {@code type} or no numeric
   * {@code ts}.
   */
  private DecodedEvent readEvent(JsonParser parser, int index, long recvTs) throws IOException {
    String type = null;
    boolean hasTs = false;
    long eventTime = 0;
    boolean trusted = false;
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String name = parser.currentName();
      JsonToken value = parser.nextToken();
      if (name.equals("type")) {
        type = stringOrNull(parser, value);
      } else if (name.equals("ts")) {
        hasTs = true;
        if (value == JsonToken.VALUE_NUMBER_INT && fitsInLong(parser)) {
          long ts = parser.getLongValue();
          trusted = Normalisation.isTrusted(recvTs, ts);
          eventTime = trusted ? ts : recvTs;
        } else if (value == JsonToken.VALUE_NUMBER_INT) {
          trusted = false;
          eventTime = recvTs;
        } else if (value == JsonToken.VALUE_NUMBER_FLOAT) {
          NumberFloor floor = numberFloor();
          trusted = floor.parse(parser.getText()) && Normalisation.isTrusted(recvTs, floor);
          eventTime = trusted ? floor.floor : recvTs;
        } else {
          hasTs = false;
          parser.skipChildren();
        }
      } else {
        parser.skipChildren();
      }
    }
    return type != null && hasTs ? new DecodedEvent(index, type, eventTime, trusted) : null;
  }

  /** Skips the array's remaining elements, {@code element} the first of them. */
  private static void skipRest(JsonParser parser, JsonToken element) throws IOException {
    for (JsonToken t = element; t != JsonToken.END_ARRAY; t = parser.nextToken()) {
      if (t == null) {
        throw new JsonParseException(parser, "unexpected end of the events array");
      }
      parser.skipChildren();
    }
  }

  private static RejectedEnvelope badPayload(String detail) {
    return new RejectedEnvelope(RejectReason.BAD_PAYLOAD, detail);
  }

  // ---- shared helpers ----------------------------------------------------------------------

  /**
   * Whether an integer token fits in a long; the length check first keeps a huge integer from being
   * parsed into a BigInteger (JSON has no leading zeros, so 21 characters never fit).
   */
  private static boolean fitsInLong(JsonParser parser) throws IOException {
    if (parser.getTextLength() > 20) {
      return false;
    }
    JsonParser.NumberType type = parser.getNumberType();
    return type == JsonParser.NumberType.INT || type == JsonParser.NumberType.LONG;
  }

  /**
   * Reads the root token of a text that must be one JSON object: null when it opens one, else
   * {@code empty} for no token or {@code notObject} followed by what the root is. Envelope and
   * plaintext both go through here, so broken JSON is rejected as broken (the skip and the next
   * token throw) rather than as a non-object.
   */
  private static String notAnObject(JsonParser parser, String empty, String notObject)
      throws IOException {
    JsonToken root = parser.nextToken();
    if (root == null) {
      return empty;
    }
    if (root != JsonToken.START_OBJECT) {
      parser.skipChildren();
      parser.nextToken();
      return notObject + describe(root);
    }
    return null;
  }

  /** The string value, or null (skipping the value) when it is not a string. */
  private static String stringOrNull(JsonParser parser, JsonToken value) throws IOException {
    if (value == JsonToken.VALUE_STRING) {
      return parser.getText();
    }
    parser.skipChildren();
    return null;
  }

  private static String wrongType(String field, String expected, JsonToken value) {
    return field + " must be " + expected + ", was " + describe(value);
  }

  private static String describe(JsonToken token) {
    return switch (token) {
      case START_OBJECT -> "an object";
      case START_ARRAY -> "an array";
      case VALUE_STRING -> "a string";
      case VALUE_NUMBER_INT -> "an integer";
      case VALUE_NUMBER_FLOAT -> "a floating-point number";
      case VALUE_TRUE, VALUE_FALSE -> "a boolean";
      case VALUE_NULL -> "null";
      default -> token.name();
    };
  }

  private static String at(JsonLocation location) {
    return location == null || location.getByteOffset() < 0
        ? ""
        : " at byte " + location.getByteOffset();
  }

  /** A value from the input made safe for a one-line detail: short, without control characters. */
  private static String cut(String value) {
    String head = value.length() <= MAX_DETAIL_VALUE ? value : value.substring(0, MAX_DETAIL_VALUE);
    StringBuilder safe = new StringBuilder(head.length() + 24);
    for (int i = 0; i < head.length(); i++) {
      char c = head.charAt(i);
      safe.append(Character.isISOControl(c) ? '?' : c);
    }
    if (head.length() < value.length()) {
      safe.append("...(").append(value.length()).append(" chars)");
    }
    return safe.toString();
  }

  private static String firstNonNull(String... values) {
    for (String value : values) {
      if (value != null) {
        return value;
      }
    }
    return null;
  }

  // ---- reusable parts ------------------------------------------------------------------------

  /**
   * One cipher per kid: a JDK AES cipher skips the key expansion when it is initialised with the
   * key it had before, and while keys rotate, envelopes of several kids arrive interleaved.
   */
  private Cipher cipher(String kid) throws GeneralSecurityException {
    if (ciphers == null) {
      ciphers = new HashMap<>();
    }
    Cipher cipher = ciphers.get(kid);
    if (cipher == null) {
      cipher = Cipher.getInstance("AES/GCM/NoPadding");
      // Only kids of the keyring get here, so the map stays as small as the keyring.
      ciphers.put(kid, cipher);
    }
    return cipher;
  }

  private GzipReader gzipReader() {
    if (gzipReader == null) {
      gzipReader = new GzipReader(MAX_INFLATED_BYTES);
    }
    return gzipReader;
  }

  private NumberFloor numberFloor() {
    if (numberFloor == null) {
      numberFloor = new NumberFloor();
    }
    return numberFloor;
  }

  private byte[] ivBuffer(int size) {
    if (ivBuffer == null || ivBuffer.length < size) {
      ivBuffer = new byte[Math.max(size, 32)];
    }
    return ivBuffer;
  }

  private byte[] ciphertextBuffer(int size) {
    if (ciphertextBuffer == null || ciphertextBuffer.length < size) {
      ciphertextBuffer = new byte[Math.max(size, 1024)];
    }
    return ciphertextBuffer;
  }

  private byte[] plaintextBuffer(int size) {
    if (plaintextBuffer == null || plaintextBuffer.length < size) {
      plaintextBuffer = new byte[Math.max(size, 1024)];
    }
    return plaintextBuffer;
  }

  private void releaseLargeBuffers() {
    if (ivBuffer != null && ivBuffer.length > RETAINED_BUFFER) {
      ivBuffer = null;
    }
    if (ciphertextBuffer != null && ciphertextBuffer.length > RETAINED_BUFFER) {
      ciphertextBuffer = null;
    }
    if (plaintextBuffer != null && plaintextBuffer.length > RETAINED_BUFFER) {
      plaintextBuffer = null;
    }
  }

  private void resetReusables() {
    ciphers = null;
    gzipReader = null;
    numberFloor = null;
    ivBuffer = null;
    ciphertextBuffer = null;
    plaintextBuffer = null;
  }
}
