package dev.channelanalytics.calculator;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.ConfigException;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.store.ElasticsearchConnection;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Channel anomaly alerts for channel operators: per product and channel, the new users of the last
 * complete hour and of the last complete ten minutes against the same window on each of the {@link
 * #BASELINE_DAYS} days before (the same local time in the report zone), judged by an {@link
 * AnomalyRule}. The numbers are the stored reports ({@link ReportStore}: hour rows, and minute rows
 * summed for ten minutes), never a second count. A window is judged {@code settle} after it ends,
 * and a product is skipped while change marks not recomputed yet name a minute of its windows
 * (judged at a later run, once its reports hold them), so a report being rebuilt never looks like a
 * channel that went silent. Alerts are stored once each ({@link AlertStore}) and delivered by the
 * {@link AlertWebhook} when one is configured.
 */
final class ChannelAlerts implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ChannelAlerts.class);

  /** Days of baseline: the same window on each of the days before. */
  static final int BASELINE_DAYS = 7;

  static final Duration TEN_MINUTES = Duration.ofMinutes(10);

  /**
   * What the alerts are configured with.
   *
   * @param webhook where alerts are POSTed; null: stored and listed only
   * @param factor robust deviations a window may be from its baseline's median
   * @param minUsers users a window or its baseline's median needs before a change alerts
   * @param interval how often the windows are judged
   * @param settle how long after its end a window is judged
   */
  record Settings(URI webhook, double factor, long minUsers, Duration interval, Duration settle) {
    /** Reads the {@code calculator.alert-*} settings; fails naming the bad key. */
    static Settings from(ChannelConfig config) {
      return new Settings(
          webhook(config),
          factor(config),
          Math.max(1, config.intValue(Setting.CALCULATOR_ALERT_MIN_USERS)),
          positive(config, Setting.CALCULATOR_ALERT_INTERVAL),
          config.duration(Setting.CALCULATOR_ALERT_SETTLE));
    }

    private static URI webhook(ChannelConfig config) {
      String key = Setting.CALCULATOR_ALERT_WEBHOOK_URL.key();
      String raw = config.get(Setting.CALCULATOR_ALERT_WEBHOOK_URL).trim();
      if (raw.isEmpty()) {
        return null;
      }
      // The messages never repeat the value: it may hold the receiver's token.
      try {
        URI url = new URI(raw);
        if (!("http".equals(url.getScheme()) || "https".equals(url.getScheme()))
            || url.getHost() == null) {
          throw new ConfigException(key + " must be an http or https URL with a host");
        }
        return url;
      } catch (URISyntaxException e) {
        throw new ConfigException(key + " is not a URL");
      }
    }

    private static double factor(ChannelConfig config) {
      String key = Setting.CALCULATOR_ALERT_FACTOR.key();
      try {
        double factor = Double.parseDouble(config.get(Setting.CALCULATOR_ALERT_FACTOR));
        if (!(factor > 0) || Double.isInfinite(factor)) {
          throw new ConfigException(key + " must be a positive number such as 5");
        }
        return factor;
      } catch (NumberFormatException e) {
        throw new ConfigException(key + " must be a positive number such as 5");
      }
    }

    private static Duration positive(ChannelConfig config, Setting setting) {
      Duration d = config.duration(setting);
      if (d.isZero()) {
        throw new ConfigException(setting.key() + " must be longer than zero");
      }
      return d;
    }
  }

  /**
   * One window of time judged for every channel.
   *
   * @param name {@code hour} or {@code 10m}
   * @param rows the report rows its users are summed from
   */
  record Window(String name, long from, long to, Granularity rows) {
    /** The same window {@code days} days before, at the same local time in {@code zone}. */
    Window daysBefore(int days, ZoneId zone) {
      long start =
          ZonedDateTime.ofInstant(Instant.ofEpochMilli(from), zone)
              .minusDays(days)
              .toInstant()
              .toEpochMilli();
      return new Window(name, start, start + (to - from), rows);
    }
  }

  /**
   * The last complete hour (a report hour in {@code zone}) and the last complete ten minutes (ten
   * minutes of a report hour) at {@code at}.
   */
  static List<Window> windows(long at, ZoneId zone) {
    long hourEnd = Granularity.HOUR.bucketStart(at, zone);
    long hourStart = Granularity.HOUR.bucketStart(hourEnd - 1, zone);
    long slot = TEN_MINUTES.toMillis();
    long slotEnd = hourEnd + (at - hourEnd) / slot * slot;
    return List.of(
        new Window("hour", hourStart, hourEnd, Granularity.HOUR),
        new Window("10m", slotEnd - slot, slotEnd, Granularity.MINUTE));
  }

  private final ReportCalculator calculator;
  private final AlertStore store;
  private final AnomalyRule rule;
  private final Duration settle;
  private final Clock clock;
  private final AlertWebhook webhook;

  private ChannelAlerts(
      ReportCalculator calculator,
      AlertStore store,
      AnomalyRule rule,
      Duration settle,
      Clock clock,
      AlertWebhook webhook) {
    this.calculator = calculator;
    this.store = store;
    this.rule = rule;
    this.settle = settle;
    this.clock = clock;
    this.webhook = webhook;
  }

  /**
   * Creates the alert index, and starts the webhook's delivery (which first sends what an earlier
   * run left pending) when one is configured; windows are judged by {@code clock}.
   */
  static ChannelAlerts start(
      ElasticsearchConnection es,
      String reportIndex,
      ReportCalculator calculator,
      Settings settings,
      Clock clock) {
    AlertStore store = new AlertStore(es, reportIndex);
    store.ensureIndex();
    AlertWebhook webhook =
        settings.webhook() == null ? null : new AlertWebhook(store, settings.webhook());
    return new ChannelAlerts(
        calculator,
        store,
        new AnomalyRule(settings.factor(), settings.minUsers()),
        settings.settle(),
        clock,
        webhook);
  }

  AlertStore store() {
    return store;
  }

  /**
   * Judges the last complete windows of every product and stores the alerts not stored before;
   * returns those. Never waits for the webhook.
   */
  List<ChannelAlert> evaluate() {
    long at = clock.millis();
    ZoneId zone = calculator.zone();
    List<Window> windows = windows(at - settle.toMillis(), zone);
    List<ChannelAlert> found = new ArrayList<>();
    for (String product : calculator.aggregations().products().keySet()) {
      List<long[]> ranges = new ArrayList<>();
      for (Window w : windows) {
        for (int days = 0; days <= BASELINE_DAYS; days++) {
          Window d = w.daysBefore(days, zone);
          ranges.add(new long[] {d.from(), d.to()});
        }
      }
      if (calculator.changesPending(product, ranges)) {
        LOG.info(
            "Reports of {} in the alert windows are still changing; judged at a later run",
            product);
        continue;
      }
      for (Window w : windows) {
        found.addAll(judge(product, w, at));
      }
    }
    List<ChannelAlert> created = store.createNew(found);
    for (ChannelAlert a : created) {
      LOG.info(
          "Channel alert: {} of {} in {} {} from {}: {} new users, baseline median {}",
          a.kind(),
          a.channel(),
          a.product(),
          a.window(),
          Instant.ofEpochMilli(a.from()),
          a.newUsers(),
          a.median());
    }
    if (!created.isEmpty() && webhook != null) {
      webhook.wake();
    }
    return created;
  }

  private List<ChannelAlert> judge(String product, Window w, long at) {
    // Per channel: the baseline days, oldest first, then the window itself.
    Map<String, long[]> users = new TreeMap<>();
    for (int days = BASELINE_DAYS; days >= 0; days--) {
      Window d = w.daysBefore(days, calculator.zone());
      int slot = BASELINE_DAYS - days;
      for (ReportStore.Row r :
          calculator.reports().rows(product, w.rows(), d.from(), d.to(), null)) {
        users.computeIfAbsent(r.channel(), c -> new long[BASELINE_DAYS + 1])[slot] += r.newUsers();
      }
    }
    List<ChannelAlert> out = new ArrayList<>();
    users.forEach(
        (channel, days) -> {
          long now = days[BASELINE_DAYS];
          long[] baseline = Arrays.copyOf(days, BASELINE_DAYS);
          AnomalyRule.Verdict v = rule.judge(now, baseline);
          if (v != null) {
            out.add(
                new ChannelAlert(
                    product,
                    channel,
                    w.name(),
                    w.from(),
                    w.to(),
                    v.kind().code(),
                    now,
                    Arrays.stream(baseline).boxed().toList(),
                    v.median(),
                    v.low(),
                    v.high(),
                    at,
                    webhook == null ? ChannelAlert.OFF : ChannelAlert.PENDING,
                    0,
                    "",
                    0,
                    0));
          }
        });
    return out;
  }

  @Override
  public void close() throws InterruptedException {
    if (webhook != null) {
      webhook.close();
    }
  }
}
