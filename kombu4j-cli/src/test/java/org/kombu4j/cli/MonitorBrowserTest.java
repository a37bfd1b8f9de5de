package org.kombu4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kombu4j.Connection;
import org.kombu4j.Queue;
import org.kombu4j.testkit.brokers.PrivateRedis;
import org.kombu4j.testkit.env.TestEnvironment;
import org.kombu4j.testkit.python.PythonKombu;
import org.openqa.selenium.Alert;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The monitor page in a real browser (Debian's chromium, headless, through chromedriver): real Python Kombu
 * publishes to a queue on Redis, the page shows the queue with its depth, Python publishes more and the
 * displayed depth changes within 2 s without a reload; the broker going down shows a banner that goes away when
 * it is back. Leaves a screenshot in {@code target/monitor.png} (the README's {@code docs/monitor.png}).
 * Without chromium or chromedriver it is skipped, or fails with {@code CI=true}.
 */
class MonitorBrowserTest {
    private static final String PUBLISH = String.join("\n",
            "import sys",
            "from kombu import Connection",
            "url, queue, n = sys.argv[1], sys.argv[2], int(sys.argv[3])",
            "with Connection(url) as c:",
            "    q = c.SimpleQueue(queue)",
            "    for i in range(n):",
            "        q.put({'i': i})",
            "    q.close()",
            "print('published', n)",
            "");

    @TempDir Path tmp;

    @Test
    void pageShowsPythonsMessagesLiveAndTheBrokerGoingDown() throws Exception {
        Path chromium = TestEnvironment.requireExecutable("chromium");
        Path chromedriver = TestEnvironment.requireExecutable("chromedriver");
        PythonKombu.requireKombu();
        PrivateRedis redis = new PrivateRedis();
        String url = redis.url("");
        String queue = CliRunner.unique("monitor.browser");
        WebDriver driver = null;
        try (MonitorRun m = MonitorRun.start(url)) {
            PythonKombu.runCode(PUBLISH, Duration.ofSeconds(60), url, queue, "5");

            // A queue with a dead letter, for the screenshot's dead-letter column.
            try (Connection conn = Connection.open(url)) {
                deadLetterOne(conn, queue + ".orders", queue + ".orders.dlq");
            }
            driver = browser(chromium, chromedriver);
            driver.get("http://127.0.0.1:" + m.port + "/");

            By readyCell = By.cssSelector("tr[data-queue='" + queue + "'] td.ready");
            new WebDriverWait(driver, Duration.ofSeconds(15)).until(d -> text(d, readyCell).equals("5"));
            assertThat(driver.getTitle()).isEqualTo("kombu4j monitor");
            // A reload would drop this mark: its presence at the end proves the page updated in place.
            ((JavascriptExecutor) driver).executeScript("window.kombu4jTestMark = 'same page';");

            PythonKombu.runCode(PUBLISH, Duration.ofSeconds(60), url, queue, "3");
            long published = System.nanoTime();
            new WebDriverWait(driver, Duration.ofSeconds(2)).pollingEvery(Duration.ofMillis(50)).until(d -> text(d, readyCell).equals("8"));
            long tookMs = (System.nanoTime() - published) / 1_000_000;
            assertThat(tookMs).as("ms from Python's publish to the page showing it").isLessThanOrEqualTo(2000);
            assertThat(((JavascriptExecutor) driver).executeScript("return window.kombu4jTestMark;")).isEqualTo("same page");

            // Some history for the charts, then the screenshot the README shows.
            Thread.sleep(4000);
            PythonKombu.runCode(PUBLISH, Duration.ofSeconds(60), url, queue, "4");
            new WebDriverWait(driver, Duration.ofSeconds(5)).until(d -> text(d, readyCell).equals("12"));
            Thread.sleep(3000);
            File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
            Path target = Path.of("target", "monitor.png");
            Files.createDirectories(target.getParent());
            Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
            assertThat(Files.size(target)).isGreaterThan(1000);

            // Down: a banner says so while the page stays; back: it goes away and the depth is live again.
            By banner = By.id("banner");
            redis.kill();
            new WebDriverWait(driver, Duration.ofSeconds(15)).until(d -> d.findElement(banner).isDisplayed());
            assertThat(driver.findElement(banner).getText()).contains("Broker unreachable");
            redis.start();
            new WebDriverWait(driver, Duration.ofSeconds(20)).until(d -> !d.findElement(banner).isDisplayed());
            // A killed redis-server may come back without the list (nothing was saved): count from what it has.
            Thread.sleep(1500);
            String now = text(driver, readyCell);
            long before = now.isEmpty() ? 0 : Long.parseLong(now);
            PythonKombu.runCode(PUBLISH, Duration.ofSeconds(60), url, queue, "2");
            new WebDriverWait(driver, Duration.ofSeconds(5)).until(d -> text(d, readyCell).equals(String.valueOf(before + 2)));
            assertThat(((JavascriptExecutor) driver).executeScript("return window.kombu4jTestMark;")).isEqualTo("same page");
        } finally {
            if (driver != null) {
                driver.quit();
            }
            redis.kill();
        }
    }

    /**
     * With --allow-actions, a queue's row offers to move its dead letters back; the page asks for the dead-letter
     * queue's name: cancelled, nothing moves; confirmed, the message is back in its queue, shown live.
     */
    @Test
    void requeueDeadLettersFromThePageWithConfirmation() throws Exception {
        Path chromium = TestEnvironment.requireExecutable("chromium");
        Path chromedriver = TestEnvironment.requireExecutable("chromedriver");
        PrivateRedis redis = new PrivateRedis();
        String url = redis.url("");
        String queue = CliRunner.unique("monitor.requeue");
        String dlq = queue + ".dlq";
        WebDriver driver = null;
        try (Connection conn = Connection.open(url); MonitorRun m = MonitorRun.start(url, "--allow-actions")) {
            deadLetterOne(conn, queue, dlq);
            driver = browser(chromium, chromedriver);
            driver.get("http://127.0.0.1:" + m.port + "/");
            By dead = By.cssSelector("tr[data-queue='" + queue + "'] td.dead_letters");
            By ready = By.cssSelector("tr[data-queue='" + queue + "'] td.ready");
            By button = By.cssSelector("tr[data-queue='" + queue + "'] button.requeue");
            new WebDriverWait(driver, Duration.ofSeconds(15)).until(d -> text(d, dead).equals("1") && text(d, ready).equals("1"));
            assertThat(driver.findElement(dead).getAttribute("title")).contains(dlq);

            driver.findElement(button).click();
            Alert prompt = new WebDriverWait(driver, Duration.ofSeconds(5)).until(ExpectedConditions.alertIsPresent());
            assertThat(prompt.getText()).contains(dlq);
            prompt.dismiss();
            Thread.sleep(1500);
            assertThat(text(driver, ready)).isEqualTo("1");
            assertThat(text(driver, dead)).isEqualTo("1");

            driver.findElement(button).click();
            prompt = new WebDriverWait(driver, Duration.ofSeconds(5)).until(ExpectedConditions.alertIsPresent());
            prompt.sendKeys(dlq);
            prompt.accept();
            Alert done = new WebDriverWait(driver, Duration.ofSeconds(10)).until(ExpectedConditions.alertIsPresent());
            assertThat(done.getText()).contains("\"moved\":1");
            done.accept();
            new WebDriverWait(driver, Duration.ofSeconds(5)).until(d -> text(d, ready).equals("2") && text(d, dead).equals("0"));
            assertThat(driver.findElement(button).isDisplayed()).as("nothing left to requeue").isFalse();
        } finally {
            if (driver != null) {
                driver.quit();
            }
            redis.kill();
        }
    }

    /** {@code queue} (dead-lettering to {@code dlq}) gets 2 messages, one of them rejected: 1 ready, 1 dead letter. */
    private static void deadLetterOne(Connection conn, String queue, String dlq) {
        conn.defaultChannel().declareQueue(Queue.of(dlq), false);
        Queue q = Queue.named(queue).deadLetter("", dlq).build();
        MonitorHttpTest.publish(conn, q, 2);
        MonitorHttpTest.Held held = MonitorHttpTest.take(conn, q);
        held.message().reject(false);
        conn.drainEvents(Duration.ofMillis(200));
        held.consumer().close();
    }

    private WebDriver browser(Path chromium, Path chromedriver) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,900", "--user-data-dir=" + tmp.resolve("chrome-profile"));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile())
                .usingAnyFreePort().withLogFile(tmp.resolve("chromedriver.log").toFile()).build();
        return new ChromeDriver(service, options);
    }

    private static String text(WebDriver d, By by) {
        List<WebElement> found = d.findElements(by);
        return found.isEmpty() ? "" : found.get(0).getText().strip();
    }
}
