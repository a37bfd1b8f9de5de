package org.kombu4j.redis;

import org.jspecify.annotations.Nullable;

/**
 * One member of a binding set {@code _kombu.binding.<exchange>} (WIRE.md §3):
 * {@code routing_key SEP pattern SEP queue}. The only place a member is split or joined, so the
 * client routes, lists and deletes by the rule the {@link Script#PUBLISH publish script} routes by:
 * the routing key ends at the first separator, the pattern at the second, and the queue is all the
 * rest — a queue name may contain the separator (Kombu's {@code member.split(sep)} then fails to
 * unpack; a member with exactly two separators parses the same either way). A routing key or
 * pattern cannot contain it: such a member could not be split back.
 */
record BindingMember(String routingKey, String pattern, String queue) {

    /** The member split by the publish script's rule, or null if it has fewer than two separators (not a binding). */
    static @Nullable BindingMember parse(String member, String sep) {
        int a = member.indexOf(sep);
        if (a < 0) {
            return null;
        }
        int b = member.indexOf(sep, a + sep.length());
        if (b < 0) {
            return null;
        }
        return new BindingMember(member.substring(0, a), member.substring(a + sep.length(), b),
                member.substring(b + sep.length()));
    }

    /**
     * The member as stored.
     *
     * @throws IllegalArgumentException if the routing key or pattern contains {@code sep}
     */
    String format(String sep) {
        if (routingKey.contains(sep) || pattern.contains(sep)) {
            throw new IllegalArgumentException("a binding's routing key and pattern cannot contain the binding separator");
        }
        return routingKey + sep + pattern + sep + queue;
    }
}
