package org.kombu4j.serialization;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.kombu4j.EncodeException;

/**
 * Python's {@code isoformat()} and {@code fromisoformat()} for the JSON type tags (WIRE.md §8). Java's own
 * {@code toString()} differs: it drops zero seconds, writes {@code Z} for UTC and keeps nanoseconds, none of
 * which Python 3.8–3.10's {@code fromisoformat} accepts.
 */
final class PythonIsoFormat {
    private PythonIsoFormat() {
    }

    static String date(LocalDate d) {
        int year = d.getYear();
        // Python's date covers years 1..9999 only; anything else would fail on the Python side.
        if (year < 1 || year > 9999) {
            throw new EncodeException("cannot encode " + d + " for Kombu: Python dates cover years 1..9999", null);
        }
        return String.format("%04d-%02d-%02d", year, d.getMonthValue(), d.getDayOfMonth());
    }

    /** Python prints microseconds only when non-zero; finer Java precision is truncated. */
    static String time(LocalTime t) {
        String s = String.format("%02d:%02d:%02d", t.getHour(), t.getMinute(), t.getSecond());
        int micros = t.getNano() / 1000;
        return micros == 0 ? s : s + String.format(".%06d", micros);
    }

    /** {@code +HH:MM}, with {@code :SS} only when the offset has seconds; never {@code Z}. */
    static String offset(ZoneOffset o) {
        int total = o.getTotalSeconds();
        char sign = total < 0 ? '-' : '+';
        int abs = Math.abs(total);
        String s = String.format("%c%02d:%02d", sign, abs / 3600, (abs / 60) % 60);
        return abs % 60 == 0 ? s : s + String.format(":%02d", abs % 60);
    }

    static String dateTime(LocalDateTime dt) {
        return date(dt.toLocalDate()) + "T" + time(dt.toLocalTime());
    }

    static String dateTime(OffsetDateTime dt) {
        return dateTime(dt.toLocalDateTime()) + offset(dt.getOffset());
    }

    static String time(OffsetTime t) {
        return time(t.toLocalTime()) + offset(t.getOffset());
    }

    /** Returns an {@link OffsetDateTime} when the text has an offset, else a {@link LocalDateTime}. */
    static Object parseDateTime(String text) {
        String s = text.strip();
        if (s.length() == 10) {
            return LocalDate.parse(s).atStartOfDay();
        }
        // Python's isoformat(sep=' ') and fromisoformat accept any single separator character.
        if (s.length() > 10 && s.charAt(10) != 'T') {
            s = s.substring(0, 10) + 'T' + s.substring(11);
        }
        return DateTimeFormatter.ISO_DATE_TIME.parseBest(s, OffsetDateTime::from, LocalDateTime::from);
    }

    static LocalDate parseDate(String text) {
        String s = text.strip();
        if (s.length() == 10) {
            return LocalDate.parse(s);
        }
        Object dt = parseDateTime(s);
        return dt instanceof OffsetDateTime o ? o.toLocalDate() : ((LocalDateTime) dt).toLocalDate();
    }

    /** Returns an {@link OffsetTime} when the text has an offset, else a {@link LocalTime}. */
    static Object parseTime(String text) {
        return DateTimeFormatter.ISO_TIME.parseBest(text.strip(), OffsetTime::from, LocalTime::from);
    }
}
