package org.kombu4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.kombu4j.cli.CliRunner.run;
import static org.kombu4j.cli.CliRunner.unique;

import org.junit.jupiter.api.Test;

class PurgeQueuesTest {
    @Test
    void purgeReportsHowMany() {
        String q = unique("pq");
        run("publish", "--exchange", "", "--routing-key", q, "--declare-queue", q, "--body", "1", "--count", "3");
        CliRunner.Result r = run("purge", "--queue", q);
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo("purged 3 messages from queue '" + q + "'\n");
        assertThat(r.err()).isEmpty();
        assertThat(run("purge", "--queue", q).out()).isEqualTo("purged 0 messages from queue '" + q + "'\n");
    }

    @Test
    void purgeOfAMissingQueueExitsOne() {
        String q = unique("missing");
        CliRunner.Result r = run("purge", "--queue", q);
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("kombu4j: error: cannot purge queue '" + q + "': not found\n");
    }

    @Test
    void queuesListsNamesAndCounts() {
        String a = unique("lq");
        String b = unique("lq");
        run("publish", "--exchange", "", "--routing-key", a, "--declare-queue", a, "--body", "1", "--count", "2");
        run("publish", "--exchange", "", "--routing-key", b, "--declare-queue", b, "--body", "1");
        run("purge", "--queue", b);
        CliRunner.Result r = run("queues");
        assertThat(r.status()).isZero();
        assertThat(r.outLines()).contains(a + "\t2", b + "\t0");
        assertThat(r.outLines()).allMatch(l -> l.matches("[^\t]+\t-?\\d+"));
    }
}
