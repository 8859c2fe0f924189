package dev.channelanalytics.common.simulation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.channelanalytics.common.contract.ClientEvent;
import dev.channelanalytics.common.contract.EnvelopeEncoder;
import dev.channelanalytics.common.contract.Keyring;
import dev.channelanalytics.common.contract.PlaintextBatch;
import dev.channelanalytics.common.contract.ProductMapping;
import dev.channelanalytics.common.contract.RejectReason;
import dev.channelanalytics.common.simulation.SimulatedRecord.Destination;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * Makes realistic client traffic, deterministically for a seed: envelopes for {@code raw-logs} and
 * mappings for {@code product-config}, interleaved in arrival order.
 *
 * <p>It covers what real collectors deliver: products with several app keys, a skewed channel mix,
 * new and returning devices with multi-event sessions, deliveries up to tens of minutes late,
 * duplicate deliveries, clients with far-off clocks, key rotation, mappings that arrive after the
 * first logs that need them, untidy device ids and channels, and a share of every kind of reject.
 * It does not compute what the answer should be: that is the reference model's job.
 */
public final class TrafficSimulator implements java.util.Iterator<SimulatedRecord> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long DAY = 24L * 60 * 60 * 1000;
  private static final String[] NAMED_CHANNELS = {
    "huawei_store", "xiaomi_store", "oppo_store", "vivo_store", "apple_store", "google_play",
    "tencent_myapp", "toutiao_ads", "kuaishou_ads", "baidu_ads", "honor_store", "samsung_store"
  };
  private static final String[] EVENT_TYPES = {"launch", "page_view", "click", "purchase", "exit"};
  private static final String[] COLLECTORS = {
    "collector-bj-01", "collector-bj-03", "collector-sh-02"
  };

  private final SimulationSpec spec;
  private final Random random;
  private final EnvelopeEncoder encoder;
  private final List<String> channelNames = new ArrayList<>();
  private final double[] channelCdf;
  private final List<List<String>> appKeys = new ArrayList<>();
  private final Set<String> lateMappedAppKeys = new HashSet<>();
  private final Set<String> announcedAppKeys = new HashSet<>();
  private final List<List<Device>> devices = new ArrayList<>();
  private final List<byte[]> recentEnvelopes = new ArrayList<>();
  private final TreeMap<Integer, List<SimulatedRecord>> delayedMappings = new TreeMap<>();
  private final Deque<SimulatedRecord> ready = new ArrayDeque<>();
  private int made;
  private int unmappedAppKeys;

  private record Device(String id, String homeChannel, boolean farClock) {}

  public TrafficSimulator(SimulationSpec spec, Keyring keyring) {
    for (String kid : spec.keyIds()) {
      if (!keyring.contains(kid)) {
        throw new IllegalArgumentException("key id " + kid + " is not in the keyring");
      }
    }
    this.spec = spec;
    this.random = new Random(spec.seed());
    this.encoder = new EnvelopeEncoder(keyring, random);
    double[] weights = new double[spec.channels()];
    double total = 0;
    for (int i = 0; i < spec.channels(); i++) {
      channelNames.add(
          i < NAMED_CHANNELS.length ? NAMED_CHANNELS[i] : String.format("partner_%03d", i));
      weights[i] = 1.0 / Math.pow(i + 1, spec.channelSkew());
      total += weights[i];
    }
    channelCdf = new double[spec.channels()];
    double acc = 0;
    for (int i = 0; i < weights.length; i++) {
      acc += weights[i] / total;
      channelCdf[i] = acc;
    }
    for (int p = 0; p < spec.products(); p++) {
      List<String> keys = new ArrayList<>();
      for (int k = 0; k < spec.appKeysPerProduct(); k++) {
        String appKey = String.format("ak_%s_%d", product(p), k);
        keys.add(appKey);
        if (random.nextDouble() < spec.lateMappingShare()) {
          lateMappedAppKeys.add(appKey);
        }
      }
      appKeys.add(keys);
      devices.add(new ArrayList<>());
    }
  }

  /** The product id of product number {@code p}. */
  public static String product(int p) {
    String[] names = {"browser", "video", "game", "reader", "music", "weather", "maps", "mail"};
    return p < names.length ? names[p] : "product" + p;
  }

  @Override
  public boolean hasNext() {
    return !ready.isEmpty() || made < spec.envelopes() || !delayedMappings.isEmpty();
  }

  @Override
  public SimulatedRecord next() {
    while (ready.isEmpty()) {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      while (!delayedMappings.isEmpty()
          && (delayedMappings.firstKey() <= made || made >= spec.envelopes())) {
        ready.addAll(delayedMappings.pollFirstEntry().getValue());
      }
      if (ready.isEmpty() && made < spec.envelopes()) {
        makeEnvelope();
      }
    }
    return ready.poll();
  }

  private void makeEnvelope() {
    long recvTs =
        spec.startMillis()
            + spec.span().toMillis() * made / Math.max(1, spec.envelopes())
            + random.nextInt(1000);
    String kid = currentKid();
    String src = COLLECTORS[random.nextInt(COLLECTORS.length)];
    made++;

    double u = random.nextDouble();
    for (RejectReason reason : RejectReason.values()) {
      u -= spec.rejectShares().getOrDefault(reason, 0.0);
      if (u < 0) {
        ready.add(raw(reject(reason, kid, src, recvTs), reason));
        return;
      }
    }
    u -= spec.duplicateShare();
    if (u < 0 && !recentEnvelopes.isEmpty()) {
      ready.add(raw(recentEnvelopes.get(random.nextInt(recentEnvelopes.size())), null));
      return;
    }
    int p = pickProduct();
    String appKey = appKeys.get(p).get(random.nextInt(spec.appKeysPerProduct()));
    announce(p, appKey);
    byte[] envelope = encoder.encode(kid, src, recvTs, validBatch(p, appKey, recvTs), gzip());
    remember(envelope);
    ready.add(raw(envelope, null));
  }

  /** Sends an app key's mapping before its first log, or a little after it for late-mapped keys. */
  private void announce(int p, String appKey) {
    if (!announcedAppKeys.add(appKey)) {
      return;
    }
    SimulatedRecord mapping = mapping(new ProductMapping(appKey, product(p)));
    if (lateMappedAppKeys.contains(appKey)) {
      delayedMappings
          .computeIfAbsent(made + 1 + random.nextInt(50), k -> new ArrayList<>())
          .add(mapping);
    } else {
      ready.add(mapping);
    }
  }

  private PlaintextBatch validBatch(int p, String appKey, long recvTs) {
    Device device = pickDevice(p);
    String channel = random.nextDouble() < 0.1 ? pickChannel() : device.homeChannel();
    return new PlaintextBatch(
        appKey,
        untidy(device.id()),
        untidy(channel),
        "5." + random.nextInt(4) + "." + random.nextInt(10),
        appKey.endsWith("_1") ? "ios" : "android",
        events(recvTs, device.farClock()));
  }

  private List<ClientEvent> events(long recvTs, boolean farClock) {
    int n = 1 + random.nextInt(spec.maxEventsPerBatch());
    long delay =
        random.nextDouble() < 0.8
            ? random.nextInt(60_000)
            : (long) (random.nextDouble() * spec.maxDeliveryDelay().toMillis());
    long ts = recvTs - delay;
    if (farClock) {
      ts = random.nextBoolean() ? recvTs + 3 * DAY : recvTs - 5 * DAY;
    }
    List<ClientEvent> events = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      events.add(new ClientEvent(EVENT_TYPES[random.nextInt(EVENT_TYPES.length)], ts));
      ts += random.nextInt(5_000);
    }
    return events;
  }

  private Device pickDevice(int p) {
    List<Device> known = devices.get(p);
    if (!known.isEmpty() && random.nextDouble() < spec.returningShare()) {
      return known.get(random.nextInt(known.size()));
    }
    Device d =
        new Device(
            String.format("%016x", random.nextLong()),
            pickChannel(),
            random.nextDouble() < spec.farClockShare());
    known.add(d);
    return d;
  }

  /** Device ids and channels as sloppy clients send them: mixed case, stray spaces. */
  private String untidy(String value) {
    double u = random.nextDouble();
    if (u < 0.1) {
      return value.toUpperCase(Locale.ROOT);
    }
    if (u < 0.15) {
      return "  " + value + " ";
    }
    return value;
  }

  private byte[] reject(RejectReason reason, String kid, String src, long recvTs) {
    int p = pickProduct();
    String appKey = appKeys.get(p).get(0);
    Map<String, Object> plain = new LinkedHashMap<>();
    plain.put("app_key", appKey);
    plain.put("device_id", String.format("%016x", random.nextLong()));
    plain.put("channel", pickChannel());
    plain.put("events", List.of(Map.of("type", "launch", "ts", recvTs - 1000)));
    switch (reason) {
      case BAD_ENVELOPE:
        return badEnvelope(kid, src, recvTs);
      case UNKNOWN_KEY:
        return sealed("retired-" + kid, kid, src, recvTs, json(plain), false);
      case DECRYPT_FAILED:
        byte[] iv = encoder.newIv();
        byte[] data = encoder.encrypt(kid, json(plain), iv);
        data[random.nextInt(data.length)] ^= (byte) (1 << random.nextInt(8));
        return EnvelopeEncoder.envelopeJson(src, kid, recvTs, iv, data, false)
            .getBytes(StandardCharsets.UTF_8);
      case BAD_PAYLOAD:
        if (random.nextBoolean()) {
          plain.put("events", List.of());
          return sealed(kid, kid, src, recvTs, json(plain), false);
        }
        return sealed(kid, kid, src, recvTs, "[1,2,3]".getBytes(StandardCharsets.UTF_8), false);
      case MISSING_APP_KEY:
        plain.put("app_key", random.nextBoolean() ? " " : null);
        plain.values().remove(null);
        return sealed(kid, kid, src, recvTs, json(plain), gzip());
      case INVALID_DEVICE_ID:
        String[] bad = {"unknown", " NULL ", "0000-0000-0000", "", "-"};
        plain.put("device_id", bad[random.nextInt(bad.length)]);
        return sealed(kid, kid, src, recvTs, json(plain), gzip());
      case BAD_EVENT:
        // A real batch with one broken event: the batch counts, the event is rejected.
        announce(p, appKey);
        plain.put(
            "events",
            List.of(
                Map.of("type", "launch", "ts", recvTs - 2000),
                Map.of("type", "page_view", "ts", "yesterday")));
        return sealed(kid, kid, src, recvTs, json(plain), gzip());
      case UNKNOWN_APP_KEY:
        plain.put("app_key", "ak_unmapped_" + (unmappedAppKeys++ % 5));
        return sealed(kid, kid, src, recvTs, json(plain), gzip());
      default:
        throw new IllegalStateException("no recipe for " + reason);
    }
  }

  private byte[] badEnvelope(String kid, String src, long recvTs) {
    String recv = Long.toString(recvTs);
    String[] broken = {
      "this is not json",
      unsealedEnvelope(2, src, kid, recv), // a version the contract does not know
      unsealedEnvelope(1, src, null, recv), // no key id
      unsealedEnvelope(1, src, kid, '"' + recv + '"'), // recv_ts a string
      "[]"
    };
    return broken[random.nextInt(broken.length)].getBytes(StandardCharsets.UTF_8);
  }

  /**
   * An envelope's JSON with a zero IV and a stand-in for the ciphertext: enough for the fields the
   * decoder checks first. {@code kid} null leaves the key id out; {@code recvTsJson} is written as
   * given.
   */
  private static String unsealedEnvelope(int version, String src, String kid, String recvTsJson) {
    return "{\"v\":"
        + version
        + ",\"src\":\""
        + src
        + '"'
        + (kid == null ? "" : ",\"kid\":\"" + kid + '"')
        + ",\"recv_ts\":"
        + recvTsJson
        + ",\"iv\":\"AAAAAAAAAAAAAAAA\",\"data\":\"AAAA\"}";
  }

  /** Encrypts with the key {@code keyKid} but labels the envelope {@code labelKid}. */
  private byte[] sealed(
      String labelKid, String keyKid, String src, long recvTs, byte[] plaintext, boolean gzip) {
    byte[] payload = gzip ? encoder.gzip(plaintext) : plaintext;
    byte[] iv = encoder.newIv();
    byte[] data = encoder.encrypt(keyKid, payload, iv);
    return EnvelopeEncoder.envelopeJson(src, labelKid, recvTs, iv, data, gzip)
        .getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] json(Object value) {
    try {
      return JSON.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private String currentKid() {
    List<String> kids = spec.keyIds();
    int phase = (int) ((long) made * kids.size() / Math.max(1, spec.envelopes()));
    phase = Math.min(phase, kids.size() - 1);
    // Rotation overlaps: some collectors still use the previous key for a while.
    if (phase > 0 && random.nextDouble() < 0.2) {
      phase--;
    }
    return kids.get(phase);
  }

  private int pickProduct() {
    // Product 0 is the big one, as in real portfolios.
    return random.nextDouble() < 0.5 ? 0 : random.nextInt(spec.products());
  }

  private String pickChannel() {
    double u = random.nextDouble();
    for (int i = 0; i < channelCdf.length; i++) {
      if (u < channelCdf[i]) {
        return channelNames.get(i);
      }
    }
    return channelNames.get(channelNames.size() - 1);
  }

  private boolean gzip() {
    return random.nextDouble() < spec.gzipShare();
  }

  private void remember(byte[] envelope) {
    if (recentEnvelopes.size() < 1000) {
      recentEnvelopes.add(envelope);
    } else {
      recentEnvelopes.set(random.nextInt(1000), envelope);
    }
  }

  private static SimulatedRecord raw(byte[] value, RejectReason intended) {
    return new SimulatedRecord(Destination.RAW_LOGS, null, value, intended);
  }

  private static SimulatedRecord mapping(ProductMapping m) {
    return new SimulatedRecord(
        Destination.PRODUCT_CONFIG, m.appKey().getBytes(StandardCharsets.UTF_8), m.toJson(), null);
  }
}
