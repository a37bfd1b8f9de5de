package org.kombu4j.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.kombu4j.BrokerUrl;
import org.kombu4j.ConfigurationException;

class UrlOptionsTest {
    private static final List<String> KNOWN = List.of("flag", "wait", "count", "mode", "name", "api_password");

    private static UrlOptions opts(String query) {
        return UrlOptions.of(BrokerUrl.parse("x://alice:s3cret@h/?" + query), "Test", KNOWN);
    }

    @Test
    void unknownOptionsAreRefusedByNameWithTheKnownOnesListed() {
        assertThatThrownBy(() -> opts("flga=1"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'flga'")
                .hasMessageContaining("the Test transport knows api_password, count, flag, json_mode, mode, name, wait")
                .hasMessageContaining("x://alice:***@h")
                .hasMessageNotContaining("s3cret");
        assertThat(opts("").isSet("flag")).isFalse();
        // The connection's own options pass every transport's check.
        assertThat(opts("json_mode=kombu52&flag=1").isSet("flag")).isTrue();
    }

    @Test
    void booleansTakeKombusSpellings() {
        for (String yes : List.of("true", "1", "yes", "on", "TRUE", "Yes", " on ")) {
            assertThat(opts("flag=" + yes.replace(" ", "%20")).bool("flag", false)).as(yes).isTrue();
        }
        for (String no : List.of("false", "0", "no", "off", "False", "OFF")) {
            assertThat(opts("flag=" + no).bool("flag", true)).as(no).isFalse();
        }
        assertThat(opts("").bool("flag", true)).isTrue();
        assertThat(opts("flag=").bool("flag", true)).isTrue();
        assertThat(opts("flag=none").bool("flag")).isNull();
        assertThatThrownBy(() -> opts("flag=perhaps").bool("flag", true))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("option flag='perhaps' in x://alice:***@h?flag=perhaps must be true or false"
                        + " (or 1/0, yes/no, on/off)");
    }

    @Test
    void durationsAreSecondsWithDecimals() {
        Duration max = Duration.ofDays(1);
        assertThat(opts("wait=2.5").seconds("wait", Duration.ZERO, max)).isEqualTo(Duration.ofMillis(2500));
        assertThat(opts("wait=0.000001").seconds("wait", Duration.ZERO, max)).isEqualTo(Duration.ofNanos(1000));
        assertThat(opts("wait=0").seconds("wait", Duration.ofSeconds(9), max)).isZero();
        assertThat(opts("wait=86400").seconds("wait", Duration.ZERO, max)).isEqualTo(max);
        assertThat(opts("").seconds("wait", Duration.ofSeconds(9), max)).isEqualTo(Duration.ofSeconds(9));
        assertThat(opts("wait=None").seconds("wait", Duration.ofSeconds(9), max)).isEqualTo(Duration.ofSeconds(9));
        for (String bad : List.of("soon", "-1", "86400.5", "NaN", "1s")) {
            assertThatThrownBy(() -> opts("wait=" + bad).seconds("wait", Duration.ZERO, max)).as(bad)
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("option wait='" + bad + "' in x://alice:***@h?wait=")
                    .hasMessageEndingWith("must be a number of seconds from 0 to 86400");
        }
    }

    @Test
    void integersAreBounded() {
        assertThat(opts("count=7").integer("count", 1, 1, 10)).isEqualTo(7);
        assertThat(opts("count= 10").integer("count", 1, 1, 10)).isEqualTo(10);
        assertThat(opts("count=").integer("count", 3, 1, 10)).isEqualTo(3);
        for (String bad : List.of("0", "11", "ten", "1.5", "99999999999")) {
            assertThatThrownBy(() -> opts("count=" + bad).integer("count", 1, 1, 10)).as(bad)
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("option count='" + bad + "'")
                    .hasMessageEndingWith("must be a whole number from 1 to 10");
        }
    }

    @Test
    void choicesIgnoreCaseAndListTheSpellings() {
        Map<String, Integer> modes = new LinkedHashMap<>();
        modes.put("one", 1);
        modes.put("two", 2);
        assertThat(opts("mode=TWO").choice("mode", 0, modes)).isEqualTo(2);
        assertThat(opts("").choice("mode", 0, modes)).isZero();
        assertThatThrownBy(() -> opts("mode=three").choice("mode", 0, modes))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageEndingWith("must be one of one, two");
    }

    @Test
    void stringsFallBackWhenEmpty() {
        assertThat(opts("name=w1").string("name", "d")).isEqualTo("w1");
        assertThat(opts("name=").string("name", "d")).isEqualTo("d");
        assertThat(opts("name=").string("name")).isNull();
        assertThat(opts("name=%20a%20").string("name")).isEqualTo(" a ");
    }

    @Test
    void aSecretValueIsMaskedInMessages() {
        UrlOptions o = opts("api_password=hunter2");
        assertThat(o.invalid("api_password", "longer")).hasMessage(
                "option api_password='***' in x://alice:***@h?api_password=*** must be longer");
    }
}
