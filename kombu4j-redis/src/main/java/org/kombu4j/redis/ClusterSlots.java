package org.kombu4j.redis;

import java.nio.charset.StandardCharsets;

/**
 * Redis Cluster's key → hash slot mapping: CRC16 (XMODEM: polynomial 0x1021, initial value 0) of the
 * key, or of its hash tag — the part between the first {@code {}} and the next {@code }}} when that part
 * is not empty — modulo 16384. Keys with the same tag are in the same slot, so one script may touch them all.
 */
final class ClusterSlots {
    /** The number of hash slots of every Redis Cluster. */
    static final int SLOTS = 16384;

    private static final int[] TABLE = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int crc = i << 8;
            for (int b = 0; b < 8; b++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
            TABLE[i] = crc & 0xFFFF;
        }
    }

    private ClusterSlots() {
    }

    /** CRC16/XMODEM of {@code data}. */
    static int crc16(byte[] data, int from, int to) {
        int crc = 0;
        for (int i = from; i < to; i++) {
            crc = ((crc << 8) ^ TABLE[((crc >>> 8) ^ data[i]) & 0xFF]) & 0xFFFF;
        }
        return crc;
    }

    /** The slot of {@code key} (UTF-8), honouring its hash tag. */
    static int slot(String key) {
        return slot(key.getBytes(StandardCharsets.UTF_8));
    }

    /** The slot of {@code key}, honouring its hash tag. */
    static int slot(byte[] key) {
        int open = -1;
        for (int i = 0; i < key.length; i++) {
            if (key[i] == '{') {
                open = i;
                break;
            }
        }
        if (open >= 0) {
            for (int j = open + 1; j < key.length; j++) {
                if (key[j] == '}') {
                    if (j > open + 1) {
                        return crc16(key, open + 1, j) % SLOTS;
                    }
                    break;
                }
            }
        }
        return crc16(key, 0, key.length) % SLOTS;
    }
}
