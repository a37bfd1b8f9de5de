package org.kombu4j.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.impl.AMQConnection;
import com.rabbitmq.client.impl.Frame;
import com.rabbitmq.client.impl.FrameHandler;
import com.rabbitmq.client.impl.FrameHandlerFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketException;

/**
 * Makes the RabbitMQ Java client read the header tables that py-amqp (Python Kombu's AMQP client)
 * writes. py-amqp tags an integer outside the 32-bit range with {@code 'L'} (8 bytes, signed); the
 * Java client knows RabbitMQ's {@code 'l'} for that and treats {@code 'L'} as a malformed frame,
 * which kills the whole connection — so one Python message with a header such as
 * {@code {"ts": 2**40}} would stop every kombu4j consumer on the queue, again on each redelivery.
 * Content-header frames are rewritten {@code 'L'} → {@code 'l'} in place (same width, same
 * encoding) before the client parses them; every other frame passes through untouched. This hooks
 * the client's blocking-socket reader (its default, which kombu4j uses); the NIO reader does not go
 * through {@link FrameHandler#readFrame()}.
 */
final class PyAmqpFrames {
    private PyAmqpFrames() {
    }

    /** A connection factory whose connections read py-amqp's header tables. */
    static ConnectionFactory connectionFactory() {
        return new ConnectionFactory() {
            @Override
            protected synchronized FrameHandlerFactory createFrameHandlerFactory() throws IOException {
                FrameHandlerFactory inner = super.createFrameHandlerFactory();
                return (address, connectionName) -> new Reading(inner.create(address, connectionName));
            }
        };
    }

    /**
     * Rewrites the {@code 'L'} tags of a basic content-header payload's headers table, or returns the
     * payload itself when there are none (or it cannot be walked: the client then reports it as before).
     */
    static byte[] fixHeaderPayload(byte[] p) {
        // class-id (2), weight (2), body size (8), property flags (2)
        if (p.length < 14 || ((p[0] & 0xff) << 8 | (p[1] & 0xff)) != 60) {
            return p;
        }
        int flags = (p[12] & 0xff) << 8 | (p[13] & 0xff);
        if ((flags & 0x2000) == 0 || (flags & 0x1) != 0) {
            return p;
        }
        int at = 14;
        try {
            if ((flags & 0x8000) != 0) {
                at += 1 + (p[at] & 0xff);
            }
            if ((flags & 0x4000) != 0) {
                at += 1 + (p[at] & 0xff);
            }
            Walk w = new Walk(p);
            w.table(at);
            if (!w.found) {
                return p;
            }
            byte[] copy = p.clone();
            new Walk(copy, true).table(at);
            return copy;
        } catch (IndexOutOfBoundsException | IllegalStateException e) {
            return p;
        }
    }

    /** Walks a field table; notes (or, when fixing, rewrites) {@code 'L'} tags. */
    private static final class Walk {
        private final byte[] b;
        private final boolean fix;
        boolean found;

        Walk(byte[] b) {
            this(b, false);
        }

        Walk(byte[] b, boolean fix) {
            this.b = b;
            this.fix = fix;
        }

        /** Walks the table whose 4-byte length is at {@code at}; returns the offset after it. */
        int table(int at) {
            int end = at + 4 + int32(at);
            int i = at + 4;
            while (i < end) {
                i += 1 + (b[i] & 0xff);
                i = value(i);
            }
            return end;
        }

        private int array(int at) {
            int end = at + 4 + int32(at);
            int i = at + 4;
            while (i < end) {
                i = value(i);
            }
            return end;
        }

        /** The tagged value at {@code at}; returns the offset after it. */
        private int value(int at) {
            char tag = (char) (b[at] & 0xff);
            int v = at + 1;
            switch (tag) {
                case 'L':
                    found = true;
                    if (fix) {
                        b[at] = 'l';
                    }
                    return v + 8;
                case 'l': case 'd': case 'T':
                    return v + 8;
                case 'I': case 'i': case 'f':
                    return v + 4;
                case 's': case 'u':
                    return v + 2;
                case 't': case 'b': case 'B':
                    return v + 1;
                case 'D':
                    return v + 5;
                case 'V':
                    return v;
                case 'S': case 'x':
                    return v + 4 + int32(v);
                case 'F':
                    return table(v);
                case 'A':
                    return array(v);
                default:
                    throw new IllegalStateException("unknown field type " + tag);
            }
        }

        private int int32(int at) {
            int n = (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
            if (n < 0) {
                throw new IllegalStateException("negative length");
            }
            return n;
        }
    }

    /** Delegates everything; fixes content-header frames on the way in. */
    private static final class Reading implements FrameHandler {
        private final FrameHandler inner;

        Reading(FrameHandler inner) {
            this.inner = inner;
        }

        @Override
        public Frame readFrame() throws IOException {
            Frame f = inner.readFrame();
            if (f != null && f.type == AMQP.FRAME_HEADER) {
                byte[] p = f.getPayload();
                byte[] fixed = fixHeaderPayload(p);
                if (fixed != p) {
                    return new Frame(f.type, f.channel, fixed);
                }
            }
            return f;
        }

        @Override
        public void setTimeout(int timeoutMs) throws SocketException {
            inner.setTimeout(timeoutMs);
        }

        @Override
        public int getTimeout() throws SocketException {
            return inner.getTimeout();
        }

        @Override
        public void sendHeader() throws IOException {
            inner.sendHeader();
        }

        @Override
        public void initialize(AMQConnection connection) {
            inner.initialize(connection);
        }

        @Override
        public void writeFrame(Frame frame) throws IOException {
            inner.writeFrame(frame);
        }

        @Override
        public void flush() throws IOException {
            inner.flush();
        }

        @Override
        public void close() {
            inner.close();
        }

        @Override
        public InetAddress getLocalAddress() {
            return inner.getLocalAddress();
        }

        @Override
        public int getLocalPort() {
            return inner.getLocalPort();
        }

        @Override
        public InetAddress getAddress() {
            return inner.getAddress();
        }

        @Override
        public int getPort() {
            return inner.getPort();
        }
    }
}
