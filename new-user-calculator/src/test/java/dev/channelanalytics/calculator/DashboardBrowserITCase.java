package dev.channelanalytics.calculator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.records.FirstSeenRecord;
import dev.channelanalytics.store.ElasticsearchConnection;
import dev.channelanalytics.store.FirstSeenStore;
import dev.channelanalytics.store.RetryPolicy;
import dev.channelanalytics.testing.ElasticsearchExtension;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in headless Chromium against a running service with known first sightings: the
 * totals, the chart and the top-channels table show the expected numbers, and a new user shows up
 * without a reload, pushed by the server.
 */
class DashboardBrowserITCase {
  @RegisterExtension
  static final ElasticsearchExtension ELASTICSEARCH = new ElasticsearchExtension();

  private static final String CHROMIUM = "/usr/bin/chromium";
  private static final String CHROMEDRIVER = "/usr/bin/chromedriver";

  @TempDir Path dir;

  @Test
  void dashboardShowsTheKnownNumbersAndANewUserWithoutReload() throws Exception {
    showsTheNumbersAndUpdatesLive(null);
  }

  /**
   * As in production: no anonymous access. The dashboard asks for a token, then shows the same
   * numbers and live updates (its event stream read through fetch, with the token).
   */
  @Test
  void withoutAnonymousAccessTheDashboardAsksForATokenAndThenUpdatesLive() throws Exception {
    showsTheNumbersAndUpdatesLive("viewer-token-" + UUID.randomUUID());
  }

  private void showsTheNumbersAndUpdatesLive(String viewerToken) throws Exception {
    assertThat(new File(CHROMEDRIVER))
        .as("Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")
        .exists();
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String prefix = "fs-" + suffix + "-";
    String product = "demo";
    ChannelConfig config =
        CalculatorTestConfig.of(dir, ELASTICSEARCH.url(), prefix, "reports-" + suffix);
    if (viewerToken != null) {
      Path tokens = dir.resolve("tokens.json");
      dev.channelanalytics.common.security.SecretFiles.create(
          tokens,
          "{\"tokens\":[{\"name\":\"v\",\"token\":\""
              + viewerToken
              + "\",\"role\":\"viewer\",\"products\":[\""
              + product
              + "\"]}]}");
      config =
          config
              .with(Setting.API_ANONYMOUS_ROLE, "none")
              .with(Setting.API_TOKENS_FILE, tokens.toString());
    }
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(2, ChronoUnit.HOURS);
    try (ElasticsearchConnection es =
        ElasticsearchConnection.open(
            ELASTICSEARCH.url(), RetryPolicy.upTo(Duration.ofSeconds(30)))) {
      FirstSeenStore store = new FirstSeenStore(es, prefix, 1, 0);
      store.ensureProductIndex(product);
      int n = 0;
      for (var e :
          List.of(
              Map.entry("huawei_store", 5),
              Map.entry("xiaomi_store", 3),
              Map.entry("organic", 2))) {
        for (int i = 0; i < e.getValue(); i++) {
          sighting(store, product, "d" + n++, hour.plusSeconds(60L * i), e.getKey());
        }
      }
      for (int i = 0; i < 4; i++) {
        sighting(store, product, "d" + n++, hour.plus(70, ChronoUnit.MINUTES), "huawei_store");
      }
      mark(store, product, hour, hour.plus(70, ChronoUnit.MINUTES));

      // Channel alerts judged at 5 past the hour after the first sightings' hour, where every
      // channel is new (the minimum volume lowered to 1 for so few users).
      try (NewUserCalculatorService service =
          NewUserCalculatorService.start(
              CalculatorSettings.from(
                  config
                      .with(Setting.CALCULATOR_PORT, "0")
                      .with(Setting.CALCULATOR_ALERT_MIN_USERS, "1")
                      .with(Setting.CALCULATOR_ALERT_SETTLE, "PT0S")
                      .with(Setting.CALCULATOR_ALERT_INTERVAL, "PT1S")),
              java.time.Clock.fixed(hour.plus(65, ChronoUnit.MINUTES), java.time.ZoneOffset.UTC))) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments(
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1366,1150",
            "--user-data-dir=" + dir.resolve("chromium"));
        ChromeDriverService driverService =
            new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER)).build();
        WebDriver browser = new ChromeDriver(driverService, options);
        try {
          awaitAlerts(service.port(), product, hour, viewerToken, 3);
          Instant from = hour.minus(1, ChronoUnit.HOURS);
          Instant to = hour.plus(3, ChronoUnit.HOURS);
          browser.get(
              "http://localhost:"
                  + service.port()
                  + "/?product="
                  + product
                  + "&granularity=hour&from="
                  + from
                  + "&to="
                  + to);
          WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60));
          if (viewerToken != null) {
            wait.until(b -> b.findElement(By.id("auth")).isDisplayed());
            assertThat(text(browser, "authMessage")).contains("bearer token is required");
            assertThat(text(browser, "rangeTotal")).isEqualTo("–");
            browser.findElement(By.id("token")).sendKeys(viewerToken);
            browser.findElement(By.cssSelector("#authForm button")).click();
          }
          wait.until(b -> text(b, "rangeTotal").equals("14"));
          JavascriptExecutor js = (JavascriptExecutor) browser;
          assertThat(((Number) js.executeScript(CHART_TOTAL)).longValue()).isEqualTo(14);
          assertThat(text(browser, "cumulativeTotal")).isEqualTo("14");
          var first = browser.findElements(By.cssSelector("#top tbody tr")).get(0).getText();
          assertThat(first).startsWith("huawei_store").contains("9").contains("64.3%");
          assertThat(text(browser, "calibration")).isEqualTo("not calibrated yet");
          // The channels' alerts: a badge beside each channel in the table, and the list.
          wait.until(b -> b.findElements(By.cssSelector("#alerts li")).size() == 3);
          assertThat(browser.findElements(By.cssSelector("#top tbody tr")).get(0).getText())
              .isEqualTo("huawei_store ★ new 9 64.3% new");
          assertThat(browser.findElements(By.cssSelector("#alerts li")))
              .extracting(WebElement::getText)
              .containsExactly(
                  "★ new huawei_store " + alertWhen(hour) + ": 5 new users, usually 0",
                  "★ new organic " + alertWhen(hour) + ": 2 new users, usually 0",
                  "★ new xiaomi_store " + alertWhen(hour) + ": 3 new users, usually 0");

          wait.until(b -> b.findElement(By.id("live")).getAttribute("class").contains("on"));
          js.executeScript("window.loadedOnce = true;");
          sighting(store, product, "d-new", hour.plus(75, ChronoUnit.MINUTES), "organic");
          mark(store, product, hour.plus(75, ChronoUnit.MINUTES));
          wait.until(b -> text(b, "rangeTotal").equals("15"));
          assertThat(js.executeScript("return window.loadedOnce === true;"))
              .as("updated without a reload")
              .isEqualTo(true);
          assertThat(((Number) js.executeScript(CHART_TOTAL)).longValue()).isEqualTo(15);

          if (viewerToken == null) {
            Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
            Path target = Path.of("target", "dashboard.png");
            Files.copy(shot, target, StandardCopyOption.REPLACE_EXISTING);
          }
        } finally {
          browser.quit();
        }
      }
    }
  }

  private static final String CHART_TOTAL =
      "const o = echarts.getInstanceByDom(document.getElementById('chart')).getOption();"
          + "return o.series.flatMap(s => s.data).reduce((a, d) => a + d.value, 0);";

  /** Waits until the API lists {@code n} alerts of the product, so the page loads them. */
  private static void awaitAlerts(int port, String product, Instant hour, String token, int n) {
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    java.net.http.HttpRequest.Builder request =
        java.net.http.HttpRequest.newBuilder(
            java.net.URI.create(
                "http://localhost:"
                    + port
                    + "/api/v1/alerts?product="
                    + product
                    + "&from="
                    + hour
                    + "&to="
                    + hour.plus(1, ChronoUnit.HOURS)));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    dev.channelanalytics.local.Poll.until(
        n + " channel alerts",
        Duration.ofMinutes(1),
        () ->
            new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(
                        http.send(
                                request.build(), java.net.http.HttpResponse.BodyHandlers.ofString())
                            .body())
                    .path("alerts")
                    .size()
                == n);
  }

  private static String alertWhen(Instant hour) {
    return hour.toString().substring(0, 16).replace('T', ' ') + " UTC, hour";
  }

  private static String text(WebDriver browser, String id) {
    return browser.findElement(By.id(id)).getText().trim();
  }

  /** A first-seen document, written as the sharder writes it. */
  private static void sighting(
      FirstSeenStore store, String product, String device, Instant t0, String channel) {
    FirstSeenRecord r = new FirstSeenRecord(product, device, t0.toEpochMilli(), channel, "ak_demo");
    assertThat(store.write(List.of(new FirstSeenStore.Write(r, false)), System.currentTimeMillis()))
        .containsExactly(FirstSeenStore.WriteResult.WRITTEN);
    store.connection().refresh(store.indexOf(product));
  }

  /** A changed-buckets mark, written as the sharder writes it. */
  private static void mark(FirstSeenStore store, String product, Instant... minutes) {
    List<Long> list = new java.util.ArrayList<>();
    for (Instant m : minutes) {
      list.add(m.truncatedTo(ChronoUnit.MINUTES).toEpochMilli());
    }
    store.markChanged(
        Map.of(product, list), System.currentTimeMillis(), UUID.randomUUID().toString());
  }
}
