package dev.channelanalytics.sharder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.records.FirstSeenRecord;
import dev.channelanalytics.common.simulation.NewUserOracle;
import dev.channelanalytics.common.simulation.NewUserOracle.FirstSeen;
import dev.channelanalytics.common.simulation.NewUserOracle.User;
import dev.channelanalytics.store.ElasticsearchConnection;
import dev.channelanalytics.store.FirstSeenStore;
import dev.channelanalytics.store.RetryPolicy;
import dev.channelanalytics.testing.PipelineFixture;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the sharder stored for a test's run, read through the shared store, in the model's terms.
 */
final class StoredFirstSeen implements AutoCloseable {
  private final ElasticsearchConnection es;
  final FirstSeenStore store;

  StoredFirstSeen(URI elasticsearch, PipelineFixture run) {
    es = ElasticsearchConnection.open(elasticsearch, RetryPolicy.upTo(Duration.ofSeconds(30)));
    store = new FirstSeenStore(es, run.indexPrefix(), 1, 0);
  }

  /** Every stored first sighting of the run, as the model's map. */
  Map<User, FirstSeen> all() {
    return NewUserOracle.asModel(store.stored(null, Long.MIN_VALUE, Long.MAX_VALUE));
  }

  /** Waits until the stored first sightings are exactly the model's. */
  void awaitEqualToModel(NewUserOracle oracle, Duration timeout) throws Exception {
    Map<User, FirstSeen> expected = new TreeMap<>(oracle.firstSeen());
    assertThat(expected).isNotEmpty();
    PipelineFixture.awaitEqual(
        "stored first sightings equal to the model's", timeout, expected, this::all);
  }

  /** Every user's minute must have been marked, so the calculator recomputes it. */
  void assertEveryUsersMinuteIsMarkedChanged(NewUserOracle oracle) {
    Map<String, TreeSet<Long>> expected = new TreeMap<>();
    for (FirstSeenRecord r : oracle.firstSeenRecords()) {
      expected.computeIfAbsent(r.productId(), p -> new TreeSet<>()).add(r.minute());
    }
    Map<String, TreeSet<Long>> marked = store.changedSince(Long.MIN_VALUE);
    expected.forEach(
        (product, minutes) ->
            assertThat(marked.getOrDefault(product, new TreeSet<>()))
                .as("changed minutes of %s", product)
                .containsAll(minutes));
  }

  @Override
  public void close() {
    es.close();
  }
}
