package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The one split rule for binding members: the publish script's (first separator, second, then the rest is the queue). */
class BindingMemberTest {
    private static final String SEP = "\u0006\u0016";

    @Test
    void aPlainMemberSplitsIntoItsThreeParts() {
        assertThat(BindingMember.parse("rk" + SEP + "^rk$" + SEP + "q", SEP)).isEqualTo(new BindingMember("rk", "^rk$", "q"));
        assertThat(BindingMember.parse("celery" + SEP + SEP + "celery", SEP)).isEqualTo(new BindingMember("celery", "", "celery"));
    }

    @Test
    void aQueueNameMayContainTheSeparator() {
        String queue = "a" + SEP + "b" + SEP + "c";
        String member = new BindingMember("rk", "", queue).format(SEP);
        assertThat(member).isEqualTo("rk" + SEP + SEP + "a" + SEP + "b" + SEP + "c");
        assertThat(BindingMember.parse(member, SEP)).isEqualTo(new BindingMember("rk", "", queue));
        // A queue name that starts or ends with the separator.
        assertThat(BindingMember.parse("rk" + SEP + SEP + SEP + "q" + SEP, SEP)).isEqualTo(new BindingMember("rk", "", SEP + "q" + SEP));
    }

    @Test
    void emptyPartsAreKept() {
        assertThat(BindingMember.parse(SEP + SEP, SEP)).isEqualTo(new BindingMember("", "", ""));
        assertThat(BindingMember.parse("rk" + SEP + "p" + SEP, SEP)).isEqualTo(new BindingMember("rk", "p", ""));
        assertThat(BindingMember.parse(SEP + SEP + "q", SEP)).isEqualTo(new BindingMember("", "", "q"));
        assertThat(new BindingMember("", "", "").format(SEP)).isEqualTo(SEP + SEP);
    }

    @Test
    void fewerThanTwoSeparatorsIsNotABinding() {
        assertThat(BindingMember.parse("", SEP)).isNull();
        assertThat(BindingMember.parse("rk", SEP)).isNull();
        assertThat(BindingMember.parse("rk" + SEP + "q", SEP)).isNull();
        assertThat(BindingMember.parse("rk\u0006q\u0016x", SEP)).isNull(); // half a separator is not one
    }

    @Test
    void everyFormattedMemberParsesBack() {
        for (String q : new String[] {"", "q", SEP, SEP + SEP, "a" + SEP, SEP + "b", "x\u0006", "\u0016y"}) {
            for (String rk : new String[] {"", "rk", "a.b", "\u0006"}) {
                BindingMember m = new BindingMember(rk, "", q);
                assertThat(BindingMember.parse(m.format(SEP), SEP)).as("rk %s queue %s", rk, q).isEqualTo(m);
            }
        }
    }

    @Test
    void aRoutingKeyOrPatternWithTheSeparatorIsRefused() {
        assertThatThrownBy(() -> new BindingMember("a" + SEP + "b", "", "q").format(SEP)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BindingMember("rk", SEP, "q").format(SEP)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anotherSeparatorOption() {
        assertThat(BindingMember.parse("rk::p::a::b", "::")).isEqualTo(new BindingMember("rk", "p", "a::b"));
    }
}
