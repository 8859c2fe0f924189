package dev.channelanalytics.testing;

import static org.assertj.core.api.Assertions.assertThat;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.Refresh;
import co.elastic.clients.elasticsearch.core.SearchResponse;
import co.elastic.clients.json.jackson.JacksonJsonpMapper;
import co.elastic.clients.transport.rest_client.RestClientTransport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.http.HttpHost;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.elasticsearch.client.RestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The embedded services are the real thing: records travel through Kafka, documents are found. */
class EmbeddedServicesITCase {
  @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();
  @RegisterExtension static final ElasticsearchExtension ES = new ElasticsearchExtension();

  @Test
  void recordProducedToKafkaIsConsumedBack() throws Exception {
    String topic = "it-" + UUID.randomUUID();
    KAFKA.kafka().createTopic(topic, 2);

    Properties producerProps = new Properties();
    producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
    producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(producerProps, new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>(topic, "device-1", "hello")).get();
      producer.send(new ProducerRecord<>(topic, "device-2", "world")).get();
    }

    Properties consumerProps = new Properties();
    consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
    consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
    consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<String> seen = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(consumerProps, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (seen.size() < 2 && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          seen.add(r.key() + "=" + r.value());
        }
      }
    }
    assertThat(seen).containsExactlyInAnyOrder("device-1=hello", "device-2=world");
  }

  @Test
  void documentIndexedInElasticsearchIsFoundBySearch() throws Exception {
    String index = "it-" + UUID.randomUUID();
    try (RestClient rest = RestClient.builder(HttpHost.create(ES.url().toString())).build();
        RestClientTransport transport = new RestClientTransport(rest, new JacksonJsonpMapper())) {
      ElasticsearchClient client = new ElasticsearchClient(transport);
      client.index(
          i ->
              i.index(index)
                  .id("browser:dev-1")
                  .document(Map.of("product", "browser", "channel", "huawei_store"))
                  .refresh(Refresh.True));
      SearchResponse<Map> response =
          client.search(
              s ->
                  s.index(index)
                      .query(q -> q.term(t -> t.field("channel.keyword").value("huawei_store"))),
              Map.class);
      assertThat(response.hits().hits()).hasSize(1);
      assertThat(response.hits().hits().get(0).id()).isEqualTo("browser:dev-1");
    }
  }
}
