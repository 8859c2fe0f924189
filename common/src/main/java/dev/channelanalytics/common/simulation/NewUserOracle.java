package dev.channelanalytics.common.simulation;

import dev.channelanalytics.common.contract.DecodeResult;
import dev.channelanalytics.common.contract.DecodedBatch;
import dev.channelanalytics.common.contract.DecodedEvent;
import dev.channelanalytics.common.contract.EnvelopeDecoder;
import dev.channelanalytics.common.contract.Keyring;
import dev.channelanalytics.common.contract.ProductMapping;
import dev.channelanalytics.common.contract.RejectReason;
import dev.channelanalytics.common.contract.RejectedEnvelope;
import dev.channelanalytics.common.records.FirstSeenRecord;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * The reference model of the new-user semantics (section 7 of the log contract): the answer every
 * test of every stage compares against. Written to be obviously right, not fast.
 *
 * <p>Feed it mappings and envelopes in arrival order. A mapping applies from the moment it arrives.
 * A batch whose app key has no mapping is held; a later mapping for that key releases it (the model
 * assumes every mapping arrives within the hold time); a batch still held when the answers are read
 * counts as {@code unknown_app_key}.
 */
public final class NewUserOracle {
  /** A user: a product and a normalised device id. */
  public record User(String product, String deviceId) implements Comparable<User> {
    @Override
    public int compareTo(User o) {
      int c = product.compareTo(o.product);
      return c != 0 ? c : deviceId.compareTo(o.deviceId);
    }
  }

  /** A user's first sighting: the earliest event time, its batch's channel and app key. */
  public record FirstSeen(long t0, String channel, String appKey) {
    /** True when this sighting beats {@code other}: earlier, or as early with a smaller channel. */
    public boolean beats(FirstSeen other) {
      if (t0 != other.t0) {
        return t0 < other.t0;
      }
      int c = channel.compareTo(other.channel);
      return c != 0 ? c < 0 : appKey.compareTo(other.appKey) < 0;
    }
  }

  /** One report row: new users of a product and channel in the bucket starting at {@code start}. */
  public record Bucket(String product, Instant start, String channel)
      implements Comparable<Bucket> {
    @Override
    public int compareTo(Bucket o) {
      int c = product.compareTo(o.product);
      if (c == 0) {
        c = start.compareTo(o.start);
      }
      return c != 0 ? c : channel.compareTo(o.channel);
    }
  }

  private final EnvelopeDecoder decoder;
  private final Map<String, String> productOf = new HashMap<>();
  private final Map<String, List<DecodedBatch>> held = new HashMap<>();
  private final Map<User, FirstSeen> firstSeen = new HashMap<>();
  private final Map<RejectReason, Long> rejects = new EnumMap<>(RejectReason.class);
  private long acceptedEvents;
  private long envelopes;
  private BiConsumer<DecodedBatch, String> onAccepted = (batch, product) -> {};

  public NewUserOracle(Keyring keyring) {
    this.decoder = new EnvelopeDecoder(keyring);
  }

  /**
   * Calls {@code listener} with every batch the model accepts and the product it counts for, at the
   * moment it accepts it (on arrival, or when a late mapping releases it): what the parser writes
   * to {@code parsed-events}, in an order it may write it.
   */
  public void onAccepted(BiConsumer<DecodedBatch, String> listener) {
    this.onAccepted = listener;
  }

  /** A mapping arrives: it applies from now on, and releases batches held for its app key. */
  public void mapping(ProductMapping mapping) {
    if (mapping.productId() == null) {
      productOf.remove(mapping.appKey());
      return;
    }
    productOf.put(mapping.appKey(), mapping.productId());
    List<DecodedBatch> released = held.remove(mapping.appKey());
    if (released != null) {
      released.forEach(b -> accept(b, mapping.productId()));
    }
  }

  /** An envelope arrives (the Kafka record value of {@code raw-logs}). */
  public void envelope(byte[] value) {
    decoded(decoder.decode(value));
  }

  /** An envelope arrives that the caller has already decoded, so it is not decoded twice. */
  public void decoded(DecodeResult result) {
    envelopes++;
    if (result instanceof RejectedEnvelope r) {
      count(r.reason(), 1);
      return;
    }
    DecodedBatch batch = (DecodedBatch) result;
    count(RejectReason.BAD_EVENT, batch.rejectedEvents().size());
    String product = productOf.get(batch.appKey());
    if (product == null) {
      held.computeIfAbsent(batch.appKey(), k -> new ArrayList<>()).add(batch);
    } else {
      accept(batch, product);
    }
  }

  private void accept(DecodedBatch batch, String product) {
    onAccepted.accept(batch, product);
    User user = new User(product, batch.deviceId());
    for (DecodedEvent e : batch.events()) {
      acceptedEvents++;
      FirstSeen candidate = new FirstSeen(e.eventTime(), batch.channel(), batch.appKey());
      FirstSeen known = firstSeen.get(user);
      if (known == null || candidate.beats(known)) {
        firstSeen.put(user, candidate);
      }
    }
  }

  private void count(RejectReason reason, long n) {
    if (n > 0) {
      rejects.merge(reason, n, Long::sum);
    }
  }

  /** Every user with its first sighting. */
  public Map<User, FirstSeen> firstSeen() {
    return new TreeMap<>(firstSeen);
  }

  /** Every user's first sighting as the record a first-seen store holds, by user. */
  public List<FirstSeenRecord> firstSeenRecords() {
    List<FirstSeenRecord> out = new ArrayList<>();
    new TreeMap<>(firstSeen)
        .forEach(
            (u, s) ->
                out.add(
                    new FirstSeenRecord(
                        u.product(), u.deviceId(), s.t0(), s.channel(), s.appKey())));
    return out;
  }

  /** Stored first sightings in the model's terms, to compare a store with {@link #firstSeen}. */
  public static Map<User, FirstSeen> asModel(Iterator<FirstSeenRecord> records) {
    Map<User, FirstSeen> out = new TreeMap<>();
    records.forEachRemaining(
        r ->
            out.put(
                new User(r.productId(), r.deviceId()),
                new FirstSeen(r.t0(), r.channel(), r.appKey())));
    return out;
  }

  /**
   * New users per (product, bucket, channel), buckets of {@code unit} (MINUTES, HOURS or DAYS) in
   * {@code zone}.
   */
  public TreeMap<Bucket, Long> newUsers(ChronoUnit unit, ZoneId zone) {
    TreeMap<Bucket, Long> out = new TreeMap<>();
    firstSeen.forEach(
        (user, seen) ->
            out.merge(
                new Bucket(user.product(), bucketStart(seen.t0(), unit, zone), seen.channel()),
                1L,
                Long::sum));
    return out;
  }

  /** The start of the bucket holding {@code epochMillis}. */
  public static Instant bucketStart(long epochMillis, ChronoUnit unit, ZoneId zone) {
    if (unit != ChronoUnit.MINUTES && unit != ChronoUnit.HOURS && unit != ChronoUnit.DAYS) {
      throw new IllegalArgumentException("buckets are minutes, hours or days, not " + unit);
    }
    return ZonedDateTime.ofInstant(Instant.ofEpochMilli(epochMillis), zone)
        .truncatedTo(unit)
        .toInstant();
  }

  /** Cumulative new users of a product per channel at {@code at}: users with t0 before it. */
  public Map<String, Long> cumulative(String product, Instant at) {
    Map<String, Long> out = new TreeMap<>();
    firstSeen.forEach(
        (user, seen) -> {
          if (user.product().equals(product) && seen.t0() < at.toEpochMilli()) {
            out.merge(seen.channel(), 1L, Long::sum);
          }
        });
    return out;
  }

  /** Rejects per reason; batches still held count as {@code unknown_app_key}. */
  public Map<RejectReason, Long> rejects() {
    Map<RejectReason, Long> out = new EnumMap<>(rejects);
    long stillHeld = held.values().stream().mapToLong(List::size).sum();
    if (stillHeld > 0) {
      out.merge(RejectReason.UNKNOWN_APP_KEY, stillHeld, Long::sum);
    }
    return out;
  }

  /** Valid events of batches that found their product. */
  public long acceptedEvents() {
    return acceptedEvents;
  }

  public long envelopes() {
    return envelopes;
  }
}
