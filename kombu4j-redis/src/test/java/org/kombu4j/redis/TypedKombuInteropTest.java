package org.kombu4j.redis;

import org.junit.jupiter.api.BeforeEach;
import org.kombu4j.testkit.TypedKombuInterop;

/** Typed bodies (datetime, Decimal, UUID) both ways with Python Kombu over Redis (db 13), in each JSON mode. */
class TypedKombuInteropTest extends TypedKombuInterop {
    private static final String URL = "redis://127.0.0.1:6379/13";

    @BeforeEach
    void requireRedis() {
        TestRedis.require();
    }

    @Override
    protected String url() {
        return URL;
    }
}
